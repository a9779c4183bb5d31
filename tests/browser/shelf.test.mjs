// Browser tests of the bookshelf web page (`GET /`, functions/web-page):
// Playwright (`playwright-core`) drives Debian's chromium, headless, against the
// local runner (`bookshelf-local serve`), which this file starts on a free port
// over the DynamoDB Local that `bookshelf-local with-dynamodb` started for it,
// with a table of its own. Every test makes its own books (their authors carry
// this run's id), so tests do not see each other's data.
//
// Writes need a token: the tests seed books with a machine token from the
// runner's development identity provider (client credentials), and the page
// signs in through that provider's sign-in page (a button per development user)
// before it adds, edits or deletes.
//
//   make browser-test          builds everything, then runs:
//   cargo run -q -p bookshelf-local -- with-dynamodb -- node --test tests/browser/*.test.mjs
//
// Kept in test-artifacts/ (git-ignored): shelf.png and shelf-phone.png (the
// shelf on a laptop and on a phone), signed-out.png, conflict.png, history.png,
// history-by.png, session-expired.png and failed-request.png, and runner.log
// (the local runner's output).

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const ARTIFACTS = path.join(ROOT, 'test-artifacts');
const RUNNER = path.join(path.resolve(ROOT, process.env.CARGO_TARGET_DIR || 'target'), 'debug', 'bookshelf-local');
const READY = 'Bookshelf local API listening on http://127.0.0.1:';
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
/** This run's id: in the table's name and in every author the tests make up. */
const RUN = randomUUID().slice(0, 8);
const LAPTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const TEST_TIMEOUT_MS = 90_000;

let runner; // the local runner's process
let baseUrl; // http://127.0.0.1:<port>
let context; // the browser
let userDataDir;
let token; // a write token of the development provider's machine client

// ------------------------------------------------------------------ set-up

before(async () => {
  const endpoint = process.env.DYNAMODB_ENDPOINT;
  if (!endpoint) {
    throw new Error('DYNAMODB_ENDPOINT is not set: run these tests through `make browser-test` '
      + '(or `bookshelf-local with-dynamodb -- node --test tests/browser/*.test.mjs`)');
  }
  await mkdir(ARTIFACTS, { recursive: true });
  baseUrl = await startRunner(endpoint);
  token = await machineToken();
  userDataDir = await mkdtemp(path.join(tmpdir(), 'bookshelf-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: LAPTOP,
    locale: 'en-GB',
    timezoneId: 'UTC',
    colorScheme: 'light',
  });
  context.setDefaultTimeout(15_000);
});

after(async () => {
  await context?.close().catch(() => {});
  await stopRunner();
  if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
});

/** Starts `bookshelf-local serve` on a free port; resolves with its base URL once it is ready. */
function startRunner(endpoint) {
  const log = createWriteStream(path.join(ARTIFACTS, 'runner.log'));
  runner = spawn(RUNNER, [
    'serve', '--no-build', '--port', '0',
    '--dynamodb-endpoint', endpoint,
    '--table-suffix', `-browser-${RUN}`,
  ], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  runner.stderr.pipe(log);
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail('did not get ready within 120 s'), 120_000);
    function fail(why) {
      clearTimeout(timer);
      reject(new Error(`the local runner (${RUNNER}) ${why}; its output:\n${output.slice(-4000)}`
        + '\n(see test-artifacts/runner.log for its stderr)'));
    }
    runner.on('error', (error) => fail(`could not start: ${error.message}`));
    runner.on('exit', (code, signal) => fail(`exited (${signal || code}) before it was ready`));
    runner.stdout.on('data', (chunk) => {
      log.write(chunk);
      output += chunk;
      const line = output.split('\n').find((l) => l.startsWith(READY));
      if (line) {
        clearTimeout(timer);
        resolve(`http://127.0.0.1:${Number.parseInt(line.slice(READY.length), 10)}`);
      }
    });
  });
}

