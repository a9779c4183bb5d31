//! Reading a JSON request body: size, content coding, media type, syntax, in
//! that order, so each failure gets its own status (413, 415, 415, 400) before
//! any field is looked at. A body is never decoded: a `Content-Encoding` other
//! than `identity` is refused (RFC 9110 §8.4), and so is an object that names
//! a member twice (which member would win is not defined by RFC 8259).

use super::ApiError;
use lambda_http::http::header::{CONTENT_ENCODING, CONTENT_TYPE};
use lambda_http::{Body, Request};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// The largest request body accepted, in bytes (64 KiB). A book is well under
/// 4 KiB; anything near this is a mistake or an attack.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The JSON media types a route accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonMediaType {
    /// `application/json` only (POST, PUT).
    Json,
    /// `application/merge-patch+json` or `application/json` (PATCH).
    MergePatch,
}

impl JsonMediaType {
    fn accepts(self, essence: &str) -> bool {
        essence == "application/json"
            || (self == Self::MergePatch && essence == "application/merge-patch+json")
    }

    fn expected(self) -> &'static str {
        match self {
            Self::Json => "application/json",
            Self::MergePatch => "application/merge-patch+json or application/json",
        }
    }

    /// The `Accept-Patch` of a PATCH route's 415 (RFC 5789 §2.2).
    fn accept_patch(self) -> Option<&'static str> {
        match self {
            Self::Json => None,
            Self::MergePatch => Some("application/merge-patch+json, application/json"),
        }
    }
}

/// The body of `request` as a JSON object.
///
/// Errors: over [`MAX_BODY_BYTES`] → 413; a body without an accepted content
/// type → 415; empty, not JSON, or nested too deeply → 400; JSON that is not an
/// object → 422.
pub fn json_object(
    request: &Request,
    media_type: JsonMediaType,
) -> Result<Map<String, Value>, ApiError> {
    let bytes: &[u8] = match request.body() {
        Body::Empty => &[],
        Body::Text(text) => text.as_bytes(),
        Body::Binary(bytes) => bytes,
        _ => &[],
    };
    if bytes.len() > MAX_BODY_BYTES {
        return Err(ApiError::PayloadTooLarge {
            limit: MAX_BODY_BYTES,
        });
    }
    let coding = request
        .headers()
        .get_all(CONTENT_ENCODING)
        .iter()
        .flat_map(|value| value.to_str().unwrap_or("?").split(','))
        .map(str::trim)
        .find(|coding| !coding.is_empty() && !coding.eq_ignore_ascii_case("identity"));
    if let Some(coding) = coding {
        return Err(ApiError::UnsupportedContentEncoding {
            coding: coding.to_owned(),
        });
    }
    let content_type = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .map(media_type_essence);
    match content_type {
        Some(essence) if media_type.accepts(&essence) => {}
        None if bytes.is_empty() => {
            return Err(ApiError::MalformedJson("the body is empty".into()));
        }
        _ => {
            return Err(ApiError::UnsupportedMediaType {
                expected: media_type.expected(),
                accept_patch: media_type.accept_patch(),
            });
        }
    }
    if bytes.is_empty() {
        return Err(ApiError::MalformedJson("the body is empty".into()));
    }
    // serde_json refuses nesting deeper than 128 levels with a syntax error, so
    // deeply nested input is a 400, never a stack overflow.
    match serde_json::from_slice::<StrictJson>(bytes).map(|StrictJson(value)| value) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(_) => Err(ApiError::Validation(vec![crate::domain::FieldError::new(
            "",
            "the body must be a JSON object",
        )])),
        Err(error) => Err(ApiError::MalformedJson(error.to_string())),
    }
}

/// A JSON value read like `serde_json::Value`, except that an object naming
/// the same member twice is an error (serde_json keeps the last silently).
struct StrictJson(Value);

