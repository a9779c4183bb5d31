//! `bookshelf-local with-dynamodb -- <command>`: runs a command (e.g. the test suite) with a
//! fresh in-memory DynamoDB Local, whose endpoint it finds in `DYNAMODB_ENDPOINT`.

use std::ffi::OsString;
use std::process::{ExitStatus, Stdio};

use tokio::process::Command;
use tokio::signal::unix::{SignalKind, signal};

use crate::dynamodb_local::{DynamoDbLocal, DynamoDbLocalError, Storage};
use crate::{process, workspace};

/// The environment variable that carries the endpoint to the command.
pub const ENDPOINT_VARIABLE: &str = "DYNAMODB_ENDPOINT";

/// Why the command could not be run.
#[derive(Debug, thiserror::Error)]
pub enum WithDynamoDbError {
    /// No command was given.
    #[error("no command given: use `bookshelf-local with-dynamodb -- <command> [args…]`")]
    NoCommand,
    /// DynamoDB Local did not start.
    #[error(transparent)]
    DynamoDbLocal(#[from] DynamoDbLocalError),
    /// The command could not be started.
    #[error("cannot run `{command}`: {source}")]
    Spawn {
        /// The program.
        command: String,
        /// Why.
        source: std::io::Error,
    },
    /// Signal handlers could not be installed.
    #[error("cannot listen for signals: {0}")]
    Signals(std::io::Error),
}

/// Starts DynamoDB Local in memory, runs `command` with [`ENDPOINT_VARIABLE`] set, stops
/// DynamoDB Local, and returns the command's exit code (128 + signal if it was killed).
///
/// On Ctrl-C or SIGTERM the command is asked to stop (SIGTERM) and still waited for, so
/// DynamoDB Local is never left behind.
///
/// # Errors
/// [`WithDynamoDbError`] when DynamoDB Local or the command cannot be started.
pub async fn run(command: &[OsString]) -> Result<i32, WithDynamoDbError> {
    let (program, args) = command.split_first().ok_or(WithDynamoDbError::NoCommand)?;
    let mut interrupt = signal(SignalKind::interrupt()).map_err(WithDynamoDbError::Signals)?;
    let mut terminate = signal(SignalKind::terminate()).map_err(WithDynamoDbError::Signals)?;

    let dynamodb = DynamoDbLocal::start(&workspace::root(), &Storage::InMemory).await?;
    eprintln!(
        "DynamoDB Local is up at {}; running {}",
        dynamodb.endpoint(),
        program.to_string_lossy()
    );
    let spawned = Command::new(program)
        .args(args)
        .env(ENDPOINT_VARIABLE, dynamodb.endpoint())
        .stdin(Stdio::inherit())
        .kill_on_drop(true)
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(source) => {
            dynamodb.stop().await;
            return Err(WithDynamoDbError::Spawn {
                command: program.to_string_lossy().into_owned(),
                source,
            });
        }
    };

    let status = loop {
        tokio::select! {
            status = child.wait() => break status,
            _ = interrupt.recv() => process::signal(&child, libc::SIGTERM),
            _ = terminate.recv() => process::signal(&child, libc::SIGTERM),
        }
    };
    dynamodb.stop().await;
    Ok(match status {
        Ok(status) => exit_code(status),
        Err(_) => 1,
    })
}

/// The shell-style exit code of a finished process.
fn exit_code(status: ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    status
        .code()
        .or_else(|| status.signal().map(|s| 128 + s))
        .unwrap_or(1)
}
