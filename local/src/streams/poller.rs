//! Polls one stream for one mapping: shards in lineage order (a child only after its parent
//! is drained), records of a shard strictly in order, each batch delivered before the next
//! is read, so a failing batch holds its shard back as Lambda does.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use aws_sdk_dynamodbstreams::Client;
use aws_sdk_dynamodbstreams::error::DisplayErrorContext;
use aws_sdk_dynamodbstreams::types::{Shard, ShardIteratorType};
use serde_json::Value;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::delivery::{RetryPolicy, deliver};
use super::failure::{self, BatchSource, GivenUp};
use super::filter::passes;
use super::get_records::RawStreams;
use super::record::{lambda_record, sequence_number};
use crate::lambda::LiveFunction;
use crate::template::{LOCAL_ACCOUNT_ID, LOCAL_REGION, StartingPosition, StreamEvent};

/// Pause between polls of a shard that had nothing new (Lambda polls about 4 times a second).
const POLL_INTERVAL: Duration = Duration::from_millis(250);
/// How often new shards are looked for.
const DISCOVERY_INTERVAL: Duration = Duration::from_secs(5);
/// GetRecords returns at most this many records.
const MAX_GET_RECORDS: usize = 1000;

/// One event source mapping.
#[derive(Debug, Clone)]
pub struct Mapping {
    /// The function to invoke.
    pub function: LiveFunction,
    /// The `DynamoDB` event from the template.
    pub event: StreamEvent,
    /// The table's latest stream.
    pub stream_arn: String,
    /// The folder standing for the event's S3 on-failure destination, if it has one: the
    /// invocation records of the batches given up on are written there.
    pub failures: Option<PathBuf>,
}

/// Why a mapping could not start.
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    /// DynamoDB Streams refused a request.
    #[error("stream {stream}: {detail}")]
    Streams {
        /// The stream ARN.
        stream: String,
        /// The error with its causes.
        detail: String,
    },
}

/// Reading position in one shard.
#[derive(Debug)]
struct ShardCursor {
    parent: Option<String>,
    iterator: Option<String>,
    last_sequence: Option<String>,
    pending: Vec<Value>,
    pending_since: Option<Instant>,
    drained: bool,
}

/// Starts polling; the iterators of the shards that exist now are taken before this returns,
/// so with `LATEST` every write made after it is delivered.
///
/// # Errors
/// [`StreamError`] when the stream cannot be described or read.
pub async fn start(
    mapping: Mapping,
    client: Client,
    endpoint: &str,
    shutdown: CancellationToken,
) -> Result<JoinHandle<()>, StreamError> {
    let raw = RawStreams::new(endpoint).map_err(|e| StreamError::Streams {
        stream: mapping.stream_arn.clone(),
        detail: e.to_string(),
    })?;
    let mut poller = Poller {
        mapping,
        client,
        raw,
        shards: BTreeMap::new(),
    };
    poller.discover(true).await?;
    Ok(tokio::spawn(async move { poller.run(shutdown).await }))
}

struct Poller {
    mapping: Mapping,
    client: Client,
    raw: RawStreams,
    shards: BTreeMap<String, ShardCursor>,
}

impl Poller {
    fn error(&self, source: impl std::error::Error) -> StreamError {
        StreamError::Streams {
            stream: self.mapping.stream_arn.clone(),
            detail: DisplayErrorContext(source).to_string(),
        }
    }

    async fn run(mut self, shutdown: CancellationToken) {
        let mut last_discovery = Instant::now();
        while !shutdown.is_cancelled() {
            if last_discovery.elapsed() >= DISCOVERY_INTERVAL {
                if let Err(e) = self.discover(false).await {
                    eprintln!("[streams] {e}");
                }
                last_discovery = Instant::now();
            }
            let busy = self.poll_shards(&shutdown).await;
            if !busy {
                tokio::select! {
                    () = tokio::time::sleep(POLL_INTERVAL) => {}
                    () = shutdown.cancelled() => {}
                }
            }
        }
    }

