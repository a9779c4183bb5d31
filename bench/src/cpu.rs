//! Lambda's CPU model, through cgroups: a function with `M` MB of memory gets `M / 1769` of
//! one CPU outside its init phase (init runs with burst CPU). The benchmark holds a process
//! to that share with a CFS quota from its first `invocation/next` on, and counts the CPU
//! time (user + system) of every process it runs, to the nanosecond, in an accounting
//! group of its own.
//!
//! cgroup v2 (`cpu.max`, `cpu.stat`) and v1 (`cpu.cfs_quota_us` in the `cpu` hierarchy,
//! `cpuacct.usage` in the `cpuacct` one) are both handled, whichever the machine mounts;
//! both need root. Where neither can be written, [`Cgroups::open`] says why, and the run
//! goes on with whole-CPU figures only.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The CFS period the quota is spread over (the kernel's default, 100 ms).
pub const PERIOD_US: u64 = 100_000;
/// Memory at which Lambda gives a function one whole vCPU.
pub const FULL_CPU_MB: u64 = 1_769;

/// How much CPU a process gets after its init.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum CpuModel {
    /// No quota: the whole machine (the benchmark's figures before this model).
    Whole,
    /// A 128 MB function: 128/1769 of one CPU (about 7.2 %).
    Mb128,
    /// A 1,769 MB function: exactly one CPU.
    Mb1769,
}

impl CpuModel {
    /// Every model, in report order.
    pub const ALL: [CpuModel; 3] = [CpuModel::Mb128, CpuModel::Whole, CpuModel::Mb1769];

    /// The memory setting this model stands for, if any.
    pub fn memory_mb(self) -> Option<u64> {
        match self {
            CpuModel::Whole => None,
            CpuModel::Mb128 => Some(128),
            CpuModel::Mb1769 => Some(FULL_CPU_MB),
        }
    }

    /// The CFS quota per [`PERIOD_US`], in µs (`None`: no quota).
    pub fn quota_us(self) -> Option<u64> {
        self.memory_mb()
            .map(|mb| (PERIOD_US * mb).div_ceil(FULL_CPU_MB))
    }

    /// How the report names it.
    pub fn label(self) -> &'static str {
        match self {
            CpuModel::Whole => "whole CPU",
            CpuModel::Mb128 => "128 MB (7.2 % of a CPU)",
            CpuModel::Mb1769 => "1,769 MB (one CPU)",
        }
    }

    /// A short name for folders and keys.
    fn slug(self) -> &'static str {
        match self {
            CpuModel::Whole => "whole",
            CpuModel::Mb128 => "mb128",
            CpuModel::Mb1769 => "mb1769",
        }
    }
}

/// Why the CPU model cannot be applied on this machine.
#[derive(Debug, thiserror::Error)]
pub enum CgroupError {
    /// Neither a cgroup v2 with the `cpu` controller nor v1 `cpu` and `cpuacct` hierarchies.
    #[error("no cgroup v2 `cpu` controller and no v1 `cpu`/`cpuacct` hierarchies are mounted")]
    NotMounted,
    /// A cgroup file could not be read or written (not root, read-only, …).
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What the kernel said.
        source: std::io::Error,
    },
    /// A counter file held something else than a number.
    #[error("{0}: not a CPU usage counter")]
    Counter(PathBuf),
}

/// Which cgroup interface the machine has.
#[derive(Debug, Clone)]
enum Layout {
    /// One hierarchy: a folder per model under ours, each with `cpu.max` and `cpu.stat`.
    V2 { root: PathBuf },
    /// `cpu` (quota, one folder per throttled model) and `cpuacct` (one accounting folder).
    V1 { cpu: PathBuf, cpuacct: PathBuf },
}

/// The benchmark's cgroups: one per CPU model, and the accounting of the process in them.
#[derive(Debug)]
pub struct Cgroups {
    layout: Layout,
    /// Numbers the per-process groups.
    sequence: std::sync::atomic::AtomicU64,
    /// What was created, removed again (deepest first) when dropped.
    created: Vec<PathBuf>,
}

