//! The `bookshelf-admin` command line: see the crate's `lib.rs`.

use bookshelf_admin::connect::TableArgs;
use bookshelf_admin::progress::Progress;
use bookshelf_admin::{import, migrate};
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
    /// Load books from a JSON Lines file (one `POST /books` body a line), 25 to a
    /// write, idempotently: a re-run after a failure writes only what is missing.
    Import {
        /// The file.
        #[arg(value_name = "FILE")]
        file: std::path::PathBuf,
        #[command(flatten)]
        table: TableArgs,
        /// The import's id (default: the SHA-256 of the file): runs with the same id
        /// are one import.
        #[arg(long, value_name = "ID")]
        import_id: Option<String>,
        /// Lines per recorded chunk.
        #[arg(long, default_value_t = 1_000)]
        chunk_lines: usize,
        /// Chunks written at once.
        #[arg(long, default_value_t = 8)]
        concurrency: usize,
    },
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
        Command::Import {
            file,
            table,
            import_id,
            chunk_lines,
            concurrency,
        } => {
            let store = table.store().await;
            let progress = Progress::new("import", import::COUNTERS);
            let reporter = progress.report_periodically();
            let options = import::ImportOptions {
                import_id,
                chunk_lines,
                concurrency,
            };
            let result = import::import_file(&store, &file, &options, &progress).await;
            reporter.abort();
            eprintln!("{}", progress.line());
            match result {
                Ok(report) => {
                    for (line, reason) in &report.refused {
                        eprintln!("import: line {line} refused: {reason}");
                    }
                    eprintln!("import {}: done", report.import_id);
                    if report.refused.is_empty() {
                        ExitCode::SUCCESS
                    } else {
                        ExitCode::FAILURE
                    }
                }
                Err(error) => {
                    eprintln!("import: {error} (run it again: it resumes)");
                    ExitCode::FAILURE
                }
            }
        }
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
