//! `bookshelf-bench` (`make bench`): builds every function the way `sam build` does, then,
//! against a fresh DynamoDB Local behind a TLS terminator that functions reach by
//! DynamoDB's real host name, measures in one run each function's size, cold starts and
//! warm series under Lambda's CPU model (a whole CPU; 128 MB = 128/1769 of one CPU after
//! init; 1,769 MB = one CPU), CPU time per warm invocation, the raw DynamoDB round trips
//! underneath (paired floors), the paths the sample events do not take, a `perf` profile
//! of get-book and create-book, a naive build and a Python 3 + boto3 peer of get-book
//! (interleaved with the rest), and list-books at 10,000 and 100,000 books. It writes the
//! figures to `docs/BENCHMARKS.md` and `target/bench/results.json`.
//!
//! ```text
//! cargo run --release -p bookshelf-bench -- [--quick] [--no-build] [--skip-arm64]
//! ```

mod binaries;
mod cpu;
mod events;
mod floor;
mod hosts;
mod machine;
mod measure;
mod profile;
mod report;
mod results;
mod sandbox;
mod stats;
mod table;

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use bookshelf::BookId;
use bookshelf::store::{ListPosition, ListQuery};
use bookshelf_local::dynamodb_local::{DynamoDbLocal, Storage};
use bookshelf_local::serve::{LocalScope, function_environment};
use bookshelf_local::template::{Function, LOCAL_REGION, Template};
use bookshelf_local::tls;
use clap::Parser;

use crate::cpu::{Cgroups, CpuModel};
use crate::events::{Events, Variant};
use crate::floor::{AUTHOR, GENRE, Operation, Targets};
use crate::hosts::PrivateHosts;
use crate::measure::{Cold, Hold, Series};
use crate::results::{FunctionResult, ListPoint, Results};
use crate::sandbox::Launch;
use crate::table::BenchTable;

/// The error type of the benchmark: anything, with a message.
pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// Benchmarks every function of template.yaml against DynamoDB Local.
#[derive(Debug, Parser)]
#[command(version, about)]
#[allow(clippy::struct_excessive_bools)]
struct Args {
    /// Fewer samples (10 cold starts, 200 warm and 100 paced invocations): a smoke run.
    #[arg(long)]
    quick: bool,
    /// Use the binaries already built (skip cargo); the report is then partial.
    #[arg(long)]
    no_build: bool,
    /// Do not build arm64 bootstraps (sizes are then x86_64 only).
    #[arg(long)]
    skip_arm64: bool,
    /// Cold starts per function and CPU model (default 40; 10 with --quick).
    #[arg(long)]
    cold_runs: Option<usize>,
    /// Timed warm invocations per function, back to back (default 1000; 200 with --quick).
    #[arg(long)]
    warm: Option<usize>,
    /// Timed invocations per function under the 128 MB model, one every 50 ms (default
    /// 400; 100 with --quick).
    #[arg(long)]
    paced: Option<usize>,
    /// Books in the table for the second list-books measurement.
    #[arg(long, default_value_t = 100_000)]
    large_table: usize,
    /// Measure only these functions (crate names, repeatable); the report is then partial.
    #[arg(long)]
    only: Vec<String>,
    /// Skip the naive baseline and the Python peer; the report is then partial.
    #[arg(long)]
    skip_peers: bool,
    /// Skip the `perf` profiles (and their build).
    #[arg(long)]
    no_profile: bool,
    /// Also measure get-book as built elsewhere, beside this build, in the same run:
    /// `LABEL=PATH` names a release get-book binary (e.g. an earlier commit's, made by
    /// `bench/build-variant.sh`). It runs as get-book does (cold in every CPU model, warm,
    /// paced, CPU per request), and the report's "Cuts" table compares it with this build.
    #[arg(long, value_name = "LABEL=PATH")]
    variant: Vec<String>,
    /// The Markdown report to write.
    #[arg(long, default_value = "docs/BENCHMARKS.md")]
    out: PathBuf,
    /// Measure nothing: write the report again from `target/bench/results.json`.
    #[arg(long)]
    report_only: bool,
    /// Also save this run's results here.
    #[arg(long)]
    save: Option<PathBuf>,
}

