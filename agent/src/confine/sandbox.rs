//! A lease's sandbox: bubblewrap, run as the tenant (an unprivileged user namespace), started in
//! the lease's cgroup, holding the supervisor that runs the tenant's sessions, inside a network
//! namespace of its own made by pasta.
//!
//! The network namespace keeps the host's loopback, its abstract Unix sockets and its ports out
//! of the tenant's reach (a tenant cannot bind the prover's port while the prover restarts);
//! pasta gives it egress through sockets of its own, the tenant's, which the firewall keeps off
//! the host's addresses. Nothing reaches in: no port is forwarded to the namespace, and the
//! gateway address is not mapped to the host.
//!
//! What the tenant sees: the system read-only (`system_paths`), a fresh `/proc` of its own PID
//! namespace (no process of the host or of another tenant), a minimal `/dev` plus the leased
//! GPU's nodes, its own home (its ext4 image) and private, size-capped `/tmp`, `/var/tmp` and
//! `/run`. Nothing else of the host: not `/home`, `/root`, `/var`, `/srv`, nor the prover's or
//! the agent's files. No capabilities, no nested user namespaces, its own IPC and UTS.

use super::cgroup::Entry;
use super::limits::{ConfineConfig, Limits};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Where the supervisor's binary appears inside the sandbox.
pub const SUPERVISOR_PATH: &str = "/run/loopin/loopin-session";
/// Where the lease's session directory (`<session_dir>/<user>`, the tenant's) appears inside
/// the sandbox; the supervisor binds its socket there.
pub const SESSION_DIR_INSIDE: &str = "/run/loopin/session";

/// Who the sandbox runs as, where its home is, and the directory its supervisor's socket is in.
#[derive(Clone, Debug)]
pub struct Tenant {
    pub user: String,
    pub uid: u32,
    pub gid: u32,
    /// Supplementary groups (those that open the GPU's nodes).
    pub groups: Vec<u32>,
    pub home: PathBuf,
    /// `<session_dir>/<user>`, the tenant's own (0700).
    pub session_dir: PathBuf,
}

/// The merged-/usr links of a Debian system, reproduced as links (or bound where the host has
/// directories).
const ROOT_LINKS: [&str; 5] = ["/bin", "/sbin", "/lib", "/lib64", "/lib32"];

/// pasta's arguments before bwrap's command line: a network namespace with the host's addresses
/// copied, egress only (no port forwarded in either direction), the gateway not mapped to the
/// host, in the foreground so that it lives and dies with the sandbox.
pub const PASTA_ARGS: [&str; 13] = [
    "--config-net",
    "--no-map-gw",
    "--quiet",
    "--foreground",
    "-t",
    "none",
    "-u",
    "none",
    "-T",
    "none",
    "-U",
    "none",
    "--",
];

/// bwrap's arguments for `tenant`'s sandbox (everything after the program name).
pub fn bwrap_args(config: &ConfineConfig, limits: &Limits, tenant: &Tenant) -> Vec<String> {
    let mut args = namespace_args(tenant);
    host_mounts(config, &mut args);
    private_mounts(config, limits, &mut args);
    supervisor_args(config, tenant, &mut args);
    args
}

/// A path as one argument.
fn path(p: &Path) -> String {
    p.to_string_lossy().to_string()
}

/// The sandbox's own namespaces, no capabilities, an empty environment, the tenant's host name
/// and ids.
fn namespace_args(tenant: &Tenant) -> Vec<String> {
    let mut args: Vec<String> = [
        "--unshare-user",
        "--disable-userns",
        "--unshare-pid",
        "--unshare-ipc",
        "--unshare-uts",
        "--unshare-cgroup-try",
        "--new-session",
        "--cap-drop",
        "ALL",
        "--clearenv",
        "--hostname",
    ]
    .iter()
    .map(|arg| arg.to_string())
    .collect();
    args.push(tenant.user.clone());
    // pasta's user namespace maps the tenant to root; the sandbox's maps it back.
    args.extend([
        "--uid".into(),
        tenant.uid.to_string(),
        "--gid".into(),
        tenant.gid.to_string(),
    ]);
    args
}

/// The host's system directories read-only, and its merged-/usr links.
fn host_mounts(config: &ConfineConfig, args: &mut Vec<String>) {
    for system in &config.system_paths {
        if system.is_dir() {
            args.extend(["--ro-bind".into(), path(system), path(system)]);
        }
    }
    for link in ROOT_LINKS {
        let link = Path::new(link);
        match std::fs::symlink_metadata(link) {
            Ok(meta) if meta.file_type().is_symlink() => {
                if let Ok(target) = std::fs::read_link(link) {
                    args.extend(["--symlink".into(), path(&target), path(link)]);
                }
            }
            Ok(meta) if meta.is_dir() => {
                args.extend(["--ro-bind".into(), path(link), path(link)]);
            }
            _ => {}
        }
    }
}

