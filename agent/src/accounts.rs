//! Linux accounts for leases: created with the client's SSH key and the GPU groups, removed with
//! their processes and every file they own.
//!
//! An account is managed only if its name is `<prefix><order>` ([`Username`]) and its GECOS
//! field carries [`MARKER`]: an account someone else created is never changed or removed. A
//! root-owned marker file in the agent's state directory records that provisioning finished, so a
//! crash between `useradd` and the key install is finished on restart, not repeated.

use crate::username::{Username, UsernameError};
use loopin::access::SshPublicKey;
use std::fs::{DirBuilder, OpenOptions};
use std::io::Write as _;
use std::os::unix::fs::{DirBuilderExt as _, MetadataExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};
use std::process::Command;

/// GECOS marker of managed accounts.
pub const MARKER: &str = "loopin-agent";
/// Options every installed key carries: no forwarding of any kind (the prover's port and the
/// host's loopback stay out of reach), no `~/.ssh/rc`; a terminal is allowed.
pub const KEY_OPTIONS: &str = "restrict,pty";
/// Shared directories searched for files a removed account left behind.
const SHARED_DIRS: [&str; 3] = ["/tmp", "/var/tmp", "/dev/shm"];

/// Why an account operation failed.
#[derive(thiserror::Error, Debug)]
pub enum AccountError {
    #[error(transparent)]
    Username(#[from] UsernameError),
    #[error("{0}: {1}")]
    Io(String, std::io::Error),
    #[error("{command} failed: {stderr}")]
    Command { command: String, stderr: String },
    #[error("{0} exists but was not created by the agent; refusing to touch it")]
    Foreign(String),
    #[error("unsafe path {0}: a symlink or not a directory")]
    UnsafePath(PathBuf),
    #[error("processes of {0} survive SIGKILL")]
    Unkillable(String),
}

/// An account the agent manages, as found on the system.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManagedAccount {
    pub user: Username,
    pub uid: u32,
    /// Provisioning finished (the key is installed).
    pub provisioned: bool,
}

/// The system's accounts, as far as the agent manages them.
pub trait Accounts: Send + Sync {
    /// Managed accounts present now.
    fn list(&self) -> Result<Vec<ManagedAccount>, AccountError>;
    /// Creates the account if missing and installs `key` as its only key.
    fn provision(&self, user: &Username, key: &SshPublicKey) -> Result<(), AccountError>;
    /// Ends its processes and removes it, its home and its files. Removing a missing account
    /// succeeds.
    fn remove(&self, user: &Username) -> Result<(), AccountError>;
}

/// One line of `/etc/passwd`.
struct PasswdEntry {
    name: String,
    uid: u32,
    gid: u32,
    gecos: String,
}

