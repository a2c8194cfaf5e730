//! `loopin-deploy`: deploys LooPIN from a TOML config and prints the deployment as JSON;
//! `loopin-deploy dev-key N`: a deterministic development key.

use anyhow::Context;
use clap::{Parser, Subcommand};
use cosmwasm_std::Uint128;
use loopin_chain_client::{ChainClient, ChainConfig, ChainQuerier, Key};
use loopin_deploy::{DeployConfig, admin_tx, ibc};
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
    Ibc {
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
    let cmd = cli.cmd;
    if let Some(Cmd::DevKey { n, address }) = cmd {
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
    if let Some(Cmd::Unsigned { op }) = cmd {
        let querier = ChainQuerier::connect(config.chain.clone())
            .await
            .with_context(|| format!("connecting to {}", config.chain.grpc))?;
        let tx = op.run(&querier).await?;
        eprintln!("{}", tx.instructions());
        println!("{}", tx.json);
        return Ok(());
    }
    if let Some(Cmd::RegistryFiles { deployment }) = cmd {
        let text = std::fs::read_to_string(&deployment)
            .with_context(|| format!("reading {}", deployment.display()))?;
        let deployment: loopin_deploy::Deployment =
            serde_json::from_str(&text).context("deployment JSON")?;
        let info = config.chain_registry.clone().unwrap_or_default();
        let chain_json = cli.chain_json.or(config.chain_json.clone());
        let assetlist = cli.assetlist.or(config.assetlist.clone());
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
        return Ok(());
    }
    if let Some(Cmd::WebConfig { deployment }) = cmd {
        let text = std::fs::read_to_string(&deployment)
            .with_context(|| format!("reading {}", deployment.display()))?;
        let deployment: loopin_deploy::Deployment =
            serde_json::from_str(&text).context("deployment JSON")?;
        let info = config.chain_registry.clone().unwrap_or_default();
        let web = loopin_deploy::web::web_config(&info, &config.chain, &config.token, &deployment)?;
        let json = serde_json::to_string_pretty(&web)?;
        match cli.output {
            Some(path) => std::fs::write(&path, json)
                .with_context(|| format!("writing {}", path.display()))?,
            None => println!("{json}"),
        }
        return Ok(());
    }
    if let Some(Cmd::Send { to, amount, top_up }) = cmd {
        let client = ChainClient::connect(config.chain.clone(), config.key()?).await?;
        let send = if top_up {
            let held = client.balance(&to, &config.chain.denom).await?;
            loopin_deploy::lacking(held, amount)
        } else {
            amount
        };
        if send > 0 {
            let tx = client.bank_send(&to, send).await?;
            println!("{}", tx.txhash);
        }
        return Ok(());
    }
    if let Some(Cmd::Ibc {
        deployment,
        remote_grpc,
        remote_chain_id,
        remote_prefix,
        remote_denom,
        remote_key_file,
        output,
        price_connection,
        remote_price_connection,
        remote_admin,
    }) = cmd
    {
        let text = std::fs::read_to_string(&deployment)
            .with_context(|| format!("reading {}", deployment.display()))?;
        let deployment: loopin_deploy::Deployment = serde_json::from_str(&text)
            .with_context(|| format!("parsing {}", deployment.display()))?;
        let client = ChainClient::connect(config.chain.clone(), config.key()?).await?;
        let apps = ibc::deploy_ibc_apps(
            &client,
            &config.artifacts,
            &deployment,
            &ibc::IbcSettings {
                feed_connections: vec![price_connection],
                admin: config.admin.clone(),
                ..ibc::IbcSettings::default()
            },
        )
        .await?;
        let remote = ChainConfig {
            grpc: remote_grpc,
            chain_id: remote_chain_id,
            prefix: remote_prefix.clone(),
            denom: remote_denom,
            ..config.chain.clone()
        };
        let remote_key = Key::from_file(&remote_key_file, &remote_prefix)?;
        let remote_client = ChainClient::connect(remote, remote_key).await?;
        let consumer = ibc::deploy_price_consumer(
            &remote_client,
            &config.artifacts,
            &apps.price_feed_port(),
            vec![remote_price_connection],
            remote_admin.as_deref(),
        )
        .await?;
        ibc::pin_price_consumer(&client, &apps, &consumer).await?;
        let json = serde_json::to_string_pretty(&serde_json::json!({
            "price_feed": apps.price_feed,
            "rewards_bridge": apps.rewards_bridge,
            "price_consumer": consumer,
        }))?;
        if let Some(output) = output {
            std::fs::write(&output, &json)
                .with_context(|| format!("writing {}", output.display()))?;
        }
        println!("{json}");
        return Ok(());
    }
    config.output = cli.output.or(config.output);
    config.chain_json = cli.chain_json.or(config.chain_json);
    config.assetlist = cli.assetlist.or(config.assetlist);
    config.token.initial_balances.extend(
        cli.fund_loop
            .into_iter()
            .map(|(address, amount)| cw20::Cw20Coin { address, amount }),
    );
    let deployment = loopin_deploy::run(&config).await?;
    println!("{}", serde_json::to_string_pretty(&deployment)?);
    Ok(())
}
