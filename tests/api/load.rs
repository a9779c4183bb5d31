//! Load with accounting: 16 concurrent clients send 10,000 mixed requests (create, read,
//! list, replace, patch, delete; with and without `If-Match`, retrying a 412 by re-reading)
//! to the local runner. Every client records what it believes it wrote; at the end the store
//! must hold exactly that: no lost update, no phantom, no duplicate from a retried create
//! with an `Idempotency-Key`, and no answer of 5xx.
//!
//! Each client owns the books it creates (its name is their author), so it knows their exact
//! state. All clients also append tokens to the genres of a pool of shared books, with
//! `If-Match` and a re-read on 412: every acknowledged token must be there exactly once, and
//! each shared book's version must count exactly the tokens written to it.
//!
//! The runner scales functions out as Lambda does, so concurrent clients run on instances
//! of their own: the report lists how many instances each function reached (none may be
//! throttled, and some function must have run more than one).
//!
//! Throughput and latency are printed and written to `target/load-report.txt`: figures to
//! look at, not assertions. `BOOKSHELF_LOAD_SERVE_ARGS` adds `serve` options, e.g.
//! `--max-instances 1 --when-busy queue` for the runner as it was before it scaled out.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bookshelf_local::workspace;
use bookshelf_testing::{LocalApi, LocalApiOptions, Response, assert_problem};
use bytes::Bytes;
use serde_json::{Value, json};

/// Concurrent clients.
const CLIENTS: usize = 16;
/// HTTP requests sent by the clients together (the setup and the final check come on top).
const REQUESTS: usize = 10_000;
const _: () = assert!(
    REQUESTS.is_multiple_of(CLIENTS),
    "every client sends as many requests"
);
/// Seed of every client's random choices, so a failing run can be replayed.
const SEED: u64 = 0x00B0_0C5E_1F5E_ED01;
/// Books every client appends tokens to.
const SHARED_BOOKS: usize = 40;
/// Clients append to one of the first `HOT` shared books that still have room, so writers
/// collide often; a full book is left behind and the next one becomes hot.
const HOT: usize = 3;
/// The longest genre the API accepts.
const MAX_GENRE_CHARS: usize = 250;
/// A request with no answer after this long fails the test instead of hanging it (the
/// gateway's own integration timeout is 30 s).
const NO_ANSWER: Duration = Duration::from_secs(40);

/// xorshift64*: small, fast and reproducible; plenty for choosing operations.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n`.
    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % u64::try_from(n).unwrap()).unwrap()
    }

    /// True `percent` times in a hundred.
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

/// What a client counted, besides its record of the books.
#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    creates: usize,
    idempotent_retries: usize,
    reads: usize,
    lists: usize,
    replaces: usize,
    patches: usize,
    deletes: usize,
    appends: usize,
    /// 412s answered to a deliberately stale `If-Match` on the client's own books.
    stale_refused: usize,
    /// 412s on shared books: another client wrote first.
    conflicts: usize,
}

impl Tally {
    fn add(&mut self, other: &Tally) {
        self.creates += other.creates;
        self.idempotent_retries += other.idempotent_retries;
        self.reads += other.reads;
        self.lists += other.lists;
        self.replaces += other.replaces;
        self.patches += other.patches;
        self.deletes += other.deletes;
        self.appends += other.appends;
        self.stale_refused += other.stale_refused;
        self.conflicts += other.conflicts;
    }
}

/// How a write states its precondition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Precondition {
    /// No `If-Match`.
    None,
    /// `If-Match` with the version last seen.
    Current,
    /// `If-Match` with an older version: must be refused with 412, then re-read and retried.
    Stale,
}

/// One simulated client with its own record of what it wrote.
struct Client {
    api: Arc<LocalApi>,
    index: usize,
    author: String,
    rng: Rng,
    /// Requests it may still send.
    budget: usize,
    latencies: Vec<Duration>,
    /// Its books that exist, exactly as last seen (the answer to its last write or read).
    owned: BTreeMap<String, Value>,
    /// Its books it deleted.
    deleted: BTreeSet<String>,
    shared: Arc<Vec<String>>,
    /// Shared books it saw full.
    full: BTreeSet<usize>,
    /// (shared book id, token) of every append that was acknowledged with 200.
    appended: Vec<(String, String)>,
    serial: usize,
    tally: Tally,
}

fn book_path(id: &str) -> String {
    format!("/books/{id}")
}

