//! A real OpenSSH server for end-to-end tests of leased access (feature `test-support`): Debian's
//! `sshd` on a free loopback port, with a host key of its own, admitting only the agent's
//! accounts, configured as docs/agent.md tells a miner to (keys from the agent's root-owned
//! directory, no forwarding, no user rc, the session directory passed to `loopin-session`). The
//! agent's ssh and isolation suites and the web app's browser fixture log clients in through it.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// `sshd` on a free loopback port with its own host key, allowing only `prefix*` users; killed
/// when dropped.
pub struct Sshd {
    child: Child,
    /// The loopback port it listens on.
    pub port: u16,
    /// Its public host key file (`<dir>/host_ed25519.pub`).
    pub host_key: PathBuf,
    /// Its configuration file (`<dir>/sshd_config`): confinement's `sshd_config`.
    pub config: PathBuf,
}

/// Why the test server did not start.
#[derive(thiserror::Error, Debug)]
pub enum SshdError {
    #[error("/usr/sbin/sshd missing: apt-get install openssh-server (scripts/test.sh does)")]
    Missing,
    #[error("{0}: {1}")]
    Io(&'static str, std::io::Error),
    #[error("ssh-keygen failed: {0}")]
    Keygen(String),
    #[error("sshd did not listen on 127.0.0.1:{0} within 5 s")]
    NotListening(u16),
}

impl Sshd {
    /// Starts it with its files (host key, config, pid file) in `dir`, reading authorized keys
    /// from `confine.keys_dir` and telling `loopin-session` its `confine.session_dir`.
    pub fn start(
        dir: &Path,
        prefix: &str,
        confine: &crate::confine::limits::ConfineConfig,
    ) -> Result<Sshd, SshdError> {
        if !Path::new("/usr/sbin/sshd").exists() {
            return Err(SshdError::Missing);
        }
        let host_key = dir.join("host_ed25519");
        let out = Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-f"])
            .arg(&host_key)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| SshdError::Io("ssh-keygen", e))?;
        if !out.status.success() {
            return Err(SshdError::Keygen(
                String::from_utf8_lossy(&out.stderr).into(),
            ));
        }
        std::fs::create_dir_all("/run/sshd").map_err(|e| SshdError::Io("/run/sshd", e))?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .map_err(|e| SshdError::Io("a free port", e))?
            .port();
        let config = dir.join("sshd_config");
        std::fs::write(
            &config,
            format!(
                "Port {port}\nListenAddress 127.0.0.1\nHostKey {}\nPidFile {}\n\
                 PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM yes\n\
                 StrictModes yes\nAllowUsers {prefix}*\n{}",
                host_key.display(),
                dir.join("sshd.pid").display(),
                crate::confine::sshd_config(prefix, confine),
            ),
        )
        .map_err(|e| SshdError::Io("sshd_config", e))?;
        let child = Command::new("/usr/sbin/sshd")
            .arg("-D")
            .arg("-e")
            .arg("-f")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| SshdError::Io("sshd", e))?;
        let mut sshd = Sshd {
            child,
            port,
            host_key: dir.join("host_ed25519.pub"),
            config,
        };
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(sshd);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = sshd.child.kill();
        Err(SshdError::NotListening(port))
    }
}

/// Confinement for tests, as a miner configures it but small (64 MiB of memory, one core, 64
/// processes, a 32 MiB home, an 8 MiB /tmp): its directories under `/run/loopin-test-<prefix>`
/// (sshd's StrictModes wants the key directory's parents owned by root and not world-writable,
/// which a temporary directory under /tmp is not), with a copy of `session_binary` there that
/// every tenant can execute, the cgroups under `loopin-test`. Whatever an earlier run left there
/// is removed.
pub fn test_confinement(
    prefix: &str,
    session_binary: &Path,
) -> std::io::Result<crate::confine::limits::ConfineConfig> {
    use std::os::unix::fs::PermissionsExt as _;
    let root = PathBuf::from(format!("/run/loopin-test-{prefix}"));
    if root.exists() {
        std::fs::remove_dir_all(&root)?;
    }
    std::fs::create_dir_all(&root)?;
    std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o755))?;
    let binary = root.join("loopin-session");
    std::fs::copy(session_binary, &binary)?;
    std::fs::set_permissions(&binary, std::fs::Permissions::from_mode(0o755))?;
    Ok(crate::confine::limits::ConfineConfig {
        session_binary: binary,
        session_dir: root.join("sessions"),
        keys_dir: root.join("keys"),
        cgroup_parent: "loopin-test".into(),
        memory_mib: 64,
        cpus: 1.0,
        pids_max: 64,
        disk_mib: 32,
        tmp_mib: 8,
        ..crate::confine::limits::ConfineConfig::default()
    })
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
