//! IBC for real: two wasmd networks (LooPIN's, prefix `loopin`, and another chain's, prefix
//! `remote`) on the ports of `deploy/hermes/config.toml`, joined by Hermes with that config:
//! clients, connection and channels opened by `hermes create channel`, packets relayed by
//! `hermes start` with 07-tendermint proofs. The price feed reaches the consumer; LOOP travels
//! to the other chain as ICS-20 through the rewards bridge and comes back; an error
//! acknowledgement and a timeout refund. `loopin-relayer` is only the epoch keeper and price
//! publisher here, with a key of its own. (One test: both chains sit on the config's ports.)

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use loopin::price_feed::{consumer, feed};
use loopin_chain_client::{ChainClient, ChainConfig, Key};
use loopin_deploy::ibc::{self, IbcSettings};
use loopin_deploy::{DeployConfig, repository_artifacts};
use loopin_localnet::{Account, Network, Spec};
use loopin_relayer::keeper::Keeper;

const A_ID: &str = "loopin-local-1";
const B_ID: &str = "remote-local-1";
const LOOP: u128 = 1_000_000;
/// Real-time epochs: the keeper advances and publishes once one has passed.
const EPOCH_SECONDS: u64 = 15;
/// Development keys: 1 deploys, 3 holds LOOP, 5 is Hermes' relayer key, 6 the keeper's.
const DEPLOYER: u8 = 1;
const HOLDER: u8 = 3;
const HERMES_KEY: u8 = 5;
const KEEPER: u8 = 6;

fn key(n: u8, prefix: &str) -> Key {
    Key::development(n, prefix).unwrap()
}

fn config_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/hermes/config.toml")
}

fn spec(dir: &Path, prefix: &str, chain_id: &str, denom: &str, base_port: u16) -> Spec {
    Spec {
        wasmd: loopin_localnet::wasmd_path_for(prefix),
        home: dir.join(chain_id),
        chain_id: chain_id.into(),
        denom: denom.into(),
        validators: 1,
        base_port,
        block_time_ms: 200,
        min_gas_price: 0.0025,
        accounts: [DEPLOYER, HOLDER, HERMES_KEY, KEEPER]
            .iter()
            .map(|n| Account {
                address: key(*n, prefix).address.to_string(),
                amount: 1_000_000_000_000,
            })
            .collect(),
    }
}

/// Runs `hermes --config deploy/hermes/config.toml args...` with its keys under `home`.
fn hermes(home: &Path, args: &[&str]) -> String {
    let output = std::process::Command::new(loopin_localnet::hermes_path())
        .arg("--config")
        .arg(config_path())
        .args(args)
        .env("HOME", home)
        .stdin(Stdio::null())
        .output()
        .expect("hermes runs (scripts/tools.sh's ensure_hermes installs it)");
    let out = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "hermes {args:?}: {out}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    out
}

