//! A miner's host for tests of tenant isolation (feature `test-support`): the agent's confined
//! accounts, a real sshd configured as docs/agent.md says, and a client key, without a chain.
//! The isolation suite and the session start-up benchmark log tenants in through it.

use crate::accounts::{Accounts, LinuxAccounts, Share};
use crate::confine::Confinement;
use crate::confine::limits::ConfineConfig;
use crate::test_sshd::{Sshd, test_confinement};
use crate::username::Username;
use loopin::access::SshPublicKey;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// What the host lacks to confine tenants, if anything: the kernel features a test skips
/// without, named. Missing tools (bwrap, nft, sshd) are not a reason to skip:
/// `scripts/test.sh` installs them.
pub fn kernel_lacks() -> Option<String> {
    if let Err(error) = crate::confine::cgroup::Hierarchies::detect() {
        return Some(error.to_string());
    }
    let userns = std::fs::read_to_string("/proc/sys/user/max_user_namespaces")
        .ok()
        .and_then(|n| n.trim().parse::<u64>().ok());
    if userns == Some(0) {
        return Some("user namespaces (user.max_user_namespaces = 0)".into());
    }
    if !Path::new("/dev/loop-control").exists() {
        return Some("loop devices (/dev/loop-control)".into());
    }
    let nft = Command::new("nft").args(["list", "tables"]).output();
    if let Ok(out) = nft
        && !out.status.success()
    {
        return Some(format!(
            "nftables in the kernel (nft: {})",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    None
}

/// The agent's accounts on this host, confined, behind a real sshd.
pub struct TestHost {
    pub dir: tempfile::TempDir,
    pub prefix: String,
    pub sshd: Sshd,
    pub accounts: LinuxAccounts,
    pub client_key: PathBuf,
}

/// Why the test host did not start.
pub type TestHostError = Box<dyn std::error::Error + Send + Sync>;

impl TestHost {
    /// Starts it for accounts `<prefix><n>`, confinement as [`test_confinement`] edited by
    /// `edit` (`enabled = false` for an unconfined host), `session_binary` being
    /// `loopin-session`. Accounts an earlier run left are removed.
    pub fn start(
        prefix: &str,
        session_binary: &Path,
        edit: impl FnOnce(&mut ConfineConfig),
    ) -> Result<TestHost, TestHostError> {
        let dir = tempfile::tempdir()?;
        std::fs::set_permissions(
            dir.path(),
            std::os::unix::fs::PermissionsExt::from_mode(0o755),
        )?;
        let mut confine = test_confinement(prefix, session_binary)?;
        edit(&mut confine);
        let sshd = Sshd::start(dir.path(), prefix, &confine)?;
        confine.sshd_config = sshd.config.clone();
        let state_dir = dir.path().join("agent-state");
        let confinement = if confine.enabled {
            Some(Confinement::new(confine.clone(), prefix, &state_dir)?)
        } else {
            None
        };
        let accounts = LinuxAccounts {
            prefix: prefix.into(),
            home_root: dir.path().join("homes"),
            state_dir,
            keys_dir: confine.keys_dir.clone(),
            gpu_groups: vec![],
            passwd: "/etc/passwd".into(),
            confinement,
        };
        for account in accounts.list()? {
            accounts.remove(&account.user)?;
        }
        let client_key = dir.path().join("client_ed25519");
        let out = Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-C", "client", "-f"])
            .arg(&client_key)
            .stdin(Stdio::null())
            .output()?;
        if !out.status.success() {
            return Err(format!("ssh-keygen: {}", String::from_utf8_lossy(&out.stderr)).into());
        }
        Ok(TestHost {
            dir,
            prefix: prefix.into(),
            sshd,
            accounts,
            client_key,
        })
    }

    /// Provisions the tenant of order `order` with the client's key, leasing all of the device.
    pub fn tenant(&self, order: u64) -> Result<Username, TestHostError> {
        let user = Username::for_order(&self.prefix, order)?;
        let key = std::fs::read_to_string(self.client_key.with_extension("pub"))?;
        let key = SshPublicKey::parse(key.trim())?;
        self.accounts.provision(
            &user,
            &key,
            Share {
                hours: 1,
                hours_per_epoch: 1,
            },
        )?;
        Ok(user)
    }

    /// The tenant's home on the host.
    pub fn home(&self, user: &Username) -> PathBuf {
        self.accounts.home_root.join(user.as_str())
    }

    /// The tenant's uid.
    pub fn uid(&self, user: &Username) -> Option<u32> {
        self.accounts
            .list()
            .ok()?
            .into_iter()
            .find(|account| account.user == *user)?
            .uid
    }

    /// Runs `command` as `user` over ssh (the client's key, the host key not checked).
    pub fn ssh(&self, user: &Username, command: &str) -> std::io::Result<Output> {
        Command::new("ssh")
            .args(["-o", "BatchMode=yes", "-o", "ConnectTimeout=10"])
            .args([
                "-o",
                "StrictHostKeyChecking=no",
                "-o",
                "UserKnownHostsFile=/dev/null",
            ])
            .args(["-o", "LogLevel=ERROR", "-i"])
            .arg(&self.client_key)
            .args(["-p", &self.sshd.port.to_string()])
            .arg(format!("{user}@127.0.0.1"))
            .arg(command)
            .stdin(Stdio::null())
            .output()
    }
}

impl Drop for TestHost {
    fn drop(&mut self) {
        if let Ok(accounts) = self.accounts.list() {
            for account in accounts {
                let _ = self.accounts.remove(&account.user);
            }
        }
        let _ = crate::confine::firewall::remove(&self.prefix);
        let _ = std::fs::remove_dir_all(format!("/run/loopin-test-{}", self.prefix));
    }
}
