//! `loopin-web-fixture --dir DIR`: the chain the web app's browser tests run against, as a
//! user would find it. One wasmd validator (real CometBFT RPC and REST, CORS open for the app's
//! origin), or with `--chain devnet` loopin-devnet with its RPC and REST subsets, with LooPIN
//! deployed; a miner (dev key 2) whose device is staked as the h100 pool's
//! liquidity provider and registered with the PoCPS registry; the miner's real agent
//! (`loopin-agent`'s library) serving leases through a real sshd on loopback; an epoch keeper;
//! and test wallets: alice (dev key 3) and bob (dev key 4) with LOOP and fee tokens, `empty`
//! (dev key 9) with nothing.
//!
//! It writes, in DIR: `loopin.json` (the app's config, as `loopin-deploy web-config` writes it),
//! `fixture.json` (the wallets' mnemonics, the stake, the sshd), `deployment.json`, and last
//! `ready`; then serves until SIGINT or SIGTERM, when it removes the accounts it made and stops
//! the chain. Needs root (accounts) and `/usr/sbin/sshd`, as the agent's ssh suite does.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use cosmwasm_std::{Decimal, Uint128, to_json_binary};
use loopin::device::Registration;
use loopin::pair::{ExecuteMsg, PoolResponse, QueryMsg};
use loopin::stake_cert::StakeMode;
use loopin::token;
use loopin_agent::accounts::Accounts;
use loopin_agent::config::{AgentConfig, Settings};
use loopin_agent::confine::limits::ConfineConfig;
use loopin_agent::service::Agent;
use loopin_agent::test_sshd::{Sshd, test_confinement};
use loopin_chain_client::{ChainClient, Key};
use loopin_chain_tests::setup::{LOOP, deploy_config};
use loopin_chain_tests::{Chain, Kind, PREFIX};
use loopin_deploy::chain_registry::ChainRegistryInfo;
use loopin_prover::metrics::Metrics;
use loopin_prover::stake::{StakeOffer, signed_stake};
use serde_json::json;

const DEPLOYER: u8 = 1;
const MINER: u8 = 2;
const ALICE: u8 = 3;
const BOB: u8 = 4;
/// Never funded: the app's "insufficient funds" state.
const EMPTY: u8 = 9;

#[derive(Parser)]
#[command(name = "loopin-web-fixture", about = "The web app's test chain")]
struct Cli {
    /// Where the chain's state and the files for the tests go (made if missing).
    #[arg(long)]
    dir: PathBuf,
    /// The validator's first port (RPC; gRPC is +2, REST +3: `loopin-localnet`'s layout).
    #[arg(long, default_value_t = 31_400)]
    base_port: u16,
    /// Seconds per epoch: short, so a lease's epoch starts (and its access is posted) within a
    /// test.
    #[arg(long, default_value_t = 30)]
    epoch: u64,
    /// Accounts the agent makes are `<user_prefix><order>`; two fixtures on one machine need
    /// two prefixes (each removes its prefix's accounts at start and end).
    #[arg(long, default_value = "lpw")]
    user_prefix: String,
    /// `wasmd` (a real validator) or `devnet` (loopin-devnet in process, with its CometBFT RPC
    /// and REST subsets): the app must work on both.
    #[arg(long, default_value = "wasmd")]
    chain: String,
}

fn key(n: u8) -> Key {
    Key::development(n, PREFIX).expect("a development key")
}

fn wallet(n: u8) -> serde_json::Value {
    json!({
        "mnemonic": Key::development_mnemonic(n),
        "address": key(n).address.to_string(),
    })
}

fn write(dir: &Path, name: &str, value: &serde_json::Value) -> anyhow::Result<()> {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_string_pretty(value)?)
        .with_context(|| format!("writing {}", path.display()))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let dir = std::path::absolute(&cli.dir)?;
    std::fs::create_dir_all(&dir)?;
    // sshd (StrictModes) and the accounts must reach the homes below it.
    std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o755))?;
    let _ = std::fs::remove_file(dir.join("ready"));

    let kind = match cli.chain.as_str() {
        "wasmd" => Kind::Wasmd {
            base_port: cli.base_port,
        },
        "devnet" => Kind::Devnet,
        other => anyhow::bail!("--chain {other}: wasmd or devnet"),
    };
    let chain = Chain::start(kind, "web", &[DEPLOYER, MINER, ALICE, BOB]).await;
    let served = serve(&chain, &dir, cli.epoch, &cli.user_prefix).await;
    chain.stop().await;
    served
}

