//! Two devnets joined by the relayer: price packets from the feed to a consumer, LOOP rewards as
//! ICS-20 transfers (delivered, refused, timed out), and a relayer killed mid-batch.
//!
//! Chain A is LooPIN (`loopin-devnet-1`, prefix `loopin`) with the protocol deployed; chain B is
//! another chain (`remote-devnet-1`, prefix `remote`, fee denom `uremote`) with the price consumer
//! and the native ICS-20 transfer module. The contracts are the compiled wasm of
//! `scripts/build-contracts.sh`.

use cosmwasm_std::{Uint128, to_json_binary};
use loopin::price_feed::{consumer, feed};
use loopin_chain_client::{ChainClient, ChainConfig, Key, devnet};
use loopin_chain_tests::{Chain, DevnetIdentity};
use loopin_deploy::ibc::{self, IbcApps, IbcSettings};
use loopin_deploy::{DeployConfig, Deployment, repository_artifacts};
use loopin_relayer::chain::IbcChain;
use loopin_relayer::config::{ChainEntry, Config, GasPrice, PacketFilter, PacketsMode};
use loopin_relayer::handshake::{ChannelSpec, OpenChannel, create_channel};
use loopin_relayer::keeper::Keeper;
use loopin_relayer::relay::{PassReport, Relayer};
use loopin_relayer::state::StateFile;
use loopin_rewards_bridge::msg::TransferMsg;
use loopin_telemetry::metrics::Metrics;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

const A_ID: &str = "loopin-devnet-1";
const B_ID: &str = "remote-devnet-1";
const B_PREFIX: &str = "remote";
const B_DENOM: &str = "uremote";
const LOOP: u128 = 1_000_000;
const EPOCH_SECONDS: u64 = 3_600;
/// Development keys: 1 deploys, 3 holds LOOP and sends rewards, 5 relays.
const DEPLOYER: u8 = 1;
const HOLDER: u8 = 3;
const RELAYER: u8 = 5;

#[derive(Deserialize)]
struct Cw20Balance {
    balance: Uint128,
}

fn key(n: u8, prefix: &str) -> Key {
    Key::development(n, prefix).unwrap()
}

struct TwoChains {
    dir: tempfile::TempDir,
    _a: Chain,
    _b: Chain,
    a: ChainConfig,
    b: ChainConfig,
    deployment: Deployment,
    /// The price feed (publishing every pool) and the rewards bridge on A.
    apps: IbcApps,
    /// The price consumer on B.
    consumer: String,
    /// Key 3 on A (holds LOOP) and its address on B.
    holder: ChainClient,
    holder_on_b: String,
}

impl TwoChains {
    async fn start() -> TwoChains {
        let dir = tempfile::tempdir().unwrap();
        let funded = |prefix: &str| -> Vec<String> {
            [DEPLOYER, HOLDER, RELAYER]
                .iter()
                .map(|n| key(*n, prefix).address.to_string())
                .collect()
        };
        let chain_a = Chain::start_devnet(
            "relayer-a",
            DevnetIdentity {
                chain_id: A_ID,
                prefix: "loopin",
                denom: "uloop",
            },
            &funded("loopin"),
        )
        .await;
        let chain_b = Chain::start_devnet(
            "relayer-b",
            DevnetIdentity {
                chain_id: B_ID,
                prefix: B_PREFIX,
                denom: B_DENOM,
            },
            &funded(B_PREFIX),
        )
        .await;
        let (a, b) = (chain_a.chain_config(), chain_b.chain_config());
        let deployer = ChainClient::connect(a.clone(), key(DEPLOYER, "loopin"))
            .await
            .unwrap();
        let holders = vec![(key(HOLDER, "loopin").address.to_string(), 1_000 * LOOP)];
        let config = DeployConfig::devnet(&a, DEPLOYER, &holders).unwrap();
        let deployment = loopin_deploy::deploy(&config, &deployer)
            .await
            .expect("deploy");
        std::fs::write(
            dir.path().join(format!("key{RELAYER}")),
            Key::development_mnemonic(RELAYER),
        )
        .unwrap();
        let holder = ChainClient::connect(a.clone(), key(HOLDER, "loopin"))
            .await
            .unwrap();
        let artifacts = repository_artifacts().unwrap();
        let apps =
            ibc::deploy_ibc_apps(&deployer, &artifacts, &deployment, &IbcSettings::default())
                .await
                .expect("IBC apps");
        let b_deployer = ChainClient::connect(b.clone(), key(DEPLOYER, B_PREFIX))
            .await
            .unwrap();
        // The price channel, when a test opens one, is the first: connection-0 on both chains.
        let consumer = ibc::deploy_price_consumer(
            &b_deployer,
            &artifacts,
            &apps.price_feed_port(),
            vec![ibc::FIRST_CONNECTION.into()],
            None,
        )
        .await
        .expect("consumer");
        ibc::pin_price_consumer(&deployer, &apps, &consumer)
            .await
            .expect("feed pinned to the consumer");
        TwoChains {
            holder_on_b: key(HOLDER, B_PREFIX).address.to_string(),
            dir,
            _a: chain_a,
            _b: chain_b,
            a,
            b,
            deployment,
            apps,
            consumer,
            holder,
        }
    }

