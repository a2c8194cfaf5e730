//! Signed cw20 transfers per second through the devnet, on the real path:
//!
//! 1. a devnet node on a TCP port (gRPC on 127.0.0.1, a fresh home under the temp dir);
//! 2. the real token artifact (`artifacts/loopin_token.wasm`) stored and instantiated by a
//!    deployer through the chain client, with a balance for each of `--accounts` senders;
//! 3. `--txs-per-account` cw20 `Transfer` transactions per sender, each signed with
//!    secp256k1 / SIGN_MODE_DIRECT at its own sequence **before** the timed window (signing is
//!    timed separately);
//! 4. the timed window: every sender broadcasts its transactions in sequence order over gRPC
//!    (`BroadcastTx`, sync), all senders at once over `--connections` HTTP/2 connections, and the
//!    window closes when the chain has committed the last of them (seen by `GetTx`);
//! 5. verification, which fails the run: every transaction's `GetTx` result has code 0, every
//!    sender's sequence, native fee balance and cw20 balance is exactly what the transfers imply,
//!    and the token's balances add up to its unchanged total supply.
//!
//! `cargo run --profile service -p loopin-devnet --example transfer_bench -- --help`

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use clap::Parser;
use cosmrs::crypto::secp256k1::SigningKey;
use cosmrs::proto::cosmos::tx::v1beta1 as txpb;
use cosmrs::tx::{Body, Fee, Msg, SignDoc, SignerInfo};
use cosmrs::{AccountId, Coin};
use cosmwasm_std::Uint128;
use cw20::{Cw20Coin, MinterResponse};
use loopin::token;
use loopin_chain_client::{ChainClient, ChainConfig, ChainQuerier, Key};
use loopin_devnet::{Config, GenesisAccount};
use sha2::{Digest, Sha256};
use tonic::transport::Channel;

#[derive(Parser, Debug)]
#[command(about = "Signed cw20 transfers per second through a devnet node over gRPC")]
struct Args {
    /// Sender accounts, each with its own sequence.
    #[arg(long, default_value_t = 100)]
    accounts: usize,
    /// Transfers signed and broadcast per sender.
    #[arg(long, default_value_t = 100)]
    txs_per_account: u64,
    /// The devnet's block interval.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..))]
    block_time_ms: u64,
    /// gRPC (HTTP/2) connections the senders share.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..))]
    connections: u64,
    /// The token artifact [default: $LOOPIN_ARTIFACTS or artifacts/, loopin_token.wasm].
    #[arg(long)]
    artifact: Option<PathBuf>,
}

fn artifact_path(args: &Args) -> PathBuf {
    args.artifact.clone().unwrap_or_else(|| {
        std::env::var_os("LOOPIN_ARTIFACTS")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../artifacts"))
            .join("loopin_token.wasm")
    })
}

/// cosmrs errors (eyre reports) as anyhow errors.
fn cosmos(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

/// A benchmark key from a fixed seed (not a secret: the devnet is throwaway).
fn bench_key(name: &str) -> anyhow::Result<SigningKey> {
    SigningKey::from_slice(&Sha256::digest(format!("loopin transfer_bench {name}")))
        .map_err(|e| anyhow::anyhow!("key {name}: {e}"))
}

struct Sender {
    key: SigningKey,
    address: AccountId,
}

struct Signer<'a> {
    chain_id: cosmrs::tendermint::chain::Id,
    token: AccountId,
    denom: cosmrs::Denom,
    gas_price: f64,
    senders: &'a [Sender],
}

impl Signer<'_> {
    /// Sender `i`'s `k`-th transfer, signed at sequence `k` with `gas_limit`.
    fn sign(
        &self,
        i: usize,
        k: u64,
        account_number: u64,
        gas_limit: u64,
    ) -> anyhow::Result<Vec<u8>> {
        let sender = &self.senders[i];
        let (to, amount) = transfer_of(i, k, self.senders.len());
        let msg = cosmrs::cosmwasm::MsgExecuteContract {
            sender: sender.address.clone(),
            contract: self.token.clone(),
            msg: serde_json::to_vec(&token::ExecuteMsg::Transfer {
                recipient: self.senders[to].address.to_string(),
                amount: Uint128::new(amount),
            })?,
            funds: vec![],
        }
        .to_any()
        .map_err(cosmos)?;
        let fee = Fee::from_amount_and_gas(
            Coin {
                denom: self.denom.clone(),
                amount: fee_for(gas_limit, self.gas_price),
            },
            gas_limit,
        );
        let auth = SignerInfo::single_direct(Some(sender.key.public_key()), k).auth_info(fee);
        let body = Body::new(vec![msg], "", 0u32);
        let doc = SignDoc::new(&body, &auth, &self.chain_id, account_number).map_err(cosmos)?;
        doc.sign(&sender.key)
            .and_then(|raw| raw.to_bytes())
            .map_err(cosmos)
    }
}

