//! What confinement costs a miner and a client: the time to provision a lease's account (with its
//! home image, cgroup and sandbox, or without), to run one command over ssh through the sandbox's
//! supervisor (or straight on the host), and to remove the account at the lease's end.
//!
//!   cargo bench --profile dev -p loopin-agent --bench session_startup
//!
//! Needs root, sshd, bwrap, nft (scripts/test.sh installs them). Prints a table and one JSON line;
//! the figures in docs/agent.md come from it.

use loopin_agent::accounts::Accounts;
use loopin_agent::test_host::{TestHost, kernel_lacks};
use std::path::Path;
use std::time::{Duration, Instant};

const TENANTS: u64 = 5;
const COMMANDS: usize = 20;

struct Figures {
    provision: Vec<Duration>,
    command: Vec<Duration>,
    remove: Vec<Duration>,
}

fn median(times: &mut [Duration]) -> f64 {
    times.sort();
    times[times.len() / 2].as_secs_f64() * 1e3
}

fn measure(prefix: &str, confined: bool) -> Figures {
    let host = TestHost::start(
        prefix,
        Path::new(env!("CARGO_BIN_EXE_loopin-session")),
        |config| config.enabled = confined,
    )
    .expect("test host");
    let mut figures = Figures {
        provision: Vec::new(),
        command: Vec::new(),
        remove: Vec::new(),
    };
    let mut users = Vec::new();
    for order in 1..=TENANTS {
        let start = Instant::now();
        users.push(host.tenant(order).expect("provision"));
        figures.provision.push(start.elapsed());
    }
    for round in 0..COMMANDS {
        let user = &users[round % users.len()];
        let start = Instant::now();
        let out = host.ssh(user, "true").expect("ssh");
        figures.command.push(start.elapsed());
        assert!(out.status.success(), "{out:?}");
    }
    for user in &users {
        let start = Instant::now();
        host.accounts.remove(user).expect("remove");
        figures.remove.push(start.elapsed());
    }
    figures
}

fn main() {
    if let Some(feature) = kernel_lacks() {
        eprintln!("session_startup: this kernel lacks {feature}; nothing measured");
        return;
    }
    let mut confined = measure("lpbconf", true);
    let mut plain = measure("lpbplain", false);
    let rows = [
        (
            "provision a lease's account",
            median(&mut confined.provision),
            median(&mut plain.provision),
        ),
        (
            "ssh <host> true (login, command, exit)",
            median(&mut confined.command),
            median(&mut plain.command),
        ),
        (
            "remove at the lease's end",
            median(&mut confined.remove),
            median(&mut plain.remove),
        ),
    ];
    println!(
        "median of {TENANTS} accounts / {COMMANDS} commands, ms | confined | unconfined | extra"
    );
    for (what, with, without) in &rows {
        println!(
            "{what:<40} | {with:>8.1} | {without:>10.1} | {:>+6.1}",
            with - without
        );
    }
    println!(
        "{{\"provision_ms\":[{:.1},{:.1}],\"command_ms\":[{:.1},{:.1}],\"remove_ms\":[{:.1},{:.1}]}}",
        rows[0].1, rows[0].2, rows[1].1, rows[1].2, rows[2].1, rows[2].2
    );
}
