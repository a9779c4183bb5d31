//! Functions of the template run one-off, outside `serve`: each started on first use as
//! `serve` would start it (its environment, the stack's tables, the built binary) and
//! invoked through the same Lambda emulation. `replay-failures` and `invoke` run on it.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::cli::StackArgs;
use crate::dynamodb_local::{DynamoDbLocal, DynamoDbLocalError, Storage};
use crate::lambda::{self, FunctionSpec, Invoker, Scaling};
use crate::serve::{BuildError, LocalScope, check_binaries, function_environment};
use crate::tables::physical_name;
use crate::template::{Function, Template};
use crate::workspace;

/// Why a function could not be started.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The template has no function by that logical id.
    #[error("the template has no function {0}")]
    UnknownFunction(String),
    /// The function's binary is missing.
    #[error(transparent)]
    Build(#[from] BuildError),
}

/// The functions started so far, one process each, and what they run against.
pub struct OneOffFunctions<'a> {
    template: &'a Template,
    endpoint: String,
    binary_dir: PathBuf,
    table_suffix: String,
    invokers: BTreeMap<String, Invoker>,
    shutdown: CancellationToken,
}

impl<'a> OneOffFunctions<'a> {
    /// Functions of `template`, run from `stack`'s binaries against the DynamoDB at
    /// `endpoint`, whose tables carry `stack`'s suffix (as given to `serve`).
    pub fn new(template: &'a Template, endpoint: String, stack: &StackArgs) -> Self {
        let binary_dir = stack
            .bin_dir
            .clone()
            .unwrap_or_else(|| workspace::binary_dir(&template.folder(), stack.release));
        OneOffFunctions {
            template,
            endpoint,
            binary_dir,
            table_suffix: stack.table_suffix.clone(),
            invokers: BTreeMap::new(),
            shutdown: CancellationToken::new(),
        }
    }

    /// The invoker of the function `name`, starting its process on first use.
    ///
    /// # Errors
    /// [`StartError`] when the template has no such function or its binary is missing.
    pub fn invoker(&mut self, name: &str) -> Result<Invoker, StartError> {
        if let Some(invoker) = self.invokers.get(name) {
            return Ok(invoker.clone());
        }
        let function = find(self.template, name)?;
        check_binaries(&self.binary_dir, std::slice::from_ref(function))?;
        let scope = LocalScope {
            template: self.template,
            table_names: self
                .template
                .tables
                .iter()
                .map(|t| (t.logical_id.clone(), physical_name(t, &self.table_suffix)))
                .collect(),
            stream_arns: BTreeMap::new(),
        };
        let spec = FunctionSpec {
            name: function.logical_id.clone(),
            program: self.binary_dir.join(&function.binary),
            environment: function_environment(function, &scope, &self.endpoint, &self.binary_dir),
            timeout: function.timeout,
        };
        let invoker = lambda::start(spec, Scaling::single(), self.shutdown.clone());
        self.invokers.insert(name.to_owned(), invoker.clone());
        Ok(invoker)
    }

    /// Stops the function processes.
    pub async fn stop(self) {
        self.shutdown.cancel();
        for invoker in self.invokers.values() {
            let _ = tokio::time::timeout(Duration::from_secs(5), invoker.stopped()).await;
        }
    }
}

/// The function `name` of `template`.
///
/// # Errors
/// [`StartError::UnknownFunction`] when there is none.
pub fn find<'t>(template: &'t Template, name: &str) -> Result<&'t Function, StartError> {
    template
        .functions
        .iter()
        .find(|f| f.logical_id == name)
        .ok_or_else(|| StartError::UnknownFunction(name.to_owned()))
}

/// The DynamoDB `stack` names: its `--dynamodb-endpoint`, or a DynamoDB Local started on
/// its `--data-dir` (returned, to be stopped by the caller), and the endpoint to use.
///
/// # Errors
/// [`DynamoDbLocalError`] when DynamoDB Local does not start.
pub async fn dynamodb(
    stack: &StackArgs,
    template: &Template,
) -> Result<(Option<DynamoDbLocal>, String), DynamoDbLocalError> {
    if let Some(endpoint) = &stack.dynamodb_endpoint {
        return Ok((None, endpoint.clone()));
    }
    let local = DynamoDbLocal::start(
        &template.folder(),
        &Storage::Directory(stack.data_dir.clone()),
    )
    .await?;
    let endpoint = local.endpoint().to_owned();
    Ok((Some(local), endpoint))
}
