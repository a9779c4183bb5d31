//! One execution environment: a function process, its own Runtime API endpoint, and the
//! supervisor that hands it one invocation at a time, enforces the timeout and replaces the
//! process when it exits or times out.

use std::net::Ipv4Addr;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::net::TcpListener;
use tokio::process::{Child, Command};
use tokio::sync::{mpsc, oneshot};
use tokio::time::{Instant, sleep, sleep_until};
use tokio_util::sync::CancellationToken;

use super::runtime_api::{self, NextEvent, RuntimeEvent};
use super::{FunctionSpec, Invocation, InvokeError, Queue};
use crate::process;

/// Longest pause between restarts of a process that keeps failing at once.
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// A process that lived shorter than this counts as failing at once.
const QUICK_EXIT: Duration = Duration::from_secs(2);

/// How one process's life ended.
enum End {
    /// The runner is stopping.
    Shutdown,
    /// The process exited (crash, `init/error`, or normal exit).
    Exited,
    /// An invocation timed out and the process was killed.
    TimedOut,
}

/// The invocation a process is working on.
struct InFlight {
    request_id: String,
    respond: oneshot::Sender<Result<bytes::Bytes, InvokeError>>,
    deadline: Instant,
}

/// Runs processes of `spec` one after another until `shutdown`.
pub(super) async fn supervise(spec: Arc<FunctionSpec>, queue: Queue, shutdown: CancellationToken) {
    let mut backoff = Duration::from_millis(100);
    while !shutdown.is_cancelled() {
        let started = Instant::now();
        let end = run_once(&spec, &queue, &shutdown).await;
        let pause = match end {
            End::Shutdown => break,
            End::Exited if started.elapsed() < QUICK_EXIT => {
                let pause = backoff;
                backoff = (backoff * 2).min(MAX_BACKOFF);
                pause
            }
            End::Exited | End::TimedOut => {
                backoff = Duration::from_millis(100);
                backoff
            }
        };
        // On Ctrl-C the whole process group gets SIGINT: the function may exit before the
        // runner notices, so look for the shutdown before announcing a restart.
        tokio::select! {
            () = sleep(pause) => {}
            () = shutdown.cancelled() => break,
        }
        match end {
            End::TimedOut => eprintln!("[{}] invocation timed out; process replaced", spec.name),
            _ => eprintln!("[{}] process exited; restarted", spec.name),
        }
    }
}

/// Starts one process with its own Runtime API and serves it until it ends.
async fn run_once(spec: &FunctionSpec, queue: &Queue, shutdown: &CancellationToken) -> End {
    let listener = match TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("[{}] cannot open a Runtime API port: {e}", spec.name);
            return End::Exited;
        }
    };
    let address = match listener.local_addr() {
        Ok(address) => address,
        Err(e) => {
            eprintln!("[{}] cannot open a Runtime API port: {e}", spec.name);
            return End::Exited;
        }
    };
    let (events_tx, events) = mpsc::channel(16);
    let server = tokio::spawn(runtime_api::serve(listener, events_tx));

    let spawned = Command::new(&spec.program)
        .env_clear()
        .envs(&spec.environment)
        .env("AWS_LAMBDA_RUNTIME_API", address.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn();
    let end = match spawned {
        Ok(mut child) => {
            process::forward_output(&mut child, &spec.name);
            let end = serve_process(spec, &mut child, events, queue, shutdown).await;
            process::kill(&mut child).await;
            end
        }
        Err(e) => {
            eprintln!("[{}] cannot run {}: {e}", spec.name, spec.program.display());
            fail_one_waiting(
                queue,
                InvokeError::Init(format!("cannot run the binary: {e}")),
            );
            End::Exited
        }
    };
    server.abort();
    end
}

