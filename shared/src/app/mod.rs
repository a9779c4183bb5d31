//! Wiring: what a function builds once per cold start, and the loops that serve
//! events. Nothing here decides what a route does.
//!
//! A function's `main` is one line: `bookshelf::app::run(handler).await`, where
//! `handler` takes the [`App`] and the request and returns a response or an
//! [`ApiError`] (`run_without_table` for a function that reads no table, and
//! `run_events` for one invoked by events other than HTTP). Everything else —
//! logging, configuration, the DynamoDB client, refusing malformed events,
//! turning errors into problem+json — happens here, once for every function.

pub mod access_log;
pub mod emf;
pub mod event_check;
mod runtime;

pub use runtime::{emit, respond, run, run_events, run_without_table};

use crate::http::ApiError;
use crate::store::{BookStore, ShelfShards};
use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::{SharedHttpClient, StalledStreamProtectionConfig};
use aws_smithy_http_client::tls;
use std::time::Duration;

/// The environment a function needs, read once at start.
#[derive(Debug, Clone)]
pub struct Config {
    /// `TABLE_NAME`: the books table.
    pub table_name: String,
    /// `CURSOR_SECRET`: the key that signs list cursors; only the functions
    /// that page (and so sign cursors) are given it.
    pub cursor_secret: Option<Vec<u8>>,
    /// `SHELF_SHARDS`: how many shard keys the shelf spreads books over (the
    /// stack's `ShelfShards` parameter; every function gets it, since creates
    /// place books and listings read every shard).
    pub shelf_shards: ShelfShards,
    /// `ALLOW_ANONYMOUS_WRITES=true`: writes without a signed-in caller are
    /// performed as "anonymous" (only for `sam local start-api`; the template
    /// never sets it in `prod`).
    pub allow_anonymous_writes: bool,
}

