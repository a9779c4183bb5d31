//! Building the bootstraps the way `sam build` does (release profile; arm64 through
//! cargo-lambda and zig from `.tools/venv`) and measuring them: file size and the size of
//! the deployment zip.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use flate2::Compression;
use flate2::write::DeflateEncoder;
use serde::{Deserialize, Serialize};

use crate::Error;

/// Where the naive baseline's crate lives, relative to the workspace root.
pub const NAIVE_MANIFEST: &str = "bench/naive/Cargo.toml";
/// The naive baseline's binary.
pub const NAIVE_BINARY: &str = "naive-get-book";

/// Sizes of one function's bootstrap, in bytes.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Size {
    /// The function (crate name).
    pub name: String,
    /// x86_64 bootstrap (the one timed).
    pub x86_64: u64,
    /// Its zip.
    pub x86_64_zip: u64,
    /// arm64 bootstrap, as `sam build` makes it (absent if not built).
    pub arm64: Option<u64>,
    /// Its zip.
    pub arm64_zip: Option<u64>,
}

impl Size {
    /// The zip that would be deployed: arm64 when built, else x86_64.
    pub fn deployed_zip(&self) -> u64 {
        self.arm64_zip.unwrap_or(self.x86_64_zip)
    }
}

/// The workspace's target folder.
pub fn target_dir(root: &Path) -> PathBuf {
    bookshelf_local::workspace::target_dir(root)
}

/// The naive baseline's own target folder (it must not share features with ours).
pub fn naive_target_dir(root: &Path) -> PathBuf {
    target_dir(root).join("naive")
}

/// Builds the release x86_64 binaries of `packages` in one cargo invocation: only these
/// packages, so features unify across the functions alone, as in `sam build`.
///
/// # Errors
/// When cargo fails.
pub fn build_functions(root: &Path, packages: &[String]) -> Result<(), Error> {
    let mut command = cargo(root);
    command.args(["build", "--release"]);
    for package in packages {
        command.args(["-p", package]);
    }
    run(command)
}

/// The cargo profile of the profiled binaries (release with symbols), and its folder.
pub const PROFILING: &str = "profiling";

/// Builds `packages` with the [`PROFILING`] profile: the release build, not stripped, so
/// that `perf` can name the functions the CPU time goes to.
///
/// # Errors
/// When cargo fails.
pub fn build_profiling(root: &Path, packages: &[String]) -> Result<(), Error> {
    if packages.is_empty() {
        return Ok(());
    }
    let mut command = cargo(root);
    command.args(["build", "--profile", PROFILING]);
    for package in packages {
        command.args(["-p", package]);
    }
    run(command)
}

/// Builds the naive baseline (its own lockfile and target folder).
///
/// # Errors
/// When cargo fails.
pub fn build_naive(root: &Path) -> Result<(), Error> {
    let mut command = cargo(root);
    command
        .args([
            "build",
            "--release",
            "--locked",
            "--manifest-path",
            NAIVE_MANIFEST,
        ])
        .arg("--target-dir")
        .arg(naive_target_dir(root));
    run(command)
}

/// Builds arm64 bootstraps of `packages` with `cargo lambda build --release --arm64`
/// (what `sam build` runs), and of the naive baseline when `naive`.
///
/// # Errors
/// When cargo-lambda is missing or fails.
pub fn build_arm64(root: &Path, packages: &[String], naive: bool) -> Result<(), Error> {
    let venv = root.join(".tools/venv/bin");
    if !venv.join("cargo-lambda").is_file() {
        return Err(
            "cargo-lambda is not installed in .tools/venv (run `make setup-release`)".into(),
        );
    }
    let path = format!(
        "{}:{}",
        venv.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut command = cargo(root);
    command
        .env("PATH", &path)
        .args(["lambda", "build", "--release", "--arm64"]);
    for package in packages {
        command.args(["-p", package]);
    }
    run(command)?;
    if naive {
        let mut command = cargo(root);
        // cargo-lambda passes --target-dir to `cargo metadata`, which refuses it.
        command
            .env("PATH", &path)
            .env("CARGO_TARGET_DIR", naive_target_dir(root))
            .args(["lambda", "build", "--release", "--arm64", "--locked"])
            .args(["--manifest-path", NAIVE_MANIFEST]);
        run(command)?;
    }
    Ok(())
}

/// The sizes of the bootstrap `binary` built under `target` (x86_64 in `release/`,
/// arm64 in `lambda/<binary>/bootstrap`).
///
/// # Errors
/// When the x86_64 binary is missing.
pub fn measure(name: &str, target: &Path, binary: &str) -> Result<Size, Error> {
    let x86 = target.join("release").join(binary);
    let arm = target.join("lambda").join(binary).join("bootstrap");
    measure_files(name, &x86, Some(&arm))
}

/// The sizes of one x86_64 bootstrap at `path` (a variant's: no arm64 build).
///
/// # Errors
/// When the file is missing.
pub fn measure_file(name: &str, path: &Path) -> Result<Size, Error> {
    measure_files(name, path, None)
}

fn measure_files(name: &str, x86: &Path, arm: Option<&Path>) -> Result<Size, Error> {
    let bytes = std::fs::read(x86).map_err(|e| format!("{}: {e}", x86.display()))?;
    let arm = arm.and_then(|path| std::fs::read(path).ok());
    Ok(Size {
        name: name.to_owned(),
        x86_64: len(&bytes),
        x86_64_zip: zip_size(&bytes)?,
        arm64: arm.as_deref().map(len),
        arm64_zip: arm.as_deref().map(zip_size).transpose()?,
    })
}

/// The size of a zip holding `bootstrap` alone, deflated at zlib's default level (as
/// `sam build` packages it): local header, data, central directory entry, end record.
fn zip_size(bootstrap: &[u8]) -> Result<u64, Error> {
    let mut encoder = DeflateEncoder::new(Vec::new(), Compression::new(6));
    encoder.write_all(bootstrap)?;
    let deflated = encoder.finish()?;
    let name = "bootstrap".len() as u64;
    Ok((30 + name) + len(&deflated) + (46 + name) + 22)
}

fn len(bytes: &[u8]) -> u64 {
    bytes.len() as u64
}

/// `cargo` (the one running us, when cargo runs us) in `root`.
fn cargo(root: &Path) -> Command {
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command.current_dir(root);
    command
}

fn run(mut command: Command) -> Result<(), Error> {
    eprintln!("bench: running {command:?}");
    let status = command.status()?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{command:?} failed: {status}").into())
    }
}
