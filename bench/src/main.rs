//! `bookshelf-bench` (`make bench`): builds every function the way `sam build` does, then,
//! against a fresh DynamoDB Local, measures in one run each function's size, cold starts
//! (over plain HTTP and through a local TLS terminator), warm latency and memory; the raw
//! DynamoDB round trips underneath (the floor); a naive build and a Python 3 + boto3 peer
//! of get-book; and list-books at 10,000 and 100,000 books. It writes the figures to
//! `docs/BENCHMARKS.md` and `target/bench/results.json`.
//!
//! ```text
//! cargo run --release -p bookshelf-bench -- [--quick] [--no-build] [--skip-arm64]
//! ```

mod binaries;
mod events;
mod floor;
mod machine;
mod measure;
mod report;
mod results;
mod sandbox;
mod stats;
mod table;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bookshelf::BookId;
use bookshelf_local::dynamodb_local::{DynamoDbLocal, Storage};
use bookshelf_local::serve::{LocalScope, function_environment};
use bookshelf_local::template::{Function, Template};
use bookshelf_local::tls;
use clap::Parser;

use crate::events::Events;
use crate::floor::{Operation, Targets};
use crate::measure::Cold;
use crate::results::{FunctionResult, ListPoint, Results};
use crate::sandbox::Launch;
use crate::table::BenchTable;

/// The error type of the benchmark: anything, with a message.
pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// Benchmarks every function of template.yaml against DynamoDB Local.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Fewer cold starts (10) and warm invocations (200): a smoke run of a few minutes.
    #[arg(long)]
    quick: bool,
    /// Use the binaries already built (skip cargo).
    #[arg(long)]
    no_build: bool,
    /// Do not build arm64 bootstraps (sizes are then x86_64 only).
    #[arg(long)]
    skip_arm64: bool,
    /// Cold starts per function and mode (default 40; 10 with --quick).
    #[arg(long)]
    cold_runs: Option<usize>,
    /// Timed warm invocations per function (default 1000; 200 with --quick).
    #[arg(long)]
    warm: Option<usize>,
    /// Books in the table for the second list-books measurement.
    #[arg(long, default_value_t = 100_000)]
    large_table: usize,
    /// Measure only these functions (crate names, repeatable); the report is then partial.
    #[arg(long)]
    only: Vec<String>,
    /// Skip the naive baseline and the Python peer.
    #[arg(long)]
    skip_peers: bool,
    /// The Markdown report to write.
    #[arg(long, default_value = "docs/BENCHMARKS.md")]
    out: PathBuf,
    /// A results.json of an earlier run to compare with ("before").
    #[arg(long, default_value = "bench/baseline.json")]
    baseline: PathBuf,
    /// Measure nothing: write the report again from `target/bench/results.json`.
    #[arg(long)]
    report_only: bool,
    /// Also save this run's results here (e.g. to make it the baseline).
    #[arg(long)]
    save: Option<PathBuf>,
}

/// Books in the table for the first list-books measurement (and every other function).
const SMALL_TABLE: usize = 10_000;
/// The naive baseline's name in the results.
const NAIVE: &str = "naive get-book";
/// Untimed rounds of every raw operation before anything is measured.
const DYNAMODB_WARM_UP: usize = 1_000;
/// Cold starts of the Python peer per mode (each costs a Python interpreter start).
const PYTHON_COLD_RUNS: usize = 10;

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    match run(args).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench: error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// One function in the cold-start rounds, with the samples gathered so far.
struct Subject {
    name: String,
    package: String,
    events: Events,
    plain: Launch,
    secure: Launch,
    http: Vec<(Duration, Duration)>,
    tls: Vec<(Duration, Duration)>,
}

/// Everything a measurement needs to launch processes.
struct Context {
    root: PathBuf,
    template: Template,
    table: BenchTable,
    endpoint: String,
    logs: PathBuf,
}

impl Context {
    /// How to launch `function` against `endpoint` (plain or TLS), trusting `ca_bundle`
    /// (the system's bundle when `None`).
    fn launch(&self, function: &Function, endpoint: &str, ca_bundle: Option<&Path>) -> Launch {
        let binaries = binaries::target_dir(&self.root).join("release");
        let program = binaries.join(&function.binary);
        self.launch_program(function, program, Vec::new(), endpoint, ca_bundle)
    }

