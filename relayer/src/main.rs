//! `loopin-relayer`: relays LooPIN's IBC channels and keeps the pools' epochs. See
//! docs/relayer.md.

use anyhow::Context;
use clap::{Parser, Subcommand};
use loopin_relayer::chain::IbcChain;
use loopin_relayer::config::Config;
use loopin_relayer::handshake::{ChannelSpec, create_channel};
use loopin_relayer::keeper::Keeper;
use loopin_relayer::relay::Relayer;
use loopin_relayer::state::StateFile;
use loopin_telemetry::metrics::Metrics;
use loopin_telemetry::program;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Parser)]
#[command(name = "loopin-relayer", version, about)]
struct Cli {
    /// The relayer's configuration (Hermes-style TOML).
    #[arg(long, env = "LOOPIN_RELAYER_CONFIG", default_value = "relayer.toml")]
    config: PathBuf,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Relays packets (recv, ack, timeout) of the filtered channels and runs the epoch keeper,
    /// until stopped.
    Start,
    /// Creates clients, a connection and a channel between two configured chains.
    Create {
        #[command(subcommand)]
        what: Create,
    },
}

#[derive(Subcommand)]
enum Create {
    Channel {
        #[arg(long)]
        a_chain: String,
        #[arg(long)]
        b_chain: String,
        #[arg(long)]
        a_port: String,
        #[arg(long)]
        b_port: String,
        #[arg(long)]
        channel_version: String,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::load(&cli.config) {
        Ok(config) => config,
        Err(e) => return program::usage(PROGRAM, e),
    };
    // The log filter is the config's (RUST_LOG over it), so the body starts logging itself.
    program::run(PROGRAM, None, async move {
        init_logging(&config);
        run(cli.cmd, config).await
    })
}

const PROGRAM: &str = "loopin-relayer";

/// Logs to stdout under RUST_LOG, or the config's `log_level`.
fn init_logging(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(&config.global.log_level));
    tracing_subscriber::fmt().with_env_filter(filter).init();
}

/// Runs the subcommand.
async fn run(cmd: Cmd, config: Config) -> anyhow::Result<()> {
    match cmd {
        Cmd::Create {
            what:
                Create::Channel {
                    a_chain,
                    b_chain,
                    a_port,
                    b_port,
                    channel_version,
                },
        } => {
            let spec = ChannelSpec {
                a_port,
                b_port,
                version: channel_version,
            };
            channel(&config, &a_chain, &b_chain, &spec).await
        }
        Cmd::Start => start(config).await,
    }
}

/// `create channel`: the handshake between two configured chains; prints the identifiers.
async fn channel(
    config: &Config,
    a_chain: &str,
    b_chain: &str,
    spec: &ChannelSpec,
) -> anyhow::Result<()> {
    let a = IbcChain::connect(config.chain(a_chain)?.clone()).await?;
    let b = IbcChain::connect(config.chain(b_chain)?.clone()).await?;
    let mut state = StateFile::open(&config.state.dir)?;
    let open = create_channel(&a, &b, spec, &mut state).await?;
    println!(
        "{}",
        serde_json::to_string_pretty(&serde_json::json!({
            "a_client": open.a_client, "b_client": open.b_client,
            "a_connection": open.a_connection, "b_connection": open.b_connection,
            "a_channel": open.a_channel, "b_channel": open.b_channel,
        }))?
    );
    Ok(())
}

/// `start`: relays packets and runs the keeper until stopped.
async fn start(config: Config) -> anyhow::Result<()> {
    config.check_keys()?;
    let metrics = Metrics::new();
    if config.telemetry.enabled {
        let listen = format!("{}:{}", config.telemetry.host, config.telemetry.port);
        let listener = tokio::net::TcpListener::bind(&listen)
            .await
            .with_context(|| format!("binding telemetry on {listen}"))?;
        tracing::info!("metrics on http://{listen}/metrics");
        tokio::spawn(metrics.clone().serve(listener));
    }
    let mut tasks = tokio::task::JoinSet::new();
    if let Some(keeper) = config.keeper.clone() {
        let entry = config.chain(&keeper.chain)?.clone();
        let client = loopin_chain_client::ChainClient::connect(
            entry.chain_config(),
            config.keeper_key(&keeper)?,
        )
        .await?;
        let mut worker = Keeper::new(client, keeper.pools);
        if let Some(feed) = keeper.price_feed {
            worker = worker.with_price_feed(feed);
        }
        tasks.spawn(async move {
            worker.run(Duration::from_millis(keeper.interval_ms)).await;
            Ok(())
        });
    }
    if config.mode.packets.enabled {
        let mut chains = Vec::new();
        for entry in &config.chains {
            chains.push(IbcChain::connect(entry.clone()).await?);
        }
        let state = StateFile::open(&config.state.dir)?;
        let mut relayer = Relayer::new(chains, state, metrics, config.mode.packets.clone());
        tasks.spawn(async move { relayer.run().await });
    }
    anyhow::ensure!(
        !tasks.is_empty(),
        "nothing to do: [mode.packets] is disabled and there is no [keeper]"
    );
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {
            tracing::info!("stopping");
            Ok(())
        }
        Some(done) = tasks.join_next() => Ok(done??),
    }
}