    async fn client(&self, on_b: bool, n: u8) -> ChainClient {
        let (config, prefix) = if on_b {
            (&self.b, B_PREFIX)
        } else {
            (&self.a, "loopin")
        };
        ChainClient::connect(config.clone(), key(n, prefix))
            .await
            .unwrap()
    }

    fn entry(&self, on_b: bool, filter: Vec<(String, String)>, max_msg_num: usize) -> ChainEntry {
        let config = if on_b { &self.b } else { &self.a };
        ChainEntry {
            id: config.chain_id.clone(),
            grpc_addr: config.grpc.clone(),
            ca_file: None,
            account_prefix: config.prefix.clone(),
            key_file: self.dir.path().join(format!("key{RELAYER}")),
            gas_price: GasPrice {
                price: config.gas_price,
                denom: config.denom.clone(),
            },
            gas_multiplier: 1.3,
            max_msg_num,
            packet_filter: PacketFilter {
                list: filter,
                ..PacketFilter::default()
            },
        }
    }

    fn state_dir(&self) -> PathBuf {
        self.dir.path().join("relayer-state")
    }

    /// Opens a channel between `a_port` on A and `b_port` on B.
    async fn open(&self, a_port: &str, b_port: &str, version: &str) -> OpenChannel {
        let a = IbcChain::connect(self.entry(false, vec![], 30))
            .await
            .unwrap();
        let b = IbcChain::connect(self.entry(true, vec![], 30))
            .await
            .unwrap();
        let mut state = StateFile::open(&self.state_dir()).unwrap();
        let spec = ChannelSpec {
            a_port: a_port.into(),
            b_port: b_port.into(),
            version: version.into(),
        };
        create_channel(&a, &b, &spec, &mut state)
            .await
            .expect("channel handshake")
    }

    /// The relayer's config for one channel.
    fn relayer_config(
        &self,
        ports: (&str, &str),
        open: &OpenChannel,
        max_msg_num: usize,
    ) -> Config {
        Config {
            chains: vec![
                self.entry(
                    false,
                    vec![(ports.0.into(), open.a_channel.clone())],
                    max_msg_num,
                ),
                self.entry(
                    true,
                    vec![(ports.1.into(), open.b_channel.clone())],
                    max_msg_num,
                ),
            ],
            state: loopin_relayer::config::StateConfig {
                dir: self.state_dir(),
            },
            mode: loopin_relayer::config::Mode {
                packets: PacketsMode {
                    poll_interval_ms: 50,
                    ..PacketsMode::default()
                },
            },
            telemetry: loopin_relayer::config::Telemetry {
                enabled: false,
                ..Default::default()
            },
            ..Config::default()
        }
    }

    async fn relayer(&self, config: &Config) -> Relayer {
        let mut chains = Vec::new();
        for entry in &config.chains {
            chains.push(IbcChain::connect(entry.clone()).await.unwrap());
        }
        let state = StateFile::open(&config.state.dir).unwrap();
        let mut relayer = Relayer::new(chains, state, Metrics::new(), config.mode.packets.clone());
        relayer.settle().await.unwrap();
        relayer
    }

    async fn loop_balance(&self, address: &str) -> u128 {
        let answer: Cw20Balance = self
            .holder
            .query_smart(
                &self.deployment.token,
                &cw20::Cw20QueryMsg::Balance {
                    address: address.into(),
                },
            )
            .await
            .unwrap();
        answer.balance.u128()
    }

