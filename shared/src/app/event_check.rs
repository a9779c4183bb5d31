//! Refusing API Gateway events that cannot become an HTTP request, before
//! `lambda_http` converts them: its conversion panics on a body flagged
//! base64 that is not, and on a host or path that makes no URL. A panic in a
//! release build (`panic = "abort"`) would kill the process and turn one bad
//! event into a cold start; here it is an invocation error, reported to the
//! Runtime API like any other, and the process serves the next event.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use lambda_http::http::header::HOST;
use lambda_http::request::LambdaRequest;

/// Why an event was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MalformedEvent {
    /// `isBase64Encoded` is true but the body is not base64.
    #[error("the event's body is flagged base64 but does not decode")]
    Base64Body,
    /// The host, scheme, stage or path do not make a URL.
    #[error("the event's host and path do not make a URL: {0}")]
    Url(String),
}

/// Checks what `lambda_http` would otherwise panic on.
pub fn check(event: &LambdaRequest) -> Result<(), MalformedEvent> {
    match event {
        LambdaRequest::ApiGatewayV2(event) => check_http_api(event),
        _ => Ok(()),
    }
}

fn check_http_api(event: &ApiGatewayV2httpRequest) -> Result<(), MalformedEvent> {
    if event.is_base64_encoded
        && let Some(body) = &event.body
        && STANDARD.decode(body).is_err()
    {
        return Err(MalformedEvent::Base64Body);
    }
    let raw_path = event.raw_path.as_deref().unwrap_or_default();
    // lambda_http prefixes the stage unless it is `$default`: check both forms.
    let staged = match event.request_context.stage.as_deref() {
        None | Some("$default") => None,
        Some(stage) => Some(format!("/{stage}{raw_path}")),
    };
    let host = event
        .headers
        .get(HOST)
        .and_then(|value| value.to_str().ok())
        .or(event.request_context.domain_name.as_deref());
    let scheme = event
        .headers
        .get("x-forwarded-proto")
        .and_then(|value| value.to_str().ok())
        .unwrap_or("https");
    for path in std::iter::once(raw_path).chain(staged.as_deref()) {
        let url = match host {
            Some(host) => format!("{scheme}://{host}{path}"),
            None => format!("http://localhost{path}"),
        };
        url::Url::parse(&url).map_err(|error| MalformedEvent::Url(format!("{url:?}: {error}")))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn event(change: impl FnOnce(&mut Value)) -> LambdaRequest {
        let mut event: Value = serde_json::from_str(include_str!(
            "../../../tests/support/fixtures/http-api-proxy.json"
        ))
        .unwrap();
        change(&mut event);
        serde_json::from_value(event).unwrap()
    }

    #[test]
    fn a_well_formed_event_passes() {
        assert_eq!(check(&event(|_| {})), Ok(()));
    }

    #[test]
    fn a_body_that_is_not_base64_is_refused() {
        let event = event(|event| event["body"] = json!("not base64!"));
        assert_eq!(check(&event), Err(MalformedEvent::Base64Body));
    }

    #[test]
    fn a_host_that_makes_no_url_is_refused() {
        let event = event(|event| event["headers"]["host"] = json!("exa mple.com"));
        assert!(matches!(check(&event), Err(MalformedEvent::Url(_))));
    }
}
