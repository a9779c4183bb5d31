// The bookshelf web page: lists, filters and pages through the books, adds,
// edits and deletes them, and shows their history, all through the JSON API on
// the same origin (/books…). Hand-written, no framework, no build step; the
// server embeds this file as it is.
//
// Sign-in: reads are public, writes need an access token. The page signs in
// with the authorization code flow and PKCE (S256) at the issuer its meta tags
// name (Cognito's managed login on AWS, the runner's development provider
// locally), keeps the tokens in sessionStorage (never a cookie, so no other site
// can make the browser send them), and sends `Authorization: Bearer …` on
// writes only. Signed out, the shelf is read-only.
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

/** The content of `<meta name="…">`, written by the server from its environment. */
const meta = (name) => (document.querySelector(`meta[name="${name}"]`)?.content || '').trim();

const AUTH = {
  issuer: meta('bookshelf-auth-issuer').replace(/\/+$/, ''),
  clientId: meta('bookshelf-auth-client-id'),
  scopes: meta('bookshelf-auth-scopes') || 'openid',
  // Only under `sam local start-api` (no authorizer): the API takes writes without a token.
  anonymousWrites: meta('bookshelf-anonymous-writes') === 'true',
};
const WRITE_SCOPE = 'bookshelf/books.write';
// sessionStorage keys: the tokens, a sign-in under way, an edit kept across sign-in.
const SESSION_KEY = 'bookshelf.session';
const PENDING_KEY = 'bookshelf.sign-in';
const DRAFT_KEY = 'bookshelf.draft';
// A token this close to its expiry is treated as expired (a write takes a moment).
const EXPIRY_MARGIN_MS = 30_000;

// ------------------------------------------------------------------ the API

/** A request that did not succeed: an HTTP error (status > 0) or no answer at all. */
class RequestFailed extends Error {
  constructor(message, { status = 0, problem = null, signIn = false } = {}) {
    super(message);
    this.status = status;
    this.problem = problem;
    this.signIn = signIn; // the session is missing or expired: sign in, then try again
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

/**
 * A write: `api` with the session's access token. Without a usable session (none,
 * expired, or the API answered 401) it throws a RequestFailed with `signIn` set,
 * and the caller asks the person to sign in again, keeping what they were doing.
 */
async function write(method, path, options = {}) {
  const session = currentSession();
  if (!session && AUTH.anonymousWrites) {
    return api(method, path, options);
  }
  if (!session || sessionExpired(session)) {
    markSessionExpired();
    throw new RequestFailed('Your session has expired.', { status: 401, signIn: true });
  }
  const headers = { ...options.headers, Authorization: `Bearer ${session.accessToken}` };
  try {
    return await api(method, path, { ...options, headers });
  } catch (error) {
    if (error.status === 401) {
      markSessionExpired();
      throw new RequestFailed('Your session has expired or was revoked.', { status: 401, signIn: true });
    }
    if (error.status === 403) {
      throw new RequestFailed(`You are signed in as ${session.name}, who may not change books.`, { status: 403 });
    }
    throw error;
  }
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

// ---------------------------------------------------------------- sign-in

/** sessionStorage, as JSON; a storage that refuses (private modes) holds nothing. */
function stored(key) {
  try {
    const text = sessionStorage.getItem(key);
    return text ? JSON.parse(text) : null;
  } catch {
    return null;
  }
}

function store(key, value) {
  try {
    if (value === null || value === undefined) {
      sessionStorage.removeItem(key);
    } else {
      sessionStorage.setItem(key, JSON.stringify(value));
    }
  } catch {
    // Nothing kept: the person signs in again on the next load.
  }
}

const signInOffered = () => Boolean(AUTH.issuer && AUTH.clientId);

/** The signed-in session ({ accessToken, idToken, expiresAt, name, sub, canWrite, expired }), or null. */
function currentSession() {
  const session = stored(SESSION_KEY);
  return session && typeof session.accessToken === 'string' ? session : null;
}

const sessionExpired = (session) => Boolean(session.expired)
  || !(Date.now() < Number(session.expiresAt) - EXPIRY_MARGIN_MS);

/** Keeps who was signed in (to say so) but not a token the API no longer takes. */
function markSessionExpired() {
  const session = currentSession();
  if (session && !session.expired) {
    store(SESSION_KEY, { ...session, accessToken: '', idToken: '', expired: true });
    drawAccount();
  }
}

/** Whether the page offers writes: signed in with the write scope (even if expired: saving asks to sign in again). */
function canWrite() {
  const session = currentSession();
  return session ? session.canWrite : AUTH.anonymousWrites;
}

const base64url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes)))
  .replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const randomString = (length) => base64url(crypto.getRandomValues(new Uint8Array(length)));