    /// Looks for shards not seen yet and takes an iterator for each.
    async fn discover(&mut self, at_start: bool) -> Result<(), StreamError> {
        let mut shards: Vec<Shard> = Vec::new();
        let mut start_after: Option<String> = None;
        loop {
            let page = self
                .client
                .describe_stream()
                .stream_arn(&self.mapping.stream_arn)
                .set_exclusive_start_shard_id(start_after.clone())
                .send()
                .await
                .map_err(|e| self.error(e))?;
            let Some(description) = page.stream_description() else {
                break;
            };
            shards.extend(description.shards().iter().cloned());
            start_after = description.last_evaluated_shard_id().map(str::to_owned);
            if start_after.is_none() {
                break;
            }
        }
        for shard in shards {
            let Some(id) = shard.shard_id().map(str::to_owned) else {
                continue;
            };
            if self.shards.contains_key(&id) {
                continue;
            }
            let closed = shard
                .sequence_number_range()
                .and_then(|r| r.ending_sequence_number())
                .is_some();
            let latest =
                at_start && self.mapping.event.starting_position == StartingPosition::Latest;
            let kind = if latest {
                ShardIteratorType::Latest
            } else {
                ShardIteratorType::TrimHorizon
            };
            let iterator = if latest && closed {
                None
            } else {
                self.iterator(&id, kind, None).await?
            };
            self.shards.insert(
                id,
                ShardCursor {
                    parent: shard.parent_shard_id().map(str::to_owned),
                    drained: iterator.is_none(),
                    iterator,
                    last_sequence: None,
                    pending: Vec::new(),
                    pending_since: None,
                },
            );
        }
        Ok(())
    }

    async fn iterator(
        &self,
        shard: &str,
        kind: ShardIteratorType,
        after: Option<&str>,
    ) -> Result<Option<String>, StreamError> {
        let response = self
            .client
            .get_shard_iterator()
            .stream_arn(&self.mapping.stream_arn)
            .shard_id(shard)
            .shard_iterator_type(kind)
            .set_sequence_number(after.map(str::to_owned))
            .send()
            .await
            .map_err(|e| self.error(e))?;
        Ok(response.shard_iterator().map(str::to_owned))
    }

    /// Reads once from every shard whose parent is drained; `true` if any records came.
    async fn poll_shards(&mut self, shutdown: &CancellationToken) -> bool {
        let ready: Vec<String> = self
            .shards
            .iter()
            .filter(|(_, cursor)| !cursor.drained)
            .filter(|(_, cursor)| {
                cursor
                    .parent
                    .as_ref()
                    .and_then(|parent| self.shards.get(parent))
                    .is_none_or(|parent| parent.drained)
            })
            .map(|(id, _)| id.clone())
            .collect();
        let mut busy = false;
        for id in ready {
            match self.poll_shard(&id, shutdown).await {
                Ok(got_records) => busy |= got_records,
                Err(e) => {
                    eprintln!("[streams] {e}");
                    self.recover_iterator(&id).await;
                }
            }
        }
        busy
    }

