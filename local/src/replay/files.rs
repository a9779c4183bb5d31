//! The invocation records to replay: finding them, reading what to invoke from one, and
//! where one goes once replayed.

use std::path::{Path, PathBuf};

use bytes::Bytes;
use serde_json::Value;

/// The folder, in each bucket folder, that replayed records are moved to.
pub const REPLAYED: &str = "replayed";

/// Why an invocation record cannot be replayed.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// The file could not be read.
    #[error("cannot read it: {0}")]
    Read(#[from] std::io::Error),
    /// The file, or its `payload`, is not JSON.
    #[error("not JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// There is no `payload` with `Records` (an SQS or SNS record holds metadata only).
    #[error("no payload with Records (only S3 destinations keep the event)")]
    NoPayload,
    /// No `--function` and no `requestContext.functionArn` to take the function from.
    #[error("no requestContext.functionArn; name the function with --function")]
    NoFunction,
}

/// What an invocation record asks to invoke again.
#[derive(Debug, Clone, PartialEq)]
pub struct Replay {
    /// The function that failed (`requestContext.functionArn`'s name).
    pub function: Option<String>,
    /// The event it was given: `{"Records": [...]}`.
    pub payload: Bytes,
    /// How many records the event holds.
    pub records: usize,
}

/// Reads the invocation record `text`; `payload` may be the escaped JSON string Lambda
/// writes or the event itself.
///
/// # Errors
/// [`RecordError`] when it is not JSON or holds no event.
pub fn parse(text: &str) -> Result<Replay, RecordError> {
    let record: Value = serde_json::from_str(text)?;
    let event: Value = match record.get("payload") {
        Some(Value::String(escaped)) => serde_json::from_str(escaped)?,
        Some(event @ Value::Object(_)) => event.clone(),
        _ => return Err(RecordError::NoPayload),
    };
    let records = event
        .get("Records")
        .and_then(Value::as_array)
        .ok_or(RecordError::NoPayload)?
        .len();
    let function = record
        .pointer("/requestContext/functionArn")
        .and_then(Value::as_str)
        .and_then(|arn| arn.split(':').nth(6))
        .filter(|name| !name.is_empty())
        .map(str::to_owned);
    Ok(Replay {
        function,
        payload: Bytes::from(event.to_string()),
        records,
    })
}

/// Every invocation record in `paths` (files as given, folders walked), in path order,
/// leaving out `replayed/` folders and hidden (partly written) files.
///
/// # Errors
/// The I/O error of a path that cannot be read.
pub fn collect(paths: &[PathBuf]) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            walk(path, &mut files)?;
        } else {
            std::fs::metadata(path)?;
            files.push(path.clone());
        }
    }
    files.sort();
    files.dedup();
    Ok(files)
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            if name != REPLAYED {
                walk(&path, files)?;
            }
        } else {
            files.push(path);
        }
    }
    Ok(())
}

/// Where `file` goes once replayed: `<failures>/<Bucket>/replayed/<key>` when it is under
/// the failures folder, else a `replayed/` folder beside it.
pub fn replayed_path(failures_dir: &Path, file: &Path) -> PathBuf {
    let absolute = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_owned());
    let (root, full) = (absolute(failures_dir), absolute(file));
    if let Ok(relative) = full.strip_prefix(&root) {
        let mut parts = relative.components();
        if let Some(bucket) = parts.next() {
            let key = parts.as_path();
            if !key.as_os_str().is_empty() {
                return root.join(bucket).join(REPLAYED).join(key);
            }
        }
    }
    let name = full.file_name().unwrap_or(full.as_os_str());
    full.parent()
        .unwrap_or(Path::new("."))
        .join(REPLAYED)
        .join(name)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_escaped_payload_and_the_function_are_read() {
        let event = json!({"Records": [{"eventID": "1"}, {"eventID": "2"}]});
        let record = json!({
            "requestContext": {"functionArn": "arn:aws:lambda:us-east-1:123456789012:function:RecordHistoryFunction:live"},
            "payload": event.to_string(),
        });
        let replay = parse(&record.to_string()).expect("parses");
        assert_eq!(replay.function.as_deref(), Some("RecordHistoryFunction"));
        assert_eq!(replay.records, 2);
        assert_eq!(
            serde_json::from_slice::<Value>(&replay.payload).expect("JSON"),
            event
        );
        let inline = json!({"payload": event});
        assert_eq!(parse(&inline.to_string()).expect("parses").function, None);
    }

    #[test]
    fn metadata_only_records_cannot_be_replayed() {
        for text in [
            r#"{"DDBStreamBatchInfo": {}}"#,
            r#"{"payload": "{}"}"#,
            r#"{"payload": 3}"#,
        ] {
            assert!(matches!(parse(text), Err(RecordError::NoPayload)), "{text}");
        }
        assert!(matches!(parse("nope"), Err(RecordError::Json(_))));
    }

    #[test]
    fn folders_are_walked_without_replayed_or_hidden_files_and_moves_keep_the_key() {
        let root = std::env::temp_dir().join(format!("replay-{}", uuid::Uuid::new_v4()));
        let key = "aws/lambda/F-E/shard/2026/01/02/2026-01-02T03.04.05-x";
        for file in [
            format!("Bucket/{key}"),
            format!("Bucket/{REPLAYED}/{key}"),
            "Bucket/aws/lambda/F-E/shard/2026/01/02/.y.partial".to_owned(),
        ] {
            let path = root.join(file);
            std::fs::create_dir_all(path.parent().expect("a folder")).expect("folder");
            std::fs::write(&path, "{}").expect("written");
        }
        let found = collect(std::slice::from_ref(&root)).expect("walked");
        assert_eq!(found, [root.join("Bucket").join(key)]);
        let root = std::fs::canonicalize(&root).expect("canonical");
        assert_eq!(
            replayed_path(&root, &found[0]),
            root.join("Bucket").join(REPLAYED).join(key)
        );
        let elsewhere = std::env::temp_dir().join("some-record.json");
        assert_eq!(
            replayed_path(&root, &elsewhere),
            std::fs::canonicalize(std::env::temp_dir())
                .expect("canonical")
                .join(REPLAYED)
                .join("some-record.json")
        );
        let _ = std::fs::remove_dir_all(root);
    }
}
