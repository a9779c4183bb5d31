//! `bookshelf-scale`: the catalogue at scale. Seeds a generated catalogue (a
//! million books by default) into DynamoDB Local through the bulk import
//! (`bookshelf-admin import`), once with one shelf shard (the layout before
//! sharding) and once with the template's default `ShelfShards`, and reports
//! side by side: the import's rate; p50/p99 of the first page, a deep page
//! (resumed from a cursor half-way through the shelf), a title search and an
//! author filter; the Query requests and read units a page of 25 costs at
//! N = 1, 4 and 16 (on a smaller catalogue: a page's cost does not depend
//! on the shelf's size); and, computed from the key distribution of the
//! books and the write path, every index's busiest partition key under
//! 10,000 creates a second. Writes docs/SCALE.md.

mod capacity;
mod catalogue;
mod measure;

use bookshelf::domain::collation::fold;
use bookshelf::store::{BookStore, ListPosition, ListQuery, ShelfShards};
use bookshelf_admin::import::{self, ImportOptions, derived_id};
use bookshelf_admin::progress::Progress;
use bookshelf_local::dynamodb_local::{DynamoDbLocal, Storage};
use bookshelf_local::template::Template;
use bookshelf_local::{client, tables, workspace};
use clap::Parser;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

type Error = Box<dyn std::error::Error + Send + Sync>;

/// The rate the capacity is computed at (creates a second).
const CREATES_PER_SECOND: f64 = 10_000.0;

/// Measures the catalogue at scale (see the crate documentation).
#[derive(Debug, Parser)]
#[command(name = "bookshelf-scale", about)]
struct Args {
    /// Books in the catalogue (the write capacity is computed from all of them).
    #[arg(long, default_value_t = 1_000_000)]
    books: usize,
    /// Books of the catalogue seeded into DynamoDB Local for the latency runs
    /// (default: all of them).
    #[arg(long)]
    seed_books: Option<usize>,
    /// Books in the catalogues the per-page costs at N = 1, 4, 16 are read from.
    #[arg(long, default_value_t = 50_000)]
    cost_books: usize,
    /// Timed repetitions of each listing.
    #[arg(long, default_value_t = 200)]
    reps: usize,
    /// Where the report is written.
    #[arg(long, default_value = "docs/SCALE.md")]
    out: PathBuf,
}

/// One listing of the report.
struct Listing {
    name: &'static str,
    query: ListQuery,
}

fn listings(top_author: &str) -> Vec<Listing> {
    let query = |after: Option<&str>, prefix: Option<&str>, author: Option<&str>| ListQuery {
        author: author.map(str::to_owned),
        genre: None,
        title_prefix: prefix.map(fold),
        limit: 25,
        after: after.map(|key| ListPosition {
            title_key: key.to_owned(),
        }),
    };
    vec![
        Listing {
            name: "first page",
            query: query(None, None, None),
        },
        Listing {
            name: "deep page (cursor half-way: titles from \"m\")",
            query: query(Some("m"), None, None),
        },
        Listing {
            name: "title search (`q=the s`)",
            query: query(None, Some("the s"), None),
        },
        Listing {
            name: "author filter (the most prolific author)",
            query: query(None, None, Some(top_author)),
        },
    ]
}

/// A fresh `BooksTable` of the template, named `name`, with a store on `shards`.
async fn table(
    client: &aws_sdk_dynamodb::Client,
    template: &Template,
    name: &str,
    shards: ShelfShards,
) -> Result<BookStore, Error> {
    let definition = template.table("BooksTable").ok_or("no BooksTable")?;
    tables::create_table(client, definition, name).await?;
    Ok(BookStore::new(client.clone(), name, shards))
}

