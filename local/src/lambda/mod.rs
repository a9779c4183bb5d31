//! Lambda, locally: each function's real binary runs as child processes ("instances", one
//! execution environment each) against a Runtime API served here, with Lambda's scaling,
//! timeout and crash semantics.
//!
//! Scaling follows Lambda's: an invocation goes to an idle instance of its function if there
//! is one (warm), else starts a new instance (a cold start: a new process), up to the
//! function's concurrency limit ([`Scaling`]); past it, or past the account-wide limit, the
//! invocation is throttled ([`InvokeError::Throttled`]). An instance runs one event at a
//! time, and stops after [`Scaling::idle_timeout`] without work.
//!
//! [`start`] returns an [`Invoker`] for a function; [`Invoker::stats`] tells how far it
//! scaled out.

mod instance;
mod live;
mod pool;
pub mod runtime_api;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};
use tokio_util::sync::CancellationToken;

pub use live::LiveFunction;
pub use pool::FunctionStats;
use pool::Pool;

use crate::template::{LOCAL_ACCOUNT_ID, LOCAL_REGION};

/// How to run one function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionSpec {
    /// The function's name (its logical id): log prefix and `AWS_LAMBDA_FUNCTION_NAME`.
    pub name: String,
    /// The binary to run.
    pub program: PathBuf,
    /// Its environment, without `AWS_LAMBDA_RUNTIME_API` (set per process).
    pub environment: BTreeMap<String, String>,
    /// The function's `Timeout`.
    pub timeout: Duration,
}

impl FunctionSpec {
    /// The ARN Lambda would give the function locally.
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:lambda:{LOCAL_REGION}:{LOCAL_ACCOUNT_ID}:function:{}",
            self.name
        )
    }
}

/// Why an invocation produced no result.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvokeError {
    /// The function reported an error (`invocation/{id}/error`); holds its error document.
    #[error("function error: {}", String::from_utf8_lossy(.0))]
    Function(Bytes),
    /// The invocation ran past the function's `Timeout`; the process was replaced.
    #[error("Task timed out after {:.2} seconds", .0.as_secs_f64())]
    Timeout(Duration),
    /// The process exited before answering; it was restarted.
    #[error("Runtime exited before responding ({0})")]
    Crashed(String),
    /// The process failed to initialise (`init/error`, or it exited before asking for work).
    #[error("Runtime.InitError: {0}")]
    Init(String),
    /// Every instance the function may run is busy (its reserved concurrency or the
    /// runner's per-function limit), or the account-wide limit is reached: Lambda's
    /// `TooManyRequestsException` (HTTP 429 from Invoke).
    #[error("Rate Exceeded: {0}")]
    Throttled(&'static str),
    /// The function's instances were replaced (new binaries) before this invocation
    /// reached one: [`LiveFunction`] sends it to the new ones.
    #[error("the function's instances were replaced")]
    Drained,
    /// The runner is shutting down.
    #[error("the local runner is stopping")]
    Stopped,
}

impl InvokeError {
    /// The error document Lambda returns for this failure (`errorType`, `errorMessage`).
    pub fn document(&self) -> Bytes {
        match self {
            InvokeError::Function(body) => body.clone(),
            other => {
                let kind = match other {
                    InvokeError::Timeout(_) => "Sandbox.Timedout",
                    InvokeError::Crashed(_) => "Runtime.ExitError",
                    InvokeError::Init(_) => "Runtime.InitError",
                    InvokeError::Throttled(_) => "TooManyRequestsException",
                    _ => "ServiceException",
                };
                Bytes::from(
                    serde_json::json!({ "errorType": kind, "errorMessage": other.to_string() })
                        .to_string(),
                )
            }
        }
    }
}

/// Lambda's default concurrency quota per account and region.
pub const DEFAULT_ACCOUNT_CONCURRENCY: usize = 1000;
/// How many instances a function without `ReservedConcurrentExecutions` scales out to
/// locally, unless the runner is told otherwise: on Lambda only the account's limit bounds
/// it; locally, processes share one machine, and 64 covers any burst a laptop can send
/// while keeping a runaway client from starting hundreds of processes.
pub const DEFAULT_MAX_INSTANCES: usize = 64;
/// How long an instance waits for work before it is stopped, unless told otherwise.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(120);

