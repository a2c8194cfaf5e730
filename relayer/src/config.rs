//! The relayer's TOML configuration. Section and field names follow Hermes' `config.toml`
//! (`[global]`, `[mode.packets]`, `[telemetry]`, `[[chains]]` with `id`, `grpc_addr`,
//! `account_prefix`, `gas_price`, `gas_multiplier`, `max_msg_num`, `packet_filter`), so an
//! operator who runs Hermes reads it at once. LooPIN adds `[state]` (where the persisted cursors
//! live), a `key_file` per chain instead of Hermes' keyring, and `[keeper]`.

use crate::error::ConfigError;
use loopin_chain_client::{ChainConfig, Key};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The whole file.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub global: Global,
    pub mode: Mode,
    pub telemetry: Telemetry,
    pub state: StateConfig,
    pub chains: Vec<ChainEntry>,
    pub keeper: Option<KeeperConfig>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Global {
    /// `tracing` filter when `RUST_LOG` is not set: error, warn, info, debug or trace.
    pub log_level: String,
}

impl Default for Global {
    fn default() -> Self {
        Self {
            log_level: "info".into(),
        }
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Mode {
    pub packets: PacketsMode,
}

/// `[mode.packets]`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PacketsMode {
    pub enabled: bool,
    /// On start, packets left pending since the persisted cursors are relayed first (the
    /// cursors make this a rescan from the last fully handled height; see docs/relayer.md).
    pub clear_on_start: bool,
    /// Milliseconds between passes over the chains' new blocks.
    pub poll_interval_ms: u64,
    /// Most blocks of one chain read in one pass.
    pub max_blocks_per_pass: u64,
}

impl Default for PacketsMode {
    fn default() -> Self {
        Self {
            enabled: true,
            clear_on_start: true,
            poll_interval_ms: 500,
            max_blocks_per_pass: 200,
        }
    }
}

/// `[telemetry]`: the Prometheus endpoint.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Telemetry {
    pub enabled: bool,
    pub host: String,
    pub port: u16,
}

impl Default for Telemetry {
    fn default() -> Self {
        Self {
            enabled: true,
            host: "127.0.0.1".into(),
            port: 3001,
        }
    }
}

/// `[state]`: the directory of the cursor file.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StateConfig {
    pub dir: PathBuf,
}

impl Default for StateConfig {
    fn default() -> Self {
        Self {
            dir: PathBuf::from(".relayer"),
        }
    }
}

/// `gas_price = { price = 0.0025, denom = "uloop" }`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GasPrice {
    pub price: f64,
    pub denom: String,
}

/// `packet_filter = { policy = "allow", list = [["transfer", "channel-0"]] }`: the channels this
/// relayer serves, as (port, channel) on this chain. Only the allow policy exists: a LooPIN
/// relayer relays LooPIN's channels, never everything.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PacketFilter {
    pub policy: FilterPolicy,
    pub list: Vec<(String, String)>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FilterPolicy {
    #[default]
    Allow,
}

impl PacketFilter {
    pub fn allows(&self, port: &str, channel: &str) -> bool {
        self.list.iter().any(|(p, c)| p == port && c == channel)
    }
}

/// One `[[chains]]` entry.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainEntry {
    pub id: String,
    /// The node's gRPC endpoint; `https://` connects over TLS (Mozilla's roots, plus `ca_file`).
    pub grpc_addr: String,
    /// A PEM file of extra certificate authorities for an `https://` endpoint (a private node's
    /// own CA).
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    #[serde(default = "default_prefix")]
    pub account_prefix: String,
    /// The relayer's key on this chain: a mnemonic or `hex:` private key file.
    pub key_file: PathBuf,
    pub gas_price: GasPrice,
    #[serde(default = "default_gas_multiplier")]
    pub gas_multiplier: f64,
    /// Most messages in one transaction.
    #[serde(default = "default_max_msg_num")]
    pub max_msg_num: usize,
    #[serde(default)]
    pub packet_filter: PacketFilter,
}

fn default_prefix() -> String {
    "loopin".into()
}
fn default_gas_multiplier() -> f64 {
    1.3
}
fn default_max_msg_num() -> usize {
    30
}

