//! Turns DynamoDB Streams records (GetRecords JSON) into the records of Lambda's DynamoDB
//! event (`{"Records": [...]}`), the JSON an event source mapping sends.

use serde_json::{Map, Value, json};

use crate::template::LOCAL_REGION;

/// The Lambda event record for stream `record` read from the stream `stream_arn`: the
/// stream's record plus `eventSourceARN`, with the local region, whole-second creation time,
/// and empty maps repaired (DynamoDB Local writes `{}` for `{"M":{}}`).
pub fn lambda_record(record: &Value, stream_arn: &str) -> Value {
    let mut out = match record {
        Value::Object(fields) => fields.clone(),
        _ => Map::new(),
    };
    out.insert(
        "eventVersion".into(),
        out.get("eventVersion").cloned().unwrap_or(json!("1.1")),
    );
    out.insert("eventSource".into(), json!("aws:dynamodb"));
    out.insert("awsRegion".into(), json!(LOCAL_REGION));
    if let Some(Value::Object(dynamodb)) = out.get_mut("dynamodb") {
        if let Some(time) = dynamodb
            .get("ApproximateCreationDateTime")
            .and_then(Value::as_f64)
        {
            // Whole seconds, as Lambda sends them (truncation is the intent).
            #[allow(clippy::cast_possible_truncation)]
            let seconds = time.trunc() as i64;
            dynamodb.insert("ApproximateCreationDateTime".into(), json!(seconds));
        }
        for image in ["Keys", "NewImage", "OldImage"] {
            if let Some(Value::Object(item)) = dynamodb.get_mut(image) {
                item.values_mut().for_each(repair);
            }
        }
    }
    out.insert("eventSourceARN".into(), json!(stream_arn));
    Value::Object(out)
}

/// Repairs one typed attribute value in place: `{}` becomes `{"M":{}}`, recursively.
fn repair(value: &mut Value) {
    let Value::Object(typed) = value else {
        return;
    };
    if typed.is_empty() {
        typed.insert("M".into(), json!({}));
        return;
    }
    match typed.get_mut("M") {
        Some(Value::Object(map)) => map.values_mut().for_each(repair),
        _ => {
            if let Some(Value::Array(list)) = typed.get_mut("L") {
                list.iter_mut().for_each(repair);
            }
        }
    }
}

/// The sequence number of a record.
pub fn sequence_number(record: &Value) -> Option<&str> {
    record
        .pointer("/dynamodb/SequenceNumber")
        .and_then(Value::as_str)
}

/// A record's `ApproximateCreationDateTime`, in whole seconds since the epoch.
pub fn created_at(record: &Value) -> Option<i64> {
    let time = record.pointer("/dynamodb/ApproximateCreationDateTime")?;
    // Whole seconds, as Lambda sends them (truncation is the intent).
    #[allow(clippy::cast_possible_truncation)]
    time.as_i64()
        .or_else(|| time.as_f64().map(|t| t.trunc() as i64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stream_record_becomes_lambdas_record_json() {
        let raw = json!({
            "eventID": "e1",
            "eventName": "INSERT",
            "eventVersion": "1.1",
            "eventSource": "aws:dynamodb",
            "awsRegion": "ddblocal",
            "dynamodb": {
                "ApproximateCreationDateTime": 1_795_556_880.000,
                "Keys": {"pk": {"S": "BOOK#1"}},
                "NewImage": {
                    "pk": {"S": "BOOK#1"},
                    "changes": {},
                    "entry": {"M": {"inner": {}, "list": {"L": [{}, {"N": "1"}]}}},
                },
                "SequenceNumber": "100",
                "SizeBytes": 42,
                "StreamViewType": "NEW_AND_OLD_IMAGES",
            }
        });
        let json = lambda_record(&raw, "arn:stream");
        assert_eq!(
            json,
            json!({
                "eventID": "e1",
                "eventName": "INSERT",
                "eventVersion": "1.1",
                "eventSource": "aws:dynamodb",
                "awsRegion": "us-east-1",
                "dynamodb": {
                    "ApproximateCreationDateTime": 1_795_556_880,
                    "Keys": {"pk": {"S": "BOOK#1"}},
                    "NewImage": {
                        "pk": {"S": "BOOK#1"},
                        "changes": {"M": {}},
                        "entry": {"M": {"inner": {"M": {}}, "list": {"L": [{"M": {}}, {"N": "1"}]}}},
                    },
                    "SequenceNumber": "100",
                    "SizeBytes": 42,
                    "StreamViewType": "NEW_AND_OLD_IMAGES",
                },
                "eventSourceARN": "arn:stream",
            })
        );
        assert_eq!(sequence_number(&json), Some("100"));
    }
}