impl Args {
    /// Why a run with these arguments is not the full benchmark.
    fn partial(&self) -> Vec<String> {
        let mut why = Vec::new();
        if !self.only.is_empty() {
            why.push(format!("`--only {}`", self.only.join(" ")));
        }
        if self.no_build {
            why.push(
                "`--no-build` (binaries built before the run, maybe from another tree)".into(),
            );
        }
        if self.quick {
            why.push("`--quick` (fewer samples)".into());
        }
        if self.skip_peers {
            why.push("`--skip-peers` (no naive build, no Python peer)".into());
        }
        if self.no_profile {
            why.push("`--no-profile`".into());
        }
        if self.cold_runs.is_some() || self.warm.is_some() || self.paced.is_some() {
            why.push("sample counts changed on the command line".into());
        }
        why
    }
}

/// Books in the table for the first list-books measurement (and every other function).
const SMALL_TABLE: usize = 10_000;
/// The naive baseline's name in the results.
const NAIVE: &str = "naive get-book";
/// The Python peer's name in the results.
const PYTHON: &str = "python get-book";
/// Untimed rounds of every raw operation before anything is measured.
const DYNAMODB_WARM_UP: usize = 1_000;
/// Start-to-start time of the paced series under the 128 MB model.
const PACING: Duration = Duration::from_millis(50);
/// Rounds of the cuts' interleaved CPU measurement.
const CUT_ROUNDS: usize = 10;
/// Timed warm invocations per build and round of the cuts' CPU measurement.
const CUT_INVOCATIONS: usize = 200;
/// The page the deep-page path asks for (by cursor).
const DEEP_PAGE: usize = 40;
/// The loopback address the TLS terminator listens on (port 443), and DynamoDB's real
/// name resolves to in the functions' private `/etc/hosts`: one per benchmark process,
/// so that two runs on one machine do not collide.
fn terminator_address() -> Ipv4Addr {
    let pid = std::process::id();
    #[allow(clippy::cast_possible_truncation)]
    Ipv4Addr::new(
        127,
        77,
        ((pid / 250) % 250 + 1) as u8,
        (pid % 250 + 1) as u8,
    )
}

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

/// One process kind in the cold-start rounds, with the samples gathered so far.
struct Subject {
    name: String,
    package: String,
    events: Events,
    launch: Launch,
    cold: BTreeMap<CpuModel, Vec<(Duration, Duration)>>,
}

/// How a variant's results are named: `get-book@LABEL`.
const VARIANT_PREFIX: &str = "get-book@";

/// get-book as built elsewhere (`--variant LABEL=PATH`), measured beside this build.
struct OtherBuild {
    label: String,
    program: PathBuf,
}

impl OtherBuild {
    /// `LABEL=PATH`, PATH relative to the workspace root unless absolute.
    fn parse(spec: &str, root: &Path) -> Result<OtherBuild, Error> {
        let (label, path) = spec
            .split_once('=')
            .ok_or_else(|| format!("--variant {spec}: expected LABEL=PATH"))?;
        let program = root.join(path);
        if label.is_empty() || !program.is_file() {
            return Err(format!("--variant {spec}: no binary at {}", program.display()).into());
        }
        Ok(OtherBuild {
            label: label.to_owned(),
            program,
        })
    }

    /// Its name in the results.
    fn name(&self) -> String {
        format!("{VARIANT_PREFIX}{}", self.label)
    }
}

/// Everything a measurement needs to launch processes.
struct Context {
    root: PathBuf,
    template: Template,
    /// The functions' table name (the floor's client is below).
    table_name: String,
    /// DynamoDB Local's plain endpoint (for the environment the runner builds).
    endpoint: String,
    logs: PathBuf,
    /// The full CA bundle plus the terminator's CA.
    ca_bundle: PathBuf,
    /// The private `/etc/hosts` every function runs with.
    hosts: PrivateHosts,
}

impl Context {
    /// How to launch `function`'s release binary.
    fn launch(&self, function: &Function) -> Launch {
        let binaries = binaries::target_dir(&self.root).join("release");
        let program = binaries.join(&function.binary);
        self.launch_program(function, program, Vec::new())
    }

    /// How to launch `program` as `function`: DynamoDB by its real name over TLS, through
    /// the private hosts file, trusting the full bundle plus the terminator's CA.
    fn launch_program(&self, function: &Function, program: PathBuf, args: Vec<String>) -> Launch {
        let scope = LocalScope {
            template: &self.template,
            table_names: BTreeMap::from([(table::LOGICAL_ID.to_owned(), self.table_name.clone())]),
            stream_arns: BTreeMap::new(),
        };
        let directory = program
            .parent()
            .map_or_else(|| self.root.clone(), Path::to_owned);
        let mut environment = function_environment(function, &scope, &self.endpoint, &directory);
        environment.remove("RUST_LOG");
        // No endpoint override: the SDK resolves DynamoDB's endpoint from the region and
        // looks its name up, as on Lambda.
        environment.remove("AWS_ENDPOINT_URL_DYNAMODB");
        environment.remove("AWS_ENDPOINT_URL");
        // One bundle file, as on Lambda's AL2023 (a certificate directory would be read
        // file by file at every init).
        environment.remove("SSL_CERT_DIR");
        let bundle = self.ca_bundle.display().to_string();
        environment.insert("SSL_CERT_FILE".to_owned(), bundle.clone());
        environment.insert("AWS_CA_BUNDLE".to_owned(), bundle);
        Launch {
            name: function.logical_id.clone(),
            program,
            args,
            environment,
            directory,
            log: self.logs.join(format!("{}.log", function.logical_id)),
            hosts: Some(self.hosts.clone()),
        }
    }

