//! The agent's settings: the `[agent]` section of the miner's config file (`loopin-miner-config`,
//! which the prover reads), whose `[chain]` section (node, stake certificate) the agent shares.

use crate::confine::limits::{ConfineConfig, LimitsError};
use crate::username::{UsernameError, check_prefix};
use loopin_chain_client::ChainConfig;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// `[agent]` of the miner's config file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AgentConfig {
    /// The pair (pool) contract whose leases the agent serves.
    pub pair: String,
    /// The miner's key file (mnemonic, or `hex:` private key): it owns the stakes and signs
    /// `PostAccess` and `CompleteLease`.
    pub key_file: PathBuf,
    /// Host and port clients connect to (as reachable from outside).
    pub ssh_host: String,
    pub ssh_port: u16,
    /// The SSH server's public host key, whose fingerprint clients check.
    pub host_key_file: PathBuf,
    /// Accounts are named `<user_prefix><order id>`.
    pub user_prefix: String,
    /// Parent of the accounts' homes.
    pub home_root: PathBuf,
    /// Root-only directory of provisioning markers.
    pub state_dir: PathBuf,
    /// Groups that open the GPU device nodes; those present on the host are given to accounts.
    pub gpu_groups: Vec<String>,
    /// How often the chain is compared with the system, ms.
    pub poll_ms: u64,
    /// Epochs back that ended leases are looked for (to complete them after downtime).
    pub lookback_epochs: u64,
    /// Prometheus listen address ("" to disable).
    pub metrics_listen: String,
    /// How leased sessions are confined (`[agent.confine]`).
    pub confine: ConfineConfig,
}

impl Default for AgentConfig {
    fn default() -> Self {
        AgentConfig {
            pair: String::new(),
            key_file: PathBuf::from("miner.key"),
            ssh_host: "127.0.0.1".into(),
            ssh_port: 22,
            host_key_file: PathBuf::from("/etc/ssh/ssh_host_ed25519_key.pub"),
            user_prefix: "lpn".into(),
            home_root: PathBuf::from("/home/loopin"),
            state_dir: PathBuf::from("/var/lib/loopin-agent"),
            gpu_groups: vec!["video".into(), "render".into()],
            poll_ms: 2_000,
            lookback_epochs: 8,
            metrics_listen: "127.0.0.1:9471".into(),
            confine: ConfineConfig::default(),
        }
    }
}

/// Why the configuration was refused.
#[derive(thiserror::Error, Debug)]
pub enum ConfigError {
    #[error("{0}")]
    File(loopin_miner_config::ConfigError),
    #[error("[agent]: {0}")]
    Section(#[from] toml::de::Error),
    #[error("[agent] user_prefix: {0}")]
    Prefix(#[from] UsernameError),
    #[error("[agent] {0} must be set")]
    Missing(&'static str),
    #[error(transparent)]
    Confine(#[from] LimitsError),
}

/// Everything the agent runs with.
#[derive(Clone, Debug)]
pub struct Settings {
    pub agent: AgentConfig,
    pub chain: ChainConfig,
    /// Serve only this certificate's stake (the prover's `chain.token_id`); empty: every stake
    /// the key owns in the pair.
    pub token_id: String,
}

impl Settings {
    /// Reads the miner's config file (the prover's, with an `[agent]` section).
    pub fn from_file(path: &Path) -> Result<Settings, ConfigError> {
        let prover = loopin_miner_config::Config::from_file(path).map_err(ConfigError::File)?;
        let agent = match prover.agent {
            Some(table) => table.try_into()?,
            None => AgentConfig::default(),
        };
        Ok(Settings {
            agent,
            chain: prover.chain.node,
            token_id: prover.chain.token_id,
        })
    }

    /// Refuses settings the agent cannot run with.
    pub fn validate(&self) -> Result<(), ConfigError> {
        check_prefix(&self.agent.user_prefix)?;
        if self.agent.pair.is_empty() {
            return Err(ConfigError::Missing("pair"));
        }
        if self.agent.ssh_host.is_empty() {
            return Err(ConfigError::Missing("ssh_host"));
        }
        self.agent.confine.validate()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_agent_section_shares_the_prover_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("miner.toml");
        std::fs::write(
            &path,
            "backend = \"cpu\"\n\
             [chain]\ntoken_id = \"7\"\n[chain.node]\ngrpc = \"http://10.0.0.1:9090\"\n\
             [agent]\npair = \"loopin1pair\"\nssh_port = 2222\nuser_prefix = \"gpu\"\n",
        )
        .unwrap();
        let settings = Settings::from_file(&path).unwrap();
        assert_eq!(settings.agent.pair, "loopin1pair");
        assert_eq!(settings.agent.ssh_port, 2222);
        assert_eq!(settings.agent.user_prefix, "gpu");
        assert_eq!(settings.chain.grpc, "http://10.0.0.1:9090");
        assert_eq!(settings.token_id, "7");
        settings.validate().unwrap();

        std::fs::write(&path, "[agent]\npair = \"p\"\nuser_prefix = \"../\"\n").unwrap();
        let settings = Settings::from_file(&path).unwrap();
        assert!(matches!(settings.validate(), Err(ConfigError::Prefix(_))));
        std::fs::write(&path, "[agent]\nshell = \"/bin/sh\"\n").unwrap();
        assert!(matches!(
            Settings::from_file(&path),
            Err(ConfigError::Section(_))
        ));
    }
}
