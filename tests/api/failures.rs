//! Stream records a function gives up on: the local runner writes each failed invocation to
//! the folder standing for the S3 on-failure destination, whole (the event under `payload`,
//! as Lambda writes to S3), and `bookshelf-local replay-failures` invokes the function again
//! with it once the cause is fixed.
//!
//! The consumer is the probe (`local/examples/probe.rs`), not record-history: a poisoned
//! record must fail every time until the test "fixes the bug" (creates the probe's cure
//! file), and then the very same saved record must succeed. record-history rejects a bad
//! book image forever, so its replay could never succeed without editing the payload.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use bookshelf_local::{client, workspace};
use bookshelf_testing::{LocalApi, LocalApiOptions, build_dir, endpoint};
use serde_json::Value;

/// A temporary folder of this test's own.
fn temp_dir(what: &str) -> PathBuf {
    let dir =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("{what}-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// The probe on a table's stream, giving up after one retry, with an S3 on-failure
/// destination; its processed records go to `dir/processed`, its cure is `dir/cure`.
fn failing_template(dir: &Path) -> PathBuf {
    let template = format!(
        r#"
Resources:
  Recorder:
    Type: AWS::Serverless::Function
    Metadata:
      BuildProperties:
        Binary: probe
    Properties:
      CodeUri: {code_uri}
      Environment:
        Variables:
          PROBE_PROCESSED: {processed}
          PROBE_CURE: {cure}
      Events:
        Changes:
          Type: DynamoDB
          Properties:
            Stream: !GetAtt Things.StreamArn
            StartingPosition: TRIM_HORIZON
            BatchSize: 10
            MaximumBatchingWindowInSeconds: 1
            MaximumRetryAttempts: 1
            MaximumRecordAgeInSeconds: 3600
            FunctionResponseTypes: [ReportBatchItemFailures]
            DestinationConfig:
              OnFailure:
                Destination: !GetAtt Failed.Arn
  Failed:
    Type: AWS::S3::Bucket
  Things:
    Type: AWS::DynamoDB::Table
    Properties:
      AttributeDefinitions: [{{ AttributeName: id, AttributeType: S }}]
      KeySchema: [{{ AttributeName: id, KeyType: HASH }}]
      StreamSpecification: {{ StreamViewType: NEW_AND_OLD_IMAGES }}
"#,
        code_uri = workspace::root().join("local").display(),
        processed = dir.join("processed").display(),
        cure = dir.join("cure").display(),
    );
    let path = dir.join("template.yaml");
    std::fs::write(&path, template).expect("template written");
    path
}

/// Every file under `dir` (recursively), sorted.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// The ids the probe processed.
fn processed(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("processed"))
        .unwrap_or_default()
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter_map(|keys| keys["id"]["S"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn a_poisoned_record_lands_whole_in_the_failure_folder_and_is_replayed() {
    let dir = temp_dir("failures");
    let failures = dir.join("failures");
    let api = LocalApi::start_with(LocalApiOptions {
        template: failing_template(&dir),
        bin_dir: build_dir().join("examples"),
        failures_dir: Some(failures.clone()),
        ..LocalApiOptions::default()
    })
    .await;
    let dynamodb = client::dynamodb(&endpoint()).await;
    let table = format!("Things{}", api.table_suffix);
    for (id, poison) in [("fine", false), ("poisoned", true)] {
        dynamodb
            .put_item()
            .table_name(&table)
            .item("id", AttributeValue::S(id.to_owned()))
            .item("title", AttributeValue::S(format!("{id} title")))
            .item("poison", AttributeValue::Bool(poison))
            .send()
            .await
            .expect("item written");
    }

    // One try, one retry, then the invocation record is written.
    let bucket = failures.join("Failed");
    let started = Instant::now();
    let kept = loop {
        let files = files_under(&bucket);
        if !files.is_empty() {
            break files;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no invocation record was written:\n{}",
            api.output()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(kept.len(), 1, "{kept:?}");
    let key = kept[0].strip_prefix(&bucket).expect("under the bucket");
    let parts: Vec<_> = key.iter().map(|p| p.to_string_lossy()).collect();
    assert_eq!(parts[..3], ["aws", "lambda", "Recorder-Changes"], "{key:?}");
    assert!(parts[3].starts_with("shardId-"), "{key:?}");
    assert_eq!(
        parts.len(),
        8,
        "aws/lambda/<ESM>/<shard>/YYYY/MM/DD/<time>-<uuid>: {key:?}"
    );

    let record: Value =
        serde_json::from_str(&std::fs::read_to_string(&kept[0]).expect("read")).expect("JSON");
    assert_eq!(record["version"], "1.0");
    assert_eq!(
        record["requestContext"]["condition"],
        "RetryAttemptsExhausted"
    );
    assert_eq!(record["requestContext"]["approximateInvokeCount"], 2);
    assert!(
        record["requestContext"]["functionArn"]
            .as_str()
            .is_some_and(|arn| arn.ends_with(":function:Recorder")),
        "{record}"
    );
    assert_eq!(record["responseContext"]["statusCode"], 200);
    let info = &record["DDBStreamBatchInfo"];
    assert_eq!(info["batchSize"], 1);
    assert_eq!(info["startSequenceNumber"], info["endSequenceNumber"]);
    assert_eq!(info["shardId"].as_str(), Some(&*parts[3]));
    assert!(
        info["streamArn"]
            .as_str()
            .is_some_and(|arn| arn.contains(&table)),
        "{info}"
    );
    let payload: Value = serde_json::from_str(
        record["payload"]
            .as_str()
            .expect("payload is an escaped JSON string, as in S3"),
    )
    .expect("payload parses");
    let failed = &payload["Records"][0];
    assert_eq!(payload["Records"].as_array().map(Vec::len), Some(1));
    assert_eq!(failed["eventName"], "INSERT");
    assert_eq!(failed["dynamodb"]["Keys"]["id"]["S"], "poisoned");
    assert_eq!(
        failed["dynamodb"]["NewImage"]["title"]["S"],
        "poisoned title"
    );
    assert_eq!(failed["dynamodb"]["NewImage"]["poison"]["BOOL"], true);
    assert_eq!(
        failed["dynamodb"]["SequenceNumber"], info["startSequenceNumber"],
        "the batch info describes the payload"
    );
    assert_eq!(processed(&dir), ["fine"], "the healthy record went through");

    // Replaying before the fix fails again and keeps the record.
    let replay = api.replay_failures(&[]);
    let text = String::from_utf8_lossy(&replay.stdout).into_owned();
    assert_eq!(replay.status.code(), Some(1), "{text}");
    assert!(text.contains("1 batch item failure(s); kept"), "{text}");
    assert!(kept[0].is_file());

    // Fixed: the same record is recorded and moves to replayed/.
    std::fs::write(dir.join("cure"), "").expect("cure written");
    let replay = api.replay_failures(&["--function", "Recorder"]);
    let text = String::from_utf8_lossy(&replay.stdout).into_owned();
    assert!(
        replay.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&replay.stderr)
    );
    assert!(
        text.contains("Recorder, 1 record(s), 0 batch item failures"),
        "{text}"
    );
    assert_eq!(processed(&dir), ["fine", "poisoned"]);
    assert!(!kept[0].exists(), "moved away");
    let replayed = std::fs::canonicalize(&bucket)
        .expect("bucket folder")
        .join("replayed")
        .join(key);
    assert!(replayed.is_file(), "{text}");

    // A second run finds nothing left to replay.
    let again = api.replay_failures(&[]);
    let text = String::from_utf8_lossy(&again.stdout).into_owned();
    assert!(again.status.success(), "{text}");
    assert!(text.contains("Nothing to replay"), "{text}");
    assert_eq!(processed(&dir), ["fine", "poisoned"]);
}
