//! `loopin-client`: lease GPU hours from the command line.

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};
use loopin_chain_client::Key;
use loopin_client::amount::{format, parse};
use loopin_client::{LeaseClient, LeaseOrder, pin_and_command};
use loopin_telemetry::program;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

/// Lease GPU hours in a LooPIN pool and log in to them.
#[derive(Parser, Debug)]
#[command(name = "loopin-client", version)]
struct Cli {
    #[command(flatten)]
    chain: ClientArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Debug)]
struct ClientArgs {
    #[command(flatten)]
    chain: loopin_chain_client::ChainArgs,
    /// The pool (pair contract) address.
    #[arg(long, env = "LOOPIN_PAIR", global = true)]
    pair: Option<String>,
    /// The account's key file (mnemonic, or `hex:` private key).
    #[arg(long, env = "LOOPIN_KEY_FILE", global = true)]
    key_file: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// The price of N device-hours of the next epoch.
    Quote {
        /// Device-hours, e.g. 0.5.
        hours: String,
    },
    /// Leases hours on a device and prints the ssh command once the miner posts access.
    Lease(LeaseArgs),
    /// Prints the ssh command of a lease whose access details are posted.
    Access {
        lease_id: u64,
        #[arg(long, default_value = "loopin_known_hosts")]
        known_hosts: PathBuf,
    },
    /// Lists this account's leases.
    Leases,
    /// Renews a standing order for the next epoch, from its budget (run it once per epoch).
    Renew { lease_id: u64 },
    /// Adds epochs and budget to a standing order.
    Extend {
        lease_id: u64,
        #[arg(long)]
        renewals: u32,
        /// LOOP added to the order's budget.
        #[arg(long)]
        budget: String,
    },
    /// Cancels a lease before its epoch, or closes a standing order in delivery.
    Cancel {
        lease_id: u64,
        /// Least LOOP accepted back.
        #[arg(long, default_value = "0")]
        min_refund: String,
        #[arg(long, default_value_t = 60)]
        deadline_secs: u64,
    },
    /// Disputes a lease with a bond of a tenth of its price (back if upheld, burned if
    /// rejected): what the lease paid is held from the miner's pay until governance rules.
    Dispute {
        lease_id: u64,
        #[arg(long)]
        reason: String,
    },
}

// The arguments of `lease` (its help is the variant's).
#[derive(Args, Debug)]
struct LeaseArgs {
    /// The device's stake id in the pool.
    #[arg(long)]
    stake_id: u64,
    /// Device-hours, e.g. 0.5.
    #[arg(long)]
    hours: String,
    /// Your OpenSSH public key file.
    #[arg(long)]
    ssh_key: PathBuf,
    /// Most the price may move against the quote, in basis points.
    #[arg(long, default_value_t = 100)]
    max_slippage_bps: u32,
    /// Seconds after which the chain refuses the lease.
    #[arg(long, default_value_t = 60)]
    deadline_secs: u64,
    /// Further epochs of a standing order.
    #[arg(long, default_value_t = 0)]
    renewals: u32,
    /// LOOP kept as the standing order's budget.
    #[arg(long, default_value = "0")]
    budget: String,
    /// The most a renewal pays, LOOP per device-hour (default: the budget split evenly over
    /// the renewals left).
    #[arg(long)]
    max_renewal_price: Option<String>,
    /// An address besides yours allowed to renew the order (a keeper you trust).
    #[arg(long)]
    renewer: Option<String>,
    /// Seconds to wait for the access details (0: do not wait).
    #[arg(long, default_value_t = 3_900)]
    wait_secs: u64,
    /// Where the host key is pinned.
    #[arg(long, default_value = "loopin_known_hosts")]
    known_hosts: PathBuf,
}

async fn connect(chain: &ClientArgs) -> anyhow::Result<LeaseClient> {
    let config = chain.chain.config();
    let key_file = chain
        .key_file
        .as_ref()
        .context("--key-file (or LOOPIN_KEY_FILE) is required")?;
    let key = Key::from_file(key_file, &config.prefix)?;
    let pair = chain
        .pair
        .as_ref()
        .context("--pair (or LOOPIN_PAIR) is required")?;
    Ok(LeaseClient::connect(config, key, pair).await?)
}

/// Runs the subcommand against the pool.
async fn run(cli: Cli) -> anyhow::Result<()> {
    let client = connect(&cli.chain).await?;
    match cli.command {
        Command::Quote { hours } => quote(&client, &hours).await,
        Command::Lease(args) => lease(&client, args).await,
        Command::Access {
            lease_id,
            known_hosts,
        } => access(&client, lease_id, &known_hosts).await,
        Command::Leases => leases(&client).await,
        Command::Renew { lease_id } => {
            let renewal = client.renew(lease_id).await?;
            println!("order of lease {lease_id} renewed: lease {renewal}");
            Ok(())
        }
        Command::Extend {
            lease_id,
            renewals,
            budget,
        } => {
            client.extend(lease_id, renewals, parse(&budget)?).await?;
            println!("order of lease {lease_id}: {renewals} more epochs");
            Ok(())
        }
        Command::Cancel {
            lease_id,
            min_refund,
            deadline_secs,
        } => cancel(&client, lease_id, &min_refund, deadline_secs).await,
        Command::Dispute { lease_id, reason } => dispute(&client, lease_id, &reason).await,
    }
}

