//! `loopin-sim`: runs presets and writes the paper's figures.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use loopin_simulator::report::Summary;
use loopin_simulator::scenario::Preset;
use loopin_simulator::sim::run;
use loopin_simulator::{experiments, figures};
use loopin_telemetry::program;

#[derive(Parser)]
#[command(name = "loopin-sim", about = "LooPIN protocol economics simulator")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs one preset: per-epoch CSV, summary CSV and plots.
    Run {
        #[arg(long, value_enum, default_value = "market")]
        preset: Preset,
        /// Epochs (one hour each): 2160 is three months.
        #[arg(long, default_value_t = 2_160)]
        epochs: u64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long, default_value = "sim-out")]
        out: PathBuf,
        /// Instead of the preset, the cost sweep's market with miners' mean cost at this
        /// fraction of the baseline price.
        #[arg(long)]
        cost_scale: Option<f64>,
        /// With --cost-scale: gamma barely above beta (no emission subsidy).
        #[arg(long)]
        no_subsidy: bool,
    },
    /// Writes every figure and table of docs/economics.md.
    Figures {
        #[arg(long, default_value_t = 2_160)]
        epochs: u64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long, default_value = "docs/img")]
        out: PathBuf,
    },
}

fn main() -> ExitCode {
    program::run_sync("loopin-sim", None, || run_command(Cli::parse().command))
}

/// Runs the subcommand.
fn run_command(command: Command) -> Result<(), Box<dyn std::error::Error>> {
    match command {
        Command::Run {
            preset,
            epochs,
            seed,
            out,
            cost_scale,
            no_subsidy,
        } => {
            let scenario = match cost_scale {
                Some(scale) => experiments::sweep_scenario(seed, epochs, scale, !no_subsidy),
                None => preset.scenario(seed, epochs),
            };
            let outcome = run(&scenario)?;
            figures::run_report(&outcome, &out)?;
            print!("{}", Summary::of(&outcome).to_csv());
        }
        Command::Figures { epochs, seed, out } => {
            figures::all(&out, seed, epochs)?;
            println!("figures written to {}", out.display());
        }
    }
    Ok(())
}
