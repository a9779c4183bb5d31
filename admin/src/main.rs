//! The `bookshelf-admin` command line: see the crate's `lib.rs`.

use bookshelf_admin::connect::TableArgs;
use bookshelf_admin::migrate;
use bookshelf_admin::progress::Progress;
use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Operator commands on a Bookshelf books table.
#[derive(Debug, Parser)]
#[command(name = "bookshelf-admin", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Bring every book's index keys up to date (after a release that derives them
    /// differently, or a new ShelfShards); safe to run while the API serves, and again.
    Migrate {
        #[command(flatten)]
        table: TableArgs,
        /// Scan segments read at once.
        #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(i32).range(1..=64))]
        segments: i32,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Migrate { table, segments } => {
            let store = table.store().await;
            let progress = Progress::new("migrate", migrate::COUNTERS);
            let reporter = progress.report_periodically();
            let result = migrate::migrate(&store, segments, &progress).await;
            reporter.abort();
            eprintln!("{}", progress.line());
            match result {
                Ok(()) => ExitCode::SUCCESS,
                Err(error) => {
                    eprintln!("migrate: {error}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}
