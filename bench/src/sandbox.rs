//! One Lambda execution environment under the local runner's own Runtime API
//! (`bookshelf_local::lambda::runtime_api`), driven step by step so that every phase can be
//! timed: spawn → first `invocation/next` (init), event handed over → response posted
//! (an invoke), and the process's peak resident memory.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bookshelf_local::lambda::runtime_api::{self, NextEvent, RuntimeEvent};
use bytes::Bytes;
use tokio::net::TcpListener;
use tokio::process::{Child, Command};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::Error;
use crate::hosts::PrivateHosts;

/// Longest a process may take to initialise or to answer one event.
const PHASE_TIMEOUT: Duration = Duration::from_secs(30);

/// What to run: a program, its arguments, environment and working directory.
#[derive(Debug, Clone)]
pub struct Launch {
    /// The function's name, for messages and the ARN.
    pub name: String,
    /// The executable (a `bootstrap`, or a Python interpreter).
    pub program: PathBuf,
    /// Its arguments.
    pub args: Vec<String>,
    /// Its whole environment, without `AWS_LAMBDA_RUNTIME_API` (set here).
    pub environment: BTreeMap<String, String>,
    /// Its working directory.
    pub directory: PathBuf,
    /// Where its standard output and error go (appended).
    pub log: PathBuf,
    /// A private `/etc/hosts` to run with (DynamoDB's real name → the TLS terminator).
    pub hosts: Option<PrivateHosts>,
}

/// A running function process and the Runtime API it talks to.
pub struct Sandbox {
    name: String,
    child: Child,
    events: mpsc::Receiver<RuntimeEvent>,
    server: JoinHandle<()>,
    spawned: Instant,
    waiting: Option<oneshot::Sender<NextEvent>>,
    sequence: u64,
}

/// One invocation's outcome.
#[derive(Debug)]
pub struct Answer {
    /// From handing the event over to the response being posted.
    pub elapsed: Duration,
    /// The response (or error document) the function posted.
    pub body: Bytes,
    /// Whether it was posted to `invocation/{id}/error`.
    pub is_error: bool,
}