/// The fee the devnet requires for `gas_limit` at `gas_price` (its ante handler's formula).
fn fee_for(gas_limit: u64, gas_price: f64) -> u128 {
    (gas_limit as f64 * gas_price).ceil() as u128
}

/// Broadcasts one sender's transactions in order; returns their hashes.
async fn broadcast_all(querier: ChainQuerier, txs: Vec<Vec<u8>>) -> anyhow::Result<Vec<String>> {
    let mut hashes = Vec::with_capacity(txs.len());
    for tx_bytes in txs {
        let response = querier.broadcast_raw(tx_bytes).await?;
        ensure!(
            response.code == 0,
            "tx {} rejected at broadcast: code {} {}",
            response.txhash,
            response.code,
            response.raw_log
        );
        hashes.push(response.txhash);
    }
    Ok(hashes)
}

// The verification after the timed window.
#[path = "transfer_bench/verify.rs"]
mod verify;
use verify::{INITIAL, NATIVE_FUNDS, get_tx, transfer_of, verify_balances, verify_committed};

/// The devnet node of a run, its deployer and the chain's fee terms.
struct Bench {
    node: loopin_devnet::NodeHandle,
    home: PathBuf,
    deployer: ChainClient,
    chain_id: String,
    denom: String,
    gas_price: f64,
}

