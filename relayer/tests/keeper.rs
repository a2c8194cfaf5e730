//! The epoch keeper against a devnet running the compiled contracts (`scripts/build-contracts.sh`)
//! deployed with `deploy/devnet.toml` plus a second pool: a keeper that was down catches up, in
//! pages of the pair's 16 boundaries per `AdvanceEpoch`; two keepers at once and a retried advance
//! process every boundary exactly once, which the test reads from the pairs' `advance_epoch`
//! events in the blocks; a pool address that is not a pair is logged and skipped.
//!
//! The devnet's clock is moved with its admin fast-forward; every pool's epoch is one hour, and
//! the tests first move the clock to 30 s after a boundary, so the few seconds they run never
//! cross another one.

use cosmos_sdk_proto::cosmos::base::abci::v1beta1::TxResponse;
use cosmos_sdk_proto::cosmos::tx::v1beta1 as txpb;
use loopin::pair::{
    AUTO_RENEW_AHEAD, ConfigResponse, ExecuteMsg, PoolResponse, QueryMsg, StakeResponse,
};
use loopin::stake_cert::StakeMode;
use loopin_chain_client::{ChainClient, ChainConfig, devnet};
use loopin_chain_tests::{Chain, Kind, key};
use loopin_deploy::{ClassConfig, DeployConfig, Deployment};
use loopin_relayer::keeper::{Keeper, wait_advanced};
use std::collections::BTreeMap;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tracing::instrument::WithSubscriber;

/// Every pool's epoch (`deploy/devnet.toml`'s h100, and a100 with the same parameters).
const EPOCH_SECONDS: u64 = 3_600;
/// Boundaries one `AdvanceEpoch { max_epochs: None }` processes (the pair's `DEFAULT_ADVANCE`).
const PAGE: u64 = 16;
/// Development keys: 1 deploys, 2 to 4 keep, 9 is an account with no contract.
const DEPLOYER: u8 = 1;

/// The miner's development key, and a LOOP in its smallest unit.
const MINER: u8 = 3;
const LOOP: u128 = 1_000_000;

struct Devnet {
    _devnet: Chain,
    chain: ChainConfig,
    deployment: Deployment,
    /// h100 and a100, in the order they were created.
    pools: Vec<String>,
    observer: ChainClient,
}

impl Devnet {
    /// A devnet with LooPIN deployed and two pools, whose clock is 30 s past a boundary of
    /// both and whose pools have processed every due boundary.
    async fn start() -> Devnet {
        let devnet = Chain::start(Kind::Devnet, "keeper", &[1, 2, 3, 4]).await;
        let chain = devnet.chain_config();
        let deployer = ChainClient::connect(chain.clone(), key(DEPLOYER))
            .await
            .unwrap();
        // The miner (key 3) holds LOOP to stake with.
        let holders = [(key(MINER).address.to_string(), 1_000 * LOOP)];
        let mut config = DeployConfig::devnet(&chain, DEPLOYER, &holders).expect("devnet.toml");
        let h100 = config.classes[0].clone();
        assert_eq!(h100.params.epoch_seconds, EPOCH_SECONDS);
        config.classes.push(ClassConfig {
            name: "a100".into(),
            ..h100
        });
        let deployment = loopin_deploy::deploy(&config, &deployer)
            .await
            .expect("deploy");
        let pools = vec![
            deployment.pools["h100"].clone(),
            deployment.pools["a100"].clone(),
        ];
        let net = Devnet {
            _devnet: devnet,
            chain,
            deployment,
            pools,
            observer: deployer,
        };
        net.align().await;
        let keeper = net.keeper(2, net.pools.clone()).await;
        while keeper.advance_due().await.unwrap() > 0 {}
        for pool in &net.pools {
            let state = net.pool(pool).await;
            assert_eq!(state.epoch, state.clock_epoch);
        }
        net
    }

    async fn keeper(&self, n: u8, pools: Vec<String>) -> Keeper {
        let client = ChainClient::connect(self.chain.clone(), key(n))
            .await
            .unwrap();
        Keeper::new(client, pools)
    }

    async fn pool(&self, pool: &str) -> PoolResponse {
        self.observer
            .query_smart(pool, &QueryMsg::Pool {})
            .await
            .unwrap()
    }

    /// `(epoch, clock_epoch)` of every pool.
    async fn epochs(&self) -> Vec<(u64, u64)> {
        let mut epochs = Vec::new();
        for pool in &self.pools {
            let state = self.pool(pool).await;
            epochs.push((state.epoch, state.clock_epoch));
        }
        epochs
    }

