//! Confinement of a lease's sessions: a tenant gets the GPU it leased and nothing else of the
//! miner's host.
//!
//! Per lease (docs/agent.md, "Tenant isolation"):
//! - [`disk`]: its home, an ext4 image of the lease's size, loop-mounted;
//! - [`cgroup`]: its cgroup, with memory, pids and CPU limits from the lease's share of the
//!   device ([`limits`]), and the kill that ends every process of the lease at once;
//! - [`sandbox`]: bubblewrap namespaces (PID, IPC, UTS, user, mount) holding a supervisor, in a
//!   network namespace of its own that pasta gives egress to;
//! - [`session`]: the login shell hands each ssh session's descriptors to that supervisor, so
//!   nothing the tenant runs is ever outside the sandbox;
//! - [`firewall`]: nftables rejects a tenant's packets to the host's own addresses.

pub mod cgroup;
pub mod disk;
pub mod firewall;
pub mod limits;
pub mod sandbox;
pub mod session;
pub mod sshd;

use cgroup::{CgroupError, Hierarchies, LeaseCgroup};
use disk::DiskError;
use firewall::FirewallError;
use limits::{ConfineConfig, Limits, LimitsError};
use sandbox::Tenant;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Why a lease's confinement could not be set up or taken down.
#[derive(thiserror::Error, Debug)]
pub enum ConfineError {
    #[error(transparent)]
    Limits(#[from] LimitsError),
    #[error(transparent)]
    Cgroup(#[from] CgroupError),
    #[error(transparent)]
    Disk(#[from] DiskError),
    #[error(transparent)]
    Firewall(#[from] FirewallError),
    #[error("{0} is missing: {1}")]
    Missing(PathBuf, &'static str),
    #[error("{0}: {1}")]
    Io(PathBuf, std::io::Error),
    #[error(
        "the sandbox of {0} did not start within 5 s (is bwrap able to create user namespaces?)"
    )]
    NotStarted(String),
    #[error("sshd is not set up for confined accounts: {0}")]
    Sshd(#[from] sshd::SshdError),
}

/// The host side of every lease's confinement.
pub struct Confinement {
    pub config: ConfineConfig,
    prefix: String,
    images: PathBuf,
    hierarchies: Hierarchies,
}

impl Confinement {
    /// Checks the host can confine (bwrap, pasta, the session binary, cgroup v2 and the
    /// controllers) and that sshd serves the accounts as confinement needs ([`sshd::check`]),
    /// and keeps the homes' images in `<state_dir>/homes`.
    pub fn new(
        config: ConfineConfig,
        prefix: &str,
        state_dir: &Path,
    ) -> Result<Confinement, ConfineError> {
        config.validate()?;
        for (path, what) in [
            (&config.bwrap, "install bubblewrap"),
            (&config.pasta, "install passt"),
            (
                &config.session_binary,
                "install loopin-session (cargo install --path agent)",
            ),
        ] {
            if !path.exists() {
                return Err(ConfineError::Missing(path.clone(), what));
            }
        }
        sshd::check(prefix, &config)?;
        Ok(Confinement {
            config,
            prefix: prefix.to_string(),
            images: state_dir.join("homes"),
            hierarchies: Hierarchies::detect()?,
        })
    }

    fn cgroup(&self, user: &str) -> LeaseCgroup {
        self.hierarchies.lease(&self.config.cgroup_parent, user)
    }

    fn image(&self, user: &str) -> PathBuf {
        self.images.join(format!("{user}.img"))
    }

    /// The socket of `user`'s supervisor.
    pub fn socket(&self, user: &str) -> PathBuf {
        session::socket_path(&self.config.session_dir, user)
    }

    /// `user`'s session directory, where its supervisor binds the socket.
    pub fn session_dir(&self, user: &str) -> PathBuf {
        self.config.session_dir.join(user)
    }

    /// Whether `user`'s sandbox is up: its supervisor running in its cgroup, its socket there.
    /// A sandbox whose supervisor died (pasta alone is left) is not.
    pub fn running(&self, user: &str) -> bool {
        let supervisor = self.cgroup(user).pids().into_iter().any(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|comm| comm.trim_end() == "loopin-session")
        });
        // The socket itself, never what a link the tenant put there points at.
        let socket = std::fs::symlink_metadata(self.socket(user))
            .is_ok_and(|meta| std::os::unix::fs::FileTypeExt::is_socket(&meta.file_type()));
        supervisor && socket
    }

    /// Pids of `user`'s sandbox (its supervisor and every session).
    pub fn pids(&self, user: &str) -> Vec<i32> {
        self.cgroup(user).pids()
    }

    /// Processes of `user`'s sandbox killed for passing its memory limit.
    pub fn oom_kills(&self, user: &str) -> u64 {
        self.cgroup(user).oom_kills()
    }

    /// Sets up `tenant`'s home, cgroup and sandbox for `limits`; a sandbox already up is kept.
    pub fn start(&self, tenant: &Tenant, limits: &Limits) -> Result<(), ConfineError> {
        if self.running(&tenant.user) {
            return Ok(());
        }
        disk::mount_home(
            &self.image(&tenant.user),
            &tenant.home,
            limits.disk_bytes,
            tenant.uid,
            tenant.gid,
        )?;
        let cgroup = self.cgroup(&tenant.user);
        // A half-started sandbox (a crash) is ended before a new one starts.
        cgroup.kill()?;
        cgroup.create(limits)?;
        let dir = &self.config.session_dir;
        std::fs::create_dir_all(dir).map_err(|e| ConfineError::Io(dir.clone(), e))?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o711))
            .map_err(|e| ConfineError::Io(dir.clone(), e))?;
        // The lease's own directory, where its supervisor binds the socket: a tiny tmpfs of the
        // tenant's, made afresh, so nothing a previous tenant of the name left is in it.
        disk::mount_session_dir(&tenant.session_dir, tenant.uid, tenant.gid)?;
        sandbox::start(&self.config, limits, tenant, cgroup.entry()?)
            .map_err(|e| ConfineError::Io(self.config.pasta.clone(), e))?;
        let start = Instant::now();
        while !self.running(&tenant.user) {
            if start.elapsed() > Duration::from_secs(5) {
                return Err(ConfineError::NotStarted(tenant.user.clone()));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        Ok(())
    }

    /// Ends every process of `user`'s lease (cgroup kill), removes its cgroup, socket and home.
    /// Stopping what is not there succeeds.
    pub fn stop(&self, user: &str, home: &Path) -> Result<(), ConfineError> {
        self.cgroup(user).remove()?;
        disk::unmount_dir(&self.session_dir(user))?;
        disk::remove_home(&self.image(user), home)?;
        Ok(())
    }

    /// Names of the lease cgroups of this agent's accounts now on the host (running or left by
    /// a crash).
    pub fn sandboxes(&self) -> Vec<String> {
        self.hierarchies
            .leases(&self.config.cgroup_parent)
            .into_iter()
            .filter(|name| name.starts_with(&self.prefix))
            .collect()
    }

    /// Rejects `uids`' packets to the host's own addresses (replacing the previous set).
    pub fn firewall(&self, uids: &[u32]) -> Result<(), ConfineError> {
        Ok(firewall::apply(
            &self.prefix,
            uids,
            &self.config.blocked_networks,
        )?)
    }
}

pub use sshd::config_block as sshd_config;
