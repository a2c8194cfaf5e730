//! What a lease's sandbox may use: the device's allotment on this host (`[agent.confine]`),
//! scaled to the lease's share of the device's hours.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// `[agent.confine]` of the miner's config file: how leased sessions are confined, and what one
/// device's tenant may use of the host when it leases all of the device's hours.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConfineConfig {
    /// Confine sessions (the default). `false` runs tenants' sessions as plain accounts on the
    /// host: only for hosts that rent out nothing else and keep no secret (the agent warns).
    pub enabled: bool,
    /// Debian's `bwrap` (package bubblewrap).
    pub bwrap: PathBuf,
    /// Debian's `pasta` (package passt): the sandbox's own network namespace, with egress
    /// through user-mode networking and no way back to the host.
    pub pasta: PathBuf,
    /// The `loopin-session` binary: every account's login shell, and the supervisor that runs
    /// inside each lease's sandbox.
    pub session_binary: PathBuf,
    /// Root-owned directory of the sessions' sockets (`<user>.sock`); `loopin-session` finds it
    /// at `$LOOPIN_SESSION_DIR`, set by sshd_config's `SetEnv` when it is not the default.
    pub session_dir: PathBuf,
    /// The sshd configuration checked at start (`sshd -T`) for what confinement needs.
    pub sshd_config: PathBuf,
    /// Root-owned directory of the tenants' `authorized_keys` (`<user>`), outside the homes the
    /// tenants can write and outside `system_paths` (which tenants see): sshd_config's
    /// `AuthorizedKeysFile <keys_dir>/%u`.
    pub keys_dir: PathBuf,
    /// The leases' cgroups are `<cgroup_parent>/<user>` in each hierarchy.
    pub cgroup_parent: String,
    /// Memory (RAM, no swap) of the whole device's tenant, MiB.
    pub memory_mib: u64,
    /// CPU of the whole device's tenant, in cores (a CFS quota).
    pub cpus: f64,
    /// Processes and threads a tenant may have at once (not scaled: a floor for any lease).
    pub pids_max: u64,
    /// The home's size for the whole device's tenant, MiB: an ext4 image of its own.
    pub disk_mib: u64,
    /// The private `/tmp`'s size, MiB (memory, counted against `memory_mib`).
    pub tmp_mib: u64,
    /// Device nodes of the leased GPU (and only those), passed into the sandbox: for example
    /// `["/dev/nvidia0", "/dev/nvidiactl", "/dev/nvidia-uvm"]`. Empty on a CPU host.
    pub gpu_devices: Vec<PathBuf>,
    /// Host directories the tenant sees read-only (the system). Nothing else of the host is in
    /// its view: not /home, /root, /var, /srv, /run, nor the prover's or the agent's files.
    pub system_paths: Vec<PathBuf>,
    /// Networks (CIDR) a tenant may not reach beyond the host's own addresses, which are always
    /// refused: by default link-local, where cloud hosts serve their metadata (and credentials).
    /// A miner adds its LAN, a container bridge, a management network.
    pub blocked_networks: Vec<String>,
}

impl Default for ConfineConfig {
    fn default() -> Self {
        ConfineConfig {
            enabled: true,
            bwrap: PathBuf::from("/usr/bin/bwrap"),
            pasta: PathBuf::from("/usr/bin/pasta"),
            session_binary: PathBuf::from("/usr/local/bin/loopin-session"),
            session_dir: PathBuf::from("/run/loopin-agent/sessions"),
            sshd_config: PathBuf::from("/etc/ssh/sshd_config"),
            keys_dir: PathBuf::from("/var/lib/loopin-agent/authorized_keys"),
            cgroup_parent: "loopin".into(),
            memory_mib: 65_536,
            cpus: 8.0,
            pids_max: 4_096,
            disk_mib: 102_400,
            tmp_mib: 4_096,
            gpu_devices: Vec::new(),
            system_paths: ["/usr", "/etc", "/opt"].iter().map(PathBuf::from).collect(),
            blocked_networks: vec!["169.254.0.0/16".into(), "fe80::/10".into()],
        }
    }
}

