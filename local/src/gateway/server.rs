//! The HTTP listener: one request → route → event → invocation → response, with API
//! Gateway's limits and error answers.
//!
//! Errors follow real HTTP APIs: request line and header values over 10,240 bytes → 431;
//! a `%` in the path that starts no escape → 400; no route → 404; body over 10 MB, or an
//! event over Lambda's 6 MB → 413 (the function never runs); the function fails, crashes,
//! times out (its own `Timeout`) or returns a malformed result → 500 (Lambda reports all of
//! these to API Gateway as a failed invoke); no answer within the integration timeout
//! (`TimeoutInMillis`, 30 s by default) → 503. The integration timeout runs from the
//! invoke: time spent waiting for a free process and a cold process's init counts, as it
//! does on AWS, where an invoke's latency includes the cold start.
//!
//! A route with an `Auth` is checked by the JWT authorizer before its function runs (401 or
//! 403 with API Gateway's `{"message": …}` and `www-authenticate`); the token's claims then
//! go to the function as `requestContext.authorizer.jwt`. Requests under `/_local/idp` are
//! answered by the development identity provider, when there is one, and `GET
//! /_local/functions` by the runner's report of how far each function scaled out.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use time::OffsetDateTime;
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::event::{IncomingRequest, RequestMeta, build_event};
use super::ids::{request_id, trace_header};
use super::limits::{
    MAX_EVENT_BYTES, MAX_REQUEST_BYTES, MAX_REQUEST_HEAD_BYTES, head_too_large, request_head_bytes,
    too_large,
};
use super::path::decode_path;
use super::response::{GatewayResponse, gateway_error, map_response};
use super::routes::RouteTable;
use crate::auth::idp::IdpRequest;
use crate::auth::{Denied, DevIdp, IDP_PATH, JwtAuthorizer};
use crate::lambda::{FunctionStats, LiveFunction};
use crate::template::RouteAuth;

/// Where the runner reports its functions' instances (JSON, see [`FunctionStats`]).
pub const FUNCTIONS_PATH: &str = "/_local/functions";

/// What a route invokes.
#[derive(Debug, Clone)]
pub struct Target {
    /// The function.
    pub invoker: LiveFunction,
    /// How long API Gateway waits for it (`TimeoutInMillis`).
    pub integration_timeout: Duration,
    /// The route's `Auth`: checked by [`Gateway::authorizer`] before the function runs.
    pub auth: Option<RouteAuth>,
}

/// The HTTP API: its routes.
#[derive(Debug)]
pub struct Gateway {
    /// Every route, most specific first.
    pub routes: RouteTable<Target>,
    /// The JWT authorizer of the routes with an `Auth` (locally, every authorizer of the
    /// template trusts the development provider). A route with `Auth` and no authorizer
    /// here is refused with 401, never served open.
    pub authorizer: Option<JwtAuthorizer>,
    /// The development identity provider served under `/_local/idp`.
    pub idp: Option<Arc<DevIdp>>,
    /// Every function of the template, for the report at [`FUNCTIONS_PATH`].
    pub functions: Vec<LiveFunction>,
}

/// The gateway in service: each request is answered by the one current when it arrived,
/// so that replacing it (the watch loop's swap) never touches a request in flight.
#[derive(Debug)]
pub struct LiveGateway(RwLock<Arc<Gateway>>);

impl LiveGateway {
    /// Serves `gateway` until it is replaced.
    pub fn new(gateway: Gateway) -> Self {
        LiveGateway(RwLock::new(Arc::new(gateway)))
    }

