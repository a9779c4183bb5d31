//! End-to-end tests: the local runner (`bookshelf-local serve`, exactly
//! what `make dev` serves) on a free port with its own tables, and a small HTTP client.
//!
//! ```no_run
//! # async fn example() {
//! let api = bookshelf_testing::LocalApi::start().await;
//! let response = api.get("/books").await;
//! assert_eq!(response.status, 200);
//! # }
//! ```
//!
//! Requests carry a write token by default: at start the API gets one from the runner's
//! development identity provider (client credentials, `bookshelf-local`), as a script would.
//! [`LocalApi::anonymous`] sends without a token, [`LocalApi::with_token`] with another
//! (e.g. [`LocalApi::token`] with `bookshelf/books.read` only).
//!
//! Needs `DYNAMODB_ENDPOINT` (run the tests with `make test`) and the workspace's binaries
//! built (`cargo nextest run --workspace` builds them before running tests).

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bookshelf_local::serve::READY_PREFIX;
use bookshelf_local::workspace;

use crate::response::Response;
use crate::table;
use bytes::Bytes;
use http::{Method, Request};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

/// How long the runner may take to print its ready line.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);

/// What to serve, for tests that need something other than the project's template.
#[derive(Debug, Clone)]
pub struct LocalApiOptions {
    /// The SAM template (default: the workspace's `template.yaml`).
    pub template: PathBuf,
    /// Folder holding the function binaries (default: the tests' own `target/debug`).
    pub bin_dir: PathBuf,
    /// Variables added to the runner's environment (and so to the functions' where the
    /// runner passes them through, such as `SSL_CERT_FILE`).
    pub environment: Vec<(String, String)>,
    /// Where stream records given up on are written (`--failures-dir`; default: a fresh
    /// folder under the system's temporary folder, never the checkout's `.local/`).
    pub failures_dir: Option<PathBuf>,
    /// More `serve` options, e.g. `["--max-instances", "1"]`.
    pub serve_args: Vec<String>,
    /// Let the runner build the template's functions (`cargo build` in the template's
    /// folder) instead of serving `bin_dir` as it is (`--no-build`, the default).
    pub build: bool,
}

impl Default for LocalApiOptions {
    fn default() -> Self {
        LocalApiOptions {
            template: workspace::root().join("template.yaml"),
            bin_dir: build_dir(),
            environment: Vec::new(),
            failures_dir: None,
            serve_args: Vec::new(),
            build: false,
        }
    }
}

/// The local runner serving template.yaml on a free port with its own tables; killed on drop.
pub struct LocalApi {
    /// `http://127.0.0.1:<port>`, without a trailing slash.
    pub base_url: String,
    /// The table-name suffix of this instance (`-<uuid>`): `BooksTable<suffix>`.
    pub table_suffix: String,
    /// Where the runner writes the stream records it gives up on (`--failures-dir`).
    pub failures_dir: PathBuf,
    runner: PathBuf,
    options: LocalApiOptions,
    endpoint: String,
    child: Child,
    output: Arc<Mutex<String>>,
    client: Client<HttpConnector, Full<Bytes>>,
    token: String,
}

/// Who a request is sent as.
#[derive(Debug, Clone, Copy)]
enum Credentials<'a> {
    /// The API's write token (the default).
    Default,
    /// No `Authorization` header.
    Anonymous,
    /// This bearer token.
    Token(&'a str),
}

/// Requests sent as someone other than the default caller: see [`LocalApi::anonymous`] and
/// [`LocalApi::with_token`].
#[derive(Clone, Copy)]
pub struct Caller<'a> {
    api: &'a LocalApi,
    credentials: Credentials<'a>,
}

