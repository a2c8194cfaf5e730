//! `loopin-prover`: init (build P), commitment, serve, bench.

mod bench;
mod pick;

use bench::{BenchArgs, bench};
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use loopin_prover::auth::Gate;
use loopin_prover::backend;
use loopin_prover::config::Config;
use loopin_prover::metrics::Metrics;
use loopin_prover::service::{self, ProverService};
use loopin_prover::state::ProverState;
use loopin_prover::storage;
use loopin_prover::verifier::CommitmentFile;
use pick::pick_backend;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(
    name = "loopin-prover",
    version,
    about = "LooPIN PoCPS prover: build P, publish the commitment, answer challenges"
)]
struct Cli {
    /// TOML configuration file (flags and environment variables override it).
    #[arg(long, env = "LOOPIN_PROVER_CONFIG", global = true)]
    config: Option<PathBuf>,
    /// Directory of P, its metadata and the device key.
    #[arg(long, env = "LOOPIN_PROVER_DATA_DIR", global = true)]
    data_dir: Option<PathBuf>,
    /// gRPC listen address.
    #[arg(long, env = "LOOPIN_PROVER_LISTEN", global = true)]
    listen: Option<String>,
    /// Prometheus listen address ("" disables).
    #[arg(long, env = "LOOPIN_PROVER_METRICS_LISTEN", global = true)]
    metrics_listen: Option<String>,
    /// Backend: auto, cpu or cuda.
    #[arg(long, env = "LOOPIN_PROVER_BACKEND", global = true)]
    backend: Option<String>,
    /// Parameter set: test, production-24g, production-80g.
    #[arg(long, env = "LOOPIN_PROVER_PARAMS", global = true)]
    params: Option<String>,
    /// A label for the device (GPU UUID); its on-chain identity is the device key's fingerprint.
    #[arg(long, env = "LOOPIN_PROVER_FINGERPRINT", global = true)]
    fingerprint: Option<String>,
    /// Miner address.
    #[arg(long, env = "LOOPIN_PROVER_MINER", global = true)]
    miner: Option<String>,
    /// Pool identifier.
    #[arg(long, env = "LOOPIN_PROVER_POOL", global = true)]
    pool: Option<String>,
    /// Chain randomness at stake time (hex).
    #[arg(long, env = "LOOPIN_PROVER_RANDOMNESS", global = true)]
    randomness: Option<String>,
    /// Assigned verifier public keys (hex SEC1), comma separated; added to the config's list.
    #[arg(
        long = "allow",
        env = "LOOPIN_PROVER_ALLOW",
        value_delimiter = ',',
        global = true
    )]
    allow: Vec<String>,
    /// PoCPS registry address: assignments are read from the chain (replaces the allowlist).
    #[arg(long, env = "LOOPIN_PROVER_REGISTRY", global = true)]
    registry: Option<String>,
    /// Stake certificate (token id) of this device in the registry.
    #[arg(long, env = "LOOPIN_PROVER_TOKEN_ID", global = true)]
    token_id: Option<String>,
    /// The chain's gRPC endpoint.
    #[arg(long, env = "LOOPIN_PROVER_CHAIN_GRPC", global = true)]
    chain_grpc: Option<String>,
    /// The chain's id.
    #[arg(long, env = "LOOPIN_PROVER_CHAIN_ID", global = true)]
    chain_id: Option<String>,
    /// Log filter (tracing env-filter syntax).
    #[arg(long, env = "LOOPIN_LOG", default_value = "info", global = true)]
    log: String,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Build P on disk (resumable), with a progress bar.
    Init {
        /// Lanes per chunk (resume granularity); 0 = automatic.
        #[arg(long)]
        chunk_lanes: Option<u32>,
        /// No progress bar.
        #[arg(long)]
        no_progress: bool,
    },
    /// Print the commitment that goes on chain (JSON).
    Commitment,
    /// Print the pair's Stake hook (JSON) for this device, signed by the device key: the pair
    /// takes a stake of the device only with it (chain id from --chain-id or [chain.node]).
    StakeMsg(StakeArgs),
    /// Print the registry's RegisterDevice (JSON) for this device's certificate.
    RegisterMsg {
        /// The stake certificate; default [chain] token_id.
        #[arg(long)]
        token_id: Option<String>,
        /// Where verifiers reach this prover, e.g. http://203.0.113.7:7470.
        #[arg(long)]
        endpoint: String,
    },
    /// Print the registry's RotateDeviceKey (JSON) from the key answers are signed with now to
    /// a new one (data_dir/signing-next.key), signed by both; send it, then rotate-key-commit
    /// and restart serve. The device key stays the device's identity.
    RotateKeyMsg {
        /// The stake certificate; default [chain] token_id.
        #[arg(long)]
        token_id: Option<String>,
        /// The registry's address; default [chain] registry.
        #[arg(long)]
        registry: Option<String>,
        /// The device's rotations so far (the registry's Device query: key_rotations).
        #[arg(long, default_value = "0")]
        rotation: u32,
    },
    /// Sign answers with data_dir/signing-next.key from now on (once the registry accepted it).
    RotateKeyCommit,
    /// Serve challenges.
    Serve,
    /// Measure encoding, the GEMM throughput challenge and challenge latency under load.
    Bench(BenchArgs),
    /// Check the configured backend bit for bit against the published vectors and the CPU
    /// backend (run it on a new GPU before staking it); exits non-zero on any difference.
    Selftest,
}

