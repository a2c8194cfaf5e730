//! `structure-check`: runs the structure check on the workspace and compares its findings with
//! `tests/structure/known-debt.toml`; exit status 1 on any problem. `--write-known-debt` writes
//! today's findings there instead (to remove entries once they are fixed).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use loopin_structure::metadata::Metadata;
use loopin_structure::report::{describe_findings, summary};
use loopin_structure::{KnownDebt, check, compare};

const USAGE: &str =
    "usage: structure-check [--manifest-path PATH] [--known-debt PATH] [--write-known-debt]";

struct Args {
    manifest_path: Option<PathBuf>,
    known_debt: Option<PathBuf>,
    write: bool,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut args = Args {
        manifest_path: None,
        known_debt: None,
        write: false,
    };
    let mut argv = std::env::args().skip(1);
    while let Some(arg) = argv.next() {
        match arg.as_str() {
            "--manifest-path" => args.manifest_path = argv.next().map(PathBuf::from),
            "--known-debt" => args.known_debt = argv.next().map(PathBuf::from),
            "--write-known-debt" => args.write = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => bail!("unknown argument {other}\n{USAGE}"),
        }
    }
    Ok(args)
}

fn main() -> anyhow::Result<ExitCode> {
    let args = parse_args()?;
    let metadata = Metadata::load(args.manifest_path.as_deref())?;
    let debt_path = args.known_debt.unwrap_or_else(|| {
        metadata
            .workspace_root
            .join("tests/structure/known-debt.toml")
    });
    let findings = check(&metadata).context("structure check")?;
    for note in &findings.notes {
        eprintln!("note: {note}");
    }
    if args.write {
        let debt = KnownDebt::from_findings(&findings);
        debt.write(&debt_path)?;
        print!("{}", describe_findings(&findings));
        println!("{}", summary(&findings, &debt));
        println!("wrote {}", debt_path.display());
        return Ok(ExitCode::SUCCESS);
    }
    let debt = KnownDebt::read(&debt_path)?;
    let verdict = compare(&findings, &debt);
    for note in &verdict.notes {
        println!("note: {note}");
    }
    for failure in &verdict.failures {
        println!("error: {failure}");
    }
    println!("{}", summary(&findings, &debt));
    if verdict.failures.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "structure check failed: {} problem(s) (known debt: {})",
        verdict.failures.len(),
        debt_path.display()
    );
    Ok(ExitCode::FAILURE)
}
