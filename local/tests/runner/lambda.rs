//! The Lambda emulation with a real process: `examples/probe.rs` behind the Runtime API.
//! Crashes, timeouts, errors and a broken init fail only their invocation, and the
//! function keeps serving afterwards.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use bookshelf_local::lambda::{self, FunctionSpec, InvokeError, Invoker};
use bytes::Bytes;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

/// `target/debug/examples/probe`, next to this test's `target/debug/deps/<test>`.
fn probe() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let debug = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("tests run from target/<profile>/deps");
    let probe = debug.join("examples/probe");
    assert!(
        probe.is_file(),
        "{} is missing: build with `cargo test -p bookshelf-local`",
        probe.display()
    );
    probe
}

fn start(timeout: Duration, extra: &[(&str, &str)]) -> (Invoker, CancellationToken) {
    let mut environment: BTreeMap<String, String> = extra
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    environment.insert("AWS_LAMBDA_FUNCTION_NAME".into(), "ProbeFunction".into());
    environment.insert("AWS_LAMBDA_FUNCTION_MEMORY_SIZE".into(), "128".into());
    environment.insert("AWS_LAMBDA_FUNCTION_VERSION".into(), "$LATEST".into());
    environment.insert("AWS_LAMBDA_LOG_STREAM_NAME".into(), "local".into());
    environment.insert(
        "AWS_LAMBDA_LOG_GROUP_NAME".into(),
        "/aws/lambda/ProbeFunction".into(),
    );
    let spec = FunctionSpec {
        name: "ProbeFunction".into(),
        program: probe(),
        environment,
        timeout,
    };
    let shutdown = CancellationToken::new();
    let (invoker, _tasks) = lambda::start(spec, 1, shutdown.clone());
    (invoker, shutdown)
}

fn event(path: &str, query: Value) -> Bytes {
    Bytes::from(json!({"rawPath": path, "queryStringParameters": query}).to_string())
}

fn json(bytes: &Bytes) -> Value {
    serde_json::from_slice(bytes).expect("result is JSON")
}

#[tokio::test]
async fn an_invocation_gets_the_event_and_lambdas_context() {
    let (invoker, shutdown) = start(Duration::from_secs(10), &[]);
    let before = u64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_millis(),
    )
    .expect("fits");
    let result = invoker
        .invoke(event("/hello", json!(null)))
        .await
        .expect("succeeds");
    let response = json(&result);
    assert_eq!(response["headers"]["x-function"], "ProbeFunction");
    let body: Value =
        serde_json::from_str(response["body"].as_str().expect("body")).expect("JSON body");
    assert_eq!(body["event"]["rawPath"], "/hello");
    let deadline = body["deadline"].as_u64().expect("deadline");
    assert!(
        deadline >= before + 9_000,
        "deadline is about Timeout from now"
    );
    shutdown.cancel();
}

#[tokio::test]
async fn a_crash_fails_its_invocation_and_the_process_is_restarted() {
    let (invoker, shutdown) = start(Duration::from_secs(10), &[]);
    let crashed = invoker.invoke(event("/crash", json!(null))).await;
    assert!(
        matches!(crashed, Err(InvokeError::Crashed(_))),
        "{crashed:?}"
    );
    let after = invoker
        .invoke(event("/bare", json!(null)))
        .await
        .expect("restarted");
    assert_eq!(json(&after), json!({"hello": "world"}));
    shutdown.cancel();
}

#[tokio::test]
async fn a_timeout_fails_its_invocation_and_replaces_the_process() {
    let (invoker, shutdown) = start(Duration::from_secs(1), &[]);
    let started = Instant::now();
    let timed_out = invoker.invoke(event("/sleep", json!({"ms": "5000"}))).await;
    assert_eq!(timed_out, Err(InvokeError::Timeout(Duration::from_secs(1))));
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "failed at the timeout, not after the sleep"
    );
    let document = json(&InvokeError::Timeout(Duration::from_secs(1)).document());
    assert_eq!(
        document["errorMessage"],
        "Task timed out after 1.00 seconds"
    );
    let after = invoker
        .invoke(event("/bare", json!(null)))
        .await
        .expect("replaced");
    assert_eq!(json(&after), json!({"hello": "world"}));
    shutdown.cancel();
}

#[tokio::test]
async fn a_function_error_is_reported_with_its_document() {
    let (invoker, shutdown) = start(Duration::from_secs(10), &[]);
    let Err(InvokeError::Function(document)) = invoker.invoke(event("/error", json!(null))).await
    else {
        panic!("expected a function error");
    };
    assert_eq!(json(&document)["errorMessage"], "probe failed on purpose");
    shutdown.cancel();
}

#[tokio::test]
async fn a_function_that_cannot_start_fails_invocations_instead_of_hanging() {
    let (invoker, shutdown) = start(Duration::from_secs(10), &[("PROBE_CRASH_AT_INIT", "1")]);
    let result = tokio::time::timeout(
        Duration::from_secs(10),
        invoker.invoke(event("/bare", json!(null))),
    )
    .await
    .expect("answered before the integration timeout");
    assert!(matches!(result, Err(InvokeError::Init(_))), "{result:?}");
    shutdown.cancel();
}

#[tokio::test]
async fn invocations_queue_and_run_one_at_a_time() {
    let (invoker, shutdown) = start(Duration::from_secs(10), &[]);
    let started = Instant::now();
    let slow = |ms: &str| invoker.invoke(event("/sleep", json!({"ms": ms})));
    let (a, b) = tokio::join!(slow("300"), slow("300"));
    assert!(a.is_ok() && b.is_ok());
    assert!(
        started.elapsed() >= Duration::from_millis(600),
        "one process serves one event at a time"
    );
    shutdown.cancel();
}
