//! The local runner end to end, over HTTP: every route of template.yaml is served, unknown
//! routes get API Gateway's 404, and a probe function shows the gateway's mapping (decoded
//! paths, base64 bodies, request ids) and its answers to crashes, timeouts, cold starts and
//! oversized requests.

use std::path::PathBuf;

use bookshelf_local::gateway::ids::is_request_id;
use bookshelf_local::template::Template;
use bookshelf_local::workspace;
use bookshelf_testing::{LocalApi, LocalApiOptions, build_dir};
use bytes::Bytes;
use serde_json::json;

const NOT_FOUND: &str = r#"{"message":"Not Found"}"#;

/// A template serving `examples/probe.rs` of bookshelf-local on every path, with
/// `variables` added to the probe's environment.
fn probe_template_with(variables: &[(&str, &str)]) -> PathBuf {
    let dir =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("probe-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let code_uri = workspace::root().join("local");
    let extra: String = variables
        .iter()
        .map(|(name, value)| format!("        {name}: \"{value}\"\n"))
        .collect();
    let template = format!(
        r#"
Globals:
  Function:
    Timeout: 2
    Environment:
      Variables:
        TABLE_NAME: !Ref Things
        SECRET: !Sub "{{{{resolve:secretsmanager:${{Secret}}:SecretString}}}}"
{extra}Resources:
  ProbeFunction:
    Type: AWS::Serverless::Function
    Metadata:
      BuildProperties:
        Binary: probe
    Properties:
      CodeUri: {code_uri}
      Events:
        Everything:
          Type: HttpApi
          Properties: {{ Path: "/{{proxy+}}", Method: ANY }}
        Impatient:
          Type: HttpApi
          Properties: {{ Path: /impatient/sleep, Method: GET, TimeoutInMillis: 500 }}
  Things:
    Type: AWS::DynamoDB::Table
    Properties:
      AttributeDefinitions: [{{ AttributeName: id, AttributeType: S }}]
      KeySchema: [{{ AttributeName: id, KeyType: HASH }}]
"#,
        code_uri = code_uri.display()
    );
    let path = dir.join("template.yaml");
    std::fs::write(&path, template).expect("template written");
    path
}

async fn probe_api() -> LocalApi {
    probe_api_with(&[]).await
}

/// The probe behind the local runner, with `variables` in its environment.
async fn probe_api_with(variables: &[(&str, &str)]) -> LocalApi {
    LocalApi::start_with(LocalApiOptions {
        template: probe_template_with(variables),
        bin_dir: build_dir().join("examples"),
        ..LocalApiOptions::default()
    })
    .await
}

#[tokio::test]
async fn every_route_of_the_template_is_served_and_others_are_not_found() {
    let api = LocalApi::start().await;
    let template = Template::load(&workspace::root().join("template.yaml")).expect("template");
    let mut expected = std::collections::BTreeSet::new();
    for function in &template.functions {
        for event in &function.http_events {
            let Some(path) = &event.path else { continue };
            let concrete = path
                .replace("{proxy+}", "a/b")
                .replace('{', "x")
                .replace('}', "");
            // An ANY route catches only the methods no other route of its path
            // declares: send it one of those.
            let method = match event.method.as_deref() {
                Some("ANY") | None => "TRACE",
                Some(method) => method,
            };
            let response = api.request(method, &concrete, &[], Bytes::new()).await;
            assert_ne!(response.text(), NOT_FOUND, "{method} {path} is not served");
            let route_key = format!("{} {path}", event.method.as_deref().unwrap_or("ANY"));
            expected.insert((route_key, function.logical_id.clone()));
        }
    }
    // Each request reached the route's own function: its access line (one JSON line
    // per request) names the route key and the function.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let missing = loop {
        let output = api.output();
        let served: std::collections::BTreeSet<(String, String)> = output
            .lines()
            .filter_map(|line| line.split_once("] ").map(|(_, rest)| rest))
            .filter_map(|rest| serde_json::from_str::<serde_json::Value>(rest).ok())
            .filter_map(|record| {
                Some((
                    record["routeKey"].as_str()?.to_owned(),
                    record["Function"].as_str()?.to_owned(),
                ))
            })
            .collect();
        let missing: Vec<_> = expected.difference(&served).cloned().collect();
        if missing.is_empty() || std::time::Instant::now() > deadline {
            break missing;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert!(
        missing.is_empty(),
        "routes not answered by their function: {missing:?}"
    );
    for (method, path) in [("GET", "/nope"), ("GET", "/books/1/2/3")] {
        let response = api.request(method, path, &[], Bytes::new()).await;
        assert_eq!(response.status, 404, "{method} {path}");
        assert_eq!(response.text(), NOT_FOUND);
        assert!(response.header("apigw-requestid").is_some());
    }
    // A known path with a method it does not serve falls through to its ANY
    // route (a method-specific route wins over ANY): 405 with Allow.
    let response = api.request("DELETE", "/books", &[], Bytes::new()).await;
    assert_eq!(response.status, 405, "{}", response.text());
    assert_eq!(response.header("allow"), Some("GET, HEAD, POST"));
}

#[tokio::test]
async fn the_probe_sees_a_payload_2_event_and_its_response_is_mapped_back() {
    let api = probe_api().await;
    let response = api
        .request(
            "POST",
            "/things/a%20b?x=1&x=2&y=",
            &[
                ("cookie", "c1=1; c2=2"),
                ("x-multi", "a"),
                ("content-type", "application/json"),
            ],
            Bytes::from_static(br#"{"hello":"world"}"#),
        )
        .await;
    assert_eq!(response.status, 200);
    let cookies: Vec<_> = response.headers.get_all("set-cookie").iter().collect();
    assert_eq!(cookies.len(), 2);
    assert_eq!(response.header("x-function"), Some("ProbeFunction"));
    let event = &response.json()["event"];
    assert_eq!(event["version"], "2.0");
    assert_eq!(event["routeKey"], "ANY /{proxy+}");
    assert_eq!(event["rawPath"], "/things/a b", "decoded, as on AWS");
    assert_eq!(event["requestContext"]["http"]["path"], "/things/a b");
    assert_eq!(event["rawQueryString"], "x=1&x=2&y=");
    assert_eq!(event["queryStringParameters"], json!({"x": "1,2", "y": ""}));
    assert_eq!(event["pathParameters"], json!({"proxy": "things/a b"}));
    assert_eq!(event["cookies"], json!(["c1=1", "c2=2"]));
    assert_eq!(event["headers"]["x-multi"], "a");
    assert_eq!(event["body"], r#"{"hello":"world"}"#);
    assert_eq!(event["isBase64Encoded"], false);
    assert_eq!(event["headers"]["content-length"], "17");
    assert_eq!(event["requestContext"]["stage"], "$default");
    assert_eq!(
        event["requestContext"]["domainName"],
        "local.execute-api.us-east-1.amazonaws.com"
    );
    assert_eq!(event["requestContext"]["domainPrefix"], "local");
    assert_eq!(event["requestContext"]["http"]["method"], "POST");
    assert_eq!(
        event["requestContext"]["requestId"].as_str(),
        response.header("apigw-requestid")
    );
    let request_id = response.header("apigw-requestid").unwrap_or_default();
    assert!(
        is_request_id(request_id),
        "API Gateway's shape: {request_id}"
    );

    let get = api.get("/things/plain").await.json();
    assert_eq!(
        get["event"]["headers"]["content-length"], "0",
        "a request without a body says so"
    );
    assert!(get["event"].get("body").is_none());

    let bare = api.get("/bare").await;
    assert_eq!(
        (bare.status, bare.header("content-type")),
        (200, Some("application/json"))
    );
    assert_eq!(bare.json(), json!({"hello": "world"}));
    let binary = api.get("/binary").await;
    assert_eq!(binary.status, 201);
    assert_eq!(binary.body, Bytes::from_static(&[0, 1, 2]));
}

#[tokio::test]
async fn the_template_environment_is_resolved_locally() {
    let api = probe_api().await;
    let env = api.get("/env").await.json();
    assert_eq!(env["TABLE_NAME"], format!("Things{}", api.table_suffix));
    assert_eq!(
        env["SECRET"], "local-Secret",
        "unresolvable values get a stable placeholder"
    );
    assert_eq!(env["AWS_LAMBDA_FUNCTION_NAME"], "ProbeFunction");
    assert_eq!(env["AWS_LAMBDA_FUNCTION_VERSION"], "$LATEST");
    assert_eq!(env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"], "128");
    assert_eq!(env["AWS_REGION"], "us-east-1");
    assert_eq!(
        env["AWS_ENDPOINT_URL_DYNAMODB"],
        bookshelf_testing::endpoint()
    );
    assert!(
        env["AWS_LAMBDA_RUNTIME_API"]
            .as_str()
            .is_some_and(|a| a.starts_with("127.0.0.1:"))
    );
    assert!(env["AWS_ACCESS_KEY_ID"].is_string() && env["AWS_SESSION_TOKEN"].is_string());
}

#[tokio::test]
async fn crashes_timeouts_and_errors_become_api_gateway_errors() {
    let api = probe_api().await;
    let internal = json!({"message": "Internal Server Error"});
    for path in ["/crash", "/error", "/sleep?ms=5000"] {
        let response = api.get(path).await;
        assert_eq!(response.status, 500, "{path}");
        assert_eq!(response.json(), internal, "{path}");
    }
    let unavailable = api.get("/impatient/sleep?ms=1500").await;
    assert_eq!(unavailable.status, 503);
    assert_eq!(
        unavailable.json(),
        json!({"message": "Service Unavailable"})
    );
    let healthy = api.get("/bare").await;
    assert_eq!(
        healthy.status, 200,
        "the function still serves after all that"
    );
}

#[tokio::test]
async fn bodies_over_10_mb_are_refused_with_413() {
    let api = probe_api().await;
    let body = Bytes::from(vec![b'a'; 10 * 1024 * 1024 + 1]);
    let response = api
        .request("POST", "/upload", &[("content-type", "text/plain")], body)
        .await;
    assert_eq!(response.status, 413);
    assert_eq!(
        response.json(),
        json!({"message": "Request Entity Too Large"})
    );
}

#[tokio::test]
async fn paths_arrive_decoded_as_an_http_api_delivers_them() {
    let api = probe_api().await;
    // (sent, rawPath) as a real HTTP API delivered them (hotsock/voker's live captures).
    for (sent, raw_path) in [
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
    ] {
        let response = api.get(&format!("{sent}?marker=x")).await;
        assert_eq!(response.status, 200, "{sent}: {}", response.text());
        let event = &response.json()["event"];
        assert_eq!(event["rawPath"], raw_path, "{sent}");
        assert_eq!(event["requestContext"]["http"]["path"], raw_path, "{sent}");
        assert_eq!(event["rawQueryString"], "marker=x", "{sent}");
    }
    // Decoded once, the path is routed; its segments are decoded again as parameters.
    let proxy = api.get("/capture/a%252Fb%20c").await.json();
    assert_eq!(proxy["event"]["pathParameters"]["proxy"], "capture/a/b c");
    // A `%` that starts no escape, as sent or once decoded: API Gateway refuses it.
    for sent in ["/capture/percent%25done", "/capture/bad%zz"] {
        let response = api.get(sent).await;
        assert_eq!(response.status, 400, "{sent}");
        assert_eq!(response.json(), json!({"message": "Bad Request"}), "{sent}");
    }
}

#[tokio::test]
async fn structured_syntax_bodies_arrive_in_base64() {
    let api = probe_api().await;
    let body = br#"{"genre":"Utopian fiction"}"#;
    for (content_type, base64) in [
        ("application/merge-patch+json", true),
        ("application/problem+json", true),
        ("application/atom+xml", true),
        ("application/json", false),
        ("text/plain; charset=utf-8", false),
    ] {
        let response = api
            .request(
                "POST",
                "/things",
                &[("content-type", content_type)],
                Bytes::from_static(body),
            )
            .await;
        let event = &response.json()["event"];
        assert_eq!(event["isBase64Encoded"], base64, "{content_type}");
        let expected = if base64 {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD.encode(body)
        } else {
            String::from_utf8_lossy(body).into_owned()
        };
        assert_eq!(event["body"], expected.as_str(), "{content_type}");
    }
}

#[tokio::test]
async fn a_request_line_and_headers_over_10240_bytes_are_refused_with_431() {
    let api = probe_api().await;
    let caller = api.anonymous();
    let under = "a".repeat(9_000);
    let response = caller
        .request("GET", "/bare", &[("x-big", under.as_str())], Bytes::new())
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
    let over = "a".repeat(10_240);
    let response = caller
        .request("GET", "/bare", &[("x-big", over.as_str())], Bytes::new())
        .await;
    assert_eq!(response.status, 431);
    assert_eq!(response.text(), "HTTP header is larger than 10240 bytes.");
    assert!(response.header("apigw-requestid").is_some());
    // Split over many headers, the values still count together.
    let part = "a".repeat(1_100);
    let many: Vec<(String, &str)> = (0..10)
        .map(|i| (format!("x-part-{i}"), part.as_str()))
        .collect();
    let many: Vec<(&str, &str)> = many.iter().map(|(n, v)| (n.as_str(), *v)).collect();
    let response = caller.request("GET", "/bare", &many, Bytes::new()).await;
    assert_eq!(response.status, 431);
}

#[tokio::test]
async fn an_event_over_lambdas_6_mb_is_refused_with_413_and_never_invoked() {
    let api = probe_api().await;
    let too_large = json!({"message": "Request Entity Too Large"});
    // Under API Gateway's 10 MB, over Lambda's 6,291,456 bytes once in the event: as text,
    // and as binary, which base64 makes a third larger.
    for (path, content_type, size) in [
        ("/oversized-text", "text/plain", 6_400_000),
        ("/oversized-binary", "application/octet-stream", 4_800_000),
    ] {
        let body = Bytes::from(vec![b'a'; size]);
        let response = api
            .request("POST", path, &[("content-type", content_type)], body)
            .await;
        assert_eq!(response.status, 413, "{path}");
        assert_eq!(response.json(), too_large, "{path}");
    }
    // A body whose event fits is served.
    let fits = api
        .request(
            "POST",
            "/bare",
            &[("content-type", "text/plain")],
            Bytes::from(vec![b'a'; 4_000_000]),
        )
        .await;
    assert_eq!(fits.status, 200);
    // The probe prints `probe: <request id> <path>` for every event it is given: wait
    // until it printed the last one, then check it never saw the oversized ones.
    let probed = |prefix: &str| {
        api.output()
            .lines()
            .filter_map(|line| line.split_once("probe: "))
            .any(|(_, rest)| {
                rest.split(' ')
                    .nth(1)
                    .is_some_and(|p| p.starts_with(prefix))
            })
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !probed("/bare") && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(probed("/bare"), "{}", api.output());
    assert!(!probed("/oversized"), "{}", api.output());
}

#[tokio::test]
async fn a_cold_start_counts_toward_the_integration_timeout() {
    // Every process of the probe spends 2 s in its init; `/impatient/sleep` waits 500 ms.
    let api = probe_api_with(&[("PROBE_INIT_SLEEP_MS", "2000")]).await;
    let warm = api.get("/bare").await;
    assert_eq!(warm.status, 200, "the first process is up");
    let crashed = api.get("/crash").await;
    assert_eq!(crashed.status, 500, "{}", crashed.text());
    // The only process is being replaced: this invoke waits for the new one's init, and
    // API Gateway's clock runs from the invoke.
    let cold = api.get("/impatient/sleep?ms=0").await;
    assert_eq!(cold.status, 503, "{}", cold.text());
    assert_eq!(cold.json(), json!({"message": "Service Unavailable"}));
    // Warm again, the same route answers well within its 500 ms.
    assert_eq!(api.get("/bare").await.status, 200);
    let warm = api.get("/impatient/sleep?ms=0").await;
    assert_eq!(warm.status, 200, "{}", warm.text());
}
