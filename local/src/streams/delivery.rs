//! Delivers one batch of stream records to a function with an event source mapping's retry
//! rules: a failed batch is retried (from the first failed record when the function reports
//! batch item failures), optionally bisected, and given up on after `MaximumRetryAttempts`
//! or once older than `MaximumRecordAgeInSeconds`.

use std::collections::VecDeque;
use std::future::Future;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use super::failure::{Condition, GivenUp};
use super::record::{created_at, sequence_number};
use crate::lambda::InvokeError;

/// How failed batches are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// `ReportBatchItemFailures`: the function may name the records that failed.
    pub report_batch_item_failures: bool,
    /// `MaximumRetryAttempts`; `None` retries until the records expire.
    pub maximum_retry_attempts: Option<u32>,
    /// `BisectBatchOnFunctionError`.
    pub bisect: bool,
    /// `MaximumRecordAgeInSeconds`: failed records older than this are not retried.
    pub maximum_record_age: Option<Duration>,
    /// Pause before the first retry; doubled per attempt, at most 5 s.
    pub backoff: Duration,
}

/// What happened to the records of a batch.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Delivered {
    /// Records the function processed.
    pub processed: usize,
    /// Records given up on (the retries used up, or too old).
    pub skipped: usize,
    /// The records given up on, one entry per failed invocation, for the on-failure
    /// destination.
    pub given_up: Vec<GivenUp>,
}

/// What the function's answer means for a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Every record is done.
    Done,
    /// Records from this index on failed and are retried.
    RetryFrom(usize),
}

/// Interprets the function's `result` for `batch`.
///
/// Without item failure reporting, any error fails the whole batch. With it, the function's
/// `batchItemFailures` name failed records by sequence number; the batch is retried from the
/// earliest one; an identifier that is empty or not in the batch fails the whole batch.
pub fn verdict(result: Result<&[u8], ()>, batch: &[Value], report_failures: bool) -> Verdict {
    let Ok(body) = result else {
        return Verdict::RetryFrom(0);
    };
    if !report_failures {
        return Verdict::Done;
    }
    let Ok(response) = serde_json::from_slice::<Value>(body) else {
        return Verdict::Done;
    };
    let failures = match response.get("batchItemFailures") {
        Some(Value::Array(failures)) if !failures.is_empty() => failures,
        _ => return Verdict::Done,
    };
    let mut earliest = batch.len();
    for failure in failures {
        let id = failure.get("itemIdentifier").and_then(Value::as_str);
        let index = id
            .filter(|id| !id.is_empty())
            .and_then(|id| batch.iter().position(|r| sequence_number(r) == Some(id)));
        match index {
            Some(index) => earliest = earliest.min(index),
            None => return Verdict::RetryFrom(0),
        }
    }
    Verdict::RetryFrom(earliest)
}