/// What a write of `expected`'s fields over `before` leaves: a new version and
/// time when a field changed, the book untouched when none did (a write that
/// changes nothing writes nothing).
fn expect_write(before: &Value, expected: &mut Value, answered: &Value) {
    let changed = ["title", "author", "genre"]
        .iter()
        .any(|field| before[*field] != expected[*field]);
    if changed {
        expected["version"] = json!(version_of(before) + 1);
        expected["updatedAt"] = answered["updatedAt"].clone();
    } else {
        expected["version"] = before["version"].clone();
        expected["updatedAt"] = before["updatedAt"].clone();
    }
}

fn version_of(book: &Value) -> u64 {
    book["version"]
        .as_u64()
        .unwrap_or_else(|| panic!("no version in {book}"))
}

fn id_of(book: &Value) -> String {
    book["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {book}"))
        .to_owned()
}

/// Sends one request and times it; panics when no answer comes within [`NO_ANSWER`].
async fn timed(
    api: &LocalApi,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Bytes,
) -> (Response, Duration) {
    let started = Instant::now();
    let response = tokio::time::timeout(NO_ANSWER, api.request(method, path, headers, body))
        .await
        .unwrap_or_else(|_| panic!("{method} {path}: no answer within {NO_ANSWER:?}"));
    (response, started.elapsed())
}

/// Panics on a 5xx: its outcome is unknown, so the accounting could not be exact, and the
/// system must never answer one under load anyway.
fn refuse_5xx(method: &str, path: &str, response: &Response) {
    assert!(
        response.status < 500,
        "{method} {path} answered {}: {}",
        response.status,
        response.text()
    );
}

