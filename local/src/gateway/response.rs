//! Maps a function's result back to HTTP as API Gateway does for payload format 2.0, and
//! builds API Gateway's own error responses (`{"message": …}`).
//!
//! A result with a `statusCode` is a structured response (`headers`, `cookies`, `body`,
//! `isBase64Encoded`; `multiValueHeaders` is ignored in 2.0). Any other valid JSON is
//! returned as a 200 `application/json` body (a JSON string as its text). Anything else is
//! a malformed response, which API Gateway answers with 500.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use http::{HeaderName, HeaderValue, StatusCode};
use serde_json::Value;

/// An HTTP response to send to the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayResponse {
    /// Status code.
    pub status: StatusCode,
    /// Headers in order; `set-cookie` may repeat.
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// Body bytes.
    pub body: Bytes,
}

/// Why a function's result cannot be turned into an HTTP response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MalformedResponse {
    /// The result is not JSON.
    #[error("the function's result is not JSON: {0}")]
    NotJson(String),
    /// `statusCode` is not a valid status.
    #[error("statusCode is not a valid HTTP status")]
    Status,
    /// A header name or value is not valid HTTP.
    #[error("header `{0}` is not valid HTTP")]
    Header(String),
    /// `body` is not a string, or not valid base64 with `isBase64Encoded`.
    #[error("body is not a string (or not base64 while isBase64Encoded is true)")]
    Body,
    /// `cookies` is not a list of strings.
    #[error("cookies must be a list of strings")]
    Cookies,
}