impl Caller<'_> {
    /// Like [`LocalApi::request`], as this caller.
    pub async fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: impl Into<Bytes>,
    ) -> Response {
        self.api
            .send(self.credentials, method, path, headers, body.into())
            .await
    }

    /// `GET path`, as this caller.
    pub async fn get(&self, path: &str) -> Response {
        self.request("GET", path, &[], Bytes::new()).await
    }

    /// `DELETE path` with optional headers, as this caller.
    pub async fn delete(&self, path: &str, headers: &[(&str, &str)]) -> Response {
        self.request("DELETE", path, headers, Bytes::new()).await
    }

    /// A request with a JSON body (`content-type: application/json` unless
    /// `headers` set one), as this caller.
    pub async fn send_json(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &Value,
    ) -> Response {
        let mut all: Vec<(&str, &str)> = headers.to_vec();
        if !headers
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case("content-type"))
        {
            all.push(("content-type", "application/json"));
        }
        self.request(method, path, &all, Bytes::from(body.to_string()))
            .await
    }
}

impl LocalApi {
    /// Starts the runner on the project's template.
    ///
    /// # Panics
    /// When `DYNAMODB_ENDPOINT` is unset or the runner does not start within 30 s.
    pub async fn start() -> LocalApi {
        LocalApi::start_with(LocalApiOptions::default()).await
    }

    /// Starts the runner with `options`: `serve --no-build --port 0` against
    /// `DYNAMODB_ENDPOINT`, with a unique table suffix, and waits for its ready line.
    ///
    /// # Panics
    /// When `DYNAMODB_ENDPOINT` is unset, the runner binary is missing, or it does not
    /// become ready within 30 s (the panic shows the runner's output).
    pub async fn start_with(options: LocalApiOptions) -> LocalApi {
        LocalApi::start_against(options, &table::endpoint()).await
    }

    /// Like [`LocalApi::start_with`], against the DynamoDB (Local) at `endpoint` instead of
    /// `DYNAMODB_ENDPOINT`: for tests that run, stop and restart a DynamoDB Local of their own.
    ///
    /// # Panics
    /// When the runner binary is missing or it does not become ready within 30 s.
    pub async fn start_against(options: LocalApiOptions, endpoint: &str) -> LocalApi {
        use std::os::unix::process::CommandExt;

        let runner = options.bin_dir.join("bookshelf-local");
        let runner = if runner.is_file() {
            runner
        } else {
            build_dir().join("bookshelf-local")
        };
        let table_suffix = format!("-{}", uuid::Uuid::new_v4());
        let failures_dir = options.failures_dir.clone().unwrap_or_else(|| {
            std::env::temp_dir().join(format!("bookshelf-failures{table_suffix}"))
        });
        let mut child = Command::new(&runner)
            .current_dir(workspace::root())
            .arg("serve")
            .args((!options.build).then_some("--no-build"))
            .args(["--port", "0", "--dynamodb-endpoint", endpoint])
            .arg(format!("--table-suffix={table_suffix}"))
            .arg("--template")
            .arg(&options.template)
            .arg("--bin-dir")
            .arg(&options.bin_dir)
            .arg("--failures-dir")
            .arg(&failures_dir)
            .args(&options.serve_args)
            .envs(options.environment.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", runner.display()));
        let output = Arc::new(Mutex::new(String::new()));
        if let Some(stdout) = child.stdout.take() {
            collect(stdout, output.clone());
        }
        if let Some(stderr) = child.stderr.take() {
            collect(stderr, output.clone());
        }
        let mut api = LocalApi {
            base_url: String::new(),
            table_suffix,
            failures_dir,
            runner,
            options,
            endpoint: endpoint.to_owned(),
            child,
            output,
            client: Client::builder(TokioExecutor::new()).build_http(),
            token: String::new(),
        };
        api.base_url = api.wait_until_ready().await;
        api.token = api.token(None).await;
        api
    }

    /// A new access token from the runner's development identity provider (client
    /// credentials as `bookshelf-local`), with `scope` (space-separated) or every scope.
    ///
    /// # Panics
    /// When the provider does not issue one.
    pub async fn token(&self, scope: Option<&str>) -> String {
        use base64::Engine;
        let basic = base64::engine::general_purpose::STANDARD
            .encode("bookshelf-local:bookshelf-local-secret");
        let mut form = "grant_type=client_credentials".to_owned();
        if let Some(scope) = scope {
            form.push_str("&scope=");
            form.push_str(&scope.replace(' ', "+"));
        }
        let response = self
            .send(
                Credentials::Anonymous,
                "POST",
                "/_local/idp/token",
                &[
                    ("authorization", &format!("Basic {basic}")),
                    ("content-type", "application/x-www-form-urlencoded"),
                ],
                Bytes::from(form),
            )
            .await;
        assert_eq!(response.status, 200, "token request: {}", response.text());
        response.json()["access_token"]
            .as_str()
            .unwrap_or_else(|| panic!("no access_token in {}", response.text()))
            .to_owned()
    }

    /// The runner's report of function `name` (`GET /_local/functions`): its
    /// `instances`, `busy`, `peakInstances`, `coldStarts`, `invocations`, `throttles`.
    ///
    /// # Panics
    /// When the report cannot be read or has no such function.
    pub async fn function_stats(&self, name: &str) -> Value {
        let report = self.anonymous().get("/_local/functions").await;
        assert_eq!(report.status, 200, "{}", report.text());
        report.json()["functions"]
            .as_array()
            .and_then(|functions| functions.iter().find(|f| f["name"] == name))
            .cloned()
            .unwrap_or_else(|| panic!("no function {name} in the report"))
    }

    /// The write token every request carries by default.
    pub fn write_token(&self) -> &str {
        &self.token
    }

    /// Requests without a token.
    pub fn anonymous(&self) -> Caller<'_> {
        Caller {
            api: self,
            credentials: Credentials::Anonymous,
        }
    }

