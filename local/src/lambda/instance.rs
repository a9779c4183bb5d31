//! One execution environment: a function process with its own Runtime API endpoint, and the
//! task that hands it one invocation at a time, enforces the timeout, and ends it: when it
//! crashes or times out (the next invocation gets a new instance, as on Lambda), when it has
//! been idle too long, when its function is drained, or at shutdown.

use std::net::Ipv4Addr;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::net::TcpListener;
use tokio::process::{Child, Command};
use tokio::sync::{OwnedSemaphorePermit, mpsc, oneshot};
use tokio::time::{Instant, sleep_until};

use super::pool::Pool;
use super::runtime_api::{self, NextEvent, RuntimeEvent};
use super::{Invocation, InvokeError};
use crate::process;

/// How long a stopping instance's process gets to exit after SIGTERM.
const STOP_GRACE: Duration = Duration::from_millis(500);

/// Where an invocation's answer goes.
type Respond = oneshot::Sender<Result<bytes::Bytes, InvokeError>>;

/// How an instance's life ended, for its pool's books.
enum End {
    /// It was busy: the failure to answer its invocation with, once the pool knows the
    /// instance is gone (so that a retry finds room for a new instance).
    Busy(Option<(Respond, InvokeError)>),
    /// It was idle and is already off the idle list.
    Retired,
}

/// The invocation a process is working on.
struct InFlight {
    request_id: String,
    respond: Respond,
    deadline: Instant,
    /// The account-wide unit, held until the invocation is answered.
    _account: OwnedSemaphorePermit,
}

/// Runs instance `id` of `pool`'s function, whose first invocation waits in `inbox`, until
/// it ends; `running` is how many instances the function has with this one.
pub(super) async fn run(
    pool: Arc<Pool>,
    id: u64,
    running: usize,
    work: mpsc::Sender<Invocation>,
    mut inbox: mpsc::Receiver<Invocation>,
) {
    let name = pool.name().to_owned();
    eprintln!("[{name}] INIT_START instance {id} ({running} running)");
    match start_process(&pool).await {
        Ok((mut child, events, server)) => {
            match serve(&pool, id, &mut child, events, &work, &mut inbox).await {
                End::Retired => process::terminate(&mut child, STOP_GRACE).await,
                End::Busy(answer) => {
                    if let Some((_, error)) =
                        answer.as_ref().filter(|(_, e)| *e != InvokeError::Stopped)
                    {
                        eprintln!("[{name}] instance {id} ended: {error}");
                    }
                    process::kill(&mut child).await;
                    ended_busy(&pool, answer, &mut inbox);
                }
            }
            server.abort();
        }
        Err(reason) => {
            eprintln!("[{name}] {reason}");
            let answer = inbox
                .try_recv()
                .ok()
                .map(|invocation| (invocation.respond, InvokeError::Init(reason)));
            ended_busy(&pool, answer, &mut inbox);
        }
    }
}

/// Takes a busy instance off its pool's books, then answers its invocation and hands any
/// invocation given to it just as it died to another instance.
fn ended_busy(
    pool: &Arc<Pool>,
    answer: Option<(Respond, InvokeError)>,
    inbox: &mut mpsc::Receiver<Invocation>,
) {
    pool.ended_busy();
    if let Some((respond, error)) = answer {
        let _ = respond.send(Err(error));
    }
    inbox.close();
    while let Ok(invocation) = inbox.try_recv() {
        if let Err((error, invocation)) = pool.dispatch(invocation) {
            let _ = invocation.respond.send(Err(error));
        }
    }
}

/// Starts the process with its own Runtime API endpoint.
async fn start_process(
    pool: &Pool,
) -> Result<
    (
        Child,
        mpsc::Receiver<RuntimeEvent>,
        tokio::task::JoinHandle<()>,
    ),
    String,
> {
    let spec = pool.spec();
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .map_err(|e| format!("cannot open a Runtime API port: {e}"))?;
    let address = listener
        .local_addr()
        .map_err(|e| format!("cannot open a Runtime API port: {e}"))?;
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
    match spawned {
        Ok(mut child) => {
            process::forward_output(&mut child, &spec.name);
            Ok((child, events, server))
        }
        Err(e) => {
            server.abort();
            Err(format!("cannot run {}: {e}", spec.program.display()))
        }
    }
}

