//! sshd as confinement needs it for the agent's accounts: checked at the agent's start with
//! `sshd -T` (the configuration sshd would run with for one of the accounts), so that a miner's
//! sshd that would let a tenant run code outside its sandbox fails the start instead.

use super::limits::ConfineConfig;
use std::path::PathBuf;
use std::process::Command;

/// Why sshd was refused for the agent's accounts.
#[derive(thiserror::Error, Debug)]
pub enum SshdError {
    #[error("sshd -T -f {config}: {reason}")]
    Run { config: PathBuf, reason: String },
    #[error(
        "{config} for {prefix}* accounts: {} (loopin-agent --print-sshd-config prints the block)",
        problems.join("; ")
    )]
    Refused {
        config: PathBuf,
        prefix: String,
        problems: Vec<String>,
    },
}

/// What sshd_config must say for the agent's accounts, and why.
const REQUIRED: [(&str, &str, &str); 4] = [
    (
        "disableforwarding",
        "yes",
        "forwarding would reach the host's ports from sshd itself",
    ),
    ("permituserrc", "no", "~/.ssh/rc runs outside the sandbox"),
    (
        "permittunnel",
        "no",
        "a tunnel device is the host's network",
    ),
    (
        "permituserenvironment",
        "no",
        "~/.ssh/environment would set LD_PRELOAD for the login shell on the host",
    ),
];

/// The block `loopin-agent --print-sshd-config` prints for `prefix`'s accounts (docs/agent.md):
/// keys only from the agent's root-owned directory, no forwarding of any kind, no `~/.ssh/rc`,
/// no tunnel, at most 4 sessions a connection (each has a login shell outside the lease's
/// cgroup), and the session directory for `loopin-session`.
pub fn config_block(prefix: &str, confine: &ConfineConfig) -> String {
    format!(
        "Match User {prefix}*\n\
         \tAuthorizedKeysFile {}/%u\n\
         \tDisableForwarding yes\n\
         \tPermitTunnel no\n\
         \tPermitUserRC no\n\
         \tMaxSessions 4\n\
         \tSetEnv LOOPIN_SESSION_DIR={}\n",
        confine.keys_dir.display(),
        confine.session_dir.display(),
    )
}

/// What is wrong with sshd's effective settings (`sshd -T` output) for the agent's accounts.
pub fn problems(effective: &str, confine: &ConfineConfig) -> Vec<String> {
    let get = |key: &str| {
        effective
            .lines()
            .filter_map(|line| line.split_once(' '))
            .filter(|(k, _)| *k == key)
            .map(|(_, v)| v.trim().to_string())
            .collect::<Vec<_>>()
    };
    let mut problems = Vec::new();
    for (key, wanted, why) in REQUIRED {
        if get(key).first().map(String::as_str) != Some(wanted) {
            problems.push(format!("{key} must be {wanted}: {why}"));
        }
    }
    let keys = format!("{}/%u", confine.keys_dir.display());
    if get("authorizedkeysfile").first() != Some(&keys) {
        problems.push(format!(
            "authorizedkeysfile must be {keys} alone: a key file in the home the tenant writes \
             could drop its restrictions"
        ));
    }
    if get("subsystem").iter().any(|s| s.contains("internal-sftp")) {
        problems.push(
            "subsystem sftp must not be internal-sftp: it runs inside sshd, outside the sandbox"
                .into(),
        );
    }
    // Settings under which sshd itself serves the tenant on the host, or lets it choose keys
    // or principals the agent did not install.
    for key in [
        "forcecommand",
        "chrootdirectory",
        "authorizedkeyscommand",
        "authorizedprincipalscommand",
        "authorizedprincipalsfile",
        "trustedusercakeys",
    ] {
        if let Some(value) = get(key).first()
            && value != "none"
        {
            problems.push(format!(
                "{key} must be none for the agent's accounts, not {value}"
            ));
        }
    }
    // A client's environment reaches the login shell on the host: only the locale.
    for accepted in get("acceptenv") {
        for name in accepted.split_whitespace() {
            if name != "LANG" && name != "LC_*" {
                problems.push(format!(
                    "acceptenv {name}: a client's variable reaches the login shell on the host \
                     (only LANG and LC_* may)"
                ));
            }
        }
    }
    let session_dir = format!("LOOPIN_SESSION_DIR={}", confine.session_dir.display());
    let default_dir =
        confine.session_dir.as_path() == std::path::Path::new(super::session::DEFAULT_SESSION_DIR);
    if !default_dir && !get("setenv").iter().any(|s| s.contains(&session_dir)) {
        problems.push(format!("setenv must include {session_dir}"));
    }
    problems
}

