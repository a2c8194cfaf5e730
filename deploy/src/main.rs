//! `loopin-deploy --config deploy.toml [--grpc URL] [--artifacts DIR] [--output FILE]
//!                [--chain-json FILE]`: deploys LooPIN and prints the deployment as JSON.

use anyhow::{Context, bail};
use loopin_deploy::DeployConfig;

const USAGE: &str = "usage: loopin-deploy --config FILE [--grpc URL] [--artifacts DIR] [--output FILE] [--chain-json FILE]\n       loopin-deploy dev-key N [--address PREFIX]";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("dev-key") {
        // A deterministic development key (never for real funds): the mnemonic, or its address.
        let n: u8 = args
            .get(1)
            .context("dev-key N [--address PREFIX]")?
            .parse()?;
        let phrase = loopin_chain_client::Key::mnemonic_from_entropy([n; 32]);
        match args.iter().position(|a| a == "--address") {
            Some(i) => {
                let prefix = args.get(i + 1).map_or("loopin", String::as_str);
                let key = loopin_chain_client::Key::from_mnemonic(
                    &phrase,
                    loopin_chain_client::DEFAULT_HD_PATH,
                    prefix,
                )?;
                println!("{}", key.address);
            }
            None => println!("{phrase}"),
        }
        return Ok(());
    }
    let path = args
        .iter()
        .position(|a| a == "--config")
        .and_then(|i| args.get(i + 1))
        .context(USAGE)?;
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?;
    let mut config = DeployConfig::from_toml(&text).with_context(|| format!("parsing {path}"))?;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || it.next().with_context(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--config" => {
                value()?;
            }
            "--grpc" => config.chain.grpc = value()?.clone(),
            "--artifacts" => config.artifacts = value()?.into(),
            "--output" => config.output = Some(value()?.into()),
            "--chain-json" => config.chain_json = Some(value()?.into()),
            other => bail!("unknown argument {other}\n{USAGE}"),
        }
    }
    let deployment = loopin_deploy::run(&config).await?;
    println!("{}", serde_json::to_string_pretty(&deployment)?);
    Ok(())
}