impl Client {
    /// Sends a request if the budget allows; `None` once it is spent.
    async fn send(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Option<Response> {
        if self.budget == 0 {
            return None;
        }
        self.budget -= 1;
        let mut all = headers.to_vec();
        let body = match body {
            Some(body) => {
                if !headers.iter().any(|(name, _)| *name == "content-type") {
                    all.push(("content-type", "application/json"));
                }
                Bytes::from(body.to_string())
            }
            None => Bytes::new(),
        };
        let (response, latency) = timed(&self.api, method, path, &all, body).await;
        self.latencies.push(latency);
        refuse_5xx(method, path, &response);
        Some(response)
    }

    async fn run(mut self) -> Client {
        while self.budget > 0 {
            let roll = self.rng.below(100);
            if self.owned.is_empty() || roll < 12 {
                self.create().await;
                continue;
            }
            match roll {
                12..27 => self.read().await,
                27..33 => self.list_own().await,
                33..37 => self.list_all().await,
                37..49 => self.replace().await,
                49..61 => self.patch().await,
                61..67 => self.delete().await,
                _ => self.append_to_shared().await,
            };
        }
        self
    }

    fn next_serial(&mut self) -> usize {
        self.serial += 1;
        self.serial
    }

    fn new_title(&mut self) -> String {
        let serial = self.next_serial();
        let words = ["Dune", "Kindred", "Solaris", "Neuromancer", "Ubik", "Emma"];
        format!(
            "{} {serial} of client {:02}",
            words[self.rng.below(words.len())],
            self.index
        )
    }

    fn new_genre(&mut self) -> Option<String> {
        let genres = ["SF", "Fantasy", "Mystery", "Poetry"];
        (!self.rng.chance(30)).then(|| genres[self.rng.below(genres.len())].to_owned())
    }

    fn pick_owned(&mut self) -> String {
        let at = self.rng.below(self.owned.len());
        self.owned.keys().nth(at).cloned().unwrap()
    }

    fn precondition(&mut self, version: u64) -> Precondition {
        match self.rng.below(100) {
            0..40 => Precondition::None,
            40..85 => Precondition::Current,
            _ if version > 1 => Precondition::Stale,
            _ => Precondition::Current,
        }
    }

    /// Checks a 201 or 200 answer carrying a book and its headers.
    fn check_book_answer(response: &Response, status: u16) -> Value {
        assert_eq!(response.status, status, "{}", response.text());
        let book = response.json();
        let etag = format!("\"{}\"", version_of(&book));
        assert_eq!(response.header("etag"), Some(etag.as_str()), "{book}");
        book
    }

    async fn create(&mut self) -> Option<()> {
        let title = self.new_title();
        let genre = self.new_genre();
        let body = json!({"title": title, "author": self.author, "genre": genre});
        let keyed = self.rng.chance(35);
        let book = if keyed {
            let serial = self.next_serial();
            let key = format!("load-{}-{serial}", self.index);
            self.create_with_key(&key, &body).await?
        } else {
            let response = self.send("POST", "/books", &[], Some(&body)).await?;
            Self::check_book_answer(&response, 201)
        };
        assert_eq!(
            (&book["title"], &book["author"], &book["genre"]),
            (&body["title"], &body["author"], &body["genre"]),
            "{book}"
        );
        assert_eq!(version_of(&book), 1);
        self.tally.creates += 1;
        self.owned.insert(id_of(&book), book);
        Some(())
    }

    /// A create with an `Idempotency-Key`, deliberately sent twice (one after the other, or
    /// both at once): both answers must be the same book, exactly one of them a replay.
    async fn create_with_key(&mut self, key: &str, body: &Value) -> Option<Value> {
        let headers = [
            ("content-type", "application/json"),
            ("idempotency-key", key),
        ];
        let payload = Bytes::from(body.to_string());
        let (first, second) = if self.budget >= 2 && self.rng.chance(50) {
            self.budget -= 2;
            let api = self.api.clone();
            let ((first, a), (second, b)) = tokio::join!(
                timed(&api, "POST", "/books", &headers, payload.clone()),
                timed(&api, "POST", "/books", &headers, payload)
            );
            self.latencies.extend([a, b]);
            refuse_5xx("POST", "/books", &first);
            refuse_5xx("POST", "/books", &second);
            (first, second)
        } else {
            let first = self
                .send("POST", "/books", &headers[1..], Some(body))
                .await?;
            let Some(second) = self.send("POST", "/books", &headers[1..], Some(body)).await else {
                // The budget ran out before the retry: the first answer stands.
                return Some(Self::check_book_answer(&first, 201));
            };
            (first, second)
        };
        let one = Self::check_book_answer(&first, 201);
        let other = Self::check_book_answer(&second, 201);
        assert_eq!(one, other, "a retried create must answer the same book");
        let replays = [&first, &second]
            .iter()
            .filter(|r| r.header("idempotent-replayed") == Some("true"))
            .count();
        assert_eq!(replays, 1, "exactly one of the two was a replay");
        self.tally.idempotent_retries += 1;
        Some(one)
    }

    async fn read(&mut self) -> Option<()> {
        self.tally.reads += 1;
        if !self.deleted.is_empty() && self.rng.chance(15) {
            let at = self.rng.below(self.deleted.len());
            let id = self.deleted.iter().nth(at).cloned().unwrap();
            let response = self.send("GET", &book_path(&id), &[], None).await?;
            assert_problem(&response, 404, "book-not-found");
            return Some(());
        }
        let id = self.pick_owned();
        if self.rng.chance(20) {
            let etag = format!("\"{}\"", version_of(&self.owned[&id]));
            let headers = [("if-none-match", etag.as_str())];
            let response = self.send("GET", &book_path(&id), &headers, None).await?;
            assert_eq!(response.status, 304, "{}", response.text());
            return Some(());
        }
        self.read_back(&id).await.map(|_| ())
    }

    /// Reads one of its books, which must be exactly as last seen; returns its version.
    async fn read_back(&mut self, id: &str) -> Option<u64> {
        let response = self.send("GET", &book_path(id), &[], None).await?;
        let book = Self::check_book_answer(&response, 200);
        assert_eq!(book, self.owned[id], "its own book changed behind its back");
        Some(version_of(&book))
    }

    async fn list_own(&mut self) -> Option<()> {
        self.tally.lists += 1;
        let limit = 1 + self.rng.below(25);
        let listed = self.list(&format!("author={}", self.author), limit).await?;
        assert_eq!(
            listed, self.owned,
            "{} lists other books than it wrote",
            self.author
        );
        Some(())
    }

    /// Pages through `GET /books?{query}`; `None` when the budget ran out on the way.
    async fn list(&mut self, query: &str, limit: usize) -> Option<BTreeMap<String, Value>> {
        let mut books = BTreeMap::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut path = format!("/books?{query}&limit={limit}");
            if let Some(cursor) = &cursor {
                path.push_str(&format!("&cursor={cursor}"));
            }
            let response = self.send("GET", &path, &[], None).await?;
            assert_eq!(response.status, 200, "{path}: {}", response.text());
            let page = response.json();
            let items = page["items"].as_array().unwrap();
            assert!(items.len() <= limit, "{path}: {} items", items.len());
            for book in items {
                assert!(
                    books.insert(id_of(book), book.clone()).is_none(),
                    "{path}: a book listed twice"
                );
            }
            match page["nextCursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => return Some(books),
            }
        }
    }

