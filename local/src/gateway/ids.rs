//! The identifiers API Gateway gives each request: its request id (`requestContext.requestId`
//! and the `apigw-requestid` response header) and its X-Ray trace header.
//!
//! Request ids recorded from real HTTP APIs are 16 characters of URL-safe base64 ending in
//! one `=`, the encoding of 11 bytes: `LV7fzho-PHcEJPw=` (aws-lambda-events,
//! `example-apigw-v2-request-no-authorizer.json`, a captured event) and `ATfSmjLgPHcESJw=`
//! (hotsock/voker, `vokerhttp/testdata/apigwv2-request.json`, a live capture of July 2026).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE;
use time::OffsetDateTime;

/// How many bytes a request id encodes (11 bytes: 16 base64 characters, one `=`).
const REQUEST_ID_BYTES: usize = 11;

/// A fresh request id shaped like API Gateway's, e.g. `LV7fzho-PHcEJPw=`.
pub fn request_id() -> String {
    let random = uuid::Uuid::new_v4().into_bytes();
    URL_SAFE.encode(&random[..REQUEST_ID_BYTES])
}

/// Whether `id` has the shape of an API Gateway request id: 16 characters of URL-safe
/// base64 (`A–Z a–z 0–9 - _`), the last one `=`.
pub fn is_request_id(id: &str) -> bool {
    id.len() == 16
        && id.ends_with('=')
        && id[..15]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A fresh `x-amzn-trace-id` value: `Root=1-<epoch seconds in hex>-<24 hex digits>`.
pub fn trace_header() -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let epoch = OffsetDateTime::now_utc().unix_timestamp();
    format!("Root=1-{epoch:08x}-{}", &id[..24])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_have_the_shape_of_recorded_ones() {
        for recorded in ["LV7fzho-PHcEJPw=", "ATfSmjLgPHcESJw=", "JKJaXmPLvHcESHA="] {
            assert!(is_request_id(recorded), "{recorded}");
        }
        for _ in 0..100 {
            let id = request_id();
            assert!(is_request_id(&id), "{id}");
        }
        for other in [
            "",
            "id",
            "JKJaXmPLvHcESA==",
            "JKJaXmPLvHcESHA",
            "JKJaXmPLvHc+SHA=",
        ] {
            assert!(!is_request_id(other), "{other}");
        }
    }

    #[test]
    fn trace_headers_have_the_x_ray_shape() {
        let header = trace_header();
        let parts: Vec<&str> = header
            .strip_prefix("Root=1-")
            .expect("a root")
            .split('-')
            .collect();
        assert_eq!(parts.len(), 2, "{header}");
        assert_eq!(parts[0].len(), 8, "{header}");
        assert_eq!(parts[1].len(), 24, "{header}");
    }
}