/// Deploys, stakes, starts the agent and the keeper, writes the files, and serves until a
/// signal.
async fn serve(chain: &Chain, dir: &Path, epoch: u64, user_prefix: &str) -> anyhow::Result<()> {
    let chain_config = chain.chain_config();
    let deployer = chain.client(DEPLOYER).await;
    let miner = chain.client(MINER).await;
    let holders: Vec<String> = [MINER, ALICE, BOB]
        .iter()
        .map(|n| key(*n).address.to_string())
        .collect();
    let config = deploy_config(&chain_config, epoch, DEPLOYER, &holders);
    let d = loopin_deploy::deploy(&config, &deployer).await?;
    let pair = d.pools["h100"].clone();
    let registry = d
        .registry
        .clone()
        .context("the deployment has a registry")?;

    // The device: rate 1 for 200 epochs, the pool's first liquidity provider with 10 LOOP.
    let device_key = loopin_prover::storage::device_key(dir)?;
    let registration = Registration::encode(
        &loopin_prover::auth::pubkey_bytes(&device_key),
        miner.address().as_ref(),
        &pair,
        b"randomness",
        loopin_pocps::encode::Params::TEST,
    );
    let fee = (LOOP * u128::from(epoch)).div_ceil(3_600);
    let offer = StakeOffer {
        chain_id: chain_config.chain_id.clone(),
        pair: pair.clone(),
        staker: miner.address().to_string(),
        commitment: registration.digest(),
        mode: StakeMode::LiquidityProvider,
        rate: Decimal::one(),
        epochs: 200,
        max_liquidity: None,
        min_shares: None,
        max_price: None,
        deadline: None,
    };
    let stake = token::ExecuteMsg::Send {
        contract: pair.clone(),
        amount: Uint128::new(fee + 10 * LOOP),
        msg: to_json_binary(&signed_stake(&device_key, &offer))?,
    };
    let staked = miner.execute(&d.token, &stake, &[]).await?;
    let stake_id: u64 = staked
        .event_attr("wasm", "stake_id")
        .context("stake_id")?
        .parse()?;
    let token_id = staked.event_attr("wasm", "token_id").context("token_id")?;
    miner
        .execute(
            &registry,
            &registration.message(token_id, "http://127.0.0.1:7470"),
            &[],
        )
        .await?;

    // Tenants' sessions confined as on a miner's host: `loopin-session` is built beside this
    // binary (scripts/test-web.sh builds it).
    let session = std::env::current_exe()?.with_file_name("loopin-session");
    if !session.exists() {
        anyhow::bail!(
            "{} missing: cargo build -p loopin-agent --bin loopin-session",
            session.display()
        );
    }
    let mut confine = test_confinement(user_prefix, &session)?;
    let sshd = Sshd::start(dir, user_prefix, &confine)?;
    confine.sshd_config = sshd.config.clone();
    let (agent, accounts) =
        start_agent(dir, &chain_config, &pair, &sshd, user_prefix, confine).await?;

    let info = ChainRegistryInfo {
        rpc: chain.rpc_url.iter().cloned().collect(),
        rest: chain.api_url.iter().cloned().collect(),
        ..ChainRegistryInfo::default()
    };
    let web = loopin_deploy::web::web_config(&info, &chain_config, &config.token, &d)?;
    write(dir, "loopin.json", &web)?;
    write(dir, "deployment.json", &serde_json::to_value(&d)?)?;
    let host_key = std::fs::read_to_string(&sshd.host_key)?;
    let devices = more_devices(dir, &chain_config.chain_id, &pair)?;
    write(
        dir,
        "fixture.json",
        &json!({
            "wallets": {
                "alice": wallet(ALICE),
                "bob": wallet(BOB),
                "empty": wallet(EMPTY),
                "miner": wallet(MINER),
            },
            "miner": key(MINER).address.to_string(),
            "pair": pair,
            "stakeId": stake_id,
            "epochSeconds": epoch,
            "ssh": { "port": sshd.port, "hostKey": host_key.trim(), "userPrefix": user_prefix },
            "devices": devices,
            "grpc": chain_config.grpc,
        }),
    )?;
    std::fs::write(dir.join("ready"), "ready\n")?;
    eprintln!("loopin-web-fixture: ready ({})", dir.display());

    let keeper = keep_epochs(&deployer, &pair, epoch);
    tokio::select! {
        _ = agent.run(shutdown()) => {}
        _ = keeper => {}
    }
    for account in accounts.list()? {
        accounts.remove(&account.user)?;
    }
    Ok(())
}

