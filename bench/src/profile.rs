//! Where a function's CPU goes while warm: `perf record` (Debian's `linux-perf`, software
//! `cpu-clock` event, so it works in a VM without a PMU) attached to one warm process
//! built with symbols (the `profiling` profile: release, not stripped), then `perf report`
//! grouped by crate and by symbol. The raw report is kept in `target/bench/`.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::process::Command;

use crate::Error;
use crate::events::{Events, check};
use crate::sandbox::{Launch, Sandbox};

/// Samples per second of CPU time.
const FREQUENCY: &str = "9999";
/// Symbols listed per profile.
const TOP: usize = 15;
/// Symbols listed by inclusive share (their own samples and their callees').
const TOP_INCLUSIVE: usize = 25;

/// One function's profile.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Profile {
    /// The function (crate name).
    pub function: String,
    /// Warm invocations profiled.
    pub invocations: usize,
    /// Samples taken.
    pub samples: u64,
    /// Share of samples (%) by crate (`kernel` for the kernel, `C library` for libc).
    pub by_crate: Vec<(String, f64)>,
    /// Share of samples (%) of the busiest symbols.
    pub top: Vec<(String, f64)>,
    /// Share of samples (%) in each symbol or anything it called (from the call graphs):
    /// which layer the CPU goes through, not only where it lands.
    #[serde(default)]
    pub inclusive: Vec<(String, f64)>,
}

/// Profiles `count` warm invocations of `launch` (a binary with symbols), after 20
/// untimed ones; the raw report goes to `raw_report`.
///
/// # Errors
/// When perf is missing or fails, or the function fails.
pub async fn record(
    launch: &Launch,
    package: &str,
    events: &mut Events,
    count: usize,
    raw_report: &Path,
) -> Result<Profile, Error> {
    let data = raw_report.with_extension("data");
    let mut sandbox = Sandbox::start(launch).await?;
    let outcome = profile_in(&mut sandbox, package, events, count, &data).await;
    sandbox.stop().await;
    outcome?;
    // Self shares, then inclusive ones (`--children`); call chains are not printed.
    let text = perf_report(&data, &["--no-children"], raw_report).await?;
    let children = perf_report(
        &data,
        &["--children", "--no-inline", "--percent-limit", "0.5"],
        &raw_report.with_extension("children.txt"),
    )
    .await?;
    let mut profile = parse(&text);
    profile.inclusive = parse_children(&children);
    profile.function = package.to_owned();
    profile.invocations = count;
    Ok(profile)
}

/// `perf report --stdio --sort sym -g none` of `data` with `options`, kept at `keep_at`.
async fn perf_report(data: &Path, options: &[&str], keep_at: &Path) -> Result<String, Error> {
    let report = Command::new("perf")
        .args(["report", "--stdio", "--sort", "sym", "-g", "none"])
        .args(options)
        .arg("-i")
        .arg(data)
        .stderr(Stdio::null())
        .output()
        .await?;
    if !report.status.success() {
        return Err(format!("perf report {options:?} failed: {}", report.status).into());
    }
    let text = String::from_utf8_lossy(&report.stdout).into_owned();
    std::fs::write(keep_at, &text)?;
    Ok(text)
}

async fn profile_in(
    sandbox: &mut Sandbox,
    package: &str,
    events: &mut Events,
    count: usize,
    data: &Path,
) -> Result<(), Error> {
    sandbox.ready().await?;
    for _ in 0..20 {
        let answer = sandbox.invoke(events.next_event()).await?;
        check(package, &answer.body)?;
    }
    let pid = sandbox.pid().ok_or("the process has exited")?;
    let mut perf = Command::new("perf")
        // Call graphs unwound from copies of the stack (DWARF CFI, which release builds
        // keep): frame pointers would need every crate rebuilt.
        .args(["record", "-e", "cpu-clock", "-F", FREQUENCY])
        .args(["--call-graph", "dwarf,16384", "-o"])
        .arg(data)
        .args(["-p", &pid.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot run perf (bench/setup.sh installs it): {e}"))?;
    // perf attaches asynchronously; give it time before the first timed invocation.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut result = Ok(());
    for _ in 0..count {
        let answer = sandbox.invoke(events.next_event()).await?;
        if let Err(e) = check(package, &answer.body) {
            result = Err(e.into());
            break;
        }
    }
    if let Some(perf_pid) = perf.id().and_then(|p| i32::try_from(p).ok()) {
        // SAFETY: a signal to the perf process this function started.
        unsafe {
            libc::kill(perf_pid, libc::SIGINT);
        }
    }
    let status = perf.wait().await?;
    // perf stops on SIGINT and may report it as its exit status; the data is complete.
    let interrupted = std::os::unix::process::ExitStatusExt::signal(&status) == Some(libc::SIGINT);
    if !status.success() && !interrupted {
        return Err(format!("perf record failed: {status}").into());
    }
    result
}

/// Reads `perf report --stdio --no-children --sort sym` output.
fn parse(text: &str) -> Profile {
    let mut samples = 0;
    let mut symbols: Vec<(String, f64)> = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# Samples: ") {
            samples = rest
                .split_whitespace()
                .next()
                .and_then(abbreviated)
                .unwrap_or_default();
            continue;
        }
        let line = line.trim();
        let Some((share, rest)) = line.split_once('%') else {
            continue;
        };
        let Ok(share) = share.trim().parse::<f64>() else {
            continue;
        };
        let rest = rest.trim();
        let (kernel, symbol) = match rest.split_once("] ") {
            Some((kind, symbol)) => (kind.ends_with('k'), symbol.trim()),
            None => (false, rest),
        };
        let name = if kernel {
            format!("[kernel] {symbol}")
        } else {
            symbol.to_owned()
        };
        symbols.push((name, share));
    }
    let mut by_crate: Vec<(String, f64)> = Vec::new();
    for (symbol, share) in &symbols {
        let group = crate_of(symbol);
        match by_crate.iter_mut().find(|(name, _)| *name == group) {
            Some(entry) => entry.1 += share,
            None => by_crate.push((group, *share)),
        }
    }
    by_crate.sort_by(|a, b| b.1.total_cmp(&a.1));
    symbols.sort_by(|a, b| b.1.total_cmp(&a.1));
    symbols.truncate(TOP);
    Profile {
        function: String::new(),
        invocations: 0,
        samples,
        by_crate,
        top: symbols,
        inclusive: Vec::new(),
    }
}

