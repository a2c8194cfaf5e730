//! The miner's config file: one TOML file that the prover (`loopin-prover`) and the agent
//! (`loopin-agent`, its `[agent]` section and `[chain]`) both read. The prover overrides it with
//! environment variables and flags (see its binary).
//!
//! A package, not a module of the prover, so the agent reads the file without depending on the
//! prover service.

pub mod limits;

pub use limits::Limits;
use loopin_pocps::encode::Params;
use std::path::{Path, PathBuf};

/// Named parameter sets (from loopin-pocps' documented sets).
pub fn preset(name: &str) -> Option<(Params, u32, u32)> {
    use loopin_pocps::attack::{PRODUCTION_24G, PRODUCTION_80G, TEST};
    [TEST, PRODUCTION_24G, PRODUCTION_80G]
        .into_iter()
        .find(|s| s.name == name)
        .map(|s| (s.params, s.rounds, s.spots))
}

/// Identity inputs of ek.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Identity {
    /// A label for the device (e.g. the GPU UUID), for the operator only: the device's on-chain
    /// identity is its key (`Config::fingerprint_hash`), which nobody else can claim.
    pub fingerprint: String,
    /// Miner address.
    pub miner: String,
    /// Pool identifier.
    pub pool: String,
    /// Chain randomness at stake time, hex.
    pub randomness: String,
}

/// Verifier rates, and a static allowlist for when no registry is configured (tests, private
/// deployments).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Verifiers {
    /// SEC1 public keys, hex.
    pub allow: Vec<String>,
    /// Sustained challenges per second per verifier.
    pub rate_per_s: f64,
    /// Burst per verifier.
    pub burst: f64,
}

impl Default for Verifiers {
    fn default() -> Self {
        Verifiers {
            allow: Vec::new(),
            rate_per_s: 1.0,
            burst: 8.0,
        }
    }
}

/// Assignments from the chain: the PoCPS registry and this device's stake certificate. An empty
/// `registry` means the static allowlist ([`Verifiers::allow`]) decides instead.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ChainSource {
    /// The chain's gRPC endpoint and chain id.
    pub node: loopin_chain_client::ChainConfig,
    /// Registry contract address.
    pub registry: String,
    /// Stake certificate (token id) of this device.
    pub token_id: String,
    /// How often the open assignments are read, ms.
    pub poll_ms: u64,
    /// A key of the miner's (mnemonic, or `hex:` private key) that answers the audits of this
    /// device's Passes on chain (`loopin_prover::audits`): the device recomputes the audited
    /// step, so a Pass whose verifier does not answer is not voided, and the audited row of a
    /// Pass's GEMM, which only the device can recompute (on its card). Unset: not answered here,
    /// and every audit of the GEMM goes unanswered: the Pass is voided.
    pub audit_key_file: Option<std::path::PathBuf>,
}

impl Default for ChainSource {
    fn default() -> Self {
        ChainSource {
            node: loopin_chain_client::ChainConfig::default(),
            registry: String::new(),
            token_id: String::new(),
            poll_ms: 1000,
            audit_key_file: None,
        }
    }
}

/// Prover configuration file.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Where P, its metadata and the device key live.
    pub data_dir: PathBuf,
    /// gRPC listen address.
    pub listen: String,
    /// Prometheus listen address ("" to disable).
    pub metrics_listen: String,
    /// "auto", "cpu" or "cuda".
    pub backend: String,
    /// Parameter preset: "test", "production-24g", "production-80g".
    pub params: String,
    /// Explicit parameters (override the preset).
    pub custom_params: Option<Params>,
    /// Lanes per init chunk (0 = automatic).
    pub chunk_lanes: u32,
    /// ek inputs.
    pub identity: Identity,
    /// Verifier rates, and the static allowlist used when `chain.registry` is empty.
    pub verifiers: Verifiers,
    /// Assignments from the chain.
    pub chain: ChainSource,
    /// Service limits.
    pub limits: Limits,
    /// The miner agent's section (`loopin-agent` reads this file too); not used by the prover.
    pub agent: Option<toml::Table>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from("loopin-prover-data"),
            listen: "127.0.0.1:7470".into(),
            metrics_listen: "127.0.0.1:9470".into(),
            backend: "auto".into(),
            params: "test".into(),
            custom_params: None,
            chunk_lanes: 0,
            identity: Identity::default(),
            verifiers: Verifiers::default(),
            chain: ChainSource::default(),
            limits: Limits::default(),
            agent: None,
        }
    }
}

/// Why a miner's config was refused (the texts name the file or the field).
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: {error}")]
    Read {
        path: std::path::PathBuf,
        error: std::io::Error,
    },
    #[error("{path}: {error}")]
    Parse {
        path: std::path::PathBuf,
        error: toml::de::Error,
    },
    #[error("unknown parameter set {0:?}")]
    UnknownParams(String),
    #[error("invalid parameters")]
    InvalidParams,
    #[error("identity.miner and identity.pool are required")]
    NoIdentity,
    #[error("identity.randomness (hex): {0}")]
    Randomness(hex::FromHexError),
    /// An allowlisted verifier key (as written) is not hex.
    #[error("verifier key {key:?}: {error}")]
    VerifierKey {
        key: String,
        error: hex::FromHexError,
    },
}

