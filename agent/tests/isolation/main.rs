//! Tenant isolation, attacked from inside: a tenant logs in over a real sshd into its lease's
//! sandbox and tries, one test each, what a hostile client of a miner's host would. Each attempt
//! fails; the host and the other tenant are checked unaffected.
//!
//! Needs root, sshd, bwrap and nft (`scripts/test.sh` installs them). A test skips, saying
//! which, only where the kernel lacks a feature confinement needs.

use loopin_agent::accounts::Accounts;
use loopin_agent::test_host::{TestHost, kernel_lacks};
use loopin_agent::username::Username;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod network;
mod resources;

const SESSION: &str = env!("CARGO_BIN_EXE_loopin-session");

/// The host, or `None` (with the reason printed) where the kernel cannot confine.
fn host(prefix: &str) -> Option<TestHost> {
    host_with(prefix, |_| {})
}

fn host_with(
    prefix: &str,
    edit: impl FnOnce(&mut loopin_agent::confine::limits::ConfineConfig),
) -> Option<TestHost> {
    if let Some(feature) = kernel_lacks() {
        eprintln!("SKIPPED: this kernel lacks {feature}");
        return None;
    }
    Some(TestHost::start(prefix, Path::new(SESSION), edit).expect("test host"))
}

fn ssh(host: &TestHost, user: &Username, command: &str) -> Output {
    host.ssh(user, command).expect("ssh")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// Live processes of `uid` on the host, from /proc.
fn processes_of(uid: u32) -> Vec<(i32, String)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
            continue;
        };
        let field = |name: &str| {
            status
                .lines()
                .find_map(|line| line.strip_prefix(name))
                .map(|v| v.trim().to_string())
                .unwrap_or_default()
        };
        let owned = field("Uid:")
            .split_whitespace()
            .next()
            .is_some_and(|id| id.parse() == Ok(uid));
        if owned && !field("State:").starts_with('Z') {
            found.push((pid, field("Name:")));
        }
    }
    found
}

/// Whether the tenant's command failed with `error` in its output.
fn refused(out: &Output, error: &str) -> bool {
    let all = format!("{}{}", stdout(out), String::from_utf8_lossy(&out.stderr));
    !out.status.success() && all.contains(error)
}

#[test]
fn a_tenant_cannot_list_the_hosts_processes() {
    let Some(host) = host("lpiproc") else { return };
    let tenant = host.tenant(1).unwrap();
    let out = ssh(&host, &tenant, "cat /proc/[0-9]*/comm");
    assert!(out.status.success(), "{out:?}");
    let seen: Vec<String> = stdout(&out).lines().map(str::to_string).collect();
    // Only the sandbox: bubblewrap's init, the supervisor, the session's shell and its cat.
    for name in &seen {
        assert!(
            ["bwrap", "loopin-session", "bash", "cat"].contains(&name.as_str()),
            "the tenant sees {name}: {seen:?}"
        );
    }
    assert!(seen.len() <= 5, "{seen:?}");
    // The host runs sshd, this test and init, none of them visible.
    assert!(!seen.iter().any(|name| name == "sshd"));
}

#[test]
fn a_tenant_cannot_read_the_provers_key_or_encoding() {
    let Some(host) = host("lpikey") else { return };
    // The prover's data, deliberately world-readable: the sandbox, not permissions, hides it.
    let data = PathBuf::from("/var/lib/loopin-test-lpikey/prover");
    let _ = std::fs::remove_dir_all(data.parent().unwrap());
    loopin_prover::storage::device_key(&data).unwrap();
    let key = data.join("device.key");
    let encoding = loopin_prover::storage::blocks_path(&data);
    std::fs::write(&encoding, [7u8; 4096]).unwrap();
    for path in [data.parent().unwrap(), &data, &key, &encoding] {
        let mode = if path.is_dir() { 0o755 } else { 0o644 };
        std::fs::set_permissions(path, std::os::unix::fs::PermissionsExt::from_mode(mode)).unwrap();
    }
    let tenant = host.tenant(1).unwrap();
    let uid = host.uid(&tenant).unwrap();
    // Outside a sandbox the tenant's uid could read both.
    let unconfined = Command::new("setpriv")
        .args(["--reuid", &uid.to_string(), "--regid", &uid.to_string()])
        .args(["--clear-groups", "cat"])
        .arg(&key)
        .output()
        .unwrap();
    assert!(unconfined.status.success(), "{unconfined:?}");

    for path in [&key, &encoding] {
        let out = ssh(&host, &tenant, &format!("cat {}", path.display()));
        assert!(refused(&out, "No such file"), "{out:?}");
    }
    let out = ssh(&host, &tenant, "ls /var/lib /root /home");
    assert!(refused(&out, "No such file"), "{out:?}");
    // The agent's state (markers, home images) and the keys' directory are out of view too.
    let out = ssh(
        &host,
        &tenant,
        &format!(
            "ls {} {}",
            host.accounts.state_dir.display(),
            host.accounts.keys_dir.display()
        ),
    );
    assert!(refused(&out, "No such file"), "{out:?}");
    std::fs::remove_dir_all(data.parent().unwrap()).unwrap();
}