    async fn list_all(&mut self) -> Option<()> {
        self.tally.lists += 1;
        let limit = 1 + self.rng.below(50);
        let response = self
            .send("GET", &format!("/books?limit={limit}"), &[], None)
            .await?;
        assert_eq!(response.status, 200, "{}", response.text());
        let items = response.json()["items"].as_array().unwrap().len();
        assert!((1..=limit).contains(&items), "{items} items");
        Some(())
    }

    /// Sends a conditional write of one of its own books; a 412 (only ever to a
    /// deliberately stale `If-Match`) is followed by a re-read and a retry with the version
    /// read. Returns the successful answer.
    async fn write_own(
        &mut self,
        method: &str,
        id: &str,
        content_type: &str,
        body: Option<&Value>,
    ) -> Option<Response> {
        let known = version_of(&self.owned[id]);
        let mut if_match = match self.precondition(known) {
            Precondition::None => None,
            Precondition::Current => Some(known),
            Precondition::Stale => Some(known - 1),
        };
        loop {
            let etag = if_match.map(|v| format!("\"{v}\""));
            let mut headers = Vec::new();
            if body.is_some() {
                headers.push(("content-type", content_type));
            }
            if let Some(etag) = &etag {
                headers.push(("if-match", etag.as_str()));
            }
            let response = self.send(method, &book_path(id), &headers, body).await?;
            if response.status != 412 {
                return Some(response);
            }
            assert_problem(&response, 412, "precondition-failed");
            assert_ne!(
                if_match,
                Some(known),
                "{method} {id}: 412 for the current version"
            );
            self.tally.stale_refused += 1;
            if_match = Some(self.read_back(id).await?);
        }
    }

    async fn replace(&mut self) -> Option<()> {
        let id = self.pick_owned();
        let before = self.owned[&id].clone();
        let title = self.new_title();
        let genre = self.new_genre();
        let mut body = json!({"title": title, "author": self.author});
        if let Some(genre) = &genre {
            body["genre"] = json!(genre);
        }
        let response = self
            .write_own("PUT", &id, "application/json", Some(&body))
            .await?;
        let book = Self::check_book_answer(&response, 200);
        let mut expected = json!({
            "id": id,
            "title": title,
            "author": self.author,
            "genre": genre,
            "version": version_of(&before),
            "createdAt": before["createdAt"],
            "updatedAt": before["updatedAt"],
        });
        expect_write(&before, &mut expected, &book);
        assert_eq!(book, expected);
        self.tally.replaces += 1;
        self.owned.insert(id, book);
        Some(())
    }

    async fn patch(&mut self) -> Option<()> {
        let id = self.pick_owned();
        let before = self.owned[&id].clone();
        let patch = match self.rng.below(4) {
            0 => json!({"genre": null}),
            1 => json!({"genre": self.new_genre()}),
            2 => json!({"title": self.new_title()}),
            _ => json!({"title": self.new_title(), "genre": self.new_genre()}),
        };
        let content_type = if self.rng.chance(50) {
            "application/merge-patch+json"
        } else {
            "application/json"
        };
        let response = self
            .write_own("PATCH", &id, content_type, Some(&patch))
            .await?;
        let book = Self::check_book_answer(&response, 200);
        let mut expected = before.clone();
        for (field, value) in patch.as_object().unwrap() {
            expected[field] = value.clone();
        }
        expect_write(&before, &mut expected, &book);
        assert_eq!(book, expected);
        self.tally.patches += 1;
        self.owned.insert(id, book);
        Some(())
    }

    async fn delete(&mut self) -> Option<()> {
        let id = self.pick_owned();
        let response = self
            .write_own("DELETE", &id, "application/json", None)
            .await?;
        assert_eq!(response.status, 204, "{}", response.text());
        self.tally.deletes += 1;
        self.owned.remove(&id);
        self.deleted.insert(id.clone());
        if self.rng.chance(50) {
            let gone = self.send("GET", &book_path(&id), &[], None).await?;
            assert_problem(&gone, 404, "book-not-found");
        }
        Some(())
    }

