//! `loopin-devnet [--config FILE] [--home DIR] [--grpc ADDR] [--rpc ADDR] [--rest ADDR]
//!                [--block-time-ms N] [--chain-id ID] [--fund ADDRESS=AMOUNT]...`: runs the devnet
//!                until Ctrl-C.
//!
//! Every flag also reads a `LOOPIN_DEVNET_*` environment variable; flags and variables override
//! the `--config` file, which overrides the defaults.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use loopin_devnet::{Config, GenesisAccount};
use loopin_telemetry::program;

/// A single-process local CosmWasm chain: runs the compiled contracts and serves Cosmos gRPC.
#[derive(Parser, Debug)]
#[command(name = "loopin-devnet", version, about)]
struct Cli {
    /// TOML config file (every field optional; see docs/devnet.md).
    #[arg(long, env = "LOOPIN_DEVNET_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// Directory of the store and the compiled-module cache [config default: .devnet].
    #[arg(long, env = "LOOPIN_DEVNET_HOME", value_name = "DIR")]
    home: Option<PathBuf>,
    /// gRPC listen address; port 0 picks a free one [config default: 127.0.0.1:9090].
    #[arg(long, env = "LOOPIN_DEVNET_GRPC", value_name = "ADDR")]
    grpc: Option<String>,
    /// Serves the CometBFT JSON-RPC (cosmjs, Keplr) on ADDR, e.g. 127.0.0.1:26657 [config
    /// default: off].
    #[arg(long, env = "LOOPIN_DEVNET_RPC", value_name = "ADDR")]
    rpc: Option<String>,
    /// Serves the REST (LCD) API (Keplr) on ADDR, e.g. 127.0.0.1:1317 [config default: off].
    #[arg(long, env = "LOOPIN_DEVNET_REST", value_name = "ADDR")]
    rest: Option<String>,
    /// Block interval in milliseconds, at least 1 [config default: 1000].
    #[arg(long, env = "LOOPIN_DEVNET_BLOCK_TIME_MS", value_name = "N",
          value_parser = clap::value_parser!(u64).range(1..))]
    block_time_ms: Option<u64>,
    /// Chain id [config default: loopin-devnet-1].
    #[arg(long, env = "LOOPIN_DEVNET_CHAIN_ID", value_name = "ID")]
    chain_id: Option<String>,
    /// Funds ADDRESS with AMOUNT of the native denom at genesis (repeatable; the variable takes
    /// a comma-separated list). Applied on the first start only.
    #[arg(long, env = "LOOPIN_DEVNET_FUND", value_name = "ADDRESS=AMOUNT",
          value_parser = parse_fund, value_delimiter = ',')]
    fund: Vec<GenesisAccount>,
}

/// `ADDRESS=AMOUNT` with a non-empty address and an integer amount.
fn parse_fund(value: &str) -> anyhow::Result<GenesisAccount> {
    let (address, amount) = value
        .split_once('=')
        .ok_or_else(|| anyhow::anyhow!("expected ADDRESS=AMOUNT, got `{value}`"))?;
    let address = address.trim();
    if address.is_empty() {
        anyhow::bail!("no address before `=` in `{value}`");
    }
    let amount = amount.trim().parse().map_err(|e| {
        anyhow::anyhow!("amount `{amount}` is not a whole number of base units: {e}")
    })?;
    Ok(GenesisAccount {
        address: address.to_string(),
        amount,
    })
}

impl Cli {
    /// The config file (or the defaults) with the flags applied over it.
    fn into_config(self) -> anyhow::Result<Config> {
        let mut config = match &self.config {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("reading --config {}", path.display()))?;
                Config::from_toml(&text)
                    .with_context(|| format!("parsing --config {}", path.display()))?
            }
            None => Config::default(),
        };
        if let Some(home) = self.home {
            config.home = home;
        }
        if let Some(grpc) = self.grpc {
            config.grpc_addr = grpc;
        }
        if let Some(rpc) = self.rpc {
            config.rpc_addr = Some(rpc);
        }
        if let Some(rest) = self.rest {
            config.rest_addr = Some(rest);
        }
        if let Some(block_time_ms) = self.block_time_ms {
            config.block_time_ms = block_time_ms;
        }
        if let Some(chain_id) = self.chain_id {
            config.chain_id = chain_id;
        }
        config.accounts.extend(self.fund);
        Ok(config)
    }
}

