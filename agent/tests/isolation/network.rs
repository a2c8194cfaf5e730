//! Isolation, the network: the host's ports, abstract sockets, broadcast and multicast out of a
//! tenant's reach, egress beyond the host allowed but not to blocked networks, and the firewall
//! back after a ruleset reload.

use super::{host, host_with, refused, ssh, stdout};
use loopin_agent::accounts::Accounts;
use loopin_agent::test_host::TestHost;
use loopin_agent::username::Username;
use std::io::Read as _;
use std::process::Command;
use std::time::Duration;

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
    tokio::spawn(loopin_telemetry::metrics::Metrics::new().serve(metrics_listener));
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
    // Listening before anyone connects: python's start-up takes longer than any fixed pause on
    // a loaded host (a connection made before the bind was refused, and the test failed).
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while std::time::Instant::now() < deadline {
        let listening = Command::new("ip")
            .args(["netns", "exec", peer, "ss", "-Hltn"])
            .arg(format!("sport = :{port}"))
            .output()
            .is_ok_and(|out| !out.stdout.is_empty());
        if listening {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
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
