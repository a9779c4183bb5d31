//! Builds the event API Gateway HTTP APIs send a Lambda integration (payload format 2.0):
//! lower-cased, comma-joined headers; cookies split out; raw and parsed query strings;
//! path parameters; the request context; text bodies as-is and other bodies in base64.
//!
//! As captured events of real HTTP APIs show (aws-lambda-events'
//! `example-apigw-v2-request-no-authorizer.json`, a `curl` GET; hotsock/voker's
//! `apigwv2-request.json`, a POST), the headers always hold `content-length`, `0` for a
//! request without a body, and `requestContext.domainName` is the API's endpoint,
//! `<apiId>.execute-api.<region>.amazonaws.com`, whose first label is `domainPrefix`. The
//! `host` header stays the one the client sent, so that a function building a URL from it
//! points back at this local API.

use std::collections::BTreeMap;
use std::net::IpAddr;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::HeaderMap;
use percent_encoding::percent_decode_str;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use time::macros::format_description;

use crate::template::{LOCAL_ACCOUNT_ID, LOCAL_REGION};

/// The API id the local API reports in `requestContext.apiId`.
pub const LOCAL_API_ID: &str = "local";

/// `requestContext.domainName`: the default endpoint of the local API,
/// `local.execute-api.us-east-1.amazonaws.com`.
pub fn domain_name() -> String {
    format!("{LOCAL_API_ID}.execute-api.{LOCAL_REGION}.amazonaws.com")
}

/// The request as the client sent it.
#[derive(Debug, Clone)]
pub struct IncomingRequest<'a> {
    /// HTTP method, e.g. `GET`.
    pub method: &'a str,
    /// `rawPath`: the path as API Gateway passes it on, decoded (see
    /// [`super::path::decode_path`]).
    pub raw_path: &'a str,
    /// Query string as sent, without `?` (empty when none).
    pub raw_query: &'a str,
    /// Request headers.
    pub headers: &'a HeaderMap,
    /// Request body (empty when none).
    pub body: &'a [u8],
    /// Client address.
    pub source_ip: IpAddr,
    /// Port the API listens on (for `x-forwarded-port`).
    pub port: u16,
    /// `HTTP/1.1` and the like.
    pub protocol: &'a str,
}

/// What API Gateway decides about a request before invoking the function.
#[derive(Debug, Clone)]
pub struct RequestMeta<'a> {
    /// `requestContext.requestId` (also the `apigw-requestid` response header).
    pub request_id: &'a str,
    /// When the request arrived.
    pub time: OffsetDateTime,
    /// `x-amzn-trace-id` header value.
    pub trace_id: &'a str,
    /// The matched route key, e.g. `GET /books/{id}`.
    pub route_key: &'a str,
    /// Decoded path parameters of the matched route.
    pub path_parameters: &'a BTreeMap<String, String>,
}

