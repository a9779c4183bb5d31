//! A tiny Lambda function for testing the runner: it answers HTTP API events according to
//! the last segment of their path, and records DynamoDB stream batches.
//!
//! - `/crash` exits the process mid-invocation; `/sleep?ms=N` sleeps first; `/error` fails;
//! - `/bare` returns bare JSON (no `statusCode`); `/binary` returns a base64 body;
//! - `/env` returns the process environment as bare JSON;
//! - anything else returns 200 with the received event as the JSON body and two cookies.
//!
//! Stream batches are appended (one JSON line each) to the file named by `PROBE_LOG`; a
//! record whose new image has `fail: true` is reported as a batch item failure the first
//! time it is seen; one with `poison: true` every time, until the file named by
//! `PROBE_CURE` exists. The keys of every record not failed are appended (one JSON line
//! each) to the file named by `PROBE_PROCESSED`. With `PROBE_CRASH_AT_INIT` set the process
//! exits before serving; with `PROBE_INIT_SLEEP_MS` set to N it spends N ms in its init (a
//! slow cold start) before asking for its first event. With `PROBE_EVENTS` set, every HTTP invocation appends
//! `start <path> <pid>` to that file before it is handled and `end <path> <pid>` after,
//! so tests can assert the order of events instead of timings.

use std::collections::HashSet;
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use lambda_http::lambda_runtime::{self, Error, LambdaEvent, service_fn};
use serde_json::{Value, json};

static SEEN: Mutex<Option<HashSet<String>>> = Mutex::new(None);

#[tokio::main]
async fn main() -> Result<(), Error> {
    if std::env::var_os("PROBE_CRASH_AT_INIT").is_some() {
        eprintln!("probe: crashing at init");
        std::process::exit(2);
    }
    if let Some(ms) = std::env::var("PROBE_INIT_SLEEP_MS")
        .ok()
        .and_then(|ms| ms.parse().ok())
    {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    lambda_runtime::run(service_fn(handle)).await
}

async fn handle(event: LambdaEvent<Value>) -> Result<Value, Error> {
    let (payload, context) = event.into_parts();
    if payload.get("Records").is_some() {
        return stream_batch(&payload);
    }
    let path = payload["rawPath"].as_str().unwrap_or_default().to_owned();
    println!("probe: {} {path}", context.request_id);
    record_event("start", &path);
    let answer = answer(&path, payload, context).await;
    record_event("end", &path);
    answer
}

/// Appends `<what> <path> <pid>` to `PROBE_EVENTS`, if set: the whole line in one
/// `write` (`writeln!` on a `File` writes piece by piece, and instances of the probe
/// running at once would interleave their pieces).
fn record_event(what: &str, path: &str) {
    if let Ok(events) = std::env::var("PROBE_EVENTS")
        && let Ok(mut file) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(events)
    {
        let line = format!("{what} {path} {}\n", std::process::id());
        let _ = file.write_all(line.as_bytes());
    }
}

async fn answer(
    path: &str,
    payload: Value,
    context: lambda_runtime::Context,
) -> Result<Value, Error> {
    match path.rsplit('/').next().unwrap_or_default() {
        "crash" => std::process::exit(3),
        "error" => Err("probe failed on purpose".into()),
        "sleep" => {
            let ms = payload["queryStringParameters"]["ms"]
                .as_str()
                .and_then(|ms| ms.parse().ok())
                .unwrap_or(0);
            tokio::time::sleep(Duration::from_millis(ms)).await;
            Ok(json!({"statusCode": 200, "body": "slept"}))
        }
        "bare" => Ok(json!({"hello": "world"})),
        "env" => Ok(Value::Object(
            std::env::vars()
                .filter(|(name, _)| name != "PATH")
                .map(|(name, value)| (name, Value::String(value)))
                .collect(),
        )),
        "binary" => Ok(json!({
            "statusCode": 201,
            "headers": {"content-type": "application/octet-stream"},
            "isBase64Encoded": true,
            "body": "AAEC",
        })),
        _ => Ok(json!({
            "statusCode": 200,
            "headers": {"content-type": "application/json", "x-function": context.env_config.function_name},
            "cookies": ["a=1; Path=/", "b=2"],
            "body": json!({"event": payload, "deadline": context.deadline}).to_string(),
        })),
    }
}

fn stream_batch(payload: &Value) -> Result<Value, Error> {
    if let Ok(log) = std::env::var("PROBE_LOG") {
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)?;
        writeln!(file, "{payload}")?;
    }
    let mut seen = SEEN.lock().map_err(|_| "poisoned")?;
    let seen = seen.get_or_insert_with(HashSet::new);
    let cured = std::env::var_os("PROBE_CURE").is_some_and(|cure| Path::new(&cure).exists());
    let mut failures = Vec::new();
    let mut processed = Vec::new();
    for record in payload["Records"].as_array().into_iter().flatten() {
        let sequence = record["dynamodb"]["SequenceNumber"]
            .as_str()
            .unwrap_or_default();
        let image = &record["dynamodb"]["NewImage"];
        let fails = image["fail"]["BOOL"] == json!(true) && seen.insert(sequence.to_owned());
        let poisoned = image["poison"]["BOOL"] == json!(true) && !cured;
        if fails || poisoned {
            failures.push(json!({"itemIdentifier": sequence}));
        } else {
            processed.push(record["dynamodb"]["Keys"].clone());
        }
    }
    if let Ok(log) = std::env::var("PROBE_PROCESSED") {
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)?;
        for keys in processed {
            writeln!(file, "{keys}")?;
        }
    }
    Ok(json!({"batchItemFailures": failures}))
}
