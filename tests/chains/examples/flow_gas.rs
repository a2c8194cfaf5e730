//! SDK gas of LooPIN's user flows next to Astroport's xyk pair, on one wasmd validator in one
//! run, and signed cw20 transfers per second on wasmd next to the devnet's.
//!
//! LooPIN is deployed as the chain suites deploy it (`setup`, epochs of [`EPOCH`] s); Astroport's
//! factory and xyk pair (crates.io astroport-factory 1.7.0 and astroport-pair 1.5.1, built by
//! scripts/build-contracts.sh into `artifacts/`, cw20-base 2.0 as their LP token) trade LOOP
//! against the chain's native denom on the same chain. Every figure is the `gas_used` of one
//! signed transaction as wasmd reports it.
//!
//! `cargo run -p loopin-chain-tests --example flow_gas` (after scripts/build-contracts.sh and
//! with the wasmd of scripts/tools.sh's ensure_wasmd).

use std::time::{Duration, Instant};

use cosmwasm_std::{Binary, HexBinary, Uint128, to_json_binary};
use cw20::Cw20ExecuteMsg;
use loopin::pair::{self, ConfigResponse, LiquidityResponse, PoolResponse, ReceiveMsg};
use loopin::stake_cert::StakeMode;
use loopin_chain_client::cosmrs::Any;
use loopin_chain_client::{ChainClient, TxResult};
use loopin_chain_tests::setup::*;
use loopin_chain_tests::*;
use loopin_pool_math::HOUR;
use serde_json::{Value, json};

use Reference::{Provide, Swap, Withdraw};

/// LooPIN's epoch on wasmd, real time: long enough for a stake, two leases, a cancellation and
/// a provision and withdrawal of liquidity inside one trading epoch.
const EPOCH: u64 = 30;
const BASE_PORT: u16 = 30700;
const DEPLOYER: u8 = 1;
const MINER: u8 = 2;
const CLIENT: u8 = 3;
const TRADER: u8 = 4;
/// Astroport's maker (fee address): it receives the maker's part of each swap fee.
const MAKER: u8 = 5;
/// The accounts that send the cw20 transfers of the throughput run, concurrently.
const SENDERS: std::ops::RangeInclusive<u8> = 10..=19;
/// Transfers of the throughput run, in all.
const TRANSFERS: usize = 200;
const PAIR: &str = "loopin-pair";
const XYK: &str = "astroport-pair";

/// The Astroport flow a row is compared with.
#[derive(Clone, Copy, PartialEq)]
enum Reference {
    Swap,
    Provide,
    Withdraw,
}

/// Where a row is printed: LooPIN's flows, Astroport's, then plain cw20 transfers.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
enum Section {
    #[default]
    Loopin,
    Astroport,
    Transfer,
}

struct Row {
    section: Section,
    flow: String,
    contract: &'static str,
    gas: i64,
    compare: Option<Reference>,
    /// This row is Astroport's reference for its `compare`.
    is_reference: bool,
}

#[derive(Default)]
struct Table {
    rows: Vec<Row>,
    /// The section rows are added to now.
    section: Section,
}

impl Table {
    fn add(&mut self, flow: &str, contract: &'static str, tx: &TxResult, to: Option<Reference>) {
        eprintln!("{contract}: {flow}: {} SDK gas", tx.gas_used);
        self.rows.push(Row {
            section: self.section,
            flow: flow.into(),
            contract,
            gas: tx.gas_used,
            compare: to,
            is_reference: false,
        });
    }

    /// Astroport's row that `reference` ratios divide by.
    fn reference(&mut self, flow: &str, tx: &TxResult, reference: Reference) {
        self.add(flow, XYK, tx, Some(reference));
        self.rows.last_mut().expect("a row").is_reference = true;
    }

