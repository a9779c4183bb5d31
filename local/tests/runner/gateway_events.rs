//! Events built by the local API Gateway compared with recorded HTTP API (payload 2.0)
//! events: the `sam local generate-event apigateway http-api-proxy` shape and a full event.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};

use bookshelf_local::gateway::event::{IncomingRequest, RequestMeta, build_event, format_time};
use http::{HeaderMap, HeaderName, HeaderValue};
use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use serde_json::Value;
use time::macros::datetime;

const SAM_EVENT: &str = include_str!("../fixtures/http-api-proxy.json");
const GET_BOOK: &str = include_str!("../fixtures/get-book.json");

fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.append(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    }
    map
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).expect("fixture is JSON")
}

#[test]
fn the_sam_shaped_request_produces_the_same_event_fields() {
    let expected = json(SAM_EVENT);
    let request_headers = headers(&[
        ("header1", "value1"),
        ("header2", "value1"),
        ("header2", "value2"),
        ("cookie", "cookie1; cookie2"),
        ("content-type", "application/octet-stream"),
        ("user-agent", "agent"),
    ]);
    let body = br#"{"test":"body"}"#;
    let incoming = IncomingRequest {
        method: "POST",
        raw_path: "/path/to/resource",
        raw_query: "parameter1=value1&parameter1=value2&parameter2=value",
        headers: &request_headers,
        body,
        source_ip: IpAddr::V4(Ipv4Addr::new(192, 168, 0, 1)),
        port: 3000,
        protocol: "HTTP/1.1",
    };
    let parameters = BTreeMap::from([("parameter1".to_owned(), "value1".to_owned())]);
    let meta = RequestMeta {
        request_id: "id",
        time: datetime!(2020-03-12 19:03:58.390 UTC),
        trace_id: "Root=1-x",
        route_key: "$default",
        path_parameters: &parameters,
    };
    let event = build_event(&incoming, &meta);
    for pointer in [
        "/version",
        "/routeKey",
        "/rawPath",
        "/rawQueryString",
        "/cookies",
        "/queryStringParameters",
        "/pathParameters",
        "/body",
        "/isBase64Encoded",
        "/requestContext/accountId",
        "/requestContext/http/method",
        "/requestContext/http/path",
        "/requestContext/http/protocol",
        "/requestContext/http/userAgent",
        "/requestContext/routeKey",
        "/requestContext/stage",
        "/requestContext/time",
        "/headers/header1",
        "/headers/header2",
    ] {
        assert_eq!(
            event.pointer(pointer),
            expected.pointer(pointer),
            "{pointer}"
        );
    }
    assert!(
        event.pointer("/headers/cookie").is_none(),
        "cookies leave the headers"
    );
    for document in [&event, &expected] {
        serde_json::from_value::<ApiGatewayV2httpRequest>(document.clone())
            .expect("lambda_http reads the event");
    }
}

#[test]
fn a_routed_request_produces_exactly_the_recorded_event() {
    let request_headers = headers(&[
        ("host", "127.0.0.1:3000"),
        ("user-agent", "curl/8.5.0"),
        ("accept", "application/json"),
        ("x-custom", "one"),
        ("x-custom", "two"),
        ("cookie", "session=abc"),
        ("cookie", "theme=dark"),
    ]);
    // The path as API Gateway passes it on: decoded (the client sent `/books/b%201`).
    let incoming = IncomingRequest {
        method: "GET",
        raw_path: "/books/b 1",
        raw_query: "fields=title&fields=author&q=a+b%21",
        headers: &request_headers,
        body: b"",
        source_ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
        port: 3000,
        protocol: "HTTP/1.1",
    };
    let parameters = BTreeMap::from([("id".to_owned(), "b 1".to_owned())]);
    let meta = RequestMeta {
        request_id: "JKJaXmPLvHcESHA=",
        time: datetime!(2020-03-12 19:03:58.390 UTC),
        trace_id: "Root=1-5e6a8d3e-0123456789abcdef01234567",
        route_key: "GET /books/{id}",
        path_parameters: &parameters,
    };
    assert_eq!(build_event(&incoming, &meta), json(GET_BOOK));
}