async function stopRunner() {
  if (!runner || runner.exitCode !== null || runner.signalCode !== null) return;
  const exited = new Promise((resolve) => runner.once('exit', resolve));
  runner.kill('SIGTERM');
  const timer = setTimeout(() => runner.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

// ---------------------------------------------------------------- helpers

/** A write token from the development provider (client credentials, the documented credentials). */
async function machineToken() {
  const response = await fetch(`${baseUrl}/_local/idp/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from('bookshelf-local:bookshelf-local-secret').toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
  });
  assert.equal(response.status, 200, await response.clone().text());
  return (await response.json()).access_token;
}

/**
 * Calls the JSON API directly (to seed books, or to change one behind the page's
 * back); writes carry the machine token unless `anonymous`.
 */
async function api(method, urlPath, { body, headers = {}, anonymous = false } = {}) {
  const init = { method, headers: { ...headers } };
  if (method !== 'GET' && !anonymous) init.headers.authorization ??= `Bearer ${token}`;
  if (body !== undefined) {
    init.headers['content-type'] ??= 'application/json';
    init.body = JSON.stringify(body);
  }
  const response = await fetch(baseUrl + urlPath, init);
  const text = await response.text();
  const json = /json/.test(response.headers.get('content-type') || '') && text ? JSON.parse(text) : null;
  return { status: response.status, headers: response.headers, text, json };
}

async function seed(title, author, genre = null) {
  const { status, json } = await api('POST', '/books', { body: { title, author, genre } });
  assert.equal(status, 201, JSON.stringify(json));
  return json;
}

/** Retries `check` (which throws until things are as expected) for up to `timeout` ms. */
async function eventually(check, timeout = 10_000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

/**
 * A fresh tab on the page, signed in as `user` (through the development
 * provider's sign-in page) unless `user` is null. It fails the test if the page
 * throws, breaks its Content-Security-Policy, or asks anything of another origin.
 */
async function openPage(t, query = '', { user = 'alice' } = {}) {
  const page = await newGuardedPage(t);
  const response = await page.goto(`${baseUrl}/${query}`);
  assert.equal(response.status(), 200);
  await shelfLoaded(page);
  if (user) await signIn(page, user);
  return page;
}

/** A fresh tab that fails the test if it throws, breaks its CSP, or reaches another origin. */
async function newGuardedPage(t) {
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy|Refused to/i.test(message.text())) {
      problems.push(`CSP: ${message.text()}`);
    }
  });
  page.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith(`${baseUrl}/`) && !url.startsWith('data:')) {
      problems.push(`request to another origin: ${url}`);
    }
  });
  t.after(async () => {
    await page.close();
    assert.deepEqual(problems, []);
  });
  return page;
}

/**
 * Signs in from the masthead (or from `button`, e.g. "Sign in again" in a
 * dialog): the development provider's page, its button for `user`, and back.
 */
async function signIn(page, user = 'alice', button = page.getByTestId('account').getByRole('button', { name: 'Sign in', exact: true })) {
  await button.click();
  await page.waitForURL((url) => url.pathname === '/_local/idp/authorize');
  await page.getByRole('button', { name: `Sign in as ${user}` }).click();
  await page.waitForURL((url) => url.pathname === '/' && !url.searchParams.has('code') && !url.searchParams.has('state'));
  await page.getByTestId('signed-in-as').filter({ hasText: user }).waitFor();
  await shelfLoaded(page);
}

/** Changes the page's stored session (sessionStorage) by merging `patch` into it. */
async function patchSession(page, patch) {
  await page.evaluate((fields) => {
    const session = JSON.parse(sessionStorage.getItem('bookshelf.session'));
    sessionStorage.setItem('bookshelf.session', JSON.stringify({ ...session, ...fields }));
  }, patch);
}

/** Waits until the shelf is not loading. */
async function shelfLoaded(page) {
  await page.locator('#shelf-body[aria-busy="false"]').waitFor();
}

const rows = (page) => page.getByTestId('book-row');
const rowOf = (page, title) => rows(page).filter({ has: page.getByRole('rowheader', { name: title, exact: true }) });

/** The books shown, as [title, author, genre] triples. */
async function shelfContents(page) {
  await shelfLoaded(page);
  return rows(page).evaluateAll((trs) => trs.map((tr) => [
    tr.querySelector('.cell-title').textContent,
    tr.querySelector('.cell-author').textContent,
    tr.querySelector('.cell-genre').textContent,
  ]));
}

async function titlesShown(page) {
  return (await shelfContents(page)).map(([title]) => title);
}

async function filterBy(page, { author = '', genre = '' }) {
  const search = page.getByRole('search');
  await search.getByLabel('Author').fill(author);
  await search.getByLabel('Genre').fill(genre);
  await page.getByRole('button', { name: 'Filter', exact: true }).click();
  await shelfLoaded(page);
}

async function fillBook(page, { title, author, genre }) {
  const dialog = page.getByTestId('book-dialog');
  if (title !== undefined) await dialog.getByLabel('Title').fill(title);
  if (author !== undefined) await dialog.getByLabel('Author').fill(author);
  if (genre !== undefined) await dialog.getByLabel('Genre').fill(genre);
}

// ------------------------------------------------------------------ tests

test('the shelf lists the books sorted by title, on a laptop and on a phone', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  // Runs first, on an empty table: the screenshots show exactly these books.
  const books = [
    ['The Left Hand of Darkness', 'Ursula K. Le Guin', 'Science fiction'],
    ['Kindred', 'Octavia E. Butler', 'Science fiction'],
    ['Beloved', 'Toni Morrison', 'Literary fiction'],
    ['A Wizard of Earthsea', 'Ursula K. Le Guin', 'Fantasy'],
    ['Middlemarch', 'George Eliot', null],
    ['The Name of the Rose', 'Umberto Eco', 'Mystery'],
    ['Things Fall Apart', 'Chinua Achebe', 'Literary fiction'],
    ['Dune', 'Frank Herbert', 'Science fiction'],
    ['The Dispossessed', 'Ursula K. Le Guin', 'Science fiction'],
  ];
  for (const [title, author, genre] of books) await seed(title, author, genre);

  const page = await openPage(t);
  // Reloaded: the session stays (sessionStorage), and no "Signed in" message is left in the picture.
  await page.reload();
  await shelfLoaded(page);
  assert.equal(await page.getByTestId('signed-in-as').textContent(), 'Signed in as alice');
  const sorted = books.map(([title, author, genre]) => [title, author, genre ?? '—'])
    .sort(([a], [b]) => a.toLowerCase().localeCompare(b.toLowerCase()));
  assert.deepEqual(await shelfContents(page), sorted);
  assert.equal(await page.getByTestId('page-number').textContent(), 'Page 1');
  assert.equal(await page.getByRole('button', { name: 'Next page' }).isDisabled(), true);
  assert.equal(await page.getByRole('button', { name: 'Previous page' }).isDisabled(), true);
  assert.equal(await page.title(), 'Bookshelf');
  await page.screenshot({ path: path.join(ARTIFACTS, 'shelf.png') });

  await page.setViewportSize(PHONE);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.equal(overflow, 0, 'nothing is wider than a phone');
  const edit = page.getByRole('button', { name: 'Edit Dune', exact: true });
  const box = await edit.boundingBox();
  assert.ok(box.height >= 32 && box.width >= 44, `buttons are big enough to tap: ${JSON.stringify(box)}`);
  await page.screenshot({ path: path.join(ARTIFACTS, 'shelf-phone.png'), fullPage: true });
});

test('the page is served with its security headers, and only from its own function', { timeout: TEST_TIMEOUT_MS }, async () => {
  const page = await api('GET', '/');
  assert.equal(page.status, 200);
  assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8');
  assert.match(page.headers.get('content-security-policy'), /^default-src 'self';/);
  assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
  const missing = await api('GET', '/assets/nope.js');
  assert.equal(missing.status, 404);
  assert.equal(missing.headers.get('content-type'), 'application/problem+json');
  assert.equal(missing.json.type, 'urn:bookshelf:problem:not-found');
  assert.equal(missing.json.instance, '/assets/nope.js');
});

test('add a book: field errors next to their fields, then the book is listed', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const author = `Ada Writer ${RUN}`;
  const page = await openPage(t);
  await page.getByRole('button', { name: 'Add a book' }).click();
  const dialog = page.getByTestId('book-dialog');
  await dialog.waitFor();

  // Nothing filled in: the API's 422 names both fields, and each error shows under its field.
  await fillBook(page, { title: '   ', genre: '' });
  await dialog.getByRole('button', { name: 'Add book' }).click();
  await page.getByTestId('title-error').waitFor();
  assert.match(await page.getByTestId('title-error').textContent(), /Title must not be empty/);
  assert.match(await page.getByTestId('author-error').textContent(), /Author must not be empty/);
  assert.equal(await page.getByTestId('genre-error').isVisible(), false);
  assert.equal(await dialog.getByLabel('Title').getAttribute('aria-invalid'), 'true');
  assert.equal(await dialog.getByLabel('Genre').getAttribute('aria-invalid'), null);

  await fillBook(page, { title: 'The Analytical Engine', author, genre: 'Computing' });
  await dialog.getByRole('button', { name: 'Add book' }).click();
  await dialog.waitFor({ state: 'hidden' });
  assert.match(await page.getByTestId('status').textContent(), /Added “The Analytical Engine”/);
  await eventually(async () => {
    const shown = await shelfContents(page);
    assert.ok(shown.some(([title, a, genre]) => title === 'The Analytical Engine' && a === author && genre === 'Computing'), JSON.stringify(shown));
  });

  const stored = await api('GET', `/books?author=${encodeURIComponent(author)}`);
  assert.deepEqual(stored.json.items.map((b) => [b.title, b.genre, b.version]), [['The Analytical Engine', 'Computing', 1]]);
});

test('the page counts characters as the API does: 250 emoji fit, 251 are refused before sending', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const author = `Emoji Writer ${RUN}`;
  const page = await openPage(t);
  await page.getByRole('button', { name: 'Add a book' }).click();
  const dialog = page.getByTestId('book-dialog');
  await dialog.waitFor();
  // 251 emoji are 502 UTF-16 units: the page says so under the field and sends nothing.
  await fillBook(page, { title: '📚'.repeat(251), author, genre: '' });
  await dialog.getByRole('button', { name: 'Add book' }).click();
  await page.getByTestId('title-error').waitFor();
  assert.match(await page.getByTestId('title-error').textContent(), /at most 250 characters, got 251/);
  assert.equal((await api('GET', `/books?author=${encodeURIComponent(author)}`)).json.items.length, 0);
  // 250 emoji (500 UTF-16 units, 250 characters) can be typed and are saved whole.
  await fillBook(page, { title: '📚'.repeat(250), author, genre: '' });
  await dialog.getByRole('button', { name: 'Add book' }).click();
  await dialog.waitFor({ state: 'hidden' });
  const stored = await api('GET', `/books?author=${encodeURIComponent(author)}`);
  assert.equal(stored.json.items.length, 1);
  assert.equal([...stored.json.items[0].title].length, 250);
});

test('filter by author and by genre', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const ann = `Ann Poet ${RUN}`;
  const bo = `Bo Essayist ${RUN}`;
  const poetry = `Poetry ${RUN}`;
  const essays = `Essays ${RUN}`;
  await seed('Odes', ann, poetry);
  await seed('Notes', ann, essays);
  await seed('Sonnets', bo, poetry);
  const page = await openPage(t, '', { user: null });

  await filterBy(page, { author: ann });
  assert.deepEqual(await shelfContents(page), [['Notes', ann, essays], ['Odes', ann, poetry]]);
  assert.equal(new URL(page.url()).searchParams.get('author'), ann, 'the filter is in the address');

  await filterBy(page, { genre: poetry });
  assert.deepEqual(await titlesShown(page), ['Odes', 'Sonnets']);

  await filterBy(page, { author: ann, genre: poetry });
  assert.deepEqual(await titlesShown(page), ['Odes']);

  await filterBy(page, { author: `Nobody ${RUN}` });
  assert.deepEqual(await titlesShown(page), []);
  assert.match(await page.getByTestId('shelf-message').textContent(), /No book matches/);

  // An author in the list is a link that filters by them.
  await page.getByRole('button', { name: 'Clear' }).click();
  await shelfLoaded(page);
  await filterBy(page, { genre: poetry });
  await rowOf(page, 'Sonnets').getByRole('link', { name: bo }).click();
  await eventually(async () => assert.deepEqual(await titlesShown(page), ['Sonnets']));
  assert.equal(await page.getByRole('search').getByLabel('Author').inputValue(), bo);
  assert.equal(await page.getByRole('search').getByLabel('Genre').inputValue(), '');

  // The address keeps the filter: a reload shows the same books.
  await page.reload();
  await shelfLoaded(page);
  assert.deepEqual(await titlesShown(page), ['Sonnets']);
});

test('search titles by their start, ignoring case and accents, with a filter or without', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const author = `Searcher ${RUN}`;
  const other = `Other ${RUN}`;
  await seed(`Éclair ${RUN}`, author, null);
  await seed(`eclipse ${RUN}`, other, null);
  await seed(`Ecology ${RUN}`, author, null);
  const page = await openPage(t, '', { user: null });
  const search = page.getByRole('search');

  await search.getByLabel('Title starts with').fill(`ECLAIR ${RUN}`);
  await page.getByRole('button', { name: 'Filter', exact: true }).click();
  await eventually(async () => assert.deepEqual(await titlesShown(page), [`Éclair ${RUN}`]));
  assert.equal(new URL(page.url()).searchParams.get('q'), `ECLAIR ${RUN}`, 'the search is in the address');
  assert.match(await page.getByTestId('summary').textContent(), /titles starting with “ECLAIR/);

  // With an author: only theirs.
  await search.getByLabel('Title starts with').fill('Écl');
  await search.getByLabel('Author').fill(author);
  await page.getByRole('button', { name: 'Filter', exact: true }).click();
  await eventually(async () => assert.deepEqual(await titlesShown(page), [`Éclair ${RUN}`]));

  // A reload keeps the search; Clear drops it.
  await page.reload();
  await shelfLoaded(page);
  assert.deepEqual(await titlesShown(page), [`Éclair ${RUN}`]);
  assert.equal(await search.getByLabel('Title starts with').inputValue(), 'Écl');
  await page.getByRole('button', { name: 'Clear' }).click();
  await shelfLoaded(page);
  assert.equal(await search.getByLabel('Title starts with').inputValue(), '');
  assert.equal(new URL(page.url()).searchParams.get('q'), null);
});

test('page through a long shelf', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const author = `Prolific ${RUN}`;
  const titles = Array.from({ length: 13 }, (_, i) => `Volume ${String(i + 1).padStart(2, '0')}`);
  await Promise.all(titles.map((title) => seed(title, author, 'Series')));
  const page = await openPage(t, '', { user: null });
  await page.getByLabel('Per page').selectOption('10');
  await shelfLoaded(page);
  await filterBy(page, { author });

  const next = page.getByRole('button', { name: 'Next page' });
  const previous = page.getByRole('button', { name: 'Previous page' });
  assert.deepEqual(await titlesShown(page), titles.slice(0, 10));
  assert.equal(await previous.isDisabled(), true);
  assert.equal(await page.getByTestId('page-number').textContent(), 'Page 1');

  await next.click();
  await eventually(async () => assert.deepEqual(await titlesShown(page), titles.slice(10)));
  assert.equal(await page.getByTestId('page-number').textContent(), 'Page 2');
  assert.equal(await next.isDisabled(), true);

  await previous.click();
  await eventually(async () => assert.deepEqual(await titlesShown(page), titles.slice(0, 10)));
  assert.equal(await page.getByTestId('page-number').textContent(), 'Page 1');
  assert.equal(await previous.isDisabled(), true);
});

test('edit a book', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const author = `Editor ${RUN}`;
  const book = await seed('Frankenstien', author, 'Horror');
  const page = await openPage(t, `?author=${encodeURIComponent(author)}`);
  await rowOf(page, 'Frankenstien').getByRole('button', { name: 'Edit Frankenstien' }).click();
  const dialog = page.getByTestId('book-dialog');
  await dialog.waitFor();
  assert.equal(await dialog.getByLabel('Title').inputValue(), 'Frankenstien');

  // A blank author is refused next to the field; nothing is saved.
  await fillBook(page, { author: '' });
  await dialog.getByRole('button', { name: 'Save changes' }).click();
  await page.getByTestId('author-error').waitFor();
  assert.equal((await api('GET', `/books/${book.id}`)).json.version, 1);

  await fillBook(page, { title: 'Frankenstein', author, genre: 'Gothic fiction' });
  await dialog.getByRole('button', { name: 'Save changes' }).click();
  await dialog.waitFor({ state: 'hidden' });
  await eventually(async () => assert.deepEqual(await shelfContents(page), [['Frankenstein', author, 'Gothic fiction']]));
  const stored = await api('GET', `/books/${book.id}`);
  assert.equal(stored.json.version, 2);
  assert.equal(stored.headers.get('etag'), '"2"');
});

test('a stale edit is shown as a conflict with the newer version, never saved over it', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const author = `Contested ${RUN}`;
  const book = await seed('The Hobbit', author, 'Fantasy');
  const page = await openPage(t, `?author=${encodeURIComponent(author)}`);
  const dialog = page.getByTestId('book-dialog');
  const conflict = page.getByTestId('conflict');

  // Open the edit (version 1), then someone else changes the genre (version 2).
  await page.getByRole('button', { name: 'Edit The Hobbit', exact: true }).click();
  await dialog.waitFor();
  const patched = await api('PATCH', `/books/${book.id}`, {
    body: { genre: 'Children’s fantasy' },
    headers: { 'content-type': 'application/merge-patch+json' },
  });
  assert.equal(patched.json.version, 2);

  // Saving the stale edit answers 412: the page shows the conflict, nothing is saved.
  await fillBook(page, { title: 'The Hobbit, or There and Back Again' });
  await dialog.getByRole('button', { name: 'Save changes' }).click();
  await conflict.waitFor();
  assert.match(await conflict.textContent(), /you started from version 1, the shelf now has version 2/);
  const genreRow = conflict.locator('tr[data-field="genre"]');
  assert.match(await genreRow.textContent(), /Children’s fantasy/);
  const titleRow = conflict.locator('tr[data-field="title"]');
  assert.match(await titleRow.textContent(), /The Hobbit, or There and Back Again/);
  assert.equal((await api('GET', `/books/${book.id}`)).json.title, 'The Hobbit');
  await page.screenshot({ path: path.join(ARTIFACTS, 'conflict.png') });

  // Applying puts the new title on top of version 2: their genre stays.
  await conflict.getByRole('button', { name: 'Apply my changes to version 2' }).click();
  await dialog.waitFor({ state: 'hidden' });
  let stored = (await api('GET', `/books/${book.id}`)).json;
  assert.deepEqual([stored.title, stored.genre, stored.version], ['The Hobbit, or There and Back Again', 'Children’s fantasy', 3]);
  await eventually(async () => assert.deepEqual(await shelfContents(page), [['The Hobbit, or There and Back Again', author, 'Children’s fantasy']]));

  // Another conflict, discarded this time: the newer version stays as it is.
  await page.getByRole('button', { name: 'Edit The Hobbit, or There and Back Again', exact: true }).click();
  await dialog.waitFor();
  await api('PUT', `/books/${book.id}`, {
    body: { title: 'The Hobbit', author, genre: 'Fantasy' },
    headers: { 'if-match': '"3"' },
  });
  await fillBook(page, { genre: 'Adventure' });
  await dialog.getByRole('button', { name: 'Save changes' }).click();
  await conflict.waitFor();
  await conflict.getByRole('button', { name: 'Discard my changes' }).click();
  await dialog.waitFor({ state: 'hidden' });
  stored = (await api('GET', `/books/${book.id}`)).json;
  assert.deepEqual([stored.title, stored.genre, stored.version], ['The Hobbit', 'Fantasy', 4]);
  await eventually(async () => assert.deepEqual(await shelfContents(page), [['The Hobbit', author, 'Fantasy']]));
});

test('delete a book only after confirming', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const author = `Ephemeral ${RUN}`;
  const book = await seed('Pamphlet', author, null);
  const page = await openPage(t, `?author=${encodeURIComponent(author)}`);
  const confirm = page.getByTestId('delete-dialog');

  await page.getByRole('button', { name: 'Delete Pamphlet' }).click();
  await confirm.waitFor();
  assert.match(await confirm.textContent(), /“Pamphlet” by Ephemeral/);
  await confirm.getByRole('button', { name: 'Keep it' }).click();
  await confirm.waitFor({ state: 'hidden' });
  assert.equal((await api('GET', `/books/${book.id}`)).status, 200, 'cancelling deletes nothing');
  assert.deepEqual(await titlesShown(page), ['Pamphlet']);

  await page.getByRole('button', { name: 'Delete Pamphlet' }).click();
  await confirm.getByRole('button', { name: 'Delete', exact: true }).click();
  await confirm.waitFor({ state: 'hidden' });
  await eventually(async () => assert.deepEqual(await titlesShown(page), []));
  assert.match(await page.getByTestId('status').textContent(), /Deleted “Pamphlet”/);
  assert.equal((await api('GET', `/books/${book.id}`)).status, 404);
});

test('open a book’s change history, newest first', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const author = `Chronicler ${RUN}`;
  const book = await seed('Annals', author, 'History');
  const mergePatch = { 'content-type': 'application/merge-patch+json' };
  await api('PATCH', `/books/${book.id}`, { body: { genre: 'Chronicle' }, headers: mergePatch });
  await api('PATCH', `/books/${book.id}`, { body: { title: 'The Annals' }, headers: mergePatch });
  const page = await openPage(t, `?author=${encodeURIComponent(author)}`, { user: null });

  await page.getByRole('button', { name: 'History of The Annals' }).click();
  const history = page.getByTestId('history-dialog');
  await history.waitFor();
  // The stream writes the entries a moment after each write; the page polls until they are there.
  const entries = history.getByTestId('history-entry');
  await eventually(async () => {
    const shown = await entries.evaluateAll((lis) => lis.map((li) => [li.dataset.event, li.dataset.version]));
    assert.deepEqual(shown, [['updated', '3'], ['updated', '2'], ['created', '1']]);
  }, 15_000);
  assert.match(await entries.nth(0).textContent(), /Title: Annals → The Annals/);
  assert.match(await entries.nth(1).textContent(), /Genre: History → Chronicle/);
  assert.match(await entries.nth(2).textContent(), /TitleAnnals/);
  await page.screenshot({ path: path.join(ARTIFACTS, 'history.png') });
  await history.getByRole('button', { name: 'Close' }).click();
  await history.waitFor({ state: 'hidden' });
});

test('a failed request says so, and can be retried', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const page = await newGuardedPage(t);
  const isList = (url) => url.pathname === '/books';
  await page.route(isList, (route) => route.fulfill({
    status: 503,
    contentType: 'application/problem+json',
    headers: { 'retry-after': '1' },
    body: JSON.stringify({
      type: 'urn:bookshelf:problem:service-unavailable',
      title: 'Service unavailable',
      status: 503,
      detail: 'the book store is unavailable, retry later',
      instance: '/books',
      requestId: 'req-browser-test',
    }),
  }));
  await page.goto(`${baseUrl}/`);
  const alert = page.getByTestId('alert');
  await alert.getByText('Could not load the books').waitFor();
  assert.match(await alert.textContent(), /503.*the book store is unavailable, retry later \(request req-browser-test\)/);
  assert.match(await page.getByTestId('shelf-message').textContent(), /could not be loaded/);
  await page.screenshot({ path: path.join(ARTIFACTS, 'failed-request.png') });

  // No answer at all (the network is down) is said too.
  await page.unroute(isList);
  await page.route(isList, (route) => route.abort('internetdisconnected'));
  await alert.getByRole('button', { name: 'Try again' }).click();
  await alert.getByText('the server could not be reached').waitFor();

  // Once the API answers again, Try again shows the books and the alert goes.
  await page.unroute(isList);
  await alert.getByRole('button', { name: 'Try again' }).click();
  await rows(page).first().waitFor();
  assert.equal(await alert.textContent(), '');
});

test('signed out, the shelf is read-only: no add, edit or delete', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const author = `Onlooker ${RUN}`;
  await seed('Walden', author, 'Essays');
  const page = await openPage(t, `?author=${encodeURIComponent(author)}`, { user: null });
  assert.deepEqual(await titlesShown(page), ['Walden']);
  const account = page.getByTestId('account');
  assert.equal(await account.getByRole('button', { name: 'Sign in', exact: true }).isVisible(), true);
  assert.equal(await account.innerText(), 'Sign in');
  assert.equal(await page.getByRole('button', { name: 'Add a book' }).isVisible(), false);
  const row = rowOf(page, 'Walden');
  assert.equal(await row.getByRole('button', { name: 'Edit Walden' }).count(), 0);
  assert.equal(await row.getByRole('button', { name: 'Delete Walden' }).count(), 0);
  assert.equal(await row.getByRole('button', { name: 'History of Walden' }).isVisible(), true, 'history stays open to all');
  await page.screenshot({ path: path.join(ARTIFACTS, 'signed-out.png') });

  // The API agrees: a write without a token changes nothing.
  const refused = await api('POST', '/books', { body: { title: 'x', author }, anonymous: true });
  assert.equal(refused.status, 401);
  assert.deepEqual(refused.json, { message: 'Unauthorized' });
});

test('signing in shows who is signed in and the write controls; signing out hides them', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const author = `Visitor ${RUN}`;
  await seed('Emma', author, 'Novel');
  const page = await openPage(t, `?author=${encodeURIComponent(author)}`, { user: null });
  await signIn(page, 'bob');
  assert.equal(await page.getByTestId('signed-in-as').textContent(), 'Signed in as bob');
  // The address came back as it was (the filter), without the code or state.
  const url = new URL(page.url());
  assert.deepEqual([...url.searchParams.keys()], ['author']);
  assert.deepEqual(await titlesShown(page), ['Emma']);
  assert.equal(await page.getByRole('button', { name: 'Add a book' }).isVisible(), true);
  assert.equal(await rowOf(page, 'Emma').getByRole('button', { name: 'Edit Emma' }).isVisible(), true);
  // The tokens are in sessionStorage, never in a cookie.
  assert.deepEqual(await context.cookies(baseUrl), []);
  assert.ok(await page.evaluate(() => JSON.parse(sessionStorage.getItem('bookshelf.session')).accessToken));

  // A reload keeps the session (same tab).
  await page.reload();
  await shelfLoaded(page);
  await page.getByTestId('signed-in-as').filter({ hasText: 'bob' }).waitFor();

  await page.getByTestId('account').getByRole('button', { name: 'Sign out' }).click();
  await page.getByTestId('account').getByRole('button', { name: 'Sign in', exact: true }).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Add a book' }).isVisible(), false);
  assert.equal(await rowOf(page, 'Emma').getByRole('button', { name: 'Edit Emma' }).count(), 0);
  assert.equal(await page.evaluate(() => sessionStorage.getItem('bookshelf.session')), null);
});

test('a user without the write scope is signed in read-only', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const author = `Browser ${RUN}`;
  await seed('Ulysses', author, 'Novel');
  const page = await openPage(t, `?author=${encodeURIComponent(author)}`, { user: 'reader' });
  assert.equal(await page.getByTestId('signed-in-as').textContent(), 'Signed in as reader (read only)');
  assert.equal(await page.getByRole('button', { name: 'Add a book' }).isVisible(), false);
  assert.equal(await rowOf(page, 'Ulysses').getByRole('button', { name: 'Edit Ulysses' }).count(), 0);
});

test('the history says who made each change', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const author = `Witnessed ${RUN}`;
  const book = await seed('Persuasion', author, 'Novel');
  const page = await openPage(t, `?author=${encodeURIComponent(author)}`, { user: 'bob' });
  const dialog = page.getByTestId('book-dialog');
  await page.getByRole('button', { name: 'Edit Persuasion', exact: true }).click();
  await dialog.waitFor();
  await fillBook(page, { genre: 'Romance' });
  await dialog.getByRole('button', { name: 'Save changes' }).click();
  await dialog.waitFor({ state: 'hidden' });

  // What the API records, then what the page shows of it.
  const recorded = await eventually(async () => {
    const { json } = await api('GET', `/books/${book.id}/history`);
    assert.equal(json.items.length, 2, JSON.stringify(json));
    return json.items;
  }, 15_000);
  assert.deepEqual(recorded[0].by, { sub: 'local-user-bob', name: 'bob' });
  await page.getByRole('button', { name: 'History of Persuasion' }).click();
  const history = page.getByTestId('history-dialog');
  const entries = history.getByTestId('history-entry');
  await eventually(async () => assert.equal(await entries.count(), 2), 15_000);
  assert.equal(await entries.nth(0).getByTestId('history-by').textContent(), 'bob');
  assert.match(await entries.nth(0).textContent(), /Updated · version 2 · .* · by bob/);
  assert.equal(await entries.nth(1).getByTestId('history-by').textContent(), recorded[1].by.name, 'the seed, by the machine client');
  await page.screenshot({ path: path.join(ARTIFACTS, 'history-by.png') });
});

test('an expired session asks to sign in again, and the edit in progress survives', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const author = `Interrupted ${RUN}`;
  const book = await seed('Mansfeld Park', author, 'Novel');
  const query = `?author=${encodeURIComponent(author)}&limit=10`;
  const page = await openPage(t, query);
  const dialog = page.getByTestId('book-dialog');
  await page.getByRole('button', { name: 'Edit Mansfeld Park', exact: true }).click();
  await dialog.waitFor();
  await fillBook(page, { title: 'Mansfield Park', genre: 'Classic' });

  // The token's time is up while the form is open: nothing is sent, sign in is asked.
  await patchSession(page, { expiresAt: Date.now() - 1000 });
  await dialog.getByRole('button', { name: 'Save changes' }).click();
  const formError = page.getByTestId('form-error');
  await formError.getByText('Your session has expired').waitFor();
  assert.match(await formError.textContent(), /your changes are kept/);
  assert.equal((await api('GET', `/books/${book.id}`)).json.version, 1, 'nothing was saved');
  await page.getByTestId('account').getByText('your session has expired').waitFor({ state: 'attached' });
  assert.equal(await page.getByTestId('account').textContent(), 'alice, your session has expired.Sign in againSign out');
  await page.screenshot({ path: path.join(ARTIFACTS, 'session-expired.png') });

  // Sign in again (as someone else, even): the edit comes back, on the same shelf.
  await signIn(page, 'bob', formError.getByRole('button', { name: 'Sign in again' }));
  await dialog.waitFor();
  assert.equal(await dialog.getByLabel('Title').inputValue(), 'Mansfield Park');
  assert.equal(await dialog.getByLabel('Genre').inputValue(), 'Classic');
  assert.equal(await dialog.getByLabel('Author').inputValue(), author);
  assert.match(await formError.textContent(), /signed in as bob/);
  assert.equal(new URL(page.url()).search, query, 'the filter is back in the address');
  await dialog.getByRole('button', { name: 'Save changes' }).click();
  await dialog.waitFor({ state: 'hidden' });
  const stored = (await api('GET', `/books/${book.id}`)).json;
  assert.deepEqual([stored.title, stored.genre, stored.version], ['Mansfield Park', 'Classic', 2]);
  await eventually(async () => assert.deepEqual(await shelfContents(page), [['Mansfield Park', author, 'Classic']]));
});

test('a revoked token (the API answers 401) asks to sign in again, and the new book is added once', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const author = `Revoked ${RUN}`;
  const page = await openPage(t, `?author=${encodeURIComponent(author)}`);
  const dialog = page.getByTestId('book-dialog');
  await page.getByRole('button', { name: 'Add a book' }).click();
  await dialog.waitFor();
  await fillBook(page, { title: 'Sense and Sensibility', author, genre: 'Novel' });

  // A token the API no longer takes (its signature broken), still within its time.
  const session = await page.evaluate(() => JSON.parse(sessionStorage.getItem('bookshelf.session')));
  await patchSession(page, { accessToken: `${session.accessToken.slice(0, -8)}AAAAAAAA` });
  await dialog.getByRole('button', { name: 'Add book' }).click();
  const formError = page.getByTestId('form-error');
  await formError.getByText('The book was not added. Your session has expired or was revoked.').waitFor();
  assert.deepEqual((await api('GET', `/books?author=${encodeURIComponent(author)}`)).json.items, []);

  await signIn(page, 'alice', formError.getByRole('button', { name: 'Sign in again' }));
  await dialog.waitFor();
  assert.equal(await dialog.getByLabel('Title').inputValue(), 'Sense and Sensibility');
  await dialog.getByRole('button', { name: 'Add book' }).click();
  await dialog.waitFor({ state: 'hidden' });
  await eventually(async () => assert.deepEqual(await titlesShown(page), ['Sense and Sensibility']));
  const stored = await api('GET', `/books?author=${encodeURIComponent(author)}`);
  assert.equal(stored.json.items.length, 1);
});

test('an expired session asks to sign in again before a delete, then the delete is confirmed', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const author = `Lapsed ${RUN}`;
  const book = await seed('Sanditon', author, null);
  const page = await openPage(t, `?author=${encodeURIComponent(author)}`);
  const confirm = page.getByTestId('delete-dialog');
  await page.getByRole('button', { name: 'Delete Sanditon' }).click();
  await confirm.waitFor();
  await patchSession(page, { expiresAt: 0 });
  await confirm.getByRole('button', { name: 'Delete', exact: true }).click();
  await confirm.getByText('Your session has expired').waitFor();
  assert.equal((await api('GET', `/books/${book.id}`)).status, 200);

  await signIn(page, 'alice', confirm.getByRole('button', { name: 'Sign in again' }));
  await confirm.waitFor();
  assert.match(await confirm.textContent(), /Confirm the delete again/);
  await confirm.getByRole('button', { name: 'Delete', exact: true }).click();
  await confirm.waitFor({ state: 'hidden' });
  await eventually(async () => assert.deepEqual(await titlesShown(page), []));
  assert.equal((await api('GET', `/books/${book.id}`)).status, 404);
});

test('a sign-in answer that does not match the sign-in started here is refused', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const page = await newGuardedPage(t);
  await page.goto(`${baseUrl}/?code=forged&state=forged`);
  await shelfLoaded(page);
  const alert = page.getByTestId('alert');
  await alert.getByText('did not come from a sign-in started on this page').waitFor();
  assert.equal(new URL(page.url()).search, '', 'the code is taken out of the address');
  assert.equal(await page.evaluate(() => sessionStorage.getItem('bookshelf.session')), null);
  assert.equal(await page.getByTestId('account').getByRole('button', { name: 'Sign in', exact: true }).isVisible(), true);
});

test('coming back from the sign-in page without signing in keeps the edit too', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const author = `Hesitant ${RUN}`;
  const page = await openPage(t, `?author=${encodeURIComponent(author)}`);
  const dialog = page.getByTestId('book-dialog');
  await page.getByRole('button', { name: 'Add a book' }).click();
  await dialog.waitFor();
  await fillBook(page, { title: 'Lady Susan', author });
  await patchSession(page, { expiresAt: 0 });
  await dialog.getByRole('button', { name: 'Add book' }).click();
  const formError = page.getByTestId('form-error');
  await formError.getByRole('button', { name: 'Sign in again' }).click();
  await page.waitForURL((url) => url.pathname === '/_local/idp/authorize');

  await page.goBack();
  await dialog.waitFor();
  assert.equal(await dialog.getByLabel('Title').inputValue(), 'Lady Susan');
  assert.match(await formError.textContent(), /You are not signed in/);
  assert.equal(await page.getByTestId('account').getByRole('button', { name: 'Sign in again' }).count(), 1);
  assert.deepEqual((await api('GET', `/books?author=${encodeURIComponent(author)}`)).json.items, []);
});
