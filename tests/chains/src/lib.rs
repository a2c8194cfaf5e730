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

/// Which devnet to start: its chain id, bech32 prefix and fee denom.
#[derive(Clone, Copy, Debug)]
pub struct DevnetIdentity<'a> {
    pub chain_id: &'a str,
    pub prefix: &'a str,
    pub denom: &'a str,
}

impl Default for DevnetIdentity<'_> {
    /// LooPIN's devnet: [`CHAIN_ID`], [`PREFIX`], [`DENOM`].
    fn default() -> Self {
        DevnetIdentity {
            chain_id: CHAIN_ID,
            prefix: PREFIX,
            denom: DENOM,
        }
    }
}

// One per running fixture: the devnet's handle and config being larger than a network's costs
// nothing worth a box.
#[allow(clippy::large_enum_variant)]
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
    /// CometBFT RPC and REST (LCD) of the node, which browsers, cosmjs and Keplr talk to (on
    /// the devnet, its subsets of both: docs/devnet.md).
    pub rpc_url: Option<String>,
    pub api_url: Option<String>,
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
                let accounts: Vec<String> = funded.iter().map(|n| address(*n)).collect();
                Self::devnet(home, DevnetIdentity::default(), &accounts, block_time_ms).await
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
                let (rpc_url, api_url) = (Some(spec.rpc_url(0)), Some(spec.api_url(0)));
                let network = Network::start(spec).await.expect("wasmd network");
                Self {
                    kind,
                    home,
                    running: Running::Wasmd(network),
                    config,
                    rpc_url,
                    api_url,
                }
            }
        }
    }

    /// A devnet with its own chain id, address prefix and fee denom (suites that run two chains
    /// side by side, as the IBC ones do), whose `funded` addresses hold [`FUNDS`] each.
    pub async fn start_devnet(name: &str, identity: DevnetIdentity<'_>, funded: &[String]) -> Self {
        Self::devnet(fresh_home(name), identity, funded, None).await
    }

    async fn devnet(
        home: PathBuf,
        identity: DevnetIdentity<'_>,
        funded: &[String],
        block_time_ms: Option<u64>,
    ) -> Self {
        let config = loopin_devnet::Config {
            chain_id: identity.chain_id.into(),
            prefix: identity.prefix.into(),
            denom: identity.denom.into(),
            home: home.clone(),
            grpc_addr: "127.0.0.1:0".into(),
            rpc_addr: Some("127.0.0.1:0".into()),
            rest_addr: Some("127.0.0.1:0".into()),
            block_time_ms: block_time_ms.unwrap_or(100),
            accounts: funded
                .iter()
                .map(|address| GenesisAccount {
                    address: address.clone(),
                    amount: FUNDS,
                })
                .collect(),
            ..loopin_devnet::Config::default()
        };
        let node = loopin_devnet::start(config.clone()).await.expect("devnet");
        let chain = ChainConfig {
            grpc: node.grpc_url(),
            chain_id: identity.chain_id.into(),
            prefix: identity.prefix.into(),
            denom: identity.denom.into(),
            poll_interval_ms: 25,
            ..ChainConfig::default()
        };
        Self {
            kind: Kind::Devnet,
            home,
            rpc_url: node.rpc_url(),
            api_url: node.rest_url(),
            running: Running::Devnet(node, config),
            config: chain,
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
                self.rpc_url = node.rpc_url();
                self.api_url = node.rest_url();
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
        // The home goes with `self`, in `Drop`.
    }
}

impl Drop for Chain {
    /// A chain a suite did not stop is stopped with it (the devnet's servers are told to shut
    /// down when its handle goes, wasmd's processes are killed with the network's); its home
    /// goes too, so suites leave no state in the temporary directory.
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.home);
    }
}

/// LooPIN as the chain suites and examples deploy it: the compiled artifacts, one h100 class
/// whose epoch is scaled to the chain (an hour on the devnet, seconds on wasmd), and the test
/// device's signed stake and registration.
pub mod setup {
    use std::path::PathBuf;

    use cosmwasm_std::{Decimal, HexBinary, Uint128};
    use loopin::factory::{EmissionConfig, TokenInit};
    use loopin::pair::ReceiveMsg;
    use loopin::pool::PoolParams;
    use loopin::stake_cert::StakeMode;
    use loopin_chain_client::ChainConfig;
    use loopin_deploy::{ClassConfig, DeployConfig, Deployer};
    use loopin_pool_math::HOUR;
    use loopin_pool_math::economics::Economics;

    /// One LOOP in its smallest unit.
    pub const LOOP: u128 = 1_000_000;
    /// What each funded account holds at the token's instantiation.
    pub const RICH: u128 = 1_000_000 * LOOP;

    /// `artifacts/` (or `$LOOPIN_ARTIFACTS`), built with scripts/build-contracts.sh if missing.
    pub fn artifacts() -> PathBuf {
        let dir = std::env::var_os("LOOPIN_ARTIFACTS")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../artifacts"));
        let missing = loopin_deploy::CONTRACTS
            .iter()
            .any(|name| !dir.join(format!("{name}.wasm")).exists());
        if missing {
            let script =
                PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/build-contracts.sh");
            let status = std::process::Command::new(script)
                .status()
                .expect("running scripts/build-contracts.sh");
            assert!(status.success(), "scripts/build-contracts.sh failed");
        }
        dir
    }

