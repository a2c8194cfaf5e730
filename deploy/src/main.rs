//! `loopin-deploy`: deploys LooPIN from a TOML config and prints the deployment as JSON;
//! `loopin-deploy dev-key N`: a deterministic development key.

use anyhow::Context;
use clap::{Parser, Subcommand};
use cosmwasm_std::Uint128;
use loopin_chain_client::{ChainClient, ChainConfig, ChainQuerier, Key};
use loopin_deploy::{DeployConfig, admin_tx, ibc};
use loopin_telemetry::program;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "loopin-deploy",
    version,
    about = "Deploys LooPIN to a CosmWasm chain"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Option<Cmd>,
    /// The deploy config (see deploy/devnet.toml).
    #[arg(long, env = "LOOPIN_DEPLOY_CONFIG")]
    config: Option<PathBuf>,
    /// Overrides [chain] grpc.
    #[arg(long)]
    grpc: Option<String>,
    /// Overrides the artifacts directory.
    #[arg(long)]
    artifacts: Option<PathBuf>,
    /// Where to write the deployment JSON.
    #[arg(long)]
    output: Option<PathBuf>,
    /// Where to write the chain-registry chain.json.
    #[arg(long)]
    chain_json: Option<PathBuf>,
    /// Where to write the chain-registry assetlist.json.
    #[arg(long)]
    assetlist: Option<PathBuf>,
    /// Extra initial LOOP balances, ADDRESS=AMOUNT (micro-LOOP); repeatable.
    #[arg(long, value_parser = parse_balance)]
    fund_loop: Vec<(String, Uint128)>,
}

// Parsed once per run: the size difference between the variants costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Cmd {
    /// Prints development key N (fixed entropy; never for real funds): its mnemonic, or its
    /// address with --address.
    DevKey {
        n: u8,
        /// Print the address with this bech32 prefix instead of the mnemonic.
        #[arg(long, num_args = 0..=1, default_missing_value = "loopin")]
        address: Option<String>,
    },
    /// Sends AMOUNT of the chain's fee denom from the deployer to ADDRESS (a service's own
    /// account, such as the epoch keeper's); prints the transaction hash, or nothing when
    /// --top-up found the account holding AMOUNT already.
    Send {
        #[arg(long)]
        to: String,
        #[arg(long)]
        amount: u128,
        /// Send only what the account lacks of AMOUNT (a script run again funds nothing twice).
        #[arg(long)]
        top_up: bool,
    },
    /// Writes chain.json and assetlist.json (--chain-json, --assetlist) for an existing
    /// deployment, from the config's [chain] and [chain_registry]: no transaction (an endpoint
    /// added, a registry entry refreshed).
    RegistryFiles {
        /// The deployment JSON loopin-deploy wrote.
        #[arg(long)]
        deployment: PathBuf,
    },
    /// Writes the web app's `loopin.json` (Keplr's chain info, LOOP, the contracts) for an
    /// existing deployment to --output (default: stdout), from the config's [chain] and
    /// [chain_registry], whose `rpc` and `rest` endpoints the browser uses (docs/web.md).
    WebConfig {
        /// The deployment JSON loopin-deploy wrote.
        #[arg(long)]
        deployment: PathBuf,
    },
    /// Prints an unsigned transaction from the contracts' admin or owner (a multisig), as
    /// `wasmd tx ... --generate-only` does, for its members to sign (docs/real-chains.md).
    Unsigned {
        #[command(subcommand)]
        op: admin_tx::UnsignedCmd,
    },
    /// Deploys the IBC applications: the price feed (every pool of the deployment) and the
    /// rewards bridge on the chain of --config, the price consumer on the remote chain; prints
    /// their addresses as JSON (docs/relayer.md).
    Ibc(IbcArgs),
}

// The arguments of `ibc` (its help is the variant's).
#[derive(clap::Args)]
struct IbcArgs {
    /// The deployment JSON of the LooPIN chain.
    #[arg(long)]
    deployment: PathBuf,
    /// The other chain's gRPC endpoint, chain id, account prefix and fee denom.
    #[arg(long)]
    remote_grpc: String,
    #[arg(long)]
    remote_chain_id: String,
    #[arg(long)]
    remote_prefix: String,
    #[arg(long)]
    remote_denom: String,
    /// The key (mnemonic or `hex:`) that deploys and owns the consumer there.
    #[arg(long)]
    remote_key_file: PathBuf,
    /// Where to write the addresses JSON.
    #[arg(long)]
    output: Option<PathBuf>,
    /// The LooPIN chain's connection the price channel will use: the feed accepts
    /// subscribers on it only.
    #[arg(long, default_value = ibc::FIRST_CONNECTION)]
    price_connection: String,
    /// The other chain's connection the price channel will use: the consumer accepts the
    /// feed's channel on it only.
    #[arg(long, default_value = ibc::FIRST_CONNECTION)]
    remote_price_connection: String,
    /// The wasm admin of the consumer on the other chain (a multisig there); none if absent.
    /// The LooPIN side's admin is the config's `admin`.
    #[arg(long)]
    remote_admin: Option<String>,
}