fn read_passwd(path: &Path) -> Result<Vec<PasswdEntry>, AccountError> {
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

fn run_ok(program: &str, args: &[&str]) -> Result<(), AccountError> {
    let out = run(program, args)?;
    if out.status.success() {
        return Ok(());
    }
    Err(AccountError::Command {
        command: format!("{program} {}", args.join(" ")),
        stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
    })
}

/// Accounts managed with the shadow utilities (`useradd`, `userdel`) and `pkill`.
pub struct LinuxAccounts {
    pub prefix: String,
    /// Parent of the accounts' home directories.
    pub home_root: PathBuf,
    /// Root-owned directory of the provisioning markers.
    pub state_dir: PathBuf,
    /// Supplementary groups that open the GPU device nodes (those that exist are used).
    pub gpu_groups: Vec<String>,
    pub passwd: PathBuf,
}

impl LinuxAccounts {
    fn marker(&self, user: &Username) -> PathBuf {
        self.state_dir.join(format!("{user}.provisioned"))
    }

    fn entry(&self, user: &Username) -> Result<Option<PasswdEntry>, AccountError> {
        Ok(read_passwd(&self.passwd)?
            .into_iter()
            .find(|entry| entry.name == user.as_str()))
    }

    fn existing_groups(&self) -> Vec<String> {
        let groups = std::fs::read_to_string("/etc/group").unwrap_or_default();
        self.gpu_groups
            .iter()
            .filter(|group| {
                groups
                    .lines()
                    .any(|line| line.split(':').next() == Some(group.as_str()))
            })
            .cloned()
            .collect()
    }
}

/// Live (not zombie) processes whose real or effective uid is `uid`, from `/proc`.
fn live_processes(uid: u32) -> Vec<i32> {
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
fn kill_processes(user: &Username, uid: u32) -> Result<(), AccountError> {
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

impl Accounts for LinuxAccounts {
    fn list(&self) -> Result<Vec<ManagedAccount>, AccountError> {
        let mut accounts = Vec::new();
        for entry in read_passwd(&self.passwd)? {
            if !entry.gecos.starts_with(MARKER) {
                continue;
            }
            match Username::parse(&self.prefix, &entry.name) {
                Ok(user) => accounts.push(ManagedAccount {
                    provisioned: self.marker(&user).exists(),
                    user,
                    uid: entry.uid,
                }),
                Err(error) => {
                    tracing::warn!(name = %entry.name, %error, "marked account not managed")
                }
            }
        }
        Ok(accounts)
    }

    fn provision(&self, user: &Username, key: &SshPublicKey) -> Result<(), AccountError> {
        let home = self.home_root.join(user.as_str());
        let entry = match self.entry(user)? {
            Some(entry) if !entry.gecos.starts_with(MARKER) => {
                return Err(AccountError::Foreign(user.to_string()));
            }
            Some(entry) => {
                // Left half-made (or half-removed) by a crash: make sure it can log in.
                run_ok(
                    "usermod",
                    &["--password", "*", "--expiredate", "", user.as_str()],
                )?;
                entry
            }
            None => {
                DirBuilder::new()
                    .recursive(true)
                    .mode(0o755)
                    .create(&self.home_root)
                    .map_err(|e| AccountError::Io(self.home_root.display().to_string(), e))?;
                let comment = format!("{MARKER} order {}", user.order());
                let home_arg = home.display().to_string();
                let groups = self.existing_groups().join(",");
                let mut args = vec![
                    "--create-home",
                    "--home-dir",
                    &home_arg,
                    "--shell",
                    "/bin/bash",
                    "--comment",
                    &comment,
                    "--user-group",
                    // No password, but not locked: sshd (without PAM) refuses locked accounts,
                    // which is how removal shuts the door first.
                    "--password",
                    "*",
                ];
                if !groups.is_empty() {
                    args.extend(["--groups", &groups]);
                }
                args.push(user.as_str());
                run_ok("useradd", &args)?;
                self.entry(user)?
                    .ok_or_else(|| AccountError::Foreign(user.to_string()))?
            }
        };
        std::fs::set_permissions(&home, std::os::unix::fs::PermissionsExt::from_mode(0o700))
            .map_err(|e| AccountError::Io(home.display().to_string(), e))?;
        install_key(&home, entry.uid, entry.gid, key)?;
        DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&self.state_dir)
            .map_err(|e| AccountError::Io(self.state_dir.display().to_string(), e))?;
        std::fs::write(self.marker(user), key.to_openssh())
            .map_err(|e| AccountError::Io(self.marker(user).display().to_string(), e))
    }

    fn remove(&self, user: &Username) -> Result<(), AccountError> {
        if let Some(entry) = self.entry(user)? {
            if !entry.gecos.starts_with(MARKER) {
                return Err(AccountError::Foreign(user.to_string()));
            }
            // No new logins, then no processes (its ssh sessions included).
            run_ok("usermod", &["--lock", "--expiredate", "1", user.as_str()])?;
            kill_processes(user, entry.uid)?;
            run_ok("userdel", &["--remove", "--force", user.as_str()]).or_else(|error| {
                // userdel exits 12 when the home was already gone; the account is what counts.
                match self.entry(user)? {
                    None => Ok(()),
                    Some(_) => Err(error),
                }
            })?;
            for dir in SHARED_DIRS {
                remove_owned(Path::new(dir), entry.uid);
            }
        }
        let home = self.home_root.join(user.as_str());
        if std::fs::symlink_metadata(&home).is_ok() {
            std::fs::remove_dir_all(&home)
                .map_err(|e| AccountError::Io(home.display().to_string(), e))?;
        }
        match std::fs::remove_file(self.marker(user)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(AccountError::Io(self.marker(user).display().to_string(), e))
            }
            _ => Ok(()),
        }
    }
}

/// Writes `~/.ssh/authorized_keys` holding exactly `key`, owned by the account. Refuses to follow
/// a symlink at `.ssh` or `authorized_keys`, so nothing outside the home can be written.
pub fn install_key(
    home: &Path,
    uid: u32,
    gid: u32,
    key: &SshPublicKey,
) -> Result<(), AccountError> {
    let ssh_dir = home.join(".ssh");
    match DirBuilder::new().mode(0o700).create(&ssh_dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let meta = std::fs::symlink_metadata(&ssh_dir)
                .map_err(|e| AccountError::Io(ssh_dir.display().to_string(), e))?;
            if !meta.file_type().is_dir() {
                return Err(AccountError::UnsafePath(ssh_dir));
            }
        }
        Err(e) => return Err(AccountError::Io(ssh_dir.display().to_string(), e)),
    }
    let path = ssh_dir.join("authorized_keys");
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(&path)
        .map_err(|e| match e.raw_os_error() {
            Some(libc::ELOOP) => AccountError::UnsafePath(path.clone()),
            _ => AccountError::Io(path.display().to_string(), e),
        })?;
    if !file
        .metadata()
        .map_err(|e| AccountError::Io(path.display().to_string(), e))?
        .is_file()
    {
        return Err(AccountError::UnsafePath(path));
    }
    writeln!(file, "{KEY_OPTIONS} {}", key.to_openssh())
        .map_err(|e| AccountError::Io(path.display().to_string(), e))?;
    std::os::unix::fs::fchown(&file, Some(uid), Some(gid))
        .map_err(|e| AccountError::Io(path.display().to_string(), e))?;
    std::os::unix::fs::lchown(&ssh_dir, Some(uid), Some(gid))
        .map_err(|e| AccountError::Io(ssh_dir.display().to_string(), e))
}

