//! What the figures were measured on: the machine, the load on it, the commit.

use std::path::Path;
use std::process::Command;

use crate::results::Meta;

/// The machine and the code, at the start of a run.
pub fn describe(root: &Path, quick: bool, cold_runs: usize, warm_invocations: usize) -> Meta {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|rest| rest.trim_start_matches([' ', '\t', ':']).to_owned())
        .unwrap_or_else(|| "unknown".to_owned());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let memory_kib: f64 = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_default();
    let dirty = output(root, "git", &["status", "--porcelain"]).is_some_and(|s| !s.is_empty());
    let commit = output(root, "git", &["rev-parse", "--short", "HEAD"]).unwrap_or_default();
    Meta {
        commit: if dirty {
            format!("{commit}+uncommitted changes")
        } else {
            commit
        },
        date: time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
        cpu,
        cores: std::thread::available_parallelism().map_or(1, usize::from),
        memory_gib: memory_kib / 1024.0 / 1024.0,
        kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .unwrap_or_default()
            .trim()
            .to_owned(),
        rustc: output(root, "rustc", &["--version"]).unwrap_or_default(),
        load: (load_average(), 0.0),
        cold_runs,
        warm_invocations,
        quick,
        seconds: 0.0,
        ..Meta::default()
    }
}

/// The 1-minute load average.
pub fn load_average() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|v| v.parse().ok()))
        .unwrap_or_default()
}

fn output(root: &Path, program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program)
        .args(args)
        .current_dir(root)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}
