//! What Lambda writes to an S3 on-failure destination when an event source mapping gives up
//! on stream records: one JSON object per failed invocation, the invocation's metadata and
//! the whole event the function was given (`payload`, as an escaped JSON string).
//!
//! The shape and the object key follow "Retain discarded records for a DynamoDB event source
//! in Lambda" (<https://docs.aws.amazon.com/lambda/latest/dg/services-dynamodb-errors.html>,
//! "Example Amazon S3 invocation record"). Locally the bucket is a folder and the mapping's
//! UUID is `<Function>-<Event>` (logical ids, stable across runs).
//!
//! ```
//! use bookshelf_local::streams::failure::{BatchSource, Condition, GivenUp, invocation_record};
//! let given_up = GivenUp {
//!     records: vec![serde_json::json!({"dynamodb": {"SequenceNumber": "100"}})],
//!     attempts: 2,
//!     condition: Condition::RetryAttemptsExhausted,
//!     function_error: true,
//! };
//! let source = BatchSource {
//!     function_arn: "arn:aws:lambda:us-east-1:123456789012:function:F",
//!     mapping_id: "F-Changes",
//!     shard_id: "shardId-1",
//!     stream_arn: "arn:stream",
//! };
//! let record = invocation_record(&given_up, &source, time::OffsetDateTime::UNIX_EPOCH, "id");
//! assert_eq!(record["DDBStreamBatchInfo"]["startSequenceNumber"], "100");
//! ```

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use time::OffsetDateTime;
use time::macros::format_description;

use super::record::{created_at, sequence_number};

/// Why the records were given up on (`requestContext.condition`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    /// `MaximumRetryAttempts` retries failed.
    RetryAttemptsExhausted,
    /// The oldest record became older than `MaximumRecordAgeInSeconds` while retrying.
    RecordAgeExceeded,
}

impl Condition {
    /// The name Lambda writes.
    pub fn as_str(self) -> &'static str {
        match self {
            Condition::RetryAttemptsExhausted => "RetryAttemptsExhausted",
            Condition::RecordAgeExceeded => "RecordAgeExceeded",
        }
    }
}

/// Records an event source mapping gave up on, with how the last attempt ended.
#[derive(Debug, Clone, PartialEq)]
pub struct GivenUp {
    /// The records, in stream order: the event the function was last given for them.
    pub records: Vec<Value>,
    /// How many times the function was invoked with them.
    pub attempts: u32,
    /// Why they were given up on.
    pub condition: Condition,
    /// The last attempt ended in a function error (error, crash, timeout), rather than in
    /// reported batch item failures.
    pub function_error: bool,
}

/// Where the given-up records were read from and who failed them.
#[derive(Debug, Clone, Copy)]
pub struct BatchSource<'a> {
    /// The function's ARN.
    pub function_arn: &'a str,
    /// The event source mapping's id (locally `<Function>-<Event>`).
    pub mapping_id: &'a str,
    /// The shard the records came from.
    pub shard_id: &'a str,
    /// The stream's ARN.
    pub stream_arn: &'a str,
}

/// The invocation record Lambda writes to S3 for `given_up`, stamped `now`, with request id
/// `request_id`.
pub fn invocation_record(
    given_up: &GivenUp,
    source: &BatchSource<'_>,
    now: OffsetDateTime,
    request_id: &str,
) -> Value {
    let records = &given_up.records;
    let first = records.first();
    let last = records.last();
    let mut response = json!({"statusCode": 200, "executedVersion": "$LATEST"});
    if given_up.function_error {
        response["functionError"] = json!("Unhandled");
    }
    let payload = json!({ "Records": records }).to_string();
    json!({
        "requestContext": {
            "requestId": request_id,
            "functionArn": source.function_arn,
            "condition": given_up.condition.as_str(),
            "approximateInvokeCount": given_up.attempts,
        },
        "responseContext": response,
        "version": "1.0",
        "timestamp": timestamp(now),
        "DDBStreamBatchInfo": {
            "shardId": source.shard_id,
            "startSequenceNumber": first.and_then(sequence_number),
            "endSequenceNumber": last.and_then(sequence_number),
            "approximateArrivalOfFirstRecord": first.and_then(arrival),
            "approximateArrivalOfLastRecord": last.and_then(arrival),
            "batchSize": records.len(),
            "streamArn": source.stream_arn,
        },
        "payload": payload,
    })
}

/// The object key Lambda gives an invocation record:
/// `aws/lambda/<ESM-UUID>/<shardID>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<Random UUID>`.
pub fn object_key(source: &BatchSource<'_>, now: OffsetDateTime, random: &str) -> String {
    let day = format_description!("[year]/[month]/[day]");
    let second = format_description!("[year]-[month]-[day]T[hour].[minute].[second]");
    format!(
        "aws/lambda/{}/{}/{}/{}-{random}",
        source.mapping_id,
        source.shard_id,
        now.format(day).unwrap_or_default(),
        now.format(second).unwrap_or_default(),
    )
}

/// Writes `record` as object `key` of the bucket folder `bucket_dir`, atomically (a reader
/// never sees half a file); returns the file's path.
///
/// # Errors
/// The I/O error when the folder or the file cannot be written.
pub async fn write(bucket_dir: &Path, key: &str, record: &Value) -> std::io::Result<PathBuf> {
    let path = bucket_dir.join(key);
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return Err(std::io::Error::other(format!("bad object key {key}")));
    };
    tokio::fs::create_dir_all(dir).await?;
    let partial = dir.join(format!(".{}.partial", name.to_string_lossy()));
    let mut text = serde_json::to_string_pretty(record).map_err(std::io::Error::other)?;
    text.push('\n');
    tokio::fs::write(&partial, text).await?;
    tokio::fs::rename(&partial, &path).await?;
    Ok(path)
}