/// Delivers `records` (already filtered, at most a batch) through `invoke`, retrying per
/// `policy`, until done, dropped, or `shutdown`.
pub async fn deliver<F, Fut>(
    records: Vec<Value>,
    policy: RetryPolicy,
    shutdown: &CancellationToken,
    mut invoke: F,
) -> Delivered
where
    F: FnMut(Bytes) -> Fut,
    Fut: Future<Output = Result<Bytes, InvokeError>>,
{
    let mut delivered = Delivered::default();
    let mut queue: VecDeque<(Vec<Value>, u32)> = VecDeque::from([(records, 0)]);
    while let Some((batch, attempts)) = queue.pop_front() {
        if batch.is_empty() || shutdown.is_cancelled() {
            continue;
        }
        let event = Bytes::from(json!({ "Records": batch }).to_string());
        let result = tokio::select! {
            result = invoke(event) => result,
            () = shutdown.cancelled() => return delivered,
        };
        let verdict = verdict(
            result.as_deref().map_err(|_| ()),
            &batch,
            policy.report_batch_item_failures,
        );
        let from = match verdict {
            Verdict::Done => {
                delivered.processed += batch.len();
                continue;
            }
            Verdict::RetryFrom(from) => from,
        };
        delivered.processed += from;
        let rest = batch[from..].to_vec();
        let attempts = attempts + 1;
        if let Some(condition) = give_up(&policy, attempts, &rest) {
            eprintln!(
                "[streams] giving up on {} record(s) after {} failed attempt(s) ({})",
                rest.len(),
                attempts,
                condition.as_str()
            );
            delivered.skipped += rest.len();
            delivered.given_up.push(GivenUp {
                records: rest,
                attempts,
                condition,
                function_error: result.is_err(),
            });
            continue;
        }
        let pause = policy
            .backoff
            .saturating_mul(1 << (attempts - 1).min(10))
            .min(Duration::from_secs(5));
        tokio::select! {
            () = tokio::time::sleep(pause) => {}
            () = shutdown.cancelled() => return delivered,
        }
        if policy.bisect && rest.len() > 1 {
            let mut first = rest;
            let second = first.split_off(first.len() / 2);
            queue.push_front((second, attempts));
            queue.push_front((first, attempts));
        } else {
            queue.push_front((rest, attempts));
        }
    }
    delivered
}

