//! `loopin-deploy`: deploys LooPIN from a TOML config and prints the deployment as JSON;
//! `loopin-deploy dev-key N`: a deterministic development key.

use anyhow::Context;
use clap::{Parser, Subcommand};
use cosmwasm_std::Uint128;
use loopin_chain_client::Key;
use loopin_deploy::DeployConfig;
use std::path::PathBuf;

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
    /// Extra initial LOOP balances, ADDRESS=AMOUNT (micro-LOOP); repeatable.
    #[arg(long, value_parser = parse_balance)]
    fund_loop: Vec<(String, Uint128)>,
}

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
}

fn parse_balance(s: &str) -> Result<(String, Uint128), String> {
    let (address, amount) = s.split_once('=').ok_or("expected ADDRESS=AMOUNT")?;
    let amount: u128 = amount.parse().map_err(|e| format!("amount: {e}"))?;
    Ok((address.to_string(), Uint128::new(amount)))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    if let Some(Cmd::DevKey { n, address }) = cli.cmd {
        match address {
            Some(prefix) => println!("{}", Key::development(n, &prefix)?.address),
            None => println!("{}", Key::development_mnemonic(n)),
        }
        return Ok(());
    }
    let path = cli
        .config
        .context("--config FILE is required (or a subcommand)")?;
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let mut config =
        DeployConfig::from_toml(&text).with_context(|| format!("parsing {}", path.display()))?;
    if let Some(grpc) = cli.grpc {
        config.chain.grpc = grpc;
    }
    if let Some(dir) = cli.artifacts {
        config.artifacts = dir;
    }
    config.output = cli.output.or(config.output);
    config.chain_json = cli.chain_json.or(config.chain_json);
    config.token.initial_balances.extend(
        cli.fund_loop
            .into_iter()
            .map(|(address, amount)| cw20::Cw20Coin { address, amount }),
    );
    let deployment = loopin_deploy::run(&config).await?;
    println!("{}", serde_json::to_string_pretty(&deployment)?);
    Ok(())
}