/// `2019-11-14T00:13:49.717Z`.
fn timestamp(at: OffsetDateTime) -> String {
    at.format(format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    ))
    .unwrap_or_default()
}

/// A record's `ApproximateCreationDateTime` as `2019-11-14T00:13:19Z`.
fn arrival(record: &Value) -> Option<String> {
    let at = OffsetDateTime::from_unix_timestamp(created_at(record)?).ok()?;
    at.format(format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
    ))
    .ok()
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    fn source() -> BatchSource<'static> {
        BatchSource {
            function_arn: "arn:aws:lambda:us-east-1:123456789012:function:RecordHistoryFunction",
            mapping_id: "RecordHistoryFunction-BookChanges",
            shard_id: "shardId-00000001573689847184-864758bb",
            stream_arn: "arn:aws:dynamodb:us-east-1:123456789012:table/books/stream/2019-11-14T00:04:06.388",
        }
    }

    fn record(sequence: &str, created: i64) -> Value {
        json!({
            "eventID": sequence,
            "eventName": "INSERT",
            "dynamodb": {
                "ApproximateCreationDateTime": created,
                "Keys": {"pk": {"S": "BOOK#1"}, "sk": {"S": "BOOK"}},
                "NewImage": {"pk": {"S": "BOOK#1"}, "sk": {"S": "BOOK"}, "title": {"S": "T"}},
                "SequenceNumber": sequence,
            },
        })
    }

    #[test]
    fn the_record_has_lambdas_metadata_and_the_whole_event_as_an_escaped_string() {
        let records = vec![record("100", 1_573_690_399), record("200", 1_573_690_400)];
        let given_up = GivenUp {
            records: records.clone(),
            attempts: 6,
            condition: Condition::RetryAttemptsExhausted,
            function_error: true,
        };
        let now = datetime!(2019-11-14 00:13:49.717 UTC);
        let written = invocation_record(&given_up, &source(), now, "req-1");
        let payload = written["payload"]
            .as_str()
            .expect("payload is a JSON string");
        assert_eq!(
            serde_json::from_str::<Value>(payload).expect("payload parses"),
            json!({ "Records": records })
        );
        let mut metadata = written.clone();
        metadata
            .as_object_mut()
            .expect("an object")
            .remove("payload");
        assert_eq!(
            metadata,
            json!({
                "requestContext": {
                    "requestId": "req-1",
                    "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:RecordHistoryFunction",
                    "condition": "RetryAttemptsExhausted",
                    "approximateInvokeCount": 6,
                },
                "responseContext": {
                    "statusCode": 200,
                    "executedVersion": "$LATEST",
                    "functionError": "Unhandled",
                },
                "version": "1.0",
                "timestamp": "2019-11-14T00:13:49.717Z",
                "DDBStreamBatchInfo": {
                    "shardId": "shardId-00000001573689847184-864758bb",
                    "startSequenceNumber": "100",
                    "endSequenceNumber": "200",
                    "approximateArrivalOfFirstRecord": "2019-11-14T00:13:19Z",
                    "approximateArrivalOfLastRecord": "2019-11-14T00:13:20Z",
                    "batchSize": 2,
                    "streamArn": "arn:aws:dynamodb:us-east-1:123456789012:table/books/stream/2019-11-14T00:04:06.388",
                },
            })
        );
    }

    #[test]
    fn reported_item_failures_are_no_function_error() {
        let given_up = GivenUp {
            records: vec![record("100", 1_573_690_399)],
            attempts: 1,
            condition: Condition::RecordAgeExceeded,
            function_error: false,
        };
        let written = invocation_record(&given_up, &source(), OffsetDateTime::UNIX_EPOCH, "r");
        assert_eq!(
            written["responseContext"],
            json!({"statusCode": 200, "executedVersion": "$LATEST"})
        );
        assert_eq!(written["requestContext"]["condition"], "RecordAgeExceeded");
    }

    #[test]
    fn the_key_is_lambdas() {
        let now = datetime!(2019-11-14 00:13:49.717 UTC);
        assert_eq!(
            object_key(&source(), now, "u-u-i-d"),
            "aws/lambda/RecordHistoryFunction-BookChanges/shardId-00000001573689847184-864758bb/2019/11/14/2019-11-14T00.13.49-u-u-i-d"
        );
    }

    #[tokio::test]
    async fn a_record_is_written_whole_under_its_key() {
        let dir = std::env::temp_dir().join(format!("failure-{}", uuid::Uuid::new_v4()));
        let value = json!({"version": "1.0"});
        let path = write(&dir, "aws/lambda/m/s/2019/11/14/x", &value)
            .await
            .expect("written");
        assert_eq!(path, dir.join("aws/lambda/m/s/2019/11/14/x"));
        let read: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("JSON");
        assert_eq!(read, value);
        let names: Vec<_> = std::fs::read_dir(path.parent().expect("a folder"))
            .expect("listed")
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names, ["x"], "no partial file is left");
        let _ = std::fs::remove_dir_all(dir);
    }
}
