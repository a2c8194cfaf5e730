//! One chain fixture for suites that must hold on every chain LooPIN runs on: the devnet (in
//! process) and a real wasmd network (`loopin-localnet`, child processes). A suite is written
//! once against [`Chain`] and run once per [`Kind`], with the same expected outcomes.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use loopin_chain_client::{ChainClient, ChainConfig, Key};
use loopin_devnet::{GenesisAccount, NodeHandle};
use loopin_localnet::{Account, Network, Spec};

pub const PREFIX: &str = "loopin";
pub const DENOM: &str = "uloop";
pub const CHAIN_ID: &str = "loopin-devnet-1";
pub const FUNDS: u64 = 1_000_000_000_000;

/// Which chain a suite runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Devnet,
    /// One wasmd validator listening from this base port.
    Wasmd {
        base_port: u16,
    },
}

/// A dev key from fixed entropy (no mnemonic is written in the source).
pub fn key(n: u8) -> Key {
    Key::development(n, PREFIX).expect("dev key")
}

pub fn address(n: u8) -> String {
    key(n).address.to_string()
}

/// A fresh, empty directory under the system's temp dir.
pub fn fresh_home(name: &str) -> PathBuf {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "loopin-chain-{name}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

enum Running {
    Devnet(NodeHandle, loopin_devnet::Config),
    Wasmd(Network),
    Stopped,
}

/// A running chain with dev keys funded at genesis.
pub struct Chain {
    pub kind: Kind,
    pub home: PathBuf,
    running: Running,
    config: ChainConfig,
}

impl Chain {
    /// Starts a chain of `kind` in a fresh home with dev keys `funded` holding [`FUNDS`] each.
    pub async fn start(kind: Kind, name: &str, funded: &[u8]) -> Self {
        Self::start_with_block_time(kind, name, funded, None).await
    }

    /// As [`Chain::start`], with blocks every `block_time_ms` (default 100 ms on the devnet,
    /// 200 ms on wasmd).
    pub async fn start_with_block_time(
        kind: Kind,
        name: &str,
        funded: &[u8],
        block_time_ms: Option<u64>,
    ) -> Self {
        let home = fresh_home(name);
        match kind {
            Kind::Devnet => {
                let config = loopin_devnet::Config {
                    home: home.clone(),
                    grpc_addr: "127.0.0.1:0".into(),
                    block_time_ms: block_time_ms.unwrap_or(100),
                    accounts: funded
                        .iter()
                        .map(|n| GenesisAccount {
                            address: address(*n),
                            amount: FUNDS,
                        })
                        .collect(),
                    ..loopin_devnet::Config::default()
                };
                let node = loopin_devnet::start(config.clone()).await.expect("devnet");
                let chain = ChainConfig {
                    grpc: node.grpc_url(),
                    poll_interval_ms: 25,
                    ..ChainConfig::default()
                };
                Self {
                    kind,
                    home,
                    running: Running::Devnet(node, config),
                    config: chain,
                }
            }
            Kind::Wasmd { base_port } => {
                let single = Spec::single(
                    loopin_localnet::wasmd_path(),
                    home.clone(),
                    CHAIN_ID,
                    base_port,
                );
                let spec = Spec {
                    block_time_ms: block_time_ms.unwrap_or(single.block_time_ms),
                    accounts: funded
                        .iter()
                        .map(|n| Account {
                            address: address(*n),
                            amount: u128::from(FUNDS),
                        })
                        .collect(),
                    ..Spec::single(
                        loopin_localnet::wasmd_path(),
                        home.clone(),
                        CHAIN_ID,
                        base_port,
                    )
                };
                let config = ChainConfig {
                    poll_interval_ms: 50,
                    ..spec.chain_config(0, PREFIX)
                };
                let network = Network::start(spec).await.expect("wasmd network");
                Self {
                    kind,
                    home,
                    running: Running::Wasmd(network),
                    config,
                }
            }
        }
    }

    /// How services connect to it.
    pub fn chain_config(&self) -> ChainConfig {
        self.config.clone()
    }

    /// A signing client for dev key `n`.
    pub async fn client(&self, n: u8) -> ChainClient {
        ChainClient::connect(self.chain_config(), key(n))
            .await
            .expect("connect")
    }

    /// Lets `seconds` of chain time pass: the devnet's admin call, real time on wasmd (then one
    /// more block so a transaction sees the new time).
    pub async fn advance(&self, seconds: u64) {
        match &self.running {
            Running::Devnet(..) => {
                let querier = loopin_chain_client::ChainQuerier::connect(self.chain_config())
                    .await
                    .expect("connect");
                loopin_chain_client::devnet::advance_time(querier.channel(), seconds)
                    .await
                    .expect("advance time");
            }
            Running::Wasmd(_) => {
                let querier = loopin_chain_client::ChainQuerier::connect(self.chain_config())
                    .await
                    .expect("connect");
                let (_, start) = querier.latest_block().await.expect("block");
                let target = start + seconds as i64 + 1;
                while querier.latest_block().await.expect("block").1 < target {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
            Running::Stopped => panic!("advance on a stopped chain"),
        }
    }

    /// Stops the chain and starts it again on the same state (the devnet without its compiled
    /// module cache, so it recompiles from the store).
    pub async fn restart(&mut self) {
        match std::mem::replace(&mut self.running, Running::Stopped) {
            Running::Devnet(node, config) => {
                node.stop().await;
                let _ = std::fs::remove_dir_all(config.home.join("wasm-cache"));
                let node = loopin_devnet::start(config.clone()).await.expect("restart");
                self.config.grpc = node.grpc_url();
                self.running = Running::Devnet(node, config);
            }
            Running::Wasmd(network) => {
                let spec = network.spec.clone();
                network.stop().await;
                self.running = Running::Wasmd(Network::start(spec).await.expect("restart"));
            }
            Running::Stopped => panic!("restart of a stopped chain"),
        }
    }

    /// Stops the chain and removes its home.
    pub async fn stop(mut self) {
        match std::mem::replace(&mut self.running, Running::Stopped) {
            Running::Devnet(node, _) => node.stop().await,
            Running::Wasmd(network) => network.stop().await,
            Running::Stopped => {}
        }
        let _ = std::fs::remove_dir_all(&self.home);
    }
}