/// A private /proc and /dev with the GPUs bound in, and size-limited private /tmp, /var/tmp and
/// /run.
fn private_mounts(config: &ConfineConfig, limits: &Limits, args: &mut Vec<String>) {
    args.extend([
        "--proc".into(),
        "/proc".into(),
        "--dev".into(),
        "/dev".into(),
    ]);
    for device in &config.gpu_devices {
        if device.exists() {
            args.extend(["--dev-bind".into(), path(device), path(device)]);
        }
    }
    for tmp in ["/tmp", "/var/tmp", "/run"] {
        args.extend([
            "--size".into(),
            limits.tmp_bytes.to_string(),
            "--tmpfs".into(),
            tmp.into(),
        ]);
    }
}

/// The supervisor binary, the session directory and the home bound in, the root read-only, and
/// the supervisor's command line.
fn supervisor_args(config: &ConfineConfig, tenant: &Tenant, args: &mut Vec<String>) {
    args.extend([
        "--ro-bind".into(),
        path(&config.session_binary),
        SUPERVISOR_PATH.into(),
        "--bind".into(),
        path(&tenant.session_dir),
        SESSION_DIR_INSIDE.into(),
        "--bind".into(),
        path(&tenant.home),
        path(&tenant.home),
        "--chdir".into(),
        path(&tenant.home),
        // The sandbox's own root (where bwrap made the mount points) read-only last: nothing
        // but the home and the private /tmp, /var/tmp and /run is writable.
        "--remount-ro".into(),
        "/".into(),
        "--".into(),
        SUPERVISOR_PATH.into(),
        "--supervise".into(),
        "--home".into(),
        path(&tenant.home),
        "--user".into(),
        tenant.user.clone(),
        "--socket".into(),
        format!("{SESSION_DIR_INSIDE}/sock"),
    ]);
}

/// Starts the sandbox: pasta enters the lease's cgroup (`entry`), drops to the tenant and makes
/// the network namespace, in which bwrap builds the sandbox and the supervisor binds its
/// socket. Returns at once; a thread reaps it when it ends (at the lease's end, by the cgroup's
/// kill).
pub fn start(
    config: &ConfineConfig,
    limits: &Limits,
    tenant: &Tenant,
    entry: Entry,
) -> std::io::Result<()> {
    let mut command = Command::new(&config.pasta);
    command
        .args(PASTA_ARGS)
        .arg(&config.bwrap)
        .args(bwrap_args(config, limits, tenant))
        .env_clear()
        .current_dir("/")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let (uid, gid) = (tenant.uid, tenant.gid);
    let mut groups: Vec<libc::gid_t> = tenant.groups.clone();
    if !groups.contains(&gid) {
        groups.push(gid);
    }
    // SAFETY: the hook only makes async-signal-safe system calls (write, setgroups, setgid,
    // setuid) on values prepared before the fork.
    unsafe {
        command.pre_exec(move || {
            entry.enter()?;
            if libc::setgroups(groups.len(), groups.as_ptr()) != 0
                || libc::setgid(gid) != 0
                || libc::setuid(uid) != 0
            {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = command.spawn()?;
    std::thread::spawn(move || {
        let _ = child.wait();
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sandbox_sees_the_system_read_only_and_only_its_own_home() {
        let config = ConfineConfig {
            system_paths: vec!["/usr".into(), "/etc".into(), "/no-such-dir".into()],
            ..ConfineConfig::default()
        };
        let limits = Limits::for_lease(&config, 1, 1);
        let tenant = Tenant {
            user: "lpn7".into(),
            uid: 2001,
            gid: 2001,
            groups: vec![],
            home: "/home/loopin/lpn7".into(),
            session_dir: "/run/loopin-agent/sessions/lpn7".into(),
        };
        let args = bwrap_args(&config, &limits, &tenant).join(" ");
        assert!(args.contains("--ro-bind /usr /usr"));
        assert!(args.contains("--ro-bind /etc /etc"));
        assert!(!args.contains("no-such-dir"));
        assert!(args.contains("--bind /home/loopin/lpn7 /home/loopin/lpn7"));
        assert!(!args.contains("--bind / "));
        assert!(!args.contains("--bind /home/loopin "));
        for isolation in [
            "--unshare-pid",
            "--unshare-ipc",
            "--unshare-user",
            "--disable-userns",
            "--cap-drop ALL",
        ] {
            assert!(args.contains(isolation), "{isolation}");
        }
        assert!(args.contains(&format!("--size {} --tmpfs /tmp", limits.tmp_bytes)));
        assert!(args.contains("--remount-ro / --"));
        assert!(args.contains("--bind /run/loopin-agent/sessions/lpn7 /run/loopin/session"));
        assert!(args.ends_with(
            "--supervise --home /home/loopin/lpn7 --user lpn7 --socket /run/loopin/session/sock"
        ));
    }
}