/// Why `[agent.confine]` was refused.
#[derive(thiserror::Error, Debug, PartialEq)]
pub enum LimitsError {
    #[error("[agent.confine] {field} must be at least {min}, got {got}")]
    TooSmall {
        field: &'static str,
        min: u64,
        got: u64,
    },
    #[error("[agent.confine] cpus must be a positive number of cores, got {0}")]
    Cpus(f64),
    #[error("[agent.confine] {0} must be an absolute path")]
    Relative(PathBuf),
    #[error("[agent.confine] cgroup_parent {0:?} must be a relative path of plain names")]
    CgroupParent(String),
    #[error("[agent.confine] blocked_networks: {0:?} is not an address/prefix (CIDR)")]
    Network(String),
}

/// A network of `blocked_networks`: its address and prefix length, `None` if malformed.
pub fn parse_network(cidr: &str) -> Option<(std::net::IpAddr, u8)> {
    let (address, prefix) = cidr.split_once('/')?;
    let address: std::net::IpAddr = address.parse().ok()?;
    let prefix: u8 = prefix.parse().ok()?;
    let max = if address.is_ipv4() { 32 } else { 128 };
    (prefix <= max).then_some((address, prefix))
}

/// The smallest home, /tmp and memory a lease gets, MiB, whatever its share.
pub const MIN_MIB: u64 = 16;
/// The fewest processes a lease may have.
pub const MIN_PIDS: u64 = 16;
/// Memory the sandbox's own machinery takes in the lease's cgroup, added to the tenant's share,
/// MiB: pasta's buffers (about 30 MiB measured), bubblewrap and the supervisor.
pub const SANDBOX_MIB: u64 = 48;

impl ConfineConfig {
    /// Refuses settings a sandbox cannot be built from.
    pub fn validate(&self) -> Result<(), LimitsError> {
        for (field, min, got) in [
            ("memory_mib", MIN_MIB, self.memory_mib),
            ("disk_mib", MIN_MIB, self.disk_mib),
            ("tmp_mib", 1, self.tmp_mib),
            ("pids_max", MIN_PIDS, self.pids_max),
        ] {
            if got < min {
                return Err(LimitsError::TooSmall { field, min, got });
            }
        }
        if !(self.cpus.is_finite() && self.cpus > 0.0) {
            return Err(LimitsError::Cpus(self.cpus));
        }
        for path in [
            &self.bwrap,
            &self.session_binary,
            &self.session_dir,
            &self.keys_dir,
            &self.sshd_config,
        ]
        .into_iter()
        .chain(&self.gpu_devices)
        .chain(&self.system_paths)
        {
            if !path.is_absolute() {
                return Err(LimitsError::Relative(path.clone()));
            }
        }
        let plain = |part: &str| {
            !part.is_empty()
                && part != "."
                && part != ".."
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        };
        if !self.cgroup_parent.split('/').all(plain) {
            return Err(LimitsError::CgroupParent(self.cgroup_parent.clone()));
        }
        if let Some(bad) = self
            .blocked_networks
            .iter()
            .find(|cidr| parse_network(cidr).is_none())
        {
            return Err(LimitsError::Network(bad.clone()));
        }
        Ok(())
    }
}

/// What one lease's sandbox may use.
#[derive(Clone, Debug, PartialEq)]
pub struct Limits {
    /// The tenant's share plus [`SANDBOX_MIB`].
    pub memory_bytes: u64,
    /// CFS quota per 100 ms period, microseconds.
    pub cpu_quota_us: u64,
    pub pids_max: u64,
    pub disk_bytes: u64,
    pub tmp_bytes: u64,
}

/// The CFS period the CPU quota is set against, microseconds.
pub const CPU_PERIOD_US: u64 = 100_000;
const MIB: u64 = 1 << 20;