    /// How to launch `build`, get-book as built elsewhere, as get-book is launched.
    fn launch_other_build(&self, get: &Function, build: &OtherBuild) -> Launch {
        let mut launch = self.launch_program(get, build.program.clone(), Vec::new());
        launch.name = format!("GetBook-{}", build.label);
        launch.log = self.logs.join(format!("GetBook-{}.log", build.label));
        launch
    }

    /// The Python peer of get-book, launched as get-book is.
    fn python(&self, get: &Function, python: PathBuf) -> Launch {
        let peer_args: Vec<String> = ["-m", "awslambdaric", "handler.handler"]
            .map(str::to_owned)
            .to_vec();
        let mut launch = self.launch_program(get, python, peer_args);
        let handler_dir = self.root.join("bench/python");
        launch.name = "PythonGetBook".into();
        launch.log = self.logs.join("PythonGetBook.log");
        launch.directory = handler_dir.clone();
        launch
            .environment
            .insert("LAMBDA_TASK_ROOT".into(), handler_dir.display().to_string());
        launch
            .environment
            .insert("_HANDLER".into(), "handler.handler".into());
        launch
    }
}

/// The sample counts of a run.
#[derive(Clone, Copy)]
struct Counts {
    cold: usize,
    warm: usize,
    paced: usize,
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
    let counts = Counts {
        cold: args.cold_runs.unwrap_or(if args.quick { 10 } else { 40 }),
        warm: args.warm.unwrap_or(if args.quick { 200 } else { 1000 }),
        paced: args.paced.unwrap_or(if args.quick { 100 } else { 400 }),
    };
    let variants = args
        .variant
        .iter()
        .map(|spec| OtherBuild::parse(spec, &root))
        .collect::<Result<Vec<_>, _>>()?;
    let template = Template::load(&root.join("template.yaml"))?;
    let mut functions = template.functions.clone();
    // Only the functions of the product's own API (the tutorial's are left out, as before).
    functions.retain(|f| !f.package.starts_with("tutorial-"));
    // record-history first: its sample stream batch writes the history book-history reads.
    functions.sort_by_key(|f| f.package != "record-history");
    if !args.only.is_empty() {
        functions.retain(|f| args.only.contains(&f.package));
    }
    let packages: Vec<String> = functions.iter().map(|f| f.package.clone()).collect();

    let mut results = Results {
        meta: machine::describe(&root, args.quick, counts.cold, counts.warm),
        ..Results::default()
    };
    results.meta.partial = args.partial();
    results.meta.paced_invocations = counts.paced;

