//! Criterion benches: Sloth/encoding throughput, prove latency, verify latency; prints proof size.
use criterion::{Criterion, criterion_group, criterion_main};
use k256::ecdsa::SigningKey;
use loopin_pocps::challenge::round_seed;
use loopin_pocps::encode::{CpuEncoder, Encoder, Params, derive_ek, encode_lane};
use loopin_pocps::field::{sloth_fast, sloth_slow};
use loopin_pocps::proof::*;
use loopin_pocps::sig::{K256Verifier, k256_sign};
use std::hint::black_box;

#[path = "pocps/sloth.rs"]
mod sloth;

fn benches(c: &mut Criterion) {
    sloth::benches(c);
    c.bench_function("sloth_slow (1 round)", |b| {
        b.iter(|| sloth_slow(black_box(123456789)))
    });
    c.bench_function("sloth_fast (1 round)", |b| {
        b.iter(|| sloth_fast(black_box(123456789)))
    });
    let params = Params::TEST;
    let ek = derive_ek(b"fp", "m", "p", b"r");
    c.bench_function("encode lane (256 blocks x 4 rounds)", |b| {
        b.iter(|| encode_lane(ek, 0, &params))
    });
    let prover = Prover::new(CpuEncoder.encode(ek, &params), params);
    let key = SigningKey::from_slice(&[7u8; 32]).unwrap();
    let com = Commitment {
        params,
        root: prover.tree.root(),
        ek,
        pubkey: loopin_pocps::sig::k256_pubkey(&key),
    };
    let seed = round_seed(&[1; 32], b"r", 0, &[0; 32]);
    let k = 8;
    let prove = || {
        let openings = prover.open(&seed, k);
        let signature = k256_sign(&key, &round_message(&com, &seed, &openings));
        RoundProof {
            openings,
            signature,
        }
    };
    c.bench_function("prove round (k=8)", |b| b.iter(prove));
    let proof = prove();
    c.bench_function("verify_round (k=8)", |b| {
        b.iter(|| verify_round(&com, &seed, k, &proof, &K256Verifier))
    });
    let size: usize = proof
        .openings
        .iter()
        .map(|o| 8 + 16 * o.blocks.len() + 32 * o.path.len())
        .sum::<usize>()
        + 64;
    println!("proof size (k=8, test params): {size} bytes");
    // Timed challenge at test parameters (R = 256, s = 128): both phases checked.
    use loopin_pocps::timed::*;
    let set = loopin_pocps::attack::TEST;
    let terms = TimedTerms {
        seed,
        rounds: set.rounds,
        spots: set.spots,
    };
    let nonce = [9u8; 32];
    let (transcript, fin) = run_chain(&prover, &seed, set.rounds);
    let commit = TimedCommit {
        final_state: fin,
        signature: k256_sign(&key, &timed_message(&com, &seed, &fin)),
    };
    let reveal = TimedReveal {
        openings: open_spots(&prover, &seed, &transcript, &nonce, set.spots),
        transcript,
    };
    c.bench_function("verify_timed (test: R=256, s=128)", |b| {
        b.iter(|| verify_timed(&com, &terms, &commit, &nonce, &reveal, &K256Verifier))
    });
    // Production cost driver of verification: one 1 KiB leaf decoded at r = 1000.
    let leaf: Vec<u128> = (0..64u128).collect();
    c.bench_function("decode one leaf (64 blocks, r=1000)", |b| {
        b.iter(|| {
            leaf.iter()
                .map(|x| loopin_pocps::encode::decode_block(black_box(*x), 1000))
                .fold(0u128, |a, y| a ^ y)
        })
    });
}

criterion_group!(g, benches);
criterion_main!(g);
