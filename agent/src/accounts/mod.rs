//! Linux accounts for leases: created with the client's SSH key, the GPU groups and a confined
//! session ([`crate::confine`]); removed with every process of the lease and every file it owns.
//!
//! An account is managed only if its name is `<prefix><order>` ([`Username`]) and its GECOS
//! field carries [`MARKER`]: an account someone else created is never changed or removed. A
//! root-owned marker file in the agent's state directory records that provisioning finished, so a
//! crash between `useradd` and the key install is finished on restart, not repeated.

mod error;
mod keys;
mod system;

pub use error::AccountError;
pub use keys::{KEY_OPTIONS, install_key, key_path, remove_key};

use crate::confine::Confinement;
use crate::confine::limits::Limits;
use crate::confine::sandbox::Tenant;
use crate::username::Username;
use loopin::access::SshPublicKey;
use std::fs::DirBuilder;
use std::os::unix::fs::DirBuilderExt as _;
use std::path::{Path, PathBuf};
use system::{PasswdEntry, group_ids, kill_processes, read_passwd, remove_owned, run_ok};

/// GECOS marker of managed accounts.
pub const MARKER: &str = "loopin-agent";
/// Shared directories searched for files a removed account left behind (an unconfined session's).
const SHARED_DIRS: [&str; 3] = ["/tmp", "/var/tmp", "/dev/shm"];

/// An account the agent manages, as found on the system.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManagedAccount {
    pub user: Username,
    /// `None`: the account is gone but its sandbox is still there (a crash mid-removal).
    pub uid: Option<u32>,
    /// Provisioning finished (the key is installed, the sandbox is up).
    pub provisioned: bool,
}

/// A lease's share of its device: `hours` of the device's `hours_per_epoch`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Share {
    pub hours: u128,
    pub hours_per_epoch: u128,
}

/// The system's accounts, as far as the agent manages them.
pub trait Accounts: Send + Sync {
    /// Managed accounts present now.
    fn list(&self) -> Result<Vec<ManagedAccount>, AccountError>;
    /// Creates the account if missing, installs `key` as its only key and starts its confined
    /// session host, sized for `share` of the device.
    fn provision(
        &self,
        user: &Username,
        key: &SshPublicKey,
        share: Share,
    ) -> Result<(), AccountError>;
    /// Ends its processes and removes it, its home and its files. Removing a missing account
    /// succeeds.
    fn remove(&self, user: &Username) -> Result<(), AccountError>;
    /// Puts back what the host may have lost since the last pass (the firewall's table after a
    /// ruleset reload flushed it). Run at the start of every pass.
    fn maintain(&self) -> Result<(), AccountError> {
        Ok(())
    }
}

/// Accounts managed with the shadow utilities (`useradd`, `userdel`), confined by
/// [`Confinement`] unless the miner turned confinement off.
pub struct LinuxAccounts {
    pub prefix: String,
    /// Parent of the accounts' home directories.
    pub home_root: PathBuf,
    /// Root-owned directory of the provisioning markers.
    pub state_dir: PathBuf,
    /// Root-owned directory of the accounts' authorized keys (sshd's `AuthorizedKeysFile`).
    pub keys_dir: PathBuf,
    /// Supplementary groups that open the GPU device nodes (those that exist are used).
    pub gpu_groups: Vec<String>,
    pub passwd: PathBuf,
    /// `None`: sessions run unconfined on the host (a miner's explicit choice).
    pub confinement: Option<Confinement>,
}

impl LinuxAccounts {
    fn marker(&self, user: &Username) -> PathBuf {
        self.state_dir.join(format!("{user}.provisioned"))
    }

    fn home(&self, user: &Username) -> PathBuf {
        self.home_root.join(user.as_str())
    }

    /// The home the account has in the passwd file. Confined: a root-owned empty directory,
    /// the same for every account, so that nothing sshd, PAM or logind read from "~" on the
    /// host (`~/.pam_environment`, `~/.ssh/rc`, `~/.config/systemd/user`) is the tenant's to
    /// write; its real home is mounted at [`Self::home`] and bound into its sandbox only.
    /// Unconfined: the real home.
    fn passwd_home(&self, user: &Username) -> PathBuf {
        match &self.confinement {
            Some(_) => self.home_root.join(".empty"),
            None => self.home(user),
        }
    }

