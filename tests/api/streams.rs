//! Stream-triggered functions through the local runner: records written to a table reach
//! the function in Lambda's DynamoDB event, filtered, in order, and retried from the first
//! reported batch item failure.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use bookshelf_local::{client, workspace};
use bookshelf_testing::endpoint;
use bookshelf_testing::{LocalApi, LocalApiOptions, build_dir};
use serde_json::Value;

fn stream_template(log: &std::path::Path) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("streams-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("temp dir");
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
          PROBE_LOG: {log}
      Events:
        Changes:
          Type: DynamoDB
          Properties:
            Stream: !GetAtt Things.StreamArn
            StartingPosition: TRIM_HORIZON
            BatchSize: 10
            MaximumBatchingWindowInSeconds: 1
            MaximumRetryAttempts: 3
            FunctionResponseTypes: [ReportBatchItemFailures]
            FilterCriteria:
              Filters:
                - Pattern: '{{"eventName": ["INSERT"], "dynamodb": {{"Keys": {{"id": {{"S": [{{"anything-but": {{"prefix": "skip"}}}}]}}}}}}}}'
  Things:
    Type: AWS::DynamoDB::Table
    Properties:
      AttributeDefinitions: [{{ AttributeName: id, AttributeType: S }}]
      KeySchema: [{{ AttributeName: id, KeyType: HASH }}]
      StreamSpecification: {{ StreamViewType: NEW_AND_OLD_IMAGES }}
"#,
        code_uri = workspace::root().join("local").display(),
        log = log.display(),
    );
    let path = dir.join("template.yaml");
    std::fs::write(&path, template).expect("template written");
    path
}

/// The ids of each delivered batch, from the probe's log.
fn batches(log: &std::path::Path) -> Vec<Vec<String>> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .map(|event| {
            event["Records"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|r| {
                    r["dynamodb"]["Keys"]["id"]["S"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned()
                })
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn records_are_filtered_delivered_in_order_and_retried_from_the_failed_one() {
    let log = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("stream-{}.log", uuid::Uuid::new_v4()));
    let api = LocalApi::start_with(LocalApiOptions {
        template: stream_template(&log),
        bin_dir: build_dir().join("examples"),
        ..LocalApiOptions::default()
    })
    .await;
    let dynamodb = client::dynamodb(&endpoint()).await;
    let table = format!("Things{}", api.table_suffix);
    for (id, fail) in [("a", false), ("skip-me", false), ("b", true), ("c", false)] {
        dynamodb
            .put_item()
            .table_name(&table)
            .item("id", AttributeValue::S(id.to_owned()))
            .item("fail", AttributeValue::Bool(fail))
            .send()
            .await
            .expect("item written");
    }

    let started = Instant::now();
    let delivered = loop {
        let delivered: Vec<String> = batches(&log).concat();
        if delivered.iter().filter(|id| *id == "c").count() >= 2 {
            break delivered;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "records were not delivered and retried in time: {delivered:?}\n{}",
            api.output()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(
        !delivered.iter().any(|id| id.starts_with("skip")),
        "filtered out: {delivered:?}"
    );
    assert_eq!(
        delivered.iter().filter(|id| *id == "a").count(),
        1,
        "{delivered:?}"
    );
    assert_eq!(
        delivered.iter().filter(|id| *id == "b").count(),
        2,
        "{delivered:?}"
    );
    let first_b = delivered
        .iter()
        .position(|id| id == "b")
        .expect("b delivered");
    assert_eq!(
        &delivered[first_b..],
        ["b", "c", "b", "c"],
        "retried from the failed record, in order"
    );
}
