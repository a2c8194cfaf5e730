//! A lease's cgroup: its limits, the way its supervisor enters it, and the kill that ends every
//! process of the lease at once (`cgroup.kill`, not a walk of a process list a daemon can race).
//!
//! The unified (v2) hierarchy is required: it holds the lease's membership and its kill switch.
//! Memory, pids and cpu limits are set where the host has the controller: in v2 on a host with
//! the unified layout (Debian 11 and later, Ubuntu 21.10 and later), in the v1 hierarchies on a
//! host with the hybrid layout (v2 mounted at `/sys/fs/cgroup/unified`, the controllers in v1,
//! as on this project's CI machines).

use super::limits::{CPU_PERIOD_US, Limits};
use std::fs::File;
use std::os::fd::{AsRawFd as _, RawFd};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The limits a lease is held to.
const CONTROLLERS: [&str; 3] = ["memory", "pids", "cpu"];

/// Why a cgroup operation failed.
#[derive(thiserror::Error, Debug)]
pub enum CgroupError {
    #[error(
        "no cgroup v2 (unified) hierarchy is mounted: a lease's processes could not be \
         ended together (mount cgroup2, as systemd does)"
    )]
    NoUnified,
    #[error("the {0} controller is in neither cgroup v2 nor v1 on this host")]
    NoController(&'static str),
    #[error("{0}: {1}")]
    Io(PathBuf, std::io::Error),
    #[error("processes of {0} survived cgroup.kill for 5 s")]
    Unkillable(PathBuf),
    #[error(
        "swap is on and {0} cannot be limited: a lease could spill past its memory into swap \
         (enable swap accounting: swapaccount=1, or turn swap off)"
    )]
    SwapUnlimited(PathBuf),
}

/// Whether the host has swap (`SwapTotal` in /proc/meminfo above zero).
fn swap_on() -> bool {
    std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find_map(|line| line.strip_prefix("SwapTotal:"))
        .and_then(|rest| rest.split_whitespace().next()?.parse::<u64>().ok())
        .is_some_and(|kib| kib > 0)
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> CgroupError + '_ {
    move |e| CgroupError::Io(path.to_path_buf(), e)
}

/// Where a controller's files live.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Place {
    Unified,
    /// A v1 hierarchy mounted here.
    V1(PathBuf),
}

/// The host's cgroup hierarchies, from `/proc/self/mountinfo`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hierarchies {
    unified: PathBuf,
    controllers: Vec<(&'static str, Place)>,
}

impl Hierarchies {
    /// Reads the host's layout. Every controller of [`CONTROLLERS`] must be somewhere: a lease
    /// is never started without its limits.
    pub fn detect() -> Result<Hierarchies, CgroupError> {
        let path = Path::new("/proc/self/mountinfo");
        let mountinfo = std::fs::read_to_string(path).map_err(io(path))?;
        let hierarchies = Hierarchies::parse(&mountinfo, |unified| {
            std::fs::read_to_string(unified.join("cgroup.controllers")).unwrap_or_default()
        })?;
        Ok(hierarchies)
    }

    /// The layout from a mountinfo text; `v2_controllers` reads a v2 mount's
    /// `cgroup.controllers`.
    fn parse(
        mountinfo: &str,
        v2_controllers: impl Fn(&Path) -> String,
    ) -> Result<Hierarchies, CgroupError> {
        let mut unified = None;
        let mut v1: Vec<(String, PathBuf)> = Vec::new();
        for line in mountinfo.lines() {
            // id parent major:minor root mountpoint options [optional...] - fstype source super
            let Some((left, right)) = line.split_once(" - ") else {
                continue;
            };
            let mount = left.split(' ').nth(4).map(PathBuf::from);
            let mut right = right.split(' ');
            let (Some(fstype), Some(mount)) = (right.next(), mount) else {
                continue;
            };
            match fstype {
                "cgroup2" if unified.is_none() => unified = Some(mount),
                "cgroup" => {
                    let options = right.nth(1).unwrap_or_default();
                    for option in options.split(',') {
                        v1.push((option.to_string(), mount.clone()));
                    }
                }
                _ => {}
            }
        }
        let unified = unified.ok_or(CgroupError::NoUnified)?;
        let in_v2 = v2_controllers(&unified);
        let mut controllers = Vec::new();
        for name in CONTROLLERS {
            let place = if in_v2.split_whitespace().any(|c| c == name) {
                Place::Unified
            } else if let Some((_, mount)) = v1.iter().find(|(option, _)| option == name) {
                Place::V1(mount.clone())
            } else {
                return Err(CgroupError::NoController(name));
            };
            controllers.push((name, place));
        }
        Ok(Hierarchies {
            unified,
            controllers,
        })
    }