#[derive(Args)]
struct StakeArgs {
    /// The pair (pool) address; default identity.pool.
    #[arg(long)]
    pair: Option<String>,
    /// The staking account; default identity.miner.
    #[arg(long)]
    staker: Option<String>,
    /// liquidity-provider or seller.
    #[arg(long, default_value = "liquidity-provider")]
    mode: String,
    /// Device-hours per hour.
    #[arg(long, default_value = "1")]
    rate: String,
    /// Duration in epochs.
    #[arg(long)]
    epochs: u64,
    /// A liquidity provider's most LOOP (smallest unit) for its first epoch.
    #[arg(long)]
    max_liquidity: Option<u128>,
    /// A liquidity provider's fewest shares minted (from its quote); the pair refuses fewer.
    #[arg(long)]
    min_shares: Option<u128>,
    /// A liquidity provider's most LOOP (smallest unit) per device-hour, matched or set (its
    /// quote plus slippage); the pair refuses a stake at a higher price.
    #[arg(long)]
    max_price: Option<String>,
    /// The pair refuses the stake this many seconds after now (this machine's clock).
    #[arg(long)]
    deadline_secs: Option<u64>,
}

fn config(cli: &Cli) -> anyhow::Result<Config> {
    let mut c = match &cli.config {
        Some(p) => Config::from_file(p).map_err(anyhow::Error::msg)?,
        None => Config::default(),
    };
    if let Some(v) = &cli.data_dir {
        c.data_dir = v.clone();
    }
    if let Some(v) = &cli.listen {
        c.listen = v.clone();
    }
    if let Some(v) = &cli.metrics_listen {
        c.metrics_listen = v.clone();
    }
    if let Some(v) = &cli.backend {
        c.backend = v.clone();
    }
    if let Some(v) = &cli.params {
        c.params = v.clone();
        c.custom_params = None;
    }
    if let Some(v) = &cli.fingerprint {
        c.identity.fingerprint = v.clone();
    }
    if let Some(v) = &cli.miner {
        c.identity.miner = v.clone();
    }
    if let Some(v) = &cli.pool {
        c.identity.pool = v.clone();
    }
    if let Some(v) = &cli.randomness {
        c.identity.randomness = v.clone();
    }
    c.verifiers.allow.extend(cli.allow.iter().cloned());
    if let Some(v) = &cli.registry {
        c.chain.registry = v.clone();
    }
    if let Some(v) = &cli.token_id {
        c.chain.token_id = v.clone();
    }
    if let Some(v) = &cli.chain_grpc {
        c.chain.node.grpc = v.clone();
    }
    if let Some(v) = &cli.chain_id {
        c.chain.node.chain_id = v.clone();
    }
    Ok(c)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let log = cli.log.clone();
    loopin_telemetry::program::run("loopin-prover", Some(&log), run(cli))
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let c = config(&cli)?;
    match &cli.cmd {
        Cmd::Init {
            chunk_lanes,
            no_progress,
        } => init(&c, chunk_lanes.unwrap_or(c.chunk_lanes), *no_progress),
        Cmd::Commitment => {
            let l = storage::load(&c.data_dir)?;
            let key = storage::device_key(&c.data_dir)?;
            let st = ProverState::from_loaded(l, key);
            let out =
                serde_json::to_string_pretty(&CommitmentFile::from_commitment(&st.commitment))?;
            println!("{out}");
            Ok(())
        }
        Cmd::StakeMsg(a) => stake_msg(&c, a),
        Cmd::RegisterMsg { token_id, endpoint } => {
            let l = storage::load(&c.data_dir)?;
            let key = storage::device_key(&c.data_dir)?;
            let st = ProverState::from_loaded(l, key.clone());
            let token_id = token_id.as_deref().unwrap_or(&c.chain.token_id);
            let msg = loopin_prover::stake::register_device(
                &key,
                &st.commitment,
                token_id,
                endpoint,
                &c.identity.randomness,
            )?;
            println!("{}", serde_json::to_string_pretty(&msg)?);
            Ok(())
        }
        Cmd::RotateKeyMsg {
            token_id,
            registry,
            rotation,
        } => {
            let target = loopin_prover::rotation::RotationTarget {
                chain_id: c.chain.node.chain_id.clone(),
                registry: registry.clone().unwrap_or_else(|| c.chain.registry.clone()),
                token_id: token_id.clone().unwrap_or_else(|| c.chain.token_id.clone()),
                rotation: *rotation,
            };
            let msg = loopin_prover::rotation::rotation_from_dir(&c.data_dir, &target)?;
            let out = serde_json::to_string_pretty(&msg)?;
            println!("{out}");
            Ok(())
        }
        Cmd::RotateKeyCommit => Ok(storage::commit_signing_key(&c.data_dir)?),
        Cmd::Serve => serve(&c).await,
        Cmd::Bench(b) => bench(&c, b).await,
        Cmd::Selftest => selftest(&c),
    }
}