/// Reads `perf report --stdio --children --sort sym -g none` output: the symbols with the
/// largest inclusive shares (the first column).
fn parse_children(text: &str) -> Vec<(String, f64)> {
    let mut symbols: Vec<(String, f64)> = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        let Some((children, rest)) = line.split_once('%') else {
            continue;
        };
        let Ok(children) = children.trim().parse::<f64>() else {
            continue;
        };
        // The self share, then the symbol.
        let Some((_, rest)) = rest.split_once('%') else {
            continue;
        };
        let rest = rest.trim();
        let name = match rest.split_once("] ") {
            Some((kind, symbol)) if kind.ends_with('k') => format!("[kernel] {}", symbol.trim()),
            Some((_, symbol)) => symbol.trim().to_owned(),
            None => rest.to_owned(),
        };
        if !is_root_frame(&name) {
            symbols.push((name, children));
        }
    }
    symbols.sort_by(|a, b| b.1.total_cmp(&a.1));
    symbols.truncate(TOP_INCLUSIVE);
    symbols
}

/// Frames every sample passes through (the C runtime's start, Rust's `main`) or that
/// only mark where unwinding stopped (`0xffffffffffffffff`): they say nothing of where the
/// CPU goes.
fn is_root_frame(symbol: &str) -> bool {
    symbol.starts_with("0x")
        || symbol == "_start"
        || symbol == "main"
        || symbol.starts_with("__libc_start")
        || symbol.starts_with("std::rt::lang_start")
        || symbol.starts_with("std::sys::backtrace::__rust_begin_short_backtrace")
}

/// A count as perf prints it: `1234`, `12K`, `3M`.
fn abbreviated(count: &str) -> Option<u64> {
    let (digits, scale) = match count.chars().last()? {
        'K' => (&count[..count.len() - 1], 1_000),
        'M' => (&count[..count.len() - 1], 1_000_000),
        _ => (count, 1),
    };
    digits.parse::<u64>().ok().map(|n| n * scale)
}

/// The crate a demangled symbol comes from: `kernel`, a Rust crate (the first path
/// segment, inside any `<…>`), or `C library / other` for unmangled names and addresses.
fn crate_of(symbol: &str) -> String {
    if symbol.starts_with("[kernel]") {
        return "kernel".to_owned();
    }
    // A drop belongs to the type it drops, not to `core`.
    let symbol = symbol
        .strip_prefix("core::ptr::drop_in_place<")
        .unwrap_or(symbol);
    let path = symbol
        .trim_start_matches(['<', '&', '*'])
        .trim_start_matches("dyn ");
    match path.split_once("::") {
        Some((first, _)) if !first.is_empty() && !first.contains(' ') => first.to_owned(),
        _ => "C library / other".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPORT: &str = "\
# Samples: 12K of event 'cpu-clock'
#
# Overhead  Symbol
# ........  ......
#
    30.00%  [.] aws_smithy_runtime::client::orchestrator::invoke
    15.00%  [.] <aws_smithy_runtime::client::Foo as core::Bar>::call
     5.00%  [.] core::ptr::drop_in_place<aws_smithy_runtime::client::Foo>
    15.50%  [k] clear_page_erms
    10.00%  [.] serde_json::de::from_slice
     4.00%  [.] __memmove_avx_unaligned_erms
     0.50%  [.] 0x0000000000412345
";

    #[test]
    fn samples_are_grouped_by_crate() {
        let profile = parse(REPORT);
        assert_eq!(profile.samples, 12_000);
        assert_eq!(profile.by_crate[0].0, "aws_smithy_runtime");
        assert!(
            (profile.by_crate[0].1 - 50.0).abs() < 1e-9,
            "{:?}",
            profile.by_crate
        );
        let kernel = profile.by_crate.iter().find(|(c, _)| c == "kernel");
        assert!(kernel.is_some_and(|(_, share)| (share - 15.5).abs() < 1e-9));
        let other = profile
            .by_crate
            .iter()
            .find(|(c, _)| c == "C library / other");
        assert!(other.is_some_and(|(_, share)| (share - 4.5).abs() < 1e-9));
        assert_eq!(profile.top.len(), 7);
    }

    #[test]
    fn inclusive_shares_are_read_from_the_children_column() {
        let report = "\
# Children      Self  Symbol
# ........  ........  ......
#
    12.50%     1.00%  [.] aws_smithy_runtime::client::orchestrator::invoke
    90.00%     0.00%  [.] main
    71.60%     0.00%  [.] 0xffffffffffffffff
    60.00%     0.00%  [.] get_book::main
     3.25%     3.25%  [k] finish_task_switch.isra.0
";
        let inclusive = parse_children(report);
        assert_eq!(
            inclusive,
            vec![
                ("get_book::main".to_owned(), 60.0),
                (
                    "aws_smithy_runtime::client::orchestrator::invoke".to_owned(),
                    12.5
                ),
                ("[kernel] finish_task_switch.isra.0".to_owned(), 3.25),
            ]
        );
    }
}