    /// Requests with `token` instead of the default write token.
    pub fn with_token<'a>(&'a self, token: &'a str) -> Caller<'a> {
        Caller {
            api: self,
            credentials: Credentials::Token(token),
        }
    }

    /// Runs `bookshelf-local replay-failures` against this instance's stack (its template,
    /// binaries, DynamoDB, tables and failures folder) with `args` added, and returns what
    /// it printed and its exit status.
    ///
    /// # Panics
    /// When the runner cannot be run.
    pub fn replay_failures(&self, args: &[&str]) -> std::process::Output {
        Command::new(&self.runner)
            .current_dir(workspace::root())
            .arg("replay-failures")
            .args(["--dynamodb-endpoint", &self.endpoint])
            .arg(format!("--table-suffix={}", self.table_suffix))
            .arg("--template")
            .arg(&self.options.template)
            .arg("--bin-dir")
            .arg(&self.options.bin_dir)
            .arg("--failures-dir")
            .arg(&self.failures_dir)
            .args(args)
            .envs(self.options.environment.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", self.runner.display()))
    }

    /// The runner's process id; its function processes are its children.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Everything the runner printed so far (its own lines and its functions' output).
    pub fn output(&self) -> String {
        self.output.lock().map(|o| o.clone()).unwrap_or_default()
    }

    async fn wait_until_ready(&mut self) -> String {
        let started = Instant::now();
        loop {
            let output = self.output();
            if let Some(port) = output
                .lines()
                .find_map(|line| line.strip_prefix(READY_PREFIX))
            {
                return format!("http://127.0.0.1:{}", port.trim());
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "the local runner exited ({status}) before it was ready; its output:\n{output}"
                );
            }
            assert!(
                started.elapsed() < STARTUP_TIMEOUT,
                "the local runner was not ready within {STARTUP_TIMEOUT:?}; its output:\n{output}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Sends a request with the write token (unless `headers` has an `Authorization`);
    /// `path` starts with `/` and may hold a query string.
    ///
    /// # Panics
    /// When the request cannot be sent (the runner is down).
    pub async fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: impl Into<Bytes>,
    ) -> Response {
        self.send(Credentials::Default, method, path, headers, body.into())
            .await
    }

    async fn send(
        &self,
        credentials: Credentials<'_>,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Bytes,
    ) -> Response {
        let token = match credentials {
            Credentials::Default if !self.token.is_empty() => Some(self.token.as_str()),
            Credentials::Token(token) => Some(token),
            Credentials::Default | Credentials::Anonymous => None,
        };
        let has_authorization = headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("authorization"));
        let method =
            Method::from_bytes(method.as_bytes()).unwrap_or_else(|e| panic!("bad method: {e}"));
        let mut builder = Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base_url));
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        if let (Some(token), false) = (token, has_authorization) {
            builder = builder.header("authorization", format!("Bearer {token}"));
        }
        let request = builder
            .body(Full::new(body))
            .unwrap_or_else(|e| panic!("invalid request: {e}"));
        let response = self.client.request(request).await.unwrap_or_else(|e| {
            panic!(
                "request to {path} failed: {e}; runner output:\n{}",
                self.output()
            )
        });
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response
            .into_body()
            .collect()
            .await
            .unwrap_or_else(|e| panic!("reading the response to {path} failed: {e}"))
            .to_bytes();
        Response {
            status,
            headers,
            body,
        }
    }

    /// `GET path`, with the write token.
    pub async fn get(&self, path: &str) -> Response {
        self.signed_in().get(path).await
    }

    /// `DELETE path` with optional headers, with the write token.
    pub async fn delete(&self, path: &str, headers: &[(&str, &str)]) -> Response {
        self.signed_in().delete(path, headers).await
    }

    /// A request with a JSON body (`content-type: application/json` unless `headers` set
    /// one), with the write token.
    pub async fn send_json(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &Value,
    ) -> Response {
        self.signed_in()
            .send_json(method, path, headers, body)
            .await
    }

    /// Requests with the write token (what [`LocalApi`]'s own methods send).
    fn signed_in(&self) -> Caller<'_> {
        Caller {
            api: self,
            credentials: Credentials::Default,
        }
    }

    /// The first page of book `id`'s history once it has `count` entries (or after 20 s,
    /// whatever it has then): the stream is asynchronous, so until its first entry is
    /// recorded a deleted book's history is as unknown as a book that never existed (404).
    ///
    /// # Panics
    /// When the history answers anything but 200, or 404 before its first entry.
    pub async fn history_with(&self, id: &str, count: usize) -> Value {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let response = self.get(&format!("/books/{id}/history")).await;
            let expired = Instant::now() > deadline;
            if response.status == 404 && !expired {
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            }
            assert_eq!(response.status, 200, "{}", response.text());
            let page = response.json();
            let recorded = page["items"].as_array().map_or(0, Vec::len);
            if recorded >= count || expired {
                return page;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// `POST path` with a JSON body.
    pub async fn post_json(&self, path: &str, body: &Value) -> Response {
        self.send_json("POST", path, &[], body).await
    }
}

impl Drop for LocalApi {
    fn drop(&mut self) {
        if let Ok(pid) = libc::pid_t::try_from(self.child.id()) {
            // SAFETY: kill(2) has no memory-safety preconditions; the group is the runner's own
            // (spawned with process_group(0)), holding the runner and its function processes.
            unsafe {
                libc::kill(-pid, libc::SIGKILL);
            }
        }
        let _ = self.child.wait();
        if self.options.failures_dir.is_none() {
            let _ = std::fs::remove_dir_all(&self.failures_dir);
        }
    }
}

/// The folder of the binaries built with the tests: `target/debug` (from
/// `target/debug/deps/<test>`), or `$BOOKSHELF_BIN_DIR`.
pub fn build_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("BOOKSHELF_BIN_DIR") {
        return PathBuf::from(dir);
    }
    let exe = std::env::current_exe().unwrap_or_default();
    exe.parent()
        .filter(|dir| dir.ends_with("deps"))
        .and_then(Path::parent)
        .map_or_else(
            || workspace::binary_dir(&workspace::root(), false),
            Path::to_owned,
        )
}

/// Copies lines from `source` into `output` (and to stderr, which the test harness shows
/// for failing tests) on a thread of its own.
fn collect(source: impl Read + Send + 'static, output: Arc<Mutex<String>>) {
    std::thread::spawn(move || {
        for line in BufReader::new(source).lines() {
            let Ok(line) = line else { break };
            eprintln!("{line}");
            if let Ok(mut all) = output.lock() {
                all.push_str(&line);
                all.push('\n');
            }
        }
    });
}