impl ChainEntry {
    /// The chain client's settings for this entry.
    pub fn chain_config(&self) -> ChainConfig {
        ChainConfig {
            grpc: self.grpc_addr.clone(),
            ca_file: self.ca_file.clone(),
            chain_id: self.id.clone(),
            prefix: self.account_prefix.clone(),
            denom: self.gas_price.denom.clone(),
            gas_price: self.gas_price.price,
            gas_adjustment: self.gas_multiplier,
            poll_interval_ms: 50,
            ..ChainConfig::default()
        }
    }

    pub fn key(&self) -> loopin_chain_client::Result<Key> {
        Key::from_file(&self.key_file, &self.account_prefix)
    }
}

/// `[keeper]`: the pools whose epochs this relayer advances.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeeperConfig {
    /// A chain id of `[[chains]]`.
    pub chain: String,
    /// The keeper's own key (a mnemonic or `hex:` key file), never the packet relayer's: two
    /// signers of one account race for its sequences. Required when packets are relayed too;
    /// the keeper alone may sign with the chain's `key_file`.
    #[serde(default)]
    pub key_file: Option<std::path::PathBuf>,
    pub pools: Vec<String>,
    /// A price feed whose prices the keeper publishes each epoch.
    #[serde(default)]
    pub price_feed: Option<String>,
    #[serde(default = "default_keeper_interval")]
    pub interval_ms: u64,
}

fn default_keeper_interval() -> u64 {
    1_000
}