    /// Moves the clock to 30 s after the next boundary of the first pool; the second was created
    /// moments later, so it is a little less past its own boundary.
    async fn align(&self) {
        let mut genesis = Vec::new();
        for pool in &self.pools {
            let config: ConfigResponse = self
                .observer
                .query_smart(pool, &QueryMsg::Config {})
                .await
                .unwrap();
            genesis.push(config.genesis);
        }
        let (_, now) = self.observer.latest_block().await.unwrap();
        let offset = (now as u64 - genesis[0]) % EPOCH_SECONDS;
        devnet::advance_time(self.observer.channel(), EPOCH_SECONDS - offset + 30)
            .await
            .unwrap();
        let (_, now) = self.observer.latest_block().await.unwrap();
        for g in genesis {
            let offset = (now as u64 - g) % EPOCH_SECONDS;
            assert!((10..=60).contains(&offset), "{offset} s past a boundary");
        }
    }

    /// The devnet's clock jumps `epochs` epochs ahead.
    async fn fast_forward(&self, epochs: u64) {
        devnet::advance_time(self.observer.channel(), epochs * EPOCH_SECONDS)
            .await
            .unwrap();
    }

    async fn height(&self) -> u64 {
        self.observer.latest_block().await.unwrap().0 as u64
    }

    /// Every transaction result of the blocks after `after`, up to the latest.
    async fn txs_after(&self, after: u64) -> Vec<TxResponse> {
        let mut service = txpb::service_client::ServiceClient::new(self.observer.channel());
        let mut txs = Vec::new();
        for height in after + 1..=self.height().await {
            let query = format!("tx.height={height}");
            #[allow(deprecated)]
            let request = txpb::GetTxsEventRequest {
                events: vec![query.clone()],
                query,
                page: 1,
                limit: 1_000,
                ..Default::default()
            };
            txs.extend(
                service
                    .get_txs_event(request)
                    .await
                    .unwrap()
                    .into_inner()
                    .tx_responses,
            );
        }
        txs
    }
}

