//! Cold starts and warm invocations of one function, through [`Sandbox`]es.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::Error;
use crate::cpu::{Cgroups, CpuModel, Placement};
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
    /// each invocation (absent for functions that make none).
    pub floor: Option<Summary>,
    /// Each invocation's latency less its paired floor sample: the median of these is
    /// the overhead (not the difference of the two medians).
    pub overhead: Option<Summary>,
    /// CPU time (user + system) of the process per timed invocation, in µs: its cgroup's
    /// usage over the timed invocations, divided by their number (absent without cgroups).
    pub cpu_us: Option<f64>,
    /// The time from one invocation's start to the next's, when paced (ms).
    pub pacing_ms: Option<f64>,
}

/// How a process is held: its CPU model after init, and the groups that apply it.
#[derive(Clone, Copy)]
pub struct Hold<'a> {
    /// The CPU share after init.
    pub model: CpuModel,
    /// The benchmark's cgroups (`None`: none on this machine; only [`CpuModel::Whole`]).
    pub cgroups: Option<&'a Cgroups>,
}

impl Hold<'_> {
    /// Puts the process under the model (and into the CPU accounting), from now on; keep
    /// the placement until the process has been stopped.
    fn apply(&self, sandbox: &Sandbox) -> Result<Option<Placement>, Error> {
        let Some(cgroups) = self.cgroups else {
            return if self.model == CpuModel::Whole {
                Ok(None)
            } else {
                Err("no cgroups: the CPU model cannot be applied".into())
            };
        };
        let pid = sandbox.pid().ok_or("the process has exited")?;
        Ok(Some(cgroups.place(pid, self.model)?))
    }

    fn usage(&self) -> Result<Option<Duration>, Error> {
        Ok(self.cgroups.map(Cgroups::usage).transpose()?)
    }
}

/// What a warm series does: how many timed invocations, at what pace, paired with what.
pub struct Series<'a> {
    /// Timed invocations (after [`WARMUP`] untimed ones).
    pub count: usize,
    /// Start-to-start time between invocations (`None`: back to back).
    pub pacing: Option<Duration>,
    /// The raw requests timed after each invocation.
    pub floor: Option<&'a Paired<'a>>,
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
    hold: Hold<'_>,
) -> Result<(Duration, Duration), Error> {
    let mut sandbox = Sandbox::start(launch).await?;
    let mut placement = None;
    let outcome = match sandbox.ready().await {
        Ok(init) => match hold.apply(&sandbox) {
            Ok(placed) => {
                placement = placed;
                sandbox
                    .invoke(events.next_event())
                    .await
                    .map(|answer| (init, answer))
            }
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    };
    sandbox.stop().await;
    drop(placement);
    let (init, answer) = outcome?;
    if answer.is_error {
        let body = String::from_utf8_lossy(&answer.body).into_owned();
        return Err(format!("{}: function error: {body}", launch.name).into());
    }
    check(package, &answer.body).map_err(|e| format!("{}: {e}", launch.name))?;
    Ok((init, answer.elapsed))
}

/// One process: [`WARMUP`] untimed invocations, then the series' timed ones, each followed
/// by a sample of its floor when it has one.
///
/// # Errors
/// When the process fails or answers anything but the expected success.
pub async fn warm(
    launch: &Launch,
    package: &str,
    events: &mut Events,
    series: &Series<'_>,
    hold: Hold<'_>,
) -> Result<Warm, Error> {
    let mut sandbox = Sandbox::start(launch).await?;
    let mut placement = None;
    let result = warm_in(&mut sandbox, package, events, series, hold, &mut placement).await;
    let peak_rss = sandbox.peak_rss().unwrap_or_default();
    sandbox.stop().await;
    drop(placement);
    let mut warm = result.map_err(|e| format!("{}: {e}", launch.name))?;
    warm.peak_rss = peak_rss;
    Ok(warm)
}

async fn warm_in(
    sandbox: &mut Sandbox,
    package: &str,
    events: &mut Events,
    series: &Series<'_>,
    hold: Hold<'_>,
    placement: &mut Option<Placement>,
) -> Result<Warm, Error> {
    sandbox.ready().await?;
    *placement = hold.apply(sandbox)?;
    let count = series.count;
    let mut times = Vec::with_capacity(count);
    let mut floor_times = Vec::with_capacity(count);
    let mut differences = Vec::with_capacity(count);
    let mut cpu_start = None;
    let mut cpu_used = None;
    let mut next_start = tokio::time::Instant::now();
    for n in 0..WARMUP + count {
        if n == WARMUP {
            cpu_start = hold.usage()?;
        }
        if let Some(pacing) = series.pacing {
            tokio::time::sleep_until(next_start).await;
            next_start += pacing;
        }
        let answer = sandbox.invoke(events.next_event()).await?;
        if answer.is_error {
            return Err(
                format!("function error: {}", String::from_utf8_lossy(&answer.body)).into(),
            );
        }
        check(package, &answer.body)?;
        events.observe(&answer.body);
        let cpu_end = if n + 1 == WARMUP + count {
            hold.usage()?
        } else {
            None
        };
        let floor_time = match series.floor {
            Some(floor) => Some(floor.time(n).await?),
            None => None,
        };
        if n >= WARMUP {
            times.push(answer.elapsed);
            if let Some(floor) = floor_time {
                floor_times.push(floor);
                differences.push((answer.elapsed.as_secs_f64() - floor.as_secs_f64()) * 1e3);
            }
        }
        if let (Some(start), Some(end)) = (cpu_start, cpu_end) {
            cpu_used = Some(end.saturating_sub(start));
        }
    }
    #[allow(clippy::cast_precision_loss)]
    let cpu_us = cpu_used
        .filter(|_| count > 0)
        .map(|used| used.as_secs_f64() * 1e6 / count as f64);
    Ok(Warm {
        latency: Summary::of(&times),
        peak_rss: 0,
        floor: (!floor_times.is_empty()).then(|| Summary::of(&floor_times)),
        overhead: (!differences.is_empty()).then(|| Summary::of_ms(differences)),
        cpu_us,
        pacing_ms: series.pacing.map(|p| p.as_secs_f64() * 1e3),
    })
}

/// How many events [`warm`] uses for `count` timed invocations.
pub fn warm_events(count: usize) -> usize {
    WARMUP + count
}