/// Imports `file` into `store`; returns the import id and books a second.
async fn seed(store: &BookStore, file: &Path) -> Result<(String, f64), Error> {
    let progress = Progress::new("import", import::COUNTERS);
    let reporter = progress.report_periodically();
    let started = Instant::now();
    let report = import::import_file(store, file, &ImportOptions::default(), &progress).await;
    reporter.abort();
    let report = report?;
    eprintln!("{}", progress.line());
    let rate = progress.get("written") as f64 / started.elapsed().as_secs_f64();
    Ok((report.import_id, rate))
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args = Args::parse();
    let root = workspace::root();
    let template = Template::load(&root.join("template.yaml"))?;
    let default_shards = template
        .parameters
        .get("ShelfShards")
        .cloned()
        .flatten()
        .ok_or("template.yaml gives ShelfShards no default")?;
    let default_shards = ShelfShards::parse(&default_shards)?;
    let work = workspace::target_dir(&root).join("scale");
    std::fs::create_dir_all(&work)?;

    eprintln!("scale: generating {} books", args.books);
    let books = catalogue::generate(args.books);
    let seeded = args.seed_books.unwrap_or(books.len()).min(books.len());
    let file = work.join(format!("catalogue-{seeded}.jsonl"));
    std::fs::write(&file, catalogue::json_lines(&books[..seeded]))?;
    let cost_count = args.cost_books.min(books.len());
    let cost_file = work.join(format!("catalogue-{cost_count}.jsonl"));
    std::fs::write(&cost_file, catalogue::json_lines(&books[..cost_count]))?;
    let top_author = {
        let mut counts = std::collections::HashMap::<&str, usize>::new();
        for book in &books {
            *counts.entry(book.author.as_str()).or_default() += 1;
        }
        let (author, _) = counts
            .into_iter()
            .max_by_key(|(author, count)| (*count, *author))
            .ok_or("no books")?;
        author.to_owned()
    };

    let mut report = String::new();

    // What a page costs at N = 1, 4, 16.
    // Each catalogue gets a DynamoDB Local of its own: one that held a large
    // table it deleted writes several times slower.
    let mut costs = Vec::new();
    for count in [1, 4, 8, 16] {
        let shards = ShelfShards::new(count)?;
        let dynamodb = DynamoDbLocal::start(&root, &Storage::InMemory).await?;
        let client = client::dynamodb(dynamodb.endpoint()).await;
        let store = table(&client, &template, &format!("scale-cost-{count}"), shards).await?;
        seed(&store, &cost_file).await?;
        let mut row = Vec::new();
        for listing in listings(&top_author).iter().take(3) {
            row.push(measure::time(&store, &listing.query, 50.min(args.reps)).await?);
        }
        costs.push((count, row));
        dynamodb.stop().await;
    }

    // A million books at N = 1 and the default N.
    let mut runs = Vec::new();
    for shards in [ShelfShards::ONE, default_shards] {
        let name = format!("scale-{}", shards.count());
        let dynamodb = DynamoDbLocal::start(&root, &Storage::InMemory).await?;
        let client = client::dynamodb(dynamodb.endpoint()).await;
        let store = table(&client, &template, &name, shards).await?;
        eprintln!(
            "scale: importing {seeded} books with {} shard(s)",
            shards.count()
        );
        let (_, rate) = seed(&store, &file).await?;
        let mut timings = Vec::new();
        for listing in listings(&top_author) {
            eprintln!(
                "scale: timing {} with {} shard(s)",
                listing.name,
                shards.count()
            );
            timings.push(measure::time(&store, &listing.query, args.reps).await?);
        }
        // The ids the import derives (a hash of the import and the line), for
        // the whole catalogue: the capacity needs no table.
        let ids: Vec<_> = (1..=books.len() as u64)
            .map(|line| derived_id("capacity", 1_767_225_600_000, line))
            .collect();
        runs.push((
            shards,
            rate,
            timings,
            capacity::busiest(&books, &ids, shards),
        ));
        dynamodb.stop().await;
    }

    // The report.
    let names: Vec<&str> = listings(&top_author).iter().map(|l| l.name).collect();
    let _ = writeln!(report, "# The catalogue at scale\n");
    let _ = writeln!(
        report,
        "Written by `make scale-bench` (`cargo run --release -p bookshelf-scale`): a catalogue of {} \
         generated books, of which {seeded} were seeded for the listings \
         (`bench/scale/src/catalogue.rs`: titles from patterns, a tenth with accented or foreign \
         words; 40,000 authors drawn Zipf-like; 30 genres drawn Zipf-like, one book in ten without \
         one), loaded into an in-memory DynamoDB Local by `bookshelf-admin import`, on this 2-core \
         machine. Latencies are of the list function's own store code (`BookStore::list`) against \
         DynamoDB Local, {} runs each after 5 unmeasured: relative figures (DynamoDB Local is one \
         process on the same cores, not a partitioned service). DynamoDB Local does not throttle \
         partitions, so the write capacity below is computed from the books' keys, not measured.\n",
        books.len(),
        args.reps
    );
    let _ = writeln!(
        report,
        "## Listing a page of 25 among {seeded} books, at N = 1 and the default N\n"
    );
    let header: Vec<String> = runs
        .iter()
        .map(|(shards, ..)| format!("N = {}: p50 / p99 (ms), Queries, RCU", shards.count()))
        .collect();
    let _ = writeln!(report, "| Listing | {} |", header.join(" | "));
    let _ = writeln!(report, "| --- |{}", " --- |".repeat(runs.len()));
    for (index, name) in names.iter().enumerate() {
        let cells: Vec<String> = runs
            .iter()
            .map(|(_, _, timings, _)| {
                let t = &timings[index];
                format!(
                    "{:.1} / {:.1}, {:.1}, {:.1}",
                    t.percentile(50.0),
                    t.percentile(99.0),
                    t.queries,
                    t.read_units
                )
            })
            .collect();
        let _ = writeln!(report, "| {name} | {} |", cells.join(" | "));
    }
    let rates: Vec<String> = runs
        .iter()
        .map(|(shards, rate, ..)| format!("{rate:.0} books/s at N = {}", shards.count()))
        .collect();
    let _ = writeln!(report, "\nImport (seeding): {}.\n", rates.join(", "));

    let _ = writeln!(
        report,
        "## What a page of 25 costs at N = 1, 4, 8, 16\n\nAverages over 50 pages of a {cost_count}-book \
         catalogue (a page's cost depends on N and the page, not on the shelf's size): Query \
         requests and read capacity units as DynamoDB Local reports them (eventually consistent: \
         0.5 per 4 KB a Query reads, rounded up per Query).\n"
    );
    let _ = writeln!(
        report,
        "| N | first page: Queries, RCU | deep page: Queries, RCU | title search: Queries, RCU |"
    );
    let _ = writeln!(report, "| --- | --- | --- | --- |");
    for (count, row) in &costs {
        let cells: Vec<String> = row
            .iter()
            .map(|t| format!("{:.1}, {:.1}", t.queries, t.read_units))
            .collect();
        let _ = writeln!(report, "| {count} | {} |", cells.join(" | "));
    }

    let _ = writeln!(
        report,
        "\n## Write capacity at {CREATES_PER_SECOND:.0} creates a second (computed from {} books)\n\n\
         Each create writes the table item and one entry in each index whose key the book has \
         (byTitle and byAuthor always, byGenre and byAuthorGenre with a genre), one write unit \
         each (items are under 1 KB). With creates spread like the catalogue, each index's busiest \
         partition key takes its share of them; a partition takes about {:.0} write units a second, \
         and an index that cannot keep up throttles the table.\n",
        books.len(),
        capacity::PARTITION_WCU
    );
    let _ = writeln!(
        report,
        "| N | Index | Busiest key | Share of creates | WCU/s at {CREATES_PER_SECOND:.0} creates/s | Ceiling (creates/s) |"
    );
    let _ = writeln!(report, "| --- | --- | --- | --- | --- | --- |");
    for (shards, _, _, busiest) in &runs {
        for b in busiest {
            let _ = writeln!(
                report,
                "| {} | {} | `{}` | {:.2} % | {:.0} | {:.0} |",
                shards.count(),
                b.index,
                b.key,
                b.share * 100.0,
                b.wcu_at(CREATES_PER_SECOND),
                b.ceiling()
            );
        }
    }
    let out = root.join(&args.out);
    std::fs::write(&out, &report)?;
    println!("{report}");
    eprintln!("scale: wrote {}", out.display());
    Ok(())
}