impl Config {
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|error| ConfigError::Read {
            path: path.to_path_buf(),
            error,
        })?;
        let config: Config = toml::from_str(&text).map_err(|error| ConfigError::Parse {
            path: path.to_path_buf(),
            error,
        })?;
        config.validate()?;
        Ok(config)
    }

    /// Refuses a config that cannot be served: duplicate or unknown chain ids, a zero batch.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let mut ids = std::collections::HashSet::new();
        for chain in &self.chains {
            if !ids.insert(&chain.id) {
                return Err(ConfigError::ChainTwice(chain.id.clone()));
            }
            if chain.max_msg_num == 0 {
                return Err(ConfigError::NoBatch(chain.id.clone()));
            }
        }
        if let Some(keeper) = &self.keeper {
            if !ids.contains(&keeper.chain) {
                return Err(ConfigError::KeeperChain(keeper.chain.clone()));
            }
            if self.mode.packets.enabled {
                let chain = self.chain(&keeper.chain)?;
                match &keeper.key_file {
                    None => return Err(ConfigError::KeeperKeyMissing),
                    Some(key) if *key == chain.key_file => {
                        return Err(ConfigError::KeeperKeyFileShared {
                            key_file: key.clone(),
                            chain: chain.id.clone(),
                        });
                    }
                    Some(_) => {}
                }
            }
        }
        Ok(())
    }

    /// Refuses, before anything is signed, a keeper whose key file (under any path, or a copy)
    /// holds the packet relayer's own key on its chain while packets are relayed.
    pub fn check_keys(&self) -> Result<(), ConfigError> {
        let Some(keeper) = &self.keeper else {
            return Ok(());
        };
        if !self.mode.packets.enabled {
            return Ok(());
        }
        let chain = self.chain(&keeper.chain)?;
        let (ours, theirs) = (self.keeper_key(keeper)?, chain.key()?);
        if ours.address == theirs.address {
            return Err(ConfigError::KeeperAccountShared {
                address: ours.address.to_string(),
                chain: chain.id.clone(),
            });
        }
        Ok(())
    }

    /// The keeper's signing key: its own `key_file`, else its chain's.
    pub fn keeper_key(&self, keeper: &KeeperConfig) -> Result<Key, ConfigError> {
        let chain = self.chain(&keeper.chain)?;
        match &keeper.key_file {
            Some(path) => Ok(Key::from_file(path, &chain.account_prefix)?),
            None => Ok(chain.key()?),
        }
    }

    pub fn chain(&self, id: &str) -> Result<&ChainEntry, ConfigError> {
        self.chains
            .iter()
            .find(|c| c.id == id)
            .ok_or_else(|| ConfigError::UnknownChain(id.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = r#"
[global]
log_level = "debug"

[mode.packets]
enabled = true
clear_on_start = true

[telemetry]
enabled = false

[state]
dir = "/var/lib/loopin-relayer"

[[chains]]
id = "loopin-devnet-1"
grpc_addr = "http://127.0.0.1:9090"
key_file = "relayer.key"
gas_price = { price = 0.0025, denom = "uloop" }
max_msg_num = 4
packet_filter = { policy = "allow", list = [["wasm.loopin1feed", "channel-0"]] }

[[chains]]
id = "other-1"
grpc_addr = "http://127.0.0.1:9091"
account_prefix = "other"
key_file = "relayer-other.key"
gas_price = { price = 0.01, denom = "uother" }

[keeper]
chain = "loopin-devnet-1"
key_file = "keeper.key"
pools = ["loopin1pair"]
"#;

    #[test]
    fn a_hermes_style_file_parses() {
        let config: Config = toml::from_str(EXAMPLE).unwrap();
        config.validate().unwrap();
        assert_eq!(config.chains.len(), 2);
        let a = config.chain("loopin-devnet-1").unwrap();
        assert_eq!(a.max_msg_num, 4);
        assert!(a.packet_filter.allows("wasm.loopin1feed", "channel-0"));
        assert!(!a.packet_filter.allows("transfer", "channel-0"));
        assert_eq!(config.chain("other-1").unwrap().max_msg_num, 30);
        assert_eq!(config.keeper.unwrap().interval_ms, 1_000);
        assert!(!config.telemetry.enabled);
    }

    #[test]
    fn a_private_node_s_ca_reaches_the_chain_client() {
        let with_ca = EXAMPLE.replace(
            "grpc_addr = \"http://127.0.0.1:9091\"",
            "grpc_addr = \"https://node.example:9091\"\nca_file = \"/etc/loopin/node-ca.pem\"",
        );
        let config: Config = toml::from_str(&with_ca).unwrap();
        let other = config.chain("other-1").unwrap().chain_config();
        assert_eq!(other.grpc, "https://node.example:9091");
        assert_eq!(
            other.ca_file.as_deref(),
            Some(std::path::Path::new("/etc/loopin/node-ca.pem"))
        );
        let a = config.chain("loopin-devnet-1").unwrap().chain_config();
        assert_eq!(a.ca_file, None, "Mozilla's roots only");
    }

    #[test]
    fn bad_configs_are_refused() {
        let twice = EXAMPLE.replace("\"other-1\"", "\"loopin-devnet-1\"");
        let config: Config = toml::from_str(&twice).unwrap();
        assert!(config.validate().unwrap_err().to_string().contains("twice"));

        let zero = EXAMPLE.replace("max_msg_num = 4", "max_msg_num = 0");
        let config: Config = toml::from_str(&zero).unwrap();
        assert!(config.validate().is_err());

        let deny = EXAMPLE.replace("policy = \"allow\"", "policy = \"deny\"");
        assert!(toml::from_str::<Config>(&deny).is_err());

        let unknown = EXAMPLE.replace("[telemetry]", "[telemetry]\nbogus = 1");
        assert!(toml::from_str::<Config>(&unknown).is_err());

        // The keeper and the packet relayer never share an account.
        let shared = EXAMPLE.replace("key_file = \"keeper.key\"\n", "");
        let config: Config = toml::from_str(&shared).unwrap();
        let err = config.validate().unwrap_err().to_string();
        assert!(err.contains("key_file of its own"), "{err}");
        let same = EXAMPLE.replace("\"keeper.key\"", "\"relayer.key\"");
        let config: Config = toml::from_str(&same).unwrap();
        let err = config.validate().unwrap_err().to_string();
        assert!(err.contains("packet key"), "{err}");
        // Nor a copy of the packet key under another name: the keys themselves are compared.
        let dir = tempfile::tempdir().unwrap();
        let mnemonic = Key::development_mnemonic(5);
        for name in ["relayer.key", "keeper.key"] {
            std::fs::write(dir.path().join(name), &mnemonic).unwrap();
        }
        let copied = EXAMPLE
            .replace(
                "\"relayer.key\"",
                &format!("{:?}", dir.path().join("relayer.key")),
            )
            .replace(
                "\"keeper.key\"",
                &format!("{:?}", dir.path().join("keeper.key")),
            );
        let config: Config = toml::from_str(&copied).unwrap();
        config.validate().unwrap();
        let err = config.check_keys().unwrap_err().to_string();
        assert!(err.contains("give the keeper its own key"), "{err}");
        std::fs::write(dir.path().join("keeper.key"), Key::development_mnemonic(6)).unwrap();
        config.check_keys().unwrap();
        // A keeper-only relayer (packets off, as beside Hermes) may use the chain's key.
        let alone = shared.replace("enabled = true", "enabled = false");
        let config: Config = toml::from_str(&alone).unwrap();
        config.validate().unwrap();
    }
}
