//! `loopin-localnet`: runs a local wasmd network in the foreground until Ctrl-C or SIGTERM (state
//! kept in `--home`; a second run resumes it), optionally with a planned validator outage.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use loopin_chain_client::Key;
use loopin_localnet::{Account, Network, Outage, Spec};
use loopin_telemetry::program;

#[derive(Parser)]
#[command(about = "A local network of wasmd validators on loopback")]
struct Args {
    /// State directory (node i in HOME/node{i}).
    #[arg(long, default_value = ".wasmd")]
    home: PathBuf,
    #[arg(long, default_value = "loopin-local-1")]
    chain_id: String,
    #[arg(long, default_value_t = 1)]
    validators: usize,
    /// Node i listens on BASE + 10 i (RPC), then P2P, gRPC, REST and ABCI.
    /// (26600 and 27600 are `deploy/hermes/config.toml`'s, which the Hermes test uses.)
    #[arg(long, default_value_t = 26900)]
    base_port: u16,
    #[arg(long, default_value_t = 200)]
    block_time_ms: u64,
    #[arg(long, default_value = "uloop")]
    denom: String,
    #[arg(long, default_value_t = 0.0025)]
    min_gas_price: f64,
    /// The bech32 prefix the wasmd binary was built with.
    #[arg(long, default_value = "loopin")]
    prefix: String,
    /// Funds development keys 1..=N (`loopin-deploy dev-key n`; never for real funds).
    #[arg(long, default_value_t = 0)]
    dev_keys: u8,
    /// Funds ADDRESS with AMOUNT (repeatable).
    #[arg(long, value_name = "ADDRESS=AMOUNT")]
    fund: Vec<String>,
    /// The wasmd binary (default: $LOOPIN_WASMD, else the tool cache's).
    #[arg(long)]
    wasmd: Option<PathBuf>,
    /// A planned outage, NODE@AFTER+DOWN in seconds: validator NODE is killed (SIGKILL) AFTER
    /// seconds from the start and restarted DOWN seconds later; what happened is written to
    /// `--outage-record`. The network keeps running after it.
    #[arg(long)]
    outage: Option<Outage>,
    /// Where the outage's record goes (JSON; default HOME/outage.json).
    #[arg(long)]
    outage_record: Option<PathBuf>,
    /// Written (JSON: each node's gRPC, RPC and REST URLs) once every validator runs and the
    /// network has made a block, for scripts to wait on; removed at the start.
    #[arg(long)]
    ready_file: Option<PathBuf>,
}

fn main() -> ExitCode {
    // The network logs to stdout (RUST_LOG, "info" without it): the body starts its logging.
    program::run("loopin-localnet", None, run(Args::parse()))
}

/// Starts the network, announces it, runs the outage if one is planned, and stops the
/// validators at Ctrl-C or SIGTERM.
async fn run(args: Args) -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    // Signals are caught from the start: a script that gives up while the validators start
    // must not leave them running.
    let mut stop = Shutdown::new()?;
    let spec = spec(&args)?;
    if let Some(ready) = &args.ready_file {
        let _ = std::fs::remove_file(ready);
    }
    let mut network = tokio::select! {
        started = Network::start(spec.clone()) => started?,
        // Dropping the starting network kills its validators (their children are kill-on-drop).
        _ = stop.recv() => return Ok(()),
    };
    announce(&spec, args.ready_file.as_deref())?;
    if let Some(outage) = args.outage {
        let record_path =
            (args.outage_record.clone()).unwrap_or_else(|| spec.home.join("outage.json"));
        let _ = std::fs::remove_file(&record_path);
        tokio::select! {
            done = outage.run(&mut network) => record_outage(done, &record_path)?,
            _ = stop.recv() => {
                network.stop().await;
                return Ok(());
            }
        }
    }
    stop.recv().await;
    network.stop().await;
    Ok(())
}

/// The network the command line asks for: its development keys and `--fund` accounts funded.
fn spec(args: &Args) -> anyhow::Result<Spec> {
    let mut accounts = Vec::new();
    for n in 1..=args.dev_keys {
        accounts.push(Account {
            address: Key::development(n, &args.prefix)?.address.to_string(),
            amount: 1_000_000_000_000_000,
        });
    }
    for entry in &args.fund {
        let (address, amount) = entry
            .split_once('=')
            .with_context(|| format!("--fund {entry}: expected ADDRESS=AMOUNT"))?;
        accounts.push(Account {
            address: address.into(),
            amount: amount.parse().with_context(|| format!("--fund {entry}"))?,
        });
    }
    Ok(Spec {
        wasmd: args
            .wasmd
            .clone()
            .unwrap_or_else(loopin_localnet::wasmd_path),
        home: args.home.clone(),
        chain_id: args.chain_id.clone(),
        denom: args.denom.clone(),
        validators: args.validators,
        base_port: args.base_port,
        block_time_ms: args.block_time_ms,
        min_gas_price: args.min_gas_price,
        accounts,
    })
}

/// Logs every validator's endpoints and writes them to the ready file, if one is asked for.
fn announce(spec: &Spec, ready_file: Option<&Path>) -> anyhow::Result<()> {
    let mut nodes = Vec::new();
    for node in 0..spec.validators {
        tracing::info!(
            node,
            grpc = %spec.grpc_url(node),
            rpc = %spec.rpc_url(node),
            rest = %spec.api_url(node),
            "validator up"
        );
        nodes.push(serde_json::json!({
            "grpc": spec.grpc_url(node),
            "rpc": spec.rpc_url(node),
            "rest": spec.api_url(node),
        }));
    }
    if let Some(ready) = ready_file {
        let text = serde_json::json!({ "chain_id": spec.chain_id, "nodes": nodes });
        std::fs::write(ready, text.to_string())
            .with_context(|| format!("writing {}", ready.display()))?;
    }
    Ok(())
}

/// Writes what the outage did, or why it failed, to `record_path`.
fn record_outage(
    done: loopin_localnet::Result<loopin_localnet::OutageRecord>,
    record_path: &Path,
) -> anyhow::Result<()> {
    let written = match done {
        Ok(record) => serde_json::to_string_pretty(&record)?,
        Err(e) => {
            tracing::error!(error = %e, "the outage failed");
            serde_json::json!({ "error": e.to_string() }).to_string()
        }
    };
    std::fs::write(record_path, written)
        .with_context(|| format!("writing {}", record_path.display()))
}

/// Ctrl-C or SIGTERM (a script's `kill`): either stops the validators, which are children.
struct Shutdown {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

impl Shutdown {
    fn new() -> anyhow::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self {
            interrupt: signal(SignalKind::interrupt()).context("SIGINT handler")?,
            terminate: signal(SignalKind::terminate()).context("SIGTERM handler")?,
        })
    }

    async fn recv(&mut self) {
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
    }
}