/// Whether records that failed `attempts` times are given up on, and why.
fn give_up(policy: &RetryPolicy, attempts: u32, records: &[Value]) -> Option<Condition> {
    if policy
        .maximum_retry_attempts
        .is_some_and(|max| attempts > max)
    {
        return Some(Condition::RetryAttemptsExhausted);
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let oldest = records.iter().filter_map(created_at).min()?;
    let age = now.saturating_sub(u64::try_from(oldest).unwrap_or(0));
    policy
        .maximum_record_age
        .is_some_and(|max| age > max.as_secs())
        .then_some(Condition::RecordAgeExceeded)
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    fn records(n: usize) -> Vec<Value> {
        (1..=n)
            .map(|i| json!({"eventID": i.to_string(), "dynamodb": {"SequenceNumber": i.to_string()}}))
            .collect()
    }

    fn policy(max: Option<u32>) -> RetryPolicy {
        RetryPolicy {
            report_batch_item_failures: true,
            maximum_retry_attempts: max,
            bisect: false,
            maximum_record_age: None,
            backoff: Duration::from_millis(1),
        }
    }

    /// The sequence numbers of each invocation, in order.
    type Calls = Arc<Mutex<Vec<Vec<String>>>>;
    /// What a fake invocation answers.
    type Answer = std::future::Ready<Result<Bytes, InvokeError>>;

    /// Records the sequence numbers of each invocation and answers with `answers` in turn.
    fn fake(answers: Vec<Result<Value, ()>>) -> (Calls, impl FnMut(Bytes) -> Answer) {
        let calls = Arc::new(Mutex::new(Vec::new()));
        let seen = calls.clone();
        let mut answers = answers.into_iter();
        let invoke = move |event: Bytes| {
            let event: Value = serde_json::from_slice(&event).expect("event is JSON");
            let sequences = event["Records"]
                .as_array()
                .expect("Records")
                .iter()
                .filter_map(|r| sequence_number(r).map(str::to_owned))
                .collect();
            seen.lock().expect("lock").push(sequences);
            let answer = answers.next().unwrap_or(Ok(json!(null)));
            std::future::ready(match answer {
                Ok(value) => Ok(Bytes::from(value.to_string())),
                Err(()) => Err(InvokeError::Function(Bytes::from_static(b"{}"))),
            })
        };
        (calls, invoke)
    }

    fn failures(ids: &[&str]) -> Result<Value, ()> {
        Ok(
            json!({"batchItemFailures": ids.iter().map(|id| json!({"itemIdentifier": id})).collect::<Vec<_>>()}),
        )
    }

    #[tokio::test]
    async fn a_reported_failure_retries_from_the_earliest_failed_record_in_order() {
        let (calls, invoke) = fake(vec![
            failures(&["4", "2"]),
            Ok(json!({"batchItemFailures": []})),
        ]);
        let done = deliver(records(4), policy(None), &CancellationToken::new(), invoke).await;
        assert_eq!((done.processed, done.skipped), (4, 0));
        assert!(done.given_up.is_empty());
        assert_eq!(
            *calls.lock().expect("lock"),
            vec![vec!["1", "2", "3", "4"], vec!["2", "3", "4"]]
        );
    }

    #[tokio::test]
    async fn records_are_dropped_after_the_maximum_retries() {
        let (calls, invoke) = fake(vec![Err(()), Err(()), Err(())]);
        let done = deliver(
            records(2),
            policy(Some(1)),
            &CancellationToken::new(),
            invoke,
        )
        .await;
        assert_eq!((done.processed, done.skipped), (0, 2));
        assert_eq!(
            calls.lock().expect("lock").len(),
            2,
            "one try and one retry"
        );
        assert_eq!(
            done.given_up,
            vec![GivenUp {
                records: records(2),
                attempts: 2,
                condition: Condition::RetryAttemptsExhausted,
                function_error: true,
            }]
        );
    }

    #[tokio::test]
    async fn reported_failures_are_given_up_on_from_the_failed_record() {
        let (_, invoke) = fake(vec![failures(&["2"]), failures(&["2"])]);
        let done = deliver(
            records(3),
            policy(Some(1)),
            &CancellationToken::new(),
            invoke,
        )
        .await;
        assert_eq!((done.processed, done.skipped), (1, 2));
        assert_eq!(done.given_up.len(), 1);
        assert_eq!(done.given_up[0].records, records(3)[1..]);
        assert!(!done.given_up[0].function_error);
    }

    #[tokio::test]
    async fn records_older_than_the_maximum_age_are_not_retried() {
        let mut aging = policy(None);
        aging.maximum_record_age = Some(Duration::from_secs(60));
        let old: Vec<Value> = records(1)
            .into_iter()
            .map(|mut r| {
                r["dynamodb"]["ApproximateCreationDateTime"] = json!(1_000_000_000);
                r
            })
            .collect();
        let (calls, invoke) = fake(vec![Err(()), Err(())]);
        let done = deliver(old, aging, &CancellationToken::new(), invoke).await;
        assert_eq!(calls.lock().expect("lock").len(), 1, "no retry");
        assert_eq!(done.given_up[0].condition, Condition::RecordAgeExceeded);
    }

    #[tokio::test]
    async fn an_unknown_identifier_fails_the_whole_batch_and_bisection_splits_it() {
        let mut bisecting = policy(Some(3));
        bisecting.bisect = true;
        let (calls, invoke) = fake(vec![failures(&["nope"]), Ok(json!({})), Ok(json!({}))]);
        let done = deliver(records(4), bisecting, &CancellationToken::new(), invoke).await;
        assert_eq!(done.processed, 4);
        assert_eq!(
            *calls.lock().expect("lock"),
            vec![vec!["1", "2", "3", "4"], vec!["1", "2"], vec!["3", "4"]]
        );
    }

    #[test]
    fn answers_without_failures_complete_the_batch() {
        let batch = records(2);
        for body in [
            &b"null"[..],
            b"{}",
            b"{\"batchItemFailures\":null}",
            b"\"ok\"",
        ] {
            assert_eq!(verdict(Ok(body), &batch, true), Verdict::Done);
        }
        assert_eq!(verdict(Err(()), &batch, false), Verdict::RetryFrom(0));
        assert_eq!(
            verdict(
                Ok(br#"{"batchItemFailures":[{"itemIdentifier":"2"}]}"#),
                &batch,
                false
            ),
            Verdict::Done,
            "without ReportBatchItemFailures the answer is not read"
        );
    }
}