    /// The rewards bridge's channel to B's `transfer` port.
    async fn bridge(&self) -> (String, OpenChannel) {
        let bridge = self.apps.rewards_bridge.clone();
        let open = self
            .open(&self.apps.rewards_bridge_port(), "transfer", "ics20-1")
            .await;
        (bridge, open)
    }

    /// The cw20 `Send` of `amount` LOOP-units from the holder through the bridge.
    fn transfer(
        &self,
        bridge: &str,
        channel: &str,
        to: &str,
        amount: u128,
        timeout: Option<u64>,
    ) -> cosmos_sdk_proto::Any {
        let send = cw20::Cw20ExecuteMsg::Send {
            contract: bridge.into(),
            amount: amount.into(),
            msg: to_json_binary(&TransferMsg {
                channel: channel.into(),
                remote_address: to.into(),
                timeout,
                memo: None,
            })
            .unwrap(),
        };
        self.holder
            .execute_msg(&self.deployment.token, &send, &[])
            .unwrap()
    }

    /// The voucher denom B mints for LOOP arriving on `b_channel`.
    fn voucher(&self, b_channel: &str) -> String {
        let trace = format!("transfer/{b_channel}/cw20:{}", self.deployment.token);
        format!(
            "ibc/{}",
            hex::encode_upper(Sha256::digest(trace.as_bytes()))
        )
    }
}