#[test]
fn a_tenant_cannot_write_outside_its_home() {
    let Some(host) = host("lpiwrite") else { return };
    let tenant = host.tenant(1).unwrap();
    for path in [
        "/usr/lpiwrite",
        "/etc/lpiwrite",
        "/lpiwrite",
        "/proc/sys/kernel/hostname",
    ] {
        let out = ssh(&host, &tenant, &format!("echo x > {path}"));
        assert!(!out.status.success(), "wrote {path}: {out:?}");
        assert!(!Path::new(path).exists() || path.starts_with("/proc"));
    }
    // Its home and its own /tmp are writable; the /tmp is not the host's.
    let out = ssh(
        &host,
        &tenant,
        "echo mine > ~/file && echo scratch > /tmp/lpiwrite-scratch && cat /tmp/lpiwrite-scratch",
    );
    assert_eq!(stdout(&out), "scratch\n", "{out:?}");
    assert!(!Path::new("/tmp/lpiwrite-scratch").exists());
    let file = host.home(&tenant).join("file");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "mine\n");
}

#[test]
fn a_tenant_sees_neither_another_tenants_files_nor_processes() {
    let Some(host) = host("lpiother") else { return };
    let (spy, victim) = (host.tenant(1).unwrap(), host.tenant(2).unwrap());
    let out = ssh(
        &host,
        &victim,
        "echo secret > ~/secret; (setsid sleep 300 </dev/null >/dev/null 2>&1 &); echo ok",
    );
    assert_eq!(stdout(&out), "ok\n");
    let victim_home = host.home(&victim);
    let out = ssh(
        &host,
        &spy,
        &format!("cat {}/secret", victim_home.display()),
    );
    assert!(refused(&out, "No such file"), "{out:?}");
    // Only its own home is under the homes' directory, in its view.
    let out = ssh(
        &host,
        &spy,
        &format!("ls {}", host.accounts.home_root.display()),
    );
    assert_eq!(stdout(&out), format!("{spy}\n"), "{out:?}");
    let out = ssh(&host, &spy, "cat /proc/[0-9]*/comm");
    assert!(!stdout(&out).contains("sleep"), "{out:?}");
    // And the victim's processes are untouched by the spy's sessions.
    let uid = host.uid(&victim).unwrap();
    assert!(processes_of(uid).iter().any(|(_, name)| name == "sleep"));
}

#[test]
fn only_the_leased_gpus_device_nodes_are_in_the_sandbox() {
    // Character devices standing for GPU nodes (/dev/null's numbers): one leased, one not.
    let node = |name: &str| {
        let path = PathBuf::from(format!("/dev/{name}"));
        let _ = std::fs::remove_file(&path);
        let dev = nix::sys::stat::makedev(1, 3);
        nix::sys::stat::mknod(
            &path,
            nix::sys::stat::SFlag::S_IFCHR,
            nix::sys::stat::Mode::from_bits_truncate(0o666),
            dev,
        )
        .unwrap();
        // As the NVIDIA driver makes its nodes: open to everyone, access decided by who sees
        // them.
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o666))
            .unwrap();
        path
    };
    let (leased, other) = (node("lpigpu-leased0"), node("lpigpu-other1"));
    let leased_config = leased.clone();
    let Some(host) = host_with("lpigpu", move |config| {
        config.gpu_devices = vec![leased_config];
    }) else {
        return;
    };
    let tenant = host.tenant(1).unwrap();
    let out = ssh(
        &host,
        &tenant,
        "ls /dev; echo data > /dev/lpigpu-leased0 && echo used",
    );
    let seen = stdout(&out);
    assert!(seen.contains("lpigpu-leased0"), "{seen}");
    assert!(seen.contains("used"), "{seen}");
    assert!(!seen.contains("lpigpu-other1"), "{seen}");
    for host_disk in ["vda", "sda", "nvme0n1", "loop0"] {
        assert!(!seen.lines().any(|line| line == host_disk), "{seen}");
    }
    std::fs::remove_file(leased).unwrap();
    std::fs::remove_file(other).unwrap();
}

