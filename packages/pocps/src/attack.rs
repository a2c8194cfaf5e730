//! Analysis only (not used by prove/verify): the attackers of the attack suite as block sources
//! that count the serial slow Sloth rounds on their critical path, and the deadline model.

use crate::encode::{Params, block_input, encode_block, lane_seed};
use crate::merkle::Hash;
use crate::proof::{Opening, Prover};
use crate::timed::{next_state, position, spot_rounds};

/// Where a prover (honest or not) gets a block from, and what it costs.
pub trait BlockSource {
    /// Block at global position `pos` and the serial slow rounds spent to produce it.
    fn read(&mut self, pos: u64) -> (u128, u64);
}

/// Honest: P resident, every read free of slow rounds.
pub struct Honest<'a>(pub &'a Prover);

impl BlockSource for Honest<'_> {
    fn read(&mut self, pos: u64) -> (u128, u64) {
        (self.0.blocks[pos as usize], 0)
    }
}

/// Keeps every `c`-th block of each lane (c = blocks_per_lane: keeps only ek, i.e. regeneration
/// on demand) and regenerates the others from the nearest checkpoint at or before them.
pub struct Checkpoint<'a> {
    /// The full P is used only as the checkpoint store: blocks off the grid are never read.
    pub p: &'a Prover,
    /// ek, needed to regenerate lane starts.
    pub ek: u128,
    /// Checkpoint spacing in blocks.
    pub c: u32,
}

impl BlockSource for Checkpoint<'_> {
    fn read(&mut self, pos: u64) -> (u128, u64) {
        let pr = &self.p.params;
        let lane = (pos / pr.blocks_per_lane as u64) as u32;
        let i = (pos % pr.blocks_per_lane as u64) as u32;
        let keeps_none = self.c >= pr.blocks_per_lane;
        if !keeps_none && i.is_multiple_of(self.c) {
            return (self.p.blocks[pos as usize], 0);
        }
        // Regenerate from the checkpoint before i (or from the lane seed when nothing is kept).
        let (mut prev, start) = if keeps_none {
            (lane_seed(self.ek, lane), 0)
        } else {
            (
                self.p.blocks[(pos - (i % self.c) as u64) as usize],
                i - i % self.c + 1,
            )
        };
        for j in start..=i {
            prev = encode_block(block_input(self.ek, prev, lane, j), pr.rounds);
        }
        (prev, (i + 1 - start) as u64 * pr.rounds as u64)
    }
}

/// Discards a fraction 1 - f of leaves for good and answers them with a forged block (free).
pub struct Discard<'a> {
    /// Source of the kept leaves.
    pub p: &'a Prover,
    /// Fraction of leaves kept.
    pub f: f64,
}

impl BlockSource for Discard<'_> {
    fn read(&mut self, pos: u64) -> (u128, u64) {
        let leaf = pos / self.p.params.blocks_per_leaf as u64;
        // A fixed, evenly spread subset holding a fraction f of the leaves is kept.
        let u = ((leaf + 1) as f64 * 0.618_033_988_749_895).fract();
        if u < self.f {
            (self.p.blocks[pos as usize], 0)
        } else {
            (pos as u128 ^ 0x5a5a, 0)
        }
    }
}

/// Result of running the timed chain with some source.
pub struct Run {
    /// Transcript of the chain.
    pub transcript: Vec<u128>,
    /// Spot openings (built from the source's view of each leaf).
    pub openings: Vec<Opening>,
    /// Final chain state.
    pub final_state: Hash,
    /// Serial slow rounds on the critical path: summed over the chain (sequential), plus the
    /// largest single leaf regeneration for the openings (they are regenerated in parallel).
    pub serial_rounds: u64,
}

/// Run the timed chain of `rounds` rounds with `s` spot checks, reading blocks from `src`.
pub fn run_timed(
    src: &mut dyn BlockSource,
    p: &Params,
    tree_paths: &Prover,
    seed: &Hash,
    rounds: u32,
    s: u32,
) -> Run {
    let total = p.leaves() * p.blocks_per_leaf as u64;
    let mut st = *seed;
    let mut tr = Vec::with_capacity(rounds as usize);
    let mut pos = Vec::with_capacity(rounds as usize);
    let mut serial = 0u64;
    for _ in 0..rounds {
        let q = position(&st, total);
        let (b, cost) = src.read(q);
        serial += cost;
        tr.push(b);
        pos.push(q);
        st = next_state(&st, b);
    }
    let m = p.blocks_per_leaf as u64;
    let mut worst = 0u64;
    let openings = spot_rounds(&st, tr.len(), s)
        .into_iter()
        .map(|r| {
            let leaf = pos[r] / m;
            let mut leaf_cost = 0;
            let blocks = (leaf * m..(leaf + 1) * m)
                .map(|q| {
                    let (b, c) = src.read(q);
                    leaf_cost = leaf_cost.max(c);
                    b
                })
                .collect();
            worst = worst.max(leaf_cost);
            Opening {
                index: leaf,
                blocks,
                path: tree_paths.tree.path(leaf as usize),
            }
        })
        .collect();
    Run {
        transcript: tr,
        openings,
        final_state: st,
        serial_rounds: serial + worst,
    }
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
}

/// Expected serial slow rounds of the chain for a checkpoint spacing `c` (c = blocks_per_lane:
/// regeneration on demand from ek), over `rounds` uniformly placed reads.
pub fn expected_serial_rounds(p: &Params, rounds: u32, c: u32) -> f64 {
    let per_read = if c >= p.blocks_per_lane {
        (p.blocks_per_lane as f64 + 1.0) / 2.0
    } else {
        (c as f64 - 1.0) / 2.0
    };
    rounds as f64 * per_read * p.rounds as f64
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
    /// Spot checks s.
    pub spots: u32,
}

/// Production set for a 80 GiB-class GPU (H100): P = 2^32 blocks = 64 GiB, r = 1000 Sloth
/// rounds per block, 1 KiB leaves, R = 20000 chained reads, s = 64 spot checks.
pub const PRODUCTION_80G: TimedSet = TimedSet {
    name: "production-80g",
    params: Params {
        lanes: 1 << 17,
        blocks_per_lane: 1 << 15,
        rounds: 1000,
        blocks_per_leaf: 64,
    },
    rounds: 20_000,
    spots: 64,
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
    rounds: 20_000,
    spots: 64,
};

/// Test set (CI).
pub const TEST: TimedSet = TimedSet {
    name: "test",
    params: Params::TEST,
    rounds: 256,
    spots: 32,
};