    // ---------------------------------------------------------------- build and sizes
    if !args.no_build {
        binaries::build_functions(&root, &packages)?;
        binaries::build_naive(&root)?;
        if !args.skip_arm64 {
            binaries::build_arm64(&root, &packages, true)?;
        }
        if !args.no_profile {
            binaries::build_profiling(&root, &profiled(&packages))?;
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
    match binaries::measure(NAIVE, &naive_target, binaries::NAIVE_BINARY) {
        Ok(size) => results.sizes.push(size),
        Err(e) => say(&format!("no naive baseline ({e})")),
    }
    for variant in &variants {
        results
            .sizes
            .push(binaries::measure_file(&variant.name(), &variant.program)?);
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
        counts,
        &variants,
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

/// The functions profiled, of those measured.
fn profiled(packages: &[String]) -> Vec<String> {
    ["get-book", "create-book"]
        .into_iter()
        .filter(|p| packages.iter().any(|q| q == p))
        .map(str::to_owned)
        .collect()
}

/// Renders `results` into the report.
fn write_report(root: &Path, args: &Args, results: &Results) -> Result<(), Error> {
    let markdown = report::render(results);
    std::fs::write(root.join(&args.out), markdown)?;
    Ok(())
}

/// The CA bundle of a realistic size: the system's full bundle (as large as Amazon Linux
/// 2023's), which the terminator's bundle starts with. Its certificates and bytes.
fn trust_store_size(bundle: &Path) -> Result<(usize, u64), Error> {
    let text = std::fs::read_to_string(bundle)?;
    let certificates = text.matches("-----BEGIN CERTIFICATE-----").count();
    if certificates < 100 {
        return Err(format!(
            "{} holds {certificates} certificates: install the system's CA bundle \
             (Debian: ca-certificates) so that the trust store is Lambda's size",
            bundle.display()
        )
        .into());
    }
    Ok((certificates, text.len() as u64))
}

/// A DynamoDB client of the benchmark that goes through the terminator, over TLS, as the
/// functions do (so that floors and functions take the same path).
async fn tls_client(bundle: &Path, address: Ipv4Addr) -> Result<aws_sdk_dynamodb::Client, Error> {
    use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
    let pem = std::fs::read(bundle)?;
    let trust = tls::TrustStore::empty()
        .with_native_roots(false)
        .with_pem_certificate(pem);
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc))
        .tls_context(tls::TlsContext::builder().with_trust_store(trust).build()?)
        .build_https();
    let config = bookshelf_local::client::local_config(&format!("https://{address}")).await;
    let config = aws_sdk_dynamodb::config::Builder::from(&config)
        .http_client(http)
        .build();
    Ok(aws_sdk_dynamodb::Client::from_conf(config))
}

/// Everything that needs DynamoDB Local.
#[allow(clippy::too_many_arguments, clippy::too_many_lines)]
async fn measure_all(
    args: &Args,
    root: &Path,
    template: &Template,
    functions: &[Function],
    results: &mut Results,
    endpoint: &str,
    logs: &Path,
    counts: Counts,
    variants: &[OtherBuild],
) -> Result<(), Error> {
    let plain_table = BenchTable::create(root, endpoint, "BooksTable-bench").await?;

    // The TLS terminator on DynamoDB's real name.
    let host = format!("dynamodb.{LOCAL_REGION}.amazonaws.com");
    let address = terminator_address();
    let tls_dir = binaries::target_dir(root).join("bench/tls");
    let tls = tls::TlsTerminator::start_as(endpoint, &tls_dir, &host, (address, 443).into())
        .await
        .map_err(|e| format!("the TLS terminator on {address}:443: {e}"))?;
    results.meta.dynamodb_host = host.clone();
    results.meta.trust_store = trust_store_size(&tls.ca_bundle)?;
    let hosts_path = tls_dir.join("hosts");
    std::fs::write(&hosts_path, hosts::hosts_file(address, &[&host]))?;
    let table = BenchTable {
        client: tls_client(&tls.ca_bundle, address).await?,
        name: plain_table.name.clone(),
        shelf: plain_table.shelf,
    };
    let ctx = Context {
        root: root.to_owned(),
        template: template.clone(),
        table_name: table.name.clone(),
        endpoint: endpoint.to_owned(),
        logs: logs.to_owned(),
        ca_bundle: tls.ca_bundle.clone(),
        hosts: PrivateHosts::new(&hosts_path)?,
    };
    let cgroups = match Cgroups::open() {
        Ok(groups) => {
            results.meta.cpu_model_applied = true;
            results.meta.cpu_model = groups.describe();
            Some(groups)
        }
        Err(e) => {
            say(&format!("no CPU model: {e}; whole-CPU figures only"));
            results.meta.cpu_model = e.to_string();
            None
        }
    };
    let models: Vec<CpuModel> = if cgroups.is_some() {
        CpuModel::ALL.to_vec()
    } else {
        vec![CpuModel::Whole]
    };
    let whole = Hold {
        model: CpuModel::Whole,
        cgroups: cgroups.as_ref(),
    };
    let small = Hold {
        model: CpuModel::Mb128,
        cgroups: cgroups.as_ref(),
    };

    // Seed: the table holds exactly SMALL_TABLE books; the first ones are deleted by
    // delete-book and the DeleteItem floor, one each.
    let seeding = Instant::now();
    let mut ids = plain_table.seed(SMALL_TABLE, 0).await?;
    results
        .seeding
        .push((SMALL_TABLE, seeding.elapsed().as_secs_f64()));
    say(&format!(
        "seeded {SMALL_TABLE} books in {:.1} s",
        seeding.elapsed().as_secs_f64()
    ));
    let book = ids.pop().ok_or("no books seeded")?;
    let replaced = ids.pop().ok_or("no books seeded")?;
    let versioned = ids.pop().ok_or("no books seeded")?;
    let warm_events = measure::warm_events(counts.warm) + measure::warm_events(counts.paced);
    let delete_events = models.len() * counts.cold + warm_events + 2;
    // Deletes for the DeleteItem floor: measured on its own, then paired with delete-book.
    let floor_deletes = 2 * warm_events;
    if delete_events + floor_deletes > ids.len() {
        return Err("too few seeded books for the delete benchmarks: lower --warm".into());
    }
    let mut deletable = ids.into_iter();
    let function_deletes: Vec<BookId> = deletable.by_ref().take(delete_events).collect();
    let floor_deletes: Vec<BookId> = deletable.by_ref().take(floor_deletes).collect();
    let deep_after = deep_position(&table, DEEP_PAGE).await?;
    let version = AtomicU64::new(1);

    let list = template
        .functions
        .iter()
        .find(|f| f.package == "list-books")
        .ok_or("template.yaml has no list-books function")?;
    let targets = Targets {
        book: &book,
        history_book: events::SAMPLE_ID,
        deletable: &floor_deletes,
        versioned: &versioned,
        version: &version,
        deep_after: &deep_after,
    };
    say("warming DynamoDB Local up");
    floor::warm_up(&table, &targets, DYNAMODB_WARM_UP).await?;
    // list-books on exactly SMALL_TABLE books, before any function writes.
    let scaling = functions.iter().any(|f| f.package == "list-books");
    if scaling {
        let point = list_point(
            &ctx,
            &table,
            list,
            &book,
            &targets,
            SMALL_TABLE,
            counts,
            whole,
        )
        .await?;
        results.list_scaling.push(point);
    }

    // Cold starts, round-robin over our functions and both peers and every CPU model, so
    // that a burst of load on the machine lands on all of them rather than on one's runs.
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
            launch: ctx.launch(function),
            cold: BTreeMap::new(),
        });
    }
    let naive_program = binaries::naive_target_dir(root)
        .join("release")
        .join(binaries::NAIVE_BINARY);
    let python = root.join(".tools/bench-venv/bin/python");
    if !args.skip_peers {
        if naive_program.is_file() {
            let mut launch = ctx.launch_program(get, naive_program, Vec::new());
            launch.name = "NaiveGetBook".into();
            launch.log = logs.join("NaiveGetBook.log");
            subjects.push(Subject {
                name: NAIVE.into(),
                package: "get-book".into(),
                events: Events::new(root, "get-book", &book, Vec::new())?,
                launch,
                cold: BTreeMap::new(),
            });
        } else {
            say("no naive build: the report will show the peer missing");
        }
        if python.is_file() {
            subjects.push(Subject {
                name: PYTHON.into(),
                package: "get-book".into(),
                events: Events::new(root, "get-book", &book, Vec::new())?,
                launch: ctx.python(get, python),
                cold: BTreeMap::new(),
            });
        } else {
            say(
                "no .tools/bench-venv (bench/setup-python.sh): the report will show the peer missing",
            );
        }
    }
    for variant in variants {
        subjects.push(Subject {
            name: variant.name(),
            package: "get-book".into(),
            events: Events::new(root, "get-book", &book, Vec::new())?,
            launch: ctx.launch_other_build(get, variant),
            cold: BTreeMap::new(),
        });
    }
    for round in 0..counts.cold {
        if round % 10 == 0 {
            say(&format!("cold starts, round {}/{}", round + 1, counts.cold));
        }
        for subject in &mut subjects {
            for &model in &models {
                let hold = Hold {
                    model,
                    cgroups: cgroups.as_ref(),
                };
                let sample = measure::cold_once(
                    &subject.launch,
                    &subject.package,
                    &mut subject.events,
                    hold,
                )
                .await?;
                subject.cold.entry(model).or_default().push(sample);
            }
        }
    }
    for mut subject in subjects {
        say(&format!("{}: warm", subject.name));
        let floor = paired(&table, floor_of(&subject.package), &targets, counts);
        let (warm, paced) = warm_series(
            &subject.launch,
            &subject.package,
            &mut subject.events,
            floor.as_ref(),
            counts,
            (whole, small),
        )
        .await?;
        let result = FunctionResult {
            floor: floor_of(&subject.package),
            name: subject.name.clone(),
            cold: subject
                .cold
                .iter()
                .map(|(model, runs)| (*model, Cold::of(runs)))
                .collect(),
            warm,
            paced,
        };
        match subject.name.as_str() {
            NAIVE => results.naive = Some(result),
            PYTHON => results.python = Some(result),
            name if name.starts_with(VARIANT_PREFIX) => results.variants.push(result),
            _ => results.functions.push(result),
        }
    }

    // The cuts: get-book and its earlier builds, CPU per warm invocation in interleaved
    // rounds, so that a drift of the machine (DynamoDB Local's JIT, other work) lands on
    // every build alike instead of on whichever ran last.
    if !variants.is_empty() {
        let mut builds: Vec<(String, Launch)> = variants
            .iter()
            .map(|v| (v.name(), ctx.launch_other_build(get, v)))
            .collect();
        if functions.iter().any(|f| f.package == "get-book") {
            builds.push(("get-book".into(), ctx.launch(get)));
        }
        let mut events = Events::new(root, "get-book", &book, Vec::new())?;
        let series = Series {
            count: CUT_INVOCATIONS,
            pacing: None,
            floor: None,
        };
        for round in 0..CUT_ROUNDS {
            say(&format!(
                "cuts: CPU per invocation, round {}/{CUT_ROUNDS}",
                round + 1
            ));
            // A different build goes first in each round.
            let order = (0..builds.len()).map(|i| (i + round) % builds.len());
            for i in order {
                let (name, launch) = &builds[i];
                let warm = measure::warm(launch, "get-book", &mut events, &series, whole).await?;
                let cpu = warm.cpu_us.ok_or("no CPU accounting: no cgroups")?;
                match results.cut_rounds.iter_mut().find(|(n, _)| n == name) {
                    Some((_, samples)) => samples.push(cpu),
                    None => results.cut_rounds.push((name.clone(), vec![cpu])),
                }
            }
        }
    }

    // Paths the sample events do not take.
    for path in paths(
        &functions
            .iter()
            .map(|f| f.package.clone())
            .collect::<Vec<_>>(),
    ) {
        let Some(function) = template
            .functions
            .iter()
            .find(|f| f.package == path.package)
        else {
            continue;
        };
        say(&format!("{}: warm", path.name));
        let variant = match &path.variant {
            PathVariant::Events(v) => v.clone(),
            PathVariant::DeepPage => {
                let cursor = deep_cursor(&ctx, function, &book, DEEP_PAGE).await?;
                Variant::Query(vec![
                    ("limit".into(), "25".into()),
                    ("cursor".into(), cursor),
                ])
            }
        };
        let target_book = if path.package == "replace-book" {
            &replaced
        } else {
            &book
        };
        let mut events = Events::of(root, path.package, target_book, Vec::new(), variant)?;
        let launch = ctx.launch(function);
        let floor = paired(&table, path.floor.clone(), &targets, counts);
        let (warm, paced) = warm_series(
            &launch,
            path.package,
            &mut events,
            floor.as_ref(),
            counts,
            (whole, small),
        )
        .await?;
        results.paths.push(FunctionResult {
            name: path.name.to_owned(),
            cold: Vec::new(),
            warm,
            paced,
            floor: path.floor,
        });
    }

    // Trusting only the system's CAs, a function must fail to reach DynamoDB over TLS.
    let mut untrusted = ctx.launch(get);
    if let Some(system) = tls::system_bundle() {
        let system = system.display().to_string();
        untrusted
            .environment
            .insert("SSL_CERT_FILE".into(), system.clone());
        untrusted.environment.insert("AWS_CA_BUNDLE".into(), system);
    }
    results.untrusted_tls_status = Some(untrusted_status(&untrusted, root, &book).await?);

    // Where get-book's and create-book's CPU goes.
    if !args.no_profile {
        for package in profiled(
            &functions
                .iter()
                .map(|f| f.package.clone())
                .collect::<Vec<_>>(),
        ) {
            let Some(function) = template.functions.iter().find(|f| f.package == package) else {
                continue;
            };
            let program = binaries::target_dir(root)
                .join(binaries::PROFILING)
                .join(&function.binary);
            if !program.is_file() {
                say(&format!(
                    "no {} (profiling build): no profile",
                    program.display()
                ));
                continue;
            }
            say(&format!("{package}: perf profile"));
            let launch = ctx.launch_program(function, program, Vec::new());
            let mut events = Events::new(root, &package, &book, Vec::new())?;
            let raw = binaries::target_dir(root).join(format!("bench/profile-{package}.txt"));
            match profile::record(&launch, &package, &mut events, counts.warm, &raw).await {
                Ok(p) => results.profiles.push(p),
                Err(e) => say(&format!("{package}: no profile: {e}")),
            }
        }
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
        // Over plain HTTP from here on: the terminator has stopped.
        let summary = floor::measure(&plain_table, operation, &targets, counts.warm).await?;
        results.floors.push((operation, summary));
    }

    // list-books again, on the large table.
    if !scaling {
        return Ok(());
    }
    let present = count_books(&plain_table).await?;
    if args.large_table > present {
        let seeding = Instant::now();
        say(&format!(
            "seeding {} more books",
            args.large_table - present
        ));
        plain_table
            .seed(args.large_table - present, SMALL_TABLE)
            .await?;
        results
            .seeding
            .push((args.large_table, seeding.elapsed().as_secs_f64()));
    }
    let books = count_books(&plain_table).await?;
    // The terminator again, for the large table's list-books.
    let tls = tls::TlsTerminator::start_as(endpoint, &tls_dir, &host, (address, 443).into())
        .await
        .map_err(|e| format!("the TLS terminator on {address}:443: {e}"))?;
    let ctx = Context {
        ca_bundle: tls.ca_bundle.clone(),
        ..ctx
    };
    let table = BenchTable {
        client: tls_client(&tls.ca_bundle, address).await?,
        name: plain_table.name.clone(),
        shelf: plain_table.shelf,
    };
    let point = list_point(&ctx, &table, list, &book, &targets, books, counts, whole).await;
    tls.stop();
    results.list_scaling.push(point?);
    Ok(())
}

