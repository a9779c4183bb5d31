//! Cold starts and warm invocations of one function, through [`Sandbox`]es.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::Error;
use crate::events::{Events, check};
use crate::floor::Paired;
use crate::sandbox::{Launch, Sandbox};
use crate::stats::Summary;

/// Untimed invocations before the timed warm ones (connection pools, caches, page faults).
const WARMUP: usize = 20;

/// Cold starts: a fresh process per run.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Cold {
    /// Spawn → first `invocation/next`.
    pub init: Summary,
    /// The first event handed over → its response posted.
    pub first_invoke: Summary,
    /// Their sum, run by run.
    pub total: Summary,
}

/// Warm invocations of one process.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Warm {
    /// Latency of each invocation (event handed over → response posted).
    pub latency: Summary,
    /// Peak resident set size of the process at the end, in bytes.
    pub peak_rss: u64,
    /// The handler's raw DynamoDB requests, timed from the benchmark process right after
    /// each invocation (absent for functions that make none, and in older results).
    #[serde(default)]
    pub floor: Option<Summary>,
}

impl Cold {
    /// The summary of cold starts, each an (init, first invoke) pair.
    pub fn of(runs: &[(Duration, Duration)]) -> Cold {
        let init: Vec<Duration> = runs.iter().map(|r| r.0).collect();
        let first: Vec<Duration> = runs.iter().map(|r| r.1).collect();
        let total: Vec<Duration> = runs.iter().map(|r| r.0 + r.1).collect();
        Cold {
            init: Summary::of(&init),
            first_invoke: Summary::of(&first),
            total: Summary::of(&total),
        }
    }
}

/// Starts `launch` cold once and hands it one event of `events`: its init time and the
/// first invoke's.
///
/// # Errors
/// When the process fails to start or answers anything but the expected success.
pub async fn cold_once(
    launch: &Launch,
    package: &str,
    events: &mut Events,
) -> Result<(Duration, Duration), Error> {
    let mut sandbox = Sandbox::start(launch).await?;
    let outcome = match sandbox.ready().await {
        Ok(init) => sandbox
            .invoke(events.next_event())
            .await
            .map(|answer| (init, answer)),
        Err(e) => Err(e),
    };
    sandbox.stop().await;
    let (init, answer) = outcome?;
    if answer.is_error {
        let body = String::from_utf8_lossy(&answer.body).into_owned();
        return Err(format!("{}: function error: {body}", launch.name).into());
    }
    check(package, &answer.body).map_err(|e| format!("{}: {e}", launch.name))?;
    Ok((init, answer.elapsed))
}

/// One process: [`WARMUP`] untimed invocations, then `count` timed ones, each followed by
/// a sample of `floor` when given.
///
/// # Errors
/// When the process fails or answers anything but the expected success.
pub async fn warm(
    launch: &Launch,
    package: &str,
    events: &mut Events,
    count: usize,
    floor: Option<&Paired<'_>>,
) -> Result<Warm, Error> {
    let mut sandbox = Sandbox::start(launch).await?;
    let result = warm_in(&mut sandbox, package, events, count, floor).await;
    let peak_rss = sandbox.peak_rss().unwrap_or_default();
    sandbox.stop().await;
    let (latency, floor) = result.map_err(|e| format!("{}: {e}", launch.name))?;
    Ok(Warm {
        latency,
        peak_rss,
        floor,
    })
}

async fn warm_in(
    sandbox: &mut Sandbox,
    package: &str,
    events: &mut Events,
    count: usize,
    floor: Option<&Paired<'_>>,
) -> Result<(Summary, Option<Summary>), Error> {
    sandbox.ready().await?;
    let mut times = Vec::with_capacity(count);
    let mut floor_times = Vec::with_capacity(count);
    for n in 0..WARMUP + count {
        let answer = sandbox.invoke(events.next_event()).await?;
        if answer.is_error {
            return Err(
                format!("function error: {}", String::from_utf8_lossy(&answer.body)).into(),
            );
        }
        check(package, &answer.body)?;
        let floor_time = match floor {
            Some(floor) => Some(floor.time(n).await?),
            None => None,
        };
        if n >= WARMUP {
            times.push(answer.elapsed);
            floor_times.extend(floor_time);
        }
    }
    let floor = (!floor_times.is_empty()).then(|| Summary::of(&floor_times));
    Ok((Summary::of(&times), floor))
}

/// How many events [`warm`] uses for `count` timed invocations.
pub fn warm_events(count: usize) -> usize {
    WARMUP + count
}
