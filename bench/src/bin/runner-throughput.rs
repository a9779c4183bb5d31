//! `make bench-runner`: the local runner's throughput with release binaries. 16 clients
//! (keep-alive, signed in) send requests back to back for a fixed time to a read route
//! (`GET /books/{id}`) and a write route (`POST /books`), first with Lambda's scaling (an
//! instance per concurrent request), then with one instance per function (the runner
//! before it scaled out), in the same run against the same in-memory DynamoDB Local.
//! Prints requests/s, p50 and p99 per series and the instances each function reached, and
//! writes them to `docs/RUNNER-BENCHMARK.md`. Figures, not assertions.
//!
//! ```text
//! cargo build --release -p bookshelf-local -p get-book -p create-book
//! cargo run --release -p bookshelf-bench --bin runner-throughput -- [--clients 16] [--seconds 10]
//! ```

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bookshelf_local::dynamodb_local::{DynamoDbLocal, Storage};
use bookshelf_local::workspace;
use bookshelf_testing::{LocalApi, LocalApiOptions};
use clap::Parser;
use serde_json::json;

type Error = Box<dyn std::error::Error + Send + Sync>;

/// The functions the routes under test need; the template is cut down to them, so that
/// only they need release builds.
const FUNCTIONS: &[&str] = &["GetBookFunction", "CreateBookFunction"];
/// Books read by the read series.
const SEEDED_BOOKS: usize = 100;

/// Measures the local runner's throughput with release binaries.
#[derive(Debug, Parser)]
#[command(about)]
struct Args {
    /// Concurrent clients.
    #[arg(long, default_value_t = 16)]
    clients: usize,
    /// Seconds each series runs (after one second of warm-up).
    #[arg(long, default_value_t = 10)]
    seconds: u64,
}

/// One series' figures.
struct Series {
    mode: &'static str,
    route: &'static str,
    requests: usize,
    per_second: f64,
    p50: Duration,
    p99: Duration,
    failures: usize,
    instances: u64,
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> Result<(), Error> {
    let args = Args::parse();
    let root = workspace::root();
    let release = workspace::binary_dir(&root, true);
    for binary in ["bookshelf-local", "get-book", "create-book"] {
        if !release.join(binary).is_file() {
            return Err(format!(
                "{} is missing: cargo build --release -p bookshelf-local -p get-book -p create-book",
                release.join(binary).display()
            )
            .into());
        }
    }
    let template = cut_template(&root)?;
    let dynamodb = DynamoDbLocal::start(&root, &Storage::InMemory).await?;

    let mut results = Vec::new();
    for (mode, serve_args) in [
        ("scaled out (Lambda's model)", vec![]),
        (
            "one instance per function, requests queued (the runner before)",
            vec!["--max-instances", "1", "--when-busy", "queue"],
        ),
    ] {
        let api = Arc::new(
            LocalApi::start_against(
                LocalApiOptions {
                    template: template.clone(),
                    bin_dir: release.clone(),
                    serve_args: serve_args.iter().map(|a| (*a).to_owned()).collect(),
                    ..LocalApiOptions::default()
                },
                dynamodb.endpoint(),
            )
            .await,
        );
        let mut ids = Vec::new();
        for n in 0..SEEDED_BOOKS {
            let created = api
                .post_json(
                    "/books",
                    &json!({"title": format!("Seed {n}"), "author": "Bench"}),
                )
                .await;
            ids.push(created.json()["id"].as_str().unwrap_or_default().to_owned());
        }
        let ids = Arc::new(ids);
        for route in ["GET /books/{id}", "POST /books"] {
            let function = if route.starts_with("GET") {
                "GetBookFunction"
            } else {
                "CreateBookFunction"
            };
            let warm_up = run(&api, &ids, route, args.clients, Duration::from_secs(1)).await;
            drop(warm_up);
            let started = Instant::now();
            let mut latencies = run(
                &api,
                &ids,
                route,
                args.clients,
                Duration::from_secs(args.seconds),
            )
            .await;
            let elapsed = started.elapsed();
            let failures = latencies.iter().filter(|(_, ok)| !ok).count();
            let mut times: Vec<Duration> = latencies.drain(..).map(|(t, _)| t).collect();
            times.sort_unstable();
            let stats = api.function_stats(function).await;
            let series = Series {
                mode,
                route,
                requests: times.len(),
                per_second: times.len() as f64 / elapsed.as_secs_f64(),
                p50: percentile(&times, 0.50),
                p99: percentile(&times, 0.99),
                failures,
                instances: stats["peakInstances"].as_u64().unwrap_or(0),
            };
            eprintln!(
                "{mode}, {route}: {:.0} requests/s, p50 {:.2} ms, p99 {:.2} ms, {} instances",
                series.per_second,
                millis(series.p50),
                millis(series.p99),
                series.instances
            );
            results.push(series);
        }
    }
    dynamodb.stop().await;

    let report = report(&results, &args);
    println!("{report}");
    let path = root.join("docs/RUNNER-BENCHMARK.md");
    std::fs::write(&path, &report)?;
    println!("written to {}", path.display());
    Ok(())
}

/// `clients` clients sending `route` back to back for `length`; each request's latency
/// and whether it was answered 2xx.
async fn run(
    api: &Arc<LocalApi>,
    ids: &Arc<Vec<String>>,
    route: &'static str,
    clients: usize,
    length: Duration,
) -> Vec<(Duration, bool)> {
    let until = Instant::now() + length;
    let tasks: Vec<_> = (0..clients)
        .map(|client| {
            let (api, ids) = (api.clone(), ids.clone());
            tokio::spawn(async move {
                let mut seen = Vec::new();
                let mut n = client;
                while Instant::now() < until {
                    let started = Instant::now();
                    let response = if route.starts_with("GET") {
                        api.get(&format!("/books/{}", ids[n % ids.len()])).await
                    } else {
                        let body =
                            json!({"title": format!("Bench {client}-{n}"), "author": "Bench"});
                        api.post_json("/books", &body).await
                    };
                    seen.push((started.elapsed(), (200..300).contains(&response.status)));
                    n += clients;
                }
                seen
            })
        })
        .collect();
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.unwrap_or_default());
    }
    all
}