/// What a path's events are made from.
enum PathVariant {
    /// A fixed variant of the sample event.
    Events(Variant),
    /// A list page deep in the table, by the cursor list-books itself hands out.
    DeepPage,
}

/// One path of a function that its sample event does not take.
struct PathCase {
    name: &'static str,
    package: &'static str,
    variant: PathVariant,
    floor: Vec<Operation>,
}

/// The paths measured, of the functions measured.
fn paths(packages: &[String]) -> Vec<PathCase> {
    let query = |pairs: &[(&str, &str)]| {
        PathVariant::Events(Variant::Query(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        ))
    };
    vec![
        PathCase {
            name: "create-book, Idempotency-Key (transaction)",
            package: "create-book",
            variant: PathVariant::Events(Variant::IdempotencyKey),
            floor: vec![Operation::TransactCreate],
        },
        PathCase {
            name: "replace-book, If-Match",
            package: "replace-book",
            variant: PathVariant::Events(Variant::IfMatch),
            floor: vec![Operation::UpdateIfMatch],
        },
        PathCase {
            name: "list-books, author",
            package: "list-books",
            variant: query(&[("author", AUTHOR), ("limit", "25")]),
            floor: vec![Operation::QueryAuthor],
        },
        PathCase {
            name: "list-books, author + genre",
            package: "list-books",
            variant: query(&[("author", AUTHOR), ("genre", GENRE), ("limit", "25")]),
            floor: vec![Operation::QueryAuthorGenre],
        },
        PathCase {
            name: "list-books, page 41 by cursor",
            package: "list-books",
            variant: PathVariant::DeepPage,
            floor: vec![Operation::QueryDeep],
        },
        PathCase {
            name: "record-history, batch of 100",
            package: "record-history",
            variant: PathVariant::Events(Variant::Batch(floor::FULL_BATCH)),
            floor: vec![Operation::PutHistory100],
        },
    ]
    .into_iter()
    .filter(|p| packages.iter().any(|q| q == p.package))
    .collect()
}