#[test]
fn a_restarted_agent_ends_a_sandbox_whose_account_a_crash_left_half_removed() {
    let Some(host) = host("lpicrash") else { return };
    let tenant = host.tenant(1).unwrap();
    let uid = host.uid(&tenant).unwrap();
    ssh(
        &host,
        &tenant,
        "(setsid sleep 1000 </dev/null >/dev/null 2>&1 &)",
    );
    // The agent died between removing the account and ending the sandbox.
    let out = Command::new("userdel")
        .args(["--force", tenant.as_str()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(processes_of(uid).iter().any(|(_, name)| name == "sleep"));

    // Restarted, it finds the sandbox and, the lease being over, ends it.
    let listed = host.accounts.list().unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].user, tenant);
    assert_eq!(listed[0].uid, None);
    assert!(!listed[0].provisioned);
    host.accounts.remove(&tenant).unwrap();
    assert_eq!(processes_of(uid), vec![]);
    assert!(host.accounts.list().unwrap().is_empty());
}

#[test]
fn a_tenants_pam_environment_reaches_nothing_outside_the_sandbox() {
    // sshd runs PAM as Debian ships it: pam_env reads the account's ~/.pam_environment
    // (user_readenv=1) into the login shell's environment, on the host.
    let Some(host) = host("lpipam") else { return };
    let tenant = host.tenant(1).unwrap();
    let out = ssh(
        &host,
        &tenant,
        "echo 'LD_PRELOAD DEFAULT=/lpipam/evil.so' > ~/.pam_environment; \
         mkdir -p ~/.config/systemd/user; echo written",
    );
    assert_eq!(stdout(&out), "written\n", "{out:?}");
    // Had it reached the login shell outside the sandbox, the loader would have tried it there.
    let out = ssh(&host, &tenant, "echo $LD_PRELOAD; echo in");
    assert_eq!(stdout(&out), "\nin\n", "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("evil.so"), "{stderr}");
    // What sshd and PAM read as the account's home is root's and empty.
    let passwd_home = Command::new("getent")
        .args(["passwd", tenant.as_str()])
        .output()
        .unwrap();
    let passwd_home = stdout(&passwd_home);
    let passwd_home = Path::new(passwd_home.trim().split(':').nth(5).unwrap());
    assert_ne!(passwd_home, host.home(&tenant));
    let meta = std::fs::metadata(passwd_home).unwrap();
    assert_eq!(std::os::unix::fs::MetadataExt::uid(&meta), 0);
    assert_eq!(std::fs::read_dir(passwd_home).unwrap().count(), 0);
}

#[test]
fn an_sshd_that_would_let_a_tenant_out_stops_the_agent_from_starting() {
    use loopin_agent::confine::sshd::SshdError;
    use loopin_agent::confine::{ConfineError, Confinement};
    let Some(host) = host("lpisshd") else { return };
    let good = std::fs::read_to_string(&host.sshd.config).unwrap();
    let mut confine =
        loopin_agent::test_sshd::test_confinement("lpisshdx", Path::new(SESSION)).unwrap();
    // The miner's sshd, with forwarding left on and a client's LD_* accepted.
    let bad = host.dir.path().join("sshd_config.bad");
    std::fs::write(
        &bad,
        good.replace(
            "Match User lpisshd*",
            "AcceptEnv LANG LC_* LD_*\nMatch User lpisshd*",
        )
        .replace("DisableForwarding yes", "DisableForwarding no")
        .replace(
            &host.accounts.keys_dir.display().to_string(),
            &confine.keys_dir.display().to_string(),
        )
        .replace("/run/loopin-test-lpisshd/", "/run/loopin-test-lpisshdx/")
        .replace("lpisshd*", "lpisshdx*"),
    )
    .unwrap();
    confine.sshd_config = bad;
    let refused = Confinement::new(confine, "lpisshdx", &host.dir.path().join("state"));
    let Err(ConfineError::Sshd(SshdError::Refused { problems, .. })) = refused else {
        panic!("started: {:?}", refused.err());
    };
    assert!(
        problems.iter().any(|p| p.starts_with("disableforwarding")),
        "{problems:?}"
    );
    assert!(
        problems.iter().any(|p| p.starts_with("acceptenv LD_*")),
        "{problems:?}"
    );
    let _ = std::fs::remove_dir_all("/run/loopin-test-lpisshdx");
}