/// template.yaml with only [`FUNCTIONS`] (CodeUri made absolute), written under
/// `target/bench/`.
fn cut_template(root: &Path) -> Result<PathBuf, Error> {
    let text = std::fs::read_to_string(root.join("template.yaml"))?;
    let mut template: serde_norway::Value = serde_norway::from_str(&text)?;
    let resources = template
        .get_mut("Resources")
        .and_then(serde_norway::Value::as_mapping_mut)
        .ok_or("template.yaml has no Resources")?;
    resources.retain(|name, resource| {
        let is_function = resource.get("Type").and_then(serde_norway::Value::as_str)
            == Some("AWS::Serverless::Function");
        !is_function || name.as_str().is_some_and(|name| FUNCTIONS.contains(&name))
    });
    for (_, resource) in resources.iter_mut() {
        if let Some(code_uri) = resource
            .get_mut("Properties")
            .and_then(|p| p.get_mut("CodeUri"))
            && let Some(relative) = code_uri.as_str()
        {
            *code_uri = serde_norway::Value::String(root.join(relative).display().to_string());
        }
    }
    let dir = workspace::target_dir(root).join("bench");
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("runner-template.yaml");
    std::fs::write(&path, serde_norway::to_string(&template)?)?;
    Ok(path)
}

/// The latency below which `quantile` of the sorted samples fall (nearest rank).
fn percentile(sorted: &[Duration], quantile: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (quantile * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

fn report(results: &[Series], args: &Args) -> String {
    let machine = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, model)| model.trim().to_owned())
        })
        .unwrap_or_default();
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let load = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "unknown".to_owned());
    let mut out = format!(
        "# The local runner's throughput\n\n\
         `make bench-runner`: {} clients (keep-alive, signed in with a write token) send \
         requests back to back for {} s per series, after 1 s of warm-up, through \
         `bookshelf-local serve` with release builds of the runner and the functions, against \
         an in-memory DynamoDB Local; the template cut down to the two functions measured. \
         Both modes in the same run, one after the other. Latency is measured at the client \
         (request sent to response read), percentiles by nearest rank. Machine: {machine}, \
         {cores} cores, load average {load} at the end (other work on the machine slows both \
         modes alike). Figures, not assertions.\n\n\
         | mode | route | requests | requests/s | p50 ms | p99 ms | non-2xx | instances reached |\n\
         |---|---|---:|---:|---:|---:|---:|---:|\n",
        args.clients, args.seconds
    );
    for s in results {
        out.push_str(&format!(
            "| {} | `{}` | {} | {:.0} | {:.2} | {:.2} | {} | {} |\n",
            s.mode,
            s.route,
            s.requests,
            s.per_second,
            millis(s.p50),
            millis(s.p99),
            s.failures,
            s.instances
        ));
    }
    out
}
