//! Devnet configuration (TOML). Every field has a default, so an empty file is a valid config.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// An account funded at genesis.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct GenesisAccount {
    pub address: String,
    /// Amount of the native denom.
    pub amount: u64,
}

#[derive(Serialize, Deserialize, Clone, Debug)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub chain_id: String,
    /// Bech32 prefix of every address.
    pub prefix: String,
    /// The native (fee) denom.
    pub denom: String,
    /// Directory of the store and the compiled-module cache.
    pub home: PathBuf,
    /// gRPC listen address; port 0 picks a free one.
    pub grpc_addr: String,
    /// CometBFT JSON-RPC listen address (cosmjs, Keplr; CometBFT's own default is
    /// `127.0.0.1:26657`); port 0 picks a free one. Off when absent.
    pub rpc_addr: Option<String>,
    /// REST (LCD) listen address (Keplr; the SDK's own default is `127.0.0.1:1317`); port 0
    /// picks a free one. Off when absent.
    pub rest_addr: Option<String>,
    /// Block interval, milliseconds.
    pub block_time_ms: u64,
    /// Minimum gas price in `denom` per unit of gas.
    pub min_gas_price: f64,
    /// Largest gas limit one transaction may ask for.
    pub max_tx_gas: u64,
    /// Serves the dev-only admin service (fast-forward, faucet).
    pub admin: bool,
    pub accounts: Vec<GenesisAccount>,
    /// Secret key (32 bytes, hex) that signs this chain's IBC proofs. Without one the devnet
    /// derives `sha256("loopin-devnet ibc signer" || chain_id)`: fine for a devnet, where
    /// anyone can compute it, never for anything of value.
    pub ibc_signer_hex: Option<String>,
    /// PEM certificate (chain) and key: with both, gRPC is served over TLS (`https://`).
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            chain_id: "loopin-devnet-1".into(),
            prefix: "loopin".into(),
            denom: "uloop".into(),
            home: PathBuf::from(".devnet"),
            grpc_addr: "127.0.0.1:9090".into(),
            rpc_addr: None,
            rest_addr: None,
            block_time_ms: 1_000,
            min_gas_price: 0.0025,
            max_tx_gas: 100_000_000,
            admin: true,
            accounts: Vec::new(),
            ibc_signer_hex: None,
            tls_cert: None,
            tls_key: None,
        }
    }
}

impl Config {
    pub fn from_toml(text: &str) -> Result<Self, toml::de::Error> {
        toml::from_str(text)
    }
}
