//! Isolation, the resources: memory, processes, disk, and processes that would outlive the lease.

use super::{host, processes_of, ssh, stdout};
use loopin_agent::accounts::Accounts;
use std::process::Command;

#[test]
fn a_tenant_exceeding_its_memory_is_killed_and_nothing_else_is() {
    let Some(host) = host("lpimem") else { return };
    let (hog, neighbour) = (host.tenant(1).unwrap(), host.tenant(2).unwrap());
    // 200 MiB into tail's buffer, against a limit of 112 MiB (64 and the sandbox's 48).
    let out = ssh(
        &host,
        &hog,
        "head -c 200M /dev/zero | tail > /dev/null; echo ${PIPESTATUS[1]}",
    );
    assert_eq!(stdout(&out).trim(), "137", "{out:?}");
    let confinement = host.accounts.confinement.as_ref().unwrap();
    assert_eq!(confinement.oom_kills(hog.as_str()), 1);
    assert_eq!(confinement.oom_kills(neighbour.as_str()), 0);
    // The hog's sandbox and its neighbour both still serve.
    assert_eq!(stdout(&ssh(&host, &hog, "echo alive")), "alive\n");
    assert_eq!(stdout(&ssh(&host, &neighbour, "echo alive")), "alive\n");
}

#[test]
fn a_fork_bomb_stops_at_the_process_limit_and_the_host_is_unaffected() {
    let Some(host) = host("lpifork") else { return };
    let (bomber, neighbour) = (host.tenant(1).unwrap(), host.tenant(2).unwrap());
    let uid = host.uid(&bomber).unwrap();
    let out = ssh(
        &host,
        &bomber,
        "(setsid bash -c ':(){ :|:& };:' </dev/null >/dev/null 2>&1 &); sleep 3; echo launched",
    );
    assert_eq!(stdout(&out), "launched\n", "{out:?}");
    let confinement = host.accounts.confinement.as_ref().unwrap();
    let pids = confinement.pids(bomber.as_str()).len();
    assert!(pids > 10, "the bomb did not run: {pids} processes");
    assert!(pids <= 64, "{pids} processes past the limit of 64");
    // The host forks; the neighbour logs in and works.
    assert!(Command::new("true").status().unwrap().success());
    assert_eq!(stdout(&ssh(&host, &neighbour, "echo alive")), "alive\n");
    // The lease ends: every process of the bomb is gone at once.
    host.accounts.remove(&bomber).unwrap();
    assert_eq!(processes_of(uid), vec![]);
}

#[test]
fn a_tenant_filling_its_disk_stops_at_its_quota() {
    let Some(host) = host("lpidisk") else { return };
    let tenant = host.tenant(1).unwrap();
    let free = || nix::sys::statvfs::statvfs("/").unwrap();
    let before = free().blocks_available() * free().fragment_size();
    let out = ssh(
        &host,
        &tenant,
        "dd if=/dev/zero of=$HOME/fill bs=1M count=100 2>&1; \
         dd if=/dev/zero of=/tmp/fill bs=1M count=100 2>&1; \
         dd if=/dev/zero of=/run/loopin/session/fill bs=1M count=100 2>&1; \
         mkdir -p /run/loopin/session/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q 2>&1",
    );
    let text = stdout(&out);
    // The home, the private /tmp, and the session directory, which is on the host's /run: a
    // tmpfs of 64 KiB and 16 inodes of its own, so neither the host's /run filled nor a deep
    // tree the agent would have to walk at removal.
    assert_eq!(text.matches("No space left on device").count(), 4, "{text}");
    let home = std::fs::metadata(host.home(&tenant).join("fill"))
        .unwrap()
        .len();
    assert!(home <= 32 << 20, "the home took {home} bytes");
    let after = free().blocks_available() * free().fragment_size();
    // The image was made before the test's writes; the host lost nothing more than its size.
    assert!(
        before.saturating_sub(after) <= 33 << 20,
        "the host lost {} bytes",
        before - after
    );
}

#[test]
fn a_daemonized_process_does_not_outlive_the_lease() {
    let Some(host) = host("lpidaemon") else {
        return;
    };
    let tenant = host.tenant(1).unwrap();
    let uid = host.uid(&tenant).unwrap();
    let out = ssh(
        &host,
        &tenant,
        "(setsid nohup sleep 1000 </dev/null >/dev/null 2>&1 &); echo detached",
    );
    assert_eq!(stdout(&out), "detached\n");
    // The shell answers before its detached child has become `sleep` (setsid, then nohup, then
    // sleep, each an exec): wait for it, on a loaded host too.
    let started = (0..200).any(|_| {
        let running = processes_of(uid).iter().any(|(_, name)| name == "sleep");
        if !running {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        running
    });
    assert!(started, "the daemon did not start");
    host.accounts.remove(&tenant).unwrap();
    assert_eq!(processes_of(uid), vec![], "a process outlived the lease");
    assert!(host.accounts.list().unwrap().is_empty());
}