    fn print(&self) {
        let gas_of = |to: Reference| {
            let row = self
                .rows
                .iter()
                .find(|r| r.is_reference && r.compare == Some(to));
            row.map(|r| r.gas)
        };
        let name = |to: Reference| match to {
            Swap => "Astroport swap (cw20 in)",
            Provide => "Astroport provide",
            Withdraw => "Astroport withdraw",
        };
        println!("| flow | contract | SDK gas used | ratio | to |");
        println!("|---|---|---:|---:|---|");
        let mut rows: Vec<&Row> = self.rows.iter().collect();
        rows.sort_by_key(|r| r.section);
        for row in rows {
            let (ratio, to) = match row.compare.zip(row.compare.and_then(gas_of)) {
                Some((to, gas)) => (format!("{:.2}", row.gas as f64 / gas as f64), name(to)),
                None => ("".into(), ""),
            };
            let (flow, contract, gas) = (&row.flow, row.contract, thousands(row.gas));
            println!("| {flow} | {contract} | {gas} | {ratio} | {to} |");
        }
    }
}

fn thousands(n: i64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A message as a cw20 hook's JSON.
macro_rules! hook {
    ($msg:expr) => {
        to_json_binary(&$msg).expect("hook json")
    };
}

/// `msgs` in one transaction, confirmed, sent once a block of a later second than the last one
/// is out: a contract that updates price accumulators at most once a second (Astroport's pair)
/// updates them for every measured transaction, as on a chain with blocks of a second or more.
async fn submit(c: &ChainClient, msgs: Vec<Any>) -> Result<TxResult, String> {
    let (_, now) = c.latest_block().await.expect("block");
    wait_past(c, now as u64).await;
    c.send(msgs, "").await.map_err(|e| e.to_string())
}

/// `$msg` executed on `$contract` by `$c` (with `$funds`) in its own transaction ([`submit`]).
macro_rules! exec {
    ($c:expr, $contract:expr, $msg:expr) => {
        exec!($c, $contract, $msg, &[])
    };
    ($c:expr, $contract:expr, $msg:expr, $funds:expr) => {
        submit(
            &$c,
            vec![$c.execute_msg($contract, &$msg, $funds).expect("message")],
        )
        .await
        .expect(stringify!($msg))
    };
}

/// A cw20 `Send` of `amount` of `token` to `contract` with hook `msg`.
async fn send(c: &ChainClient, token: &str, contract: &str, amount: u128, msg: Binary) -> TxResult {
    let amount = Uint128::new(amount);
    let contract = contract.to_string();
    let send = Cw20ExecuteMsg::Send {
        contract,
        amount,
        msg,
    };
    exec!(c, token, send)
}

/// Waits until a block is past chain time `time` (Unix seconds), so the next transaction's
/// block is after it.
async fn wait_past(client: &ChainClient, time: u64) {
    while (client.latest_block().await.expect("block").1 as u64) <= time {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// `AdvanceEpoch` on `pair` and the number of boundaries it processed.
async fn advance(keeper: &ChainClient, pair: &str) -> Result<(TxResult, String), String> {
    let msg = pair::ExecuteMsg::AdvanceEpoch { max_epochs: None };
    let msg = keeper.execute_msg(pair, &msg, &[]).expect("message");
    let tx = submit(keeper, vec![msg]).await?;
    let boundaries = tx
        .event_attr("wasm", "boundaries")
        .unwrap_or("?")
        .to_string();
    Ok((tx, boundaries))
}

/// Waits for the pair's next epoch boundary and processes it with `AdvanceEpoch`.
async fn next_boundary(keeper: &ChainClient, pair: &str, genesis: u64) -> (TxResult, String) {
    let pool: PoolResponse = keeper
        .query_smart(pair, &pair::QueryMsg::Pool {})
        .await
        .unwrap();
    wait_past(keeper, genesis + (pool.clock_epoch + 1) * EPOCH).await;
    advance(keeper, pair).await.expect("advance epoch")
}

/// LooPIN deployed, then its flows in one trading epoch and at its boundary: stake,
/// registration, lease, cancellation, liquidity in and out, AdvanceEpoch. Returns the token,
/// the pair, its genesis and the stake's end, for the claim.
async fn loopin_flows(chain: &Chain, t: &mut Table) -> (String, String, u64, u64) {
    let deployer = chain.client(DEPLOYER).await;
    let (miner, client, trader) = (
        chain.client(MINER).await,
        chain.client(CLIENT).await,
        chain.client(TRADER).await,
    );
    let miner_addr = miner.address().to_string();
    let funded = [&miner, &client, &trader].map(|c| c.address().to_string());
    let config = deploy_config(&chain.chain_config(), EPOCH, DEPLOYER, &funded);
    let d = loopin_deploy::deploy(&config, &deployer)
        .await
        .expect("deploy");
    let (token, p) = (d.token.clone(), d.pools["h100"].clone());
    let config: ConfigResponse = deployer
        .query_smart(&p, &pair::QueryMsg::Config {})
        .await
        .unwrap();
    let genesis = config.genesis;
    // Start the trades with a whole epoch ahead of them.
    next_boundary(&deployer, &p, genesis).await;

    let recipient = client.address().to_string();
    let transfer = Cw20ExecuteMsg::Transfer {
        recipient,
        amount: Uint128::new(LOOP),
    };
    let tx = exec!(miner, &token, transfer);
    t.add("cw20 Transfer (LOOP)", "loopin-token", &tx, Some(Swap));

    // A liquidity provider stakes its device for the minimum 3 epochs: the fee (alpha for
    // rate 1) and 10 LOOP of liquidity; then registers it (the registry tells the pair).
    let fee = (LOOP * u128::from(EPOCH)).div_ceil(3_600);
    let stake = device_stake(CHAIN_ID, &p, &miner_addr, StakeMode::LiquidityProvider, 3);
    let tx = send(&miner, &token, &p, fee + 10 * LOOP, hook!(stake)).await;
    let flow = "stake (liquidity provider, 3 epochs; cw20 Send)";
    t.add(flow, PAIR, &tx, Some(Provide));
    let registry = d.registry.clone().expect("a registry");
    let registration =
        device_registration(&p, &miner_addr).message("h100-1", "http://127.0.0.1:7470");
    let tx = exec!(miner, &registry, registration);
    let flow = "device registration (registry -> pair)";
    t.add(flow, "loopin-pocps-registry", &tx, None);

    // One epoch of a rate-1 device; a client leases half of it, then a quarter it cancels.
    let supplied = HOUR * u128::from(EPOCH) / 3_600;
    let lease = |hours: u128| ReceiveMsg::Lease {
        stake_id: 1,
        hours: Uint128::new(hours),
        client_key: HexBinary::from([1u8; 32]),
        ssh_key: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA/sviTJfQXJKl0MknakEdkHhZdlVSTJbzhi3Oejh+S5"
            .into(),
        deadline: None,
        renewals: None,
        max_renewal_price: None,
        renewer: None,
    };
    let tx = send(&client, &token, &p, 100 * LOOP, hook!(lease(supplied / 2))).await;
    t.add("lease (LOOP -> hours; cw20 Send)", PAIR, &tx, Some(Swap));
    send(&client, &token, &p, 100 * LOOP, hook!(lease(supplied / 4))).await;
    let min_refund = Uint128::zero();
    let cancel = pair::ExecuteMsg::CancelLease {
        lease_id: 2,
        min_refund,
        deadline: None,
    };
    let tx = exec!(client, &p, cancel);
    t.add("cancel a lease (hours -> LOOP)", PAIR, &tx, Some(Swap));

    let provide = ReceiveMsg::ProvideLiquidity {
        min_shares: Uint128::zero(),
        deadline: None,
    };
    let tx = send(&trader, &token, &p, 100 * LOOP, hook!(provide)).await;
    t.add("provide liquidity (cw20 Send)", PAIR, &tx, Some(Provide));
    let owner = trader.address().to_string();
    let owned: LiquidityResponse = trader
        .query_smart(&p, &pair::QueryMsg::Liquidity { owner })
        .await
        .unwrap();
    let withdraw = pair::ExecuteMsg::WithdrawLiquidity {
        shares: owned.shares / Uint128::new(2),
        min_out: Uint128::zero(),
        deadline: None,
    };
    let tx = exec!(trader, &p, withdraw);
    t.add("withdraw liquidity (half)", PAIR, &tx, Some(Withdraw));

    let (tx, n) = next_boundary(&deployer, &p, genesis).await;
    let flow = format!("AdvanceEpoch ({n} boundary: a stake, a lease)");
    t.add(&flow, PAIR, &tx, Some(Swap));
    let stake: pair::StakeResponse = miner
        .query_smart(&p, &pair::QueryMsg::Stake { stake_id: 1 })
        .await
        .unwrap();
    (token, p, genesis, stake.end_epoch)
}

/// The stake's claim once it has ended: the boundaries up to then first (AdvanceEpoch), then
/// Claim (a provider is paid at its end; no PoCPS passes were sent, so its epochs are settled
/// unproven: the lease refunded, no rewards).
async fn loopin_claim(chain: &Chain, t: &mut Table, p: &str, genesis: u64, end: u64) {
    let (keeper, miner) = (chain.client(DEPLOYER).await, chain.client(MINER).await);
    for attempt in 0..3u64 {
        // The stake's last epoch delivered and final (no pass grace).
        wait_past(&keeper, genesis + (end + attempt) * EPOCH).await;
        if let Ok((tx, n)) = advance(&keeper, p).await {
            let flow = format!("AdvanceEpoch ({n} boundaries, the stake ends)");
            t.add(&flow, PAIR, &tx, Some(Swap));
        }
        let claim = pair::ExecuteMsg::Claim { stake_id: 1 };
        let claim = miner.execute_msg(p, &claim, &[]).expect("message");
        match submit(&miner, vec![claim]).await {
            Ok(tx) => {
                let flow = "claim (provider at its end: settled, epochs unproven)";
                return t.add(flow, PAIR, &tx, Some(Swap));
            }
            Err(e) => eprintln!("claim not yet: {e}"),
        }
    }
    panic!("the stake could not be claimed");
}

/// Astroport's factory and xyk pair for LOOP against the native denom, then its flows: provide
/// (first, again, and again split in two transactions), swaps both ways, withdraw.
async fn astroport_flows(chain: &Chain, t: &mut Table, loop_token: &str) {
    let (deployer, trader) = (chain.client(DEPLOYER).await, chain.client(TRADER).await);
    let mut code = std::collections::BTreeMap::new();
    for name in [
        "astroport_factory_baseline",
        "astroport_pair_baseline",
        "cw20_baseline",
    ] {
        let path = artifacts().join(format!("{name}.wasm"));
        let wasm = std::fs::read(&path)
            .unwrap_or_else(|e| panic!("{} ({e}): run scripts/build-contracts.sh", path.display()));
        let (id, tx) = deployer.store_code(wasm).await.expect("upload");
        eprintln!("{name}: code {id}, upload {} SDK gas", tx.gas_used);
        code.insert(name, id);
    }
    // Astroport's xyk fees as deployed: 0.3 %, a third of it to the maker.
    let factory_init = json!({
        "pair_configs": [{
            "code_id": code["astroport_pair_baseline"],
            "pair_type": {"xyk": {}},
            "total_fee_bps": 30,
            "maker_fee_bps": 3333,
            "is_disabled": false,
            "is_generator_disabled": true,
        }],
        "token_code_id": code["cw20_baseline"],
        "fee_address": address(MAKER),
        "generator_address": null,
        "owner": deployer.address().to_string(),
        "whitelist_code_id": 0,
        // Unused by the xyk pair of this release; any address.
        "coin_registry_address": deployer.address().to_string(),
    });
    let factory_code = code["astroport_factory_baseline"];
    let (factory, _) = deployer
        .instantiate(factory_code, &factory_init, "astroport factory", None, &[])
        .await
        .expect("factory");
    let loop_info = json!({"token": {"contract_addr": loop_token}});
    let native_info = json!({"native_token": {"denom": DENOM}});
    let create = json!({"create_pair": {
        "pair_type": {"xyk": {}},
        "asset_infos": [loop_info, native_info],
    }});
    let tx = exec!(deployer, &factory, create);
    let flow = "create pair (factory: pair and its LP cw20)";
    t.add(flow, "astroport-factory", &tx, None);
    let registered = tx.event_attr("wasm", "pair_contract_addr");
    let p = registered
        .expect("the factory registered the pair")
        .to_string();
    let info: Value = trader
        .query_smart(&p, &json!({"pair": {}}))
        .await
        .expect("pair info");
    let lp_token = info["liquidity_token"]
        .as_str()
        .expect("an LP token")
        .to_string();

    let allowance = |amount: u128| {
        let amount = Uint128::new(amount);
        let msg = Cw20ExecuteMsg::IncreaseAllowance {
            spender: p.clone(),
            amount,
            expires: None,
        };
        trader
            .execute_msg(loop_token, &msg, &[])
            .expect("allowance msg")
    };
    let provide = |amount: u128| {
        let msg = json!({"provide_liquidity": {"assets": [
            {"info": loop_info, "amount": amount.to_string()},
            {"info": native_info, "amount": amount.to_string()},
        ]}});
        trader
            .execute_msg(&p, &msg, &[(amount, DENOM)])
            .expect("provide msg")
    };
    let (pool, more) = (1_000 * LOOP, 100 * LOOP);
    let tx = submit(&trader, vec![allowance(pool), provide(pool)])
        .await
        .unwrap();
    let flow = "provide liquidity, first (as below; mints the locked minimum too)";
    t.add(flow, XYK, &tx, None);
    let tx = submit(&trader, vec![allowance(more), provide(more)])
        .await
        .unwrap();
    let flow = "provide liquidity (IncreaseAllowance + ProvideLiquidity, one tx)";
    t.reference(flow, &tx, Provide);
    let tx = submit(&trader, vec![allowance(more)]).await.unwrap();
    let flow = "of which: IncreaseAllowance alone";
    t.add(flow, "loopin-token", &tx, Some(Provide));
    let tx = submit(&trader, vec![provide(more)]).await.unwrap();
    let flow = "of which: ProvideLiquidity alone (TransferFrom)";
    t.add(flow, XYK, &tx, Some(Provide));

    let tx = send(&trader, loop_token, &p, LOOP, hook!(json!({"swap": {}}))).await;
    t.reference("swap LOOP -> native (cw20 Send)", &tx, Swap);
    let offer = json!({"info": native_info, "amount": LOOP.to_string()});
    let swap = json!({"swap": {"offer_asset": offer}});
    let tx = exec!(trader, &p, swap, &[(LOOP, DENOM)]);
    t.add("swap native -> LOOP (funds)", XYK, &tx, Some(Swap));

    let address = trader.address().to_string();
    let query = cw20::Cw20QueryMsg::Balance { address };
    let shares: cw20::BalanceResponse = trader.query_smart(&lp_token, &query).await.unwrap();
    let withdraw = json!({"withdraw_liquidity": {}});
    let tx = send(
        &trader,
        &lp_token,
        &p,
        shares.balance.u128() / 2,
        hook!(withdraw),
    )
    .await;
    t.reference(
        "withdraw liquidity (half; cw20 Send of the LP token)",
        &tx,
        Withdraw,
    );
}

/// A cw20-base token holding [`RICH`] for every sender.
async fn transfer_token(deployer: &ChainClient) -> String {
    let wasm = std::fs::read(artifacts().join("cw20_baseline.wasm")).expect("cw20_baseline.wasm");
    let (id, _) = deployer.store_code(wasm).await.expect("upload");
    let balances: Vec<Value> = SENDERS
        .map(|n| json!({"address": address(n), "amount": RICH.to_string()}))
        .collect();
    let init = json!({
        "name": "Transfers", "symbol": "XFER", "decimals": 6, "initial_balances": balances,
    });
    let (token, _) = deployer
        .instantiate(id, &init, "transfers", None, &[])
        .await
        .unwrap();
    token
}

/// Signed cw20 transfers per second of wall time: [`TRANSFERS`] in all from the [`SENDERS`]
/// at once, each waiting for its own confirmations (simulate, sign, broadcast, confirm).
async fn transfers_per_second(chain: &Chain, token: &str) -> f64 {
    let senders: Vec<u8> = SENDERS.collect();
    let mut clients = vec![];
    for n in &senders {
        clients.push(chain.client(*n).await);
    }
    let each = TRANSFERS / senders.len();
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for (i, client) in clients.into_iter().enumerate() {
        let token = token.to_string();
        let recipient = address(senders[(i + 1) % senders.len()]);
        tasks.spawn(async move {
            for _ in 0..each {
                let recipient = recipient.clone();
                let transfer = Cw20ExecuteMsg::Transfer {
                    recipient,
                    amount: Uint128::one(),
                };
                client
                    .execute(&token, &transfer, &[])
                    .await
                    .expect("transfer");
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.expect("sender task");
    }
    let seconds = started.elapsed().as_secs_f64();
    let rate = (each * senders.len()) as f64 / seconds;
    let (kind, sent) = (chain.kind, each * senders.len());
    eprintln!("{kind:?}: {sent} transfers in {seconds:.2} s: {rate:.1}/s");
    rate
}

fn funded() -> Vec<u8> {
    [DEPLOYER, MINER, CLIENT, TRADER]
        .into_iter()
        .chain(SENDERS)
        .collect()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let wasmd = Kind::Wasmd {
        base_port: BASE_PORT,
    };
    let chain = Chain::start(wasmd, "flow-gas", &funded()).await;
    let mut table = Table::default();
    let (loop_token, p, genesis, end) = loopin_flows(&chain, &mut table).await;
    // While LooPIN's stake runs out its epochs: Astroport, then the transfers.
    table.section = Section::Astroport;
    astroport_flows(&chain, &mut table, &loop_token).await;
    table.section = Section::Transfer;
    let token = transfer_token(&chain.client(DEPLOYER).await).await;
    let recipient = address(SENDERS.start() + 1);
    let transfer = Cw20ExecuteMsg::Transfer {
        recipient,
        amount: Uint128::one(),
    };
    let sender = chain.client(*SENDERS.start()).await;
    let tx = exec!(sender, &token, transfer);
    let flow = "cw20 Transfer (cw20-base 2.0)";
    table.add(flow, "cw20-base", &tx, Some(Swap));
    let wasmd_rate = transfers_per_second(&chain, &token).await;
    table.section = Section::Loopin;
    loopin_claim(&chain, &mut table, &p, genesis, end).await;
    chain.stop().await;

    // The devnet, in process, at its own block time and at wasmd's.
    let mut devnet_rates = vec![];
    for block_time_ms in [100, 200] {
        let funded = funded();
        let devnet =
            Chain::start_with_block_time(Kind::Devnet, "flow-gas", &funded, Some(block_time_ms))
                .await;
        let token = transfer_token(&devnet.client(DEPLOYER).await).await;
        devnet_rates.push((block_time_ms, transfers_per_second(&devnet, &token).await));
        devnet.stop().await;
    }

    println!();
    println!(
        "SDK gas used per signed transaction on wasmd 0.61 (1 validator); LooPIN with {EPOCH} s \
         epochs; Astroport: astroport-factory 1.7.0 and astroport-pair 1.5.1 (xyk, 0.3 % fee, a \
         third of it to the maker), LOOP against the native {DENOM}, LP token cw20-base 2.0."
    );
    println!();
    table.print();
    println!();
    println!(
        "Signed cw20 transfers per second ({TRANSFERS} transfers from {} accounts at once, each \
         waiting for its own confirmations):",
        SENDERS.count()
    );
    println!();
    println!("| chain | block time | transfers/s |");
    println!("|---|---:|---:|");
    println!("| wasmd 0.61 (1 validator) | 200 ms | {wasmd_rate:.1} |");
    for (block_time_ms, rate) in devnet_rates {
        println!("| devnet (in process) | {block_time_ms} ms | {rate:.1} |");
    }
}