/// The boundaries processed in `txs`, per pool: from each successful transaction's
/// `advance_epoch` event of the pair, the epochs `epoch - boundaries + 1 ..= epoch`, counted.
fn processed(txs: &[TxResponse]) -> BTreeMap<String, BTreeMap<u64, usize>> {
    let mut processed: BTreeMap<String, BTreeMap<u64, usize>> = BTreeMap::new();
    for tx in txs.iter().filter(|tx| tx.code == 0) {
        for event in tx.events.iter().filter(|e| e.r#type == "wasm") {
            let attr = |key: &str| {
                event
                    .attributes
                    .iter()
                    .find(|a| a.key == key)
                    .map(|a| a.value.clone())
            };
            if attr("action").as_deref() != Some("advance_epoch") {
                continue;
            }
            let pool = attr("_contract_address").unwrap();
            let epoch: u64 = attr("epoch").unwrap().parse().unwrap();
            let boundaries: u64 = attr("boundaries").unwrap().parse().unwrap();
            assert!((1..=PAGE).contains(&boundaries), "{boundaries} boundaries");
            for e in epoch + 1 - boundaries..=epoch {
                *processed
                    .entry(pool.clone())
                    .or_default()
                    .entry(e)
                    .or_default() += 1;
            }
        }
    }
    processed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_keeper_that_was_down_catches_up_in_pages_of_16_boundaries() {
    let net = Devnet::start().await;
    let keeper = net.keeper(2, net.pools.clone()).await;
    let e0 = net.pool(&net.pools[0]).await.epoch;
    assert_eq!(net.pool(&net.pools[1]).await.epoch, e0);

    // Down for five epochs: nothing advanced them, and one pass catches up.
    net.fast_forward(5).await;
    assert_eq!(net.epochs().await, vec![(e0, e0 + 5); 2]);
    let from = net.height().await;
    assert_eq!(keeper.advance_due().await.unwrap(), 2);
    assert_eq!(net.epochs().await, vec![(e0 + 5, e0 + 5); 2]);
    let txs = net.txs_after(from).await;
    for pool in &net.pools {
        let epochs = &processed(&txs)[pool];
        assert_eq!(
            epochs.keys().copied().collect::<Vec<_>>(),
            (e0 + 1..=e0 + 5).collect::<Vec<_>>()
        );
    }
    // Nothing is due: a pass sends nothing.
    let from = net.height().await;
    assert_eq!(keeper.advance_due().await.unwrap(), 0);
    assert!(processed(&net.txs_after(from).await).is_empty());

    // Down for 40 epochs, more than one AdvanceEpoch processes: 16, 16 and 8 over three passes.
    net.fast_forward(40).await;
    let clock = e0 + 45;
    assert_eq!(net.epochs().await, vec![(e0 + 5, clock); 2]);
    for epoch in [e0 + 5 + PAGE, e0 + 5 + 2 * PAGE, clock] {
        assert_eq!(keeper.advance_due().await.unwrap(), 2);
        assert_eq!(net.epochs().await, vec![(epoch, clock); 2]);
    }
    assert_eq!(keeper.advance_due().await.unwrap(), 0);

    // The keeper's loop: down for 20 epochs, then running.
    net.fast_forward(20).await;
    let clock = e0 + 65;
    assert_eq!(net.epochs().await, vec![(e0 + 45, clock); 2]);
    let running = tokio::spawn(async move { keeper.run(Duration::from_millis(100)).await });
    wait_advanced(&net.observer, &net.pools, Duration::from_secs(60))
        .await
        .unwrap();
    running.abort();
    assert_eq!(net.epochs().await, vec![(clock, clock); 2]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_keepers_and_a_retried_advance_process_every_boundary_exactly_once() {
    let net = Devnet::start().await;
    let e0 = net.pool(&net.pools[0]).await.epoch;
    let from = net.height().await;

    // Two keepers of the same pools running at once through a 40-epoch gap: each pass of each
    // keeper reads the pools and sends its advances, often in the same block as the other's.
    net.fast_forward(40).await;
    let mut running = Vec::new();
    for n in [2, 3] {
        let keeper = net.keeper(n, net.pools.clone()).await;
        running.push(tokio::spawn(async move {
            keeper.run(Duration::from_millis(20)).await
        }));
    }
    wait_advanced(&net.observer, &net.pools, Duration::from_secs(60))
        .await
        .unwrap();
    // Still running with nothing due.
    tokio::time::sleep(Duration::from_secs(1)).await;
    for task in running {
        task.abort();
    }
    assert_eq!(net.epochs().await, vec![(e0 + 40, e0 + 40); 2]);

    // A retried advance: two advances of the same boundaries sent at once (a keeper that did
    // not see its transaction confirmed sends again, or two keepers read the pool together).
    net.fast_forward(3).await;
    let (a, b) = (
        ChainClient::connect(net.chain.clone(), key(3))
            .await
            .unwrap(),
        ChainClient::connect(net.chain.clone(), key(4))
            .await
            .unwrap(),
    );
    let advance = ExecuteMsg::AdvanceEpoch { max_epochs: None };
    let pool = &net.pools[0];
    let (ra, rb) = tokio::join!(
        a.execute(pool, &advance, &[]),
        b.execute(pool, &advance, &[])
    );
    let refused = if ra.is_ok() { &rb } else { &ra };
    assert!(
        ra.is_ok() != rb.is_ok(),
        "exactly one advance lands: {ra:?} {rb:?}"
    );
    let refusal = refused.as_ref().unwrap_err().to_string();
    assert!(refusal.contains("no epoch boundary is due"), "{refusal}");
    // And once more after it landed.
    let again = a
        .execute(pool, &advance, &[])
        .await
        .unwrap_err()
        .to_string();
    assert!(again.contains("no epoch boundary is due"), "{again}");
    assert_eq!(net.pool(pool).await.epoch, e0 + 43);
    // The second pool by a keeper.
    let keeper = net.keeper(2, net.pools.clone()).await;
    assert_eq!(keeper.advance_due().await.unwrap(), 1);
    assert_eq!(net.epochs().await, vec![(e0 + 43, e0 + 43); 2]);

    // From the blocks: every boundary of both pools processed exactly once.
    let txs = net.txs_after(from).await;
    let processed = processed(&txs);
    assert_eq!(processed.len(), 2);
    for pool in &net.pools {
        let counts = &processed[pool];
        assert_eq!(
            counts.keys().copied().collect::<Vec<_>>(),
            (e0 + 1..=e0 + 43).collect::<Vec<_>>(),
            "{pool}"
        );
        assert!(counts.values().all(|&n| n == 1), "{pool}: {counts:?}");
    }
    // The transactions that failed are advances the pair refused: the other landed first in
    // the same block.
    let failed = txs.iter().filter(|tx| tx.code != 0).count();
    for tx in txs.iter().filter(|tx| tx.code != 0) {
        assert!(
            tx.raw_log.contains("no epoch boundary is due"),
            "{}",
            tx.raw_log
        );
    }
    eprintln!(
        "{} transactions, {failed} refused by the pair in the block (the other advance landed first)",
        txs.len()
    );
}

/// A `MakeWriter` into a shared buffer: what the keeper logs.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pool_address_that_is_not_a_pair_is_logged_and_the_others_advance() {
    let net = Devnet::start().await;
    let e0 = net.pool(&net.pools[0]).await.epoch;
    // Between the two pools: an account (no contract at all) and a contract that is no pair.
    let account = key(9).address.to_string();
    let token = net.deployment.token.clone();
    let pools = vec![
        net.pools[0].clone(),
        account.clone(),
        token.clone(),
        net.pools[1].clone(),
    ];
    let keeper = net.keeper(2, pools).await;

    net.fast_forward(3).await;
    let logs = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(logs.clone())
        .with_ansi(false)
        .finish();
    let advanced = keeper
        .advance_due()
        .with_subscriber(subscriber)
        .await
        .expect("a pass with bad pools still succeeds");
    assert_eq!(advanced, 2);
    assert_eq!(net.epochs().await, vec![(e0 + 3, e0 + 3); 2]);
    let logs = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    for bad in [&account, &token] {
        assert!(
            logs.lines()
                .any(|l| l.contains("WARN") && l.contains(bad.as_str())),
            "no warning about {bad} in:\n{logs}"
        );
    }

    // And it keeps doing so on every pass.
    net.fast_forward(2).await;
    assert_eq!(keeper.advance_due().await.unwrap(), 2);
    assert_eq!(net.epochs().await, vec![(e0 + 5, e0 + 5); 2]);
}

/// Stake 1's end epoch in `pool`.
async fn stake_end(net: &Devnet, pool: &str) -> u64 {
    let stake: StakeResponse = net
        .observer
        .query_smart(pool, &QueryMsg::Stake { stake_id: 1 })
        .await
        .unwrap();
    stake.end_epoch
}

/// A stake whose owner left a standing instruction (`SetAutoRenew`) rolls on: each epoch the
/// keeper renews it to AUTO_RENEW_AHEAD epochs past the trading epoch, up to the instruction's
/// end and no further, without the miner signing anything after the instruction.
#[tokio::test(flavor = "multi_thread")]
async fn the_keeper_renews_a_stake_within_its_owners_standing_instruction() {
    let net = Devnet::start().await;
    let pool = net.pools[0].clone();
    let miner = ChainClient::connect(net.chain.clone(), key(MINER))
        .await
        .unwrap();
    let staker = key(MINER).address.to_string();
    let hook = loopin_chain_tests::setup::device_stake(
        &net.chain.chain_id,
        &pool,
        &staker,
        StakeMode::LiquidityProvider,
        3,
    );
    let send = cw20::Cw20ExecuteMsg::Send {
        contract: pool.clone(),
        amount: (20 * LOOP).into(),
        msg: cosmwasm_std::to_json_binary(&hook).unwrap(),
    };
    miner
        .execute(&net.deployment.token, &send, &[])
        .await
        .unwrap();
    let end = stake_end(&net, &pool).await;
    let standing = ExecuteMsg::SetAutoRenew {
        stake_id: 1,
        until_epoch: Some(end + 3),
    };
    miner.execute(&pool, &standing, &[]).await.unwrap();
    let keeper = net.keeper(2, vec![pool.clone()]).await;
    // A three-epoch stake already ends AUTO_RENEW_AHEAD epochs past the trading epoch.
    assert_eq!(keeper.renew_due().await.unwrap(), 0);
    for epoch in 1..=3 {
        net.fast_forward(1).await;
        keeper.advance_due().await.unwrap();
        assert_eq!(keeper.renew_due().await.unwrap(), 1, "epoch {epoch}");
        let state = net.pool(&pool).await;
        assert_eq!(stake_end(&net, &pool).await, end + epoch);
        assert_eq!(end + epoch, state.trading_epoch + AUTO_RENEW_AHEAD);
        // Renewed once per epoch: a second tick finds nothing due.
        assert_eq!(keeper.renew_due().await.unwrap(), 0);
    }
    // The instruction's end is reached: no further.
    net.fast_forward(1).await;
    keeper.advance_due().await.unwrap();
    assert_eq!(keeper.renew_due().await.unwrap(), 0);
    assert_eq!(stake_end(&net, &pool).await, end + 3);
}
