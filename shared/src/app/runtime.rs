//! The loops that serve events: one per kind of function, all through the same
//! malformed-event check and the same error answer.

use super::App;
use super::access_log::RequestFacts;
use super::emf::MetricsRecord;
use super::event_check;
use crate::domain::clock::now_epoch_millis;
use crate::http::{ApiError, BookEvent, ProblemContext};
use lambda_http::request::LambdaRequest;
use lambda_http::{Body, LambdaEvent, Request, RequestExt, Response, Service, service_fn};
use std::future::Future;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Writes `record` to standard output as one EMF line: Lambda sends it to the
/// function's log group, where CloudWatch extracts its metrics.
pub fn emit(record: &MetricsRecord) {
    println!("{}", record.to_line(now_epoch_millis()));
}

/// What a request keeps of its function's `Timeout` to answer in: past the
/// rest, the handler is dropped and the client gets a 503 (with `Retry-After`)
/// instead of Lambda's timeout, whatever retries the SDK was still making.
const ANSWER_MARGIN: Duration = Duration::from_millis(500);

/// The time `request` has before its function's deadline, less
/// [`ANSWER_MARGIN`]; `None` outside Lambda (no deadline).
fn time_left(request: &Request) -> Option<Duration> {
    let deadline_ms = request.lambda_context_ref()?.deadline;
    let now_ms = u64::try_from(now_epoch_millis()).unwrap_or(u64::MAX);
    let left = Duration::from_millis(deadline_ms.saturating_sub(now_ms));
    Some(left.saturating_sub(ANSWER_MARGIN))
}

/// This function's name (`AWS_LAMBDA_FUNCTION_NAME`), the `Function` dimension.
fn function_name() -> &'static str {
    static NAME: OnceLock<String> = OnceLock::new();
    NAME.get_or_init(|| std::env::var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_default())
}

/// Runs `handler` against `request`, turns an error into its problem+json
/// answer, and writes the request's one access-log and metrics line
/// ([`super::access_log`]): the one place a handler's result becomes a response. `state` is what
/// the handler reads besides the request: the [`App`], or `()` for a function
/// that needs no table.
pub async fn respond<S, F, Fut>(state: &'static S, request: Request, handler: F) -> Response<Body>
where
    S: ?Sized,
    F: Fn(&'static S, Request) -> Fut,
    Fut: Future<Output = Result<Response<Body>, ApiError>>,
{
    let context = ProblemContext::of(&request);
    let facts = RequestFacts::of(&request);
    let budget = time_left(&request);
    let head = request.method() == lambda_http::http::Method::HEAD;
    let started = Instant::now();
    let answer = handler(state, request);
    let result = match budget {
        Some(budget) => tokio::time::timeout(budget, answer)
            .await
            .unwrap_or_else(|_| {
                tracing::warn!(request_id = %context.request_id, "the function's deadline is near; answered 503");
                Err(ApiError::Unavailable)
            }),
        None => answer.await,
    };
    let (response, problem) = match result {
        Ok(response) => (response, None),
        Err(error) => {
            let slug = error.kind().slug;
            (error.into_response(&context), Some(slug))
        }
    };
    let record = facts.answered(
        response.status().as_u16(),
        problem,
        BookEvent::of(&response),
        started.elapsed(),
    );
    emit(&record.to_metrics(function_name()));
    without_body_for_head(head, response)
}

/// HEAD is answered as GET (every GET route has a HEAD route to the same
/// function), without the body: the same status and headers (RFC 9110 §9.3.2).
fn without_body_for_head(head: bool, mut response: Response<Body>) -> Response<Body> {
    if head {
        *response.body_mut() = Body::Empty;
    }
    response
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

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::Context;

    async fn slow(_: &'static (), _: Request) -> Result<Response<Body>, ApiError> {
        tokio::time::sleep(Duration::from_secs(30)).await;
        Ok(Response::new(Body::Empty))
    }

    #[tokio::test(start_paused = true)]
    async fn a_handler_past_the_deadline_is_answered_503_before_it() {
        let mut context = Context::default();
        let now = u64::try_from(now_epoch_millis()).unwrap();
        context.deadline = now + 2_000;
        let request = Request::default().with_lambda_context(context);
        let response = respond(&(), request, slow).await;
        assert_eq!(response.status(), 503);
        assert_eq!(response.headers()["retry-after"], "1");
    }

    #[tokio::test]
    async fn head_is_answered_as_get_without_the_body() {
        async fn page(_: &'static (), _: Request) -> Result<Response<Body>, ApiError> {
            let mut response = Response::new(Body::Text("{\"a\":1}".into()));
            response
                .headers_mut()
                .insert("etag", lambda_http::http::HeaderValue::from_static("\"3\""));
            Ok(response)
        }
        let head = lambda_http::http::Request::builder()
            .method("HEAD")
            .uri("/books/x")
            .body(Body::Empty)
            .unwrap();
        let response = respond(&(), head, page).await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["etag"], "\"3\"");
        assert!(matches!(response.body(), Body::Empty));
        let get = respond(&(), Request::default(), page).await;
        assert!(matches!(get.body(), Body::Text(text) if text == "{\"a\":1}"));
    }

    #[tokio::test]
    async fn without_a_deadline_the_handler_runs_to_its_end() {
        async fn quick(_: &'static (), _: Request) -> Result<Response<Body>, ApiError> {
            Ok(Response::new(Body::Empty))
        }
        assert_eq!(respond(&(), Request::default(), quick).await.status(), 200);
    }
}