/// The payload-2.0 event for `request` routed as `meta` says.
pub fn build_event(request: &IncomingRequest<'_>, meta: &RequestMeta<'_>) -> Value {
    let mut headers: BTreeMap<String, String> = BTreeMap::new();
    let mut cookies: Vec<String> = Vec::new();
    for (name, value) in request.headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        if name == http::header::COOKIE {
            cookies.extend(
                value
                    .split(';')
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .map(str::to_owned),
            );
            continue;
        }
        headers
            .entry(name.as_str().to_owned())
            .and_modify(|joined| {
                joined.push(',');
                joined.push_str(&value);
            })
            .or_insert(value);
    }
    let source_ip = request.source_ip.to_string();
    headers
        .entry("x-forwarded-for".to_owned())
        .and_modify(|chain| {
            chain.push_str(", ");
            chain.push_str(&source_ip);
        })
        .or_insert_with(|| source_ip.clone());
    headers.insert("x-forwarded-port".to_owned(), request.port.to_string());
    headers.insert("x-forwarded-proto".to_owned(), "http".to_owned());
    headers.insert("x-amzn-trace-id".to_owned(), meta.trace_id.to_owned());
    headers.insert("content-length".to_owned(), request.body.len().to_string());

    let user_agent = headers.get("user-agent").cloned().unwrap_or_default();

    let mut event = Map::new();
    event.insert("version".into(), json!("2.0"));
    event.insert("routeKey".into(), json!(meta.route_key));
    event.insert("rawPath".into(), json!(request.raw_path));
    event.insert("rawQueryString".into(), json!(request.raw_query));
    if !cookies.is_empty() {
        event.insert("cookies".into(), json!(cookies));
    }
    event.insert("headers".into(), json!(headers));
    let query = query_string_parameters(request.raw_query);
    if !query.is_empty() {
        event.insert("queryStringParameters".into(), json!(query));
    }
    if !meta.path_parameters.is_empty() {
        event.insert("pathParameters".into(), json!(meta.path_parameters));
    }
    event.insert(
        "requestContext".into(),
        json!({
            "accountId": LOCAL_ACCOUNT_ID,
            "apiId": LOCAL_API_ID,
            "domainName": domain_name(),
            "domainPrefix": LOCAL_API_ID,
            "http": {
                "method": request.method,
                "path": request.raw_path,
                "protocol": request.protocol,
                "sourceIp": source_ip,
                "userAgent": user_agent,
            },
            "requestId": meta.request_id,
            "routeKey": meta.route_key,
            "stage": "$default",
            "time": format_time(meta.time),
            "timeEpoch": epoch_millis(meta.time),
        }),
    );
    let content_type = headers.get("content-type").map(String::as_str);
    let base64 = !request.body.is_empty() && !is_text(content_type, request.body);
    if !request.body.is_empty() {
        let body = if base64 {
            STANDARD.encode(request.body)
        } else {
            String::from_utf8_lossy(request.body).into_owned()
        };
        event.insert("body".into(), json!(body));
    }
    event.insert("isBase64Encoded".into(), json!(base64));
    Value::Object(event)
}

/// `queryStringParameters`: decoded names and values, repeated names comma-joined.
///
/// `+` is kept as is: API Gateway percent-decodes but does not treat `+` as a space.
pub fn query_string_parameters(raw: &str) -> BTreeMap<String, String> {
    let mut parameters: BTreeMap<String, String> = BTreeMap::new();
    for pair in raw.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let name = percent_decode_str(name).decode_utf8_lossy().into_owned();
        let value = percent_decode_str(value).decode_utf8_lossy().into_owned();
        if name.is_empty() {
            continue;
        }
        parameters
            .entry(name)
            .and_modify(|joined| {
                joined.push(',');
                joined.push_str(&value);
            })
            .or_insert(value);
    }
    parameters
}

/// Whether API Gateway passes a body of `content_type` as text: `text/*`,
/// `application/json`, `application/xml` and `application/javascript` (in UTF-8); everything
/// else goes as base64, including forms, a missing type, and the structured-syntax types
/// `application/*+json` and `*+xml` (`application/merge-patch+json`,
/// `application/problem+json`).
///
/// AWS documents only that a binary body is base64-encoded; which types count as text was
/// measured against real HTTP APIs (ministackorg/ministack#766, "verified against real AWS
/// … since the docs don't enumerate it"). A text type whose body is not UTF-8 goes as
/// base64 too: JSON cannot carry it as a string.
pub fn is_text(content_type: Option<&str>, body: &[u8]) -> bool {
    let Some(content_type) = content_type else {
        return false;
    };
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let textual = essence.starts_with("text/")
        || matches!(
            essence.as_str(),
            "application/json" | "application/javascript" | "application/xml"
        );
    textual && std::str::from_utf8(body).is_ok()
}

/// `requestContext.time`: `12/Mar/2020:19:03:58 +0000`.
pub fn format_time(time: OffsetDateTime) -> String {
    let format =
        format_description!("[day]/[month repr:short]/[year]:[hour]:[minute]:[second] +0000");
    time.to_offset(time::UtcOffset::UTC)
        .format(&format)
        .unwrap_or_default()
}

fn epoch_millis(time: OffsetDateTime) -> i64 {
    i64::try_from(time.unix_timestamp_nanos() / 1_000_000).unwrap_or_default()
}
