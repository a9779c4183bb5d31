use std::path::Path;
use std::time::Duration;

use super::*;

fn workspace_root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

#[test]
fn the_project_template_parses_with_globals_merged() {
    let template = Template::load(&workspace_root().join("template.yaml")).expect("template loads");
    assert!(!template.functions.is_empty());
    let get = template
        .functions
        .iter()
        .find(|f| f.logical_id == "GetBookFunction")
        .expect("GetBookFunction is declared");
    assert_eq!(get.package, "get-book");
    assert_eq!(get.binary, "get-book");
    assert_eq!(get.timeout, Duration::from_secs(10));
    assert_eq!(get.memory_mb, 128);
    assert!(get.json_logs);
    assert_eq!(
        get.environment["TABLE_NAME"],
        Expr::Ref("BooksTable".to_owned())
    );
    let route = &get.http_events[0];
    assert_eq!(
        (route.method.as_deref(), route.path.as_deref()),
        (Some("GET"), Some("/books/{id}"))
    );

    let books = template
        .table("BooksTable")
        .expect("BooksTable is declared");
    assert_eq!(books.key_schema.len(), 2);
    assert_eq!(books.global_secondary_indexes.len(), 4);
    assert_eq!(
        books.stream_view_type.as_deref(),
        Some("NEW_AND_OLD_IMAGES")
    );
    assert_eq!(books.time_to_live_attribute.as_deref(), Some("expiresAt"));
}

const STREAMING: &str = r#"
Parameters:
  Level: { Type: String, Default: DEBUG }
Globals:
  Function:
    Timeout: 7
    Environment:
      Variables:
        LEVEL: !Ref Level
        SHARED: global
Resources:
  Proxy:
    Type: AWS::Serverless::Function
    Metadata:
      BuildProperties:
        Binary: custom-bin
    Properties:
      CodeUri: functions/get-book
      MemorySize: 256
      Environment:
        Variables:
          SHARED: own
      Events:
        Everything:
          Type: HttpApi
          Properties: { Path: "/{proxy+}", Method: any }
        Fallback:
          Type: HttpApi
        Queue:
          Type: SQS
          Properties: { Queue: arn }
  Projector:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/get-book
      Events:
        Changes:
          Type: DynamoDB
          Properties:
            Stream:
              Fn::GetAtt: [Things, StreamArn]
            StartingPosition: LATEST
            BatchSize: 10
            MaximumRetryAttempts: 2
            FunctionResponseTypes: [ReportBatchItemFailures]
            FilterCriteria:
              Filters:
                - Pattern: '{"eventName": ["INSERT"]}'
  Things:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: things
      AttributeDefinitions: [{ AttributeName: id, AttributeType: S }]
      KeySchema: [{ AttributeName: id, KeyType: HASH }]
      StreamSpecification: { StreamViewType: NEW_IMAGE }
"#;

#[test]
fn events_globals_and_metadata_are_read() {
    let template = Template::parse(STREAMING, workspace_root()).expect("template parses");
    let proxy = &template.functions[0];
    assert_eq!(proxy.binary, "custom-bin");
    assert_eq!(proxy.package, "get-book");
    assert_eq!(proxy.timeout, Duration::from_secs(7));
    assert_eq!(proxy.memory_mb, 256);
    assert_eq!(proxy.environment["SHARED"], Expr::Literal("own".to_owned()));
    assert_eq!(
        proxy.environment["LEVEL"].evaluate(&ParameterDefaults(&template.parameters)),
        Ok("DEBUG".to_owned())
    );
    let routes: Vec<_> = proxy
        .http_events
        .iter()
        .map(|e| (e.method.clone(), e.path.clone()))
        .collect();
    assert!(routes.contains(&(Some("ANY".to_owned()), Some("/{proxy+}".to_owned()))));
    assert!(routes.contains(&(None, None)));
    assert_eq!(template.warnings.len(), 1, "{:?}", template.warnings);

    let stream = &template.functions[1].stream_events[0];
    assert_eq!(stream.table, "Things");
    assert_eq!(stream.batch_size, 10);
    assert_eq!(stream.starting_position, StartingPosition::Latest);
    assert_eq!(stream.maximum_retry_attempts, Some(2));
    assert!(stream.report_batch_item_failures);
    assert_eq!(
        stream.filters,
        vec![serde_json::json!({"eventName": ["INSERT"]})]
    );
    assert_eq!(template.tables[0].table_name.as_deref(), Some("things"));
}