fn main() -> ExitCode {
    // The devnet logs to stdout (RUST_LOG, "info" without it) once its config is read, so the
    // body starts its logging itself.
    program::run("loopin-devnet", None, run(Cli::parse()))
}

/// Runs the devnet until Ctrl-C.
async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = cli.into_config()?;
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let handle = loopin_devnet::start(config).await?;
    println!("loopin-devnet: gRPC on {}", handle.grpc_url());
    if let Some(url) = handle.rpc_url() {
        println!("loopin-devnet: CometBFT RPC on {url}");
    }
    if let Some(url) = handle.rest_url() {
        println!("loopin-devnet: REST on {url}");
    }
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    println!("loopin-devnet: stopping");
    handle.stop().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("loopin-devnet").chain(args.iter().copied()))
    }

    #[test]
    fn flags_as_run_sh_passes_them() {
        let config = parse(&[
            "--home",
            ".devnet",
            "--grpc",
            "127.0.0.1:9090",
            "--fund",
            "loopin1abc=1000000000000",
            "--fund",
            "loopin1def=5",
            "--block-time-ms",
            "250",
            "--chain-id",
            "test-1",
            "--rpc",
            "127.0.0.1:26657",
            "--rest",
            "127.0.0.1:1317",
        ])
        .unwrap()
        .into_config()
        .unwrap();
        assert_eq!(config.home, PathBuf::from(".devnet"));
        assert_eq!(config.grpc_addr, "127.0.0.1:9090");
        assert_eq!(config.block_time_ms, 250);
        assert_eq!(config.chain_id, "test-1");
        assert_eq!(config.rpc_addr.as_deref(), Some("127.0.0.1:26657"));
        assert_eq!(config.rest_addr.as_deref(), Some("127.0.0.1:1317"));
        let funded: Vec<_> = config
            .accounts
            .iter()
            .map(|a| (a.address.as_str(), a.amount))
            .collect();
        assert_eq!(
            funded,
            [("loopin1abc", 1_000_000_000_000), ("loopin1def", 5)]
        );
    }

    #[test]
    fn flags_override_the_config_file() {
        let dir = std::env::temp_dir().join(format!("loopin-devnet-cli-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("devnet.toml");
        std::fs::write(
            &file,
            "chain_id = \"from-file\"\nblock_time_ms = 5\n[[accounts]]\naddress = \"loopin1a\"\namount = 1\n",
        )
        .unwrap();
        let config = parse(&[
            "--config",
            file.to_str().unwrap(),
            "--block-time-ms",
            "7",
            "--fund",
            "loopin1b=2",
        ])
        .unwrap()
        .into_config()
        .unwrap();
        assert_eq!(config.chain_id, "from-file");
        assert_eq!(config.block_time_ms, 7);
        assert_eq!(config.accounts.len(), 2);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn bad_input_is_an_error() {
        for args in [
            &["--fund", "loopin1abc"][..],
            &["--fund", "=5"],
            &["--fund", "loopin1abc=-1"],
            &["--fund", "loopin1abc=lots"],
            &["--block-time-ms", "0"],
            &["--block-time-ms", "soon"],
            &["--home"],
            &["--unknown"],
        ] {
            assert!(parse(args).is_err(), "{args:?} should be refused");
        }
        let missing = parse(&["--config", "/nonexistent/devnet.toml"])
            .unwrap()
            .into_config()
            .unwrap_err();
        assert!(format!("{missing:#}").contains("reading --config"));
    }
}