/// The HTTP response for a function's `result`.
///
/// # Errors
/// [`MalformedResponse`] when the result is not a response API Gateway would accept.
pub fn map_response(result: &[u8]) -> Result<GatewayResponse, MalformedResponse> {
    let value: Value =
        serde_json::from_slice(result).map_err(|e| MalformedResponse::NotJson(e.to_string()))?;
    let structured = value.as_object().filter(|o| o.contains_key("statusCode"));
    let Some(object) = structured else {
        // An inferred-format answer is the body as the function returned it, byte for
        // byte (not re-serialised: key order and spacing are the function's); only a
        // JSON string is unquoted, as API Gateway does.
        let body = match value {
            Value::String(text) => Bytes::from(text),
            _ => Bytes::copy_from_slice(result),
        };
        return Ok(GatewayResponse {
            status: StatusCode::OK,
            headers: vec![(
                http::header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            body,
        });
    };

    let status = object
        .get("statusCode")
        .and_then(|s| match s {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.parse().ok(),
            _ => None,
        })
        .and_then(|code| u16::try_from(code).ok())
        .and_then(|code| StatusCode::from_u16(code).ok())
        .ok_or(MalformedResponse::Status)?;

    let mut headers = Vec::new();
    if let Some(map) = object.get("headers").and_then(Value::as_object) {
        for (name, value) in map {
            let text = match value {
                Value::String(s) => s.clone(),
                Value::Null => continue,
                other => other.to_string(),
            };
            headers.push(header(name, &text)?);
        }
    }
    match object.get("cookies") {
        None | Some(Value::Null) => {}
        Some(Value::Array(cookies)) => {
            for cookie in cookies {
                let cookie = cookie.as_str().ok_or(MalformedResponse::Cookies)?;
                headers.push(header("set-cookie", cookie)?);
            }
        }
        Some(_) => return Err(MalformedResponse::Cookies),
    }

    let base64 = object
        .get("isBase64Encoded")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let body = match object.get("body") {
        None | Some(Value::Null) => Bytes::new(),
        Some(Value::String(text)) if base64 => Bytes::from(
            STANDARD
                .decode(text.as_bytes())
                .map_err(|_| MalformedResponse::Body)?,
        ),
        Some(Value::String(text)) => Bytes::from(text.clone()),
        Some(_) => return Err(MalformedResponse::Body),
    };
    // A structured answer without a content type gets API Gateway's default.
    if !headers
        .iter()
        .any(|(name, _)| name == http::header::CONTENT_TYPE)
    {
        headers.push((
            http::header::CONTENT_TYPE,
            HeaderValue::from_static(DEFAULT_CONTENT_TYPE),
        ));
    }
    Ok(GatewayResponse {
        status,
        headers,
        body,
    })
}

/// The `content-type` API Gateway gives a structured (payload 2.0) answer that names none.
pub const DEFAULT_CONTENT_TYPE: &str = "text/plain; charset=utf-8";

fn header(name: &str, value: &str) -> Result<(HeaderName, HeaderValue), MalformedResponse> {
    let invalid = || MalformedResponse::Header(name.to_owned());
    Ok((
        HeaderName::from_bytes(name.as_bytes()).map_err(|_| invalid())?,
        HeaderValue::from_str(value).map_err(|_| invalid())?,
    ))
}

/// API Gateway's own response for `status`: `{"message":"Not Found"}` and the like.
pub fn gateway_error(status: StatusCode) -> GatewayResponse {
    let message = match status {
        StatusCode::NOT_FOUND => "Not Found",
        StatusCode::PAYLOAD_TOO_LARGE => "Request Entity Too Large",
        StatusCode::SERVICE_UNAVAILABLE => "Service Unavailable",
        StatusCode::INTERNAL_SERVER_ERROR => "Internal Server Error",
        other => other.canonical_reason().unwrap_or("Error"),
    };
    GatewayResponse {
        status,
        headers: vec![(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body: Bytes::from(serde_json::json!({ "message": message }).to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LAMBDA_HTTP: &str = include_str!("../../tests/fixtures/lambda-http-response.json");

    fn header_values<'a>(response: &'a GatewayResponse, name: &str) -> Vec<&'a str> {
        response
            .headers
            .iter()
            .filter(|(n, _)| n == name)
            .filter_map(|(_, v)| v.to_str().ok())
            .collect()
    }

    #[test]
    fn a_structured_response_maps_status_headers_cookies_and_body() {
        let response = map_response(LAMBDA_HTTP.as_bytes()).expect("valid response");
        assert_eq!(response.status, StatusCode::CREATED);
        assert_eq!(header_values(&response, "etag"), ["\"3\""]);
        assert_eq!(header_values(&response, "location"), ["/books/b1"]);
        assert_eq!(
            header_values(&response, "set-cookie"),
            ["a=1; Path=/; HttpOnly", "b=2"]
        );
        assert_eq!(
            header_values(&response, "content-type").len(),
            1,
            "multiValueHeaders is ignored"
        );
        assert_eq!(response.body, Bytes::from_static(br#"{"id":"b1"}"#));
    }

    #[test]
    fn base64_bodies_are_decoded() {
        let response = map_response(br#"{"statusCode":200,"isBase64Encoded":true,"body":"AAEC"}"#)
            .expect("valid");
        assert_eq!(response.body, Bytes::from_static(&[0, 1, 2]));
        assert!(map_response(br#"{"statusCode":200,"isBase64Encoded":true,"body":"%%"}"#).is_err());
    }

    #[test]
    fn a_result_without_status_code_is_a_200_json_body() {
        let response = map_response(br#"{"hello":"world"}"#).expect("valid");
        assert_eq!(response.status, StatusCode::OK);
        assert_eq!(
            header_values(&response, "content-type"),
            ["application/json"]
        );
        assert_eq!(response.body, Bytes::from_static(br#"{"hello":"world"}"#));
        let text = map_response(br#""Hello from Lambda!""#).expect("valid");
        assert_eq!(text.body, Bytes::from_static(b"Hello from Lambda!"));
        // Byte for byte: neither keys reordered nor spacing changed.
        let raw = br#"{ "z": 1,  "a": [1, 2] }"#;
        assert_eq!(
            map_response(raw).expect("valid").body,
            Bytes::from_static(raw)
        );
    }

    #[test]
    fn a_structured_response_without_a_content_type_gets_the_default() {
        let bare = map_response(br#"{"statusCode":200,"body":"hi"}"#).expect("valid");
        assert_eq!(header_values(&bare, "content-type"), [DEFAULT_CONTENT_TYPE]);
        let own = map_response(
            br#"{"statusCode":200,"headers":{"content-type":"application/json"},"body":"{}"}"#,
        )
        .expect("valid");
        assert_eq!(header_values(&own, "content-type"), ["application/json"]);
    }

    #[test]
    fn malformed_results_are_refused() {
        assert!(matches!(
            map_response(b"not json"),
            Err(MalformedResponse::NotJson(_))
        ));
        assert_eq!(
            map_response(br#"{"statusCode":"abc"}"#),
            Err(MalformedResponse::Status)
        );
        assert_eq!(
            map_response(br#"{"statusCode":99}"#),
            Err(MalformedResponse::Status)
        );
        assert_eq!(
            map_response(br#"{"statusCode":200,"body":{}}"#),
            Err(MalformedResponse::Body)
        );
        assert_eq!(
            map_response(br#"{"statusCode":200,"cookies":"a"}"#),
            Err(MalformedResponse::Cookies)
        );
        assert!(map_response(br#"{"statusCode":200,"headers":{"bad header":"x"}}"#).is_err());
    }

    #[test]
    fn gateway_errors_carry_api_gateway_messages() {
        for (status, message) in [
            (StatusCode::NOT_FOUND, "Not Found"),
            (StatusCode::PAYLOAD_TOO_LARGE, "Request Entity Too Large"),
            (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error"),
            (StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable"),
        ] {
            let response = gateway_error(status);
            let body: serde_json::Value = serde_json::from_slice(&response.body).expect("JSON");
            assert_eq!(body, serde_json::json!({ "message": message }));
        }
    }
}