/** The claims of a JWT, unverified (only to show a name and read the scopes; the API checks the token). */
function jwtClaims(token) {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const bytes = Uint8Array.from(atob(part.padEnd(part.length + (4 - (part.length % 4)) % 4, '=')), (c) => c.charCodeAt(0));
    const claims = JSON.parse(new TextDecoder().decode(bytes));
    return claims && typeof claims === 'object' ? claims : {};
  } catch {
    return {};
  }
}

const LOOPBACK = ['127.0.0.1', 'localhost', '[::1]'];
/**
 * `address` on this page's origin when it is the same local server under another
 * loopback name (the runner's issuer says 127.0.0.1, the page may be on
 * localhost): the development provider is served on the page's own port.
 */
function sameServer(address) {
  const url = new URL(address, location.href);
  if (url.origin !== location.origin && LOOPBACK.includes(url.hostname) && LOOPBACK.includes(location.hostname)
      && url.port === location.port && url.protocol === location.protocol) {
    return `${location.origin}${url.pathname}${url.search}`;
  }
  return url.href;
}

/** Fetches JSON for sign-in, or throws a RequestFailed saying what went wrong. */
async function fetchJson(url, init, what) {
  let response;
  try {
    response = await fetch(url, { cache: 'no-store', signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS), ...init });
  } catch {
    throw new RequestFailed(`${what} failed: the sign-in service could not be reached.`);
  }
  const json = await response.json().catch(() => null);
  if (!response.ok || !json || typeof json !== 'object') {
    const reason = json && (json.error_description || json.error);
    throw new RequestFailed(`${what} failed: the sign-in service answered ${response.status}${reason ? ` (${reason})` : ''}.`, { status: response.status });
  }
  return json;
}

/** The issuer's endpoints, from its discovery document. */
async function discover() {
  const doc = await fetchJson(sameServer(`${AUTH.issuer}/.well-known/openid-configuration`),
    { headers: { Accept: 'application/json' } }, 'Signing in');
  if (typeof doc.authorization_endpoint !== 'string' || typeof doc.token_endpoint !== 'string') {
    throw new RequestFailed('Signing in failed: the sign-in service does not describe its endpoints.');
  }
  return { authorize: sameServer(doc.authorization_endpoint), token: sameServer(doc.token_endpoint) };
}

/**
 * Starts signing in: a PKCE verifier and a state kept in sessionStorage, then the
 * issuer's sign-in page, which comes back to `/` with a code. `draft` (an edit in
 * progress) is kept too and reopened after. Throws a RequestFailed when the
 * issuer cannot be reached (nothing is lost then).
 */
async function signIn(draft = null) {
  if (!signInOffered()) {
    throw new RequestFailed('Sign-in is not configured for this page.');
  }
  const endpoints = await discover();
  const verifier = randomString(32);
  const state = randomString(16);
  const challenge = base64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  const redirectUri = `${location.origin}/`;
  store(DRAFT_KEY, draft);
  store(PENDING_KEY, {
    state,
    verifier,
    redirectUri,
    tokenEndpoint: endpoints.token,
    returnTo: `${location.pathname}${location.search}`,
  });
  const url = new URL(endpoints.authorize);
  for (const [name, value] of Object.entries({
    response_type: 'code',
    client_id: AUTH.clientId,
    redirect_uri: redirectUri,
    scope: AUTH.scopes,
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  })) {
    url.searchParams.set(name, value);
  }
  location.assign(url.href);
}

