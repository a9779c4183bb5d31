//! `bookshelf-local invoke LOGICAL_ID [--event FILE]`: one function, one event, against the
//! local stack's tables (created as the template declares them, if missing), through the same
//! Lambda emulation `serve` uses; prints the function's response. `sam local invoke -e`
//! without Docker, so the sample events in `events/` are usable as they are.
//!
//! ```text
//! bookshelf-local invoke GetBookFunction --event events/get-book.json
//! ```

use std::path::PathBuf;

use bytes::Bytes;
use serde_json::Value;

use crate::cli::InvokeArgs;
use crate::dynamodb_local::DynamoDbLocalError;
use crate::lambda::InvokeError;
use crate::one_off::{self, OneOffFunctions, StartError, find};
use crate::tables::physical_name;
use crate::template::{Template, TemplateError};
use crate::{client, tables};

/// Why the function could not be invoked at all.
#[derive(Debug, thiserror::Error)]
pub enum InvokeCommandError {
    /// The template could not be read.
    #[error(transparent)]
    Template(#[from] TemplateError),
    /// The event file could not be read, or is not JSON.
    #[error("cannot use {0} as the event: {1}")]
    Event(PathBuf, String),
    /// The function is unknown, or its binary is missing.
    #[error(transparent)]
    Start(#[from] StartError),
    /// DynamoDB Local did not start.
    #[error(transparent)]
    DynamoDbLocal(#[from] DynamoDbLocalError),
    /// A table could not be created.
    #[error("cannot create table {0}: {1}")]
    Table(String, String),
}

/// Invokes the function `args` names; returns the exit code: 0 when the function answered
/// (its response on standard output), 1 when the invocation failed (the error document on
/// standard error).
///
/// # Errors
/// [`InvokeCommandError`] when the template, event, binary or DynamoDB are not usable.
pub async fn run(args: InvokeArgs) -> Result<i32, InvokeCommandError> {
    let event = match &args.event {
        None => Bytes::from_static(b"{}"),
        Some(path) => {
            let text = std::fs::read(path)
                .map_err(|e| InvokeCommandError::Event(path.clone(), e.to_string()))?;
            serde_json::from_slice::<Value>(&text)
                .map_err(|e| InvokeCommandError::Event(path.clone(), e.to_string()))?;
            Bytes::from(text)
        }
    };
    let template = Template::load(&args.stack.template)?;
    find(&template, &args.function)?;
    let (dynamodb, endpoint) = one_off::dynamodb(&args.stack, &template).await?;
    let dynamo = client::dynamodb(&endpoint).await;
    for table in &template.tables {
        let name = physical_name(table, &args.stack.table_suffix);
        tables::create_table(&dynamo, table, &name)
            .await
            .map_err(|e| InvokeCommandError::Table(name.clone(), e.to_string()))?;
    }
    let mut functions = OneOffFunctions::new(&template, endpoint, &args.stack);
    let answer = functions.invoker(&args.function)?.invoke(event).await;
    functions.stop().await;
    if let Some(dynamodb) = dynamodb {
        dynamodb.stop().await;
    }
    Ok(match answer {
        Ok(response) => {
            println!("{}", pretty(&response));
            0
        }
        Err(InvokeError::Function(document)) => {
            eprintln!("{}", pretty(&document));
            1
        }
        Err(error) => {
            eprintln!("{error}");
            1
        }
    })
}

/// JSON pretty-printed, anything else as it is.
fn pretty(bytes: &[u8]) -> String {
    serde_json::from_slice::<Value>(bytes)
        .ok()
        .and_then(|value| serde_json::to_string_pretty(&value).ok())
        .unwrap_or_else(|| String::from_utf8_lossy(bytes).into_owned())
}
