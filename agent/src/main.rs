//! `loopin-agent`: the miner agent service.

use clap::Parser;
use loopin_agent::config::Settings;
use loopin_agent::service::Agent;
use loopin_telemetry::metrics::Metrics;
use std::path::PathBuf;
use std::process::ExitCode;

/// Provisions leased access on this host and reconciles it with the chain.
#[derive(Parser, Debug)]
#[command(name = "loopin-agent", version)]
struct Cli {
    /// The miner's config file (the prover's, with an `[agent]` section).
    #[arg(long, env = "LOOPIN_AGENT_CONFIG")]
    config: PathBuf,
    /// Overrides `[agent] pair`.
    #[arg(long)]
    pair: Option<String>,
    /// Overrides `[agent] key_file`.
    #[arg(long)]
    key_file: Option<PathBuf>,
    /// Overrides `[agent] ssh_port`.
    #[arg(long)]
    ssh_port: Option<u16>,
    /// Overrides `[agent] metrics_listen`.
    #[arg(long)]
    metrics_listen: Option<String>,
    /// One reconciliation pass, printed as JSON, then exit.
    #[arg(long)]
    once: bool,
    /// Print the sshd_config block the agent's accounts need (for
    /// /etc/ssh/sshd_config.d/loopin.conf), then exit.
    #[arg(long)]
    print_sshd_config: bool,
    /// Log filter (RUST_LOG syntax).
    #[arg(long, env = "RUST_LOG", default_value = "info")]
    log: String,
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let mut settings = Settings::from_file(&cli.config)?;
    if let Some(pair) = cli.pair {
        settings.agent.pair = pair;
    }
    if let Some(key_file) = cli.key_file {
        settings.agent.key_file = key_file;
    }
    if let Some(port) = cli.ssh_port {
        settings.agent.ssh_port = port;
    }
    if let Some(listen) = cli.metrics_listen {
        settings.agent.metrics_listen = listen;
    }
    if cli.print_sshd_config {
        settings.validate()?;
        print!(
            "{}",
            loopin_agent::confine::sshd_config(
                &settings.agent.user_prefix,
                &settings.agent.confine
            )
        );
        return Ok(());
    }
    let metrics = Metrics::new();
    let accounts = Agent::linux_accounts(&settings)?;
    let listen = settings.agent.metrics_listen.clone();
    let agent = Agent::connect(settings, accounts, metrics.clone()).await?;
    if cli.once {
        let report = agent.reconcile().await?;
        println!(
            "{}",
            serde_json::json!({
                "epoch": report.epoch,
                "provisioned": report.provisioned,
                "removed": report.removed,
                "posted": report.posted,
                "completed": report.completed,
                "refused": report.refused,
                "errors": report.errors,
            })
        );
        return Ok(());
    }
    if !listen.is_empty() {
        let listener = tokio::net::TcpListener::bind(&listen).await?;
        tokio::spawn(metrics.serve(listener));
    }
    tracing::info!(miner = %agent.address(), "agent running");
    agent
        .run(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await;
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let log = cli.log.clone();
    loopin_telemetry::program::run("loopin-agent", Some(&log), run(cli))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
        assert!(Cli::try_parse_from(["loopin-agent"]).is_err());
    }
}