/// A folder name unique to this benchmark process.
fn own_name() -> String {
    format!("bookshelf-bench-{}", std::process::id())
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> CgroupError + '_ {
    move |source| CgroupError::Io {
        path: path.to_owned(),
        source,
    }
}

fn write(path: &Path, value: &str) -> Result<(), CgroupError> {
    fs::write(path, value).map_err(io(path))
}

fn read(path: &Path) -> Result<String, CgroupError> {
    fs::read_to_string(path).map_err(io(path))
}

impl Cgroups {
    /// Creates the groups under the machine's cgroup mount (`/sys/fs/cgroup`).
    ///
    /// # Errors
    /// When no usable hierarchy is mounted or the groups cannot be created (not root).
    pub fn open() -> Result<Cgroups, CgroupError> {
        Cgroups::open_under(Path::new("/sys/fs/cgroup"))
    }

    fn open_under(mount: &Path) -> Result<Cgroups, CgroupError> {
        let v2_controllers = fs::read_to_string(mount.join("cgroup.controllers")).ok();
        let layout = if v2_controllers.is_some_and(|c| c.split_whitespace().any(|c| c == "cpu")) {
            Layout::V2 {
                root: mount.join(own_name()),
            }
        } else if mount.join("cpu/cpu.cfs_quota_us").is_file()
            && mount.join("cpuacct/cpuacct.usage").is_file()
        {
            Layout::V1 {
                cpu: mount.join("cpu").join(own_name()),
                cpuacct: mount.join("cpuacct").join(own_name()),
            }
        } else {
            return Err(CgroupError::NotMounted);
        };
        let mut groups = Cgroups {
            layout,
            sequence: std::sync::atomic::AtomicU64::new(0),
            created: Vec::new(),
        };
        groups.create()?;
        Ok(groups)
    }

    fn make(&mut self, dir: PathBuf) -> Result<(), CgroupError> {
        fs::create_dir(&dir).map_err(io(&dir))?;
        self.created.push(dir);
        Ok(())
    }

    fn create(&mut self) -> Result<(), CgroupError> {
        match self.layout.clone() {
            Layout::V2 { root } => {
                if let Some(parent) = root.parent() {
                    // The controller must be on for the children of every level above.
                    write(&parent.join("cgroup.subtree_control"), "+cpu")?;
                }
                self.make(root.clone())?;
                write(&root.join("cgroup.subtree_control"), "+cpu")?;
            }
            Layout::V1 { cpu, cpuacct } => {
                self.make(cpuacct)?;
                self.make(cpu)?;
            }
        }
        Ok(())
    }

    /// Which interface is in use, for the report.
    pub fn describe(&self) -> String {
        match &self.layout {
            Layout::V2 { .. } => format!("cgroup v2 `cpu.max` (period {PERIOD_US} µs)"),
            Layout::V1 { .. } => {
                format!("cgroup v1 `cpu.cfs_quota_us` (period {PERIOD_US} µs), `cpuacct.usage`")
            }
        }
    }

    /// Puts process `pid` (all its threads) under `model`, in a group of its own (a fresh
    /// quota, as a new Lambda sandbox has: a process placed in a group that another used
    /// moments ago would find that period's quota spent), and into the accounting. The
    /// group goes when the returned [`Placement`] is dropped, after the process has ended.
    ///
    /// # Errors
    /// When the group cannot be made or the process moved (it has exited).
    pub fn place(&self, pid: u32, model: CpuModel) -> Result<Placement, CgroupError> {
        let number = self
            .sequence
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let pid = pid.to_string();
        let leaf = |parent: &Path| parent.join(format!("{}-{number}", model.slug()));
        match &self.layout {
            Layout::V2 { root } => {
                let dir = leaf(root);
                fs::create_dir(&dir).map_err(io(&dir))?;
                let placement = Placement { dir: Some(dir) };
                let dir = placement.dir.as_deref().unwrap_or(root);
                let max = model.quota_us().map_or_else(
                    || format!("max {PERIOD_US}"),
                    |q| format!("{q} {PERIOD_US}"),
                );
                write(&dir.join("cpu.max"), &max)?;
                write(&dir.join("cgroup.procs"), &pid)?;
                Ok(placement)
            }
            Layout::V1 { cpu, cpuacct } => {
                write(&cpuacct.join("cgroup.procs"), &pid)?;
                let Some(quota) = model.quota_us() else {
                    return Ok(Placement { dir: None });
                };
                let dir = leaf(cpu);
                fs::create_dir(&dir).map_err(io(&dir))?;
                let placement = Placement { dir: Some(dir) };
                let dir = placement.dir.as_deref().unwrap_or(cpu);
                write(&dir.join("cpu.cfs_period_us"), &PERIOD_US.to_string())?;
                write(&dir.join("cpu.cfs_quota_us"), &quota.to_string())?;
                write(&dir.join("cgroup.procs"), &pid)?;
                Ok(placement)
            }
        }
    }