    /// The lease's cgroup `<parent>/<name>` in every hierarchy it needs.
    pub fn lease(&self, parent: &str, name: &str) -> LeaseCgroup {
        let mut dirs = vec![self.unified.join(parent).join(name)];
        for (_, place) in &self.controllers {
            if let Place::V1(mount) = place {
                let dir = mount.join(parent).join(name);
                if !dirs.contains(&dir) {
                    dirs.push(dir);
                }
            }
        }
        LeaseCgroup {
            unified_root: self.unified.clone(),
            parent: parent.to_string(),
            dirs,
            controllers: self.controllers.clone(),
        }
    }

    /// Names of the lease cgroups under `parent` (those a crash may have left).
    pub fn leases(&self, parent: &str) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self.unified.join(parent)) else {
            return Vec::new();
        };
        let mut names: Vec<String> = entries
            .flatten()
            .filter(|entry| entry.file_type().is_ok_and(|kind| kind.is_dir()))
            .filter_map(|entry| entry.file_name().into_string().ok())
            .collect();
        names.sort();
        names
    }
}

/// One lease's cgroup, in the unified hierarchy and in any v1 hierarchy holding a controller.
#[derive(Clone, Debug)]
pub struct LeaseCgroup {
    unified_root: PathBuf,
    parent: String,
    /// The unified one first.
    dirs: Vec<PathBuf>,
    controllers: Vec<(&'static str, Place)>,
}

/// Files a supervisor writes itself into before it drops to the tenant (see [`Entry::enter`]).
pub struct Entry {
    files: Vec<File>,
}

impl Entry {
    /// Moves the calling process into the lease's cgroups: writes `0` (the writer) into each
    /// `cgroup.procs` opened beforehand. Only async-signal-safe calls: for a `pre_exec` hook.
    pub fn enter(&self) -> std::io::Result<()> {
        for file in &self.files {
            let fd: RawFd = file.as_raw_fd();
            // SAFETY: write(2) of a static buffer to an open descriptor.
            if unsafe { libc::write(fd, b"0".as_ptr().cast(), 1) } != 1 {
                return Err(std::io::Error::last_os_error());
            }
        }
        Ok(())
    }
}

fn write(path: &Path, value: &str) -> Result<(), CgroupError> {
    std::fs::write(path, value).map_err(io(path))
}

impl LeaseCgroup {
    fn unified(&self) -> &Path {
        &self.dirs[0]
    }

    fn dir_of(&self, controller: &str) -> PathBuf {
        match self
            .controllers
            .iter()
            .find(|(name, _)| *name == controller)
        {
            Some((_, Place::V1(mount))) => mount.join(&self.parent).join(self.name()),
            _ => self.unified().to_path_buf(),
        }
    }

    fn name(&self) -> &str {
        self.unified()
            .file_name()
            .and_then(|name| name.to_str())
            .unwrap_or_default()
    }

    fn v2_controllers(&self) -> Vec<&'static str> {
        self.controllers
            .iter()
            .filter(|(_, place)| *place == Place::Unified)
            .map(|(name, _)| *name)
            .collect()
    }

