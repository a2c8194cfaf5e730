//! Analysis only (not used by prove/verify): the attackers of the attack suite, the serial slow
//! Sloth rounds each puts on the chain's critical path, the deadline model, and the bound on an
//! attacker's chance per challenge.

use crate::encode::{Params, block_input, encode_block};
use crate::merkle::Hash;
use crate::proof::{Prover, position_place};
use crate::timed::{chain, next_state, position};
use sha2::{Digest, Sha256};

/// Where a prover (honest or not) gets a block from, and what it costs.
pub trait BlockSource {
    /// Block at global position `pos` and the serial slow rounds spent to produce it.
    fn read(&mut self, pos: u64) -> (u128, u64);
}

/// Whether the attackers that keep a fraction `f` of P keep the block at `pos`: a fixed, evenly
/// spread subset (the golden-ratio sequence), the same for every attacker.
pub fn kept(pos: u64, f: f64) -> bool {
    ((pos + 1) as f64 * 0.618_033_988_749_895).fract() < f
}

/// Honest: P resident, every read free of slow rounds.
pub struct Honest<'a>(pub &'a Prover);

impl BlockSource for Honest<'_> {
    fn read(&mut self, pos: u64) -> (u128, u64) {
        (self.0.blocks[pos as usize], 0)
    }
}

/// Keeps a fraction `f` of the blocks and regenerates any other when the chain reads it: r
/// serial slow rounds each (blocks are independent, so none costs more and none less).
/// `f = 0` is regeneration on demand from ek alone.
pub struct Partial<'a> {
    /// Source of the kept blocks (the others are never read from it).
    pub p: &'a Prover,
    /// ek, from which missing blocks are regenerated.
    pub ek: u128,
    /// Fraction of blocks kept.
    pub f: f64,
}

impl BlockSource for Partial<'_> {
    fn read(&mut self, pos: u64) -> (u128, u64) {
        if kept(pos, self.f) {
            return (self.p.blocks[pos as usize], 0);
        }
        let pr = &self.p.params;
        let (lane, i) = position_place(pr, pos);
        (
            encode_block(block_input(self.ek, lane, i), pr.rounds),
            pr.rounds as u64,
        )
    }
}

/// Keeps a fraction `f` of the blocks and answers the others with a forged value (free).
pub struct Discard<'a> {
    /// Source of the kept blocks.
    pub p: &'a Prover,
    /// Fraction of blocks kept.
    pub f: f64,
}

impl BlockSource for Discard<'_> {
    fn read(&mut self, pos: u64) -> (u128, u64) {
        if kept(pos, self.f) {
            (self.p.blocks[pos as usize], 0)
        } else {
            (pos as u128 ^ 0x5a5a, 0)
        }
    }
}

/// Phase 1 of a timed challenge as some prover ran it.
pub struct Run {
    /// Transcript of the chain.
    pub transcript: Vec<u128>,
    /// Final chain state.
    pub final_state: Hash,
    /// Serial slow rounds on the critical path (the chain is sequential, so they add up).
    pub serial_rounds: u64,
    /// Reads answered with a value that is not the block at their position.
    pub forged: u32,
    /// SHA-256 evaluations spent choosing forged values (the steering attacker's grinding).
    pub grind_hashes: u64,
}

/// Run phase 1 (the timed chain of `rounds` reads) reading blocks from `src`; `truth` is used only
/// to count the reads that are not the real block.
pub fn run_timed(src: &mut dyn BlockSource, truth: &Prover, seed: &Hash, rounds: u32) -> Run {
    let (mut serial, mut forged) = (0u64, 0u32);
    let (transcript, final_state) = chain(seed, rounds, truth.blocks.len() as u64, |q| {
        let (b, cost) = src.read(q);
        serial += cost;
        forged += u32::from(Some(&b) != truth.blocks.get(q as usize));
        Some(b)
    })
    .unwrap_or_default();
    Run {
        transcript,
        final_state,
        serial_rounds: serial,
        forged,
        grind_hashes: 0,
    }
}

/// The grinding-and-steering attacker: keeps a fraction `f` of the blocks and, at each read of a
/// missing one, forges a value chosen among up to `tries` candidates so that the next
/// `lookahead` reads land in kept blocks (the first candidate that does, else the one with the
/// longest run). Against the Fiat-Shamir spot rounds of before, steering cut the forged reads a
/// spot check could land on; here every read is checked, so it can only cut how many it forges.
pub fn run_steering(
    p: &Prover,
    f: f64,
    seed: &Hash,
    rounds: u32,
    lookahead: u32,
    tries: u32,
) -> Run {
    let total = p.blocks.len() as u64;
    let mut st = *seed;
    let mut tr = Vec::with_capacity(rounds as usize);
    let (mut forged, mut hashes) = (0u32, 0u64);
    for _ in 0..rounds {
        let q = position(&st, total);
        let b = if kept(q, f) {
            p.blocks[q as usize]
        } else {
            forged += 1;
            let (mut best, mut best_run) = (0u128, 0u32);
            for t in 0..tries {
                let cand = candidate(&st, t);
                let mut s2 = next_state(&st, cand);
                hashes += 2;
                let mut run = 0;
                while run < lookahead {
                    let q2 = position(&s2, total);
                    if !kept(q2, f) {
                        break;
                    }
                    s2 = next_state(&s2, p.blocks[q2 as usize]);
                    hashes += 1;
                    run += 1;
                }
                if run >= best_run {
                    (best, best_run) = (cand, run);
                }
                if run == lookahead {
                    break;
                }
            }
            best
        };
        tr.push(b);
        st = next_state(&st, b);
    }
    Run {
        transcript: tr,
        final_state: st,
        serial_rounds: 0,
        forged,
        grind_hashes: hashes,
    }
}