fn stake_msg(c: &Config, a: &StakeArgs) -> anyhow::Result<()> {
    use loopin::stake_cert::StakeMode;
    use loopin_prover::stake::{StakeOffer, signed_stake};
    let mode = match a.mode.as_str() {
        "liquidity-provider" | "provider" => StakeMode::LiquidityProvider,
        "seller" => StakeMode::Seller,
        other => {
            anyhow::bail!("unknown mode {other:?} (liquidity-provider, seller)");
        }
    };
    let rate = a
        .rate
        .parse::<cosmwasm_std::Decimal>()
        .map_err(|e| anyhow::anyhow!("rate: {e}"))?;
    let max_price = a
        .max_price
        .as_deref()
        .map(str::parse::<cosmwasm_std::Decimal>)
        .transpose()
        .map_err(|e| anyhow::anyhow!("max-price: {e}"))?;
    let deadline = match a.deadline_secs {
        Some(secs) => {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_err(|e| anyhow::anyhow!("clock: {e}"))?;
            Some(cosmwasm_std::Timestamp::from_seconds(
                now.as_secs().saturating_add(secs),
            ))
        }
        None => None,
    };
    let l = storage::load(&c.data_dir)?;
    let key = storage::device_key(&c.data_dir)?;
    let st = ProverState::from_loaded(l, key.clone());
    let offer = StakeOffer {
        chain_id: c.chain.node.chain_id.clone(),
        pair: a.pair.clone().unwrap_or_else(|| c.identity.pool.clone()),
        staker: a.staker.clone().unwrap_or_else(|| c.identity.miner.clone()),
        commitment: cosmwasm_std::HexBinary::from(st.commitment.digest()),
        mode,
        rate,
        epochs: a.epochs,
        max_liquidity: a.max_liquidity.map(cosmwasm_std::Uint128::new),
        min_shares: a.min_shares.map(cosmwasm_std::Uint128::new),
        max_price,
        deadline,
    };
    let out = serde_json::to_string_pretty(&signed_stake(&key, &offer))?;
    println!("{out}");
    Ok(())
}

