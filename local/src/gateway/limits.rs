//! The sizes API Gateway and Lambda allow a request, and API Gateway's answers past them.
//!
//! - The request line and header values together: at most 10,240 bytes ("Total combined
//!   size of request line and header values", *Quotas for configuring and running an HTTP
//!   API*, API Gateway Developer Guide). Past it API Gateway answers 431 Request Header
//!   Fields Too Large (observed in front of an HTTP API: backbencher.dev, *SOLVED: 431
//!   Status Code With Request Header Fields Too Large*) with the text `HTTP header is larger
//!   than 10240 bytes.` (reported by ntsblog.homedev.com.au, *AWS API Gateway – HTTP header
//!   is larger than 10240 bytes.*), as `text; charset=utf-8`, the type its front end gives
//!   the like answer to an oversized body (captured in koki-develop/lgtm-generator#10).
//!   Header names are not counted, as the quota's wording says.
//! - The body: at most 10 MB ("Payload size", same page) → 413.
//! - The event: Lambda refuses a synchronous invoke whose payload is over 6,291,456 bytes
//!   (`RequestEntityTooLargeException`: "Request must be smaller than 6291456 bytes for the
//!   InvokeFunction operation"), so the function never runs; an HTTP API answers that with
//!   413 `{"message":"Request Entity Too Large"}`, as AWS's own emulator of it, the Lambda
//!   Test Tool v2 (aws/aws-lambda-dotnet#1990), does. A body well under 10 MB can make such
//!   an event: base64 grows a binary body by a third.

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, Version};

use super::response::{GatewayResponse, gateway_error};

/// Largest request body an HTTP API accepts.
pub const MAX_REQUEST_BYTES: usize = 10 * 1024 * 1024;

/// Largest request line plus header values an HTTP API accepts.
pub const MAX_REQUEST_HEAD_BYTES: usize = 10_240;

/// Largest event Lambda accepts for a synchronous invocation.
pub const MAX_EVENT_BYTES: usize = 6 * 1024 * 1024;

/// What API Gateway counts against [`MAX_REQUEST_HEAD_BYTES`]: the request line
/// (`GET /books?limit=2 HTTP/1.1`) and every header value.
pub fn request_head_bytes(
    method: &Method,
    uri: &Uri,
    version: Version,
    headers: &HeaderMap,
) -> usize {
    let request_line = method.as_str().len() + 1 + uri.to_string().len() + 1 + version_len(version);
    request_line + headers.values().map(HeaderValue::len).sum::<usize>()
}

fn version_len(version: Version) -> usize {
    format!("{version:?}").len()
}

/// API Gateway's answer to a request line and headers over [`MAX_REQUEST_HEAD_BYTES`].
pub fn head_too_large() -> GatewayResponse {
    GatewayResponse {
        status: StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        headers: vec![(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("text; charset=utf-8"),
        )],
        body: Bytes::from(format!(
            "HTTP header is larger than {MAX_REQUEST_HEAD_BYTES} bytes."
        )),
    }
}

/// API Gateway's answer when the event is over [`MAX_EVENT_BYTES`] (or the body over
/// [`MAX_REQUEST_BYTES`]): 413 `{"message":"Request Entity Too Large"}`.
pub fn too_large() -> GatewayResponse {
    gateway_error(StatusCode::PAYLOAD_TOO_LARGE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_line_and_header_values_count_and_names_do_not() {
        let mut headers = HeaderMap::new();
        headers.insert("host", HeaderValue::from_static("127.0.0.1:3000"));
        headers.append("x-long-header-name", HeaderValue::from_static("ab"));
        headers.append("x-long-header-name", HeaderValue::from_static("cde"));
        let uri: Uri = "/books?limit=2".parse().expect("a URI");
        // `GET /books?limit=2 HTTP/1.1` is 27 bytes; the values 14 + 2 + 3.
        assert_eq!(
            request_head_bytes(&Method::GET, &uri, Version::HTTP_11, &headers),
            27 + 19
        );
    }

    #[test]
    fn the_answers_are_api_gateways() {
        let head = head_too_large();
        assert_eq!(head.status, 431);
        assert_eq!(head.body, "HTTP header is larger than 10240 bytes.");
        let event = too_large();
        assert_eq!(event.status, 413);
        assert_eq!(event.body, r#"{"message":"Request Entity Too Large"}"#);
    }
}
