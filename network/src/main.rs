//! `loopin-network`: the scripted market of the main job, the epoch keeper, and the scenario's
//! cheating provers.

use anyhow::Context;
use clap::{Parser, Subcommand};
use loopin_chain_client::{ChainClient, ChainConfig};
use loopin_network::actors::dev_key;
use loopin_network::cheat::{self, Cheat};
use loopin_network::market::{self, MarketConfig};
use loopin_network::miner::Launcher;
use loopin_relayer::keeper::Keeper;
use loopin_telemetry::program;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Parser)]
#[command(
    name = "loopin-network",
    version,
    about = "The LooPIN network on a chain"
)]
struct Cli {
    /// Log filter (tracing env-filter syntax).
    #[arg(long, env = "LOOPIN_LOG", default_value = "warn", global = true)]
    log: String,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(clap::Args)]
struct Chain {
    #[command(flatten)]
    chain: loopin_chain_client::ChainArgs,
}

impl Chain {
    fn config(&self) -> ChainConfig {
        ChainConfig {
            poll_interval_ms: 50,
            ..self.chain.config()
        }
    }
}

#[derive(Subcommand)]
enum Cmd {
    /// Runs the scripted market on a chain where LooPIN is deployed (the devnet, or a real chain
    /// such as wasmd), with a live table, a JSON report and a PNG chart.
    Market(MarketArgs),
    /// Advances every given pool at its epoch boundary, until stopped.
    Keeper {
        #[command(flatten)]
        chain: Chain,
        /// Development key number of the keeper's account.
        #[arg(long, default_value_t = 40)]
        key: u8,
        /// How often the pools' clocks are read.
        #[arg(long, default_value_t = 1000)]
        interval_ms: u64,
        /// Pool (pair contract) addresses.
        #[arg(required = true)]
        pools: Vec<String>,
    },
    /// Serves a cheating prover for the scenario (never for real use).
    CheatProver {
        /// The prover's TOML configuration (as for loopin-prover).
        #[arg(long)]
        config: PathBuf,
        #[arg(long, value_enum)]
        mode: Cheat,
    },
}

// The arguments of `market` (its help is the variant's).
#[derive(clap::Args)]
struct MarketArgs {
    #[command(flatten)]
    chain: Chain,
    /// The deployment JSON written by loopin-deploy.
    #[arg(long, default_value = ".devnet/deployment.json")]
    deployment: PathBuf,
    /// The pool's class.
    #[arg(long, default_value = "h100")]
    class: String,
    /// Development key number of the account holding the scenario's LOOP.
    #[arg(long, default_value_t = 2)]
    bank_key: u8,
    /// Epochs to run at least.
    #[arg(long, default_value_t = 8)]
    epochs: u64,
    /// Epochs to run at most while a cheater is still active.
    #[arg(long, default_value_t = 16)]
    max_epochs: u64,
    /// Miners' data, configs and logs.
    #[arg(long, default_value = ".devnet/network")]
    work_dir: PathBuf,
    /// The loopin-prover binary (default: next to this one).
    #[arg(long)]
    prover_bin: Option<PathBuf>,
    /// First TCP port of the provers (seven are used).
    #[arg(long, default_value_t = 17470)]
    first_port: u16,
    #[arg(long, default_value = ".devnet/report.json")]
    report: PathBuf,
    #[arg(long, default_value = ".devnet/report.png")]
    chart: PathBuf,
    /// Whose clock: `devnet` (fast-forwarded, fee tokens from its faucet) or `real` (block
    /// time; the bank account pays every actor's fee tokens). Default: asks the node.
    #[arg(long, value_enum)]
    clock: Option<loopin_network::clock::Clock>,
}

fn sibling(name: &str) -> anyhow::Result<PathBuf> {
    let me = std::env::current_exe().context("locating loopin-network")?;
    Ok(me.with_file_name(name))
}

/// Runs the subcommand.
async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.cmd {
        Cmd::Market(args) => run_market(args).await,
        Cmd::Keeper {
            chain,
            key,
            interval_ms,
            pools,
        } => {
            let config = chain.config();
            let key = dev_key(key, &config.prefix)?;
            let client = ChainClient::connect(config, key).await?;
            Keeper::new(client, pools)
                .run(Duration::from_millis(interval_ms))
                .await;
            Ok(())
        }
        Cmd::CheatProver { config, mode } => {
            let c =
                loopin_prover::config::Config::from_file(&config).map_err(anyhow::Error::msg)?;
            Ok(cheat::serve(&c, mode).await?)
        }
    }
}

/// `market`: runs the scripted market and prints what its report found.
async fn run_market(args: MarketArgs) -> anyhow::Result<()> {
    let MarketArgs {
        chain,
        deployment,
        class,
        bank_key,
        epochs,
        max_epochs,
        work_dir,
        prover_bin,
        first_port,
        report,
        chart,
        clock,
    } = args;
    let text = std::fs::read_to_string(&deployment)
        .with_context(|| format!("reading {}", deployment.display()))?;
    let config = MarketConfig {
        launcher: Launcher {
            prover_bin: match prover_bin {
                Some(p) => p,
                None => sibling("loopin-prover")?,
            },
            network_bin: std::env::current_exe()?,
            work_dir,
            chain: chain.config(),
        },
        deployment: serde_json::from_str(&text).context("deployment JSON")?,
        class,
        bank_key,
        epochs,
        max_epochs: max_epochs.max(epochs),
        first_port,
        clock,
        report: report.clone(),
        chart: chart.clone(),
    };
    let r = market::run(config).await?;
    println!(
        "\nreport {} and chart {}: price rose as capacity dissipated: {}; fell after new stakes: {}; supply balanced: {} ({} holders)",
        report.display(),
        chart.display(),
        r.price_rose_as_capacity_dissipated,
        r.price_fell_after_new_stakes,
        r.supply.balanced,
        r.supply.holders
    );
    for c in &r.cheaters {
        println!(
            "cheater {} ({:?}, {}): {}",
            c.miner,
            c.cheat,
            c.token_id,
            c.invalidated_at_epoch
                .map_or("NOT caught".to_string(), |e| format!(
                    "invalidated by epoch {e}"
                ))
        );
    }
    Ok(())
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    // An invalid --log falls back to "warn", as it always has.
    let filter = match tracing_subscriber::EnvFilter::try_new(&cli.log) {
        Ok(_) => cli.log.clone(),
        Err(_) => "warn".to_string(),
    };
    program::run("loopin-network", Some(&filter), run(cli))
}
