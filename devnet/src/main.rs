//! `loopin-devnet [--config FILE] [--home DIR] [--grpc ADDR] [--block-time-ms N]
//!                [--fund ADDRESS=AMOUNT]...`: runs the devnet until Ctrl-C.

use anyhow::{Context, bail};
use loopin_devnet::{Config, GenesisAccount};

const USAGE: &str = "usage: loopin-devnet [--config FILE] [--home DIR] [--grpc ADDR] [--block-time-ms N] [--chain-id ID] [--fund ADDRESS=AMOUNT]...";

fn parse_args() -> anyhow::Result<Config> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut config = Config::default();
    if let Some(i) = args.iter().position(|a| a == "--config") {
        let path = args.get(i + 1).context("--config needs a file")?;
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?;
        config = Config::from_toml(&text).with_context(|| format!("parsing {path}"))?;
    }
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || it.next().with_context(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--config" => {
                value()?;
            }
            "--home" => config.home = value()?.into(),
            "--grpc" => config.grpc_addr = value()?.clone(),
            "--chain-id" => config.chain_id = value()?.clone(),
            "--block-time-ms" => config.block_time_ms = value()?.parse()?,
            "--fund" => {
                let v = value()?;
                let (address, amount) = v.split_once('=').context("--fund ADDRESS=AMOUNT")?;
                config.accounts.push(GenesisAccount {
                    address: address.into(),
                    amount: amount.parse()?,
                });
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => bail!("unknown argument {other}\n{USAGE}"),
        }
    }
    Ok(config)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let config = parse_args()?;
    let handle = loopin_devnet::start(config).await?;
    println!("loopin-devnet: gRPC on {}", handle.grpc_url());
    tokio::signal::ctrl_c().await?;
    println!("loopin-devnet: stopping");
    handle.stop().await;
    Ok(())
}
