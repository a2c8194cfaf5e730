//! End to end over a real TCP socket: init (test parameters) → serve → verifier challenge.

mod common;
use common::*;
use loopin::registry::Verdict as OnChain;
use loopin_pocps::encode::Params;
use loopin_pocps::merkle::Tree;
use loopin_pocps::proof::{Opening, check_block};
use loopin_prover::backend::{Backend, Cancelled, CpuBackend, EncodeError, GemmFailed};
use loopin_prover::metrics::Metrics;
use loopin_prover::onchain::registry_verdict;
use loopin_prover::service::Limits;
use loopin_prover::state::{ProverState, Regenerate, Resident};
use loopin_prover::storage;
use loopin_prover::verifier::{Outcome, Verdict};
use loopin_prover::wire;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn honest_prover_passes_and_verdict_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let loaded = init_and_load(dir.path(), 1);
    let state = ProverState::from_loaded(loaded, key(100));
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
    let verifier = verifier(1);
    let verdict = verifier
        .challenge(&target(&server, &commitment), &spec(5_000))
        .await;
    assert_eq!(verdict.outcome, Outcome::Pass, "{:?}", verdict.reason);
    assert!(verdict.rtt_ms.is_some_and(|r| r <= 5_000.0));
    let tp = verdict.throughput.as_ref().expect("throughput part");
    assert_eq!(tp.outcome, Outcome::Pass, "{:?}", tp.reason);
    assert_eq!(tp.rows.len(), 64);
    let rp = verdict
        .round_proof
        .as_ref()
        .expect("round proof in the record");
    assert_eq!(rp.openings.len(), 8);

    // The JSON record round-trips and carries what a contract needs.
    let path = dir.path().join("verdict.json");
    std::fs::write(&path, serde_json::to_string_pretty(&verdict).unwrap()).unwrap();
    let back: Verdict = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    // (floats are compared loosely: serde_json's default float parsing is not bit-exact)
    assert_eq!(
        (back.outcome, &back.round_proof, &back.seed),
        (verdict.outcome, &verdict.round_proof, &verdict.seed)
    );
    assert_eq!(
        (&back.secret, &back.timed_signature, &back.final_state),
        (
            &verdict.secret,
            &verdict.timed_signature,
            &verdict.final_state
        )
    );
    assert_eq!(back.prover_root, hex::encode(commitment.root));

    // Metrics saw the calls.
    let text = metrics.render();
    assert!(
        text.contains("loopin_prover_requests_total{method=\"Challenge\",code=\"OK\"} 1"),
        "{text}"
    );
    assert!(text.contains("loopin_prover_request_seconds_bucket"));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prover_that_lost_part_of_p_fails() {
    let dir = tempfile::tempdir().unwrap();
    let loaded = init_and_load(dir.path(), 2);
    let params = loaded.prover.params;
    let tree: Tree = loaded.prover.tree.clone();
    // Half the leaves are gone (zeros); the prover kept the tree and answers with what it has.
    let m = params.blocks_per_leaf as usize;
    let mut blocks = loaded.prover.blocks.clone();
    for (leaf, chunk) in blocks.chunks_mut(m).enumerate() {
        if leaf % 2 == 1 {
            chunk.fill(0);
        }
    }
    let state = ProverState::new(
        params,
        loaded.ek,
        tree,
        Box::new(Resident(blocks)),
        key(101),
    );
    let commitment = state.commitment.clone();
    let v = key(2);
    let server = spawn(
        state,
        gate(&[&v], 10.0, 10.0),
        Limits::default(),
        Metrics::new(),
    )
    .await;
    let mut s = spec(5_000);
    s.throughput = None;
    // A fixed secret: the round's openings (and so the named leaf) are the same every run.
    s.secret = Some([0x3c; 32]);
    let verdict = verifier(2)
        .challenge(&target(&server, &commitment), &s)
        .await;
    assert_eq!(verdict.outcome, Outcome::Fail, "{:?}", verdict.reason);
    assert!(verdict.reason.as_deref().unwrap_or("").contains("proof"));

    // The record becomes a bad-proof claim the registry can prove: it names a discarded leaf
    // among the signed ones and a block whose chain check fails.
    match registry_verdict(&verdict, &commitment).expect("submittable") {
        OnChain::BadProof {
            answer,
            opening,
            leaf,
            block,
        } => {
            assert_eq!(leaf.index % 2, 1, "a discarded leaf is named");
            assert_eq!(answer.leaves[opening as usize].index, leaf.index);
            let named = Opening {
                index: leaf.index,
                blocks: wire::bytes_to_blocks(&leaf.blocks).unwrap(),
                path: wire::bytes_to_hashes(&leaf.path).unwrap(),
            };
            assert!(!check_block(&commitment, &named, block.unwrap() as usize));
        }
        other => panic!("expected a bad-proof claim, got {other:?}"),
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prover_regenerating_p_on_demand_is_late() {
    let dir = tempfile::tempdir().unwrap();
    // r = 128 Sloth rounds per block, so regenerating one costs 128 slow rounds.
    let loaded = init_and_load_with(
        dir.path(),
        3,
        &Params {
            rounds: 128,
            ..PARAMS
        },
    );
    let params = loaded.prover.params;
    let tree = loaded.prover.tree.clone();
    // Keeps only ek (and the tree); every read regenerates its block.
    let regen = Regenerate {
        ek: loaded.ek,
        params,
    };
    let state = ProverState::new(params, loaded.ek, tree, Box::new(regen), key(102));
    let commitment = state.commitment.clone();
    let v = key(3);
    let server = spawn(
        state,
        gate(&[&v], 10.0, 10.0),
        Limits::default(),
        Metrics::new(),
    )
    .await;
    // R = 32768 reads: the honest prover needs 32768 hashes (tens of ms even in a debug build on
    // a loaded machine, so the 1 s deadline leaves it a wide margin); this one 32768 · 128 slow
    // rounds (≈ 2.1 s at the fastest measured 0.5 µs per round in release, far more in debug).
    let mut s = spec(1_000);
    s.chain_rounds = 32_768;
    s.throughput = None;
    let verdict = verifier(3)
        .challenge(&target(&server, &commitment), &s)
        .await;
    assert_eq!(verdict.outcome, Outcome::Late, "{:?}", verdict.reason);

    server.stop().await;
    // The same challenge against the honest P (same commitment) passes within the same deadline.
    let honest = ProverState::from_loaded(storage::load(dir.path()).unwrap(), key(102));
    assert_eq!(honest.commitment, commitment);
    let server2 = spawn(
        honest,
        gate(&[&v], 10.0, 10.0),
        Limits::default(),
        Metrics::new(),
    )
    .await;
    let verdict = verifier(3)
        .challenge(&target(&server2, &commitment), &s)
        .await;
    assert_eq!(verdict.outcome, Outcome::Pass, "{:?}", verdict.reason);
    server2.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_provers_challenged_at_once() {
    let (d1, d2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let v = key(4);
    let s1 = ProverState::from_loaded(init_and_load(d1.path(), 4), key(104));
    let s2 = ProverState::from_loaded(init_and_load(d2.path(), 5), key(105));
    let (c1, c2) = (s1.commitment.clone(), s2.commitment.clone());
    assert_ne!(c1.root, c2.root);
    let r1 = spawn(
        s1,
        gate(&[&v], 10.0, 10.0),
        Limits::default(),
        Metrics::new(),
    )
    .await;
    let r2 = spawn(
        s2,
        gate(&[&v], 10.0, 10.0),
        Limits::default(),
        Metrics::new(),
    )
    .await;
    let verdicts = verifier(4)
        .challenge_many(&[target(&r1, &c1), target(&r2, &c2)], &spec(5_000))
        .await;
    assert_eq!(verdicts.len(), 2);
    for vd in &verdicts {
        assert_eq!(
            vd.outcome,
            Outcome::Pass,
            "{}: {:?}",
            vd.endpoint,
            vd.reason
        );
    }
    // A commitment that is not the prover's (another identity) fails verification.
    let wrong = verifier(4).challenge(&target(&r1, &c2), &spec(5_000)).await;
    assert_ne!(wrong.outcome, Outcome::Pass);
    r1.stop().await;
    r2.stop().await;
}

/// Counts encoded lanes.
struct Counting(AtomicU64);
impl Backend for Counting {
    fn name(&self) -> &'static str {
        "counting"
    }
    fn encode_lanes(
        &self,
        ek: u128,
        p: &loopin_pocps::encode::Params,
        lane0: u32,
        n: u32,
    ) -> Result<Vec<u128>, EncodeError> {
        self.0.fetch_add(n as u64, Ordering::SeqCst);
        CpuBackend.encode_lanes(ek, p, lane0, n)
    }
    fn slow_rounds(&self, i: &[u128], r: u32, c: &AtomicBool) -> Result<Vec<u128>, Cancelled> {
        CpuBackend.slow_rounds(i, r, c)
    }
    fn gemm(
        &self,
        seed: &loopin_pocps::merkle::Hash,
        shape: loopin_pocps::gemm::Shape,
        c: &AtomicBool,
    ) -> Result<Vec<loopin_pocps::merkle::Hash>, GemmFailed> {
        CpuBackend.gemm(seed, shape, c)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_reuses_p_from_disk_without_reencoding() {
    let dir = tempfile::tempdir().unwrap();
    let enc = Counting(AtomicU64::new(0));
    let r = storage::init(dir.path(), ek(6), &PARAMS, &enc, 1, &mut |_, _| true).unwrap();
    assert_eq!(enc.0.load(Ordering::SeqCst), PARAMS.lanes as u64);
    assert_eq!(r.encoded_lanes, PARAMS.lanes as u64);
    let dkey = storage::device_key(dir.path()).unwrap();
    let v = key(6);

    // First run.
    let s = ProverState::from_loaded(storage::load(dir.path()).unwrap(), dkey.clone());
    let c = s.commitment.clone();
    let server = spawn(
        s,
        gate(&[&v], 10.0, 10.0),
        Limits::default(),
        Metrics::new(),
    )
    .await;
    assert_eq!(
        verifier(6)
            .challenge(&target(&server, &c), &spec(5_000))
            .await
            .outcome,
        Outcome::Pass
    );
    server.stop().await;

    // Restart: init again is a no-op, load never encodes, the device key and commitment are the same.
    let r2 = storage::init(dir.path(), ek(6), &PARAMS, &enc, 1, &mut |_, _| true).unwrap();
    assert_eq!(
        (r2.encoded_lanes, r2.reused_lanes),
        (0, PARAMS.lanes as u64)
    );
    assert_eq!(r2.root, r.root);
    assert_eq!(
        enc.0.load(Ordering::SeqCst),
        PARAMS.lanes as u64,
        "re-encoded"
    );
    let dkey2 = storage::device_key(dir.path()).unwrap();
    assert_eq!(dkey2.to_bytes(), dkey.to_bytes());
    let s = ProverState::from_loaded(storage::load(dir.path()).unwrap(), dkey2);
    assert_eq!(s.commitment, c);
    let server = spawn(
        s,
        gate(&[&v], 10.0, 10.0),
        Limits::default(),
        Metrics::new(),
    )
    .await;
    assert_eq!(
        verifier(6)
            .challenge(&target(&server, &c), &spec(5_000))
            .await
            .outcome,
        Outcome::Pass
    );
    assert_eq!(
        enc.0.load(Ordering::SeqCst),
        PARAMS.lanes as u64,
        "re-encoded"
    );
    server.stop().await;
}

/// A prover that commits its chain in time and then never opens it (here: its sessions expire at
/// once, as if it dropped them) must not escape: it has not answered, so the verdict is a
/// lateness attestation with no latency, which the registry counts towards the quorum that
/// invalidates. Off chain only, it would be a failure nobody can submit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prover_that_commits_and_never_opens_is_attested_as_not_answering() {
    let limits = Limits {
        session_ttl_ms: 0,
        ..Limits::default()
    };
    let (_dir, server, commitment) = honest_prover(6, &[&key(6)], limits).await;
    let verdict = verifier(6)
        .challenge(&target(&server, &commitment), &spec(5_000))
        .await;
    assert_eq!(verdict.outcome, Outcome::Late, "{:?}", verdict.reason);
    assert!(verdict.final_state.is_some() && verdict.timed_signature.is_some());
    assert!(matches!(
        registry_verdict(&verdict, &commitment).expect("submittable"),
        OnChain::Late {
            latency_ms: None,
            ..
        }
    ));
    server.stop().await;
}

/// Keeps the leaves a round will open and forges every other block.
struct ForgesAllBut {
    blocks: Vec<u128>,
    kept_leaves: Vec<u64>,
    blocks_per_leaf: u64,
}

impl loopin_prover::state::BlockSource for ForgesAllBut {
    fn name(&self) -> &'static str {
        "forges-all-but-the-round-leaves"
    }
    fn block(&self, pos: u64) -> u128 {
        let b = self.blocks[pos as usize];
        if self.kept_leaves.contains(&(pos / self.blocks_per_leaf)) {
            b
        } else {
            b ^ 1
        }
    }
    fn len(&self) -> u64 {
        self.blocks.len() as u64
    }
}

/// A cheater that forges its timed reads but keeps (or regenerates, untimed, in phase 2) the k
/// leaves the round opens: its round proof is sound, so no bad-proof claim can name a block. It
/// gave no valid answer all the same, so the record is a lateness attestation with no latency,
/// not a failure nobody can submit; so is a failure whose record has no round proof at all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cheater_with_a_sound_round_proof_and_forged_reads_is_attested_as_not_answering() {
    let dir = tempfile::tempdir().unwrap();
    let loaded = init_and_load(dir.path(), 7);
    let params = loaded.prover.params;
    let mut s = spec(5_000);
    s.throughput = None;
    s.secret = Some([0x7e; 32]);
    let seed = loopin_pocps::challenge::round_seed(&[0x7e; 32], &s.randomness, 0, &[0u8; 32]);
    let source = ForgesAllBut {
        blocks: loaded.prover.blocks.clone(),
        kept_leaves: loopin_pocps::challenge::indices(&seed, s.openings, params.leaves()),
        blocks_per_leaf: params.blocks_per_leaf as u64,
    };
    let state = ProverState::new(
        params,
        loaded.ek,
        loaded.prover.tree.clone(),
        Box::new(source),
        key(107),
    );
    let commitment = state.commitment.clone();
    let v = key(7);
    let server = spawn(
        state,
        gate(&[&v], 10.0, 10.0),
        Limits::default(),
        Metrics::new(),
    )
    .await;
    let verdict = verifier(7)
        .challenge(&target(&server, &commitment), &s)
        .await;
    assert_eq!(verdict.outcome, Outcome::Fail, "{:?}", verdict.reason);
    assert!(
        verdict.reason.as_deref().unwrap_or("").contains("read"),
        "{:?}",
        verdict.reason
    );
    assert!(verdict.round_proof.is_some(), "the round proof is sound");
    assert!(matches!(
        registry_verdict(&verdict, &commitment).expect("submittable"),
        OnChain::Late {
            latency_ms: None,
            ..
        }
    ));
    let without_round = Verdict {
        round_proof: None,
        ..verdict
    };
    assert!(matches!(
        registry_verdict(&without_round, &commitment).expect("submittable"),
        OnChain::Late {
            latency_ms: None,
            ..
        }
    ));
    server.stop().await;
}

/// The zero-hardware miner's other answers: refusing every challenge as "not assigned" (it
/// never reads the chain), or being unreachable. The first refusal is forgiven once (an honest
/// prover may not have polled its assignments yet); the second, a round later, and an
/// unreachable prover are no answer: a lateness attestation with no latency.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusing_every_challenge_or_being_unreachable_is_no_answer() {
    use loopin_prover::onchain::{Submission, submission};
    // The gate knows no verifier: every challenge is refused as not assigned.
    let (_dir, server, commitment) = honest_prover(8, &[], Limits::default()).await;
    let refused = verifier(8)
        .challenge(&target(&server, &commitment), &spec(5_000))
        .await;
    assert_eq!(refused.outcome, Outcome::Error, "{:?}", refused.reason);
    assert_eq!(submission(&refused, &commitment, false), Submission::Retry);
    assert!(matches!(
        submission(&refused, &commitment, true),
        Submission::Submit(OnChain::Late {
            latency_ms: None,
            ..
        })
    ));
    let url = server.url();
    server.stop().await;
    let gone = verifier(8)
        .challenge(
            &loopin_prover::verifier::Target::new(&url, commitment.clone()).unwrap(),
            &spec(5_000),
        )
        .await;
    assert_eq!(gone.outcome, Outcome::Error, "{:?}", gone.reason);
    assert!(matches!(
        submission(&gone, &commitment, false),
        Submission::Submit(OnChain::Late {
            latency_ms: None,
            ..
        })
    ));
}
