//! `loopin-deploy --config deploy.toml [--grpc URL] [--artifacts DIR] [--output FILE]
//!                [--chain-json FILE]`: deploys LooPIN and prints the deployment as JSON.

use anyhow::{Context, bail};
use loopin_deploy::DeployConfig;

const USAGE: &str = "usage: loopin-deploy --config FILE [--grpc URL] [--artifacts DIR] [--output FILE] [--chain-json FILE]";

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
