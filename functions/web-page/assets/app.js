// The bookshelf web page: lists, filters and pages through the books, adds,
// edits and deletes them, and shows their history, all through the JSON API on
// the same origin (/books…). Hand-written, no framework, no build step; the
// server embeds this file as it is.
//
// Rules it keeps: every write carries the version it was based on (If-Match),
// so a stale edit is shown as a conflict, never saved over someone else's
// change; every failed request is said out loud (an alert on the page, or an
// error inside the open dialog), never left as a blank page; and text from the
// API only ever reaches the page as text (textContent), never as HTML.

const FIELDS = ['title', 'author', 'genre'];
const LABELS = { title: 'Title', author: 'Author', genre: 'Genre' };
const PAGE_SIZES = ['10', '25', '50', '100'];
const REQUEST_TIMEOUT_MS = 15000;
// History is written from the table's stream a moment after each write: poll
// this often, this many times, until it has caught up with the book.
const HISTORY_POLL_MS = 1000;
const HISTORY_POLLS = 12;

const $ = (id) => document.getElementById(id);

// ------------------------------------------------------------------ the API

/** A request that did not succeed: an HTTP error (status > 0) or no answer at all. */
class RequestFailed extends Error {
  constructor(message, { status = 0, problem = null } = {}) {
    super(message);
    this.status = status;
    this.problem = problem;
  }
}

/**
 * Calls the JSON API and returns the parsed body (null for 204), or throws
 * RequestFailed with a sentence a person can read.
 */
async function api(method, path, { body, headers = {}, contentType = 'application/json' } = {}) {
  const init = {
    method,
    headers: { Accept: 'application/json, application/problem+json', ...headers },
    cache: 'no-store',
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  };
  if (body !== undefined) {
    init.headers['Content-Type'] = contentType;
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    const reason = error && error.name === 'TimeoutError'
      ? 'the server did not answer in time'
      : 'the server could not be reached';
    throw new RequestFailed(`The request failed: ${reason}. Check your connection and try again.`);
  }
  const text = await response.text().catch(() => '');
  let json = null;
  if (text) {
    try {
      json = JSON.parse(text);
    } catch {
      json = null;
    }
  }
  if (response.ok) {
    return json;
  }
  const isProblem = (response.headers.get('content-type') || '').startsWith('application/problem+json');
  const problem = isProblem && json && typeof json === 'object' ? json : null;
  throw new RequestFailed(describeFailure(response, json, problem), { status: response.status, problem });
}

/** One sentence for a failed answer: the problem's title and detail when there is one. */
function describeFailure(response, json, problem) {
  if (problem) {
    const what = [problem.title, problem.detail].filter(Boolean).join(': ');
    const id = problem.requestId ? ` (request ${problem.requestId})` : '';
    return `The server answered ${response.status}. ${what}${id}.`;
  }
  if (json && typeof json.message === 'string') {
    return `The server answered ${response.status}: ${json.message}.`;
  }
  return `The server answered ${response.status} ${response.statusText}`.trim() + '.';
}

const bookPath = (id) => `/books/${encodeURIComponent(id)}`;
const ifMatch = (version) => ({ 'If-Match': `"${version}"` });

/** A fresh Idempotency-Key (crypto.randomUUID needs a secure context; this does not). */
function newIdempotencyKey() {
  if (crypto.randomUUID) {
    return crypto.randomUUID();
  }
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}

// ------------------------------------------------------------ DOM helpers

/** An element with attributes (`on…` functions become listeners) and children (strings are text). */
function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) {
      continue;
    }
    if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.slice(2), value);
    } else if (name === 'dataset') {
      Object.assign(element.dataset, value);
    } else {
      element.setAttribute(name, value === true ? '' : String(value));
    }
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) {
      element.append(child instanceof Node ? child : String(child));
    }
  }
  return element;
}

const quoted = (text) => `“${text}”`;
const shown = (value) => (value === null || value === undefined || value === '' ? '—' : value);
const formatTime = (() => {
  const format = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
  return (at) => {
    const date = new Date(at);
    return Number.isNaN(date.getTime()) ? at : format.format(date);
  };
})();

// --------------------------------------------------------- alerts, status