    fn launch_program(
        &self,
        function: &Function,
        program: PathBuf,
        args: Vec<String>,
        endpoint: &str,
        ca_bundle: Option<&Path>,
    ) -> Launch {
        let scope = LocalScope {
            template: &self.template,
            table_names: BTreeMap::from([(table::LOGICAL_ID.to_owned(), self.table.name.clone())]),
            stream_arns: BTreeMap::new(),
        };
        let directory = program
            .parent()
            .map_or_else(|| self.root.clone(), Path::to_owned);
        let mut environment = function_environment(function, &scope, endpoint, &directory);
        environment.remove("RUST_LOG");
        // The runner passes the host's trust store through; here it is one bundle file,
        // as on Lambda: a certificate directory (SSL_CERT_DIR) would be read file by file
        // at every init (about 1.6 ms for Debian's /etc/ssl/certs).
        environment.remove("SSL_CERT_DIR");
        // The trust store is one bundle file, as on Lambda (AL2023 has one bundle, not
        // Debian's directory of hashed links, which rustls-native-certs would also read):
        // the system's, plus the terminator's CA for TLS runs.
        if let Some(bundle) = ca_bundle {
            let bundle = bundle.display().to_string();
            environment.insert("SSL_CERT_FILE".to_owned(), bundle.clone());
            environment.insert("AWS_CA_BUNDLE".to_owned(), bundle);
        } else if let Some(system) = tls::system_bundle() {
            environment.insert("SSL_CERT_FILE".to_owned(), system.display().to_string());
        }
        Launch {
            name: function.logical_id.clone(),
            program,
            args,
            environment,
            directory,
            log: self.logs.join(format!("{}.log", function.logical_id)),
        }
    }
}

/// The whole run.
async fn run(args: Args) -> Result<(), Error> {
    let started = Instant::now();
    let root = bookshelf_local::workspace::root();
    if args.report_only {
        let path = binaries::target_dir(&root).join("bench/results.json");
        let results: Results = serde_json::from_str(&std::fs::read_to_string(&path)?)?;
        return write_report(&root, &args, &results);
    }
    let cold_runs = args.cold_runs.unwrap_or(if args.quick { 10 } else { 40 });
    let warm_count = args.warm.unwrap_or(if args.quick { 200 } else { 1000 });
    let template = Template::load(&root.join("template.yaml"))?;
    let mut functions = template.functions.clone();
    // record-history first: its sample stream batch writes the history book-history reads.
    functions.sort_by_key(|f| f.package != "record-history");
    if !args.only.is_empty() {
        functions.retain(|f| args.only.contains(&f.package));
    }
    let packages: Vec<String> = functions.iter().map(|f| f.package.clone()).collect();

    let mut results = Results {
        meta: machine::describe(&root, args.quick, cold_runs, warm_count),
        ..Results::default()
    };

    // ---------------------------------------------------------------- build and sizes
    if !args.no_build {
        binaries::build_functions(&root, &packages)?;
        binaries::build_naive(&root)?;
        if !args.skip_arm64 {
            binaries::build_arm64(&root, &packages, true)?;
        }
    }
    let target = binaries::target_dir(&root);
    for function in &functions {
        results.sizes.push(binaries::measure(
            &function.package,
            &target,
            &function.binary,
        )?);
    }
    let naive_target = binaries::naive_target_dir(&root);
    match binaries::measure("naive get-book", &naive_target, binaries::NAIVE_BINARY) {
        Ok(size) => results.sizes.push(size),
        Err(e) => say(&format!("no naive baseline ({e}): it is skipped")),
    }

    // ---------------------------------------------------------------- DynamoDB Local
    let logs = target.join("bench/logs");
    std::fs::create_dir_all(&logs)?;
    for old in std::fs::read_dir(&logs)?.flatten() {
        let _ = std::fs::remove_file(old.path());
    }
    say("starting DynamoDB Local (in memory)");
    let dynamodb = DynamoDbLocal::start(&root, &Storage::InMemory).await?;
    let outcome = measure_all(
        &args,
        &root,
        &template,
        &functions,
        &mut results,
        dynamodb.endpoint(),
        &logs,
        cold_runs,
        warm_count,
    )
    .await;
    dynamodb.stop().await;
    outcome?;

    results.meta.load.1 = machine::load_average();
    results.meta.seconds = started.elapsed().as_secs_f64();
    let json = serde_json::to_string_pretty(&results)?;
    std::fs::write(target.join("bench/results.json"), &json)?;
    if let Some(save) = &args.save {
        std::fs::write(root.join(save), &json)?;
    }
    write_report(&root, &args, &results)?;
    say(&format!(
        "wrote {} and {} in {:.0} s",
        args.out.display(),
        target.join("bench/results.json").display(),
        results.meta.seconds
    ));
    Ok(())
}