/** Signs in from the masthead; a failure to reach the issuer is an alert. */
async function signInFromPage() {
  try {
    await signIn();
  } catch (error) {
    showAlert(error.message, signInFromPage);
  }
}

function signOut() {
  store(SESSION_KEY, null);
  store(DRAFT_KEY, null);
  drawAccount();
  redrawShelf();
  showStatus('Signed out. The shelf is read-only until you sign in.');
}

/**
 * The way back from the sign-in page (`/?code=…&state=…`, or `?error=…`): takes
 * the sign-in under way out of storage and puts the address back as it was before
 * signing in (no code left in the address or in history). Returns what the
 * exchange needs, or null when this load is not a way back.
 */
function takeSignInAnswer() {
  const params = new URLSearchParams(location.search);
  if (!params.has('state') || !(params.has('code') || params.has('error'))) {
    return null;
  }
  const pending = stored(PENDING_KEY);
  store(PENDING_KEY, null);
  history.replaceState(null, '', pending?.returnTo || '/');
  return { pending, params };
}

/** Exchanges the code for tokens (a public client: the PKCE verifier, no secret). */
async function finishSignIn({ pending, params }) {
  if (!pending || typeof pending.state !== 'string' || pending.state !== params.get('state')) {
    throw new RequestFailed('Sign-in failed: the answer did not come from a sign-in started on this page. Sign in again.');
  }
  if (params.has('error')) {
    const why = params.get('error_description') || params.get('error');
    throw new RequestFailed(`Sign-in did not complete (${why}).`);
  }
  const tokens = await fetchJson(pending.tokenEndpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: params.get('code'),
      redirect_uri: pending.redirectUri,
      client_id: AUTH.clientId,
      code_verifier: pending.verifier,
    }),
  }, 'Signing in');
  if (typeof tokens.access_token !== 'string') {
    throw new RequestFailed('Signing in failed: the sign-in service sent no access token.');
  }
  const access = jwtClaims(tokens.access_token);
  const id = typeof tokens.id_token === 'string' ? jwtClaims(tokens.id_token) : {};
  const name = [access.username, id['cognito:username'], id.preferred_username, id.name, id.email, access.sub, id.sub]
    .find((value) => typeof value === 'string' && value) || 'you';
  const scopes = typeof access.scope === 'string' ? access.scope.split(' ')
    : Array.isArray(access.scp) ? access.scp : typeof access.scp === 'string' ? access.scp.split(' ') : null;
  // The token's lifetime as the issuer states it, counted on this clock (a
  // wrong clock here must not make every token look expired); else its `exp`.
  const expiresAt = Number(tokens.expires_in) > 0 ? Date.now() + Number(tokens.expires_in) * 1000
    : Number(access.exp) > 0 ? Number(access.exp) * 1000 : Date.now() + 3_600_000;
  const session = {
    accessToken: tokens.access_token,
    idToken: typeof tokens.id_token === 'string' ? tokens.id_token : '',
    expiresAt,
    name,
    sub: access.sub || id.sub || '',
    // An issuer that states no scopes is taken at its word; the API still checks.
    canWrite: scopes === null || scopes.includes(WRITE_SCOPE),
  };
  store(SESSION_KEY, session);
  return session;
}

/** The masthead's account area: Sign in; or who is signed in, and Sign out. */
function drawAccount() {
  const session = currentSession();
  const box = $('account');
  if (!signInOffered()) {
    box.replaceChildren();
  } else if (session && !session.expired) {
    box.replaceChildren(
      h('span', { class: 'account-name', dataset: { testid: 'signed-in-as' } },
        'Signed in as ', h('strong', {}, session.name), session.canWrite ? null : ' (read only)'),
      h('button', { type: 'button', class: 'button quiet', onclick: signOut }, 'Sign out'),
    );
  } else {
    box.replaceChildren(...[
      session ? h('span', { class: 'account-name' }, `${session.name}, your session has expired.`) : null,
      h('button', { type: 'button', class: 'button', onclick: signInFromPage }, session ? 'Sign in again' : 'Sign in'),
      session ? h('button', { type: 'button', class: 'button quiet', onclick: signOut }, 'Sign out') : null,
    ].filter(Boolean));
  }
  $('add-book').hidden = !canWrite();
}

