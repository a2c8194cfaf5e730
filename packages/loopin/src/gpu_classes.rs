//! GEMM throughput challenges for GPU classes, from published int8 rates (docs/pocps.md, "The
//! GEMM throughput challenge"). What governance starts from when it opens a class's pool; the
//! figures are the vendors' dense (no sparsity) int8 tensor rates, not measurements here, and are
//! to be re-fitted from `scripts/gpu-check.sh` runs on each card.
//!
//! Each class's deadline sets a *required rate*, 2·m·k·n operations over the deadline: above
//! the peak of every card listed below it (so the next class down cannot meet it even at 100 %
//! of its peak), and a fraction of the class's own peak that an int8 tensor-core GEMM reaches
//! (cuBLAS and CUTLASS report 70 to 80 % on large shapes). What it cannot separate is written
//! beside it.

use crate::pool::GemmClass;
use crate::registry::MAX_THROUGHPUT_RTT_MS;

/// A GPU class's throughput challenge and the figures it was set from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GpuClass {
    /// The pool's class name.
    pub name: &'static str,
    /// The card it is for.
    pub card: &'static str,
    /// The card's published dense int8 tensor rate, TOPS.
    pub peak_tops: u32,
    /// The challenge.
    pub gemm: GemmClass,
    /// What a card or server must reach to meet it and what it therefore cannot tell apart.
    pub note: &'static str,
}

impl GpuClass {
    /// Operations (2 per multiply-add) over the deadline, in TOPS (rounded down).
    pub fn required_tops(&self) -> u64 {
        self.tops_within(self.gemm.deadline_ms)
    }

    /// What a prover needs when the deadline carries the most round-trip allowance a verifier
    /// can be made to grant ([`MAX_THROUGHPUT_RTT_MS`]): a prover that slows the probes gets it.
    pub fn required_tops_at_most_allowance(&self) -> u64 {
        self.tops_within(self.gemm.deadline_ms + MAX_THROUGHPUT_RTT_MS)
    }

    fn tops_within(&self, ms: u64) -> u64 {
        2 * self.gemm.shape().work() / (ms * 1_000_000_000)
    }
}

/// B is 16384 × 16384 (256 MiB of int8): the verifier generates it and computes B·r once per
/// challenge (about 1 s of one core), the prover holds it while it computes.
const SIDE: u32 = 16_384;

/// Rows opened: computing 90 % of C passes with probability 0.9^64 ≈ 1.2e-3.
const ROWS: u32 = 64;

/// One sweep an hour ([`GemmClass::sweep_seconds`]): the class's challenge rate, and what a
/// verifier spends, about 4 s of a core for each device of the h100 class it is drawn for.
const SWEEP_SECONDS: u64 = 3_600;

/// The classes, fastest first.
pub const CLASSES: &[GpuClass] = &[
    GpuClass {
        name: "h100",
        card: "NVIDIA H100 SXM5",
        peak_tops: 1979,
        // 2^21 × 16384 × 16384 × 2 = 1.13e15 operations in 1,250 ms: 900 TOPS, 45 % of the
        // card's peak; above an L40S (733), an RTX 4090 (661), an A100 (624) and a two-socket
        // AMX CPU server (about 460 peak).
        gemm: GemmClass {
            m: 1 << 21,
            k: SIDE,
            n: SIDE,
            rows: ROWS,
            deadline_ms: 1_250,
            sweep_seconds: SWEEP_SECONDS,
            max_missed_sweeps: 3,
        },
        note: "needs 900 TOPS: no other card listed and no CPU server meets it",
    },
    GpuClass {
        name: "a100",
        card: "NVIDIA A100 SXM4",
        peak_tops: 624,
        // 2^20 rows in 1,876 ms: 300 TOPS, 48 % of the card's peak; above an L4 (242).
        gemm: GemmClass {
            m: 1 << 20,
            k: SIDE,
            n: SIDE,
            rows: ROWS,
            deadline_ms: 1_876,
            sweep_seconds: SWEEP_SECONDS,
            max_missed_sweeps: 3,
        },
        note: "needs 300 TOPS: an L40S or RTX 4090 (faster at int8) meets it, and so may a \
               two-socket AMX CPU server reaching 65 % of its peak; the memory of the card is \
               not shown",
    },
    GpuClass {
        name: "l4",
        card: "NVIDIA L4",
        peak_tops: 242,
        // 2^19 rows in 2,345 ms: 120 TOPS, 50 % of the card's peak.
        gemm: GemmClass {
            m: 1 << 19,
            k: SIDE,
            n: SIDE,
            rows: ROWS,
            deadline_ms: 2_345,
            sweep_seconds: SWEEP_SECONDS,
            max_missed_sweeps: 3,
        },
        note: "needs 120 TOPS: a many-core AMX CPU server meets it, so this class proves an \
               int8 rate, not a GPU",
    },
];

/// A two-socket server of 56-core AMX CPUs at 2 GHz: 1024 int8 multiply-adds per core and cycle.
pub const AMX_SERVER_PEAK_TOPS: u32 = 459;

/// The class named `name`.
pub fn class(name: &str) -> Option<&'static GpuClass> {
    CLASSES.iter().find(|c| c.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_class_requires_more_than_the_peak_of_every_slower_card_even_with_the_rtt_allowance() {
        for (i, c) in CLASSES.iter().enumerate() {
            for slower in &CLASSES[i + 1..] {
                assert!(
                    c.required_tops_at_most_allowance() > u64::from(slower.peak_tops),
                    "{} requires {} TOPS with the allowance, {} peaks at {}",
                    c.name,
                    c.required_tops_at_most_allowance(),
                    slower.name,
                    slower.peak_tops
                );
            }
        }
        // The h100 class keeps out the L40S and the RTX 4090 (733 and 661 TOPS) too.
        assert!(class("h100").unwrap().required_tops_at_most_allowance() > 733);
    }

    #[test]
    fn every_class_asks_at_most_half_of_its_cards_peak() {
        for c in CLASSES {
            assert!(
                2 * c.required_tops() <= u64::from(c.peak_tops),
                "{}: {} TOPS of {}",
                c.name,
                c.required_tops(),
                c.peak_tops
            );
        }
    }

    #[test]
    fn the_h100_class_is_out_of_reach_of_a_cpu_server() {
        assert!(
            class("h100").unwrap().required_tops_at_most_allowance()
                > u64::from(AMX_SERVER_PEAK_TOPS)
        );
        // The A100 class is not: it says so.
        assert!(class("a100").unwrap().required_tops() < u64::from(AMX_SERVER_PEAK_TOPS));
        assert!(class("a100").unwrap().note.contains("AMX"));
    }

    #[test]
    fn every_class_is_a_valid_pool_parameter() {
        for c in CLASSES {
            let p = crate::pool::PoolParams {
                gemm: Some(c.gemm),
                epoch_seconds: 3_600,
                ..crate::pool::tests::params(100)
            };
            assert_eq!(p.validate(), Ok(()), "{}", c.name);
        }
    }
}