fn init(c: &Config, chunk_lanes: u32, no_progress: bool) -> anyhow::Result<()> {
    let params = c.encoding_params().map_err(anyhow::Error::msg)?;
    // The device key first: the device's identity (and so ek) is its fingerprint.
    let key = storage::device_key(&c.data_dir)?;
    let ek = c.ek(&key).map_err(anyhow::Error::msg)?;
    let backend = pick_backend(c)?;
    let chunk = if chunk_lanes == 0 {
        storage::default_chunk_lanes(&params)
    } else {
        chunk_lanes
    };
    let bpl = params.blocks_per_lane as u64;
    let pb = if no_progress {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(params.lanes as u64 * bpl)
    };
    pb.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {human_pos}/{human_len} blocks {per_sec} ETA {eta}",
        )
        ?,
    );
    tracing::info!(backend = backend.name(), ?params, chunk_lanes = chunk, dir = %c.data_dir.display(), "init");
    let mut first = true;
    let t = Instant::now();
    let r = storage::init(
        &c.data_dir,
        ek,
        &params,
        backend.as_ref(),
        chunk,
        &mut |done, _| {
            if first {
                // Lanes found on disk do not count towards the rate.
                pb.set_position(done * bpl);
                pb.reset_eta();
                first = false;
            } else {
                pb.set_position(done * bpl);
            }
            true
        },
    )?;
    pb.finish();
    eprintln!(
        "P ready in {}: {} lanes encoded, {} reused, root {} ({:.1} s)",
        c.data_dir.display(),
        r.encoded_lanes,
        r.reused_lanes,
        hex::encode(r.root),
        t.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn serve(c: &Config) -> anyhow::Result<()> {
    let backend = pick_backend(c)?;
    let t = Instant::now();
    let loaded = storage::load(&c.data_dir)?;
    let key = storage::device_key(&c.data_dir)?;
    let registry_key = loopin_prover::chain::registry_signing_key(c).await;
    let signer = loopin_prover::rotation::serving_key(&c.data_dir, registry_key.as_deref())?;
    tracing::info!(
        signing_key = %hex::encode(loopin_prover::auth::pubkey_bytes(&signer)),
        rotated = registry_key.is_some(),
        "answers are signed with this key (the one the registry checks them with)"
    );
    // P stays in host memory: between challenges the tenant has the whole card.
    let state = Arc::new(ProverState::from_loaded(loaded, key).with_signer(signer));
    tracing::info!(
        root = %hex::encode(state.root()),
        backend = backend.name(),
        load_s = t.elapsed().as_secs_f64(),
        "P loaded from disk (checksums and root verified, not re-encoded)"
    );
    // A rotation accepted while serving is followed from the next poll on, without a restart.
    let _follow = loopin_prover::chain::spawn_follow_signing_key(c, state.clone());
    let gate = Arc::new(Gate::new(
        loopin_prover::chain::assignments(c).await?,
        Duration::from_millis(c.limits.freshness_window_ms),
    ));
    let metrics = Metrics::new();
    if !c.metrics_listen.is_empty() {
        let l = tokio::net::TcpListener::bind(&c.metrics_listen)
            .await
            .map_err(|e| anyhow::anyhow!("metrics listen {}: {e}", c.metrics_listen))?;
        tracing::info!(addr = %c.metrics_listen, "metrics on /metrics");
        tokio::spawn(metrics.clone().serve(l));
    }
    // Serve the class's GEMM shape only (an assigned verifier cannot ask a larger one).
    let mut limits = c.limits.clone();
    if limits.gemm_shape.is_none() {
        use loopin_prover::chain::ClassGemm;
        match loopin_prover::chain::class_gemm(c).await {
            ClassGemm::Shape(s) => {
                tracing::info!(?s, "serving the class's GEMM shape only");
                limits.gemm_shape = Some(s);
                if c.chain.audit_key_file.is_none() {
                    tracing::warn!(
                        "chain.audit_key_file is unset: audits of this device's GEMM go unanswered, and each one unanswered voids a pass and accuses the device"
                    );
                }
            }
            ClassGemm::NotAsked => {
                tracing::info!("the device's class asks no GEMM: none is served");
                limits.max_gemm_rows = 0;
            }
            ClassGemm::Unknown => tracing::warn!(
                "no class GEMM shape from the registry (device not registered yet, or the chain unreachable): any shape within the limits is served"
            ),
        }
    }
    let svc = ProverService::new(state.clone(), backend, gate, limits, metrics);
    if let Some(path) = &c.chain.audit_key_file {
        loopin_prover::audits::spawn_answerer(c, path, state, svc.gemm_card()).await?;
    }
    let listener = tokio::net::TcpListener::bind(&c.listen)
        .await
        .map_err(|e| anyhow::anyhow!("listen {}: {e}", c.listen))?;
    service::serve(svc, listener, async {
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutting down");
    })
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))
}

fn selftest(c: &Config) -> anyhow::Result<()> {
    let backend = pick_backend(c)?;
    let t = Instant::now();
    let checks = backend::selftest::check(backend.as_ref())
        .map_err(|e| anyhow::anyhow!("{} backend differs: {e}", backend.name()))?;
    for check in &checks {
        println!("ok: {} ({} values)", check.name, check.values);
    }
    println!(
        "selftest: {} backend bit-exact ({} checks, {:.2} s)",
        backend.name(),
        checks.len(),
        t.elapsed().as_secs_f64()
    );
    Ok(())
}
