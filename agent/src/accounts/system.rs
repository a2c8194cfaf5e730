//! What the account code asks of the system: `/etc/passwd` and `/etc/group`, the shadow
//! utilities, and the processes and files an account leaves.

use super::error::AccountError;
use crate::username::Username;
use std::os::unix::fs::MetadataExt as _;
use std::path::Path;
use std::process::Command;

/// One line of `/etc/passwd`.
pub(super) struct PasswdEntry {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    pub gecos: String,
}

pub(super) fn read_passwd(path: &Path) -> Result<Vec<PasswdEntry>, AccountError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| AccountError::Io(path.display().to_string(), e))?;
    Ok(text
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split(':').collect();
            if fields.len() != 7 {
                return None;
            }
            Some(PasswdEntry {
                name: fields[0].to_string(),
                uid: fields[2].parse().ok()?,
                gid: fields[3].parse().ok()?,
                gecos: fields[4].to_string(),
            })
        })
        .collect())
}

fn run(program: &str, args: &[&str]) -> Result<std::process::Output, AccountError> {
    Command::new(program)
        .args(args)
        .output()
        .map_err(|e| AccountError::Io(program.to_string(), e))
}

pub(super) fn run_ok(program: &str, args: &[&str]) -> Result<(), AccountError> {
    let out = run(program, args)?;
    if out.status.success() {
        return Ok(());
    }
    Err(AccountError::Command {
        command: format!("{program} {}", args.join(" ")),
        stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
    })
}

/// Ids of the groups named in `names` that exist on the host (in `/etc/group`).
pub(super) fn group_ids(names: &[String]) -> Vec<(String, u32)> {
    let groups = std::fs::read_to_string("/etc/group").unwrap_or_default();
    names
        .iter()
        .filter_map(|name| {
            groups.lines().find_map(|line| {
                let mut fields = line.split(':');
                (fields.next() == Some(name.as_str()))
                    .then(|| fields.nth(1)?.parse().ok())
                    .flatten()
                    .map(|gid| (name.clone(), gid))
            })
        })
        .collect()
}

/// Live (not zombie) processes whose real or effective uid is `uid`, from `/proc`.
pub(super) fn live_processes(uid: u32) -> Vec<i32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
                return false;
            };
            let field = |name: &str| {
                status
                    .lines()
                    .find_map(|line| line.strip_prefix(name))
                    .map(str::trim)
            };
            let zombie = field("State:").is_some_and(|state| state.starts_with('Z'));
            let owned = field("Uid:").is_some_and(|uids| {
                uids.split_whitespace()
                    .take(2)
                    .any(|id| id.parse() == Ok(uid))
            });
            owned && !zombie
        })
        .collect()
}

/// SIGKILLs every process of `uid` (its ssh sessions included) until none is left alive;
/// zombies are their parents' to reap.
pub(super) fn kill_processes(user: &Username, uid: u32) -> Result<(), AccountError> {
    for _ in 0..250 {
        let pids = live_processes(uid);
        if pids.is_empty() {
            return Ok(());
        }
        for pid in pids {
            // SAFETY: kill(2) with a pid read from /proc; a pid that has exited meanwhile only
            // yields ESRCH.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    Err(AccountError::Unkillable(user.to_string()))
}

/// Removes what `uid` owns under `dir`, without following symlinks. Best effort: a file that
/// cannot be removed is logged.
pub(super) fn remove_owned(dir: &Path, uid: u32) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        let removed = if meta.uid() != uid {
            if meta.file_type().is_dir() {
                remove_owned(&path, uid);
            }
            continue;
        } else if meta.file_type().is_dir() {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
        if let Err(error) = removed {
            tracing::warn!(path = %path.display(), %error, "left behind by a removed account");
        }
    }
}