// ------------------------------------------------------------------ shelf

const shelf = {
  q: '', // the start of a title (GET /books?q=…)
  author: '',
  genre: '',
  limit: '25',
  cursors: [null], // the cursor of every page visited; the last is this page's
  nextCursor: null,
  books: [],
  failure: null, // why the books are not shown, when the last load failed
  drawn: false, // whether a load has drawn the shelf yet
  loads: 0, // only the newest load may draw the shelf
};

/** Reads the search, filter and page size from the address (`/?q=…&author=…&genre=…&limit=…`). */
function readAddress() {
  const params = new URLSearchParams(location.search);
  shelf.q = (params.get('q') || '').trim();
  shelf.author = (params.get('author') || '').trim();
  shelf.genre = (params.get('genre') || '').trim();
  shelf.limit = PAGE_SIZES.includes(params.get('limit')) ? params.get('limit') : '25';
  shelf.cursors = [null];
  $('filter-q').value = shelf.q;
  $('filter-author').value = shelf.author;
  $('filter-genre').value = shelf.genre;
  $('page-size').value = shelf.limit;
}

function writeAddress() {
  const params = new URLSearchParams();
  if (shelf.q) params.set('q', shelf.q);
  if (shelf.author) params.set('author', shelf.author);
  if (shelf.genre) params.set('genre', shelf.genre);
  if (shelf.limit !== '25') params.set('limit', shelf.limit);
  const query = params.toString();
  const url = query ? `/?${query}` : '/';
  if (url !== location.pathname + location.search) {
    history.pushState(null, '', url);
  }
}