    /// Appends a token to a hot shared book's genre: read, then `PATCH` with `If-Match`;
    /// on 412 (someone else wrote first) read again and retry.
    async fn append_to_shared(&mut self) -> Option<()> {
        let hot: Vec<usize> = (0..SHARED_BOOKS)
            .filter(|i| !self.full.contains(i))
            .take(HOT)
            .collect();
        if hot.is_empty() {
            return self.read().await;
        }
        let which = hot[self.rng.below(hot.len())];
        let id = self.shared[which].clone();
        let token = format!("{:x}{:03}", self.index, self.appended.len());
        loop {
            let response = self.send("GET", &book_path(&id), &[], None).await?;
            let book = Self::check_book_answer(&response, 200);
            let genre = book["genre"].as_str().unwrap();
            let longer = format!("{genre} {token}");
            if longer.chars().count() > MAX_GENRE_CHARS {
                self.full.insert(which);
                return Some(());
            }
            let version = version_of(&book);
            let etag = format!("\"{version}\"");
            let headers = [
                ("content-type", "application/merge-patch+json"),
                ("if-match", etag.as_str()),
            ];
            let patch = json!({"genre": longer});
            let response = self
                .send("PATCH", &book_path(&id), &headers, Some(&patch))
                .await?;
            if response.status == 412 {
                assert_problem(&response, 412, "precondition-failed");
                self.tally.conflicts += 1;
                continue;
            }
            let patched = Self::check_book_answer(&response, 200);
            assert_eq!(patched["genre"], json!(longer));
            assert_eq!(version_of(&patched), version + 1);
            self.tally.appends += 1;
            self.appended.push((id, token));
            return Some(());
        }
    }
}

/// Pages through a listing for the final check (outside the measured load).
async fn list_everything(api: &LocalApi, query: &str) -> BTreeMap<String, Value> {
    let mut books = BTreeMap::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("/books?limit=100{query}");
        if let Some(cursor) = &cursor {
            path.push_str(&format!("&cursor={cursor}"));
        }
        let response = api.get(&path).await;
        assert_eq!(response.status, 200, "{path}: {}", response.text());
        let page = response.json();
        for book in page["items"].as_array().unwrap() {
            assert!(
                books.insert(id_of(book), book.clone()).is_none(),
                "{path}: a book listed twice"
            );
        }
        match page["nextCursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return books,
        }
    }
}

