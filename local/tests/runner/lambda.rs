//! The Lambda emulation with real processes: `examples/probe.rs` behind the Runtime API.
//! Crashes, timeouts, errors and a broken init fail only their invocation, and the
//! function keeps serving afterwards; concurrent invocations scale out to new instances up
//! to the limit, past which they are throttled; idle instances are reused, then stopped.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use bookshelf_local::lambda::{
    self, AccountConcurrency, FunctionSpec, InvokeError, Invoker, Scaling, WhenBusy,
};
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
    start_scaling(timeout, extra, Scaling::single())
}

fn start_scaling(
    timeout: Duration,
    extra: &[(&str, &str)],
    scaling: Scaling,
) -> (Invoker, CancellationToken) {
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
    let invoker = lambda::start(spec, scaling, shutdown.clone());
    (invoker, shutdown)
}

/// A fresh file for the probe's `start`/`end` lines, and its environment variable.
fn events_file() -> (PathBuf, (&'static str, String)) {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("probe-events-{}", uuid::Uuid::new_v4()));
    let variable = ("PROBE_EVENTS", path.display().to_string());
    (path, variable)
}

/// The probe's `start`/`end` lines so far, as `(what, path, pid)`.
fn events(file: &PathBuf) -> Vec<(String, String, String)> {
    std::fs::read_to_string(file)
        .unwrap_or_default()
        .lines()
        .map(|line| {
            let mut parts = line.split(' ').map(str::to_owned);
            let mut next = || parts.next().unwrap_or_default();
            (next(), next(), next())
        })
        .collect()
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
    let (file, variable) = events_file();
    let (invoker, shutdown) = start(Duration::from_secs(1), &[(variable.0, &variable.1)]);
    let timed_out = invoker.invoke(event("/sleep", json!({"ms": "5000"}))).await;
    assert_eq!(timed_out, Err(InvokeError::Timeout(Duration::from_secs(1))));
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
    // The order of events, not a timing: the sleep started and never ended (its
    // process was stopped at the timeout), and a new process served the next event.
    let seen = events(&file);
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert_eq!(
        (seen[0].0.as_str(), seen[0].1.as_str()),
        ("start", "/sleep")
    );
    assert_eq!((seen[1].0.as_str(), seen[1].1.as_str()), ("start", "/bare"));
    assert_eq!((seen[2].0.as_str(), seen[2].1.as_str()), ("end", "/bare"));
    assert_ne!(seen[0].2, seen[1].2, "the timed-out process was replaced");
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

fn scaling(max_instances: usize, idle_timeout: Duration) -> Scaling {
    Scaling {
        max_instances,
        idle_timeout,
        account: AccountConcurrency::default(),
        when_busy: WhenBusy::Throttle,
    }
}

/// The distinct process ids in the probe's `start`/`end` lines.
fn pids(file: &PathBuf) -> std::collections::BTreeSet<String> {
    events(file).into_iter().map(|(_, _, pid)| pid).collect()
}

#[tokio::test]
async fn concurrent_invocations_run_on_instances_of_their_own() {
    let (file, variable) = events_file();
    let (invoker, shutdown) = start_scaling(
        Duration::from_secs(10),
        &[(variable.0, &variable.1)],
        scaling(4, Duration::from_secs(60)),
    );
    // Long enough for all three processes to start, even on a busy machine.
    let slow = || invoker.invoke(event("/sleep", json!({"ms": "1500"})));
    let (a, b, c) = tokio::join!(slow(), slow(), slow());
    assert!(a.is_ok() && b.is_ok() && c.is_ok(), "{a:?} {b:?} {c:?}");
    // Three processes, each one event at a time, all three started before any ended.
    let seen: Vec<String> = events(&file).into_iter().map(|(what, _, _)| what).collect();
    assert_eq!(seen, ["start", "start", "start", "end", "end", "end"]);
    assert_eq!(pids(&file).len(), 3);
    let stats = invoker.stats();
    assert_eq!(
        (stats.cold_starts, stats.peak_instances, stats.invocations),
        (3, 3, 3)
    );
    assert_eq!((stats.instances, stats.busy), (3, 0), "idle, kept warm");
    shutdown.cancel();
}

#[tokio::test]
async fn an_idle_instance_is_reused_warm() {
    let (file, variable) = events_file();
    let (invoker, shutdown) = start_scaling(
        Duration::from_secs(10),
        &[(variable.0, &variable.1)],
        scaling(4, Duration::from_secs(60)),
    );
    for _ in 0..3 {
        invoker
            .invoke(event("/bare", json!(null)))
            .await
            .expect("answers");
    }
    assert_eq!(pids(&file).len(), 1, "one process served all three");
    let stats = invoker.stats();
    assert_eq!((stats.cold_starts, stats.invocations), (1, 3));
    shutdown.cancel();
}

#[tokio::test]
async fn past_the_limit_an_invocation_is_throttled_not_queued() {
    let (invoker, shutdown) = start_scaling(
        Duration::from_secs(10),
        &[],
        scaling(2, Duration::from_secs(60)),
    );
    let slow = || invoker.invoke(event("/sleep", json!({"ms": "800"})));
    let late = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        invoker.invoke(event("/bare", json!(null))).await
    };
    let (a, b, throttled) = tokio::join!(slow(), slow(), late);
    assert!(a.is_ok() && b.is_ok());
    assert!(
        matches!(throttled, Err(InvokeError::Throttled(_))),
        "{throttled:?}"
    );
    let document = json(&throttled.expect_err("throttled").document());
    assert_eq!(document["errorType"], "TooManyRequestsException");
    let stats = invoker.stats();
    assert_eq!((stats.throttles, stats.peak_instances), (1, 2));
    // Once an instance is free again, the function answers.
    invoker
        .invoke(event("/bare", json!(null)))
        .await
        .expect("answers after the burst");
    shutdown.cancel();
}

#[tokio::test]
async fn a_reserved_concurrency_of_zero_throttles_every_call() {
    let (invoker, shutdown) = start_scaling(
        Duration::from_secs(10),
        &[],
        scaling(0, Duration::from_secs(60)),
    );
    let result = invoker.invoke(event("/bare", json!(null))).await;
    assert!(
        matches!(result, Err(InvokeError::Throttled(_))),
        "{result:?}"
    );
    assert_eq!(invoker.stats().cold_starts, 0);
    shutdown.cancel();
}

#[tokio::test]
async fn the_account_limit_is_shared_by_every_function() {
    let account = AccountConcurrency::new(1);
    let shared = |max_instances| Scaling {
        max_instances,
        idle_timeout: Duration::from_secs(60),
        account: account.clone(),
        when_busy: WhenBusy::Throttle,
    };
    let (first, shutdown_first) = start_scaling(Duration::from_secs(10), &[], shared(4));
    let (second, shutdown_second) = start_scaling(Duration::from_secs(10), &[], shared(4));
    let late = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        second.invoke(event("/bare", json!(null))).await
    };
    let (busy, throttled) = tokio::join!(first.invoke(event("/sleep", json!({"ms": "800"}))), late);
    assert!(busy.is_ok());
    assert!(
        matches!(throttled, Err(InvokeError::Throttled(_))),
        "{throttled:?}"
    );
    second
        .invoke(event("/bare", json!(null)))
        .await
        .expect("answers once the account has room");
    shutdown_first.cancel();
    shutdown_second.cancel();
}