/** Shows a failure in the page's alert region, with an optional retry. */
function showAlert(message, retry) {
  const alerts = $('alerts');
  alerts.replaceChildren();
  const box = h('div', { class: 'alert-message' },
    h('p', {}, message),
    h('div', { class: 'alert-actions' },
      retry ? h('button', {
        type: 'button', class: 'button', onclick: () => { clearAlert(); retry(); },
      }, 'Try again') : null,
      h('button', { type: 'button', class: 'button quiet', onclick: clearAlert }, 'Dismiss'),
    ),
  );
  alerts.append(box);
}

function clearAlert() {
  $('alerts').replaceChildren();
}

let statusTimer;
/** A short success message, read out politely and cleared after a while. */
function showStatus(message) {
  clearTimeout(statusTimer);
  $('status').textContent = message;
  statusTimer = setTimeout(() => { $('status').textContent = ''; }, 8000);
}

// ------------------------------------------------------------------ shelf

const shelf = {
  author: '',
  genre: '',
  limit: '25',
  cursors: [null], // the cursor of every page visited; the last is this page's
  nextCursor: null,
  books: [],
  loads: 0, // only the newest load may draw the shelf
};

/** Reads the filter and page size from the address (`/?author=…&genre=…&limit=…`). */
function readAddress() {
  const params = new URLSearchParams(location.search);
  shelf.author = (params.get('author') || '').trim();
  shelf.genre = (params.get('genre') || '').trim();
  shelf.limit = PAGE_SIZES.includes(params.get('limit')) ? params.get('limit') : '25';
  shelf.cursors = [null];
  $('filter-author').value = shelf.author;
  $('filter-genre').value = shelf.genre;
  $('page-size').value = shelf.limit;
}

function writeAddress() {
  const params = new URLSearchParams();
  if (shelf.author) params.set('author', shelf.author);
  if (shelf.genre) params.set('genre', shelf.genre);
  if (shelf.limit !== '25') params.set('limit', shelf.limit);
  const query = params.toString();
  const url = query ? `/?${query}` : '/';
  if (url !== location.pathname + location.search) {
    history.pushState(null, '', url);
  }
}

/** Applies a filter (from the form or a click in the list) and shows its first page. */
function applyFilter({ author = shelf.author, genre = shelf.genre, limit = shelf.limit } = {}) {
  shelf.author = author.trim();
  shelf.genre = genre.trim();
  shelf.limit = limit;
  shelf.cursors = [null];
  $('filter-author').value = shelf.author;
  $('filter-genre').value = shelf.genre;
  $('page-size').value = shelf.limit;
  writeAddress();
  loadShelf();
}

/** Loads and draws the current page of the shelf. */
async function loadShelf() {
  const load = ++shelf.loads;
  const params = new URLSearchParams({ limit: shelf.limit });
  if (shelf.author) params.set('author', shelf.author);
  if (shelf.genre) params.set('genre', shelf.genre);
  const cursor = shelf.cursors[shelf.cursors.length - 1];
  if (cursor) params.set('cursor', cursor);
  $('shelf-body').setAttribute('aria-busy', 'true');
  try {
    const page = await api('GET', `/books?${params}`);
    if (load !== shelf.loads) return;
    // A page emptied by deletes: step back rather than show nothing.
    if (page.items.length === 0 && shelf.cursors.length > 1) {
      shelf.cursors.pop();
      loadShelf();
      return;
    }
    shelf.books = page.items;
    shelf.nextCursor = page.nextCursor || null;
    drawShelf();
  } catch (error) {
    if (load !== shelf.loads) return;
    shelf.books = [];
    shelf.nextCursor = null;
    drawShelf('The books could not be loaded.');
    showAlert(`Could not load the books. ${error.message}`, loadShelf);
  } finally {
    if (load === shelf.loads) $('shelf-body').setAttribute('aria-busy', 'false');
  }
}

