//! Everything one benchmark run measured, as written to `target/bench/results.json` and
//! read back as the baseline of a later run.

use serde::{Deserialize, Serialize};

use crate::binaries::Size;
use crate::cpu::CpuModel;
use crate::floor::Operation;
use crate::measure::{Cold, Warm};
use crate::profile::Profile;
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
    /// get-book as built elsewhere (`--variant`): earlier builds, for the cuts table.
    #[serde(default)]
    pub variants: Vec<FunctionResult>,
    /// CPU per warm invocation (µs) of get-book and each variant, one figure per round of
    /// the interleaved cuts measurement.
    #[serde(default)]
    pub cut_rounds: Vec<(String, Vec<f64>)>,
    /// Paths of our functions that the sample events do not take (warm only).
    pub paths: Vec<FunctionResult>,
    /// Where get-book's and create-book's CPU goes (`perf`).
    pub profiles: Vec<Profile>,
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
    /// Why this run is partial (`--only`, `--no-build`, …); empty for a full run.
    pub partial: Vec<String>,
    /// Whether the CPU models were applied (cgroups available).
    pub cpu_model_applied: bool,
    /// How the CPU models were applied, or why they could not be.
    pub cpu_model: String,
    /// Timed invocations of each paced series under the 128 MB model.
    pub paced_invocations: usize,
    /// DynamoDB's host name, as the functions resolve it.
    pub dynamodb_host: String,
    /// The trust store every process loads: certificates and bytes.
    pub trust_store: (usize, u64),
    /// Wall time of the whole run, seconds.
    pub seconds: f64,
}

/// One function's (or path's) figures, all over TLS to DynamoDB's real host name.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct FunctionResult {
    /// Crate name (or `naive get-book`, `python get-book`, or a path's name).
    pub name: String,
    /// Cold starts, by CPU model (none for paths).
    pub cold: Vec<(CpuModel, Cold)>,
    /// Warm invocations, back to back, with a whole CPU, each paired with its floor.
    pub warm: Warm,
    /// Warm invocations under the 128 MB model, one every 50 ms (absent without cgroups).
    pub paced: Option<Warm>,
    /// The raw operation(s) its handler makes, if any.
    pub floor: Vec<Operation>,
}

impl FunctionResult {
    /// Its cold starts under `model`, if measured.
    pub fn cold(&self, model: CpuModel) -> Option<&Cold> {
        self.cold.iter().find(|(m, _)| *m == model).map(|(_, c)| c)
    }
}

impl Results {
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
