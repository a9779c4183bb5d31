//! The request path as an HTTP API sees it: decoded before routing and again before it
//! reaches the function.
//!
//! What real HTTP APIs do, from live captures of payload-2.0 events (hotsock/voker,
//! `vokerhttp/testdata/ingress-paths.json`, July 2026, `us-west-2`) and AWS's note that
//! "API Gateway decodes URL-encoded request parameters before passing them to your backend
//! integration" (Developer Guide, *Create routes for HTTP APIs*):
//!
//! | sent | `rawPath` |
//! | --- | --- |
//! | `/a/space%20value` | `/a/space value` |
//! | `/a/slash%2Fvalue` | `/a/slash/value` |
//! | `/a/question%3Fvalue` | `/a/question` (cut at the decoded `?`) |
//! | `/a/hash%23value` | `/a/hash#value` |
//! | `/a/literal%252Fvalue` | `/a/literal/value` (decoded twice) |
//! | `/a/literal%253Fvalue` | `/a/literal?value` (decoded twice, not cut) |
//! | `/a/percent%25done` | refused with 400 (`%do` is no escape) |
//!
//! One model explains every row: the path is percent-decoded once, cut at the first `?`
//! the decoding produced (it is read again as a URL), and routed; `rawPath`,
//! `requestContext.http.path` and the path parameters are that path decoded once more. A
//! `%` that does not start an escape, in either pass, is a 400. Routing on the once-decoded
//! path is also what makes `/items/a%2Fb` miss a `/items/{id}` route while `/items/a%252Fb`
//! reaches it with `id` = `a/b` (the widely reported behaviour of HTTP APIs).
//!
//! Sources differ on one point: AWS's own documentation and sample events (and
//! `sam local`) never show an encoded path, and REST APIs, Function URLs and ALB keep the
//! path encoded; the captures above are the only record of an HTTP API's answer to encoded
//! paths, so they are followed. Bytes that decode to invalid UTF-8 are not covered by any
//! source; they become U+FFFD here, as in the path parameters before.

use percent_encoding::percent_decode_str;

/// A request path after API Gateway's decoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayPath {
    /// The path routes are matched against: decoded once, cut at the first `?`. Its
    /// segments are decoded once more for the path parameters.
    pub routed: String,
    /// `rawPath` and `requestContext.http.path`: `routed` decoded again.
    pub raw_path: String,
}

/// Why API Gateway refuses a path (it answers 400 Bad Request).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`%` not followed by two hexadecimal digits in the path")]
pub struct BadEscape;

/// The path API Gateway routes and passes on for `sent`, the path as the client sent it
/// (without the query string).
///
/// # Errors
/// [`BadEscape`] when a `%` does not start an escape, before or after the first decoding.
pub fn decode_path(sent: &str) -> Result<GatewayPath, BadEscape> {
    let once = decode_strictly(sent)?;
    let routed = match once.split_once('?') {
        Some((path, _)) => path.to_owned(),
        None => once,
    };
    let raw_path = decode_strictly(&routed)?;
    Ok(GatewayPath { routed, raw_path })
}

/// Percent-decodes `text`, refusing a `%` that is not followed by two hexadecimal digits.
fn decode_strictly(text: &str) -> Result<String, BadEscape> {
    let bytes = text.as_bytes();
    for (i, _) in bytes.iter().enumerate().filter(|(_, b)| **b == b'%') {
        let escape = bytes.get(i + 1..i + 3).ok_or(BadEscape)?;
        if !escape.iter().all(u8::is_ascii_hexdigit) {
            return Err(BadEscape);
        }
    }
    Ok(percent_decode_str(text).decode_utf8_lossy().into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `(sent, rawPath)` from the live captures (hotsock/voker `ingress-paths.json`).
    const CAPTURES: [(&str, &str); 9] = [
        ("/capture/plain", "/capture/plain"),
        ("/capture/space%20value", "/capture/space value"),
        ("/capture/question%3Fvalue", "/capture/question"),
        ("/capture/hash%23value", "/capture/hash#value"),
        ("/capture/slash%2Fvalue", "/capture/slash/value"),
        (
            "/capture/unicode-%CE%BB-%E4%B8%96%E7%95%8C",
            "/capture/unicode-λ-世界",
        ),
        ("/capture/literal%252Fvalue", "/capture/literal/value"),
        ("/capture/literal%253Fvalue", "/capture/literal?value"),
        ("/capture/literal%2525value", "/capture/literal%value"),
    ];

    #[test]
    fn every_captured_path_arrives_as_aws_delivered_it() {
        for (sent, raw_path) in CAPTURES {
            let decoded = decode_path(sent).expect("AWS answered it");
            assert_eq!(decoded.raw_path, raw_path, "{sent}");
        }
    }

    #[test]
    fn routing_sees_the_path_decoded_once() {
        let decoded = decode_path("/books/a%252Fb").expect("valid");
        assert_eq!(
            decoded.routed, "/books/a%2Fb",
            "one segment: routed to {{id}}"
        );
        assert_eq!(decoded.raw_path, "/books/a/b");
        let decoded = decode_path("/books/a%2Fb").expect("valid");
        assert_eq!(decoded.routed, "/books/a/b", "two segments");
        let decoded = decode_path("/books/x%3Fy/history").expect("valid");
        assert_eq!(decoded.routed, "/books/x", "cut at the decoded `?`");
    }

    #[test]
    fn a_percent_that_starts_no_escape_is_refused() {
        for sent in [
            "/capture/percent%25done",
            "/books/50%25",
            "/books/%zz",
            "/books/%4",
            "/books/%",
        ] {
            assert_eq!(decode_path(sent), Err(BadEscape), "{sent}");
        }
    }
}