/// The cursor list-books hands out for page `pages + 1` of 25 (following `nextCursor`).
async fn deep_cursor(
    ctx: &Context,
    list: &Function,
    book: &BookId,
    pages: usize,
) -> Result<String, Error> {
    let launch = ctx.launch(list);
    let mut sandbox = sandbox::Sandbox::start(&launch).await?;
    let outcome = async {
        sandbox.ready().await?;
        let mut cursor: Option<String> = None;
        for _ in 0..pages {
            let mut pairs = vec![("limit".to_owned(), "25".to_owned())];
            pairs.extend(cursor.take().map(|c| ("cursor".to_owned(), c)));
            let mut events = Events::of(
                &ctx.root,
                "list-books",
                book,
                Vec::new(),
                Variant::Query(pairs),
            )?;
            let answer = sandbox.invoke(events.next_event()).await?;
            events::check("list-books", &answer.body)?;
            let envelope: serde_json::Value = serde_json::from_slice(&answer.body)?;
            let page: serde_json::Value =
                serde_json::from_str(envelope["body"].as_str().unwrap_or_default())?;
            cursor = page["nextCursor"].as_str().map(str::to_owned);
            if cursor.is_none() {
                return Err::<String, Error>("list-books ran out of pages".into());
            }
        }
        cursor.ok_or_else(|| "no cursor".into())
    }
    .await;
    sandbox.stop().await;
    outcome
}