/// Devices not staked yet, for the web app's miner pages, as `loopin-prover` prints what a
/// miner pastes: `bob`'s Stake hook (a seller for 10 epochs, signed by its own device key for bob
/// in the h100 pool), the same device's hook signed for alice (refused when bob pastes it), and
/// its registration (`loopin-prover commitment`'s JSON, the ek randomness, an endpoint); and
/// `miner`'s hook of a third device (a liquidity provider for 3 epochs, signed for the miner).
fn more_devices(dir: &Path, chain_id: &str, pair: &str) -> anyhow::Result<serde_json::Value> {
    use loopin_prover::verifier::CommitmentFile;
    let hook = |key, staker: &str, commitment: &cosmwasm_std::HexBinary, mode, epochs| {
        let offer = StakeOffer {
            chain_id: chain_id.to_string(),
            pair: pair.to_string(),
            staker: staker.to_string(),
            commitment: commitment.clone(),
            mode,
            rate: Decimal::one(),
            epochs,
            max_liquidity: None,
            min_shares: None,
            max_price: None,
            deadline: None,
        };
        serde_json::to_value(signed_stake(key, &offer))
    };
    let bob = key(BOB).address.to_string();
    let randomness = b"bob's device";
    let bob_key = loopin_prover::storage::device_key(&dir.join("device-bob"))?;
    let bob_device = Registration::encode(
        &loopin_prover::auth::pubkey_bytes(&bob_key),
        &bob,
        pair,
        randomness,
        loopin_pocps::encode::Params::TEST,
    );
    let alice = key(ALICE).address.to_string();
    let miner = key(MINER).address.to_string();
    let miner_key = loopin_prover::storage::device_key(&dir.join("device-miner-2"))?;
    let miner_device = Registration::encode(
        &loopin_prover::auth::pubkey_bytes(&miner_key),
        &miner,
        pair,
        b"miner's second device",
        loopin_pocps::encode::Params::TEST,
    );
    Ok(json!({
        "bob": {
            "stakeHook": hook(&bob_key, &bob, &bob_device.digest(), StakeMode::Seller, 10)?,
            "foreignStakeHook": hook(&bob_key, &alice, &bob_device.digest(), StakeMode::Seller, 10)?,
            "commitment": CommitmentFile::from_commitment(&bob_device.commitment),
            "randomness": cosmwasm_std::HexBinary::from(randomness.as_slice()).to_hex(),
            "endpoint": "http://127.0.0.1:7471",
        },
        "miner": {
            "stakeHook": hook(
                &miner_key,
                &miner,
                &miner_device.digest(),
                StakeMode::LiquidityProvider,
                3,
            )?,
        },
    }))
}

/// The miner's agent, configured as a miner would (docs/agent.md) for this sshd; accounts left
/// by an earlier run are removed first.
async fn start_agent(
    dir: &Path,
    chain: &loopin_chain_client::ChainConfig,
    pair: &str,
    sshd: &Sshd,
    user_prefix: &str,
    confine: ConfineConfig,
) -> anyhow::Result<(Agent, Arc<dyn Accounts>)> {
    let key_file = dir.join("miner.key");
    std::fs::write(&key_file, Key::development_mnemonic(MINER))?;
    std::fs::set_permissions(
        &key_file,
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )?;
    let agent = AgentConfig {
        pair: pair.to_string(),
        key_file,
        ssh_host: "127.0.0.1".into(),
        ssh_port: sshd.port,
        host_key_file: sshd.host_key.clone(),
        user_prefix: user_prefix.into(),
        home_root: dir.join("homes"),
        state_dir: dir.join("agent-state"),
        poll_ms: 500,
        metrics_listen: String::new(),
        confine,
        ..AgentConfig::default()
    };
    let prover = loopin_prover::config::Config {
        chain: loopin_prover::config::ChainSource {
            node: chain.clone(),
            ..Default::default()
        },
        agent: Some(toml::Table::try_from(&agent)?),
        ..Default::default()
    };
    let path = dir.join("miner.toml");
    std::fs::write(&path, toml::to_string(&prover)?)?;
    let settings = Settings::from_file(&path)?;
    let accounts = Agent::linux_accounts(&settings)?;
    for account in accounts.list()? {
        accounts.remove(&account.user)?;
    }
    let agent = Agent::connect(settings, accounts.clone(), Metrics::new()).await?;
    Ok((agent, accounts))
}

/// Processes each epoch boundary once it is due, as the network's keeper does.
async fn keep_epochs(keeper: &ChainClient, pair: &str, epoch: u64) {
    let mut ticker = tokio::time::interval(Duration::from_secs(1.max(epoch / 10)));
    loop {
        ticker.tick().await;
        let pool: Result<PoolResponse, _> = keeper.query_smart(pair, &QueryMsg::Pool {}).await;
        let due = pool.is_ok_and(|pool| pool.clock_epoch > pool.epoch);
        if due {
            let advance = ExecuteMsg::AdvanceEpoch { max_epochs: None };
            if let Err(error) = keeper.execute(pair, &advance, &[]).await {
                eprintln!("loopin-web-fixture: AdvanceEpoch: {error:#}");
            }
        }
    }
}

/// SIGINT or SIGTERM.
async fn shutdown() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("a SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}