/// `ADDRESS=AMOUNT` of `--fund-loop`.
fn parse_balance(s: &str) -> anyhow::Result<(String, Uint128)> {
    let (address, amount) = s
        .split_once('=')
        .ok_or_else(|| anyhow::anyhow!("expected ADDRESS=AMOUNT"))?;
    let amount: u128 = amount.parse().map_err(|e| anyhow::anyhow!("amount: {e}"))?;
    Ok((address.to_string(), Uint128::new(amount)))
}

fn main() -> ExitCode {
    // RUST_LOG, as before; "info" when it is unset (or invalid).
    let filter = std::env::var("RUST_LOG").unwrap_or_else(|_| "info".to_string());
    program::run("loopin-deploy", Some(&filter), run(Cli::parse()))
}

/// Runs the subcommand, or the deployment without one.
async fn run(cli: Cli) -> anyhow::Result<()> {
    let Cli {
        cmd,
        config,
        grpc,
        artifacts,
        output,
        chain_json,
        assetlist,
        fund_loop,
    } = cli;
    let load = || load_config(config.as_deref(), grpc.clone(), artifacts.clone());
    match cmd {
        Some(Cmd::DevKey { n, address }) => dev_key(n, address),
        Some(Cmd::Unsigned { op }) => unsigned(&load()?, op).await,
        Some(Cmd::RegistryFiles { deployment }) => {
            registry_files(&load()?, &deployment, chain_json, assetlist)
        }
        Some(Cmd::WebConfig { deployment }) => web_config(&load()?, &deployment, output),
        Some(Cmd::Send { to, amount, top_up }) => send(&load()?, &to, amount, top_up).await,
        Some(Cmd::Ibc(args)) => deploy_ibc(&load()?, args).await,
        None => deploy(load()?, output, chain_json, assetlist, fund_loop).await,
    }
}

/// `dev-key N`: development key N's mnemonic, or its address with `--address`.
fn dev_key(n: u8, address: Option<String>) -> anyhow::Result<()> {
    match address {
        Some(prefix) => println!("{}", Key::development(n, &prefix)?.address),
        None => println!("{}", Key::development_mnemonic(n)),
    }
    Ok(())
}

/// The `--config` file with the command line's `--grpc` and `--artifacts` over it.
fn load_config(
    path: Option<&Path>,
    grpc: Option<String>,
    artifacts: Option<PathBuf>,
) -> anyhow::Result<DeployConfig> {
    let path = path.context("--config FILE is required (or a subcommand)")?;
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut config =
        DeployConfig::from_toml(&text).with_context(|| format!("parsing {}", path.display()))?;
    if let Some(grpc) = grpc {
        config.chain.grpc = grpc;
    }
    if let Some(dir) = artifacts {
        config.artifacts = dir;
    }
    Ok(config)
}

/// A deployment JSON that loopin-deploy wrote; `what` names it in the error of a bad one.
fn read_deployment(path: &Path, what: &str) -> anyhow::Result<loopin_deploy::Deployment> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| what.to_string())
}

/// `unsigned`: prints the unsigned transaction (stdout) and how to sign it (stderr).
async fn unsigned(config: &DeployConfig, op: admin_tx::UnsignedCmd) -> anyhow::Result<()> {
    let querier = ChainQuerier::connect(config.chain.clone())
        .await
        .with_context(|| format!("connecting to {}", config.chain.grpc))?;
    let tx = op.run(&querier).await?;
    eprintln!("{}", tx.instructions());
    println!("{}", tx.json);
    Ok(())
}

