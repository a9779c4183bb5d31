//! Child processes: their output forwarded line by line under a name, and a polite stop
//! (SIGTERM, then SIGKILL after a grace period).

use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWriteExt, BufReader};
use tokio::process::Child;

/// Which of our own streams forwarded lines go to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sink {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
}

/// Copies `source` to `sink` line by line, each line prefixed with `[name] `, until EOF;
/// a line of metrics (EMF) is followed by its summary ([`crate::metrics`]).
pub fn forward_lines<R>(source: R, name: String, sink: Sink)
where
    R: AsyncRead + Unpin + Send + 'static,
{
    tokio::spawn(async move {
        let mut reader = BufReader::new(source);
        let mut line = Vec::new();
        loop {
            line.clear();
            match reader.read_until(b'\n', &mut line).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    let text = String::from_utf8_lossy(&line);
                    let text = text.trim_end_matches(['\n', '\r']);
                    let mut out = format!("[{name}] {text}\n");
                    if let Some(summary) = crate::metrics::summarize(text) {
                        out.push_str(&format!("[{name}] {summary}\n"));
                    }
                    let written = match sink {
                        Sink::Stdout => tokio::io::stdout().write_all(out.as_bytes()).await,
                        Sink::Stderr => tokio::io::stderr().write_all(out.as_bytes()).await,
                    };
                    if written.is_err() {
                        break;
                    }
                }
            }
        }
    });
}

/// Forwards a piped child's stdout and stderr under `name`.
pub fn forward_output(child: &mut Child, name: &str) {
    if let Some(stdout) = child.stdout.take() {
        forward_lines(stdout, name.to_owned(), Sink::Stdout);
    }
    if let Some(stderr) = child.stderr.take() {
        forward_lines(stderr, name.to_owned(), Sink::Stderr);
    }
}

/// Sends `signal` to the child, if it is still running.
pub fn signal(child: &Child, signal: libc::c_int) {
    if let Some(pid) = child.id().and_then(|pid| libc::pid_t::try_from(pid).ok()) {
        // SAFETY: kill(2) has no memory-safety preconditions; the pid is our own child's.
        unsafe {
            libc::kill(pid, signal);
        }
    }
}

/// Stops the child: SIGTERM, then SIGKILL if it has not exited within `grace`; reaps it.
pub async fn terminate(child: &mut Child, grace: Duration) {
    if matches!(child.try_wait(), Ok(Some(_))) {
        return;
    }
    signal(child, libc::SIGTERM);
    if tokio::time::timeout(grace, child.wait()).await.is_err() {
        let _ = child.kill().await;
    }
}

/// Kills the child at once and reaps it.
pub async fn kill(child: &mut Child) {
    let _ = child.kill().await;
}