    /// Makes the shared empty home: root's, 0755, empty (anything found in it is removed).
    fn empty_home(&self) -> Result<(), AccountError> {
        let empty = self.home_root.join(".empty");
        let io = |e| AccountError::Io(empty.display().to_string(), e);
        match std::fs::symlink_metadata(&empty) {
            Ok(meta) if meta.is_dir() && !meta.file_type().is_symlink() => {
                for entry in std::fs::read_dir(&empty).map_err(io)?.flatten() {
                    let path = entry.path();
                    let removed = match entry.file_type() {
                        Ok(kind) if kind.is_dir() => std::fs::remove_dir_all(&path),
                        _ => std::fs::remove_file(&path),
                    };
                    removed.map_err(io)?;
                }
            }
            Ok(_) => return Err(AccountError::UnsafePath(empty)),
            Err(_) => DirBuilder::new().mode(0o755).create(&empty).map_err(io)?,
        }
        std::os::unix::fs::lchown(&empty, Some(0), Some(0)).map_err(io)?;
        std::fs::set_permissions(&empty, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .map_err(io)
    }

    fn entry(&self, user: &Username) -> Result<Option<PasswdEntry>, AccountError> {
        Ok(read_passwd(&self.passwd)?
            .into_iter()
            .find(|entry| entry.name == user.as_str()))
    }

    /// Managed accounts in the passwd file.
    fn managed(&self) -> Result<Vec<(Username, PasswdEntry)>, AccountError> {
        let mut accounts = Vec::new();
        for entry in read_passwd(&self.passwd)? {
            if !entry.gecos.starts_with(MARKER) {
                continue;
            }
            match Username::parse(&self.prefix, &entry.name) {
                Ok(user) => accounts.push((user, entry)),
                Err(error) => {
                    tracing::warn!(name = %entry.name, %error, "marked account not managed")
                }
            }
        }
        Ok(accounts)
    }

    fn shell(&self) -> String {
        match &self.confinement {
            Some(confinement) => confinement
                .config
                .session_binary
                .to_string_lossy()
                .to_string(),
            None => "/bin/bash".into(),
        }
    }

    /// Points the firewall's tenant set at the managed accounts now present.
    fn refresh_firewall(&self) -> Result<(), AccountError> {
        if let Some(confinement) = &self.confinement {
            let uids: Vec<u32> = self.managed()?.iter().map(|(_, e)| e.uid).collect();
            confinement.firewall(&uids)?;
        }
        Ok(())
    }

    fn create(&self, user: &Username) -> Result<PasswdEntry, AccountError> {
        DirBuilder::new()
            .recursive(true)
            .mode(0o755)
            .create(&self.home_root)
            .map_err(|e| AccountError::Io(self.home_root.display().to_string(), e))?;
        let comment = format!("{MARKER} order {}", user.order());
        let home_arg = self.passwd_home(user).display().to_string();
        let groups: Vec<String> = group_ids(&self.gpu_groups)
            .into_iter()
            .map(|(name, _)| name)
            .collect();
        let groups = groups.join(",");
        let shell = self.shell();
        let create = if self.confinement.is_some() {
            // The real home is the lease's image, mounted by the confinement.
            self.empty_home()?;
            "--no-create-home"
        } else {
            "--create-home"
        };
        let mut args = vec![
            create,
            "--home-dir",
            &home_arg,
            "--shell",
            &shell,
            "--comment",
            &comment,
            "--user-group",
            // No password, but not locked: sshd (without PAM) refuses locked accounts, which is
            // how removal shuts the door first.
            "--password",
            "*",
        ];
        if !groups.is_empty() {
            args.extend(["--groups", &groups]);
        }
        args.push(user.as_str());
        run_ok("useradd", &args)?;
        self.entry(user)?
            .ok_or_else(|| AccountError::Foreign(user.to_string()))
    }
}

impl Accounts for LinuxAccounts {
    fn maintain(&self) -> Result<(), AccountError> {
        // `nft -f /etc/nftables.conf` (a reload) starts with `flush ruleset`: the table is
        // replaced whole, every pass.
        self.refresh_firewall()
    }

    fn list(&self) -> Result<Vec<ManagedAccount>, AccountError> {
        let mut accounts: Vec<ManagedAccount> = self
            .managed()?
            .into_iter()
            .map(|(user, entry)| {
                let running = self
                    .confinement
                    .as_ref()
                    .is_none_or(|confinement| confinement.running(user.as_str()));
                ManagedAccount {
                    provisioned: self.marker(&user).exists() && running,
                    user,
                    uid: Some(entry.uid),
                }
            })
            .collect();
        if let Some(confinement) = &self.confinement {
            for name in confinement.sandboxes() {
                let Ok(user) = Username::parse(&self.prefix, &name) else {
                    continue;
                };
                if !accounts.iter().any(|account| account.user == user) {
                    accounts.push(ManagedAccount {
                        user,
                        uid: None,
                        provisioned: false,
                    });
                }
            }
        }
        Ok(accounts)
    }

