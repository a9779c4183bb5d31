//! Builds the functions' binaries: one `cargo build -p a -p b …` for all of them.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use tokio::process::Command;

use crate::template::Function;

/// Why the binaries are not there.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// cargo could not be run.
    #[error("cannot run cargo: {0}")]
    Spawn(std::io::Error),
    /// cargo failed.
    #[error("`cargo build` failed ({0}); see its output above")]
    Failed(std::process::ExitStatus),
    /// `--no-build` was given but binaries are missing.
    #[error("missing binaries (build them first, or drop --no-build): {}", .0.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "))]
    Missing(Vec<PathBuf>),
}

/// Runs `cargo build` in `workspace` for every function's package.
///
/// # Errors
/// [`BuildError`] when cargo cannot run or fails.
pub async fn build(
    workspace: &Path,
    functions: &[Function],
    release: bool,
) -> Result<(), BuildError> {
    let mut packages: Vec<&str> = functions.iter().map(|f| f.package.as_str()).collect();
    packages.sort_unstable();
    packages.dedup();
    if packages.is_empty() {
        return Ok(());
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command.current_dir(workspace).arg("build");
    if release {
        command.arg("--release");
    }
    for package in packages {
        command.args(["-p", package]);
    }
    eprintln!("Building {} function package(s)…", functions.len());
    let status = command
        .stdin(Stdio::null())
        .status()
        .await
        .map_err(BuildError::Spawn)?;
    if status.success() {
        Ok(())
    } else {
        Err(BuildError::Failed(status))
    }
}

/// Checks that every function's binary exists in `binary_dir`.
///
/// # Errors
/// [`BuildError::Missing`] listing the binaries that are not there.
pub fn check_binaries(binary_dir: &Path, functions: &[Function]) -> Result<(), BuildError> {
    let missing: Vec<PathBuf> = functions
        .iter()
        .map(|f| binary_dir.join(&f.binary))
        .filter(|path| !path.is_file())
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(BuildError::Missing(missing))
    }
}
