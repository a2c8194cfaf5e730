//! `loopin-localnet`: runs a local wasmd network in the foreground until Ctrl-C (state kept in
//! `--home`; a second run resumes it).

use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;
use loopin_chain_client::Key;
use loopin_localnet::{Account, Network, Spec};

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
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let args = Args::parse();
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
    let spec = Spec {
        wasmd: args.wasmd.unwrap_or_else(loopin_localnet::wasmd_path),
        home: args.home,
        chain_id: args.chain_id,
        denom: args.denom,
        validators: args.validators,
        base_port: args.base_port,
        block_time_ms: args.block_time_ms,
        min_gas_price: args.min_gas_price,
        accounts,
    };
    let network = Network::start(spec.clone()).await?;
    for node in 0..spec.validators {
        tracing::info!(
            node,
            grpc = %spec.grpc_url(node),
            rpc = %spec.rpc_url(node),
            rest = %spec.api_url(node),
            "validator up"
        );
    }
    tokio::signal::ctrl_c().await?;
    network.stop().await;
    Ok(())
}