impl Config {
    /// Read a TOML file.
    pub fn from_file(p: &Path) -> Result<Config, ConfigError> {
        let s = std::fs::read_to_string(p).map_err(|error| ConfigError::Read {
            path: p.to_path_buf(),
            error,
        })?;
        toml::from_str(&s).map_err(|error| ConfigError::Parse {
            path: p.to_path_buf(),
            error,
        })
    }

    /// Encoding parameters.
    pub fn encoding_params(&self) -> Result<Params, ConfigError> {
        let p = match self.custom_params {
            Some(p) => p,
            None => preset(&self.params)
                .map(|x| x.0)
                .ok_or_else(|| ConfigError::UnknownParams(self.params.clone()))?,
        };
        if p.is_valid() {
            Ok(p)
        } else {
            Err(ConfigError::InvalidParams)
        }
    }

    /// The on-chain device fingerprint: the hash of the device key
    /// (`loopin::device::device_fingerprint`). The stake certificate's device id is its hex, the
    /// pair takes a stake of it only signed by that key, and the registry derives ek from it.
    pub fn fingerprint_hash(&self, key: &k256::ecdsa::SigningKey) -> [u8; 32] {
        loopin::device::device_fingerprint(&loopin_pocps::sig::k256_pubkey(key))
    }

    /// ek from the device key and the identity, as the registry checks it.
    pub fn ek(&self, key: &k256::ecdsa::SigningKey) -> Result<u128, ConfigError> {
        let i = &self.identity;
        if i.miner.is_empty() || i.pool.is_empty() {
            return Err(ConfigError::NoIdentity);
        }
        let r = hex::decode(&i.randomness).map_err(ConfigError::Randomness)?;
        Ok(loopin_pocps::encode::derive_ek(
            &self.fingerprint_hash(key),
            &i.miner,
            &i.pool,
            &r,
        ))
    }

    /// Allowlisted keys as bytes.
    pub fn allowlist(&self) -> Result<Vec<Vec<u8>>, ConfigError> {
        self.verifiers
            .allow
            .iter()
            .map(|k| {
                hex::decode(k.trim()).map_err(|error| ConfigError::VerifierKey {
                    key: k.clone(),
                    error,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_round_trip_through_the_file_format() {
        let text = toml::to_string(&Config::default()).unwrap();
        let back: Config = toml::from_str(&text).unwrap();
        assert_eq!(back.listen, "127.0.0.1:7470");
        assert_eq!(back.limits, Limits::default());
        assert_eq!(back.verifiers, Verifiers::default());
        assert_eq!(back.chain.poll_ms, 1000);
        assert!(back.agent.is_none());
    }

    #[test]
    fn the_file_keeps_the_agent_section_and_refuses_unknown_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("miner.toml");
        std::fs::write(
            &path,
            "backend = \"cpu\"\nparams = \"test\"\n\
             [identity]\nminer = \"loopin1m\"\npool = \"loopin1p\"\nrandomness = \"00ff\"\n\
             [chain]\ntoken_id = \"7\"\n[chain.node]\ngrpc = \"http://10.0.0.1:9090\"\n\
             [limits]\nmax_concurrent = 2\n\
             [agent]\npair = \"loopin1pair\"\n",
        )
        .unwrap();
        let c = Config::from_file(&path).unwrap();
        assert_eq!(c.backend, "cpu");
        assert_eq!(c.chain.token_id, "7");
        assert_eq!(c.chain.node.grpc, "http://10.0.0.1:9090");
        assert_eq!(c.limits.max_concurrent, 2);
        assert_eq!(
            c.agent.as_ref().unwrap()["pair"].as_str(),
            Some("loopin1pair")
        );
        assert!(c.encoding_params().is_ok());

        std::fs::write(&path, "listen = \"0.0.0.0:1\"\nshell = \"/bin/sh\"\n").unwrap();
        assert!(
            Config::from_file(&path)
                .unwrap_err()
                .to_string()
                .contains("shell")
        );
        std::fs::write(&path, "[limits]\nmax_threads = 1\n").unwrap();
        assert!(Config::from_file(&path).is_err());
    }

    #[test]
    fn ek_needs_the_identity_and_uses_the_device_key() {
        let key = k256::ecdsa::SigningKey::from_slice(&[7u8; 32]).unwrap();
        let mut c = Config::default();
        assert!(c.ek(&key).is_err());
        c.identity = Identity {
            fingerprint: "GPU-0".into(),
            miner: "loopin1m".into(),
            pool: "loopin1p".into(),
            randomness: "00ff".into(),
        };
        let fp = c.fingerprint_hash(&key);
        assert_eq!(
            fp,
            loopin::device::device_fingerprint(&loopin_pocps::sig::k256_pubkey(&key))
        );
        let ek = c.ek(&key).unwrap();
        assert_eq!(
            ek,
            loopin_pocps::encode::derive_ek(&fp, "loopin1m", "loopin1p", &[0, 0xff])
        );
        c.identity.randomness = "zz".into();
        assert!(c.ek(&key).is_err());
    }

    #[test]
    fn presets_and_custom_parameters() {
        assert!(preset("test").is_some());
        assert!(preset("production-80g").is_some());
        assert!(preset("nonsense").is_none());
        let c = Config {
            params: "nonsense".into(),
            ..Config::default()
        };
        assert!(c.encoding_params().is_err());
        let allow = Config {
            verifiers: Verifiers {
                allow: vec![" 02ab ".into()],
                ..Verifiers::default()
            },
            ..Config::default()
        };
        assert_eq!(allow.allowlist().unwrap(), vec![vec![0x02, 0xab]]);
    }
}