    /// Creates it (or finds it) and sets `limits`: memory without swap, pids, a CPU quota.
    pub fn create(&self, limits: &Limits) -> Result<(), CgroupError> {
        let v2 = self.v2_controllers();
        if !v2.is_empty() {
            // Each ancestor delegates the controllers to its children, from the root down.
            let enable = v2
                .iter()
                .map(|name| format!("+{name}"))
                .collect::<Vec<_>>()
                .join(" ");
            let mut dir = self.unified_root.clone();
            for part in self.parent.split('/') {
                write(&dir.join("cgroup.subtree_control"), &enable)?;
                dir.push(part);
                std::fs::create_dir_all(&dir).map_err(io(&dir))?;
            }
            write(&dir.join("cgroup.subtree_control"), &enable)?;
        }
        for dir in &self.dirs {
            std::fs::create_dir_all(dir).map_err(io(dir))?;
        }
        for (controller, place) in &self.controllers {
            let dir = self.dir_of(controller);
            match (*controller, place) {
                ("memory", Place::Unified) => {
                    write(&dir.join("memory.max"), &limits.memory_bytes.to_string())?;
                    let swap = dir.join("memory.swap.max");
                    match write(&swap, "0") {
                        Err(_) if swap_on() => return Err(CgroupError::SwapUnlimited(swap)),
                        other => other.or_else(ignore_missing)?,
                    }
                }
                ("memory", Place::V1(_)) => {
                    let bytes = limits.memory_bytes.to_string();
                    // memsw (memory + swap) may only be set at or above the memory limit, and a
                    // lowered memory limit must come after it; writing both twice settles it.
                    for _ in 0..2 {
                        let _ = std::fs::write(dir.join("memory.memsw.limit_in_bytes"), &bytes);
                        let _ = std::fs::write(dir.join("memory.limit_in_bytes"), &bytes);
                    }
                    let read = |file: &str| {
                        std::fs::read_to_string(dir.join(file))
                            .ok()
                            .and_then(|set| set.trim().parse::<u64>().ok())
                    };
                    if read("memory.limit_in_bytes") > Some(limits.memory_bytes) {
                        write(&dir.join("memory.limit_in_bytes"), &bytes)?;
                    }
                    if swap_on() && read("memory.memsw.limit_in_bytes") != Some(limits.memory_bytes)
                    {
                        return Err(CgroupError::SwapUnlimited(
                            dir.join("memory.memsw.limit_in_bytes"),
                        ));
                    }
                }
                ("pids", _) => write(&dir.join("pids.max"), &limits.pids_max.to_string())?,
                ("cpu", Place::Unified) => write(
                    &dir.join("cpu.max"),
                    &format!("{} {CPU_PERIOD_US}", limits.cpu_quota_us),
                )?,
                ("cpu", Place::V1(_)) => {
                    write(&dir.join("cpu.cfs_period_us"), &CPU_PERIOD_US.to_string())?;
                    write(
                        &dir.join("cpu.cfs_quota_us"),
                        &limits.cpu_quota_us.to_string(),
                    )?;
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Opens the `cgroup.procs` files a process writes itself into with [`Entry::enter`].
    pub fn entry(&self) -> Result<Entry, CgroupError> {
        let files = self
            .dirs
            .iter()
            .map(|dir| {
                let path = dir.join("cgroup.procs");
                std::fs::OpenOptions::new()
                    .write(true)
                    .open(&path)
                    .map_err(io(&path))
            })
            .collect::<Result<_, _>>()?;
        Ok(Entry { files })
    }

    /// Pids in it now (from the unified hierarchy: every process of the lease).
    pub fn pids(&self) -> Vec<i32> {
        std::fs::read_to_string(self.unified().join("cgroup.procs"))
            .unwrap_or_default()
            .lines()
            .filter_map(|line| line.trim().parse().ok())
            .collect()
    }

    /// Whether it exists and holds a process.
    pub fn populated(&self) -> bool {
        !self.pids().is_empty()
    }

    /// SIGKILLs every process in it at once and waits until it is empty (5 s at most).
    pub fn kill(&self) -> Result<(), CgroupError> {
        if !self.unified().exists() {
            return Ok(());
        }
        let kill = self.unified().join("cgroup.kill");
        if kill.exists() {
            write(&kill, "1")?;
        } else {
            // Before Linux 5.14: freeze, kill what is frozen, thaw so the kills land.
            let freeze = self.unified().join("cgroup.freeze");
            write(&freeze, "1")?;
            for pid in self.pids() {
                // SAFETY: kill(2) of a pid read from the cgroup; a gone pid yields ESRCH.
                unsafe { libc::kill(pid, libc::SIGKILL) };
            }
            write(&freeze, "0")?;
        }
        let start = Instant::now();
        while self.populated() {
            if start.elapsed() > Duration::from_secs(5) {
                return Err(CgroupError::Unkillable(self.unified().to_path_buf()));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        Ok(())
    }

    /// Kills what is left and removes it from every hierarchy. Removing a missing one succeeds.
    pub fn remove(&self) -> Result<(), CgroupError> {
        self.kill()?;
        for dir in &self.dirs {
            // v1 hierarchies empty a moment after the unified one.
            let start = Instant::now();
            loop {
                match std::fs::remove_dir(dir) {
                    Ok(()) => break,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => break,
                    Err(e) if start.elapsed() > Duration::from_secs(5) => {
                        return Err(CgroupError::Io(dir.clone(), e));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        }
        Ok(())
    }

    /// Processes of the lease the kernel killed for passing its memory limit (`oom_kill` of
    /// memory.events in v2, of memory.oom_control in v1).
    pub fn oom_kills(&self) -> u64 {
        let dir = self.dir_of("memory");
        ["memory.events", "memory.oom_control"]
            .iter()
            .filter_map(|file| std::fs::read_to_string(dir.join(file)).ok())
            .flat_map(|text| {
                text.lines()
                    .filter_map(|line| line.strip_prefix("oom_kill "))
                    .filter_map(|count| count.trim().parse::<u64>().ok())
                    .collect::<Vec<_>>()
            })
            .sum()
    }
}

fn ignore_missing(error: CgroupError) -> Result<(), CgroupError> {
    match &error {
        CgroupError::Io(_, e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        _ => Err(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HYBRID: &str = "\
25 1 0:23 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755
26 25 0:24 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
27 25 0:25 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
28 25 0:26 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
29 25 0:27 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
30 1 8:1 / / rw - ext4 /dev/vda rw";

    const UNIFIED: &str = "\
25 1 0:23 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate";

    #[test]
    fn a_hybrid_host_sets_limits_in_v1_and_kills_through_v2() {
        let layout = Hierarchies::parse(HYBRID, |_| "hugetlb".into()).unwrap();
        let lease = layout.lease("loopin", "lpn7");
        assert_eq!(
            lease.dirs,
            vec![
                PathBuf::from("/sys/fs/cgroup/unified/loopin/lpn7"),
                PathBuf::from("/sys/fs/cgroup/memory/loopin/lpn7"),
                PathBuf::from("/sys/fs/cgroup/pids/loopin/lpn7"),
                PathBuf::from("/sys/fs/cgroup/cpu,cpuacct/loopin/lpn7"),
            ]
        );
        assert_eq!(
            lease.dir_of("cpu"),
            PathBuf::from("/sys/fs/cgroup/cpu,cpuacct/loopin/lpn7")
        );
        assert!(lease.v2_controllers().is_empty());
    }

    #[test]
    fn a_unified_host_keeps_everything_in_v2() {
        let layout = Hierarchies::parse(UNIFIED, |_| "cpuset cpu io memory pids".into()).unwrap();
        let lease = layout.lease("loopin", "lpn7");
        assert_eq!(
            lease.dirs,
            vec![PathBuf::from("/sys/fs/cgroup/loopin/lpn7")]
        );
        assert_eq!(lease.v2_controllers(), vec!["memory", "pids", "cpu"]);
    }

    #[test]
    fn a_host_without_v2_or_without_a_controller_is_refused() {
        let v1_only: String = HYBRID
            .lines()
            .filter(|line| !line.contains("cgroup2"))
            .collect::<Vec<_>>()
            .join("\n");
        assert!(matches!(
            Hierarchies::parse(&v1_only, |_| String::new()),
            Err(CgroupError::NoUnified)
        ));
        assert!(matches!(
            Hierarchies::parse(UNIFIED, |_| "cpu memory".into()),
            Err(CgroupError::NoController("pids"))
        ));
    }
}
