//! The sample events in `events/` look like what a real HTTP API sends, by the rules the
//! local API Gateway follows: request ids of API Gateway's shape, the API's execute-api
//! domain, `content-length` always (0 without a body), the path decoded, and a body in
//! base64 unless its type is one API Gateway passes as text.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bookshelf_local::gateway::event::is_text;
use bookshelf_local::gateway::ids::is_request_id;
use bookshelf_local::workspace;
use serde_json::Value;

/// Every `events/*.json` that is an HTTP API event, with its file name.
fn http_events() -> Vec<(String, Value)> {
    let dir = workspace::root().join("events");
    let mut events: Vec<(String, Value)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("readable");
            let event: Value =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            (path.display().to_string(), event)
        })
        .filter(|(_, event)| event["version"] == "2.0")
        .collect();
    events.sort_by(|a, b| a.0.cmp(&b.0));
    events
}

#[test]
fn every_sample_http_event_follows_api_gateways_rules() {
    let events = http_events();
    assert!(
        events.len() >= 14,
        "every HTTP function has one: {}",
        events.len()
    );
    for (file, event) in events {
        let context = &event["requestContext"];
        let request_id = context["requestId"].as_str().unwrap_or_default();
        assert!(is_request_id(request_id), "{file}: requestId {request_id}");

        let api_id = context["apiId"].as_str().unwrap_or_default();
        let domain = format!("{api_id}.execute-api.us-east-1.amazonaws.com");
        assert_eq!(context["domainName"], domain.as_str(), "{file}");
        assert_eq!(context["domainPrefix"], api_id, "{file}");
        assert_eq!(event["headers"]["host"], domain.as_str(), "{file}");

        let raw_path = event["rawPath"].as_str().unwrap_or_default();
        assert_eq!(context["http"]["path"], raw_path, "{file}");
        assert!(!raw_path.contains('%'), "{file}: rawPath arrives decoded");

        let base64 = event["isBase64Encoded"].as_bool().expect("a flag");
        let body = match event["body"].as_str() {
            None => Vec::new(),
            Some(body) if base64 => STANDARD.decode(body).expect("base64"),
            Some(body) => body.as_bytes().to_vec(),
        };
        assert_eq!(
            event["headers"]["content-length"],
            body.len().to_string().as_str(),
            "{file}"
        );
        let content_type = event["headers"]["content-type"].as_str();
        let text = body.is_empty() || is_text(content_type, &body);
        assert_eq!(base64, !text, "{file}: {content_type:?}");
    }
}