/// What the timed window and the verification measured.
struct Measured {
    total: u64,
    simulated: u64,
    gas_limit: u64,
    gas_used: i64,
    sign_time: Duration,
    broadcast_time: Duration,
    window: Duration,
    verify_time: Duration,
    per_block: BTreeMap<i64, u64>,
    start_height: i64,
    end_height: i64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    ensure!(args.accounts >= 2, "--accounts must be at least 2");
    ensure!(
        (1..=1_000_000).contains(&args.txs_per_account),
        "--txs-per-account must be 1 to 1,000,000"
    );
    let wasm_path = artifact_path(&args);
    let wasm = std::fs::read(&wasm_path).with_context(|| {
        format!(
            "reading {} (build it with scripts/build-contracts.sh)",
            wasm_path.display()
        )
    })?;
    let senders = (0..args.accounts)
        .map(|i| {
            let key = bench_key(&format!("sender {i}"))?;
            let address = key.public_key().account_id("loopin").map_err(cosmos)?;
            Ok(Sender { key, address })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let bench = start_node(&args, &senders).await?;
    let token_addr = deploy_token(&bench.deployer, wasm, &senders).await?;
    let measured = measure(&args, &bench, &senders, &token_addr).await?;
    report(&args, &bench, &measured, &wasm_path)?;
    drop(bench.deployer);
    bench.node.stop().await;
    let _ = std::fs::remove_dir_all(&bench.home);
    Ok(())
}

/// The node: a fresh home, gRPC on a free TCP port, the deployer and the senders funded at
/// genesis; and the deployer's client.
async fn start_node(args: &Args, senders: &[Sender]) -> anyhow::Result<Bench> {
    let deployer_key =
        Key::from_bytes(&Sha256::digest(b"loopin transfer_bench deployer"), "loopin")?;
    let home = std::env::temp_dir().join(format!("loopin-transfer-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    let config = Config {
        home: home.clone(),
        grpc_addr: "127.0.0.1:0".into(),
        block_time_ms: args.block_time_ms,
        accounts: std::iter::once(deployer_key.address.to_string())
            .chain(senders.iter().map(|s| s.address.to_string()))
            .map(|address| GenesisAccount {
                address,
                amount: NATIVE_FUNDS,
            })
            .collect(),
        ..Config::default()
    };
    let (chain_id, denom, gas_price) = (
        config.chain_id.clone(),
        config.denom.clone(),
        config.min_gas_price,
    );
    let node = loopin_devnet::start(config).await?;
    let chain = ChainConfig {
        grpc: node.grpc_url(),
        chain_id: chain_id.clone(),
        denom: denom.clone(),
        gas_price,
        poll_interval_ms: 20,
        ..ChainConfig::default()
    };
    let deployer = ChainClient::connect(chain, deployer_key).await?;
    Ok(Bench {
        node,
        home,
        deployer,
        chain_id,
        denom,
        gas_price,
    })
}

/// The real token, with a balance for every sender: its address.
async fn deploy_token(
    deployer: &ChainClient,
    wasm: Vec<u8>,
    senders: &[Sender],
) -> anyhow::Result<String> {
    let (code_id, _) = deployer.store_code(wasm).await?;
    let init = token::InstantiateMsg {
        name: "Bench Token".into(),
        symbol: "BENCH".into(),
        decimals: 6,
        initial_balances: senders
            .iter()
            .map(|s| Cw20Coin {
                address: s.address.to_string(),
                amount: Uint128::new(INITIAL),
            })
            .collect(),
        minter: MinterResponse {
            minter: deployer.address().to_string(),
            cap: None,
        },
        marketing: None,
    };
    let (token_addr, _) = deployer
        .instantiate(code_id, &init, "bench token", None, &[])
        .await?;
    Ok(token_addr)
}

/// Signs every transfer, runs the timed window and verifies what it committed.
async fn measure(
    args: &Args,
    bench: &Bench,
    senders: &[Sender],
    token_addr: &str,
) -> anyhow::Result<Measured> {
    let deployer = &bench.deployer;
    let numbers = account_numbers(deployer, senders).await?;
    let signer = Signer {
        chain_id: bench.chain_id.parse()?,
        token: token_addr.parse().map_err(cosmos)?,
        denom: bench.denom.parse().map_err(cosmos)?,
        gas_price: bench.gas_price,
        senders,
    };
    let mut tx_client = txpb::service_client::ServiceClient::new(deployer.channel());
    let simulated = simulate(&mut tx_client, &signer, numbers[0]).await?;
    let gas_limit = (simulated as f64 * 1.3).ceil() as u64;

    // Pre-signing (outside the timed window).
    let sign_start = Instant::now();
    let signed: Vec<Vec<Vec<u8>>> = (0..senders.len())
        .map(|i| {
            (0..args.txs_per_account)
                .map(|k| signer.sign(i, k, numbers[i], gas_limit))
                .collect()
        })
        .collect::<anyhow::Result<_>>()?;
    let sign_time = sign_start.elapsed();
    let total = senders.len() as u64 * args.txs_per_account;

    let mut connections = Vec::new();
    for _ in 0..args.connections {
        connections.push(ChainQuerier::connect(deployer.config.clone()).await?);
    }
    let start_height = deployer.latest_block().await?.0;
    let (hashes, broadcast_time, window) = timed_window(&connections, signed).await?;

    let verify_start = Instant::now();
    let (per_block, gas_used) =
        verify_committed(&mut tx_client, &hashes, args.txs_per_account).await?;
    let fee = fee_for(gas_limit, bench.gas_price);
    let addresses: Vec<String> = senders.iter().map(|s| s.address.to_string()).collect();
    verify_balances(
        deployer,
        &bench.denom,
        &addresses,
        args.txs_per_account,
        token_addr,
        fee,
    )
    .await?;
    let verify_time = verify_start.elapsed();
    let end_height = deployer.latest_block().await?.0;
    Ok(Measured {
        total,
        simulated,
        gas_limit,
        gas_used,
        sign_time,
        broadcast_time,
        window,
        verify_time,
        per_block,
        start_height,
        end_height,
    })
}

/// Every sender's account number (each at sequence 0).
async fn account_numbers(deployer: &ChainClient, senders: &[Sender]) -> anyhow::Result<Vec<u64>> {
    let mut numbers = Vec::with_capacity(senders.len());
    for s in senders {
        let (number, sequence) = deployer
            .account_of(s.address.as_ref())
            .await?
            .context("sender account missing")?;
        ensure!(
            sequence == 0,
            "sender {} has sequence {sequence}",
            s.address
        );
        numbers.push(number);
    }
    Ok(numbers)
}

/// The gas one simulated transfer uses (the gas limit is 1.3 times it, as the client does).
async fn simulate(
    tx_client: &mut txpb::service_client::ServiceClient<Channel>,
    signer: &Signer<'_>,
    account_number: u64,
) -> anyhow::Result<u64> {
    #[allow(deprecated)]
    let simulated = tx_client
        .simulate(txpb::SimulateRequest {
            tx: None,
            tx_bytes: signer.sign(0, 0, account_number, 0)?,
        })
        .await?
        .into_inner()
        .gas_info
        .context("no gas info")?
        .gas_used;
    Ok(simulated)
}

/// The timed window: broadcasts everything concurrently, then waits for the last commits.
/// Every sender's hashes, the time until every broadcast was admitted, and the window.
async fn timed_window(
    connections: &[ChainQuerier],
    signed: Vec<Vec<Vec<u8>>>,
) -> anyhow::Result<(Vec<Vec<String>>, Duration, Duration)> {
    let start = Instant::now();
    let tasks: Vec<_> = signed
        .into_iter()
        .enumerate()
        .map(|(i, txs)| {
            let querier = connections[i % connections.len()].clone();
            tokio::spawn(broadcast_all(querier, txs))
        })
        .collect();
    let mut hashes = Vec::with_capacity(tasks.len());
    for task in tasks {
        hashes.push(task.await??);
    }
    let broadcast_time = start.elapsed();
    // Every block takes the whole mempool, and a sender's transactions are admitted in order:
    // once each sender's last transaction is committed, all are.
    let mut pending: Vec<&str> = hashes
        .iter()
        .filter_map(|h| h.last())
        .map(String::as_str)
        .collect();
    let mut watch = txpb::service_client::ServiceClient::new(connections[0].channel());
    while !pending.is_empty() {
        let mut still = Vec::new();
        for hash in pending {
            if get_tx(&mut watch, hash).await?.is_none() {
                still.push(hash);
            }
        }
        pending = still;
        if !pending.is_empty() {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        ensure!(
            start.elapsed() < Duration::from_secs(600),
            "transactions not committed within 10 minutes"
        );
    }
    let window = start.elapsed();
    Ok((hashes, broadcast_time, window))
}

/// Prints the run's configuration, timings and throughput.
fn report(
    args: &Args,
    bench: &Bench,
    m: &Measured,
    wasm_path: &std::path::Path,
) -> anyhow::Result<()> {
    let (total, gas_limit, simulated, gas_used) = (m.total, m.gas_limit, m.simulated, m.gas_used);
    let (start_height, end_height) = (m.start_height, m.end_height);
    let denom = &bench.denom;
    let supply = INITIAL * args.accounts as u128;
    let blocks = m.per_block.len() as u64;
    let max_per_block = m.per_block.values().copied().max().unwrap_or(0);
    let secs = m.window.as_secs_f64();
    println!("transfer_bench: signed cw20 Transfer txs through loopin-devnet over gRPC");
    println!(
        "  config      : {} senders x {} txs = {total} txs, block time {} ms, {} gRPC connections, \
         gas limit {gas_limit} (simulated {simulated}, max used {gas_used}), fee {}{denom}",
        args.accounts,
        args.txs_per_account,
        args.block_time_ms,
        args.connections,
        fee_for(gas_limit, bench.gas_price),
    );
    println!(
        "  artifact    : {} ({} bytes)",
        wasm_path.display(),
        std::fs::metadata(wasm_path)?.len()
    );
    println!(
        "  signing     : {:.3} s before the window ({:.0} signatures/s, not counted)",
        m.sign_time.as_secs_f64(),
        total as f64 / m.sign_time.as_secs_f64()
    );
    println!(
        "  window      : {secs:.3} s from the first broadcast to the last commit \
         (all broadcasts admitted after {:.3} s)",
        m.broadcast_time.as_secs_f64()
    );
    println!(
        "  blocks      : {blocks} with transfers (heights {}..={}; chain went {start_height} -> {end_height}), \
         mean {:.1} txs/block, max {max_per_block}",
        m.per_block.keys().next().copied().unwrap_or(0),
        m.per_block.keys().last().copied().unwrap_or(0),
        total as f64 / blocks as f64,
    );
    println!(
        "  verified    : {total} txs code 0; {} sequences, fee balances and cw20 balances exact; \
         supply {supply} = sum of balances ({:.1} s)",
        args.accounts,
        m.verify_time.as_secs_f64()
    );
    println!("  throughput  : {:.0} transfers/s", total as f64 / secs);
    Ok(())
}