/// Removes what `uid` owns under `dir`, without following symlinks. Best effort: a file that
/// cannot be removed is logged.
fn remove_owned(dir: &Path, uid: u32) {
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

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA/sviTJfQXJKl0MknakEdkHhZdlVSTJbzhi3Oejh+S5 c@l";

    fn ids(path: &Path) -> (u32, u32) {
        let meta = std::fs::metadata(path).unwrap();
        (meta.uid(), meta.gid())
    }

    #[test]
    fn the_key_is_installed_alone_with_restrictions() {
        let home = tempfile::tempdir().unwrap();
        let (uid, gid) = ids(home.path());
        let key = SshPublicKey::parse(KEY).unwrap();
        let keys = home.path().join(".ssh/authorized_keys");
        std::fs::create_dir(home.path().join(".ssh")).unwrap();
        std::fs::write(&keys, "ssh-ed25519 AAAA old-key\n").unwrap();
        install_key(home.path(), uid, gid, &key).unwrap();
        assert_eq!(
            std::fs::read_to_string(&keys).unwrap(),
            format!("restrict,pty {}\n", key.to_openssh())
        );
    }

    #[test]
    fn a_symlinked_ssh_dir_is_refused_and_its_target_untouched() {
        let home = tempfile::tempdir().unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        let (uid, gid) = ids(home.path());
        std::os::unix::fs::symlink(elsewhere.path(), home.path().join(".ssh")).unwrap();
        let key = SshPublicKey::parse(KEY).unwrap();
        assert!(matches!(
            install_key(home.path(), uid, gid, &key),
            Err(AccountError::UnsafePath(_))
        ));
        assert_eq!(std::fs::read_dir(elsewhere.path()).unwrap().count(), 0);
    }

    #[test]
    fn a_symlinked_authorized_keys_is_refused_and_its_target_untouched() {
        let home = tempfile::tempdir().unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        let target = elsewhere.path().join("shadow");
        std::fs::write(&target, "precious").unwrap();
        let (uid, gid) = ids(home.path());
        std::fs::create_dir(home.path().join(".ssh")).unwrap();
        std::os::unix::fs::symlink(&target, home.path().join(".ssh/authorized_keys")).unwrap();
        let key = SshPublicKey::parse(KEY).unwrap();
        assert!(matches!(
            install_key(home.path(), uid, gid, &key),
            Err(AccountError::UnsafePath(_))
        ));
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "precious");
    }

    #[test]
    fn marked_accounts_outside_the_prefix_are_not_listed() {
        let dir = tempfile::tempdir().unwrap();
        let passwd = dir.path().join("passwd");
        std::fs::write(
            &passwd,
            "root:x:0:0:root:/root:/bin/bash\n\
             lpn7:x:2001:2001:loopin-agent order 7:/home/loopin/lpn7:/bin/bash\n\
             lpn8:x:2002:2002:someone else:/home/lpn8:/bin/bash\n\
             lpn007:x:2003:2003:loopin-agent order 7:/x:/bin/bash\n\
             ../etc:x:2004:2004:loopin-agent order 1:/x:/bin/bash\n",
        )
        .unwrap();
        let accounts = LinuxAccounts {
            prefix: "lpn".into(),
            home_root: dir.path().join("home"),
            state_dir: dir.path().join("state"),
            gpu_groups: vec![],
            passwd,
        };
        let listed = accounts.list().unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].user.as_str(), "lpn7");
        assert_eq!(listed[0].uid, 2001);
        assert!(!listed[0].provisioned);
    }
}