/// The account-wide concurrency limit, shared by every function of a runner: an invocation
/// holds one unit from the moment it is accepted until its instance is done with it.
#[derive(Debug, Clone)]
pub struct AccountConcurrency(Arc<Semaphore>);

impl AccountConcurrency {
    /// At most `limit` invocations at once across all functions.
    pub fn new(limit: usize) -> Self {
        AccountConcurrency(Arc::new(Semaphore::new(limit.min(Semaphore::MAX_PERMITS))))
    }

    /// One unit, or `None` when the account is at its limit.
    fn try_acquire(&self) -> Option<OwnedSemaphorePermit> {
        self.0.clone().try_acquire_owned().ok()
    }
}

impl Default for AccountConcurrency {
    fn default() -> Self {
        AccountConcurrency::new(DEFAULT_ACCOUNT_CONCURRENCY)
    }
}

/// What happens to an invocation that finds every instance its function may run busy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum WhenBusy {
    /// Refused, as Lambda refuses it (`TooManyRequestsException`; API Gateway's 500).
    #[default]
    Throttle,
    /// Kept until an instance is free: not Lambda's behaviour, but the runner's before it
    /// scaled out (with one instance per function), kept as the benchmark's baseline.
    Queue,
}

/// How a function scales out.
#[derive(Debug, Clone)]
pub struct Scaling {
    /// The most instances (and so invocations at once) of the function: its
    /// `ReservedConcurrentExecutions`, or the runner's default. 0 throttles every call.
    pub max_instances: usize,
    /// An instance idle this long is stopped.
    pub idle_timeout: Duration,
    /// The limit shared with every other function of the runner.
    pub account: AccountConcurrency,
    /// Past `max_instances`: throttle (Lambda) or queue.
    pub when_busy: WhenBusy,
}

impl Scaling {
    /// One instance at most: invocations to a busy function are throttled (what one-off
    /// commands and the stream pollers, which invoke one at a time, need).
    pub fn single() -> Self {
        Scaling {
            max_instances: 1,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            account: AccountConcurrency::default(),
            when_busy: WhenBusy::Throttle,
        }
    }
}

/// One accepted invocation, on its way to an instance.
#[derive(Debug)]
struct Invocation {
    request_id: String,
    payload: Bytes,
    respond: oneshot::Sender<Result<Bytes, InvokeError>>,
    /// The account-wide unit it holds until its instance is done with it.
    _account: OwnedSemaphorePermit,
}

/// Invokes one function synchronously (`RequestResponse`); cheap to clone.
#[derive(Debug, Clone)]
pub struct Invoker {
    pool: Arc<Pool>,
}

impl Invoker {
    /// The function's name.
    pub fn name(&self) -> &str {
        self.pool.name()
    }

    /// Runs the function on `payload` and returns its result.
    ///
    /// # Errors
    /// [`InvokeError`] when the function is throttled, fails, times out or crashes, or the
    /// runner stops.
    pub async fn invoke(&self, payload: Bytes) -> Result<Bytes, InvokeError> {
        let account = self
            .pool
            .account()
            .try_acquire()
            .ok_or(InvokeError::Throttled(
                "the account's concurrency limit is reached",
            ))?;
        let (respond, result) = oneshot::channel();
        self.pool
            .dispatch(Invocation {
                request_id: uuid::Uuid::new_v4().to_string(),
                payload,
                respond,
                _account: account,
            })
            .map_err(|(error, _)| error)?;
        result.await.unwrap_or(Err(InvokeError::Stopped))
    }

    /// How far the function has scaled out so far.
    pub fn stats(&self) -> FunctionStats {
        self.pool.stats()
    }

    /// Stops taking invocations: idle instances stop now, busy ones once they have
    /// answered (what a swap to newly built binaries does to the old ones).
    pub fn drain(&self) {
        self.pool.drain();
    }

    /// Waits until every instance has stopped (after [`Invoker::drain`] or the shutdown).
    pub async fn stopped(&self) {
        self.pool.stopped().await;
    }
}

/// Makes `spec` invocable: instances start on demand, as `scaling` allows, until
/// `shutdown` is cancelled.
pub fn start(spec: FunctionSpec, scaling: Scaling, shutdown: CancellationToken) -> Invoker {
    Invoker {
        pool: Pool::new(spec, scaling, shutdown),
    }
}