    /// One GetRecords on shard `id`, then delivery of whatever batch is due.
    async fn poll_shard(
        &mut self,
        id: &str,
        shutdown: &CancellationToken,
    ) -> Result<bool, StreamError> {
        let event = self.mapping.event.clone();
        let Some(cursor) = self.shards.get(id) else {
            return Ok(false);
        };
        let Some(iterator) = cursor.iterator.clone() else {
            return Ok(false);
        };
        let room = event
            .batch_size
            .saturating_sub(cursor.pending.len())
            .clamp(1, MAX_GET_RECORDS);
        let page = self
            .raw
            .get_records(&iterator, room)
            .await
            .map_err(|e| self.error(e))?;
        let stream_arn = self.mapping.stream_arn.clone();
        let Some(cursor) = self.shards.get_mut(id) else {
            return Ok(false);
        };
        cursor.iterator = page.next_iterator;
        let got = !page.records.is_empty();
        for record in &page.records {
            let json = lambda_record(record, &stream_arn);
            cursor.last_sequence = sequence_number(&json).map(str::to_owned);
            if passes(&event.filters, &json) {
                cursor.pending.push(json);
                cursor.pending_since.get_or_insert_with(Instant::now);
            }
        }
        let closed = cursor.iterator.is_none();
        let due = cursor.pending.len() >= event.batch_size
            || closed
            || cursor
                .pending_since
                .is_some_and(|since| since.elapsed() >= event.maximum_batching_window);
        if due && !cursor.pending.is_empty() {
            let pending = std::mem::take(&mut cursor.pending);
            cursor.pending_since = None;
            let policy = RetryPolicy {
                report_batch_item_failures: event.report_batch_item_failures,
                maximum_retry_attempts: event.maximum_retry_attempts,
                bisect: event.bisect_batch_on_function_error,
                maximum_record_age: event.maximum_record_age,
                backoff: Duration::from_millis(500),
            };
            for chunk in pending.chunks(event.batch_size) {
                let function = self.mapping.function.clone();
                let delivered = deliver(chunk.to_vec(), policy, shutdown, |payload| {
                    let function = function.clone();
                    async move { function.invoke(payload).await }
                })
                .await;
                for given_up in &delivered.given_up {
                    self.keep_failure(id, given_up).await;
                }
            }
        }
        if closed && let Some(cursor) = self.shards.get_mut(id) {
            cursor.drained = true;
        }
        Ok(got)
    }

    /// Writes the invocation record of records given up on to the on-failure folder, as
    /// Lambda writes it to an S3 destination; without a destination they are only logged.
    async fn keep_failure(&self, shard_id: &str, given_up: &GivenUp) {
        let Some(bucket_dir) = &self.mapping.failures else {
            return;
        };
        let name = self.mapping.function.name();
        let function_arn =
            format!("arn:aws:lambda:{LOCAL_REGION}:{LOCAL_ACCOUNT_ID}:function:{name}");
        let mapping_id = format!("{name}-{}", self.mapping.event.name);
        let source = BatchSource {
            function_arn: &function_arn,
            mapping_id: &mapping_id,
            shard_id,
            stream_arn: &self.mapping.stream_arn,
        };
        let now = time::OffsetDateTime::now_utc();
        let request_id = uuid::Uuid::new_v4().to_string();
        let record = failure::invocation_record(given_up, &source, now, &request_id);
        let key = failure::object_key(&source, now, &uuid::Uuid::new_v4().to_string());
        match failure::write(bucket_dir, &key, &record).await {
            Ok(path) => eprintln!(
                "[streams] {name}: invocation record of {} failed record(s) written to {}",
                given_up.records.len(),
                path.display()
            ),
            Err(e) => eprintln!(
                "[streams] {name}: cannot write the invocation record of {} failed record(s) to {}: {e}",
                given_up.records.len(),
                bucket_dir.display()
            ),
        }
    }

    /// After an error (e.g. an expired iterator), continues after the last record read.
    async fn recover_iterator(&mut self, id: &str) {
        let after = self.shards.get(id).and_then(|c| c.last_sequence.clone());
        let kind = if after.is_some() {
            ShardIteratorType::AfterSequenceNumber
        } else {
            ShardIteratorType::TrimHorizon
        };
        tokio::time::sleep(Duration::from_secs(1)).await;
        match self.iterator(id, kind, after.as_deref()).await {
            Ok(iterator) => {
                if let Some(cursor) = self.shards.get_mut(id) {
                    cursor.drained = iterator.is_none();
                    cursor.iterator = iterator;
                }
            }
            Err(e) => eprintln!("[streams] {e}"),
        }
    }
}