/** Draws the books held in `shelf`, or `failure` in their place. */
function drawShelf(failure) {
  const rows = shelf.books.map((book) => h('tr', { role: 'row', dataset: { testid: 'book-row', id: book.id } },
    h('th', { role: 'rowheader', scope: 'row', class: 'cell-title', 'data-label': 'Title' }, book.title),
    h('td', { role: 'cell', class: 'cell-author', 'data-label': 'Author' },
      filterLink(`Show only books by ${book.author}`, { author: book.author }, book.author)),
    h('td', { role: 'cell', class: 'cell-genre', 'data-label': 'Genre' },
      book.genre
        ? filterLink(`Show only books in ${book.genre}`, { genre: book.genre }, book.genre)
        : h('span', { class: 'muted', 'aria-label': 'no genre' }, '—')),
    h('td', { role: 'cell', class: 'cell-actions' },
      h('button', { type: 'button', class: 'button small', 'aria-label': `Edit ${book.title}`, onclick: () => openEdit(book) }, 'Edit'),
      h('button', { type: 'button', class: 'button small', 'aria-label': `History of ${book.title}`, onclick: () => openHistory(book) }, 'History'),
      h('button', { type: 'button', class: 'button small danger-quiet', 'aria-label': `Delete ${book.title}`, onclick: () => openDelete(book) }, 'Delete'),
    ),
  ));
  $('book-rows').replaceChildren(...rows);

  const filtered = shelf.author || shelf.genre;
  const message = $('shelf-message');
  if (failure) {
    message.textContent = failure;
    message.classList.add('is-error');
  } else if (rows.length === 0) {
    message.textContent = filtered
      ? 'No book matches this filter.'
      : 'The shelf is empty. Add a book to start it.';
    message.classList.remove('is-error');
  } else {
    message.textContent = '';
    message.classList.remove('is-error');
  }
  message.hidden = !message.textContent;
  document.querySelector('table.books').hidden = rows.length === 0;

  const parts = [];
  if (shelf.author) parts.push(`by ${shelf.author}`);
  if (shelf.genre) parts.push(`in ${shelf.genre}`);
  $('shelf-summary').textContent = failure ? '' : `${rows.length} ${rows.length === 1 ? 'book' : 'books'} on this page${parts.length ? ', ' + parts.join(', ') : ''}`;

  const pageNumber = shelf.cursors.length;
  $('page-number').textContent = `Page ${pageNumber}`;
  $('prev-page').disabled = pageNumber === 1;
  $('next-page').disabled = !shelf.nextCursor;
}

function filterLink(label, filter, text) {
  const params = new URLSearchParams(filter);
  return h('a', {
    href: `/?${params}`,
    class: 'filter-link',
    title: label,
    onclick: (event) => {
      if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
      event.preventDefault();
      applyFilter({ author: filter.author || '', genre: filter.genre || '' });
    },
  }, text);
}

// --------------------------------------------------------- add and edit

const editor = {
  mode: 'add', // 'add' or 'edit'
  id: null,
  base: null, // the book as it was when the edit started (or was last reconciled)
  conflict: null, // { mine, current, merged } while a conflict is shown
  sent: null, // { body, key }: the last create sent, so a retry reuses its key
  busy: false,
};

/** The form's values as the API takes them: a blank genre is no genre. */
function readBookForm() {
  const genre = $('book-genre').value.trim();
  return {
    title: $('book-title').value,
    author: $('book-author').value,
    genre: genre === '' ? null : genre,
  };
}

function fillBookForm(book) {
  $('book-title').value = book ? book.title : '';
  $('book-author').value = book ? book.author : '';
  $('book-genre').value = book && book.genre ? book.genre : '';
}

function clearFormErrors() {
  $('book-form-error').replaceChildren();
  for (const field of FIELDS) {
    $(`book-${field}-error`).textContent = '';
    $(`book-${field}`).removeAttribute('aria-invalid');
  }
}

/** Shows a 422's field errors next to their fields; anything else above the form. */
function showFieldErrors(problem) {
  const others = [];
  let first = null;
  for (const { field, message } of problem.errors || []) {
    if (FIELDS.includes(field)) {
      const slot = $(`book-${field}-error`);
      slot.textContent = slot.textContent ? `${slot.textContent} ${LABELS[field]} ${message}.` : `${LABELS[field]} ${message}.`;
      $(`book-${field}`).setAttribute('aria-invalid', 'true');
      first = first || $(`book-${field}`);
    } else {
      others.push(`${field}: ${message}`);
    }
  }
  if (others.length || !first) {
    showFormError(others.length ? `The book was not saved: ${others.join('; ')}.` : (problem.detail || 'The book was not saved.'));
  }
  if (first) first.focus();
}

function showFormError(message, ...actions) {
  $('book-form-error').replaceChildren(h('p', {}, message), ...actions);
}

function setEditorBusy(busy, label) {
  editor.busy = busy;
  for (const id of ['save-book', 'conflict-apply', 'conflict-discard']) {
    $(id).disabled = busy;
  }
  if (label) $('save-book').textContent = label;
}

function openAdd() {
  Object.assign(editor, { mode: 'add', id: null, base: null, conflict: null, sent: null });
  fillBookForm(null);
  clearFormErrors();
  hideConflict();
  $('book-dialog-title').textContent = 'Add a book';
  setEditorBusy(false, 'Add book');
  $('book-dialog').showModal();
  $('book-title').focus();
}