/** Applies a search and filter (from the form or a click in the list) and shows its first page. */
function applyFilter({ q = shelf.q, author = shelf.author, genre = shelf.genre, limit = shelf.limit } = {}) {
  shelf.q = q.trim();
  shelf.author = author.trim();
  shelf.genre = genre.trim();
  shelf.limit = limit;
  shelf.cursors = [null];
  $('filter-q').value = shelf.q;
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
  if (shelf.q) params.set('q', shelf.q);
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
    drawShelf(null);
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

/** Draws the books held in `shelf`, or `failure` in their place (what a reload would show again). */
function drawShelf(failure = shelf.failure) {
  shelf.failure = failure;
  shelf.drawn = true;
  const writable = canWrite();
  const rows = shelf.books.map((book) => h('tr', { role: 'row', dataset: { testid: 'book-row', id: book.id } },
    h('th', { role: 'rowheader', scope: 'row', class: 'cell-title', 'data-label': 'Title' }, book.title),
    h('td', { role: 'cell', class: 'cell-author', 'data-label': 'Author' },
      filterLink(`Show only books by ${book.author}`, { author: book.author }, book.author)),
    h('td', { role: 'cell', class: 'cell-genre', 'data-label': 'Genre' },
      book.genre
        ? filterLink(`Show only books in ${book.genre}`, { genre: book.genre }, book.genre)
        : h('span', { class: 'muted', 'aria-label': 'no genre' }, '—')),
    h('td', { role: 'cell', class: 'cell-actions' },
      writable ? h('button', { type: 'button', class: 'button small', 'aria-label': `Edit ${book.title}`, onclick: () => openEdit(book) }, 'Edit') : null,
      h('button', { type: 'button', class: 'button small', 'aria-label': `History of ${book.title}`, onclick: () => openHistory(book) }, 'History'),
      writable ? h('button', { type: 'button', class: 'button small danger-quiet', 'aria-label': `Delete ${book.title}`, onclick: () => openDelete(book) }, 'Delete') : null,
    ),
  ));
  $('book-rows').replaceChildren(...rows);

  const filtered = shelf.q || shelf.author || shelf.genre;
  const message = $('shelf-message');
  if (failure) {
    message.textContent = failure;
    message.classList.add('is-error');
  } else if (rows.length === 0) {
    message.textContent = filtered
      ? 'No book matches this filter.'
      : writable ? 'The shelf is empty. Add a book to start it.' : 'The shelf is empty.';
    message.classList.remove('is-error');
  } else {
    message.textContent = '';
    message.classList.remove('is-error');
  }
  message.hidden = !message.textContent;
  document.querySelector('table.books').hidden = rows.length === 0;

  const parts = [];
  if (shelf.q) parts.push(`titles starting with ${quoted(shelf.q)}`);
  if (shelf.author) parts.push(`by ${shelf.author}`);
  if (shelf.genre) parts.push(`in ${shelf.genre}`);
  $('shelf-summary').textContent = failure ? '' : `${rows.length} ${rows.length === 1 ? 'book' : 'books'} on this page${parts.length ? ', ' + parts.join(', ') : ''}`;

  const pageNumber = shelf.cursors.length;
  $('page-number').textContent = `Page ${pageNumber}`;
  $('prev-page').disabled = pageNumber === 1;
  $('next-page').disabled = !shelf.nextCursor;
}

/** Draws the shelf again (signed in or out: other buttons), once it has been loaded. */
function redrawShelf() {
  if (shelf.drawn) drawShelf();
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
      applyFilter({ q: '', author: filter.author || '', genre: filter.genre || '' });
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

/**
 * The session is gone while editing: say so in the form, with a button that signs
 * in again and keeps the edit (its values, the version it started from, a
 * create's Idempotency-Key) to reopen it afterwards.
 */
function askToSignInForEdit(message) {
  showFormError(`${message} Sign in again to save: your changes are kept.`,
    signInAgainButton(null, (failure) => showFormError(failure)));
}

/** "Sign in again", keeping `draft` (or, when null, the book form as it is then). */
function signInAgainButton(draft, showFailure) {
  return h('button', {
    type: 'button',
    class: 'button primary',
    onclick: async () => {
      try {
        await signIn(draft || editorDraft());
      } catch (error) {
        showFailure(`${error.message} Nothing was lost: try again in a moment.`);
      }
    },
  }, 'Sign in again');
}

/** What the book form holds, to reopen it after signing in. */
function editorDraft() {
  return {
    kind: 'book',
    mode: editor.mode,
    id: editor.id,
    base: editor.base,
    sent: editor.sent,
    heading: $('book-dialog-title').textContent,
    label: $('save-book').textContent,
    fields: Object.fromEntries(FIELDS.map((field) => [field, $(`book-${field}`).value])),
  };
}

/** Reopens what was kept across signing in: the book form, or a delete to confirm. */
function restoreDraft(draft) {
  if (!draft || typeof draft !== 'object') return;
  const session = currentSession();
  const who = session && !sessionExpired(session)
    ? `You are signed in as ${session.name}.`
    : 'You are not signed in: saving will ask you to sign in again.';
  if (draft.kind === 'delete' && draft.book) {
    openDelete(draft.book);
    $('delete-error').replaceChildren(h('p', { class: 'form-note' }, `${who} Confirm the delete again.`));
    return;
  }
  if (draft.kind !== 'book' || (draft.mode === 'edit' && !(draft.base && draft.id))) return;
  Object.assign(editor, { mode: draft.mode, id: draft.id, base: draft.base, conflict: null, sent: draft.sent || null });
  clearFormErrors();
  hideConflict();
  for (const field of FIELDS) {
    $(`book-${field}`).value = (draft.fields && draft.fields[field]) || '';
  }
  $('book-dialog-title').textContent = draft.heading || (draft.mode === 'edit' ? `Edit ${quoted(draft.base.title)}` : 'Add a book');
  setEditorBusy(false, draft.label || (draft.mode === 'edit' ? 'Save changes' : 'Add book'));
  $('book-form-error').replaceChildren(h('p', { class: 'form-note' }, `${who} Your changes are back: save them when ready.`));
  $('book-dialog').showModal();
  $('book-title').focus();
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

/**
 * The longest text the API takes, in characters as it counts them: Unicode
 * scalar values after NFC and trimming (not UTF-16 units, which `maxlength`
 * would count: an emoji is two of those).
 */
const MAX_FIELD_CHARS = 250;

/** Field errors the API would answer for text over the limit, found before sending. */
function lengthErrors(fields) {
  const errors = [];
  for (const field of FIELDS) {
    const value = fields[field];
    if (typeof value !== 'string') continue;
    const length = [...value.normalize('NFC').trim()].length;
    if (length > MAX_FIELD_CHARS) {
      errors.push({ field, message: `must be at most ${MAX_FIELD_CHARS} characters, got ${length}` });
    }
  }
  return errors;
}

async function submitBook(event) {
  event.preventDefault();
  if (editor.busy || editor.conflict) return;
  clearFormErrors();
  const fields = readBookForm();
  const tooLong = lengthErrors(fields);
  if (tooLong.length) {
    showFieldErrors({ errors: tooLong });
    return;
  }
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
    const book = await write('POST', '/books', { body: fields, headers: { 'Idempotency-Key': editor.sent.key } });
    $('book-dialog').close();
    showStatus(`Added ${quoted(book.title)} by ${book.author}.`);
    loadShelf();
  } catch (error) {
    if (error.signIn) {
      askToSignInForEdit(`The book was not added. ${error.message}`);
    } else if (error.status === 422 && error.problem && error.problem.errors) {
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
    const book = await write('PUT', bookPath(editor.id), { body: fields, headers: ifMatch(version) });
    $('book-dialog').close();
    showStatus(`Saved ${quoted(book.title)} (version ${book.version}).`);
    loadShelf();
  } catch (error) {
    if (error.signIn) {
      askToSignInForEdit(`Your changes were not saved. ${error.message}`);
    } else if (error.status === 412) {
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
    await write('DELETE', bookPath(book.id), { headers: ifMatch(book.version) });
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
    } else if (error.signIn) {
      $('delete-error').replaceChildren(
        h('p', {}, `The book was not deleted. ${error.message} Sign in again, then confirm the delete.`),
        signInAgainButton({ kind: 'delete', book }, (message) => {
          $('delete-error').replaceChildren(h('p', {}, message));
        }),
      );
      $('confirm-delete').disabled = false;
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
    entry.by && entry.by.name
      ? [' · by ', h('span', { class: 'history-by', title: entry.by.sub || null, dataset: { testid: 'history-by' } }, entry.by.name)]
      : null,
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

async function start() {
  $('add-book').addEventListener('click', openAdd);
  $('filter-form').addEventListener('submit', (event) => {
    event.preventDefault();
    applyFilter({ q: $('filter-q').value, author: $('filter-author').value, genre: $('filter-genre').value, limit: $('page-size').value });
  });
  $('clear-filter').addEventListener('click', () => applyFilter({ q: '', author: '', genre: '' }));
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

  // Back from the sign-in page: the address is put back first, so that the
  // shelf loads with its filter while the code is exchanged.
  // An edit kept across signing in comes back once, whether the sign-in
  // completed or the person came back without it (Back on the sign-in page).
  const answer = takeSignInAnswer();
  const draft = stored(DRAFT_KEY);
  store(DRAFT_KEY, null);
  window.addEventListener('pageshow', (event) => {
    // Back to this very page (the back/forward cache): it still has the edit open.
    if (event.persisted) store(DRAFT_KEY, null);
  });
  drawAccount();
  readAddress();
  loadShelf();
  if (answer) {
    try {
      const session = await finishSignIn(answer);
      showStatus(`Signed in as ${session.name}.`);
    } catch (error) {
      showAlert(error.message, signInFromPage);
    }
    drawAccount();
    redrawShelf();
  }
  restoreDraft(draft);
}

start();
