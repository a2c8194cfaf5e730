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
        // Late because the deadline passed, not because the prover refused the work.
        let reason = verdict.reason.clone().unwrap_or_default();
        assert!(
            reason.contains("no root within") || reason.contains("deadline"),
            "{}: {reason}",
            class.name
        );
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_assigned_verifier_cannot_keep_the_card_busy_nor_ask_another_shape() {
    let dir = tempfile::tempdir().unwrap();
    let state = ProverState::from_loaded(init_and_load(dir.path(), 1), key(100));
    let commitment = state.commitment.clone();
    // Large enough that a GEMM is still running when the next call comes (debug build).
    let class = Shape {
        m: 1024,
        k: 256,
        n: 256,
    };
    let limits = Limits {
        gemm_shape: Some(class),
        ..Limits::default()
    };
    let (a, b) = (key(1), key(2));
    let server = spawn(state, gate(&[&a, &b], 10.0, 10.0), limits, Metrics::new()).await;
    let target = target(&server, &commitment);
    let spec = |shape| ThroughputSpec {
        shape,
        rows: 64,
        deadline_ms: 60_000,
    };
    // Another shape than the device's class: refused before any work.
    let wide = Shape { m: 4096, ..class };
    let v = verifier(1)
        .throughput(&target, &[1; 32], &spec(wide), 0)
        .await;
    assert_eq!(v.outcome, Outcome::Late);
    assert!(
        v.reason
            .as_deref()
            .unwrap_or_default()
            .contains("class's GEMM shape only"),
        "{:?}",
        v.reason
    );
    // The class shape passes; a verifier with a GEMM running cannot queue a second one,
    // another verifier's waits for the card and is served.
    let (t1, t2, t3) = (target.clone(), target.clone(), target.clone());
    let slow = ThroughputSpec {
        shape: class,
        rows: 64,
        deadline_ms: 60_000,
    };
    let (first, again, other) = tokio::join!(
        async move { verifier(1).throughput(&t1, &[2; 32], &slow, 0).await },
        async move {
            tokio::time::sleep(Duration::from_millis(200)).await;
            verifier(1).throughput(&t2, &[3; 32], &slow, 0).await
        },
        async move { verifier(2).throughput(&t3, &[4; 32], &slow, 0).await },
    );
    assert_eq!(first.outcome, Outcome::Pass, "{:?}", first.reason);
    assert_eq!(other.outcome, Outcome::Pass, "{:?}", other.reason);
    assert_eq!(again.outcome, Outcome::Late, "{:?}", again.reason);
    assert!(
        again
            .reason
            .as_deref()
            .unwrap_or_default()
            .contains("one GEMM per verifier"),
        "{:?}",
        again.reason
    );
    // Once its GEMM is over, the verifier may ask again.
    let later = verifier(1)
        .throughput(&target, &[5; 32], &spec(class), 0)
        .await;
    assert_eq!(later.outcome, Outcome::Pass, "{:?}", later.reason);
}
