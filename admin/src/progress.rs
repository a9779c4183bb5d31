//! Running counts, shared by a command's workers and reported on standard
//! error every few seconds and once at the end.

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How often a running command reports.
const INTERVAL: Duration = Duration::from_secs(2);

/// Named counters (a fixed set per command) and when the command started.
#[derive(Debug)]
pub struct Progress {
    command: &'static str,
    names: &'static [&'static str],
    counts: Vec<AtomicU64>,
    started: Instant,
}

impl Progress {
    /// Counters `names` for `command`, all zero.
    pub fn new(command: &'static str, names: &'static [&'static str]) -> Arc<Self> {
        Arc::new(Self {
            command,
            names,
            counts: names.iter().map(|_| AtomicU64::new(0)).collect(),
            started: Instant::now(),
        })
    }

    /// Adds `by` to the counter `name` (a name not given to [`Progress::new`]
    /// is a bug of the command, ignored).
    pub fn add(&self, name: &str, by: u64) {
        if let Some(index) = self.names.iter().position(|known| *known == name) {
            self.counts[index].fetch_add(by, Ordering::Relaxed);
        }
    }

    /// The counter `name`.
    pub fn get(&self, name: &str) -> u64 {
        self.names
            .iter()
            .position(|known| *known == name)
            .map_or(0, |index| self.counts[index].load(Ordering::Relaxed))
    }

    /// One line: every counter, the time taken, and the rate of the first.
    pub fn line(&self) -> String {
        let seconds = self.started.elapsed().as_secs_f64();
        let mut line = format!("{}:", self.command);
        for (name, count) in self.names.iter().zip(&self.counts) {
            let _ = write!(line, " {} {name},", count.load(Ordering::Relaxed));
        }
        let first = self.counts.first().map_or(0, |c| c.load(Ordering::Relaxed));
        let rate = if seconds > 0.0 {
            first as f64 / seconds
        } else {
            0.0
        };
        let _ = write!(line, " {seconds:.1} s ({rate:.0}/s)");
        line
    }

    /// Prints [`Progress::line`] to standard error every few seconds until
    /// the returned task is aborted.
    pub fn report_periodically(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let progress = Arc::clone(self);
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(INTERVAL);
            ticks.tick().await;
            loop {
                ticks.tick().await;
                eprintln!("{}", progress.line());
            }
        })
    }
}
