//! `loopin-prover bench`: the encoding rate, the GEMM throughput challenge and challenge
//! latency under load, measured on this host.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use clap::Args;
use loopin_prover::backend::Backend;
use loopin_prover::config::Config;

use loopin_prover::auth::{Gate, StaticAllowlist};
use loopin_prover::metrics::Metrics;
use loopin_prover::service::{self, Limits, ProverService};
use loopin_prover::state::ProverState;
use loopin_prover::storage;
use loopin_prover::verifier::{self, Spec, Target, Verifier};

use crate::pick::pick_backend;

#[derive(Args)]
pub(crate) struct BenchArgs {
    /// Lanes of the configured parameters to encode for the encoding rate (0 skips).
    #[arg(long, default_value_t = 2)]
    encode_lanes: u32,
    /// Rows m of the GEMM challenge measured (0 skips); k = n = the class's.
    #[arg(long, default_value_t = 256)]
    gemm_rows: u32,
    /// The GPU class (`loopin::gpu_classes`) whose challenge the measured rate is compared with.
    #[arg(long, default_value = "h100")]
    gemm_class: String,
    /// Concurrent challenges of the in-process load test over TCP (test parameters; 0 skips).
    #[arg(long, default_value_t = 1000)]
    load: usize,
    /// Deadline of each load challenge, ms.
    #[arg(long, default_value_t = 30_000)]
    load_deadline_ms: u64,
    /// Concurrent proof computations allowed in the load test's server.
    #[arg(long, default_value_t = 8)]
    load_max_concurrent: usize,
    /// Also write the encoding and GEMM figures as JSON to this file.
    #[arg(long)]
    json: Option<std::path::PathBuf>,
}

pub(crate) async fn bench(c: &Config, b: &BenchArgs) -> anyhow::Result<()> {
    let backend = pick_backend(c)?;
    let threads = rayon::current_num_threads();
    println!("backend: {} ({} worker threads)", backend.name(), threads);
    let mut json = serde_json::json!({ "backend": backend.name(), "threads": threads });
    if b.encode_lanes > 0 {
        let params = c.encoding_params().map_err(anyhow::Error::msg)?;
        let n = b.encode_lanes.min(params.lanes);
        let t = Instant::now();
        let blocks = backend
            .encode_lanes(0x1234_5678, &params, 0, n)
            .map_err(anyhow::Error::msg)?;
        let s = t.elapsed().as_secs_f64();
        let slow = blocks.len() as f64 * params.rounds as f64;
        let gib_blocks = (1u64 << 30) as f64 / 16.0;
        println!(
            "encode: {} lanes x {} blocks x r={} in {:.3} s: {:.0} blocks/s, {:.3e} slow rounds/s, {:.1} s per GiB (this machine, all threads)",
            n,
            params.blocks_per_lane,
            params.rounds,
            s,
            blocks.len() as f64 / s,
            slow / s,
            gib_blocks * params.rounds as f64 / (slow / s)
        );
        json["encode"] = serde_json::json!({
            "lanes": n, "blocks_per_lane": params.blocks_per_lane, "rounds": params.rounds,
            "seconds": s, "slow_rounds_per_s": slow / s,
            "s_per_gib": gib_blocks * params.rounds as f64 / (slow / s),
        });
    }
    if b.gemm_rows > 0 {
        let class = loopin::gpu_classes::class(&b.gemm_class)
            .ok_or_else(|| anyhow::anyhow!("no GPU class {:?}", b.gemm_class))?;
        let full = class.gemm.shape();
        let shape = loopin_pocps::gemm::Shape {
            m: b.gemm_rows,
            ..full
        };
        let t = Instant::now();
        backend.gemm(&[1u8; 32], shape, &AtomicBool::new(false))?;
        let s = t.elapsed().as_secs_f64();
        let tops = 2.0 * shape.work() as f64 / s / 1e12;
        let prod = s * f64::from(full.m) / f64::from(shape.m);
        let deadline = class.gemm.deadline_ms as f64 / 1e3;
        println!(
            "gemm: {} x {} x {} in {:.3} s ({:.4} TOPS, backend {}); the {} class's {} rows extrapolate to {:.1} s vs its deadline {:.3} s: {:.0}x ({})",
            shape.m,
            shape.k,
            shape.n,
            s,
            tops,
            backend.name(),
            class.name,
            full.m,
            prod,
            deadline,
            prod / deadline,
            if prod > deadline { "MISSES" } else { "meets" }
        );
        json["gemm"] = serde_json::json!({
            "m": shape.m, "k": shape.k, "n": shape.n, "seconds": s, "tops": tops,
            "class": class.name, "class_m": full.m, "class_deadline_s": deadline,
            "class_extrapolated_s": prod, "meets_class": prod <= deadline,
        });
    }
    if let Some(path) = &b.json {
        std::fs::write(path, json.to_string())
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    }
    if b.load > 0 {
        let r = load_bench(backend, b).await?;
        println!("{}", serde_json::to_string_pretty(&r)?);
    }
    Ok(())
}

/// In-process server over TCP with the test parameters; `n` simultaneous challenges.
async fn load_bench(
    backend: Arc<dyn Backend>,
    b: &BenchArgs,
) -> anyhow::Result<verifier::LoadReport> {
    let (params, rounds, spots) =
        loopin_prover::config::preset("test").ok_or_else(|| anyhow::anyhow!("no test preset"))?;
    let ek = loopin_pocps::encode::derive_ek(b"bench", "miner", "pool", b"r");
    let blocks = backend
        .encode_lanes(ek, &params, 0, params.lanes)
        .map_err(anyhow::Error::msg)?;
    let p = loopin_pocps::proof::Prover::new(blocks, params);
    let key = loopin_prover::auth::random_key();
    let loaded = storage::Loaded { ek, prover: p };
    let state = Arc::new(ProverState::from_loaded(loaded, key));
    let vkey = loopin_prover::auth::random_key();
    let gate = Arc::new(Gate::new(
        Box::new(StaticAllowlist::new(
            [loopin_prover::auth::pubkey_bytes(&vkey)],
            1e9,
            1e9,
        )),
        Duration::from_secs(60),
    ));
    // One verifier issues every challenge at once: each needs a session between its two phases.
    let limits = Limits {
        max_concurrent: b.load_max_concurrent,
        queue_wait_ms: b.load_deadline_ms,
        max_concurrent_streams: 4096,
        max_sessions: b.load.max(1),
        max_sessions_per_verifier: b.load.max(1),
        ..Limits::default()
    };
    let commitment = state.commitment.clone();
    let svc = ProverService::new(state, backend, gate, limits, Metrics::new());
    let running = service::spawn(svc, "127.0.0.1:0").await?;
    let v = Arc::new(Verifier::new(vkey, Metrics::new()));
    let target = Target::new(&running.url(), commitment)?;
    let spec = Spec {
        chain_rounds: rounds,
        spots,
        openings: 8,
        deadline_ms: b.load_deadline_ms,
        rtt_factor: 0,
        max_deadline_ms: 0,
        randomness: b"bench".to_vec(),
        secret: None,
        throughput: None,
        attempt: 0,
    };
    println!(
        "load: {} simultaneous challenges (R={rounds}, s={spots}, k=8, test parameters) over one TCP connection to {}",
        b.load,
        running.url()
    );
    let r = verifier::load(&v, &target, &spec, b.load).await;
    running.stop().await;
    Ok(r)
}