async function openEdit(listed) {
  let book;
  try {
    book = await api('GET', bookPath(listed.id));
  } catch (error) {
    if (error.status === 404) {
      showAlert(`${quoted(listed.title)} is no longer on the shelf: someone deleted it.`);
      loadShelf();
    } else {
      showAlert(`Could not open ${quoted(listed.title)} for editing. ${error.message}`, () => openEdit(listed));
    }
    return;
  }
  Object.assign(editor, { mode: 'edit', id: book.id, base: book, conflict: null, sent: null });
  fillBookForm(book);
  clearFormErrors();
  hideConflict();
  $('book-dialog-title').textContent = `Edit ${quoted(book.title)}`;
  setEditorBusy(false, 'Save changes');
  $('book-dialog').showModal();
  $('book-title').focus();
}

async function submitBook(event) {
  event.preventDefault();
  if (editor.busy || editor.conflict) return;
  clearFormErrors();
  const fields = readBookForm();
  if (editor.mode === 'add') {
    await createBook(fields);
  } else {
    await saveEdit(fields, editor.base.version);
  }
}

async function createBook(fields) {
  // The same body sent again (a retry after a failure) reuses its key, so the
  // book is created at most once; a changed body is a new request.
  const body = JSON.stringify(fields);
  if (!editor.sent || editor.sent.body !== body) {
    editor.sent = { body, key: newIdempotencyKey() };
  }
  setEditorBusy(true, 'Adding…');
  try {
    const book = await api('POST', '/books', { body: fields, headers: { 'Idempotency-Key': editor.sent.key } });
    $('book-dialog').close();
    showStatus(`Added ${quoted(book.title)} by ${book.author}.`);
    loadShelf();
  } catch (error) {
    if (error.status === 422 && error.problem && error.problem.errors) {
      showFieldErrors(error.problem);
    } else {
      showFormError(`The book was not added. ${error.message}`);
    }
  } finally {
    setEditorBusy(false, 'Add book');
  }
}

/** PUTs `fields` over `version`; a 412 turns into the conflict panel. */
async function saveEdit(fields, version) {
  setEditorBusy(true, 'Saving…');
  try {
    const book = await api('PUT', bookPath(editor.id), { body: fields, headers: ifMatch(version) });
    $('book-dialog').close();
    showStatus(`Saved ${quoted(book.title)} (version ${book.version}).`);
    loadShelf();
  } catch (error) {
    if (error.status === 412) {
      await showConflict(fields);
    } else if (error.status === 422 && error.problem && error.problem.errors) {
      showFieldErrors(error.problem);
    } else if (error.status === 404) {
      bookVanished();
    } else {
      showFormError(`Your changes were not saved. ${error.message}`);
    }
  } finally {
    setEditorBusy(false, editor.mode === 'edit' ? 'Save changes' : 'Add it as a new book');
  }
}

/** The book was deleted while being edited: say so, and offer to add it again. */
function bookVanished() {
  hideConflict();
  Object.assign(editor, { mode: 'add', id: null, base: null, conflict: null, sent: null });
  $('book-dialog-title').textContent = 'This book was deleted';
  showFormError('Someone deleted this book while you were editing it, so your changes were not saved. You can add it again as a new book, or cancel.');
  setEditorBusy(false, 'Add it as a new book');
  loadShelf();
}

const sameValue = (a, b) => (a ?? '').trim() === (b ?? '').trim();

/**
 * Someone saved the book after this edit began: fetch the version now on the
 * shelf and let the person choose. Applying keeps their newer values for the
 * fields this edit did not touch; discarding keeps the shelf's version.
 */
