//! Tenant isolation, attacked from inside: a tenant logs in over a real sshd into its lease's
//! sandbox and tries, one test each, what a hostile client of a miner's host would. Each attempt
//! fails; the host and the other tenant are checked unaffected.
//!
//! Needs root, sshd, bwrap and nft (`scripts/test.sh` installs them). A test skips, saying
//! which, only where the kernel lacks a feature confinement needs.

use loopin_agent::accounts::Accounts;
use loopin_agent::test_host::{TestHost, kernel_lacks};
use loopin_agent::username::Username;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

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

/// Whether the tenant's shell connects to `address` (bash's /dev/tcp).
fn tenant_connects(host: &TestHost, tenant: &Username, address: &str, port: u16) -> bool {
    let out = ssh(
        host,
        tenant,
        // A refused connection through pasta is not refused inside (Debian 12's passt): it
        // hangs until TCP gives up. Five seconds tell either way.
        &format!("timeout 5 bash -c 'exec 3<>/dev/tcp/{address}/{port}' && echo connected"),
    );
    stdout(&out).contains("connected")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_cannot_reach_the_provers_or_the_agents_ports() {
    let Some(host) = host("lpiport") else { return };
    // The agent's real metrics exporter on loopback, and a port on every address standing for
    // the prover's gRPC (which verifiers reach from outside).
    let metrics_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let metrics_port = metrics_listener.local_addr().unwrap().port();
    tokio::spawn(loopin_prover::metrics::Metrics::new().serve(metrics_listener));
    let prover = std::net::TcpListener::bind("0.0.0.0:0").unwrap();
    prover.set_nonblocking(true).unwrap();
    let prover_port = prover.local_addr().unwrap().port();
    let tenant = host.tenant(1).unwrap();

    let mut addresses = vec!["127.0.0.1".to_string()];
    let out = Command::new("hostname").arg("-I").output().unwrap();
    addresses.extend(
        stdout(&out)
            .split_whitespace()
            .filter(|address| !address.contains(':'))
            .map(str::to_string),
    );
    for address in &addresses {
        // The host itself reaches both: the rule is the tenant's alone.
        assert!(std::net::TcpStream::connect((address.as_str(), prover_port)).is_ok());
        assert!(
            !tenant_connects(&host, &tenant, address, prover_port),
            "the tenant reached {address}:{prover_port}"
        );
    }
    assert!(std::net::TcpStream::connect(("127.0.0.1", metrics_port)).is_ok());
    assert!(
        !tenant_connects(&host, &tenant, "127.0.0.1", metrics_port),
        "the tenant reached the agent's metrics"
    );
    // sshd's own port, and forwarding through sshd, are refused too.
    assert!(!tenant_connects(
        &host,
        &tenant,
        "127.0.0.1",
        host.sshd.port
    ));
    let forward = Command::new("ssh")
        .args(["-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no"])
        .args([
            "-o",
            "UserKnownHostsFile=/dev/null",
            "-o",
            "ExitOnForwardFailure=yes",
        ])
        .args(["-L", &format!("0:127.0.0.1:{metrics_port}"), "-i"])
        .arg(&host.client_key)
        .args(["-p", &host.sshd.port.to_string()])
        .arg(format!("{tenant}@127.0.0.1"))
        .arg("true")
        .output()
        .unwrap();
    assert!(!forward.status.success(), "forwarding allowed: {forward:?}");
    // Of the host's own connections above, one per address; none came from the tenant.
    let mut accepted = 0;
    while let Ok((mut stream, _)) = prover.accept() {
        let mut buf = [0u8; 1];
        let _ = stream.set_read_timeout(Some(Duration::from_millis(50)));
        let _ = stream.read(&mut buf);
        accepted += 1;
    }
    assert_eq!(accepted, addresses.len());
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
    assert!(
        processes_of(uid).iter().any(|(_, name)| name == "sleep"),
        "the daemon did not start"
    );
    host.accounts.remove(&tenant).unwrap();
    assert_eq!(processes_of(uid), vec![], "a process outlived the lease");
    assert!(host.accounts.list().unwrap().is_empty());
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
fn a_tenant_cannot_take_a_host_port_or_reach_a_host_abstract_socket() {
    let Some(host) = host("lpibind") else { return };
    let tenant = host.tenant(1).unwrap();
    // A port free on the host, as the prover's is while it restarts.
    let port = std::net::TcpListener::bind("0.0.0.0:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // The tenant listens on it, and keeps listening while the host looks.
    let out = ssh(
        &host,
        &tenant,
        &format!(
            "(setsid python3 -c 'import socket, time; s = socket.socket(); \
             s.bind((\"0.0.0.0\", {port})); s.listen(); time.sleep(30)' \
             </dev/null >/dev/null 2>&1 &); sleep 1; \
             exec 3<>/dev/tcp/127.0.0.1/{port} && echo listening"
        ),
    );
    assert_eq!(stdout(&out), "listening\n", "{out:?}");
    // It bound in its own network namespace: the host's port is still free.
    assert!(std::net::TcpListener::bind(("0.0.0.0", port)).is_ok());

    // A host service's abstract Unix socket.
    use std::os::linux::net::SocketAddrExt as _;
    let addr = std::os::unix::net::SocketAddr::from_abstract_name(b"loopin-test-lpibind").unwrap();
    let _abstract = std::os::unix::net::UnixListener::bind_addr(&addr).unwrap();
    let out = ssh(
        &host,
        &tenant,
        "python3 -c 'import socket; s = socket.socket(socket.AF_UNIX); \
         s.connect(\"\\0loopin-test-lpibind\"); print(\"connected\")'",
    );
    assert!(refused(&out, "ConnectionRefusedError"), "{out:?}");
}

/// A peer outside the host: a network namespace behind a veth pair, routed from the host.
struct Peer {
    name: String,
}

impl Peer {
    fn start(name: &str, subnet: u8) -> Peer {
        let ip = |args: &str| {
            let out = Command::new("ip").args(args.split(' ')).output().unwrap();
            assert!(out.status.success(), "ip {args}: {out:?}");
        };
        let _ = Command::new("ip").args(["netns", "del", name]).output();
        let _ = Command::new("ip")
            .args(["link", "del", &format!("{name}0")])
            .output();
        ip(&format!("netns add {name}"));
        ip(&format!(
            "link add {name}0 type veth peer name {name}1 netns {name}"
        ));
        ip(&format!("addr add 10.{subnet}.0.1/24 dev {name}0"));
        ip(&format!("link set {name}0 up"));
        ip(&format!(
            "-n {name} addr add 10.{subnet}.0.2/24 dev {name}1"
        ));
        ip(&format!("-n {name} link set {name}1 up"));
        ip(&format!("-n {name} link set lo up"));
        Peer { name: name.into() }
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .output();
        let _ = Command::new("ip")
            .args(["link", "del", &format!("{}0", self.name)])
            .output();
    }
}

/// A server on `peer` at `address:port` answering `answer` to the first connection, if any.
fn serve_once(peer: &str, address: &str, port: u16, answer: &str) -> std::process::Child {
    let child = Command::new("ip")
        .args(["netns", "exec", peer, "timeout", "20", "python3", "-c"])
        .arg(format!(
            "import socket; s = socket.socket(); s.bind(('{address}', {port})); s.listen(); \
             c, _ = s.accept(); c.sendall(b'{answer}\\n'); c.close()"
        ))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    child
}

#[test]
fn a_tenant_reaches_addresses_beyond_the_host_but_not_the_blocked_networks() {
    let Some(host) = host_with("lpiegress", |config| {
        config.blocked_networks.push("10.215.0.0/24".into());
    }) else {
        return;
    };
    let tenant = host.tenant(1).unwrap();
    let (_open, _blocked) = (Peer::start("lpiegress", 213), Peer::start("lpiblock", 215));
    let mut server = serve_once("lpiegress", "10.213.0.2", 47001, "beyond the host");
    let out = ssh(
        &host,
        &tenant,
        "exec 3<>/dev/tcp/10.213.0.2/47001 && head -1 <&3",
    );
    assert_eq!(stdout(&out), "beyond the host\n", "{out:?}");
    assert!(server.wait().unwrap().success());

    // A network the miner blocked (its LAN, say): refused, and the server never hears of it.
    let mut server = serve_once("lpiblock", "10.215.0.2", 47002, "blocked");
    assert!(std::net::TcpStream::connect(("10.215.0.2", 47002)).is_ok());
    assert!(
        server.wait().unwrap().success(),
        "the host itself reaches it"
    );
    let mut server = serve_once("lpiblock", "10.215.0.2", 47002, "blocked");
    assert!(!tenant_connects(&host, &tenant, "10.215.0.2", 47002));
    let _ = server.kill();
    assert!(
        !server.wait().unwrap().success(),
        "the tenant's connection arrived"
    );
}

#[test]
fn a_tenants_multicast_and_broadcast_reach_no_host_service() {
    let Some(host) = host("lpicast") else { return };
    let tenant = host.tenant(1).unwrap();
    // A host service listening on every address, as mDNS or SSDP responders do.
    let service = std::net::UdpSocket::bind("0.0.0.0:0").unwrap();
    service.set_broadcast(true).unwrap();
    service
        .set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let port = service.local_addr().unwrap().port();
    let out = ssh(
        &host,
        &tenant,
        &format!(
            "python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); \
             s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1); \
             [s.sendto(b\"x\", (a, {port})) for a in \
             (\"224.0.0.1\", \"255.255.255.255\", \"127.0.0.1\")]; print(\"sent\")'"
        ),
    );
    assert!(
        stdout(&out).contains("sent") || !out.status.success(),
        "{out:?}"
    );
    let mut buf = [0u8; 16];
    assert!(
        service.recv_from(&mut buf).is_err(),
        "a tenant's datagram reached the host's service"
    );
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
fn a_firewall_flushed_by_a_ruleset_reload_is_back_on_the_next_pass() {
    let Some(host) = host("lpireload") else {
        return;
    };
    let tenant = host.tenant(1).unwrap();
    // An address of the host that pasta does not copy into the tenant's namespace (a second
    // interface's, a container bridge's), with a service on every address.
    let extra = "10.218.0.1";
    let _ = Command::new("ip")
        .args(["addr", "del", &format!("{extra}/32"), "dev", "lo"])
        .output();
    let out = Command::new("ip")
        .args(["addr", "add", &format!("{extra}/32"), "dev", "lo"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let service = std::net::TcpListener::bind("0.0.0.0:0").unwrap();
    let port = service.local_addr().unwrap().port();
    assert!(!tenant_connects(&host, &tenant, extra, port));

    // `systemctl reload nftables` runs `flush ruleset` first: the agent's table is gone, and
    // the tenant reaches the host's service.
    let flushed = Command::new("nft")
        .args(["delete", "table", "inet", "loopin_agent_lpireload"])
        .output()
        .unwrap();
    assert!(flushed.status.success(), "{flushed:?}");
    assert!(tenant_connects(&host, &tenant, extra, port));

    // The next pass puts it back.
    host.accounts.maintain().unwrap();
    assert!(!tenant_connects(&host, &tenant, extra, port));
    let _ = Command::new("ip")
        .args(["addr", "del", &format!("{extra}/32"), "dev", "lo"])
        .output();
}
