//! The host's own services out of a tenant's reach: an nftables table that rejects any packet a
//! tenant's socket sends to an address of this host (loopback and the host's own addresses: the
//! prover's gRPC port, the agent's and the prover's metrics, sshd's other ports), to broadcast,
//! multicast and anycast addresses (host services listening there: mDNS, SSDP), and to the
//! miner's `blocked_networks` (link-local by default: a cloud host's metadata service), by the
//! socket's owner. Egress to any other address is untouched.
//!
//! Matching the socket's owner covers everything a tenant runs, inside its sandbox (a user
//! namespace keeps the host's uid on its sockets) or not. One table per agent (its account
//! prefix), replaced whole and atomically by `nft -f` on each change.

use std::io::Write as _;
use std::process::{Command, Stdio};

/// Why the rules were not applied.
#[derive(thiserror::Error, Debug)]
pub enum FirewallError {
    #[error("nft: {0} (install nftables)")]
    Spawn(std::io::Error),
    #[error("nft refused the ruleset: {0}")]
    Refused(String),
}

/// The table's name for an agent whose accounts start with `prefix`.
pub fn table(prefix: &str) -> String {
    format!("loopin_agent_{prefix}")
}

/// The ruleset replacing the table with one that rejects `uids`' traffic to the host itself,
/// to broadcast, multicast and anycast addresses, and to `blocked` (CIDRs already validated by
/// [`super::limits::ConfineConfig::validate`]; malformed ones are left out).
pub fn ruleset(prefix: &str, uids: &[u32], blocked: &[String]) -> String {
    let table = table(prefix);
    let elements = if uids.is_empty() {
        String::new()
    } else {
        let list: Vec<String> = uids.iter().map(u32::to_string).collect();
        format!(" elements = {{ {} }};", list.join(", "))
    };
    let mut rules = vec![
        "meta skuid @tenants fib daddr type { local, broadcast, multicast, anycast } counter reject"
            .to_string(),
    ];
    for (family, v4) in [("ip", true), ("ip6", false)] {
        let networks: Vec<String> = blocked
            .iter()
            .filter_map(|cidr| super::limits::parse_network(cidr))
            .filter(|(address, _)| address.is_ipv4() == v4)
            .map(|(address, prefix)| format!("{address}/{prefix}"))
            .collect();
        if !networks.is_empty() {
            rules.push(format!(
                "meta skuid @tenants {family} daddr {{ {} }} counter reject",
                networks.join(", ")
            ));
        }
    }
    // TCP is refused with a reset: an ICMP error is a soft one to TCP, which would retry for
    // minutes before the tenant's connection failed.
    let rules: String = rules
        .iter()
        .map(|rule| {
            let matched = rule.trim_end_matches(" counter reject");
            format!("\t\t{matched} meta l4proto tcp counter reject with tcp reset\n\t\t{rule}\n")
        })
        .collect();
    format!(
        "table inet {table}\n\
         delete table inet {table}\n\
         table inet {table} {{\n\
         \tset tenants {{ typeof meta skuid;{elements} }}\n\
         \tchain output {{\n\
         \t\ttype filter hook output priority 0; policy accept;\n\
         {rules}\
         \t}}\n\
         }}\n"
    )
}

/// Applies [`ruleset`] atomically.
pub fn apply(prefix: &str, uids: &[u32], blocked: &[String]) -> Result<(), FirewallError> {
    nft(&ruleset(prefix, uids, blocked))
}

/// Removes the agent's table (tests; a miner uninstalling). Removing a missing one succeeds.
pub fn remove(prefix: &str) -> Result<(), FirewallError> {
    let table = table(prefix);
    nft(&format!("table inet {table}\ndelete table inet {table}\n"))
}

/// Runs `nft -f -` on `script`: one transaction, all of it or nothing.
fn nft(script: &str) -> Result<(), FirewallError> {
    let mut child = Command::new("nft")
        .args(["-f", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(FirewallError::Spawn)?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(script.as_bytes())
            .map_err(FirewallError::Spawn)?;
    }
    let out = child.wait_with_output().map_err(FirewallError::Spawn)?;
    if out.status.success() {
        return Ok(());
    }
    Err(FirewallError::Refused(
        String::from_utf8_lossy(&out.stderr).trim().to_string(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ruleset_rejects_only_the_tenants_traffic_to_the_host_and_the_blocked_networks() {
        let blocked = vec![
            "169.254.0.0/16".to_string(),
            "fe80::/10".to_string(),
            "10.1.0.0/16".to_string(),
            "not a network".to_string(),
        ];
        let rules = ruleset("lpn", &[2001, 2002], &blocked);
        assert!(rules.contains("table inet loopin_agent_lpn {"));
        assert!(rules.contains("elements = { 2001, 2002 };"));
        assert!(rules.contains(
            "meta skuid @tenants fib daddr type { local, broadcast, multicast, anycast } \
             counter reject"
        ));
        assert!(rules.contains("meta skuid @tenants ip daddr { 169.254.0.0/16, 10.1.0.0/16 }"));
        assert!(rules.contains("meta skuid @tenants ip6 daddr { fe80::/10 }"));
        assert!(!rules.contains("not a network"));
        assert!(rules.contains(
            "meta skuid @tenants ip6 daddr { fe80::/10 } meta l4proto tcp counter reject with \
             tcp reset"
        ));
        assert!(rules.contains("policy accept"));
        assert!(!ruleset("lpn", &[], &[]).contains("elements"));
        assert!(!ruleset("lpn", &[], &[]).contains("daddr {"));
    }
}