/// Runs passes until `done` holds, up to 30 s; returns the sum of the passes' reports.
async fn relay_until<F, Fut>(relayer: &mut Relayer, mut done: F) -> PassReport
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    let mut total = PassReport::default();
    loop {
        let report = relayer.pass().await.unwrap();
        total.received += report.received;
        total.acknowledged += report.acknowledged;
        total.timed_out += report.timed_out;
        if done().await {
            return total;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "not relayed in 30 s: {total:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_price_packet_reaches_the_consumer_and_its_ack_returns() {
    let chains = TwoChains::start().await;
    let pair = chains.deployment.pools["h100"].clone();
    let feed_addr = chains.apps.price_feed.clone();
    let consumer_addr = chains.consumer.clone();
    let owner = chains.client(false, DEPLOYER).await;
    let a_port = format!("wasm.{feed_addr}");
    let b_port = format!("wasm.{consumer_addr}");
    let open = chains.open(&a_port, &b_port, "loopin-price-1").await;

    // An epoch passes: the keeper publishes only once the pool is advanced, then once only.
    devnet::advance_time(owner.channel(), EPOCH_SECONDS)
        .await
        .unwrap();
    let keeper = Keeper::new(chains.client(false, RELAYER).await, vec![pair.clone()])
        .with_price_feed(feed_addr.clone());
    assert!(
        !keeper.publish_due().await.unwrap(),
        "the pool lags its clock"
    );
    assert_eq!(keeper.advance_due().await.unwrap(), 1);
    assert!(keeper.publish_due().await.unwrap());
    assert!(
        !keeper.publish_due().await.unwrap(),
        "this epoch is published"
    );
    let published: feed::PublishedResponse = owner
        .query_smart(
            &feed_addr,
            &feed::QueryMsg::Published { pool: pair.clone() },
        )
        .await
        .unwrap();
    assert_eq!(published.channels, 1);

    // A relayer that serves only A's end cannot route the packet: it holds A's cursor below
    // the packet instead of passing it by.
    let mut half = chains.relayer_config((&a_port, &b_port), &open, 30);
    half.chains[1].packet_filter.list.clear();
    let cursor_before = StateFile::open(&chains.state_dir()).unwrap().cursor(A_ID);
    let mut half_relayer = chains.relayer(&half).await;
    let report = half_relayer.pass().await.unwrap();
    assert_eq!((report.received, report.held), (0, 1));
    assert_eq!(half_relayer.state().cursor(A_ID), cursor_before);
    drop(half_relayer);

    let config = chains.relayer_config((&a_port, &b_port), &open, 30);
    let mut relayer = chains.relayer(&config).await;
    let reader = chains.client(true, DEPLOYER).await;
    let price_query = consumer::QueryMsg::Price {
        channel: open.b_channel.clone(),
        pool: pair.clone(),
    };
    let channels = feed::QueryMsg::Channels {
        start_after: None,
        limit: None,
    };
    let (owner_ref, feed_ref, channels_ref) = (&owner, &feed_addr, &channels);
    let report = relay_until(&mut relayer, || async move {
        let acked: feed::ChannelsResponse =
            owner_ref.query_smart(feed_ref, channels_ref).await.unwrap();
        acked.channels[0].delivered == 1
    })
    .await;
    assert_eq!(
        (report.received, report.acknowledged, report.timed_out),
        (1, 1, 0)
    );

    // The consumer serves exactly what the feed published.
    let price: consumer::PriceResponse = reader
        .query_smart(&consumer_addr, &price_query)
        .await
        .unwrap();
    assert_eq!(price.channel, open.b_channel);
    assert_eq!(price.packet, published.packet);
    let feed_channels: feed::ChannelsResponse =
        owner.query_smart(&feed_addr, &channels).await.unwrap();
    let info = &feed_channels.channels[0];
    assert_eq!((info.sent, info.delivered, info.failed), (1, 1, 0));
    assert_eq!(info.counterparty_channel, open.b_channel);

    // Nothing more to relay: further passes send nothing.
    let idle = relayer.pass().await.unwrap();
    assert_eq!(
        (idle.received, idle.acknowledged, idle.timed_out),
        (0, 0, 0)
    );

    // The owner evicts the consumer's channel with the next epoch's price in flight. The
    // feed's end is CLOSED: the relayer drops the route, passes the packet by, and its cursor
    // moves on instead of holding below the packet forever.
    devnet::advance_time(owner.channel(), EPOCH_SECONDS)
        .await
        .unwrap();
    assert_eq!(keeper.advance_due().await.unwrap(), 1);
    assert!(keeper.publish_due().await.unwrap());
    let evict = feed::ExecuteMsg::CloseChannel {
        channel_id: open.a_channel.clone(),
    };
    owner.execute(&feed_addr, &evict, &[]).await.unwrap();
    let (closed_at, _) = owner.latest_block().await.unwrap();
    let mut after_close = PassReport::default();
    while relayer.state().cursor(A_ID).unwrap_or(0) < closed_at as u64 {
        let report = relayer.pass().await.unwrap();
        assert_eq!((report.received, report.held), (0, 0), "{report:?}");
        after_close.stranded += report.stranded;
    }
    assert_eq!(after_close.stranded, 1, "the in-flight price, passed by");
    let consumer_price: consumer::PriceResponse = reader
        .query_smart(&consumer_addr, &price_query)
        .await
        .unwrap();
    assert_eq!(
        consumer_price.packet, published.packet,
        "still the first price"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rewards_transfers_arrive_and_failed_or_timed_out_ones_are_refunded() {
    let chains = TwoChains::start().await;
    let (bridge, open) = chains.bridge().await;
    let holder = chains.holder.address().to_string();
    let start_balance = chains.loop_balance(&holder).await;
    let voucher = chains.voucher(&open.b_channel);
    let b_reader = chains.client(true, DEPLOYER).await;
    let config = chains.relayer_config((&format!("wasm.{bridge}"), "transfer"), &open, 30);
    let mut relayer = chains.relayer(&config).await;
    let (chains_ref, open_ref, bridge_ref) = (&chains, &open, bridge.as_str());

    // 1. Delivered: B mints the voucher to the receiver; A escrows the LOOP.
    chains
        .holder
        .send(
            vec![chains.transfer(
                &bridge,
                &open.a_channel,
                &chains.holder_on_b,
                5 * LOOP,
                None,
            )],
            "",
        )
        .await
        .unwrap();
    let report = relay_until(&mut relayer, || {
        relayer_done(chains_ref, open_ref, bridge_ref)
    })
    .await;
    assert_eq!(
        (report.received, report.acknowledged, report.timed_out),
        (1, 1, 0)
    );
    assert_eq!(
        b_reader
            .balance(&chains.holder_on_b, &voucher)
            .await
            .unwrap(),
        5 * LOOP
    );
    assert_eq!(chains.loop_balance(&bridge).await, 5 * LOOP);
    assert_eq!(chains.loop_balance(&holder).await, start_balance - 5 * LOOP);

    // 2. Refused by B (the receiver is no address of B): the error ack refunds on A.
    chains
        .holder
        .send(
            vec![chains.transfer(&bridge, &open.a_channel, "not-an-address", 2 * LOOP, None)],
            "",
        )
        .await
        .unwrap();
    assert_eq!(chains.loop_balance(&holder).await, start_balance - 7 * LOOP);
    let report = relay_until(&mut relayer, || {
        relayer_done(chains_ref, open_ref, bridge_ref)
    })
    .await;
    assert_eq!(
        (report.received, report.acknowledged, report.timed_out),
        (1, 1, 0)
    );
    assert_eq!(chains.loop_balance(&holder).await, start_balance - 5 * LOOP);
    assert_eq!(chains.loop_balance(&bridge).await, 5 * LOOP);
    assert_eq!(
        b_reader
            .balance(&chains.holder_on_b, &voucher)
            .await
            .unwrap(),
        5 * LOOP
    );

    // 3. Timed out: nobody relays for longer than its 60 s timeout (B's clock moves 120 s), then
    //    the relayer proves non-receipt on B and A refunds.
    chains
        .holder
        .send(
            vec![chains.transfer(
                &bridge,
                &open.a_channel,
                &chains.holder_on_b,
                3 * LOOP,
                Some(60),
            )],
            "",
        )
        .await
        .unwrap();
    assert_eq!(chains.loop_balance(&holder).await, start_balance - 8 * LOOP);
    devnet::advance_time(b_reader.channel(), 120).await.unwrap();
    // Let B's next block carry the new time before the relayer looks.
    let (h, _) = b_reader.latest_block().await.unwrap();
    while b_reader.latest_block().await.unwrap().0 <= h + 1 {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let report = relay_until(&mut relayer, || {
        relayer_done(chains_ref, open_ref, bridge_ref)
    })
    .await;
    assert_eq!(
        (report.received, report.acknowledged, report.timed_out),
        (0, 0, 1)
    );
    assert_eq!(chains.loop_balance(&holder).await, start_balance - 5 * LOOP);
    assert_eq!(chains.loop_balance(&bridge).await, 5 * LOOP);
    assert_eq!(
        b_reader
            .balance(&chains.holder_on_b, &voucher)
            .await
            .unwrap(),
        5 * LOOP
    );
    // The timed-out packet is never delivered afterwards.
    let b = IbcChain::connect(chains.entry(true, vec![], 30))
        .await
        .unwrap();
    assert_eq!(
        b.unreceived_packets("transfer", &open.b_channel, vec![1, 2, 3])
            .await
            .unwrap(),
        vec![3]
    );
    let idle = relayer.pass().await.unwrap();
    assert_eq!(
        (idle.received, idle.acknowledged, idle.timed_out),
        (0, 0, 0)
    );
}

/// Whether A holds no packet commitment on the bridge's channel (all acked or timed out).
async fn relayer_done(chains: &TwoChains, open: &OpenChannel, bridge: &str) -> bool {
    let a = IbcChain::connect(chains.entry(false, vec![], 30))
        .await
        .unwrap();
    a.still_committed(
        &format!("wasm.{bridge}"),
        &open.a_channel,
        (1..=64).collect(),
    )
    .await
    .unwrap()
    .is_empty()
}

/// How many of sequences 1..=n B has received on its `transfer` channel.
async fn received(b: &IbcChain, channel: &str, n: u64) -> usize {
    let unreceived = b
        .unreceived_packets("transfer", channel, (1..=n).collect())
        .await
        .unwrap();
    n as usize - unreceived.len()
}

fn write_config(path: &Path, config: &Config) {
    std::fs::write(path, toml::to_string(config).unwrap()).unwrap();
}

/// The relayer binary; SIGKILLed and reaped when dropped (also when a test fails).
struct RelayerProcess(Child);

impl RelayerProcess {
    /// SIGKILL, as a crash.
    fn kill(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for RelayerProcess {
    fn drop(&mut self) {
        self.stop();
    }
}

fn spawn_relayer(config: &Path, log: &Path) -> RelayerProcess {
    let log = std::fs::File::options()
        .create(true)
        .append(true)
        .open(log)
        .unwrap();
    Command::new(env!("CARGO_BIN_EXE_loopin-relayer"))
        .arg("--config")
        .arg(config)
        .arg("start")
        .env("RUST_LOG", "info")
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .map(RelayerProcess)
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relayer_killed_mid_batch_delivers_every_packet_exactly_once() {
    const PACKETS: u64 = 12;
    let chains = TwoChains::start().await;
    let (bridge, open) = chains.bridge().await;
    let voucher = chains.voucher(&open.b_channel);
    let b = IbcChain::connect(chains.entry(true, vec![], 30))
        .await
        .unwrap();
    // Twelve transfers of 1..=12 LOOP in one transaction, while no relayer runs.
    let msgs = (1..=PACKETS as u128)
        .map(|n| {
            chains.transfer(
                &bridge,
                &open.a_channel,
                &chains.holder_on_b,
                n * LOOP,
                None,
            )
        })
        .collect();
    let sent = chains.holder.send(msgs, "").await.unwrap();
    // From here on only the relayer sends transactions to B.
    let (b_start, _) = b.latest().await.unwrap();

    // One message per transaction, so the batch takes twelve transactions on B.
    let config_path = chains.dir.path().join("relayer.toml");
    let log = chains.dir.path().join("relayer.log");
    write_config(
        &config_path,
        &chains.relayer_config((&format!("wasm.{bridge}"), "transfer"), &open, 1),
    );
    let sequences: Vec<u64> = (1..=PACKETS).collect();
    let child = spawn_relayer(&config_path, &log);
    let start = Instant::now();
    let at_kill = loop {
        let n = received(&b, &open.b_channel, PACKETS).await;
        if n >= 3 {
            child.kill();
            break received(&b, &open.b_channel, PACKETS).await;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "nothing relayed: {}",
            std::fs::read_to_string(&log).unwrap()
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    assert!(
        (3..PACKETS as usize).contains(&at_kill),
        "killed mid-batch: {at_kill} of {PACKETS} received"
    );
    // The cursor of A did not pass the transfers' block: the batch was cut.
    let cursors = StateFile::open(&chains.state_dir()).unwrap();
    assert!(cursors.cursor(A_ID).unwrap() < sent.height as u64);

    let child = spawn_relayer(&config_path, &log);
    let start = Instant::now();
    while !relayer_done(&chains, &open, &bridge).await {
        assert!(
            start.elapsed() < Duration::from_secs(90),
            "not finished: {}",
            std::fs::read_to_string(&log).unwrap()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    child.kill();

    // Every packet arrived once: the vouchers are exactly 1 + ... + 12 LOOP, B wrote one
    // receipt event per sequence, and no relayer transaction on B failed.
    let total: u128 = (1..=PACKETS as u128).sum::<u128>() * LOOP;
    let b_reader = chains.client(true, DEPLOYER).await;
    assert_eq!(
        b_reader
            .balance(&chains.holder_on_b, &voucher)
            .await
            .unwrap(),
        total
    );
    assert_eq!(chains.loop_balance(&bridge).await, total);
    let (latest, _) = b.latest().await.unwrap();
    let relayer_addr = key(RELAYER, B_PREFIX).address.to_string();
    let mut recv_events = Vec::new();
    let mut failed = 0;
    for height in b_start + 1..=latest {
        for tx in b.txs_at(height).await.unwrap() {
            if tx.code != 0 {
                failed += 1;
                continue;
            }
            let from_relayer = tx.events.iter().any(|e| {
                e.r#type == "message"
                    && e.attributes
                        .iter()
                        .any(|a| a.key == "sender" && a.value == relayer_addr)
            });
            assert!(from_relayer, "an unexpected transaction on B: {tx:?}");
            for e in tx.events.iter().filter(|e| e.r#type == "recv_packet") {
                let seq = e
                    .attributes
                    .iter()
                    .find(|a| a.key == "packet_sequence")
                    .unwrap();
                recv_events.push(seq.value.parse::<u64>().unwrap());
            }
        }
    }
    recv_events.sort_unstable();
    assert_eq!(
        recv_events, sequences,
        "each sequence received exactly once"
    );
    assert_eq!(failed, 0, "no relayer transaction failed on B");
    let restarted = std::fs::read_to_string(&log).unwrap();
    assert!(!restarted.contains("already received"), "{restarted}");
}