async function showConflict(mine) {
  let current;
  try {
    current = await api('GET', bookPath(editor.id));
  } catch (error) {
    if (error.status === 404) {
      bookVanished();
    } else {
      showFormError(`Someone else changed this book, and its newer version could not be loaded. ${error.message}`);
    }
    return;
  }
  const base = editor.base;
  const merged = {};
  for (const field of FIELDS) {
    merged[field] = sameValue(mine[field], base[field]) ? current[field] : mine[field];
  }
  editor.conflict = { mine, current, merged };

  $('conflict-text').textContent =
    `While you were editing, someone saved ${quoted(current.title)}: you started from version ${base.version}, ` +
    `the shelf now has version ${current.version}. Nothing of yours was saved yet.`;
  $('conflict-current-heading').textContent = `Now on the shelf (version ${current.version})`;
  $('conflict-rows').replaceChildren(...FIELDS.map((field) => {
    const theyChanged = !sameValue(base[field], current[field]);
    const youChanged = !sameValue(base[field], mine[field]);
    const clash = theyChanged && youChanged && !sameValue(mine[field], current[field]);
    return h('tr', { class: clash ? 'clash' : theyChanged ? 'changed' : null, dataset: { field } },
      h('th', { scope: 'row' }, LABELS[field], clash ? h('span', { class: 'tag' }, 'both changed') : null),
      h('td', { class: youChanged ? 'mine-changed' : null }, shown(mine[field])),
      h('td', { class: theyChanged ? 'theirs-changed' : null }, shown(current[field])),
    );
  }));
  $('conflict-apply').textContent = `Apply my changes to version ${current.version}`;
  // The table shows both versions; the form's fields would only repeat "yours".
  $('conflict').hidden = false;
  $('book-fields').hidden = true;
  $('book-form-actions').hidden = true;
  $('conflict-apply').focus();
}

function hideConflict() {
  editor.conflict = null;
  $('conflict').hidden = true;
  $('book-fields').hidden = false;
  $('book-form-actions').hidden = false;
}

async function applyMine() {
  const { current, merged } = editor.conflict;
  editor.base = current;
  fillBookForm(merged);
  hideConflict();
  clearFormErrors();
  await saveEdit(merged, current.version);
}

function discardMine() {
  const { current } = editor.conflict;
  hideConflict();
  $('book-dialog').close();
  showStatus(`Your changes were discarded; ${quoted(current.title)} stays at version ${current.version}.`);
  loadShelf();
}

// ------------------------------------------------------------------ delete

let deleting = null;

function openDelete(book) {
  deleting = book;
  $('delete-dialog-text').textContent =
    `${quoted(book.title)} by ${book.author} will be taken off the shelf. Its history is kept.`;
  $('delete-error').replaceChildren();
  $('confirm-delete').disabled = false;
  $('delete-dialog').showModal();
  $('cancel-delete').focus();
}

async function confirmDelete() {
  const book = deleting;
  if (!book) return;
  $('confirm-delete').disabled = true;
  try {
    // Deletes exactly the version the person saw; a newer one is not theirs to delete unseen.
    await api('DELETE', bookPath(book.id), { headers: ifMatch(book.version) });
    $('delete-dialog').close();
    showStatus(`Deleted ${quoted(book.title)}.`);
    loadShelf();
  } catch (error) {
    if (error.status === 412) {
      $('delete-dialog').close();
      showAlert(`${quoted(book.title)} was not deleted: someone changed it after the list was loaded. Look at it again, then delete it if you still want to.`);
      loadShelf();
    } else if (error.status === 404) {
      $('delete-dialog').close();
      showStatus(`${quoted(book.title)} was already deleted.`);
      loadShelf();
    } else {
      $('delete-error').replaceChildren(h('p', {}, `The book was not deleted. ${error.message}`));
      $('confirm-delete').disabled = false;
    }
  }
}

// ----------------------------------------------------------------- history

const historyView = {
  book: null,
  items: [],
  nextCursor: null,
  polls: 0,
  timer: null,
  loads: 0,
};

function openHistory(book) {
  clearTimeout(historyView.timer);
  Object.assign(historyView, { book, items: [], nextCursor: null, polls: 0 });
  $('history-dialog-title').textContent = `History of ${quoted(book.title)}`;
  $('history-list').replaceChildren();
  $('history-note').textContent = 'Loading…';
  $('history-older').hidden = true;
  $('history-dialog').showModal();
  $('history-close').focus();
  loadHistory(false);
}