impl Limits {
    /// The share of the device a lease of `hours` of its `hours_per_epoch` gets (all of it when
    /// it leases them all; never more, never less than the floors). A lease of the device's
    /// whole epoch gets the whole allotment.
    pub fn for_lease(config: &ConfineConfig, hours: u128, hours_per_epoch: u128) -> Limits {
        let share = |whole: u64, floor: u64| -> u64 {
            if hours_per_epoch == 0 || hours >= hours_per_epoch {
                return whole;
            }
            let part = (u128::from(whole) * hours / hours_per_epoch) as u64;
            part.max(floor).min(whole)
        };
        let memory_mib = share(config.memory_mib, MIN_MIB);
        let cpu_whole = (config.cpus * CPU_PERIOD_US as f64) as u64;
        Limits {
            memory_bytes: (memory_mib + SANDBOX_MIB) * MIB,
            cpu_quota_us: share(cpu_whole, CPU_PERIOD_US / 100),
            pids_max: config.pids_max,
            disk_bytes: share(config.disk_mib, MIN_MIB) * MIB,
            tmp_bytes: config.tmp_mib.min(memory_mib) * MIB,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> ConfineConfig {
        ConfineConfig {
            memory_mib: 1_000,
            cpus: 4.0,
            pids_max: 100,
            disk_mib: 2_000,
            tmp_mib: 100,
            ..ConfineConfig::default()
        }
    }

    #[test]
    fn a_lease_of_the_whole_epoch_gets_the_whole_allotment() {
        let limits = Limits::for_lease(&config(), 3_600, 3_600);
        assert_eq!(limits.memory_bytes, (1_000 + SANDBOX_MIB) * MIB);
        assert_eq!(limits.cpu_quota_us, 400_000);
        assert_eq!(limits.pids_max, 100);
        assert_eq!(limits.disk_bytes, 2_000 * MIB);
        assert_eq!(limits.tmp_bytes, 100 * MIB);
        assert_eq!(Limits::for_lease(&config(), 9_999, 3_600), limits);
    }

    #[test]
    fn a_lease_of_a_quarter_of_the_hours_gets_a_quarter() {
        let limits = Limits::for_lease(&config(), 900, 3_600);
        assert_eq!(limits.memory_bytes, (250 + SANDBOX_MIB) * MIB);
        assert_eq!(limits.cpu_quota_us, 100_000);
        assert_eq!(limits.disk_bytes, 500 * MIB);
        assert_eq!(limits.pids_max, 100);
    }

    #[test]
    fn a_tiny_lease_gets_the_floors() {
        let limits = Limits::for_lease(&config(), 1, 1_000_000);
        assert_eq!(limits.memory_bytes, (MIN_MIB + SANDBOX_MIB) * MIB);
        assert_eq!(limits.disk_bytes, MIN_MIB * MIB);
        assert_eq!(limits.cpu_quota_us, 1_000);
        assert_eq!(limits.tmp_bytes, MIN_MIB * MIB);
    }

    #[test]
    fn settings_a_sandbox_cannot_be_built_from_are_refused() {
        let refused = |edit: fn(&mut ConfineConfig)| {
            let mut config = config();
            edit(&mut config);
            config.validate().unwrap_err()
        };
        assert_eq!(
            refused(|c| c.memory_mib = 8),
            LimitsError::TooSmall {
                field: "memory_mib",
                min: 16,
                got: 8
            }
        );
        assert!(matches!(refused(|c| c.cpus = f64::NAN), LimitsError::Cpus(x) if x.is_nan()));
        assert_eq!(refused(|c| c.cpus = 0.0), LimitsError::Cpus(0.0));
        assert!(matches!(
            refused(|c| c.gpu_devices = vec!["dev/nvidia0".into()]),
            LimitsError::Relative(_)
        ));
        for parent in ["../etc", "a//b", "/abs", "a/./b", ""] {
            let mut config = config();
            config.cgroup_parent = parent.into();
            assert_eq!(
                config.validate(),
                Err(LimitsError::CgroupParent(parent.into())),
                "{parent}"
            );
        }
        for network in [
            "10.0.0.0",
            "10.0.0.0/33",
            "fe80::/129",
            "x/8",
            "10.0.0.0/8; drop",
            "",
        ] {
            let mut config = config();
            config.blocked_networks = vec![network.into()];
            assert_eq!(
                config.validate(),
                Err(LimitsError::Network(network.into())),
                "{network}"
            );
        }
        config().validate().unwrap();
        ConfineConfig::default().validate().unwrap();
    }
}
