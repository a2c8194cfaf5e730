//! Shared by the devnet's tests: a devnet on a free TCP port in a fresh home, and dev keys.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use loopin_chain_client::{ChainClient, ChainConfig, Key};
use loopin_devnet::{Config, GenesisAccount, NodeHandle};

pub const PREFIX: &str = "loopin";
pub const DENOM: &str = "uloop";
pub const FUNDS: u64 = 1_000_000_000_000;

/// A dev key from fixed entropy (no mnemonic is written in the source).
pub fn key(n: u8) -> Key {
    Key::development(n, PREFIX).expect("dev key")
}

pub fn address(n: u8) -> String {
    key(n).address.to_string()
}

/// A fresh, empty home directory.
pub fn fresh_home(name: &str) -> PathBuf {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "loopin-devnet-{name}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Devnet config: fast blocks, port 0, keys 1..=n funded.
pub fn config(home: PathBuf, funded: &[u8]) -> Config {
    Config {
        home,
        grpc_addr: "127.0.0.1:0".into(),
        block_time_ms: 100,
        accounts: funded
            .iter()
            .map(|n| GenesisAccount {
                address: address(*n),
                amount: FUNDS,
            })
            .collect(),
        ..Config::default()
    }
}

pub fn chain_config(node: &NodeHandle) -> ChainConfig {
    ChainConfig {
        grpc: node.grpc_url(),
        poll_interval_ms: 25,
        ..ChainConfig::default()
    }
}

pub async fn client(node: &NodeHandle, n: u8) -> ChainClient {
    ChainClient::connect(chain_config(node), key(n))
        .await
        .expect("connect")
}