/** Loads the newest entries (or, with `older`, the next page after those shown). */
async function loadHistory(older) {
  clearTimeout(historyView.timer);
  const load = ++historyView.loads;
  const { book } = historyView;
  const params = new URLSearchParams({ limit: '20' });
  if (older && historyView.nextCursor) params.set('cursor', historyView.nextCursor);
  try {
    const page = await api('GET', `${bookPath(book.id)}/history?${params}`);
    if (load !== historyView.loads || historyView.book !== book) return;
    historyView.items = older ? historyView.items.concat(page.items) : page.items;
    historyView.nextCursor = page.nextCursor || null;
    drawHistory();
    // The stream writes history a moment after each write: until the newest
    // entry reaches the version listed, look again shortly.
    const newest = historyView.items[0];
    const behind = !older && (!newest || newest.version < book.version);
    if (behind && historyView.polls < HISTORY_POLLS && $('history-dialog').open) {
      historyView.polls += 1;
      $('history-note').textContent = 'The latest changes are still being recorded…';
      historyView.timer = setTimeout(() => loadHistory(false), HISTORY_POLL_MS);
    } else if (behind) {
      $('history-note').textContent = 'The latest changes are not recorded yet. Try Refresh in a moment.';
    } else {
      $('history-note').textContent = '';
    }
  } catch (error) {
    if (load !== historyView.loads) return;
    $('history-note').textContent = error.status === 404
      ? 'This book has no recorded history.'
      : `The history could not be loaded. ${error.message}`;
  }
}

function drawHistory() {
  const entries = historyView.items.map((entry) => h('li', {
    class: `history-entry event-${entry.event}`, dataset: { testid: 'history-entry', event: entry.event, version: entry.version },
  },
  h('p', { class: 'history-head' },
    h('strong', {}, { created: 'Created', updated: 'Updated', deleted: 'Deleted' }[entry.event] || entry.event),
    ` · version ${entry.version} · `,
    h('time', { datetime: entry.at }, formatTime(entry.at)),
  ),
  historyDetail(entry)));
  $('history-list').replaceChildren(...entries);
  $('history-older').hidden = !historyView.nextCursor;
  if (entries.length === 0) {
    $('history-list').append(h('li', { class: 'muted' }, 'Nothing recorded yet.'));
  }
}

function historyDetail(entry) {
  if (entry.event === 'deleted') {
    return h('p', { class: 'muted' }, 'Taken off the shelf.');
  }
  if (entry.event === 'created' && entry.book) {
    return h('dl', { class: 'history-fields' },
      FIELDS.flatMap((field) => [h('dt', {}, LABELS[field]), h('dd', {}, shown(entry.book[field]))]));
  }
  const changes = Object.entries(entry.changes || {});
  if (changes.length === 0) {
    return h('p', { class: 'muted' }, 'Saved with no change to its fields.');
  }
  return h('ul', { class: 'changes' }, changes.map(([field, { from, to }]) => h('li', { dataset: { field } },
    h('span', { class: 'change-field' }, `${LABELS[field] || field}: `),
    h('del', {}, shown(from)), ' → ', h('ins', {}, shown(to)))));
}

// -------------------------------------------------------------------- start

function start() {
  $('add-book').addEventListener('click', openAdd);
  $('filter-form').addEventListener('submit', (event) => {
    event.preventDefault();
    applyFilter({ author: $('filter-author').value, genre: $('filter-genre').value, limit: $('page-size').value });
  });
  $('clear-filter').addEventListener('click', () => applyFilter({ author: '', genre: '' }));
  $('page-size').addEventListener('change', () => applyFilter({ limit: $('page-size').value }));
  $('prev-page').addEventListener('click', () => {
    if (shelf.cursors.length > 1) {
      shelf.cursors.pop();
      loadShelf();
    }
  });
  $('next-page').addEventListener('click', () => {
    if (shelf.nextCursor) {
      shelf.cursors.push(shelf.nextCursor);
      loadShelf();
    }
  });

  $('book-form').addEventListener('submit', submitBook);
  $('cancel-book').addEventListener('click', () => $('book-dialog').close());
  $('book-dialog').addEventListener('close', () => {
    hideConflict();
    editor.sent = null;
  });
  $('conflict-apply').addEventListener('click', applyMine);
  $('conflict-discard').addEventListener('click', discardMine);

  $('confirm-delete').addEventListener('click', confirmDelete);
  $('cancel-delete').addEventListener('click', () => $('delete-dialog').close());
  $('delete-dialog').addEventListener('close', () => { deleting = null; });

  $('history-refresh').addEventListener('click', () => {
    historyView.polls = 0;
    loadHistory(false);
  });
  $('history-older').addEventListener('click', () => loadHistory(true));
  $('history-close').addEventListener('click', () => $('history-dialog').close());
  $('history-dialog').addEventListener('close', () => {
    clearTimeout(historyView.timer);
    historyView.loads += 1;
  });

  window.addEventListener('popstate', () => {
    readAddress();
    loadShelf();
  });

  readAddress();
  loadShelf();
}

start();
