//! `bookshelf-local replay-failures`: invokes a stream function again with each invocation
//! record its on-failure destination kept (the `payload`), against the local stack's tables,
//! through the same Lambda emulation `serve` uses; a record whose replay succeeds (no error,
//! no batch item failure) is moved to `<failures>/<Bucket>/replayed/`, so it is not
//! replayed twice.
//!
//! ```text
//! bookshelf-local replay-failures                                   # every record under .local/failures
//! bookshelf-local replay-failures --function RecordHistoryFunction .local/failures/HistoryFailureBucket/aws/lambda/…
//! ```

pub mod files;

use std::path::PathBuf;

use serde_json::Value;

use crate::cli::ReplayArgs;
use crate::dynamodb_local::DynamoDbLocalError;
use crate::one_off::{self, OneOffFunctions, StartError, find};
use crate::serve::BuildError;
use crate::template::{Template, TemplateError};
use files::{Replay, collect, parse, replayed_path};

/// Why nothing could be replayed.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// The template could not be read.
    #[error(transparent)]
    Template(#[from] TemplateError),
    /// A record or folder named on the command line could not be read.
    #[error("cannot read {0}: {1}")]
    Read(PathBuf, std::io::Error),
    /// The function's binary is missing.
    #[error(transparent)]
    Build(#[from] BuildError),
    /// DynamoDB Local did not start.
    #[error(transparent)]
    DynamoDbLocal(#[from] DynamoDbLocalError),
    /// `--function`, or a record's function, is not in the template.
    #[error("the template has no function {0}")]
    UnknownFunction(String),
}

impl From<StartError> for ReplayError {
    fn from(error: StartError) -> Self {
        match error {
            StartError::UnknownFunction(name) => Self::UnknownFunction(name),
            StartError::Build(error) => Self::Build(error),
        }
    }
}

/// How one replay ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The function processed every record: the record was moved to the path.
    Replayed(PathBuf),
    /// The function reported this many batch item failures; the record stays.
    ItemFailures(usize),
    /// The invocation failed; the record stays.
    Failed(String),
}

/// Reads the function's answer: how many batch item failures it reported.
pub fn item_failures(answer: &[u8]) -> usize {
    serde_json::from_slice::<Value>(answer)
        .ok()
        .and_then(|v| v.get("batchItemFailures")?.as_array().map(Vec::len))
        .unwrap_or(0)
}

/// Replays the records `args` names; returns the process exit code: 0 when every record was
/// replayed (or there was none), 1 otherwise.
///
/// # Errors
/// [`ReplayError`] when the template, the paths, the binaries or DynamoDB are not usable.
pub async fn run(args: ReplayArgs) -> Result<i32, ReplayError> {
    let paths = if args.paths.is_empty() {
        vec![args.failures_dir.clone()]
    } else {
        args.paths.clone()
    };
    if args.paths.is_empty() && !args.failures_dir.exists() {
        println!(
            "Nothing to replay: {} does not exist",
            args.failures_dir.display()
        );
        return Ok(0);
    }
    let records = collect(&paths).map_err(|e| ReplayError::Read(paths[0].clone(), e))?;
    if records.is_empty() {
        println!("Nothing to replay under {}", display_all(&paths));
        return Ok(0);
    }
    let template = Template::load(&args.stack.template)?;
    if let Some(name) = &args.function {
        find(&template, name)?;
    }
    let (dynamodb, endpoint) = one_off::dynamodb(&args.stack, &template).await?;
    let mut replayer = Replayer::new(&args, &template, endpoint);
    let mut replayed = 0;
    for path in &records {
        if replayer.replay_one(path).await? {
            replayed += 1;
        }
    }
    println!("{replayed} of {} record(s) replayed", records.len());
    replayer.stop().await;
    if let Some(dynamodb) = dynamodb {
        dynamodb.stop().await;
    }
    Ok(if replayed == records.len() { 0 } else { 1 })
}

/// The records' functions, started on first use.
struct Replayer<'a> {
    args: &'a ReplayArgs,
    functions: OneOffFunctions<'a>,
}

impl<'a> Replayer<'a> {
    fn new(args: &'a ReplayArgs, template: &'a Template, endpoint: String) -> Self {
        Replayer {
            args,
            functions: OneOffFunctions::new(template, endpoint, &args.stack),
        }
    }

    /// Replays the record at `path` and prints how it went; `true` when it was replayed.
    async fn replay_one(&mut self, path: &std::path::Path) -> Result<bool, ReplayError> {
        let replay = match std::fs::read_to_string(path)
            .map_err(files::RecordError::from)
            .and_then(|text| parse(&text))
        {
            Ok(replay) => replay,
            Err(e) => {
                println!("skipped   {}: {e}", path.display());
                return Ok(false);
            }
        };
        let Some(function) = self.args.function.clone().or(replay.function.clone()) else {
            println!(
                "skipped   {}: {}",
                path.display(),
                files::RecordError::NoFunction
            );
            return Ok(false);
        };
        let outcome = match self.invoke(&function, &replay, path).await {
            Err(e @ ReplayError::UnknownFunction(_)) => {
                println!("skipped   {}: {e}", path.display());
                return Ok(false);
            }
            other => other?,
        };
        let what = format!(
            "{}: {function}, {} record(s)",
            path.display(),
            replay.records
        );
        match &outcome {
            Outcome::Replayed(to) => {
                println!("replayed  {what}, 0 batch item failures → {}", to.display());
            }
            Outcome::ItemFailures(n) => {
                println!("failed    {what}, {n} batch item failure(s); kept")
            }
            Outcome::Failed(why) => println!("failed    {what}: {why}; kept"),
        }
        Ok(matches!(outcome, Outcome::Replayed(_)))
    }

    async fn invoke(
        &mut self,
        function: &str,
        replay: &Replay,
        path: &std::path::Path,
    ) -> Result<Outcome, ReplayError> {
        let invoker = self.functions.invoker(function)?;
        let answer = match invoker.invoke(replay.payload.clone()).await {
            Ok(answer) => answer,
            Err(e) => return Ok(Outcome::Failed(e.to_string())),
        };
        let failures = item_failures(&answer);
        if failures > 0 {
            return Ok(Outcome::ItemFailures(failures));
        }
        let to = replayed_path(&self.args.failures_dir, path);
        let moved = match to.parent() {
            Some(dir) => std::fs::create_dir_all(dir).and_then(|()| std::fs::rename(path, &to)),
            None => Ok(()),
        };
        Ok(match moved {
            Ok(()) => Outcome::Replayed(to),
            Err(e) => Outcome::Failed(format!(
                "replayed, but cannot move it to {}: {e}",
                to.display()
            )),
        })
    }

    /// Stops the function processes.
    async fn stop(self) {
        self.functions.stop().await;
    }
}

fn display_all(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_answer_naming_failures_counts_them() {
        assert_eq!(item_failures(br#"{"batchItemFailures":[]}"#), 0);
        assert_eq!(item_failures(b"null"), 0);
        assert_eq!(
            item_failures(
                br#"{"batchItemFailures":[{"itemIdentifier":"1"},{"itemIdentifier":"2"}]}"#
            ),
            2
        );
    }
}
