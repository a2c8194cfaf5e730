//! Issue 21's load run: LooPIN on the in-process devnet at one or more scales, through real
//! transactions: `n` stakes (devices staked and registered with honest commitments), leases
//! bought by clients epoch after epoch, verifiers bonded and a sample of challenges assigned,
//! the epoch keeper advancing the pool, then a pause and the keeper's catch-up. Prints the
//! figures of bench/load.md as Markdown.
//!
//! `cargo run --profile service -p loopin-load -- --stakes 10,100`

mod cast;
mod epochs;
mod gas;
mod registry;
mod report;

use std::time::Instant;

use clap::Parser;
use loopin::registry::{ConfigResponse, QueryMsg};

use cast::{Cast, Scale};
use report::ScaleReport;

#[derive(Parser, Debug)]
#[command(about = "LooPIN under load on the in-process devnet: gas and wall time per epoch")]
struct Args {
    /// The scales: stakes per run (leases and verifiers scale alike).
    #[arg(long, value_delimiter = ',', default_values_t = [10usize, 100])]
    stakes: Vec<usize>,
    /// Epochs per run (24: a day of the devnet's one-hour epochs).
    #[arg(long, default_value_t = 24)]
    epochs: u64,
    /// Leases per stake over the run (10: 10,000 leases for 1,000 stakes).
    #[arg(long, default_value_t = 10)]
    leases_per_stake: usize,
    /// Stakes per verifier (5: 200 verifiers for 1,000 stakes).
    #[arg(long, default_value_t = 5)]
    stakes_per_verifier: usize,
    /// Stakes per client.
    #[arg(long, default_value_t = 10)]
    stakes_per_client: usize,
    /// Challenges assigned in the registry's sample (at most one per verifier).
    #[arg(long, default_value_t = 10)]
    assign_sample: usize,
    /// Epochs the keeper is paused for before its catch-up is timed.
    #[arg(long, default_value_t = 8)]
    pause: u64,
    /// The keeper's settlement of unproven epochs is timed (once, after the third epoch) up to
    /// this many stakes: one transaction per stake and epoch, serial.
    #[arg(long, default_value_t = 100)]
    settle_max_stakes: usize,
    /// Transactions in flight at once (each from its own account).
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let started = Instant::now();
    let mut reports = vec![];
    for &stakes in &args.stakes {
        let report = run_scale(&args, stakes).await?;
        eprintln!("{}", report.summary());
        reports.push(report);
    }
    println!(
        "{}",
        report::markdown(&reports, &command(&args), started.elapsed().as_secs_f64())
    );
    Ok(())
}

fn command(args: &Args) -> String {
    let stakes: Vec<String> = args.stakes.iter().map(|s| s.to_string()).collect();
    format!(
        "cargo run --profile service -p loopin-load -- --stakes {} --epochs {} --leases-per-stake {} --stakes-per-verifier {} --pause {} --settle-max-stakes {}",
        stakes.join(","),
        args.epochs,
        args.leases_per_stake,
        args.stakes_per_verifier,
        args.pause,
        args.settle_max_stakes
    )
}

async fn run_scale(args: &Args, stakes: usize) -> anyhow::Result<ScaleReport> {
    let scale = Scale {
        stakes,
        clients: stakes.div_ceil(args.stakes_per_client),
        verifiers: stakes.div_ceil(args.stakes_per_verifier).max(3),
        stake_epochs: args.epochs + args.pause + 4,
    };
    eprintln!("scale {scale:?}");
    let t = Instant::now();
    let mut cast = Cast::start(scale, args.concurrency).await?;
    let mut r = ScaleReport::new(scale, args.epochs);
    r.deploy_s = t.elapsed().as_secs_f64();
    let (h0, _) = cast.querier.latest_block().await?;
    let t = Instant::now();
    cast.stake_all(scale).await?;
    let config: ConfigResponse = cast
        .querier
        .query_smart(&cast.registry, &QueryMsg::Config {})
        .await?;
    cast.bond_all(config.settings.min_bond).await?;
    r.setup_s = t.elapsed().as_secs_f64();
    let (h1, _) = cast.querier.latest_block().await?;
    r.setup_gas.read_blocks(&cast.querier, h0 + 1, h1).await?;
    let t = Instant::now();
    r.assigned = registry::assign_sample(&cast, args.assign_sample).await?;
    r.assign_s = t.elapsed().as_secs_f64();
    let (h2, _) = cast.querier.latest_block().await?;
    r.registry_gas
        .read_blocks(&cast.querier, h1 + 1, h2)
        .await?;
    let pool: loopin::pair::ConfigResponse = cast
        .querier
        .query_smart(&cast.pool, &loopin::pair::QueryMsg::Config {})
        .await?;
    let epoch_seconds = pool.params.epoch_seconds;
    let keeper = epochs::keeper(&mut cast)?;
    // Catch the pool up to the clock the registry's rounds moved, before the timed epochs.
    keeper.advance_due().await?;
    let per_epoch = (stakes * args.leases_per_stake).div_ceil(args.epochs as usize);
    for e in 0..args.epochs {
        let row = epochs::epoch(&cast, &keeper, e, per_epoch, epoch_seconds).await?;
        eprintln!(
            "epoch {e}: {} leases ({} refused), {:.2} s, {} blocks",
            row.leases, row.refused, row.wall_s, row.blocks
        );
        r.epochs.push(row);
        if e == 2 && stakes <= args.settle_max_stakes {
            r.settled = Some(epochs::settle(&cast, &keeper).await?);
        }
    }
    r.catch_up = epochs::catch_up(&cast, &keeper, args.pause, epoch_seconds).await?;
    cast.chain.stop().await;
    Ok(r)
}