impl Sandbox {
    /// Opens a Runtime API on a free loopback port and spawns the process against it; the
    /// clock for [`Sandbox::ready`] starts just before the spawn.
    ///
    /// # Errors
    /// When no port can be opened, the log cannot be written or the program cannot run.
    pub async fn start(launch: &Launch) -> Result<Sandbox, Error> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let address = listener.local_addr()?;
        let (events_tx, events) = mpsc::channel(16);
        let server = tokio::spawn(runtime_api::serve(listener, events_tx));
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&launch.log)?;
        let mut command = Command::new(&launch.program);
        if let Some(hosts) = launch.hosts.clone() {
            // SAFETY: `enter` makes system calls only, on strings made before the fork.
            unsafe {
                command.pre_exec(move || hosts.enter());
            }
        }
        let spawned = Instant::now();
        let child = command
            .args(&launch.args)
            .current_dir(&launch.directory)
            .env_clear()
            .envs(&launch.environment)
            .env("AWS_LAMBDA_RUNTIME_API", address.to_string())
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", launch.program.display()))?;
        Ok(Sandbox {
            name: launch.name.clone(),
            child,
            events,
            server,
            spawned,
            waiting: None,
            sequence: 0,
        })
    }

    /// Waits for the process's first `invocation/next`: its init time, counted from the spawn.
    ///
    /// # Errors
    /// When the process reports an init error, exits or takes longer than 30 s.
    pub async fn ready(&mut self) -> Result<Duration, Error> {
        self.wait_for_next().await?;
        Ok(self.spawned.elapsed())
    }

    /// Hands `payload` to the waiting process and waits for its answer, then for its next
    /// `invocation/next` (not timed: Lambda bills and answers before it).
    ///
    /// # Errors
    /// When the process is not waiting, exits, or does not answer within 30 s.
    pub async fn invoke(&mut self, payload: Bytes) -> Result<Answer, Error> {
        let reply = self
            .waiting
            .take()
            .ok_or_else(|| format!("{}: the process is not waiting for an event", self.name))?;
        self.sequence += 1;
        let request_id = format!("bench-{:08}", self.sequence);
        let deadline = SystemTime::now() + Duration::from_secs(10);
        let event = NextEvent {
            request_id: request_id.clone(),
            deadline_ms: deadline
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_millis()),
            function_arn: format!(
                "arn:aws:lambda:us-east-1:123456789012:function:{}",
                self.name
            ),
            trace_id: format!(
                "Root=1-00000000-{request_id:0>24};Parent=0000000000000000;Sampled=0"
            ),
            payload,
        };
        let sent = Instant::now();
        reply
            .send(event)
            .map_err(|_| format!("{}: the process went away", self.name))?;
        let (body, is_error) = loop {
            match self.next_event().await? {
                RuntimeEvent::Response {
                    request_id: id,
                    body,
                    accepted,
                } if id == request_id => {
                    let _ = accepted.send(true);
                    break (body, false);
                }
                RuntimeEvent::Error {
                    request_id: id,
                    body,
                    accepted,
                } if id == request_id => {
                    let _ = accepted.send(true);
                    break (body, true);
                }
                RuntimeEvent::Response { accepted, .. } | RuntimeEvent::Error { accepted, .. } => {
                    let _ = accepted.send(false);
                }
                RuntimeEvent::Next(_) => {
                    let message = "asked for the next event without answering";
                    return Err(format!("{}: {message}", self.name).into());
                }
                RuntimeEvent::InitError { body } => return Err(self.init_error(&body)),
            }
        };
        let elapsed = sent.elapsed();
        self.wait_for_next().await?;
        Ok(Answer {
            elapsed,
            body,
            is_error,
        })
    }

    /// The process id (`None` once it has been reaped).
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// The process's peak resident set size so far (`VmHWM`), in bytes.
    pub fn peak_rss(&self) -> Option<u64> {
        let pid = self.child.id()?;
        peak_rss_of(pid)
    }

    /// Kills the process and closes its Runtime API.
    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
        self.server.abort();
    }

    async fn wait_for_next(&mut self) -> Result<(), Error> {
        loop {
            match self.next_event().await? {
                RuntimeEvent::Next(reply) => {
                    self.waiting = Some(reply);
                    return Ok(());
                }
                RuntimeEvent::InitError { body } => return Err(self.init_error(&body)),
                RuntimeEvent::Response { accepted, .. } | RuntimeEvent::Error { accepted, .. } => {
                    let _ = accepted.send(false);
                }
            }
        }
    }

    fn init_error(&self, body: &[u8]) -> Error {
        format!(
            "{}: init error: {}",
            self.name,
            String::from_utf8_lossy(body)
        )
        .into()
    }

    async fn next_event(&mut self) -> Result<RuntimeEvent, Error> {
        tokio::select! {
            event = tokio::time::timeout(PHASE_TIMEOUT, self.events.recv()) => match event {
                Ok(Some(event)) => Ok(event),
                Ok(None) => Err(format!("{}: the Runtime API stopped", self.name).into()),
                Err(_) => Err(format!("{}: no answer within {PHASE_TIMEOUT:?}", self.name).into()),
            },
            status = self.child.wait() => Err(format!(
                "{}: the process exited ({})",
                self.name,
                status.map_or_else(|e| e.to_string(), |s| s.to_string())
            )
            .into()),
        }
    }
}

/// `VmHWM` of process `pid`, in bytes.
fn peak_rss_of(pid: u32) -> Option<u64> {
    let status =
        std::fs::read_to_string(Path::new("/proc").join(pid.to_string()).join("status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
        .map(|kib| kib * 1024)
}