    /// The gateway serving new requests.
    pub fn current(&self) -> Arc<Gateway> {
        self.0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Serves new requests with `gateway`; returns the one it replaces.
    pub fn replace(&self, gateway: Gateway) -> Arc<Gateway> {
        let mut slot = self.0.write().unwrap_or_else(PoisonError::into_inner);
        std::mem::replace(&mut *slot, Arc::new(gateway))
    }
}

/// Serves `gateway` on `listener` until `shutdown` is cancelled.
pub async fn serve(listener: TcpListener, gateway: Arc<LiveGateway>, shutdown: CancellationToken) {
    let port = listener.local_addr().map_or(0, |a| a.port());
    let mut connections = JoinSet::new();
    loop {
        let accepted = tokio::select! {
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        let Ok((stream, peer)) = accepted else {
            continue;
        };
        while connections.try_join_next().is_some() {}
        let gateway = gateway.clone();
        connections.spawn(async move {
            let service = service_fn(move |request| {
                let gateway = gateway.current();
                async move { Ok::<_, Infallible>(handle(&gateway, request, peer, port).await) }
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn handle(
    gateway: &Gateway,
    request: Request<Incoming>,
    peer: SocketAddr,
    port: u16,
) -> Response<Full<Bytes>> {
    let started = Instant::now();
    let request_id = request_id();
    let method = request.method().as_str().to_owned();
    let path = request.uri().path().to_owned();
    let (response, function) = route(gateway, request, peer, port, &request_id).await;
    println!(
        "[gateway] {method} {path} → {} {} ({} ms)",
        function.unwrap_or("-"),
        response.status.as_u16(),
        started.elapsed().as_millis()
    );
    into_http(response, &request_id)
}

/// Routes and invokes; returns the response and the name of the function invoked, if any.
async fn route<'g>(
    gateway: &'g Gateway,
    request: Request<Incoming>,
    peer: SocketAddr,
    port: u16,
    request_id: &str,
) -> (GatewayResponse, Option<&'g str>) {
    let time = OffsetDateTime::now_utc();
    let head = request_head_bytes(
        request.method(),
        request.uri(),
        request.version(),
        request.headers(),
    );
    if head > MAX_REQUEST_HEAD_BYTES {
        let mut body = request.into_body();
        drain(&mut body).await;
        return (head_too_large(), None);
    }
    let declared_length = request
        .headers()
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let (parts, mut body) = request.into_parts();
    if declared_length.is_some_and(|length| length > MAX_REQUEST_BYTES) {
        drain(&mut body).await;
        return (too_large(), None);
    }
    let mut collected = Vec::new();
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else {
            return (gateway_error(StatusCode::BAD_REQUEST), None);
        };
        if let Ok(data) = frame.into_data() {
            collected.extend_from_slice(&data);
        }
        if collected.len() > MAX_REQUEST_BYTES {
            drain(&mut body).await;
            return (too_large(), None);
        }
    }
    let body = Bytes::from(collected);

    if parts.uri.path() == FUNCTIONS_PATH && parts.method == http::Method::GET {
        return (functions_report(&gateway.functions), Some("runner"));
    }

    if let (Some(idp), Some(idp_path)) = (&gateway.idp, parts.uri.path().strip_prefix(IDP_PATH)) {
        let request = IdpRequest {
            method: parts.method.as_str(),
            path: idp_path,
            query: parts.uri.query().unwrap_or_default(),
            headers: &parts.headers,
            body: &body,
        };
        return (idp.handle(&request), Some("dev-idp"));
    }

    let Ok(path) = decode_path(parts.uri.path()) else {
        return (gateway_error(StatusCode::BAD_REQUEST), None);
    };
    let Some(matched) = gateway.routes.find(parts.method.as_str(), &path.routed) else {
        return (gateway_error(StatusCode::NOT_FOUND), None);
    };
    let target = &matched.route.target;
    let protocol = format!("{:?}", parts.version);
    let incoming = IncomingRequest {
        method: parts.method.as_str(),
        raw_path: &path.raw_path,
        raw_query: parts.uri.query().unwrap_or_default(),
        headers: &parts.headers,
        body: &body,
        source_ip: peer.ip(),
        port,
        protocol: &protocol,
    };
    let trace_id = trace_header();
    let meta = RequestMeta {
        request_id,
        time,
        trace_id: &trace_id,
        route_key: &matched.route.key,
        path_parameters: &matched.path_parameters,
    };
    let mut event = build_event(&incoming, &meta);
    if let Some(auth) = &target.auth {
        let authorization = parts
            .headers
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        let checked = match &gateway.authorizer {
            Some(authorizer) => authorizer.authorize(authorization, &auth.scopes),
            None => Err(Denied::Unauthorized(
                "no authorizer is configured".to_owned(),
            )),
        };
        match checked {
            Ok(authorized) => {
                event["requestContext"]["authorizer"] =
                    authorized.to_context(!auth.scopes.is_empty());
            }
            Err(denied) => return (refusal(&denied), None),
        }
    }
    let event = Bytes::from(event.to_string());
    let name = Some(target.invoker.name());
    if event.len() > MAX_EVENT_BYTES {
        eprintln!(
            "[gateway] {request_id}: the event for {} is {} bytes, over Lambda's {MAX_EVENT_BYTES}: not invoked",
            target.invoker.name(),
            event.len()
        );
        return (too_large(), name);
    }
    let invoked = tokio::time::timeout(target.integration_timeout, target.invoker.invoke(event));
    let response = match invoked.await {
        Err(_) => gateway_error(StatusCode::SERVICE_UNAVAILABLE),
        Ok(Err(error)) => {
            eprintln!(
                "[gateway] {request_id}: {} failed: {error}",
                target.invoker.name()
            );
            gateway_error(StatusCode::INTERNAL_SERVER_ERROR)
        }
        Ok(Ok(result)) => map_response(&result).unwrap_or_else(|error| {
            eprintln!("[gateway] {request_id}: malformed Lambda proxy response: {error}");
            gateway_error(StatusCode::INTERNAL_SERVER_ERROR)
        }),
    };
    (response, name)
}

/// The runner's report: every function's [`FunctionStats`], as JSON.
fn functions_report(functions: &[LiveFunction]) -> GatewayResponse {
    let stats: Vec<FunctionStats> = functions.iter().map(LiveFunction::stats).collect();
    let mut response = gateway_error(StatusCode::OK);
    response.body = Bytes::from(serde_json::json!({ "functions": stats }).to_string());
    response
}

/// API Gateway's answer to a request its authorizer refused.
fn refusal(denied: &Denied) -> GatewayResponse {
    let (status, message) = match denied {
        Denied::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "Unauthorized"),
        Denied::Forbidden(_) => (StatusCode::FORBIDDEN, "Forbidden"),
    };
    let mut response = gateway_error(status);
    response.body = Bytes::from(serde_json::json!({ "message": message }).to_string());
    if let Ok(value) = HeaderValue::from_str(&denied.www_authenticate()) {
        response
            .headers
            .push((http::header::WWW_AUTHENTICATE, value));
    }
    response
}

/// Reads and discards the rest of a refused body (up to a bound), so the client gets to
/// read the 413 instead of a reset connection.
async fn drain(body: &mut Incoming) {
    const DRAIN_LIMIT: usize = 8 * MAX_REQUEST_BYTES;
    let mut seen = 0;
    while let Some(Ok(frame)) = body.frame().await {
        seen += frame.data_ref().map_or(0, Bytes::len);
        if seen > DRAIN_LIMIT {
            break;
        }
    }
}

fn into_http(response: GatewayResponse, request_id: &str) -> Response<Full<Bytes>> {
    let mut http = Response::new(Full::new(response.body));
    *http.status_mut() = response.status;
    let headers = http.headers_mut();
    for (name, value) in response.headers {
        headers.append(name, value);
    }
    if let Ok(id) = HeaderValue::from_str(request_id) {
        headers.insert("apigw-requestid", id);
    }
    http
}
