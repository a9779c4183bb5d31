//! Lambda's concurrency model through the local runner, over HTTP: concurrent requests to
//! one function run on instances of their own (new processes), up to the function's
//! `ReservedConcurrentExecutions`, past which API Gateway answers a throttled invoke with
//! its 500; idle instances are stopped after `--idle-timeout`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bookshelf_local::workspace;
use bookshelf_testing::{LocalApi, LocalApiOptions, build_dir};
use serde_json::json;

/// Two probe functions (`examples/probe.rs`): `Scalable` on `/scalable/…` with no reserved
/// concurrency, `Reserved` on `/reserved/…` with two. Each records `start <path> <pid>`
/// in `events`.
fn scaling_template(dir: &Path, events: &Path) -> PathBuf {
    let template = format!(
        r#"
Globals:
  Function:
    CodeUri: {code_uri}
    Timeout: 10
    Environment:
      Variables:
        PROBE_EVENTS: {events}
Resources:
  ScalableFunction:
    Type: AWS::Serverless::Function
    Metadata: {{ BuildProperties: {{ Binary: probe }} }}
    Properties:
      Events:
        Scalable:
          Type: HttpApi
          Properties: {{ Path: "/scalable/{{proxy+}}", Method: GET }}
  ReservedFunction:
    Type: AWS::Serverless::Function
    Metadata: {{ BuildProperties: {{ Binary: probe }} }}
    Properties:
      ReservedConcurrentExecutions: 2
      Events:
        Reserved:
          Type: HttpApi
          Properties: {{ Path: "/reserved/{{proxy+}}", Method: GET }}
"#,
        code_uri = workspace::root().join("local").display(),
        events = events.display(),
    );
    let path = dir.join("template.yaml");
    std::fs::write(&path, template).expect("template written");
    path
}

/// The runner on [`scaling_template`] with `serve_args`, and the probe's events file.
async fn scaling_api(serve_args: &[&str]) -> (Arc<LocalApi>, PathBuf) {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("scaling-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let events = dir.join("events");
    let api = LocalApi::start_with(LocalApiOptions {
        template: scaling_template(&dir, &events),
        bin_dir: build_dir().join("examples"),
        serve_args: serve_args.iter().map(|a| (*a).to_owned()).collect(),
        ..LocalApiOptions::default()
    })
    .await;
    (Arc::new(api), events)
}

/// The process ids that started an invocation of a path beginning with `prefix`.
fn pids(events: &Path, prefix: &str) -> BTreeSet<String> {
    std::fs::read_to_string(events)
        .unwrap_or_default()
        .lines()
        .filter_map(|line| {
            let mut parts = line.split(' ');
            match (parts.next(), parts.next(), parts.next()) {
                (Some("start"), Some(path), Some(pid)) if path.starts_with(prefix) => {
                    Some(pid.to_owned())
                }
                _ => None,
            }
        })
        .collect()
}

/// Sends `count` GETs of `path` at once; their statuses and bodies.
async fn at_once(api: &Arc<LocalApi>, path: &str, count: usize) -> Vec<(u16, String)> {
    let requests: Vec<_> = (0..count)
        .map(|_| {
            let api = api.clone();
            let path = path.to_owned();
            tokio::spawn(async move {
                let response = api.get(&path).await;
                (response.status, response.text())
            })
        })
        .collect();
    let mut answers = Vec::new();
    for request in requests {
        answers.push(request.await.expect("request task"));
    }
    answers
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_two_slow_requests_to_one_function_run_on_instances_of_their_own() {
    let (api, events) = scaling_api(&[]).await;
    let answers = at_once(&api, "/scalable/sleep?ms=1500", 32).await;
    let failed: Vec<_> = answers
        .iter()
        .filter(|(status, _)| *status != 200)
        .collect();
    assert!(failed.is_empty(), "every request was answered: {failed:?}");

    let stats = api.function_stats("ScalableFunction").await;
    let processes = pids(&events, "/scalable/");
    println!(
        "32 requests of 1.5 s: {stats}, {} processes",
        processes.len()
    );
    assert!(
        stats["peakInstances"].as_u64() > Some(1),
        "more than one instance ran: {stats}"
    );
    assert_eq!(
        u64::try_from(processes.len()).ok(),
        stats["coldStarts"].as_u64(),
        "each instance is a process of its own"
    );
    assert_eq!(stats["throttles"], 0);
    // Slow requests overlap, so they cannot share instances: one each.
    assert_eq!(stats["peakInstances"], 32, "{stats}");

    // Warm again: a request now finds an idle instance instead of starting one.
    let warm = api.get("/scalable/bare").await;
    assert_eq!(warm.status, 200);
    let after = api.function_stats("ScalableFunction").await;
    assert_eq!(
        after["coldStarts"], stats["coldStarts"],
        "no new instance: {after}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_its_reserved_concurrency_a_function_is_throttled_as_api_gateway_answers_it() {
    let (api, events) = scaling_api(&[]).await;
    let answers = at_once(&api, "/reserved/sleep?ms=1500", 4).await;
    let statuses: Vec<u16> = answers.iter().map(|(status, _)| *status).collect();
    let ok = statuses.iter().filter(|s| **s == 200).count();
    assert_eq!(ok, 2, "two instances at most: {answers:?}");
    for (status, body) in answers.iter().filter(|(status, _)| *status != 200) {
        // What an HTTP API answers when Lambda refuses the invoke (TooManyRequestsException).
        assert_eq!(*status, 500, "{body}");
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(body).expect("JSON"),
            json!({"message": "Internal Server Error"})
        );
    }
    let stats = api.function_stats("ReservedFunction").await;
    assert_eq!(
        (
            &stats["maxInstances"],
            &stats["peakInstances"],
            &stats["throttles"]
        ),
        (&json!(2), &json!(2), &json!(2)),
        "{stats}"
    );
    assert_eq!(pids(&events, "/reserved/").len(), 2);
    assert!(
        api.output().contains("Rate Exceeded"),
        "the runner says why: {}",
        api.output()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_instance_is_stopped_and_the_next_request_starts_a_new_one() {
    let (api, events) = scaling_api(&["--idle-timeout", "1"]).await;
    assert_eq!(api.get("/scalable/bare").await.status, 200);
    let stopped = tokio::time::timeout(Duration::from_secs(15), async {
        loop {
            let stats = api.function_stats("ScalableFunction").await;
            if stats["instances"] == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    })
    .await;
    assert!(stopped.is_ok(), "the idle instance was stopped");
    assert_eq!(api.get("/scalable/again").await.status, 200);
    let stats = api.function_stats("ScalableFunction").await;
    assert_eq!(stats["coldStarts"], 2, "{stats}");
    assert_eq!(pids(&events, "/scalable/").len(), 2, "a new process");
}
