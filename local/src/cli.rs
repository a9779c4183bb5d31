//! The command line: `serve` (the whole local stack), `invoke` (one function, one event),
//! `replay-failures` (stream records given up on, invoked again) and `with-dynamodb` (a
//! command next to a throwaway DynamoDB Local).

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Where `serve` writes, and `replay-failures` reads, the records given up on.
pub const DEFAULT_FAILURES_DIR: &str = ".local/failures";

/// Runs template.yaml locally without Docker: API Gateway, Lambda and DynamoDB Local.
#[derive(Debug, Parser)]
#[command(name = "bookshelf-local", version, about)]
pub struct Cli {
    /// What to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve every route and stream of the template on 127.0.0.1 (what `make dev` runs).
    Serve(ServeArgs),
    /// Invoke one function of the template once with one event (e.g. `events/get-book.json`)
    /// against the local stack's tables and print its response, like `sam local invoke -e`.
    Invoke(InvokeArgs),
    /// Invoke stream functions again with the records they gave up on (what `serve` wrote
    /// under --failures-dir); a record replayed without failure moves to `replayed/`.
    ReplayFailures(ReplayArgs),
    /// Run a command with a fresh in-memory DynamoDB Local in `DYNAMODB_ENDPOINT`.
    WithDynamodb {
        /// The command and its arguments (after `--`).
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
        command: Vec<OsString>,
    },
}

/// Options of `serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Port of the HTTP API on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 3000)]
    pub port: u16,
    /// The SAM template to serve.
    #[arg(long, default_value = "template.yaml")]
    pub template: PathBuf,
    /// Use this DynamoDB instead of starting DynamoDB Local.
    #[arg(long, value_name = "URL")]
    pub dynamodb_endpoint: Option<String>,
    /// Keep DynamoDB Local's data in memory only.
    #[arg(long, conflicts_with = "data_dir")]
    pub in_memory: bool,
    /// Where DynamoDB Local keeps its data.
    #[arg(long, default_value = ".local/dynamodb")]
    pub data_dir: PathBuf,
    /// Where stream records given up on are written: one folder per S3 on-failure
    /// destination (`<dir>/<BucketLogicalId>/aws/lambda/…`), as Lambda writes to the bucket.
    #[arg(long, value_name = "DIR", default_value = DEFAULT_FAILURES_DIR)]
    pub failures_dir: PathBuf,
    /// Appended to every table's name (tests use a unique one per run).
    #[arg(long, default_value = "", allow_hyphen_values = true)]
    pub table_suffix: String,
    /// Use the binaries already in the target folder instead of running `cargo build`.
    #[arg(long)]
    pub no_build: bool,
    /// Build and run the release binaries.
    #[arg(long)]
    pub release: bool,
    /// Folder holding the built binaries (default: `<target>/debug` or `<target>/release`).
    #[arg(long, value_name = "DIR")]
    pub bin_dir: Option<PathBuf>,
    /// Rebuild when a Rust source, a manifest or the template changes, and serve the new
    /// binaries and routes without dropping requests in flight (`make dev` sets it).
    #[arg(long)]
    pub watch: bool,
    /// How Lambda's scaling is played locally.
    #[command(flatten)]
    pub scaling: ScalingArgs,
}

/// How far functions scale out locally (Lambda's concurrency model).
#[derive(Debug, Clone, Args)]
pub struct ScalingArgs {
    /// Instances a function may run at once when the template gives it no
    /// `ReservedConcurrentExecutions` (1 = one process per function, no scale-out).
    #[arg(long, value_name = "N", default_value_t = crate::lambda::DEFAULT_MAX_INSTANCES)]
    pub max_instances: usize,
    /// Invocations at once across all functions (Lambda's account concurrency quota).
    #[arg(long, value_name = "N", default_value_t = crate::lambda::DEFAULT_ACCOUNT_CONCURRENCY)]
    pub account_concurrency: usize,
    /// What an invocation that finds every instance of its function busy gets: `throttle`
    /// (Lambda's answer) or `queue` (wait for a free instance: with `--max-instances 1`,
    /// the runner as it was before it scaled out).
    #[arg(long, value_enum, default_value_t = crate::lambda::WhenBusy::Throttle)]
    pub when_busy: crate::lambda::WhenBusy,
    /// Seconds an instance may stay idle before it is stopped.
    #[arg(long, value_name = "SECONDS", default_value_t = crate::lambda::DEFAULT_IDLE_TIMEOUT.as_secs())]
    pub idle_timeout: u64,
}

/// Options of `invoke`.
#[derive(Debug, Clone, Args)]
pub struct InvokeArgs {
    /// The function's logical id in the template (e.g. `GetBookFunction`).
    #[arg(value_name = "LOGICAL_ID")]
    pub function: String,
    /// The event, as Lambda delivers it (default: `{}`).
    #[arg(long, short = 'e', value_name = "FILE")]
    pub event: Option<PathBuf>,
    /// The local stack to run it against.
    #[command(flatten)]
    pub stack: StackArgs,
}

/// Options of `replay-failures`.
#[derive(Debug, Clone, Args)]
pub struct ReplayArgs {
    /// Invocation records, or folders of them (default: every record under --failures-dir
    /// not yet replayed).
    #[arg(value_name = "FILE_OR_DIR")]
    pub paths: Vec<PathBuf>,
    /// The function to invoke (default: the one each record names in
    /// `requestContext.functionArn`).
    #[arg(long, value_name = "LOGICAL_ID")]
    pub function: Option<String>,
    /// Where `serve` wrote the records given up on.
    #[arg(long, value_name = "DIR", default_value = DEFAULT_FAILURES_DIR)]
    pub failures_dir: PathBuf,
    /// The local stack to replay against.
    #[command(flatten)]
    pub stack: StackArgs,
}

/// The local stack a one-off command (`invoke`, `replay-failures`) runs functions against:
/// the same template, tables and binaries as `serve`.
#[derive(Debug, Clone, Args)]
pub struct StackArgs {
    /// The SAM template the local stack serves.
    #[arg(long, default_value = "template.yaml")]
    pub template: PathBuf,
    /// The DynamoDB the local stack uses (`serve` prints it); without it, DynamoDB Local is
    /// started on --data-dir (stop `make dev` first).
    #[arg(long, value_name = "URL")]
    pub dynamodb_endpoint: Option<String>,
    /// Where DynamoDB Local keeps its data (as for `serve`).
    #[arg(long, default_value = ".local/dynamodb")]
    pub data_dir: PathBuf,
    /// Appended to every table's name (as given to `serve`).
    #[arg(long, default_value = "", allow_hyphen_values = true)]
    pub table_suffix: String,
    /// Run the release binaries.
    #[arg(long)]
    pub release: bool,
    /// Folder holding the built binaries (default: `<target>/debug` or `<target>/release`).
    #[arg(long, value_name = "DIR")]
    pub bin_dir: Option<PathBuf>,
}