    /// CPU time (user + system) used so far by every process ever placed in the groups.
    /// The benchmark runs one process at a time, so a difference of two readings is that
    /// process's CPU time between them.
    ///
    /// # Errors
    /// When a counter cannot be read.
    pub fn usage(&self) -> Result<Duration, CgroupError> {
        match &self.layout {
            Layout::V2 { root } => {
                // A parent's `cpu.stat` counts its whole subtree, removed children too.
                let path = root.join("cpu.stat");
                let micros = read(&path)?
                    .lines()
                    .find_map(|line| line.strip_prefix("usage_usec "))
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .ok_or_else(|| CgroupError::Counter(path.clone()))?;
                Ok(Duration::from_micros(micros))
            }
            Layout::V1 { cpuacct, .. } => {
                let path = cpuacct.join("cpuacct.usage");
                let nanos = read(&path)?
                    .trim()
                    .parse::<u64>()
                    .map_err(|_| CgroupError::Counter(path.clone()))?;
                Ok(Duration::from_nanos(nanos))
            }
        }
    }
}

/// One process's own CPU group (none for a whole CPU on cgroup v1), removed when dropped.
#[derive(Debug)]
pub struct Placement {
    dir: Option<PathBuf>,
}

impl Drop for Placement {
    fn drop(&mut self) {
        if let Some(dir) = &self.dir {
            let _ = fs::remove_dir(dir);
        }
    }
}

impl Drop for Cgroups {
    fn drop(&mut self) {
        // A group can only be removed once its processes are gone; the benchmark has
        // stopped them all by now. Deepest first.
        for dir in self.created.iter().rev() {
            let _ = fs::remove_dir(dir);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_128_mb_function_gets_128_1769ths_of_a_cpu() {
        assert_eq!(CpuModel::Mb128.quota_us(), Some(7_236));
        assert_eq!(CpuModel::Mb1769.quota_us(), Some(PERIOD_US));
        assert_eq!(CpuModel::Whole.quota_us(), None);
    }

    #[test]
    fn a_busy_process_under_the_128_mb_model_gets_about_7_percent_of_a_cpu() {
        // Needs root and a cgroup mount; elsewhere the model is reported as not applied,
        // which the next test covers.
        let Ok(groups) = Cgroups::open() else {
            return;
        };
        let mut child = std::process::Command::new("sh")
            .args(["-c", "while :; do :; done"])
            .spawn()
            .expect("a busy shell");
        let placement = groups.place(child.id(), CpuModel::Mb128).expect("placed");
        let before = groups.usage().expect("usage");
        std::thread::sleep(Duration::from_millis(1_000));
        let used = groups.usage().expect("usage") - before;
        let _ = child.kill();
        let _ = child.wait();
        drop(placement);
        // 7.2 % of 1 s is 72 ms; allow a period's worth either way.
        assert!(
            used > Duration::from_millis(30) && used < Duration::from_millis(180),
            "{used:?}"
        );
    }

    #[test]
    fn a_machine_without_cgroups_is_told_apart() {
        let empty = std::env::temp_dir().join(format!("no-cgroups-{}", uuid::Uuid::new_v4()));
        fs::create_dir_all(&empty).expect("a temporary folder");
        let result = Cgroups::open_under(&empty);
        assert!(matches!(result, Err(CgroupError::NotMounted)), "{result:?}");
        let _ = fs::remove_dir(&empty);
    }
}
