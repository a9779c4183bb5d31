//! Lambda, locally: each function's real binary runs as a child process against a Runtime API
//! served here, one event at a time per process, with Lambda's timeout and crash semantics.
//!
//! [`start`] launches a function's processes and returns an [`Invoker`]; invoking queues the
//! event until a process asks for it (`invocation/next`).

mod instance;
pub mod runtime_api;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::{Mutex, mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::template::{LOCAL_ACCOUNT_ID, LOCAL_REGION};

/// How to run one function.
#[derive(Debug, Clone)]
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

/// One queued invocation.
#[derive(Debug)]
struct Invocation {
    request_id: String,
    payload: Bytes,
    respond: oneshot::Sender<Result<Bytes, InvokeError>>,
}

/// The receiving end of a function's queue, shared by its processes.
type Queue = Arc<Mutex<mpsc::Receiver<Invocation>>>;

/// Invokes one function synchronously (`RequestResponse`); cheap to clone.
#[derive(Debug, Clone)]
pub struct Invoker {
    name: String,
    queue: mpsc::Sender<Invocation>,
}

impl Invoker {
    /// The function's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Runs the function on `payload` and returns its result.
    ///
    /// # Errors
    /// [`InvokeError`] when the function fails, times out, crashes or the runner stops.
    pub async fn invoke(&self, payload: Bytes) -> Result<Bytes, InvokeError> {
        let (respond, result) = oneshot::channel();
        let invocation = Invocation {
            request_id: uuid::Uuid::new_v4().to_string(),
            payload,
            respond,
        };
        self.queue
            .send(invocation)
            .await
            .map_err(|_| InvokeError::Stopped)?;
        result.await.unwrap_or(Err(InvokeError::Stopped))
    }
}

/// Starts `instances` processes of `spec` (at least one), each restarted whenever it exits,
/// until `shutdown` is cancelled; returns the invoker and the supervisors' tasks.
pub fn start(
    spec: FunctionSpec,
    instances: usize,
    shutdown: CancellationToken,
) -> (Invoker, Vec<JoinHandle<()>>) {
    let (tx, rx) = mpsc::channel(1024);
    let queue: Queue = Arc::new(Mutex::new(rx));
    let spec = Arc::new(spec);
    let tasks = (0..instances.max(1))
        .map(|_| {
            tokio::spawn(instance::supervise(
                spec.clone(),
                queue.clone(),
                shutdown.clone(),
            ))
        })
        .collect();
    let invoker = Invoker {
        name: spec.name.clone(),
        queue: tx,
    };
    (invoker, tasks)
}
