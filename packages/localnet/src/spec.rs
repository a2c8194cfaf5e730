//! What a network is: its accounts, validators, ports and files ([`Spec`]).

use std::path::PathBuf;

use loopin_chain_client::ChainConfig;

use crate::error::{NetError, Result};

/// An account funded at genesis.
#[derive(Clone, Debug)]
pub struct Account {
    pub address: String,
    pub amount: u128,
}

/// A network to run.
#[derive(Clone, Debug)]
pub struct Spec {
    /// The wasmd binary; its bech32 prefix was fixed when it was built.
    pub wasmd: PathBuf,
    /// Node `i` keeps its state in `home/node{i}`.
    pub home: PathBuf,
    pub chain_id: String,
    /// The staking, fee and gas denom.
    pub denom: String,
    /// Number of validators (1 for tests, 4 for the distributed run), equal power.
    pub validators: usize,
    /// Node `i` listens on `base_port + 10 i` (RPC) and the four ports after it (P2P, gRPC, REST,
    /// ABCI).
    pub base_port: u16,
    /// CometBFT's `timeout_commit`.
    pub block_time_ms: u64,
    /// Every node's `minimum-gas-prices`, in `denom`.
    pub min_gas_price: f64,
    /// Accounts funded at genesis (validators fund their own).
    pub accounts: Vec<Account>,
}

/// A validator's listening ports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ports {
    pub rpc: u16,
    pub p2p: u16,
    pub grpc: u16,
    pub api: u16,
    pub abci: u16,
}

impl Spec {
    /// A one-validator network with fast blocks and the devnet's denom and gas price.
    pub fn single(wasmd: PathBuf, home: PathBuf, chain_id: &str, base_port: u16) -> Self {
        Self {
            wasmd,
            home,
            chain_id: chain_id.into(),
            denom: "uloop".into(),
            validators: 1,
            base_port,
            block_time_ms: 200,
            min_gas_price: 0.0025,
            accounts: Vec::new(),
        }
    }

    pub fn ports(&self, node: usize) -> Ports {
        let rpc = self.base_port + 10 * node as u16;
        Ports {
            rpc,
            p2p: rpc + 1,
            grpc: rpc + 2,
            api: rpc + 3,
            abci: rpc + 4,
        }
    }

    pub fn node_home(&self, node: usize) -> PathBuf {
        self.home.join(format!("node{node}"))
    }

    /// gRPC endpoint of node `i`.
    pub fn grpc_url(&self, node: usize) -> String {
        format!("http://127.0.0.1:{}", self.ports(node).grpc)
    }

    /// CometBFT RPC of node `i` (cosmjs, Hermes).
    pub fn rpc_url(&self, node: usize) -> String {
        format!("http://127.0.0.1:{}", self.ports(node).rpc)
    }

    /// REST (LCD) of node `i` (Keplr).
    pub fn api_url(&self, node: usize) -> String {
        format!("http://127.0.0.1:{}", self.ports(node).api)
    }

    /// A client config for node `i` paying the network's minimum gas price.
    pub fn chain_config(&self, node: usize, prefix: &str) -> ChainConfig {
        ChainConfig {
            grpc: self.grpc_url(node),
            chain_id: self.chain_id.clone(),
            prefix: prefix.into(),
            denom: self.denom.clone(),
            gas_price: self.min_gas_price,
            ..ChainConfig::default()
        }
    }

    pub(crate) fn check(&self) -> Result<()> {
        if !self.wasmd.is_file() {
            return Err(NetError::NoWasmd(self.wasmd.clone()));
        }
        if self.validators == 0 || self.validators > 32 {
            return Err(NetError::Spec(format!(
                "validators must be 1..=32, got {}",
                self.validators
            )));
        }
        if u32::from(self.base_port) + 10 * self.validators as u32 > u32::from(u16::MAX) {
            return Err(NetError::Spec(format!(
                "base port {} leaves no room for {} validators",
                self.base_port, self.validators
            )));
        }
        Ok(())
    }
}
