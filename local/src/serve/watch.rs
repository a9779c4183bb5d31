//! `serve --watch`: when a Rust source, a manifest or the template changes, rebuild and
//! deploy again. New requests go to new instances; old instances finish what they hold and
//! stop; a failed build or a broken template is shown and the previous build keeps serving.
//!
//! Changes are found by polling file times and sizes twice a second: a few hundred files,
//! no dependency, and it works where file-system events do not (network and container
//! mounts, editors that replace files).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use tokio_util::sync::CancellationToken;

use super::stack::Stack;
use super::{ServeError, cargo};
use crate::template::Template;

/// How often the files are looked at.
const POLL_INTERVAL: Duration = Duration::from_millis(500);
/// A change is acted on once the files have stayed the same this long (editors and
/// `git checkout` write several files in a row).
const SETTLE: Duration = Duration::from_millis(300);
/// Folders never looked into: build output, dependencies, tools, and hidden folders.
const SKIPPED_FOLDERS: &[&str] = &["target", "node_modules", "test-artifacts"];

/// Size and modification time of every watched file.
type Snapshot = BTreeMap<PathBuf, (Option<SystemTime>, u64)>;

/// Keeps `stack` up to date with the sources under `root` and the template until
/// `shutdown`; hands the stack back then.
pub(super) async fn watch(mut stack: Stack, root: PathBuf, shutdown: CancellationToken) -> Stack {
    let template_path = stack.args.template.clone();
    let mut seen = snapshot(&root, &template_path);
    loop {
        tokio::select! {
            () = tokio::time::sleep(POLL_INTERVAL) => {}
            () = shutdown.cancelled() => return stack,
        }
        let mut now = snapshot(&root, &template_path);
        if now == seen {
            continue;
        }
        loop {
            tokio::time::sleep(SETTLE).await;
            let again = snapshot(&root, &template_path);
            if again == now {
                break;
            }
            now = again;
        }
        seen = now;
        eprintln!("[watch] change detected: rebuilding");
        match redeploy(&mut stack, &root).await {
            Ok(summary) => eprintln!("[watch] {summary}"),
            Err(error) => eprintln!("[watch] {error}; the previous build keeps serving"),
        }
    }
}

/// Reads the template, builds, and deploys what changed; a line saying what was swapped.
async fn redeploy(stack: &mut Stack, root: &Path) -> Result<String, ServeError> {
    let template = Template::load(&stack.args.template)?;
    for warning in &template.warnings {
        eprintln!("warning: {warning}");
    }
    if !stack.args.no_build {
        cargo::build(root, &template.functions, stack.args.release).await?;
    }
    cargo::check_binaries(&stack.binary_dir, &template.functions)?;
    let changes = stack.deploy(&template).await?;
    Ok(if changes.is_empty() {
        "no function changed".to_owned()
    } else {
        let list = |names: &[String]| {
            if names.is_empty() {
                "none".to_owned()
            } else {
                names.join(", ")
            }
        };
        format!(
            "new instances from now on: replaced {}; added {}; removed {}",
            list(&changes.replaced),
            list(&changes.added),
            list(&changes.removed)
        )
    })
}

/// Every Rust source and manifest under `root` (outside [`SKIPPED_FOLDERS`] and hidden
/// folders), and the template.
fn snapshot(root: &Path, template: &Path) -> Snapshot {
    let mut files = Snapshot::new();
    let mut folders = vec![root.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                if !name.starts_with('.') && !SKIPPED_FOLDERS.contains(&name.as_ref()) {
                    folders.push(path);
                }
            } else if name.ends_with(".rs") || name.ends_with(".toml") || name == "Cargo.lock" {
                files.insert(path.clone(), stamp(&path));
            }
        }
    }
    files.insert(template.to_path_buf(), stamp(template));
    files
}

fn stamp(path: &Path) -> (Option<SystemTime>, u64) {
    std::fs::metadata(path).map_or((None, 0), |m| (m.modified().ok(), m.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_manifests_and_the_template_are_watched_and_build_output_is_not() {
        let root = std::env::temp_dir().join(format!("watch-{}", uuid::Uuid::new_v4()));
        for folder in ["functions/a/src", "target/debug", ".git", "node_modules/x"] {
            std::fs::create_dir_all(root.join(folder)).expect("folder");
        }
        for file in [
            "functions/a/src/main.rs",
            "functions/a/Cargo.toml",
            "Cargo.lock",
            "README.md",
            "target/debug/a.rs",
            ".git/HEAD.rs",
            "node_modules/x/y.rs",
            "template.yaml",
        ] {
            std::fs::write(root.join(file), "x").expect("file");
        }
        let files: Vec<PathBuf> = snapshot(&root, &root.join("template.yaml"))
            .into_keys()
            .map(|path| path.strip_prefix(&root).expect("under root").to_owned())
            .collect();
        assert_eq!(
            files,
            [
                "Cargo.lock",
                "functions/a/Cargo.toml",
                "functions/a/src/main.rs",
                "template.yaml"
            ]
            .map(PathBuf::from)
        );
        let before = snapshot(&root, &root.join("template.yaml"));
        std::fs::write(root.join("functions/a/src/main.rs"), "changed").expect("edit");
        assert_ne!(snapshot(&root, &root.join("template.yaml")), before);
        std::fs::remove_dir_all(&root).expect("cleaned up");
    }
}