/// The instance's loop for one live process.
async fn serve(
    pool: &Arc<Pool>,
    id: u64,
    child: &mut Child,
    mut events: mpsc::Receiver<RuntimeEvent>,
    work: &mpsc::Sender<Invocation>,
    inbox: &mut mpsc::Receiver<Invocation>,
) -> End {
    let spec = pool.spec();
    let started = Instant::now();
    let mut waiting: Option<oneshot::Sender<NextEvent>> = None;
    let mut in_flight: Option<InFlight> = None;
    let mut asked_for_work = false;
    let mut init_error: Option<String> = None;
    // Set while the instance is on its pool's idle list.
    let mut idle_since: Option<Instant> = None;
    loop {
        let ready = waiting.is_some() && in_flight.is_none();
        let deadline = in_flight.as_ref().map(|f| f.deadline);
        let idle_until = idle_since.map(|since| since + pool.idle_timeout());
        tokio::select! {
            () = pool.shutdown().cancelled() => {
                if idle_since.is_some() && pool.retire_if_idle(id) {
                    return End::Retired;
                }
                return End::Busy(in_flight.take().map(|f| (f.respond, InvokeError::Stopped)));
            }
            status = child.wait() => {
                let status = status.map_or_else(|e| e.to_string(), |s| s.to_string());
                if let Some(f) = in_flight.take() {
                    return End::Busy(Some((f.respond, InvokeError::Crashed(status))));
                }
                if !asked_for_work {
                    let reason = init_error.take().unwrap_or(status);
                    let answer = inbox
                        .try_recv()
                        .ok()
                        .map(|invocation| (invocation.respond, InvokeError::Init(reason)));
                    return End::Busy(answer);
                }
                eprintln!("[{}] instance {id} ended: process exited between invocations ({status})", spec.name);
                return if idle_since.is_some() && pool.retire_if_idle(id) {
                    End::Retired
                } else {
                    End::Busy(None)
                };
            }
            () = sleep_until(deadline.unwrap_or_else(Instant::now)), if deadline.is_some() => {
                return End::Busy(in_flight.take().map(|f| (f.respond, InvokeError::Timeout(spec.timeout))));
            }
            () = sleep_until(idle_until.unwrap_or_else(Instant::now)), if idle_until.is_some() => {
                idle_since = None;
                if pool.retire_if_idle(id) {
                    eprintln!("[{}] instance {id} idle for {:?}; stopped", spec.name, pool.idle_timeout());
                    return End::Retired;
                }
            }
            () = pool.retire().cancelled(), if idle_since.is_some() => {
                idle_since = None;
                if pool.retire_if_idle(id) {
                    return End::Retired;
                }
            }
            event = events.recv() => match event {
                Some(RuntimeEvent::Next(reply)) => {
                    if !asked_for_work {
                        asked_for_work = true;
                        eprintln!(
                            "[{}] instance {id} ready (Init Duration: {:.2} ms)",
                            spec.name,
                            started.elapsed().as_secs_f64() * 1000.0
                        );
                    }
                    if let Some(f) = in_flight.take() {
                        let message = "the runtime asked for the next event without answering".to_owned();
                        return End::Busy(Some((f.respond, InvokeError::Crashed(message))));
                    }
                    waiting = Some(reply);
                }
                Some(RuntimeEvent::Response { request_id, body, accepted }) => {
                    let answered = take_if(&mut in_flight, &request_id);
                    let _ = accepted.send(answered.is_some());
                    if let Some(f) = answered {
                        // Back on the books first: a caller answered can call again at once.
                        let keep = pool.release(id, work);
                        let _ = f.respond.send(Ok(body));
                        if !keep {
                            return End::Retired;
                        }
                        idle_since = Some(Instant::now());
                    }
                }
                Some(RuntimeEvent::Error { request_id, body, accepted }) => {
                    let answered = take_if(&mut in_flight, &request_id);
                    let _ = accepted.send(answered.is_some());
                    if let Some(f) = answered {
                        let keep = pool.release(id, work);
                        let _ = f.respond.send(Err(InvokeError::Function(body)));
                        if !keep {
                            return End::Retired;
                        }
                        idle_since = Some(Instant::now());
                    }
                }
                Some(RuntimeEvent::InitError { body }) => {
                    init_error = Some(String::from_utf8_lossy(&body).into_owned());
                }
                None => return End::Busy(in_flight.take().map(|f| {
                    (f.respond, InvokeError::Crashed("the Runtime API stopped".to_owned()))
                })),
            },
            invocation = inbox.recv(), if ready => {
                let Some(invocation) = invocation else {
                    return End::Busy(None);
                };
                idle_since = None;
                let Some(reply) = waiting.take() else {
                    // Unreachable: this branch runs only while the process waits.
                    let _ = invocation.respond.send(Err(InvokeError::Crashed("no runtime waiting".to_owned())));
                    continue;
                };
                let deadline = Instant::now() + spec.timeout;
                let event = NextEvent {
                    request_id: invocation.request_id.clone(),
                    deadline_ms: deadline_epoch_ms(spec.timeout),
                    function_arn: spec.arn(),
                    trace_id: trace_id(),
                    payload: invocation.payload.clone(),
                };
                // If the process is gone, the wait branch reports it as a crash.
                let _ = reply.send(event);
                let Invocation { request_id, respond, _account, .. } = invocation;
                in_flight = Some(InFlight {
                    request_id,
                    respond,
                    deadline,
                    _account,
                });
            }
        }
    }
}

/// The in-flight invocation, taken if `request_id` is it (a stale id leaves it in place).
fn take_if(in_flight: &mut Option<InFlight>, request_id: &str) -> Option<InFlight> {
    match in_flight.take() {
        Some(f) if f.request_id == request_id => Some(f),
        other => {
            *in_flight = other;
            None
        }
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