/// Renders `results` (against the baseline, if there is one) into the report.
fn write_report(root: &Path, args: &Args, results: &Results) -> Result<(), Error> {
    let baseline: Option<Results> = std::fs::read_to_string(root.join(&args.baseline))
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok());
    let markdown = report::render(results, baseline.as_ref());
    std::fs::write(root.join(&args.out), markdown)?;
    Ok(())
}

/// Everything that needs DynamoDB Local.
#[allow(clippy::too_many_arguments)]
async fn measure_all(
    args: &Args,
    root: &Path,
    template: &Template,
    functions: &[Function],
    results: &mut Results,
    endpoint: &str,
    logs: &Path,
    cold_runs: usize,
    warm_count: usize,
) -> Result<(), Error> {
    let table = BenchTable::create(root, endpoint, "BooksTable-bench").await?;
    let ctx = Context {
        root: root.to_owned(),
        template: template.clone(),
        table: table.clone(),
        endpoint: endpoint.to_owned(),
        logs: logs.to_owned(),
    };

    // Seed: the table holds exactly SMALL_TABLE books; the first ones are deleted by
    // delete-book and the DeleteItem floor, one each.
    let seeding = Instant::now();
    let mut ids = table.seed(SMALL_TABLE, 0).await?;
    results
        .seeding
        .push((SMALL_TABLE, seeding.elapsed().as_secs_f64()));
    say(&format!(
        "seeded {SMALL_TABLE} books in {:.1} s",
        seeding.elapsed().as_secs_f64()
    ));
    let book = ids.pop().ok_or("no books seeded")?;
    let delete_events = 2 * cold_runs + measure::warm_events(warm_count) + 2;
    // Deletes for the DeleteItem floor: measured on its own, then paired with delete-book.
    let floor_deletes = 2 * measure::warm_events(warm_count);
    if delete_events + floor_deletes > ids.len() {
        return Err("too few seeded books for the delete benchmarks: lower --warm".into());
    }
    let mut deletable = ids.into_iter();
    let function_deletes: Vec<BookId> = deletable.by_ref().take(delete_events).collect();
    let floor_deletes: Vec<BookId> = deletable.by_ref().take(floor_deletes).collect();

    // list-books on exactly SMALL_TABLE books, before any function writes.
    let list = template
        .functions
        .iter()
        .find(|f| f.package == "list-books")
        .ok_or("template.yaml has no list-books function")?;
    let targets = Targets {
        book: &book,
        history_book: events::SAMPLE_ID,
        deletable: &floor_deletes,
    };
    say("warming DynamoDB Local up");
    floor::warm_up(&table, &targets, DYNAMODB_WARM_UP).await?;
    let scaling = functions.iter().any(|f| f.package == "list-books");
    if scaling {
        let point = list_point(&ctx, list, &book, &targets, SMALL_TABLE, warm_count).await?;
        results.list_scaling.push(point);
    }

    // The TLS terminator in front of DynamoDB Local.
    let tls = tls::TlsTerminator::start(endpoint, &root.join("target/bench/tls")).await?;

    // Cold starts, round-robin over our functions and the naive baseline, so that a burst
    // of load on the machine lands on all of them rather than on one function's runs.
    let get = template
        .functions
        .iter()
        .find(|f| f.package == "get-book")
        .ok_or("template.yaml has no get-book function")?;
    let mut subjects = Vec::new();
    for function in functions {
        let deletes = if function.package == "delete-book" {
            function_deletes.clone()
        } else {
            Vec::new()
        };
        subjects.push(Subject {
            name: function.package.clone(),
            package: function.package.clone(),
            events: Events::new(root, &function.package, &book, deletes)?,
            plain: ctx.launch(function, endpoint, None),
            secure: ctx.launch(function, &tls.endpoint, Some(&tls.ca_bundle)),
            http: Vec::new(),
            tls: Vec::new(),
        });
    }
    let naive_program = binaries::naive_target_dir(root)
        .join("release")
        .join(binaries::NAIVE_BINARY);
    if naive_program.is_file() && !args.skip_peers {
        let mut plain = ctx.launch_program(get, naive_program.clone(), Vec::new(), endpoint, None);
        let mut secure = ctx.launch_program(
            get,
            naive_program,
            Vec::new(),
            &tls.endpoint,
            Some(&tls.ca_bundle),
        );
        for launch in [&mut plain, &mut secure] {
            launch.name = "NaiveGetBook".into();
            launch.log = logs.join("NaiveGetBook.log");
        }
        subjects.push(Subject {
            name: NAIVE.into(),
            package: "get-book".into(),
            events: Events::new(root, "get-book", &book, Vec::new())?,
            plain,
            secure,
            http: Vec::new(),
            tls: Vec::new(),
        });
    }
    for round in 0..cold_runs {
        if round % 10 == 0 {
            say(&format!("cold starts, round {}/{cold_runs}", round + 1));
        }
        for subject in &mut subjects {
            let http = measure::cold_once(&subject.plain, &subject.package, &mut subject.events);
            subject.http.push(http.await?);
            let tls = measure::cold_once(&subject.secure, &subject.package, &mut subject.events);
            subject.tls.push(tls.await?);
        }
    }
    for mut subject in subjects {
        say(&format!("{}: warm", subject.name));
        let floor = paired(&table, &subject.package, &targets, warm_count);
        let warm = measure::warm(
            &subject.plain,
            &subject.package,
            &mut subject.events,
            warm_count,
            floor.as_ref(),
        )
        .await?;
        let result = FunctionResult {
            floor: floor_of(&subject.package),
            name: subject.name.clone(),
            cold_http: Cold::of(&subject.http),
            cold_tls: Some(Cold::of(&subject.tls)),
            warm,
        };
        if subject.name == NAIVE {
            results.naive = Some(result);
        } else {
            results.functions.push(result);
        }
    }

    // Trusting only the system's CAs, a function must fail to reach DynamoDB over TLS.
    let untrusted = ctx.launch(get, &tls.endpoint, None);
    results.untrusted_tls_status = Some(untrusted_status(&untrusted, root, &book).await?);

    let mut events = Events::new(root, "get-book", &book, Vec::new())?;
    let python = root.join(".tools/bench-venv/bin/python");
    if python.is_file() && !args.skip_peers {
        say("python get-book: cold (HTTP), cold (TLS), warm");
        let python_runs = if args.quick { 3 } else { PYTHON_COLD_RUNS };
        let peer_args: Vec<String> = ["-m", "awslambdaric", "handler.handler"]
            .map(str::to_owned)
            .to_vec();
        let mut plain = ctx.launch_program(get, python.clone(), peer_args.clone(), endpoint, None);
        let mut secure =
            ctx.launch_program(get, python, peer_args, &tls.endpoint, Some(&tls.ca_bundle));
        for launch in [&mut plain, &mut secure] {
            let handler_dir = root.join("bench/python");
            launch.name = "PythonGetBook".into();
            launch.log = logs.join("PythonGetBook.log");
            launch.directory = handler_dir.clone();
            launch
                .environment
                .insert("LAMBDA_TASK_ROOT".into(), handler_dir.display().to_string());
            launch
                .environment
                .insert("_HANDLER".into(), "handler.handler".into());
        }
        let (mut http, mut https) = (Vec::new(), Vec::new());
        for _ in 0..python_runs {
            http.push(measure::cold_once(&plain, "get-book", &mut events).await?);
            https.push(measure::cold_once(&secure, "get-book", &mut events).await?);
        }
        results.python = Some(FunctionResult {
            name: "python get-book".into(),
            cold_http: Cold::of(&http),
            cold_tls: Some(Cold::of(&https)),
            warm: measure::warm(
                &plain,
                "get-book",
                &mut events,
                warm_count,
                paired(&table, "get-book", &targets, warm_count).as_ref(),
            )
            .await?,
            floor: vec![Operation::GetItem],
        });
    } else if !args.skip_peers {
        say(
            "no .tools/bench-venv: run bench/setup-python.sh (make bench does) for the Python peer",
        );
    }
    tls.stop();

    // The floor, on the same table.
    say("floor: raw DynamoDB Local round trips");
    for operation in [
        Operation::GetItem,
        Operation::QueryPage,
        Operation::PutItem,
        Operation::UpdateItem,
        Operation::DeleteItem,
        Operation::QueryHistory,
    ] {
        let summary = floor::measure(&table, operation, &targets, warm_count).await?;
        results.floors.push((operation, summary));
    }

    // list-books again, on the large table.
    if !scaling {
        return Ok(());
    }
    let present = count_books(&table).await?;
    if args.large_table > present {
        let seeding = Instant::now();
        say(&format!(
            "seeding {} more books",
            args.large_table - present
        ));
        table.seed(args.large_table - present, SMALL_TABLE).await?;
        results
            .seeding
            .push((args.large_table, seeding.elapsed().as_secs_f64()));
    }
    let books = count_books(&table).await?;
    results
        .list_scaling
        .push(list_point(&ctx, list, &book, &targets, books, warm_count).await?);
    Ok(())
}

