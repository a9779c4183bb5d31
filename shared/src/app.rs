//! What a function builds once per cold start, and the loop that serves events.
//!
//! A function's `main` is one line: `bookshelf::app::run(handler).await`, where
//! `handler` takes the [`App`] and the request and returns a response or an
//! [`ApiError`] (`run_without_table` for a function that reads no table, and
//! `run_events` for one invoked by events other than HTTP). Everything else —
//! logging, configuration, the DynamoDB client, turning errors into
//! problem+json — happens here, once for every function.

use crate::book::{BookChanges, BookId};
use crate::clock::now_rfc3339;
use crate::event_check;
use crate::http::{ApiError, IfMatch, ProblemContext, book_response};
use crate::store::BookStore;
use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::SharedHttpClient;
use aws_smithy_http_client::tls;
use lambda_http::http::StatusCode;
use lambda_http::request::LambdaRequest;
use lambda_http::{Body, LambdaEvent, Request, Response, Service, service_fn};
use std::future::Future;
use std::time::Duration;

/// The environment a function needs, read once at start.
#[derive(Debug, Clone)]
pub struct Config {
    /// `TABLE_NAME`: the books table.
    pub table_name: String,
    /// `CURSOR_SECRET`: the key that signs list cursors.
    pub cursor_secret: Vec<u8>,
}

/// A required environment variable is missing: the function cannot start.
#[derive(Debug, thiserror::Error)]
#[error("the environment variable {0} must be set")]
pub struct MissingVariable(&'static str);

impl Config {
    /// Reads `TABLE_NAME` and `CURSOR_SECRET`.
    pub fn from_env() -> Result<Self, MissingVariable> {
        let variable = |name: &'static str| {
            std::env::var(name)
                .ok()
                .filter(|value| !value.is_empty())
                .ok_or(MissingVariable(name))
        };
        Ok(Self {
            table_name: variable("TABLE_NAME")?,
            cursor_secret: variable("CURSOR_SECRET")?.into_bytes(),
        })
    }
}

/// Everything a handler borrows: built once, shared by every event.
#[derive(Debug, Clone)]
pub struct App {
    /// The books table.
    pub store: BookStore,
    /// The key that signs list cursors.
    pub cursor_secret: Vec<u8>,
}

impl App {
    /// An app over `client` with `config`.
    pub fn new(client: Client, config: Config) -> Self {
        Self {
            store: BookStore::new(client, config.table_name),
            cursor_secret: config.cursor_secret,
        }
    }

    /// Applies `changes` to the book `id` under the `If-Match` `precondition`
    /// and answers with the book as stored (200 with its new ETag): the common
    /// end of PUT and PATCH.
    pub async fn update_book(
        &self,
        id: &BookId,
        changes: &BookChanges,
        precondition: &IfMatch,
    ) -> Result<Response<Body>, ApiError> {
        let book = self
            .store
            .update(
                id,
                changes,
                precondition.expected_versions(),
                &now_rfc3339(),
            )
            .await?;
        Ok(book_response(StatusCode::OK, &book))
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
    let required = |name: &'static str| variable(name).ok_or(MissingVariable(name));
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

/// Runs `handler` against `request` and turns an error into its problem+json
/// answer: the one place a handler's result becomes a response. `state` is what
/// the handler reads besides the request: the [`App`], or `()` for a function
/// that needs no table.
pub async fn respond<S, F, Fut>(state: &'static S, request: Request, handler: F) -> Response<Body>
where
    S: ?Sized,
    F: Fn(&'static S, Request) -> Fut,
    Fut: Future<Output = Result<Response<Body>, ApiError>>,
{
    let context = ProblemContext::of(&request);
    match handler(state, request).await {
        Ok(response) => response,
        Err(error) => error.into_response(&context),
    }
}

/// Like [`run`], for a function invoked by events other than HTTP (such as a
/// DynamoDB stream): `handler` takes the [`App`] and the deserialised event.
pub async fn run_events<E, R, F, Fut>(handler: F) -> Result<(), lambda_http::Error>
where
    E: serde::de::DeserializeOwned + Send + 'static,
    R: serde::Serialize + Send + 'static,
    F: Fn(&'static App, LambdaEvent<E>) -> Fut + Copy + Send + 'static,
    Fut: Future<Output = Result<R, lambda_http::Error>> + Send + 'static,
{
    lambda_http::tracing::init_default_subscriber();
    let app: &'static App = Box::leak(Box::new(App::from_env().await?));
    lambda_http::lambda_runtime::run(service_fn(move |event: LambdaEvent<E>| handler(app, event)))
        .await
}

/// A function's whole life: set up logging (JSON when Lambda asks for it),
/// build the [`App`] once, then serve events with `handler` until Lambda stops
/// the process. An event that cannot become an HTTP request is refused as an
/// invocation error ([`event_check`]) instead of reaching `lambda_http`'s
/// conversion, which would panic.
pub async fn run<F, Fut>(handler: F) -> Result<(), lambda_http::Error>
where
    F: Fn(&'static App, Request) -> Fut + Copy + Send + 'static,
    Fut: Future<Output = Result<Response<Body>, ApiError>> + Send + 'static,
{
    lambda_http::tracing::init_default_subscriber();
    let app: &'static App = Box::leak(Box::new(App::from_env().await?));
    serve(app, handler).await
}

/// Like [`run`], for a function that reads no table (such as the 405 answer):
/// no configuration and no DynamoDB client to build, so its cold start and
/// binary stay small. Its answers follow the same conventions as every other.
pub async fn run_without_table<F, Fut>(handler: F) -> Result<(), lambda_http::Error>
where
    F: Fn(Request) -> Fut + Copy + Send + 'static,
    Fut: Future<Output = Result<Response<Body>, ApiError>> + Send + 'static,
{
    lambda_http::tracing::init_default_subscriber();
    serve(&(), move |_: &'static (), request| handler(request)).await
}

/// Serves HTTP events with `handler` and `state` until Lambda stops the process.
async fn serve<S, F, Fut>(state: &'static S, handler: F) -> Result<(), lambda_http::Error>
where
    S: Sync + ?Sized,
    F: Fn(&'static S, Request) -> Fut + Copy + Send + 'static,
    Fut: Future<Output = Result<Response<Body>, ApiError>> + Send + 'static,
{
    let adapter = lambda_http::Adapter::from(service_fn(move |request: Request| async move {
        Ok::<_, lambda_http::Error>(respond(state, request, handler).await)
    }));
    lambda_http::lambda_runtime::run(service_fn(move |event: LambdaEvent<LambdaRequest>| {
        let response = event_check::check(&event.payload).map(|()| adapter.clone().call(event));
        async move { response?.await }
    }))
    .await
}