/// Request headers, body, and whether the event carries the body in base64.
type Case = (&'static [(&'static str, &'static str)], &'static [u8], bool);

/// The event for a `POST /books` with `pairs` as headers and `body`.
fn post_event(pairs: &[(&'static str, &'static str)], body: &[u8]) -> Value {
    let request_headers = headers(pairs);
    let incoming = IncomingRequest {
        method: "POST",
        raw_path: "/books",
        raw_query: "",
        headers: &request_headers,
        body,
        source_ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
        port: 3000,
        protocol: "HTTP/1.1",
    };
    let parameters = BTreeMap::new();
    let meta = RequestMeta {
        request_id: "r",
        time: datetime!(2024-01-02 03:04:05 UTC),
        trace_id: "t",
        route_key: "POST /books",
        path_parameters: &parameters,
    };
    build_event(&incoming, &meta)
}

#[test]
fn text_bodies_stay_text_and_others_are_base64() {
    // Text only for text/*, application/json, application/xml and application/javascript,
    // as measured on real HTTP APIs; structured-syntax suffixes (+json, +xml) are base64.
    let cases: [Case; 11] = [
        (
            &[("content-type", "application/json; charset=utf-8")],
            br#"{"a":1}"#,
            false,
        ),
        (&[("content-type", "text/plain")], b"hello", false),
        (&[("content-type", "Text/HTML")], b"<p>", false),
        (&[("content-type", "application/xml")], b"<a/>", false),
        (&[("content-type", "application/javascript")], b"1;", false),
        (
            &[("content-type", "application/merge-patch+json")],
            b"{}",
            true,
        ),
        (&[("content-type", "application/problem+json")], b"{}", true),
        (&[("content-type", "application/atom+xml")], b"<a/>", true),
        (
            &[("content-type", "application/x-www-form-urlencoded")],
            b"a=1",
            true,
        ),
        (&[("content-type", "text/plain")], b"\xff\xfe", true),
        (&[], b"\x00\x01", true),
    ];
    for (pairs, body, base64) in cases {
        let event = post_event(pairs, body);
        assert_eq!(event["isBase64Encoded"], Value::Bool(base64), "{pairs:?}");
        let sent = if base64 {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD
                .decode(event["body"].as_str().expect("a body"))
                .expect("base64")
        } else {
            event["body"].as_str().expect("a body").as_bytes().to_vec()
        };
        assert_eq!(sent, body, "{pairs:?}");
        assert!(event.get("pathParameters").is_none());
        assert!(event.get("queryStringParameters").is_none());
        assert!(event.get("cookies").is_none());
    }
    assert_eq!(
        format_time(datetime!(2024-01-02 03:04:05 UTC)),
        "02/Jan/2024:03:04:05 +0000"
    );
}

#[test]
fn content_length_is_the_length_of_the_body_api_gateway_received() {
    // A request without a body says `content-length: 0`, as in AWS's captured GET event.
    let empty = post_event(&[], b"");
    assert_eq!(empty["headers"]["content-length"], "0");
    assert!(empty.get("body").is_none());
    assert_eq!(empty["isBase64Encoded"], false);
    // A chunked body has no content-length of its own: API Gateway read it whole.
    let chunked = post_event(
        &[
            ("content-type", "application/json"),
            ("transfer-encoding", "chunked"),
        ],
        br#"{"a":1}"#,
    );
    assert_eq!(chunked["headers"]["content-length"], "7");
}

#[test]
fn the_request_context_names_the_apis_endpoint() {
    let event = post_event(&[("host", "127.0.0.1:3000")], b"");
    let context = &event["requestContext"];
    assert_eq!(
        context["domainName"],
        "local.execute-api.us-east-1.amazonaws.com"
    );
    assert_eq!(context["domainPrefix"], context["apiId"]);
    assert_eq!(
        event["headers"]["host"], "127.0.0.1:3000",
        "the host stays the one the client used"
    );
}
