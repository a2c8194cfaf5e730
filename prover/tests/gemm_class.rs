//! A CPU prover fails the GEMM challenge of every GPU class (`loopin::gpu_classes`): the honest
//! prover, CPU backend, default limits, asked each class's challenge through the real service and
//! verifier, has no root by the deadline, and the verdict is late; the same prover passes a
//! challenge a CPU can meet, so the failure is its rate, not a broken path. And it stops: the
//! computation is cancelled at the deadline, not left running for the hours it would take.

mod common;

use common::*;
use loopin::gpu_classes::CLASSES;
use loopin::registry::Verdict as OnChain;
use loopin_pocps::gemm::Shape;
use loopin_prover::auth::{Assignment, Assignments, Gate, pubkey_bytes};
use loopin_prover::metrics::Metrics;
use loopin_prover::onchain::{Submission, registry_verdict, submission};
use loopin_prover::service::Limits;
use loopin_prover::state::ProverState;
use loopin_prover::verifier::{Outcome, ThroughputSpec};
use std::sync::Arc;
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
        let verdict = verifier.throughput(&target, &|_| seed, &spec, 0).await;
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
        once: false,
    };
    let verdict = verifier
        .throughput(&target, &|_| [9; 32], &cpu_sized, 0)
        .await;
    assert_eq!(verdict.outcome, Outcome::Pass, "{:?}", verdict.reason);
    assert_eq!(verdict.rows.len(), 64);
}

/// Verifiers each with one open challenge on the device (answer-by far ahead): one GEMM each.
struct OneChallengeEach(Vec<Vec<u8>>);

impl Assignments for OneChallengeEach {
    fn assignment(&self, verifier_pubkey: &[u8]) -> Option<Assignment> {
        self.0
            .iter()
            .any(|k| k == verifier_pubkey)
            .then(|| Assignment {
                rate_per_s: 10.0,
                burst: 10.0,
                gemm_tickets: Some(vec![u64::MAX / 2]),
            })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_assigned_verifier_gets_one_gemm_of_its_class_shape_and_a_busy_card_is_asked_again() {
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
    let keys = [key(1), key(2), key(3)];
    let gate = Arc::new(Gate::new(
        Box::new(OneChallengeEach(keys.iter().map(pubkey_bytes).collect())),
        Duration::from_secs(30),
    ));
    let server = spawn(state, gate, limits, Metrics::new()).await;
    let target = target(&server, &commitment);
    let spec = |shape| ThroughputSpec {
        shape,
        rows: 64,
        deadline_ms: 60_000,
        once: false,
    };
    let seeds = |x: u8| move |t: u32| [x + 16 * t as u8; 32];
    // Another shape than the device's class: refused before any work.
    let wide = Shape { m: 4096, ..class };
    let v = verifier(1)
        .throughput(&target, &seeds(1), &spec(wide), 0)
        .await;
    assert_eq!(v.outcome, Outcome::Late);
    let reason = v.reason.unwrap_or_default();
    assert!(reason.contains("class's GEMM shape only"), "{reason}");
    // Its class shape passes; a second GEMM on the same open challenge is refused.
    let first = verifier(1)
        .throughput(&target, &seeds(2), &spec(class), 0)
        .await;
    assert_eq!(first.outcome, Outcome::Pass, "{:?}", first.reason);
    let again = verifier(1)
        .throughput(&target, &seeds(3), &spec(class), 0)
        .await;
    assert_eq!(again.outcome, Outcome::Late);
    let reason = again.reason.unwrap_or_default();
    assert!(reason.contains("one GEMM per open challenge"), "{reason}");
    // Two verifiers at once: the card runs one GEMM; the other is told it is busy, not queued,
    // and passes on its next try's seed.
    // (A short deadline here: the retry waits about one deadline. Short, but sized from the
    // first GEMM's measured time: on a loaded machine a fixed 4 s was sometimes too short for
    // the GEMM itself, and the test then failed on the machine's speed, not the prover's
    // behaviour.)
    let first_ms = first.commit_ms.expect("the first GEMM's time") as u64;
    let quick = ThroughputSpec {
        deadline_ms: 4_000.max(3 * first_ms),
        ..spec(class)
    };
    let (t2, t3) = (target.clone(), target.clone());
    let (b, c) = tokio::join!(
        async move { verifier(2).throughput(&t2, &seeds(4), &quick, 0).await },
        async move { verifier(3).throughput(&t3, &seeds(5), &quick, 0).await },
    );
    assert_eq!(b.outcome, Outcome::Pass, "{:?}", b.reason);
    assert_eq!(c.outcome, Outcome::Pass, "{:?}", c.reason);
    assert_eq!(
        (b.gemm_try.min(c.gemm_try), b.gemm_try.max(c.gemm_try)),
        (0, 1),
        "one went first, the other was asked again"
    );
}

/// A backend whose GEMM commits every row leaf wrong (a card that gets rows wrong, or a prover
/// that made them up): the honest recomputation it opens is then not under its root.
const WRONG_LEAVES: common::TamperedGemm = common::TamperedGemm {
    name: "wrong-leaves",
    tamper: |_, leaves| {
        for leaf in leaves.iter_mut() {
            leaf[0] ^= 1;
        }
    },
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_goes_on_chain_for_each_outcome_of_the_gemm_part() {
    // Honest: the Pass carries the signed root and its try.
    let (_dir, server, commitment) = honest_prover(1, &[&key(1)], Limits::default()).await;
    let honest = verifier(1)
        .challenge(&target(&server, &commitment), &spec(10_000))
        .await;
    assert_eq!(honest.outcome, Outcome::Pass, "{:?}", honest.reason);
    let tp = honest.throughput.clone().expect("the GEMM part");
    match registry_verdict(&honest, &commitment).expect("submittable") {
        OnChain::Pass { gemm: Some(g), .. } => {
            assert_eq!(Some(g.row_root.to_hex()), tp.row_root);
            assert_eq!(g.gemm_try, 0);
        }
        other => panic!("{other:?}"),
    }
    // The verifier's own failure to check the rows is not a vote against the device.
    let mut own_failure = honest.clone();
    if let Some(t) = own_failure.throughput.as_mut() {
        t.outcome = Outcome::Error;
    }
    own_failure.outcome = Outcome::Error;
    assert!(matches!(
        submission(&own_failure, &commitment, false),
        Submission::Nothing(_)
    ));
    // A wrong row under the signed root: the timed part passed, the GEMM part failed, and on
    // chain that is a lateness vote marked as the GEMM's, the timed latency as measured.
    let dir = tempfile::tempdir().unwrap();
    let state = ProverState::from_loaded(init_and_load(dir.path(), 2), key(102));
    let commitment = state.commitment.clone();
    let server = spawn_on(
        Arc::new(WRONG_LEAVES),
        state,
        gate(&[&key(2)], 10.0, 10.0),
        Limits::default(),
        Metrics::new(),
    )
    .await;
    let wrong = verifier(2)
        .challenge(&target(&server, &commitment), &spec(10_000))
        .await;
    let tp = wrong.throughput.clone().expect("the GEMM part");
    assert_eq!(tp.outcome, Outcome::Fail, "{:?}", tp.reason);
    assert!(
        tp.reason
            .as_deref()
            .unwrap_or_default()
            .contains("not under the committed root"),
        "{:?}",
        tp.reason
    );
    match registry_verdict(&wrong, &commitment).expect("submittable") {
        OnChain::Late {
            latency_ms: Some(_),
            throughput: true,
            ..
        } => {}
        other => panic!("{other:?}"),
    }
}
