//! `loopin-sim`: runs presets and writes the paper's figures.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use loopin_simulator::figures;
use loopin_simulator::report::Summary;
use loopin_simulator::scenario::Preset;
use loopin_simulator::sim::run;

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

fn main() -> Result<(), Box<dyn std::error::Error>> {
    match Cli::parse().command {
        Command::Run {
            preset,
            epochs,
            seed,
            out,
        } => {
            let outcome = run(&preset.scenario(seed, epochs))?;
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
