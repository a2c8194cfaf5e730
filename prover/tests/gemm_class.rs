//! A CPU prover fails the GEMM challenge of every GPU class (`loopin::gpu_classes`): the honest
//! prover, CPU backend, default limits, asked each class's challenge through the real service and
//! verifier, has no root by the deadline, and the verdict is late; the same prover passes a
//! challenge a CPU can meet, so the failure is its rate, not a broken path. And it stops: the
//! computation is cancelled at the deadline, not left running for the hours it would take.

mod common;

use common::*;
use loopin::gpu_classes::CLASSES;
use loopin_pocps::gemm::Shape;
use loopin_prover::metrics::Metrics;
use loopin_prover::service::Limits;
use loopin_prover::state::ProverState;
use loopin_prover::verifier::{Outcome, ThroughputSpec};
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cpu_prover_fails_the_gemm_challenge_of_every_gpu_class() {
    let dir = tempfile::tempdir().unwrap();
    let state = ProverState::from_loaded(init_and_load(dir.path(), 1), key(100));
    let commitment = state.commitment.clone();
    let metrics = Metrics::new();
    let v = key(1);
    let server = spawn(
        state,
        gate(&[&v], 10.0, 10.0),
        Limits::default(),
        metrics.clone(),
    )
    .await;
    let target = target(&server, &commitment);
    let verifier = verifier(1);
    assert!(CLASSES.len() >= 3);
    for (i, class) in CLASSES.iter().enumerate() {
        let spec = ThroughputSpec::from(&class.gemm);
        let seed = [i as u8 + 1; 32];
        let verdict = verifier.throughput(&target, &seed, &spec, 0).await;
        assert_eq!(
            verdict.outcome,
            Outcome::Late,
            "{}: {:?}",
            class.name,
            verdict.reason
        );
        assert_eq!(verdict.row_root, None, "{}: no root", class.name);
        assert_eq!(verdict.deadline_ms, class.gemm.deadline_ms);
        // The prover gave up: its worker is released (nothing in flight) soon after.
        let waited = Instant::now();
        while metrics.gauge("loopin_prover_inflight", &[]) > 0.0 {
            assert!(
                waited.elapsed() < Duration::from_secs(120),
                "{}: the GEMM kept running after its deadline",
                class.name
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    // A challenge within a CPU's reach passes on the same prover.
    let cpu_sized = ThroughputSpec {
        shape: Shape {
            m: 128,
            k: 96,
            n: 64,
        },
        rows: 64,
        deadline_ms: 10_000,
    };
    let verdict = verifier.throughput(&target, &[9; 32], &cpu_sized, 0).await;
    assert_eq!(verdict.outcome, Outcome::Pass, "{:?}", verdict.reason);
    assert_eq!(verdict.rows.len(), 64);
}