/// `registry-files`: writes chain.json and/or assetlist.json for an existing deployment.
fn registry_files(
    config: &DeployConfig,
    deployment: &Path,
    chain_json: Option<PathBuf>,
    assetlist: Option<PathBuf>,
) -> anyhow::Result<()> {
    let deployment = read_deployment(deployment, "deployment JSON")?;
    let info = config.chain_registry.clone().unwrap_or_default();
    let chain_json = chain_json.or(config.chain_json.clone());
    let assetlist = assetlist.or(config.assetlist.clone());
    if chain_json.is_none() && assetlist.is_none() {
        anyhow::bail!("registry-files writes --chain-json and/or --assetlist: name one");
    }
    if let Some(path) = chain_json {
        let json = serde_json::to_string_pretty(&info.chain_json(&config.chain))?;
        std::fs::write(&path, json).with_context(|| format!("writing {}", path.display()))?;
    }
    if let Some(path) = assetlist {
        let json = info.assetlist_json(&config.chain, &config.token, &deployment);
        std::fs::write(&path, serde_json::to_string_pretty(&json)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

/// `web-config`: the web app's `loopin.json` to `output`, or stdout.
fn web_config(
    config: &DeployConfig,
    deployment: &Path,
    output: Option<PathBuf>,
) -> anyhow::Result<()> {
    let deployment = read_deployment(deployment, "deployment JSON")?;
    let info = config.chain_registry.clone().unwrap_or_default();
    let web = loopin_deploy::web::web_config(&info, &config.chain, &config.token, &deployment)?;
    let json = serde_json::to_string_pretty(&web)?;
    match output {
        Some(path) => {
            std::fs::write(&path, json).with_context(|| format!("writing {}", path.display()))?
        }
        None => println!("{json}"),
    }
    Ok(())
}

/// `send`: `amount` (or, with `top_up`, what `to` lacks of it) from the deployer to `to`.
async fn send(config: &DeployConfig, to: &str, amount: u128, top_up: bool) -> anyhow::Result<()> {
    let client = ChainClient::connect(config.chain.clone(), config.key()?).await?;
    let send = if top_up {
        let held = client.balance(to, &config.chain.denom).await?;
        loopin_deploy::lacking(held, amount)
    } else {
        amount
    };
    if send > 0 {
        let tx = client.bank_send(to, send).await?;
        println!("{}", tx.txhash);
    }
    Ok(())
}

/// `ibc`: the price feed and the rewards bridge here, the price consumer on the remote chain,
/// pinned to each other; prints (and writes to `--output`) their addresses.
async fn deploy_ibc(config: &DeployConfig, args: IbcArgs) -> anyhow::Result<()> {
    let deployment = read_deployment(
        &args.deployment,
        &format!("parsing {}", args.deployment.display()),
    )?;
    let client = ChainClient::connect(config.chain.clone(), config.key()?).await?;
    let apps = ibc::deploy_ibc_apps(
        &client,
        &config.artifacts,
        &deployment,
        &ibc::IbcSettings {
            feed_connections: vec![args.price_connection],
            admin: config.admin.clone(),
            ..ibc::IbcSettings::default()
        },
    )
    .await?;
    let remote = ChainConfig {
        grpc: args.remote_grpc,
        chain_id: args.remote_chain_id,
        prefix: args.remote_prefix.clone(),
        denom: args.remote_denom,
        ..config.chain.clone()
    };
    let remote_key = Key::from_file(&args.remote_key_file, &args.remote_prefix)?;
    let remote_client = ChainClient::connect(remote, remote_key).await?;
    let consumer = ibc::deploy_price_consumer(
        &remote_client,
        &config.artifacts,
        &apps.price_feed_port(),
        vec![args.remote_price_connection],
        args.remote_admin.as_deref(),
    )
    .await?;
    ibc::pin_price_consumer(&client, &apps, &consumer).await?;
    let json = serde_json::to_string_pretty(&serde_json::json!({
        "price_feed": apps.price_feed,
        "rewards_bridge": apps.rewards_bridge,
        "price_consumer": consumer,
    }))?;
    if let Some(output) = args.output {
        std::fs::write(&output, &json).with_context(|| format!("writing {}", output.display()))?;
    }
    println!("{json}");
    Ok(())
}

/// No subcommand: deploys LooPIN with the command line's outputs and balances over the
/// config's, and prints the deployment.
async fn deploy(
    mut config: DeployConfig,
    output: Option<PathBuf>,
    chain_json: Option<PathBuf>,
    assetlist: Option<PathBuf>,
    fund_loop: Vec<(String, Uint128)>,
) -> anyhow::Result<()> {
    config.output = output.or(config.output);
    config.chain_json = chain_json.or(config.chain_json);
    config.assetlist = assetlist.or(config.assetlist);
    config.token.initial_balances.extend(
        fund_loop
            .into_iter()
            .map(|(address, amount)| cw20::Cw20Coin { address, amount }),
    );
    let deployment = loopin_deploy::run(&config).await?;
    println!("{}", serde_json::to_string_pretty(&deployment)?);
    Ok(())
}