/// list-books warm and its raw Query, at the table's current size.
async fn list_point(
    ctx: &Context,
    list: &Function,
    book: &BookId,
    targets: &Targets<'_>,
    books: usize,
    warm_count: usize,
) -> Result<ListPoint, Error> {
    say(&format!("list-books on {books} books"));
    let mut events = Events::new(&ctx.root, &list.package, book, Vec::new())?;
    let launch = ctx.launch(list, &ctx.endpoint, None);
    let floor = paired(&ctx.table, &list.package, targets, warm_count);
    let warm = measure::warm(
        &launch,
        &list.package,
        &mut events,
        warm_count,
        floor.as_ref(),
    )
    .await?;
    Ok(ListPoint {
        books,
        function: warm.latency,
        floor: warm.floor.ok_or("list-books has no floor")?,
    })
}

/// What get-book answers over TLS when it does not trust the terminator's CA.
async fn untrusted_status(launch: &Launch, root: &Path, book: &BookId) -> Result<u64, Error> {
    let mut events = Events::new(root, "get-book", book, Vec::new())?;
    let mut sandbox = sandbox::Sandbox::start(launch).await?;
    sandbox.ready().await?;
    let answer = sandbox.invoke(events.next_event()).await;
    sandbox.stop().await;
    Ok(events::status_of(&answer?.body))
}

