//! The Lambda Runtime API (version 2018-06-01) that one function process talks to:
//! `GET invocation/next`, `POST invocation/{id}/response`, `POST invocation/{id}/error`,
//! `POST init/error`. Requests become [`RuntimeEvent`]s for the process's supervisor.

use std::convert::Infallible;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;

/// Largest response a function may return (Lambda's synchronous payload limit).
pub const MAX_RESPONSE_BYTES: usize = 6 * 1024 * 1024;

const PREFIX: &str = "/2018-06-01/runtime/";

/// The next event handed to the process by `GET invocation/next`.
#[derive(Debug, Clone)]
pub struct NextEvent {
    /// `Lambda-Runtime-Aws-Request-Id`.
    pub request_id: String,
    /// `Lambda-Runtime-Deadline-Ms`: epoch milliseconds.
    pub deadline_ms: u128,
    /// `Lambda-Runtime-Invoked-Function-Arn`.
    pub function_arn: String,
    /// `Lambda-Runtime-Trace-Id`.
    pub trace_id: String,
    /// The event JSON.
    pub payload: Bytes,
}

/// What the process asked of the Runtime API.
#[derive(Debug)]
pub enum RuntimeEvent {
    /// The process is ready for its next event.
    Next(oneshot::Sender<NextEvent>),
    /// The process answered invocation `request_id`.
    Response {
        /// Which invocation.
        request_id: String,
        /// The function's result.
        body: Bytes,
        /// `true` if the id was the one in flight.
        accepted: oneshot::Sender<bool>,
    },
    /// The function failed invocation `request_id`.
    Error {
        /// Which invocation.
        request_id: String,
        /// The error document (`errorType`, `errorMessage`).
        body: Bytes,
        /// `true` if the id was the one in flight.
        accepted: oneshot::Sender<bool>,
    },
    /// The process failed to initialise.
    InitError {
        /// The error document.
        body: Bytes,
    },
}

/// Serves the Runtime API on `listener` until the task is aborted (which also drops every
/// open connection, so a replaced process can no longer reach its supervisor).
pub async fn serve(listener: TcpListener, events: mpsc::Sender<RuntimeEvent>) {
    let mut connections = JoinSet::new();
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        while connections.try_join_next().is_some() {}
        let events = events.clone();
        connections.spawn(async move {
            let service = service_fn(move |request| handle(request, events.clone()));
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn handle(
    request: Request<Incoming>,
    events: mpsc::Sender<RuntimeEvent>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = request.uri().path().to_owned();
    let Some(route) = path.strip_prefix(PREFIX) else {
        return Ok(error(StatusCode::NOT_FOUND, "NotFound", "unknown path"));
    };
    let method = request.method().clone();
    let response = match (method, route) {
        (Method::GET, "invocation/next") => next(events).await,
        (Method::POST, "init/error") => match read_body(request).await {
            Ok(body) => {
                let _ = events.send(RuntimeEvent::InitError { body }).await;
                accepted()
            }
            Err(response) => response,
        },
        (Method::POST, route) => match route
            .strip_prefix("invocation/")
            .and_then(|rest| rest.split_once('/'))
        {
            Some((id, kind @ ("response" | "error"))) => {
                let request_id = id.to_owned();
                let is_error = kind == "error";
                let body = match read_body(request).await {
                    Ok(body) => body,
                    Err(too_large) if !is_error => {
                        let body = Bytes::from_static(
                            br#"{"errorType":"Function.ResponseSizeTooLarge","errorMessage":"Response payload size exceeded maximum allowed payload size (6291456 bytes)."}"#,
                        );
                        let (accepted, _) = oneshot::channel();
                        let _ = events
                            .send(RuntimeEvent::Error {
                                request_id,
                                body,
                                accepted,
                            })
                            .await;
                        return Ok(too_large);
                    }
                    Err(response) => return Ok(response),
                };
                let (tx, rx) = oneshot::channel();
                let event = if is_error {
                    RuntimeEvent::Error {
                        request_id,
                        body,
                        accepted: tx,
                    }
                } else {
                    RuntimeEvent::Response {
                        request_id,
                        body,
                        accepted: tx,
                    }
                };
                if events.send(event).await.is_err() {
                    return Ok(error(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "ServiceException",
                        "runtime is stopping",
                    ));
                }
                match rx.await {
                    Ok(true) => accepted(),
                    _ => error(
                        StatusCode::BAD_REQUEST,
                        "InvalidRequestID",
                        "Invalid request ID",
                    ),
                }
            }
            _ => error(StatusCode::NOT_FOUND, "NotFound", "unknown path"),
        },
        _ => error(StatusCode::NOT_FOUND, "NotFound", "unknown path"),
    };
    Ok(response)
}

/// Waits for the supervisor to hand over the next invocation.
async fn next(events: mpsc::Sender<RuntimeEvent>) -> Response<Full<Bytes>> {
    let (tx, rx) = oneshot::channel();
    if events.send(RuntimeEvent::Next(tx)).await.is_err() {
        return error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "ServiceException",
            "runtime is stopping",
        );
    }
    match rx.await {
        Ok(event) => Response::builder()
            .status(StatusCode::OK)
            .header("content-type", "application/json")
            .header("lambda-runtime-aws-request-id", &event.request_id)
            .header("lambda-runtime-deadline-ms", event.deadline_ms.to_string())
            .header("lambda-runtime-invoked-function-arn", &event.function_arn)
            .header("lambda-runtime-trace-id", &event.trace_id)
            .body(Full::new(event.payload))
            .unwrap_or_else(|_| {
                error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "ServiceException",
                    "bad event headers",
                )
            }),
        Err(_) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "ServiceException",
            "runtime is stopping",
        ),
    }
}

/// Reads a request body of at most [`MAX_RESPONSE_BYTES`]; a larger one is a 413 response.
async fn read_body(request: Request<Incoming>) -> Result<Bytes, Response<Full<Bytes>>> {
    match Limited::new(request.into_body(), MAX_RESPONSE_BYTES)
        .collect()
        .await
    {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(_) => Err(error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "RequestEntityTooLarge",
            "payload exceeds 6291456 bytes",
        )),
    }
}

fn accepted() -> Response<Full<Bytes>> {
    json(StatusCode::ACCEPTED, r#"{"status":"OK"}"#.to_owned())
}

fn error(status: StatusCode, kind: &str, message: &str) -> Response<Full<Bytes>> {
    let body = serde_json::json!({ "errorType": kind, "errorMessage": message }).to_string();
    json(status, body)
}

fn json(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    response
}