impl<'de> Deserialize<'de> for StrictJson {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictVisitor).map(StrictJson)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("a JSON value")
    }

    fn visit_bool<E>(self, value: bool) -> Result<Value, E> {
        Ok(Value::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Value, E> {
        Ok(Value::from(value))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Value, E> {
        Ok(Value::from(value))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Value, E> {
        Ok(Value::from(value))
    }

    fn visit_str<E>(self, value: &str) -> Result<Value, E> {
        Ok(Value::from(value))
    }

    fn visit_string<E>(self, value: String) -> Result<Value, E> {
        Ok(Value::String(value))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<Value, A::Error> {
        let mut values = Vec::new();
        while let Some(StrictJson(value)) = items.next_element()? {
            values.push(value);
        }
        Ok(Value::Array(values))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut members: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(name) = members.next_key::<String>()? {
            if object.contains_key(&name) {
                return Err(de::Error::custom(format!(
                    "the member `{name}` appears more than once"
                )));
            }
            let StrictJson(value) = members.next_value()?;
            object.insert(name, value);
        }
        Ok(Value::Object(object))
    }
}

/// `type/subtype` in lower case, without parameters such as `charset`.
fn media_type_essence(value: &str) -> String {
    value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::http::Request as HttpRequest;

    fn request(content_type: Option<&str>, body: Body) -> Request {
        let mut builder = HttpRequest::builder().method("POST").uri("/books");
        if let Some(content_type) = content_type {
            builder = builder.header(CONTENT_TYPE, content_type);
        }
        builder.body(body).unwrap()
    }

    fn status(result: Result<Map<String, Value>, ApiError>) -> u16 {
        result.unwrap_err().status().as_u16()
    }

    #[test]
    fn reads_an_object_with_charset_and_case() {
        let req = request(
            Some("Application/JSON; charset=utf-8"),
            Body::Text("{\"a\":1}".into()),
        );
        assert_eq!(json_object(&req, JsonMediaType::Json).unwrap()["a"], 1);
    }

    #[test]
    fn merge_patch_type_only_where_accepted() {
        let body = || Body::Text("{}".into());
        let req = request(Some("application/merge-patch+json"), body());
        assert!(json_object(&req, JsonMediaType::MergePatch).is_ok());
        assert_eq!(status(json_object(&req, JsonMediaType::Json)), 415);
    }

    #[test]
    fn status_for_each_kind_of_bad_body() {
        let json = Some("application/json");
        assert_eq!(
            status(json_object(
                &request(Some("text/plain"), Body::Text("{}".into())),
                JsonMediaType::Json
            )),
            415
        );
        assert_eq!(
            status(json_object(
                &request(None, Body::Text("{}".into())),
                JsonMediaType::Json
            )),
            415
        );
        assert_eq!(
            status(json_object(
                &request(None, Body::Empty),
                JsonMediaType::Json
            )),
            400
        );
        assert_eq!(
            status(json_object(
                &request(json, Body::Empty),
                JsonMediaType::Json
            )),
            400
        );
        assert_eq!(
            status(json_object(
                &request(json, Body::Text("{".into())),
                JsonMediaType::Json
            )),
            400
        );
        assert_eq!(
            status(json_object(
                &request(json, Body::Text("[1]".into())),
                JsonMediaType::Json
            )),
            422
        );
        assert_eq!(
            status(json_object(
                &request(json, Body::Binary(vec![0xff, 0xfe])),
                JsonMediaType::Json
            )),
            400
        );
    }

    #[test]
    fn size_limit_is_exact() {
        let padded = |len: usize| format!("{{\"a\":\"{}\"}}", "x".repeat(len - 8));
        let at_limit = padded(MAX_BODY_BYTES);
        assert_eq!(at_limit.len(), MAX_BODY_BYTES);
        let req = request(Some("application/json"), Body::Text(at_limit));
        assert!(json_object(&req, JsonMediaType::Json).is_ok());
        let over = request(
            Some("application/json"),
            Body::Text(padded(MAX_BODY_BYTES + 1)),
        );
        assert_eq!(status(json_object(&over, JsonMediaType::Json)), 413);
    }

    #[test]
    fn deep_nesting_is_a_400_not_a_crash() {
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        let req = request(Some("application/json"), Body::Text(deep));
        assert_eq!(status(json_object(&req, JsonMediaType::Json)), 400);
    }

    #[test]
    fn a_member_named_twice_is_malformed_at_any_depth() {
        for body in [
            r#"{"title":123,"title":"Smuggled","author":"x"}"#,
            r#"{"title":"T","author":"A","x":{"a":1,"a":2}}"#,
        ] {
            let req = request(Some("application/json"), Body::Text(body.into()));
            let error = json_object(&req, JsonMediaType::Json).unwrap_err();
            assert!(
                matches!(error, ApiError::MalformedJson(_)),
                "{body}: {error:?}"
            );
        }
        let req = request(
            Some("application/json"),
            Body::Text(r#"{"a":[1,{"b":null}],"c":1.5,"d":-2,"e":true}"#.into()),
        );
        let object = json_object(&req, JsonMediaType::Json).unwrap();
        assert_eq!(
            Value::Object(object),
            serde_json::json!({"a":[1,{"b":null}],"c":1.5,"d":-2,"e":true})
        );
    }

    #[test]
    fn an_encoded_body_is_refused_and_identity_is_not_an_encoding() {
        let with_coding = |coding: &str| {
            HttpRequest::builder()
                .method("POST")
                .uri("/books")
                .header(CONTENT_TYPE, "application/json")
                .header(CONTENT_ENCODING, coding)
                .body(Body::Text("{}".into()))
                .unwrap()
        };
        for coding in ["gzip", "br", "identity, gzip", "x-custom"] {
            let error = json_object(&with_coding(coding), JsonMediaType::Json).unwrap_err();
            assert!(
                matches!(error, ApiError::UnsupportedContentEncoding { .. }),
                "{coding}: {error:?}"
            );
            assert_eq!(error.status(), 415);
        }
        assert!(json_object(&with_coding("identity"), JsonMediaType::Json).is_ok());
    }

    #[test]
    fn a_patch_routes_415_lists_what_it_accepts() {
        let req = request(Some("text/plain"), Body::Text("{}".into()));
        let error = json_object(&req, JsonMediaType::MergePatch).unwrap_err();
        let response = error.into_response(&super::super::ProblemContext::default());
        assert_eq!(
            response.headers()["accept-patch"],
            "application/merge-patch+json, application/json"
        );
        let req = request(Some("text/plain"), Body::Text("{}".into()));
        let error = json_object(&req, JsonMediaType::Json).unwrap_err();
        let response = error.into_response(&super::super::ProblemContext::default());
        assert!(response.headers().get("accept-patch").is_none());
    }
}
