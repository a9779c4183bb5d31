//! `bookshelf-local`: see [`bookshelf_local::cli`].

use std::process::ExitCode;

use bookshelf_local::cli::{Cli, Command};
use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => bookshelf_local::serve::run(args)
            .await
            .map(|()| 0)
            .map_err(|e| e.to_string()),
        Command::Invoke(args) => bookshelf_local::invoke::run(args)
            .await
            .map_err(|e| e.to_string()),
        Command::ReplayFailures(args) => bookshelf_local::replay::run(args)
            .await
            .map_err(|e| e.to_string()),
        Command::WithDynamodb { command } => bookshelf_local::with_dynamodb::run(&command)
            .await
            .map_err(|e| e.to_string()),
    };
    match result {
        Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        Err(message) => {
            eprintln!("bookshelf-local: {message}");
            ExitCode::FAILURE
        }
    }
}