#[test]
fn a_stream_event_on_a_table_without_stream_is_rejected() {
    let text = STREAMING.replace(
        "      StreamSpecification: { StreamViewType: NEW_IMAGE }\n",
        "",
    );
    let error = Template::parse(&text, workspace_root()).expect_err("must be rejected");
    assert!(error.to_string().contains("Things"), "{error}");
}

#[test]
fn record_history_sends_failed_batches_to_the_failure_bucket() {
    let template = Template::load(&workspace_root().join("template.yaml")).expect("template loads");
    let record_history = template
        .functions
        .iter()
        .find(|f| f.logical_id == "RecordHistoryFunction")
        .expect("RecordHistoryFunction is declared");
    let stream = &record_history.stream_events[0];
    assert_eq!(
        stream.on_failure,
        Some(FailureBucket {
            name: "HistoryFailureBucket".to_owned()
        })
    );
    assert_eq!(stream.maximum_record_age, Some(Duration::from_secs(86_400)));
}

/// `STREAMING` with `destination` as the stream event's on-failure destination and a bucket
/// and a queue declared.
fn with_destination(destination: &str) -> String {
    STREAMING
        .replace(
            "            MaximumRetryAttempts: 2\n",
            &format!(
                "            MaximumRetryAttempts: 2\n            MaximumRecordAgeInSeconds: 60\n            DestinationConfig:\n              OnFailure:\n                Destination: {destination}\n"
            ),
        )
        .replace(
            "  Things:\n",
            "  Failed:\n    Type: AWS::S3::Bucket\n  Dead:\n    Type: AWS::SQS::Queue\n  Things:\n",
        )
}

#[test]
fn an_s3_on_failure_destination_is_read_in_every_form() {
    for (destination, bucket) in [
        ("!GetAtt Failed.Arn", "Failed"),
        ("{ 'Fn::GetAtt': [Failed, Arn] }", "Failed"),
        ("arn:aws:s3:::my-failures", "my-failures"),
    ] {
        let template = Template::parse(&with_destination(destination), workspace_root())
            .unwrap_or_else(|e| panic!("{destination}: {e}"));
        let stream = &template.functions[1].stream_events[0];
        assert_eq!(
            stream.on_failure,
            Some(FailureBucket {
                name: bucket.to_owned()
            }),
            "{destination}"
        );
        assert_eq!(stream.maximum_record_age, Some(Duration::from_secs(60)));
        assert_eq!(template.warnings.len(), 1, "{:?}", template.warnings);
    }
    let template = Template::parse(STREAMING, workspace_root()).expect("template parses");
    let stream = &template.functions[1].stream_events[0];
    assert_eq!(
        (&stream.on_failure, stream.maximum_record_age),
        (&None, None)
    );
}

#[test]
fn other_destinations_are_warned_about_and_unknown_ones_rejected() {
    for destination in [
        "!GetAtt Dead.Arn",
        "arn:aws:sqs:us-east-1:123456789012:dead",
    ] {
        let template = Template::parse(&with_destination(destination), workspace_root())
            .unwrap_or_else(|e| panic!("{destination}: {e}"));
        assert_eq!(template.functions[1].stream_events[0].on_failure, None);
        assert!(
            template
                .warnings
                .iter()
                .any(|w| w.contains("Projector") && w.contains("not served locally")),
            "{destination}: {:?}",
            template.warnings
        );
    }
    let error = Template::parse(&with_destination("!GetAtt Missing.Arn"), workspace_root())
        .expect_err("a destination that is not declared");
    assert!(error.to_string().contains("Missing"), "{error}");
}
