//! Everything one benchmark run measured, as written to `target/bench/results.json` and
//! read back as the baseline of a later run.

use serde::{Deserialize, Serialize};

use crate::binaries::Size;
use crate::floor::Operation;
use crate::measure::{Cold, Warm};
use crate::stats::Summary;

/// One run.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Results {
    /// Where and when.
    pub meta: Meta,
    /// Bootstrap and zip sizes, per function then the naive baseline.
    pub sizes: Vec<Size>,
    /// Our functions, in benchmark order.
    pub functions: Vec<FunctionResult>,
    /// The naive baseline (get-book with default features everywhere).
    pub naive: Option<FunctionResult>,
    /// The Python 3 + boto3 peer (get-book).
    pub python: Option<FunctionResult>,
    /// Raw DynamoDB Local round trips from the benchmark process.
    pub floors: Vec<(Operation, Summary)>,
    /// list-books at growing table sizes.
    pub list_scaling: Vec<ListPoint>,
    /// What a function answered over TLS without the CA in its trust store (proves that
    /// `SSL_CERT_FILE` is what made the TLS runs work).
    pub untrusted_tls_status: Option<u64>,
    /// Seconds spent seeding, by table size reached.
    pub seeding: Vec<(usize, f64)>,
}

/// The machine and the code.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Meta {
    /// `git rev-parse --short HEAD`, with `+dirty` when the tree has changes.
    pub commit: String,
    /// UTC date and time of the run.
    pub date: String,
    /// CPU model.
    pub cpu: String,
    /// Logical CPUs.
    pub cores: usize,
    /// Memory, GiB.
    pub memory_gib: f64,
    /// Kernel release.
    pub kernel: String,
    /// `rustc --version`.
    pub rustc: String,
    /// 1-minute load average at the start and at the end.
    pub load: (f64, f64),
    /// Cold starts per function and mode.
    pub cold_runs: usize,
    /// Timed warm invocations per function.
    pub warm_invocations: usize,
    /// Whether `--quick` was given.
    pub quick: bool,
    /// Wall time of the whole run, seconds.
    pub seconds: f64,
}

/// One function's figures.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct FunctionResult {
    /// Crate name (or `naive get-book`, `python get-book`).
    pub name: String,
    /// Cold starts against DynamoDB Local over plain HTTP.
    pub cold_http: Cold,
    /// Cold starts through the TLS terminator.
    pub cold_tls: Option<Cold>,
    /// Warm invocations over plain HTTP.
    pub warm: Warm,
    /// The raw operation(s) its handler makes, if any.
    pub floor: Vec<Operation>,
}

impl Results {
    /// The floor of `operation`.
    pub fn floor(&self, operation: Operation) -> Option<Summary> {
        self.floors
            .iter()
            .find(|(o, _)| *o == operation)
            .map(|(_, s)| *s)
    }

    /// The p50 floor of `function`: its paired floor, or else the summed p50s of its
    /// operations measured on their own (`None` if it makes none).
    pub fn floor_p50(&self, function: &FunctionResult) -> Option<f64> {
        if let Some(paired) = function.warm.floor {
            return Some(paired.p50);
        }
        if function.floor.is_empty() {
            return None;
        }
        function
            .floor
            .iter()
            .map(|o| self.floor(*o).map(|s| s.p50))
            .sum()
    }

    /// Our function named `name`.
    pub fn function(&self, name: &str) -> Option<&FunctionResult> {
        self.functions.iter().find(|f| f.name == name)
    }

    /// The sizes of `name`.
    pub fn size(&self, name: &str) -> Option<&Size> {
        self.sizes.iter().find(|s| s.name == name)
    }
}

/// list-books at one table size.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ListPoint {
    /// Books in the table.
    pub books: usize,
    /// list-books, warm, one page of 25.
    pub function: Summary,
    /// The raw Query of one page.
    pub floor: Summary,
}