    fn provision(
        &self,
        user: &Username,
        key: &SshPublicKey,
        share: Share,
    ) -> Result<(), AccountError> {
        let home = self.home(user);
        let entry = match self.entry(user)? {
            Some(entry) if !entry.gecos.starts_with(MARKER) => {
                return Err(AccountError::Foreign(user.to_string()));
            }
            Some(entry) => {
                // Left half-made (or half-removed) by a crash: make sure it can log in, into
                // the session and with the home the agent's settings say.
                let shell = self.shell();
                if self.confinement.is_some() {
                    self.empty_home()?;
                }
                let passwd_home = self.passwd_home(user).display().to_string();
                run_ok(
                    "usermod",
                    &[
                        "--password",
                        "*",
                        "--expiredate",
                        "",
                        "--shell",
                        &shell,
                        "--home",
                        &passwd_home,
                        user.as_str(),
                    ],
                )?;
                entry
            }
            None => {
                // A sandbox the previous account of this name left is ended first.
                if let Some(confinement) = &self.confinement {
                    confinement.stop(user.as_str(), &home)?;
                }
                self.create(user)?
            }
        };
        if self.confinement.is_none() {
            std::fs::set_permissions(&home, std::os::unix::fs::PermissionsExt::from_mode(0o700))
                .map_err(|e| AccountError::Io(home.display().to_string(), e))?;
        }
        install_key(&self.keys_dir, user.as_str(), entry.gid, key)?;
        if let Some(confinement) = &self.confinement {
            // The firewall knows the tenant before anything of it runs.
            self.refresh_firewall()?;
            let limits = Limits::for_lease(&confinement.config, share.hours, share.hours_per_epoch);
            let tenant = Tenant {
                user: user.to_string(),
                uid: entry.uid,
                gid: entry.gid,
                groups: group_ids(&self.gpu_groups)
                    .into_iter()
                    .map(|(_, gid)| gid)
                    .collect(),
                home: home.clone(),
                session_dir: confinement.session_dir(user.as_str()),
            };
            confinement.start(&tenant, &limits)?;
        }
        DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&self.state_dir)
            .map_err(|e| AccountError::Io(self.state_dir.display().to_string(), e))?;
        std::fs::write(self.marker(user), key.to_openssh())
            .map_err(|e| AccountError::Io(self.marker(user).display().to_string(), e))
    }

    fn remove(&self, user: &Username) -> Result<(), AccountError> {
        let home = self.home(user);
        let entry = self.entry(user)?;
        if let Some(entry) = &entry {
            if !entry.gecos.starts_with(MARKER) {
                return Err(AccountError::Foreign(user.to_string()));
            }
            // No new logins, then no processes: the sandbox's all at once, then the sessions'
            // login shells outside it.
            run_ok("usermod", &["--lock", "--expiredate", "1", user.as_str()])?;
        }
        remove_key(&self.keys_dir, user.as_str())?;
        if let Some(confinement) = &self.confinement {
            confinement.stop(user.as_str(), &home)?;
        }
        if let Some(entry) = entry {
            // Login shells outside the sandbox (they cannot start another: only the agent does).
            kill_processes(user, entry.uid)?;
            // Confined, the passwd home is the shared empty one: never userdel's to remove (the
            // lease's own home went with its image).
            let userdel: &[&str] = if self.confinement.is_some() {
                &["--force", user.as_str()]
            } else {
                &["--remove", "--force", user.as_str()]
            };
            run_ok("userdel", userdel).or_else(|error| {
                // userdel exits 12 when the home was already gone; the account is what counts.
                match self.entry(user)? {
                    None => Ok(()),
                    Some(_) => Err(error),
                }
            })?;
            // Only an unconfined account can have written the host's shared directories.
            if self.confinement.is_none() {
                for dir in SHARED_DIRS {
                    remove_owned(Path::new(dir), entry.uid);
                }
            }
            self.refresh_firewall()?;
        }
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

#[cfg(test)]
mod tests {
    use super::*;

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
            keys_dir: dir.path().join("keys"),
            gpu_groups: vec![],
            passwd,
            confinement: None,
        };
        let listed = accounts.list().unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].user.as_str(), "lpn7");
        assert_eq!(listed[0].uid, Some(2001));
        assert!(!listed[0].provisioned);
    }
}
