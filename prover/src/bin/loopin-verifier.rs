//! `loopin-verifier`: challenge provers with a deadline, verify, write JSON verdict records.

use clap::{Args, Parser, Subcommand};
use loopin_prover::metrics::Metrics;
use loopin_prover::verifier::{
    self, CommitmentFile, Outcome, Spec, Target, ThroughputSpec, Verifier,
};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Parser)]
#[command(
    name = "loopin-verifier",
    version,
    about = "LooPIN PoCPS verifier: timed challenges and verdict records"
)]
struct Cli {
    /// Verifier secret key file (hex), registered on chain.
    #[arg(long, env = "LOOPIN_VERIFIER_KEY", global = true)]
    key: Option<PathBuf>,
    /// Prometheus listen address (empty: none).
    #[arg(
        long,
        env = "LOOPIN_VERIFIER_METRICS_LISTEN",
        default_value = "",
        global = true
    )]
    metrics_listen: String,
    /// Log filter.
    #[arg(long, env = "LOOPIN_LOG", default_value = "info", global = true)]
    log: String,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Create a key file and print its public key (hex) for registration / the prover's allowlist.
    Keygen {
        /// Where to write the secret key.
        #[arg(long)]
        out: PathBuf,
    },
    /// Challenge one or more provers at the same moment and write verdicts.
    Challenge {
        #[command(flatten)]
        c: ChallengeArgs,
        /// Write the verdicts (JSON array) here; stdout otherwise.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Load test: N simultaneous challenges to the first target; prints p50/p99.
    Load {
        #[command(flatten)]
        c: ChallengeArgs,
        /// Challenges.
        #[arg(long, default_value_t = 1000)]
        count: usize,
    },
}

#[derive(Args)]
struct ChallengeArgs {
    /// Prover: URL=COMMITMENT.json (the on-chain commitment), or just URL with --trust-info.
    #[arg(long = "target", required = true)]
    targets: Vec<String>,
    /// Take the commitment from the prover's Info (development only: on chain is the source of truth).
    #[arg(long)]
    trust_info: bool,
    /// Chained reads R.
    #[arg(long, default_value_t = 256)]
    chain_rounds: u32,
    /// Spot openings s (phase 2; at least 128 in every documented parameter set).
    #[arg(long, default_value_t = 128)]
    spots: u32,
    /// Round openings k.
    #[arg(long, default_value_t = 8)]
    openings: u32,
    /// Deadline D at zero round trip, ms.
    #[arg(long, default_value_t = 2000)]
    deadline_ms: u64,
    /// Round trips (the median of 5 probes) the deadline allows for on top of D.
    #[arg(long, default_value_t = 0)]
    rtt_factor: u32,
    /// Cap of the deadline, ms (0: D).
    #[arg(long, default_value_t = 0)]
    max_deadline_ms: u64,
    /// Chain randomness (hex).
    #[arg(long, default_value = "")]
    randomness: String,
    /// GEMM throughput part: rows m of A and C (0: no throughput part).
    #[arg(long, default_value_t = 0)]
    gemm_m: u32,
    /// Inner dimension k (columns of A, rows of B).
    #[arg(long, default_value_t = 256)]
    gemm_k: u32,
    /// Columns n of B and C.
    #[arg(long, default_value_t = 256)]
    gemm_n: u32,
    /// Rows of C opened and checked (Freivalds).
    #[arg(long, default_value_t = 64)]
    gemm_rows: u32,
    /// Time to the signed row root at zero round trip, ms (the RTT allowance is added).
    #[arg(long, default_value_t = 2000)]
    gemm_deadline_ms: u64,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let log = cli.log.clone();
    loopin_telemetry::program::run("loopin-verifier", Some(&log), run(cli))
}

fn read_key(p: &Option<PathBuf>) -> anyhow::Result<k256::ecdsa::SigningKey> {
    let p = p
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("--key (or LOOPIN_VERIFIER_KEY) is required"))?;
    let s = std::fs::read_to_string(p).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?;
    hex::decode(s.trim())
        .ok()
        .and_then(|b| k256::ecdsa::SigningKey::from_slice(&b).ok())
        .ok_or_else(|| anyhow::anyhow!("{}: not a secp256k1 secret key (hex)", p.display()))
}

