//! The host's own services out of a tenant's reach: an nftables table that rejects any packet a
//! tenant's socket sends to an address of this host (loopback and the host's own addresses: the
//! prover's gRPC port, the agent's and the prover's metrics, sshd's other ports), by the socket's
//! owner. Egress to any other address is untouched.
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

/// The ruleset replacing the table with one that rejects `uids`' traffic to the host itself.
pub fn ruleset(prefix: &str, uids: &[u32]) -> String {
    let table = table(prefix);
    let elements = if uids.is_empty() {
        String::new()
    } else {
        let list: Vec<String> = uids.iter().map(u32::to_string).collect();
        format!(" elements = {{ {} }};", list.join(", "))
    };
    format!(
        "table inet {table}\n\
         delete table inet {table}\n\
         table inet {table} {{\n\
         \tset tenants {{ typeof meta skuid;{elements} }}\n\
         \tchain output {{\n\
         \t\ttype filter hook output priority 0; policy accept;\n\
         \t\tmeta skuid @tenants fib daddr type local counter reject\n\
         \t}}\n\
         }}\n"
    )
}

/// Applies [`ruleset`] atomically.
pub fn apply(prefix: &str, uids: &[u32]) -> Result<(), FirewallError> {
    nft(&ruleset(prefix, uids))
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
    fn the_ruleset_rejects_only_the_tenants_traffic_to_the_host_itself() {
        let rules = ruleset("lpn", &[2001, 2002]);
        assert!(rules.contains("table inet loopin_agent_lpn {"));
        assert!(rules.contains("elements = { 2001, 2002 };"));
        assert!(rules.contains("meta skuid @tenants fib daddr type local counter reject"));
        assert!(rules.contains("policy accept"));
        assert!(!ruleset("lpn", &[]).contains("elements"));
    }
}