/// `quote`: the price of `hours` device-hours of the next epoch.
async fn quote(client: &LeaseClient, hours: &str) -> anyhow::Result<()> {
    let hours = parse(hours)?;
    let quote = client.quote(hours).await.context(
        "quote (when epoch boundaries are due, `lease` processes them first; \
         a quote waits for that)",
    )?;
    println!(
        "{} h cost {} LOOP (fee {} LOOP burned), {} LOOP/h",
        format(quote.receive.u128()),
        format(quote.offer.u128()),
        format(quote.fee.u128()),
        format(quote.offer.u128() * 1_000_000 / quote.receive.u128().max(1)),
    );
    Ok(())
}

/// `lease`: leases the hours, then waits for the access details and prints the ssh command.
async fn lease(client: &LeaseClient, args: LeaseArgs) -> anyhow::Result<()> {
    let LeaseArgs {
        stake_id,
        hours,
        ssh_key,
        max_slippage_bps,
        deadline_secs,
        renewals,
        budget,
        max_renewal_price,
        renewer,
        wait_secs,
        known_hosts,
    } = args;
    let order = LeaseOrder {
        stake_id,
        hours: parse(&hours)?,
        ssh_key: std::fs::read_to_string(&ssh_key)
            .with_context(|| format!("reading {}", ssh_key.display()))?,
        max_slippage_bps,
        deadline_secs,
        renewals,
        budget: parse(&budget)?,
        max_renewal_price: max_renewal_price.as_deref().map(parse).transpose()?,
        renewer,
    };
    let leased = client.lease(&order).await?;
    println!(
        "lease {} on stake {stake_id}: {} h of epoch {} for {} LOOP",
        leased.lease_id,
        format(order.hours),
        leased.epoch,
        format(leased.paid)
    );
    if wait_secs > 0 {
        println!("waiting for the miner's access details...");
        let details = client
            .wait_access(leased.lease_id, Duration::from_secs(wait_secs))
            .await?;
        println!("{}", pin_and_command(&details, &known_hosts, None)?);
    }
    Ok(())
}

/// `access`: the ssh command of a lease whose access details are posted.
async fn access(client: &LeaseClient, lease_id: u64, known_hosts: &Path) -> anyhow::Result<()> {
    match client.access(lease_id).await? {
        Some(details) => println!("{}", pin_and_command(&details, known_hosts, None)?),
        None => anyhow::bail!("lease {lease_id}: no access details posted yet"),
    }
    Ok(())
}

/// `leases`: a table of this account's leases.
async fn leases(client: &LeaseClient) -> anyhow::Result<()> {
    println!("lease  order  stake  epoch  hours      paid       status");
    for lease in client.leases().await? {
        let status = if lease.cancelled {
            "cancelled"
        } else if lease.completed {
            "completed"
        } else if lease.dispute.is_some() {
            "disputed"
        } else if lease.access.is_some() {
            "access posted"
        } else {
            "booked"
        };
        println!(
            "{:<6} {:<6} {:<6} {:<6} {:<10} {:<10} {status}{}",
            lease.id,
            lease.order,
            lease.stake_id,
            lease.epoch,
            format(lease.hours.u128()),
            format(lease.paid.u128()),
            if lease.renewals_left > 0 {
                format!(
                    ", {} renewals left, budget {}",
                    lease.renewals_left,
                    format(lease.budget.u128())
                )
            } else {
                String::new()
            }
        );
    }
    Ok(())
}

/// `cancel`: cancels the lease, accepting no less than `min_refund` back.
async fn cancel(
    client: &LeaseClient,
    lease_id: u64,
    min_refund: &str,
    deadline_secs: u64,
) -> anyhow::Result<()> {
    let refund = client
        .cancel(lease_id, parse(min_refund)?, deadline_secs)
        .await?;
    println!("lease {lease_id}: {} LOOP refunded", format(refund));
    Ok(())
}

/// `dispute`: disputes the lease with its bond.
async fn dispute(client: &LeaseClient, lease_id: u64, reason: &str) -> anyhow::Result<()> {
    let bond = client.dispute(lease_id, reason).await?;
    println!(
        "lease {lease_id} disputed with a bond of {} LOOP; what it paid is held from the \
         miner's pay until governance rules",
        format(bond)
    );
    Ok(())
}

fn main() -> ExitCode {
    program::run("loopin-client", None, run(Cli::parse()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
        let cli = Cli::try_parse_from([
            "loopin-client",
            "--pair",
            "loopin1pair",
            "lease",
            "--stake-id",
            "3",
            "--hours",
            "0.5",
            "--ssh-key",
            "id.pub",
        ])
        .unwrap();
        assert!(matches!(
            cli.command,
            Command::Lease(LeaseArgs { stake_id: 3, .. })
        ));
        assert!(Cli::try_parse_from(["loopin-client", "lease", "--hours", "1"]).is_err());
    }
}