/// Books in the table (a `COUNT` query of the `byTitle` index, page by page).
async fn count_books(table: &BenchTable) -> Result<usize, Error> {
    let mut count = 0;
    let mut start = None;
    loop {
        let output = table
            .client
            .query()
            .table_name(&table.name)
            .index_name("byTitle")
            .key_condition_expression("shelf = :shelf")
            .expression_attribute_values(
                ":shelf",
                aws_sdk_dynamodb::types::AttributeValue::S("books".into()),
            )
            .select(aws_sdk_dynamodb::types::Select::Count)
            .set_exclusive_start_key(start)
            .send()
            .await?;
        count += usize::try_from(output.count).unwrap_or_default();
        start = output.last_evaluated_key;
        if start.is_none() {
            return Ok(count);
        }
    }
}

/// The raw operations a function's handler makes for its benchmark event.
/// The floor paired with `package`'s warm invocations (its deletes after the ones the
/// unpaired DeleteItem floor uses).
fn paired<'a>(
    table: &'a BenchTable,
    package: &str,
    targets: &'a Targets<'a>,
    warm_count: usize,
) -> Option<floor::Paired<'a>> {
    floor::Paired::new(
        table,
        floor_of(package),
        targets,
        measure::warm_events(warm_count),
    )
}

fn floor_of(package: &str) -> Vec<Operation> {
    match package {
        "get-book" => vec![Operation::GetItem],
        "list-books" => vec![Operation::QueryPage],
        "create-book" => vec![Operation::PutItem],
        "replace-book" | "patch-book" => vec![Operation::UpdateItem],
        "delete-book" => vec![Operation::DeleteItem],
        "book-history" => vec![Operation::QueryHistory],
        _ => Vec::new(),
    }
}

fn say(message: &str) {
    eprintln!("bench: {message}");
}