/// A required environment variable is missing or invalid: the function
/// cannot start.
#[derive(Debug, thiserror::Error)]
pub enum MissingVariable {
    /// Not set, or empty.
    #[error("the environment variable {0} must be set")]
    Missing(&'static str),
    /// Set to something it cannot be.
    #[error("the environment variable {0}: {1}")]
    Invalid(&'static str, String),
}

impl Config {
    /// Reads `TABLE_NAME` and `SHELF_SHARDS` (required) and `CURSOR_SECRET`
    /// (where given). A function never guesses the shard count: one that
    /// read fewer shards than the books are on would list only some of them.
    pub fn from_env() -> Result<Self, MissingVariable> {
        let variable =
            |name: &'static str| std::env::var(name).ok().filter(|value| !value.is_empty());
        let shards = variable("SHELF_SHARDS").ok_or(MissingVariable::Missing("SHELF_SHARDS"))?;
        Ok(Self {
            table_name: variable("TABLE_NAME").ok_or(MissingVariable::Missing("TABLE_NAME"))?,
            shelf_shards: ShelfShards::parse(&shards)
                .map_err(|error| MissingVariable::Invalid("SHELF_SHARDS", error.to_string()))?,
            cursor_secret: variable("CURSOR_SECRET").map(String::into_bytes),
            allow_anonymous_writes: variable("ALLOW_ANONYMOUS_WRITES")
                .is_some_and(|value| value.eq_ignore_ascii_case("true")),
        })
    }
}

/// Everything a handler borrows: built once, shared by every event.
#[derive(Clone)]
pub struct App {
    /// The books table.
    pub store: BookStore,
    /// The key that signs list cursors, where the function was given one.
    cursor_secret: Option<Vec<u8>>,
    /// Whether writes without a signed-in caller are allowed ([`Config`]).
    pub allow_anonymous_writes: bool,
}

/// The cursor key never reaches a log, even through `{:?}`.
impl std::fmt::Debug for App {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("App")
            .field("store", &self.store)
            .field(
                "cursor_secret",
                &self.cursor_secret.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

impl App {
    /// An app over `client` with `config`.
    pub fn new(client: Client, config: Config) -> Self {
        Self {
            store: BookStore::new(client, config.table_name, config.shelf_shards),
            cursor_secret: config.cursor_secret,
            allow_anonymous_writes: config.allow_anonymous_writes,
        }
    }

    /// The key that signs list cursors.
    ///
    /// # Errors
    /// [`ApiError::Internal`] when the function was deployed without
    /// `CURSOR_SECRET`: a template fault, logged with the request.
    pub fn cursor_secret(&self) -> Result<&[u8], ApiError> {
        self.cursor_secret
            .as_deref()
            .ok_or_else(|| ApiError::Internal("CURSOR_SECRET is not set for this function".into()))
    }

    /// Reads the configuration and builds the DynamoDB client.
    pub async fn from_env() -> Result<Self, lambda_http::Error> {
        let config = Config::from_env()?;
        Ok(Self::new(dynamodb_client()?, config))
    }
}

/// The DynamoDB client every function uses: region, credentials and endpoint
/// from the environment (Lambda sets the first two; `AWS_ENDPOINT_URL_DYNAMODB`
/// points it at DynamoDB Local), with timeouts well under the function's
/// 10-second timeout so an outage is answered with a 503, not a Lambda timeout.
///
/// # Errors
/// [`MissingVariable`] when `AWS_REGION`, `AWS_ACCESS_KEY_ID` or
/// `AWS_SECRET_ACCESS_KEY` is missing: Lambda always sets them, so the function
/// reports an init error instead of starting without credentials.
pub fn dynamodb_client() -> Result<Client, MissingVariable> {
    let variable = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
    let required = |name: &'static str| variable(name).ok_or(MissingVariable::Missing(name));
    // The region and the role's credentials come straight from the environment, where
    // Lambda puts them: no default provider chain (profile files, web identity,
    // container and IMDS providers, STS), so no work for it at init and none of its
    // code in the binary.
    let region = match variable("AWS_DEFAULT_REGION") {
        Some(region) => variable("AWS_REGION").unwrap_or(region),
        None => required("AWS_REGION")?,
    };
    let credentials = aws_sdk_dynamodb::config::Credentials::new(
        required("AWS_ACCESS_KEY_ID")?,
        required("AWS_SECRET_ACCESS_KEY")?,
        variable("AWS_SESSION_TOKEN"),
        None,
        "Environment",
    );
    let ignore_endpoints = variable("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
        .is_some_and(|value| value.eq_ignore_ascii_case("true"));
    let endpoint = variable("AWS_ENDPOINT_URL_DYNAMODB")
        .or_else(|| variable("AWS_ENDPOINT_URL"))
        .filter(|_| !ignore_endpoints);
    let mut config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(aws_sdk_dynamodb::config::Region::new(region))
        .credentials_provider(credentials)
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(1))
                .operation_attempt_timeout(Duration::from_secs(2))
                .operation_timeout(Duration::from_secs(5))
                .build(),
        )
        .retry_config(RetryConfig::standard().with_max_attempts(3))
        // Stalled-stream protection times every poll of every body, on every
        // request; DynamoDB's bodies are small JSON documents, and the attempt
        // timeout above already bounds a stalled one (docs/BENCHMARKS.md, "Cuts").
        .stalled_stream_protection(StalledStreamProtectionConfig::disabled())
        .http_client(https_client());
    config.set_endpoint_url(endpoint);
    Ok(Client::from_conf(config.build()))
}

/// The HTTPS client under the DynamoDB client: rustls on ring, trusting the system's
/// CA bundle (or `SSL_CERT_FILE`). The SDK's default client runs rustls on aws-lc,
/// whose first use seeds its random generator from CPU jitter: about 20 ms of every
/// cold start over TLS, and a larger binary (docs/BENCHMARKS.md).
fn https_client() -> SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https()
}