/// The latency below which `quantile` of the samples fall (nearest rank).
fn percentile(sorted: &[Duration], quantile: f64) -> Duration {
    let rank = (quantile * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixteen_clients_ten_thousand_requests_and_the_store_matches_their_records() {
    let serve_args: Vec<String> = std::env::var("BOOKSHELF_LOAD_SERVE_ARGS")
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    let api = Arc::new(
        LocalApi::start_with(LocalApiOptions {
            serve_args: serve_args.clone(),
            ..LocalApiOptions::default()
        })
        .await,
    );

    let mut shared = Vec::new();
    for book in 0..SHARED_BOOKS {
        let created = api
            .post_json(
                "/books",
                &json!({"title": format!("Shared {book:02}"), "author": "everyone", "genre": format!("shared-{book:02}")}),
            )
            .await;
        shared.push(id_of(&Client::check_book_answer(&created, 201)));
    }
    let shared = Arc::new(shared);

    let started = Instant::now();
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|index| {
            let client = Client {
                api: api.clone(),
                index,
                author: format!("load-client-{index:02}"),
                rng: Rng::new(SEED ^ (u64::try_from(index).unwrap() << 32)),
                budget: REQUESTS / CLIENTS,
                latencies: Vec::new(),
                owned: BTreeMap::new(),
                deleted: BTreeSet::new(),
                shared: shared.clone(),
                full: BTreeSet::new(),
                appended: Vec::new(),
                serial: 0,
                tally: Tally::default(),
            };
            tokio::spawn(client.run())
        })
        .collect();
    let mut clients = Vec::new();
    for task in tasks {
        match task.await {
            Ok(client) => clients.push(client),
            Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
            Err(error) => panic!("a client did not finish: {error}"),
        }
    }
    let elapsed = started.elapsed();

    // The store against the clients' records.
    let everything = list_everything(&api, "").await;
    let mut expected_ids: BTreeSet<String> = shared.iter().cloned().collect();
    let mut tally = Tally::default();
    for client in &clients {
        tally.add(&client.tally);
        let listed = list_everything(&api, &format!("&author={}", client.author)).await;
        assert_eq!(
            listed, client.owned,
            "{}: the store holds other books than the client wrote",
            client.author
        );
        for (id, book) in &client.owned {
            assert_eq!(
                everything.get(id),
                Some(book),
                "listed differently from what was written"
            );
            let read = api.get(&book_path(id)).await;
            assert_eq!(read.status, 200, "{}", read.text());
            assert_eq!(&read.json(), book, "read differently from what was written");
            assert!(
                expected_ids.insert(id.clone()),
                "{id} written by two clients"
            );
        }
        for id in &client.deleted {
            assert_problem(&api.get(&book_path(id)).await, 404, "book-not-found");
        }
    }
    let phantoms: Vec<&String> = everything
        .keys()
        .filter(|id| !expected_ids.contains(*id))
        .collect();
    assert!(phantoms.is_empty(), "books nobody wrote: {phantoms:?}");
    assert_eq!(everything.len(), expected_ids.len(), "books missing");

    let mut acknowledged: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for client in &clients {
        for (id, token) in &client.appended {
            acknowledged.entry(id).or_default().push(token);
        }
    }
    for (number, id) in shared.iter().enumerate() {
        let book = api.get(&book_path(id)).await.json();
        let genre = book["genre"].as_str().unwrap();
        let mut stored: Vec<&str> = genre.split(' ').collect();
        assert_eq!(stored.remove(0), format!("shared-{number:02}"));
        stored.sort_unstable();
        let mut written = acknowledged.remove(id.as_str()).unwrap_or_default();
        written.sort_unstable();
        assert_eq!(
            stored, written,
            "shared book {id}: the tokens stored are not the tokens acknowledged"
        );
        assert_eq!(
            version_of(&book),
            1 + u64::try_from(written.len()).unwrap(),
            "shared book {id}: one version per acknowledged write"
        );
    }

    let output = api.output();
    let panics: Vec<&str> = output
        .lines()
        .filter(|line| line.contains("panicked"))
        .collect();
    assert!(
        panics.is_empty(),
        "panics in the runner's output: {panics:#?}"
    );

    let report = api.anonymous().get("/_local/functions").await.json();
    let functions = report["functions"].as_array().expect("the runner's report");
    let scaled: Vec<String> = functions
        .iter()
        .filter(|f| f["invocations"].as_u64() > Some(0))
        .map(|f| {
            assert_eq!(f["throttles"], 0, "throttled: {f}");
            format!(
                "{} {}",
                f["name"]
                    .as_str()
                    .unwrap_or_default()
                    .trim_end_matches("Function"),
                f["peakInstances"]
            )
        })
        .collect();
    assert!(
        !serve_args.is_empty()
            || functions
                .iter()
                .any(|f| f["peakInstances"].as_u64() > Some(1)),
        "concurrent clients ran on more than one instance of some function: {report}"
    );

    let mut latencies: Vec<Duration> = clients
        .iter()
        .flat_map(|c| c.latencies.iter().copied())
        .collect();
    latencies.sort_unstable();
    assert_eq!(latencies.len(), REQUESTS, "every request was sent");
    let report = format!(
        "load: {} ops in {:.1} s → {:.0} ops/s, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms, 5xx: 0\n\
         ({CLIENTS} clients; {} creates of which {} retried with an Idempotency-Key, {} reads, \
         {} lists, {} replaces, {} patches, {} deletes, {} appends to {SHARED_BOOKS} shared books \
         after {} If-Match conflicts, {} stale If-Match refused; {} books at the end)\n\
         instances reached: {}{}\n",
        latencies.len(),
        elapsed.as_secs_f64(),
        latencies.len() as f64 / elapsed.as_secs_f64(),
        millis(percentile(&latencies, 0.50)),
        millis(percentile(&latencies, 0.99)),
        millis(latencies[latencies.len() - 1]),
        tally.creates,
        tally.idempotent_retries,
        tally.reads,
        tally.lists,
        tally.replaces,
        tally.patches,
        tally.deletes,
        tally.appends,
        tally.conflicts,
        tally.stale_refused,
        everything.len(),
        scaled.join(", "),
        if serve_args.is_empty() {
            String::new()
        } else {
            format!(" (serve {})", serve_args.join(" "))
        },
    );
    println!("{report}");
    let file = workspace::target_dir(&workspace::root()).join("load-report.txt");
    if let Err(error) = std::fs::write(&file, &report) {
        println!("cannot write {}: {error}", file.display());
    }
}