#[tokio::test]
async fn an_idle_instance_is_stopped_after_the_idle_timeout() {
    let (file, variable) = events_file();
    let (invoker, shutdown) = start_scaling(
        Duration::from_secs(10),
        &[(variable.0, &variable.1)],
        scaling(4, Duration::from_millis(200)),
    );
    invoker
        .invoke(event("/bare", json!(null)))
        .await
        .expect("answers");
    let stopped = tokio::time::timeout(Duration::from_secs(10), async {
        while invoker.stats().instances > 0 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    assert!(
        stopped.is_ok(),
        "the idle instance stopped: {:?}",
        invoker.stats()
    );
    invoker
        .invoke(event("/bare", json!(null)))
        .await
        .expect("a new instance answers");
    assert_eq!(invoker.stats().cold_starts, 2);
    assert_eq!(pids(&file).len(), 2, "the second call ran in a new process");
    shutdown.cancel();
}

#[tokio::test]
async fn a_drained_function_finishes_what_it_holds_and_takes_nothing_new() {
    let (invoker, shutdown) = start_scaling(
        Duration::from_secs(10),
        &[],
        scaling(4, Duration::from_secs(60)),
    );
    invoker
        .invoke(event("/bare", json!(null)))
        .await
        .expect("warm instance");
    let in_flight = invoker.invoke(event("/sleep", json!({"ms": "500"})));
    let drain = async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        invoker.drain();
    };
    let (answered, ()) = tokio::join!(in_flight, drain);
    assert!(
        answered.is_ok(),
        "the invocation in flight was answered: {answered:?}"
    );
    tokio::time::timeout(Duration::from_secs(10), invoker.stopped())
        .await
        .expect("every instance stopped");
    assert_eq!(invoker.stats().instances, 0);
    let refused = invoker.invoke(event("/bare", json!(null))).await;
    assert_eq!(refused, Err(InvokeError::Drained));
    shutdown.cancel();
}

#[tokio::test]
async fn queued_invocations_wait_for_the_one_instance_and_run_one_at_a_time() {
    let (file, variable) = events_file();
    let queue = Scaling {
        when_busy: WhenBusy::Queue,
        ..scaling(1, Duration::from_secs(60))
    };
    let (invoker, shutdown) =
        start_scaling(Duration::from_secs(10), &[(variable.0, &variable.1)], queue);
    let slow = |ms: &str| invoker.invoke(event("/sleep", json!({"ms": ms})));
    let (a, b, c) = tokio::join!(slow("300"), slow("300"), slow("300"));
    assert!(a.is_ok() && b.is_ok() && c.is_ok(), "{a:?} {b:?} {c:?}");
    // One process serves one event at a time: each ends before the next starts.
    let seen: Vec<String> = events(&file).into_iter().map(|(what, _, _)| what).collect();
    assert_eq!(seen, ["start", "end", "start", "end", "start", "end"]);
    assert_eq!(pids(&file).len(), 1, "one process");
    let stats = invoker.stats();
    assert_eq!(
        (
            stats.throttles,
            stats.cold_starts,
            stats.invocations,
            stats.queued
        ),
        (0, 1, 3, 0)
    );
    shutdown.cancel();
}