fn candidate(state: &Hash, t: u32) -> u128 {
    let h: Hash = Sha256::new()
        .chain_update(b"forge")
        .chain_update(state)
        .chain_update(t.to_le_bytes())
        .finalize()
        .into();
    u128::from_le_bytes(h[..16].try_into().unwrap_or([0; 16])) >> 2
}

/// Timing model of one timed challenge (all times in seconds).
#[derive(Clone, Copy, Debug)]
pub struct Model {
    /// Attacker's serial time of one slow Sloth round (fastest serial hardware).
    pub t_slow: f64,
    /// Honest time per chained round (random read of a block + one SHA-256).
    pub t_round: f64,
    /// Network round trip.
    pub rtt: f64,
    /// Extra fetch latency per round when P is not resident (0 otherwise).
    pub t_fetch: f64,
}

impl Model {
    /// Deadline D for `rounds` rounds: RTT + 3x the honest chain time + 5 ms for signing and jitter.
    pub fn deadline(&self, rounds: u32) -> f64 {
        self.rtt + 3.0 * rounds as f64 * self.t_round + 0.005
    }
    /// Honest response time.
    pub fn honest(&self, rounds: u32) -> f64 {
        self.rtt + rounds as f64 * self.t_round
    }
    /// Attacker response time given its serial slow rounds.
    pub fn attacker(&self, rounds: u32, serial_rounds: u64) -> f64 {
        self.honest(rounds) + serial_rounds as f64 * self.t_slow + rounds as f64 * self.t_fetch
    }
    /// Most missing blocks an attacker can regenerate on the chain and still meet D.
    pub fn affordable_regenerations(&self, p: &Params, rounds: u32) -> u64 {
        let slack = self.deadline(rounds) - self.attacker(rounds, 0);
        (slack.max(0.0) / (p.rounds as f64 * self.t_slow)).floor() as u64
    }
}

/// Expected serial slow rounds of the chain for an attacker keeping a fraction `f` of P.
pub fn expected_serial_rounds(p: &Params, rounds: u32, f: f64) -> f64 {
    rounds as f64 * (1.0 - f) * p.rounds as f64
}

/// log10 of an upper bound on P[X ≤ k] for X ~ Binomial(n, q) (Chernoff:
/// exp(−n·KL(k/n ‖ q)) for k < n·q, exact for k = 0; 0 when k ≥ n·q).
pub fn log10_binomial_lower_tail(n: u32, q: f64, k: u64) -> f64 {
    let n_f = n as f64;
    let a = k as f64 / n_f;
    if a >= q {
        return 0.0;
    }
    let term = |x: f64, y: f64| if x == 0.0 { 0.0 } else { x * (x / y).ln() };
    let kl = term(a, q) + term(1.0 - a, 1.0 - q);
    -n_f * kl / std::f64::consts::LN_10
}

/// log10 of the bound on the chance that an attacker keeping a fraction `f` of P passes one
/// timed challenge: every read it forges is rejected, so it must regenerate every missing block
/// its chain reads, and it passes only if at most `model.affordable_regenerations` of the R
/// reads miss (positions are uniform: each misses with probability 1 − f).
pub fn log10_pass_bound(model: &Model, set: &TimedSet, f: f64) -> f64 {
    log10_binomial_lower_tail(
        set.rounds,
        1.0 - f,
        model.affordable_regenerations(&set.params, set.rounds),
    )
}

/// A documented parameter set for the timed challenge.
#[derive(Clone, Copy, Debug)]
pub struct TimedSet {
    /// Name.
    pub name: &'static str,
    /// Encoding parameters.
    pub params: Params,
    /// Chained rounds R.
    pub rounds: u32,
    /// Spot openings s (phase 2).
    pub spots: u32,
}

/// Production set for a 80 GiB-class GPU (H100): P = 2^32 blocks = 64 GiB, r = 1000 Sloth
/// rounds per block, 1 KiB leaves, R = 200 000 chained reads (what keeps f = 0.99 bounded with a
/// deadline that allows 200 ms of measured round trip: docs/pocps.md, "RTT allowance"), s = 128
/// spot openings.
pub const PRODUCTION_80G: TimedSet = TimedSet {
    name: "production-80g",
    params: Params {
        lanes: 1 << 17,
        blocks_per_lane: 1 << 15,
        rounds: 1000,
        blocks_per_leaf: 64,
    },
    rounds: 200_000,
    spots: 128,
};

/// Production set for a 24 GiB-class GPU: P = 2^30 blocks = 16 GiB.
pub const PRODUCTION_24G: TimedSet = TimedSet {
    name: "production-24g",
    params: Params {
        lanes: 1 << 15,
        blocks_per_lane: 1 << 15,
        rounds: 1000,
        blocks_per_leaf: 64,
    },
    rounds: 200_000,
    spots: 128,
};

/// Test set (CI).
pub const TEST: TimedSet = TimedSet {
    name: "test",
    params: Params::TEST,
    rounds: 256,
    spots: 128,
};