    /// LooPIN with epochs of `epoch` seconds, deployed by dev key `deployer`; `funded` hold
    /// [`RICH`] LOOP each.
    pub fn deploy_config(
        chain: &ChainConfig,
        epoch: u64,
        deployer: u8,
        funded: &[String],
    ) -> DeployConfig {
        DeployConfig {
            chain: chain.clone(),
            deployer: Deployer {
                mnemonic: Some(loopin_chain_client::Key::mnemonic_from_entropy(
                    [deployer; 32],
                )),
                key_file: None,
                hd_path: None,
            },
            artifacts: artifacts(),
            owner: None,
            admin: None,
            min_delay: Some(0),
            token: TokenInit {
                name: "LooPIN".into(),
                symbol: "LOOP".into(),
                decimals: 6,
                initial_balances: funded
                    .iter()
                    .map(|a| cw20::Cw20Coin {
                        address: a.clone(),
                        amount: Uint128::new(RICH),
                    })
                    .collect(),
                cap: None,
                marketing: None,
            },
            emission: EmissionConfig {
                cap_per_epoch: Uint128::new(1_000 * LOOP),
                epoch_seconds: epoch,
            },
            // The devnet's registry: only a device it registered supplies hours.
            registry: DeployConfig::devnet(chain, deployer, &[])
                .expect("devnet.toml")
                .registry,
            classes: vec![ClassConfig {
                name: "h100".into(),
                params: PoolParams {
                    economics: Economics {
                        // Per hour of rate: scaled to the epoch so that T_min is the same
                        // number of epochs (3) on both chains.
                        alpha: Decimal::from_ratio(LOOP * u128::from(epoch), 3_600u128),
                        beta: Decimal::from_ratio(LOOP / 10, 1u128),
                        gamma: Decimal::from_ratio(LOOP / 2, 1u128),
                    },
                    exchange_fee: Decimal::permille(3),
                    epoch_seconds: epoch,
                    min_epochs: 3,
                    max_epochs: 200,
                    seller_deposit: Uint128::new(LOOP),
                    dispute_epochs: 0,
                    // A quarter of an epoch's hours at most (20 s epochs supply 5,555 µh).
                    min_lease_hours: Uint128::new(
                        loopin::pool::DEFAULT_MIN_LEASE_HOURS
                            .min(HOUR * u128::from(epoch) / 3_600 / 4),
                    ),
                    min_rate: loopin::pool::DEFAULT_MIN_RATE,
                    max_rate: loopin::pool::DEFAULT_MAX_RATE,
                    min_proof_bytes: loopin::pool::DEFAULT_MIN_PROOF_BYTES,
                    min_proof_rounds: loopin::pool::DEFAULT_MIN_PROOF_ROUNDS,
                    min_passes_per_epoch: loopin::pool::DEFAULT_MIN_PASSES_PER_EPOCH,
                    pass_grace_seconds: 0,
                    lateness_quorum: 0,
                    gemm: None,
                    incentives: None,
                },
                create_pool: true,
            }],
            output: None,
            chain_json: None,
            assetlist: None,
            chain_registry: None,
        }
    }

    /// The test device's key (compressed) and its registration for `staker` in `pair`.
    pub fn device_registration(pair: &str, staker: &str) -> loopin::device::Registration {
        let key = k256::ecdsa::SigningKey::from_slice(&[0x42; 32]).expect("a valid key");
        let pubkey = key.verifying_key().to_encoded_point(true);
        loopin::device::Registration::encode(
            pubkey.as_bytes(),
            staker,
            pair,
            b"randomness",
            loopin_pocps::encode::Params::TEST,
        )
    }

    /// A Stake hook of one test device (rate 1), named by its key's id and signed by that key
    /// over the stake's claim, as the pair requires (`loopin::device`).
    pub fn device_stake(
        chain_id: &str,
        pair: &str,
        staker: &str,
        mode: StakeMode,
        epochs: u64,
    ) -> ReceiveMsg {
        use k256::ecdsa::{Signature, SigningKey, signature::hazmat::PrehashSigner};
        let key = SigningKey::from_slice(&[0x42; 32]).expect("a valid key");
        let pubkey = key
            .verifying_key()
            .to_encoded_point(true)
            .as_bytes()
            .to_vec();
        let device_id = loopin::device::device_id(&pubkey);
        let commitment = device_registration(pair, staker).digest();
        let claim = loopin::device::StakeClaim {
            chain_id,
            pair,
            device_id: &device_id,
            staker,
            commitment: &commitment,
            mode,
            rate: Decimal::one(),
            epochs,
        };
        let signature: Signature = key.sign_prehash(&claim.message()).expect("a 32-byte hash");
        ReceiveMsg::Stake {
            device_id,
            mode,
            rate: Decimal::one(),
            epochs,
            commitment,
            max_liquidity: None,
            device_key: HexBinary::from(pubkey),
            device_signature: HexBinary::from(signature.to_bytes().to_vec()),
            min_shares: None,
            max_price: None,
            deadline: None,
        }
    }
}