/// Polls `done` every half second for up to `seconds`.
async fn wait_for<F, Fut>(what: &str, seconds: u64, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while !done().await {
        assert!(
            start.elapsed() < Duration::from_secs(seconds),
            "{what}: not within {seconds} s"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

async fn cw20_balance(client: &ChainClient, token: &str, who: &str) -> u128 {
    let answer: cw20::BalanceResponse = client
        .query_smart(
            token,
            &cw20::Cw20QueryMsg::Balance {
                address: who.into(),
            },
        )
        .await
        .unwrap();
    answer.balance.u128()
}

/// Waits until `dir/hermes.log` says Hermes has started `times` times: its event source reads
/// blocks from then on, and a packet sent before that is seen only by a later clearing (none
/// while no worker of its channel exists yet).
async fn hermes_started(dir: &Path, times: usize) {
    let log = dir.join("hermes.log");
    wait_for("Hermes started", 120, || {
        let log = log.clone();
        async move {
            std::fs::read_to_string(&log)
                .unwrap_or_default()
                .matches("Hermes has started")
                .count()
                >= times
        }
    })
    .await;
}

/// `hermes start` as a child process, logging to `dir/hermes.log`.
fn hermes_start(dir: &Path) -> tokio::process::Child {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("hermes.log"))
        .unwrap();
    tokio::process::Command::new(loopin_localnet::hermes_path())
        .arg("--config")
        .arg(config_path())
        .arg("start")
        .env("HOME", dir)
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hermes_relays_prices_and_loop_transfers_between_two_wasmd_chains() {
    let dir = tempfile::tempdir().unwrap();
    let (spec_a, spec_b) = (
        spec(dir.path(), "loopin", A_ID, "uloop", 26600),
        spec(dir.path(), "remote", B_ID, "uremote", 27600),
    );
    let a = Network::start(spec_a.clone()).await.expect("chain A");
    let b = Network::start(spec_b.clone()).await.expect("chain B");
    let a_config = ChainConfig {
        poll_interval_ms: 50,
        ..spec_a.chain_config(0, "loopin")
    };
    let b_config = ChainConfig {
        poll_interval_ms: 50,
        ..spec_b.chain_config(0, "remote")
    };

    // LooPIN on A with epochs of seconds, and no registry (this test is about IBC).
    let deployer = ChainClient::connect(a_config.clone(), key(DEPLOYER, "loopin"))
        .await
        .unwrap();
    let holders = vec![(key(HOLDER, "loopin").address.to_string(), 1_000 * LOOP)];
    let mut config = DeployConfig::devnet(&a_config, DEPLOYER, &holders).unwrap();
    config.registry = None;
    config.emission.epoch_seconds = EPOCH_SECONDS;
    for class in &mut config.classes {
        let params = &mut class.params;
        params.epoch_seconds = EPOCH_SECONDS;
        params.min_epochs = params.economics.t_min_epochs(EPOCH_SECONDS).unwrap();
        params.max_epochs = params.max_epochs.max(params.min_epochs);
        params.pass_grace_seconds = 0;
        params.dispute_epochs = 0;
        params.gemm = None;
    }
    let deployment = loopin_deploy::deploy(&config, &deployer)
        .await
        .expect("deploy on wasmd");
    let pair = deployment.pools["h100"].clone();
    let artifacts = repository_artifacts().unwrap();
    let apps = ibc::deploy_ibc_apps(&deployer, &artifacts, &deployment, &IbcSettings::default())
        .await
        .expect("IBC apps on A");
    let b_deployer = ChainClient::connect(b_config.clone(), key(DEPLOYER, "remote"))
        .await
        .unwrap();
    let consumer = ibc::deploy_price_consumer(
        &b_deployer,
        &artifacts,
        &apps.price_feed_port(),
        vec![ibc::FIRST_CONNECTION.into()],
        None,
    )
    .await
    .expect("consumer on B");
    ibc::pin_price_consumer(&deployer, &apps, &consumer)
        .await
        .expect("feed pinned to the consumer");

    // Hermes: its own key on each chain, then clients, connection and the price channel.
    let mnemonic = dir.path().join("relayer.mnemonic");
    std::fs::write(&mnemonic, Key::development_mnemonic(HERMES_KEY)).unwrap();
    for chain in [A_ID, B_ID] {
        hermes(
            dir.path(),
            &[
                "keys",
                "add",
                "--chain",
                chain,
                "--mnemonic-file",
                &mnemonic.to_string_lossy(),
            ],
        );
    }
    let feed_port = apps.price_feed_port();
    let consumer_port = format!("wasm.{consumer}");
    hermes(
        dir.path(),
        &[
            "create",
            "channel",
            "--a-chain",
            A_ID,
            "--b-chain",
            B_ID,
            "--a-port",
            &feed_port,
            "--b-port",
            &consumer_port,
            "--new-client-connection",
            "--channel-version",
            loopin::price_feed::PRICE_VERSION,
            "--yes",
        ],
    );
    let channels: feed::ChannelsResponse = deployer
        .query_smart(
            &apps.price_feed,
            &feed::QueryMsg::Channels {
                start_after: None,
                limit: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(channels.channels.len(), 1, "the feed's one subscriber");
    let channel = channels.channels[0].clone();

    let mut relaying = hermes_start(dir.path());
    hermes_started(dir.path(), 1).await;

    // The keeper, with its own key: advances the pool once an epoch has passed, then publishes.
    let keeper = Keeper::new(
        ChainClient::connect(a_config.clone(), key(KEEPER, "loopin"))
            .await
            .unwrap(),
        vec![pair.clone()],
    )
    .with_price_feed(apps.price_feed.clone());
    let reader = ChainClient::connect(b_config.clone(), key(DEPLOYER, "remote"))
        .await
        .unwrap();
    let price_query = consumer::QueryMsg::Price {
        channel: channel.counterparty_channel.clone(),
        pool: pair.clone(),
    };
    let start = Instant::now();
    let mut published = None;
    let price: consumer::PriceResponse = loop {
        if published.is_none() {
            keeper.advance_due().await.expect("advance");
            if keeper.publish_due().await.expect("publish") {
                let p: feed::PublishedResponse = deployer
                    .query_smart(
                        &apps.price_feed,
                        &feed::QueryMsg::Published { pool: pair.clone() },
                    )
                    .await
                    .unwrap();
                published = Some(p);
            }
        }
        if let Ok(price) = reader.query_smart(&consumer, &price_query).await {
            break price;
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "no price on B after {:?} (published: {}); hermes.log: {}",
            start.elapsed(),
            published.is_some(),
            std::fs::read_to_string(dir.path().join("hermes.log")).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let published = published.expect("the keeper published");
    assert_eq!(
        price.packet, published.packet,
        "B holds exactly what A published"
    );
    assert_eq!(price.channel, channel.counterparty_channel);

    // The acknowledgement came back through Hermes: the feed counts the packet delivered.
    let start = Instant::now();
    loop {
        let channels: feed::ChannelsResponse = deployer
            .query_smart(
                &apps.price_feed,
                &feed::QueryMsg::Channels {
                    start_after: None,
                    limit: None,
                },
            )
            .await
            .unwrap();
        let info = &channels.channels[0];
        if info.delivered == 1 {
            assert_eq!((info.sent, info.failed), (1, 0));
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no ack: {info:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    // LOOP to the other chain through the rewards bridge: a second channel on the same
    // connection, the bridge's port to B's ICS-20 module.
    let bridge = apps.rewards_bridge.clone();
    let bridge_port = format!("wasm.{bridge}");
    hermes(
        dir.path(),
        &[
            "create",
            "channel",
            "--a-chain",
            A_ID,
            "--a-connection",
            "connection-0",
            "--a-port",
            &bridge_port,
            "--b-port",
            "transfer",
            "--channel-version",
            "ics20-1",
            "--yes",
        ],
    );
    // The second channel on each chain.
    let (a_channel, b_channel) = ("channel-1", "channel-1");
    let holder = ChainClient::connect(a_config.clone(), key(HOLDER, "loopin"))
        .await
        .unwrap();
    let holder_a = holder.address().to_string();
    let holder_b = key(HOLDER, "remote").address.to_string();
    let token = deployment.token.clone();
    let voucher = {
        use sha2::Digest;
        let trace = format!("transfer/{b_channel}/cw20:{token}");
        format!(
            "ibc/{}",
            hex::encode_upper(sha2::Sha256::digest(trace.as_bytes()))
        )
    };
    let transfer = |to: &str, amount: u128, timeout: Option<u64>| {
        let send = cw20::Cw20ExecuteMsg::Send {
            contract: bridge.clone(),
            amount: amount.into(),
            msg: cosmwasm_std::to_json_binary(&loopin_rewards_bridge::msg::TransferMsg {
                channel: a_channel.into(),
                remote_address: to.into(),
                timeout,
                memo: None,
            })
            .unwrap(),
        };
        holder.execute_msg(&token, &send, &[]).unwrap()
    };
    let start_balance = cw20_balance(&holder, &token, &holder_a).await;

    // 1. Delivered: B mints the voucher, A escrows the LOOP.
    holder
        .send(vec![transfer(&holder_b, 5 * LOOP, None)], "")
        .await
        .expect("transfer to B");
    wait_for("the voucher on B", 90, || async {
        reader.balance(&holder_b, &voucher).await.unwrap_or(0) == 5 * LOOP
    })
    .await;
    assert_eq!(cw20_balance(&holder, &token, &bridge).await, 5 * LOOP);
    assert_eq!(
        cw20_balance(&holder, &token, &holder_a).await,
        start_balance - 5 * LOOP
    );

    // 2. Refused by B (no address of B): the error acknowledgement refunds on A.
    holder
        .send(vec![transfer("not-an-address", 2 * LOOP, None)], "")
        .await
        .expect("transfer B refuses");
    assert_eq!(
        cw20_balance(&holder, &token, &holder_a).await,
        start_balance - 7 * LOOP
    );
    wait_for("the error ack's refund", 90, || async {
        cw20_balance(&holder, &token, &holder_a).await == start_balance - 5 * LOOP
    })
    .await;

    // 3. Back home: 2 LOOP of vouchers sent from B over the transfer module return as LOOP
    //    from the bridge's escrow.
    let b_holder = ChainClient::connect(b_config.clone(), key(HOLDER, "remote"))
        .await
        .unwrap();
    let back = ibc_proto::ibc::applications::transfer::v1::MsgTransfer {
        source_port: "transfer".into(),
        source_channel: b_channel.into(),
        token: Some(ibc_proto::cosmos::base::v1beta1::Coin {
            denom: voucher.clone(),
            amount: (2 * LOOP).to_string(),
        }),
        sender: holder_b.clone(),
        receiver: holder_a.clone(),
        timeout_height: None,
        timeout_timestamp: (std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
            + 600_000_000_000) as u64,
        memo: String::new(),
    };
    b_holder
        .send(vec![cosmos_sdk_proto::Any::from_msg(&back).unwrap()], "")
        .await
        .expect("vouchers back to A");
    wait_for("LOOP back on A", 90, || async {
        cw20_balance(&holder, &token, &holder_a).await == start_balance - 3 * LOOP
    })
    .await;
    assert_eq!(cw20_balance(&holder, &token, &bridge).await, 3 * LOOP);
    assert_eq!(reader.balance(&holder_b, &voucher).await.unwrap(), 3 * LOOP);

    // Hermes' own telemetry (deploy/hermes/config.toml: 127.0.0.1:3101) counted what it did:
    // the send_packet events it saw and the messages it submitted, by chain (the names and
    // labels loopin-relayer's metrics no longer borrow: docs/relayer.md).
    let metrics = scrape("127.0.0.1:3101").await;
    let counted = |name: &str, label: &str| {
        metrics
            .lines()
            .any(|l| l.starts_with(&format!("{name}{{")) && l.contains(label) && !l.ends_with(" 0"))
    };
    assert!(
        counted("send_packet_events_total", "chain=\"loopin-local-1\""),
        "{metrics}"
    );
    assert!(
        counted("send_packet_events_total", "chain=\"remote-local-1\""),
        "{metrics}"
    );
    assert!(
        counted("messages_submitted_total", "chain=\"remote-local-1\""),
        "{metrics}"
    );
    assert!(
        counted("messages_submitted_total", "chain=\"loopin-local-1\""),
        "{metrics}"
    );

    // 4. Timed out: Hermes is down past the packet's 8 s timeout; started again, it proves
    //    non-receipt on B and A refunds.
    let _ = relaying.kill().await;
    holder
        .send(vec![transfer(&holder_b, 4 * LOOP, Some(8))], "")
        .await
        .expect("transfer that will time out");
    assert_eq!(
        cw20_balance(&holder, &token, &holder_a).await,
        start_balance - 7 * LOOP
    );
    let (_, sent_at) = reader.latest_block().await.unwrap();
    wait_for("B's clock past the timeout", 60, || async {
        reader.latest_block().await.unwrap().1 > sent_at + 12
    })
    .await;
    let mut relaying = hermes_start(dir.path());
    hermes_started(dir.path(), 2).await;
    wait_for("the timeout's refund", 120, || async {
        cw20_balance(&holder, &token, &holder_a).await == start_balance - 3 * LOOP
    })
    .await;
    assert_eq!(reader.balance(&holder_b, &voucher).await.unwrap(), 3 * LOOP);
    assert_eq!(cw20_balance(&holder, &token, &bridge).await, 3 * LOOP);

    let _ = relaying.kill().await;
    a.stop().await;
    b.stop().await;
}

/// GET /metrics over plain HTTP/1.0.
async fn scrape(addr: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr)
        .await
        .expect("Hermes telemetry");
    stream
        .write_all(b"GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let mut body = String::new();
    stream.read_to_string(&mut body).await.unwrap();
    body
}