async fn targets(c: &ChallengeArgs) -> anyhow::Result<Vec<Target>> {
    let mut out = Vec::new();
    for t in &c.targets {
        match t.split_once('=') {
            Some((url, path)) => {
                let s =
                    std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("{path}: {e}"))?;
                let cf: CommitmentFile =
                    serde_json::from_str(&s).map_err(|e| anyhow::anyhow!("{path}: {e}"))?;
                out.push(Target::new(url, cf.to_commitment()?)?);
            }
            None if c.trust_info => {
                let probe = Target::new(
                    t,
                    loopin_pocps::proof::Commitment {
                        params: loopin_pocps::encode::Params::TEST,
                        root: [0; 32],
                        ek: 0,
                        pubkey: Vec::new(),
                    },
                )?;
                let i = probe
                    .info()
                    .await
                    .map_err(|e| anyhow::anyhow!("{t}: {e}"))?;
                let params = i
                    .params
                    .as_ref()
                    .ok_or_else(|| anyhow::anyhow!("Info without params"))?;
                let cf = CommitmentFile {
                    params: loopin_prover::wire::params_from_pb(params),
                    root: hex::encode(&i.root),
                    ek: hex::encode(&i.ek),
                    device_pubkey: hex::encode(&i.device_pubkey),
                };
                tracing::warn!(target = %t, "commitment taken from the prover itself (--trust-info)");
                out.push(Target::new(t, cf.to_commitment()?)?);
            }
            None => {
                anyhow::bail!("{t}: expected URL=COMMITMENT.json (or --trust-info)");
            }
        }
    }
    Ok(out)
}

fn spec(c: &ChallengeArgs) -> anyhow::Result<Spec> {
    Ok(Spec {
        chain_rounds: c.chain_rounds,
        spots: c.spots,
        openings: c.openings,
        deadline_ms: c.deadline_ms,
        rtt_factor: c.rtt_factor,
        max_deadline_ms: c.max_deadline_ms,
        randomness: hex::decode(&c.randomness).map_err(|e| anyhow::anyhow!("--randomness: {e}"))?,
        secret: None,
        throughput: (c.gemm_m > 0).then_some(ThroughputSpec {
            shape: loopin_pocps::gemm::Shape {
                m: c.gemm_m,
                k: c.gemm_k,
                n: c.gemm_n,
            },
            rows: c.gemm_rows,
            deadline_ms: c.gemm_deadline_ms,
            once: false,
        }),
        attempt: 0,
    })
}

/// The command's work; a challenge's exit code is its verdict: 0 when every target passed,
/// 2 otherwise.
async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let metrics = Metrics::new();
    if !cli.metrics_listen.is_empty() {
        let l = tokio::net::TcpListener::bind(&cli.metrics_listen)
            .await
            .map_err(|e| anyhow::anyhow!("metrics listen {}: {e}", cli.metrics_listen))?;
        tokio::spawn(metrics.clone().serve(l));
    }
    match &cli.cmd {
        Cmd::Keygen { out } => {
            let k = loopin_prover::auth::random_key();
            std::fs::write(out, hex::encode(k.to_bytes()))
                .map_err(|e| anyhow::anyhow!("{}: {e}", out.display()))?;
            println!("{}", hex::encode(loopin_prover::auth::pubkey_bytes(&k)));
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Challenge { c, out } => {
            let v = Arc::new(Verifier::new(read_key(&cli.key)?, metrics));
            let ts = targets(c).await?;
            let verdicts = v.challenge_many(&ts, &spec(c)?).await;
            let json = serde_json::to_string_pretty(&verdicts)?;
            match out {
                Some(p) => {
                    std::fs::write(p, json).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?
                }
                None => println!("{json}"),
            }
            for vd in &verdicts {
                eprintln!(
                    "{}: {:?} rtt={:?} ms {}",
                    vd.endpoint,
                    vd.outcome,
                    vd.rtt_ms,
                    vd.reason.clone().unwrap_or_default()
                );
            }
            Ok(if verdicts.iter().all(|v| v.outcome == Outcome::Pass) {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            })
        }
        Cmd::Load { c, count } => {
            let v = Arc::new(Verifier::new(read_key(&cli.key)?, metrics));
            let ts = targets(c).await?;
            let t = ts.first().ok_or_else(|| anyhow::anyhow!("no target"))?;
            let r = verifier::load(&v, t, &spec(c)?, *count).await;
            println!("{}", serde_json::to_string_pretty(&r)?);
            Ok(ExitCode::SUCCESS)
        }
    }
}