/// The supervisor's loop for one live process.
async fn serve_process(
    spec: &FunctionSpec,
    child: &mut Child,
    mut events: mpsc::Receiver<RuntimeEvent>,
    queue: &Queue,
    shutdown: &CancellationToken,
) -> End {
    let mut waiting: Option<oneshot::Sender<NextEvent>> = None;
    let mut in_flight: Option<InFlight> = None;
    let mut asked_for_work = false;
    let mut init_error: Option<String> = None;
    loop {
        let idle = waiting.is_some() && in_flight.is_none();
        let deadline = in_flight.as_ref().map(|f| f.deadline);
        tokio::select! {
            () = shutdown.cancelled() => {
                if let Some(f) = in_flight.take() {
                    let _ = f.respond.send(Err(InvokeError::Stopped));
                }
                return End::Shutdown;
            }
            status = child.wait() => {
                let status = status.map_or_else(|e| e.to_string(), |s| s.to_string());
                match (in_flight.take(), asked_for_work) {
                    (Some(f), _) => {
                        let _ = f.respond.send(Err(InvokeError::Crashed(status)));
                    }
                    (None, false) => {
                        let reason = init_error.take().unwrap_or(status);
                        fail_one_waiting(queue, InvokeError::Init(reason));
                    }
                    (None, true) => {}
                }
                return End::Exited;
            }
            () = sleep_until(deadline.unwrap_or_else(Instant::now)), if deadline.is_some() => {
                process::kill(child).await;
                if let Some(f) = in_flight.take() {
                    let _ = f.respond.send(Err(InvokeError::Timeout(spec.timeout)));
                }
                return End::TimedOut;
            }
            event = events.recv() => match event {
                Some(RuntimeEvent::Next(reply)) => {
                    asked_for_work = true;
                    if let Some(f) = in_flight.take() {
                        let message = "the runtime asked for the next event without answering".to_owned();
                        let _ = f.respond.send(Err(InvokeError::Crashed(message)));
                    }
                    waiting = Some(reply);
                }
                Some(RuntimeEvent::Response { request_id, body, accepted }) => {
                    let ok = finish(&mut in_flight, &request_id, Ok(body));
                    let _ = accepted.send(ok);
                }
                Some(RuntimeEvent::Error { request_id, body, accepted }) => {
                    let ok = finish(&mut in_flight, &request_id, Err(InvokeError::Function(body)));
                    let _ = accepted.send(ok);
                }
                Some(RuntimeEvent::InitError { body }) => {
                    init_error = Some(String::from_utf8_lossy(&body).into_owned());
                }
                None => return End::Exited,
            },
            invocation = next_invocation(queue), if idle => {
                let Some(invocation) = invocation else {
                    return End::Shutdown;
                };
                let Some(reply) = waiting.take() else {
                    continue;
                };
                let deadline = Instant::now() + spec.timeout;
                let event = NextEvent {
                    request_id: invocation.request_id.clone(),
                    deadline_ms: deadline_epoch_ms(spec.timeout),
                    function_arn: spec.arn(),
                    trace_id: trace_id(),
                    payload: invocation.payload,
                };
                // If the process is gone, the wait branch reports it as a crash.
                let _ = reply.send(event);
                in_flight = Some(InFlight {
                    request_id: invocation.request_id,
                    respond: invocation.respond,
                    deadline,
                });
            }
        }
    }
}

/// Completes the in-flight invocation if `request_id` is it; `false` otherwise.
fn finish(
    in_flight: &mut Option<InFlight>,
    request_id: &str,
    result: Result<bytes::Bytes, InvokeError>,
) -> bool {
    match in_flight.take() {
        Some(f) if f.request_id == request_id => {
            let _ = f.respond.send(result);
            true
        }
        other => {
            *in_flight = other;
            false
        }
    }
}

/// Waits for the function's next queued invocation; `None` once the queue is closed.
async fn next_invocation(queue: &Queue) -> Option<Invocation> {
    queue.lock().await.recv().await
}

/// Fails one invocation already queued, as Lambda fails the invoke that hit a broken
/// init; without it, requests would wait on a function that never starts.
fn fail_one_waiting(queue: &Queue, error: InvokeError) {
    if let Ok(mut queue) = queue.try_lock()
        && let Ok(invocation) = queue.try_recv()
    {
        let _ = invocation.respond.send(Err(error));
    }
}

fn deadline_epoch_ms(timeout: Duration) -> u128 {
    (SystemTime::now() + timeout)
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis())
}

/// An X-Ray style trace header, as Lambda passes one with every invocation.
fn trace_id() -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    format!(
        "Root=1-{epoch:08x}-{};Parent={};Sampled=0",
        &id[..24],
        &id[16..32]
    )
}