/// Where the shelf's page `pages + 1` of 25 starts: the position page `pages` ended at,
/// walked by the store's own listing (every shelf shard, merged).
async fn deep_position(table: &BenchTable, pages: usize) -> Result<ListPosition, Error> {
    let store = table.store();
    let mut after = None;
    for _ in 0..pages {
        let page = store
            .list(&ListQuery {
                author: None,
                genre: None,
                title_prefix: None,
                limit: floor::PAGE,
                after: after.take(),
            })
            .await?;
        after = Some(page.next.ok_or("the table ran out of pages")?);
    }
    after.ok_or_else(|| "no position".into())
}

/// list-books warm and its raw Query, at the table's current size.
#[allow(clippy::too_many_arguments)]
async fn list_point(
    ctx: &Context,
    table: &BenchTable,
    list: &Function,
    book: &BookId,
    targets: &Targets<'_>,
    books: usize,
    counts: Counts,
    hold: Hold<'_>,
) -> Result<ListPoint, Error> {
    say(&format!("list-books on {books} books"));
    let mut events = Events::new(&ctx.root, &list.package, book, Vec::new())?;
    let launch = ctx.launch(list);
    let floor = paired(table, floor_of(&list.package), targets, counts);
    let warm = measure::warm(
        &launch,
        &list.package,
        &mut events,
        &Series {
            count: counts.warm,
            pacing: None,
            floor: floor.as_ref(),
        },
        hold,
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

/// Books in the table: a `COUNT` query of every shelf shard of the `byTitle` index, page
/// by page.
async fn count_books(table: &BenchTable) -> Result<usize, Error> {
    let mut count = 0;
    for shard in table.shelf.keys() {
        let mut start = None;
        loop {
            let output = table
                .client
                .query()
                .table_name(&table.name)
                .index_name("byTitle")
                .key_condition_expression("shelf = :shelf")
                .expression_attribute_values(":shelf", AttributeValue::S(shard.clone()))
                .select(aws_sdk_dynamodb::types::Select::Count)
                .set_exclusive_start_key(start)
                .send()
                .await?;
            count += usize::try_from(output.count).unwrap_or_default();
            start = output.last_evaluated_key;
            if start.is_none() {
                break;
            }
        }
    }
    Ok(count)
}

/// A function's warm series: back to back with a whole CPU, paired with `floor`; and,
/// where the machine applies the CPU model (`small` has cgroups), paced at [`PACING`]
/// under 128 MB.
async fn warm_series(
    launch: &Launch,
    package: &str,
    events: &mut Events,
    floor: Option<&floor::Paired<'_>>,
    counts: Counts,
    (whole, small): (Hold<'_>, Hold<'_>),
) -> Result<(measure::Warm, Option<measure::Warm>), Error> {
    let back_to_back = Series {
        count: counts.warm,
        pacing: None,
        floor,
    };
    let warm = measure::warm(launch, package, events, &back_to_back, whole).await?;
    if small.cgroups.is_none() {
        return Ok((warm, None));
    }
    let paced = Series {
        count: counts.paced,
        pacing: Some(PACING),
        floor: None,
    };
    let paced = measure::warm(launch, package, events, &paced, small).await?;
    Ok((warm, Some(paced)))
}

/// The floor paired with a series of warm invocations making `operations` (its deletes
/// after the ones the unpaired `DeleteItem` floor uses).
fn paired<'a>(
    table: &'a BenchTable,
    operations: Vec<Operation>,
    targets: &'a Targets<'a>,
    counts: Counts,
) -> Option<floor::Paired<'a>> {
    floor::Paired::new(
        table,
        operations,
        targets,
        measure::warm_events(counts.warm),
    )
}

/// The raw operations a function's handler makes for its sample event.
fn floor_of(package: &str) -> Vec<Operation> {
    match package {
        "get-book" => vec![Operation::GetItem],
        "list-books" => vec![Operation::QueryPage],
        "create-book" => vec![Operation::PutItem],
        "replace-book" => vec![Operation::UpdateItem],
        // The sample patch changes the genre alone: the store reads the author for the
        // byAuthorGenre key, then updates.
        "patch-book" => vec![Operation::GetItem, Operation::UpdateItem],
        "delete-book" => vec![Operation::MarkThenDelete],
        "book-history" => vec![Operation::QueryHistory],
        _ => Vec::new(),
    }
}

fn say(message: &str) {
    eprintln!("bench: {message}");
}