/// Runs `sshd -T` for an account of `prefix` with `confine.sshd_config` and refuses what
/// [`problems`] finds.
pub fn check(prefix: &str, confine: &ConfineConfig) -> Result<(), SshdError> {
    let run_error = |reason: String| SshdError::Run {
        config: confine.sshd_config.clone(),
        reason,
    };
    // From loopback, from an IPv4 and from an IPv6 client: a Match on the address must not
    // loosen what the accounts get.
    let mut problems_found = Vec::new();
    for addr in ["127.0.0.1", "203.0.113.5", "2001:db8::5"] {
        let out = Command::new("/usr/sbin/sshd")
            .arg("-T")
            .arg("-f")
            .arg(&confine.sshd_config)
            .arg("-C")
            .arg(format!("user={prefix}0,host=client.example,addr={addr}"))
            .output()
            .map_err(|e| run_error(e.to_string()))?;
        if !out.status.success() {
            return Err(run_error(
                String::from_utf8_lossy(&out.stderr).trim().to_string(),
            ));
        }
        for problem in problems(&String::from_utf8_lossy(&out.stdout), confine) {
            let problem = format!("{problem} (from {addr})");
            if !problems_found.contains(&problem) {
                problems_found.push(problem);
            }
        }
    }
    if problems_found.is_empty() {
        return Ok(());
    }
    Err(SshdError::Refused {
        config: confine.sshd_config.clone(),
        prefix: prefix.to_string(),
        problems: problems_found,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "usepam yes\nmaxsessions 4\npermituserrc no\ndisableforwarding yes\n\
        authorizedkeysfile /var/lib/loopin-agent/authorized_keys/%u\n\
        subsystem sftp /usr/lib/openssh/sftp-server\npermittunnel no\n\
        permituserenvironment no\nacceptenv LANG\nacceptenv LC_*\nforcecommand none\n\
        chrootdirectory none\nauthorizedkeyscommand none\n";

    #[test]
    fn sshd_as_the_block_sets_it_passes() {
        assert_eq!(
            problems(GOOD, &ConfineConfig::default()),
            Vec::<String>::new()
        );
    }

    #[test]
    fn each_setting_that_lets_a_tenant_out_is_named() {
        let config = ConfineConfig::default();
        for (from, to, named) in [
            ("permituserrc no", "permituserrc yes", "permituserrc"),
            (
                "disableforwarding yes",
                "disableforwarding no",
                "disableforwarding",
            ),
            ("permittunnel no", "permittunnel yes", "permittunnel"),
            (
                "permituserenvironment no",
                "permituserenvironment yes",
                "permituserenvironment",
            ),
            (
                "authorizedkeysfile /var/lib/loopin-agent/authorized_keys/%u",
                "authorizedkeysfile .ssh/authorized_keys",
                "authorizedkeysfile",
            ),
            (
                "subsystem sftp /usr/lib/openssh/sftp-server",
                "subsystem sftp internal-sftp",
                "internal-sftp",
            ),
            (
                "forcecommand none",
                "forcecommand internal-sftp",
                "forcecommand",
            ),
            (
                "chrootdirectory none",
                "chrootdirectory /srv",
                "chrootdirectory",
            ),
            (
                "authorizedkeyscommand none",
                "authorizedkeyscommand /usr/bin/keys",
                "authorizedkeyscommand",
            ),
            ("acceptenv LC_*", "acceptenv LC_* LD_*", "LD_*"),
        ] {
            let found = problems(&GOOD.replace(from, to), &config);
            assert_eq!(found.len(), 1, "{to}: {found:?}");
            assert!(found[0].contains(named), "{found:?}");
        }
        let mut elsewhere = config.clone();
        elsewhere.session_dir = "/run/other".into();
        assert!(problems(GOOD, &elsewhere)[0].contains("LOOPIN_SESSION_DIR=/run/other"));
    }
}
