//! A class's GEMM throughput challenge (`PoolParams::gemm`): its shape, deadline and sweeps,
//! and the bounds governance may set them in.

use cosmwasm_schema::cw_serde;

/// A class's GEMM throughput challenge: int8 A (m × k) times B (k × n), the rows of C committed
/// and `rows` of them opened, the root due within `deadline_ms` plus one measured round trip (at
/// most `registry::MAX_THROUGHPUT_RTT_MS`). Set so that the class's cards meet the deadline and
/// the next class down cannot (`crate::gpu_classes`).
#[cw_serde]
#[derive(Copy, Eq)]
pub struct GemmClass {
    pub m: u32,
    pub k: u32,
    pub n: u32,
    /// Rows of C the verifier opens and checks (Freivalds): a prover that computed a fraction
    /// g of the rows passes with probability about g^rows. At least [`MIN_GEMM_ROWS`].
    pub rows: u32,
    /// Time the device has from the request to the signed root, at zero round trip (ms).
    pub deadline_ms: u64,
    /// The class's sweep period, in seconds: every device of the class is asked its GEMM once
    /// per window of this length, by a verifier the beacon draws for it, at the window's start
    /// (`registry::ExecuteMsg::DrawSweep`), so one card cannot answer for several identities in
    /// turn; only these sweeps prove the class's epochs, and other challenges of its devices
    /// carry no GEMM. The windows' cadence is the class's challenge rate. 0 (and parameters
    /// written before it): no sweeps, the GEMM is asked with every challenge and any pass
    /// proves the epoch. Otherwise exactly `epoch_seconds`, with `min_passes_per_epoch` 1: one
    /// sweep per epoch, which proves it (a sweep counts in the epoch its window starts in).
    /// The registry refuses to register a device when it is shorter than its draw rounds
    /// and response time.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub sweep_seconds: u64,
    /// The class's failure threshold: sweeps in a row a device may fail (its drawn verifier
    /// found it late, or got no answer) before it is accused, as a lateness quorum accuses
    /// (its owner may appeal; a freshly drawn quorum asks it again, GEMM included). A passed
    /// sweep starts the count again; a sweep its verifier skipped does not count. 2 to
    /// [`MAX_MISSED_SWEEPS`] when the class sweeps; ignored when it does not.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub max_missed_sweeps: u32,
}

/// Whether a number is zero: fields added later are left out of messages while unset, so
/// readers built before them still parse what they read (kept in packed state, which needs
/// every field: `loopin_packed`).
pub fn is_zero<T: Default + PartialEq>(n: &T) -> bool {
    loopin_packed::is_default_outside_packed(n)
}

/// Largest failure threshold a swept class may set.
pub const MAX_MISSED_SWEEPS: u32 = 32;

/// Fewest rows a class's GEMM challenge opens: computing 90 % of C passes 64 rows with
/// probability 0.9^64 ≈ 1.2e-3 per challenge, and saves only a tenth of the work.
pub const MIN_GEMM_ROWS: u32 = 64;
/// Most rows a challenge opens (what a prover answers in one ThroughputOpen).
pub const MAX_GEMM_ROWS: u32 = 256;
/// Largest B (k × n bytes) a class may ask: what a prover holds by default
/// (`max_gemm_b_bytes`), so no class asks what every default prover refuses.
pub const MAX_GEMM_B_BYTES: u64 = 1 << 30;
/// Longest GEMM deadline a class may set: a minute.
pub const MAX_GEMM_DEADLINE_MS: u64 = 60_000;

impl GemmClass {
    /// Whether a challenge carries this GEMM: a sweep's always; when the class sweeps, only a
    /// sweep's or an appeal's (an appeal re-asks what accused the device); else every one.
    pub fn asked_in(&self, sweep: bool, appeal: bool) -> bool {
        self.sweep_seconds == 0 || sweep || appeal
    }

    /// The shape of the product.
    pub fn shape(&self) -> loopin_pocps::gemm::Shape {
        loopin_pocps::gemm::Shape {
            m: self.m,
            k: self.k,
            n: self.n,
        }
    }

    /// Refuses a challenge no prover answers or a verifier checks in bounds, and sweeps that
    /// are not once per epoch of `epoch_seconds` proving it alone; the reason, for
    /// `ParamsError::GemmOutOfRange`.
    pub fn check(
        &self,
        epoch_seconds: u64,
        min_passes_per_epoch: u32,
    ) -> Result<(), GemmClassError> {
        self.shape().check()?;
        if !(MIN_GEMM_ROWS..=MAX_GEMM_ROWS).contains(&self.rows) || self.rows > self.m {
            return Err(GemmClassError::Rows { rows: self.rows });
        }
        if self.shape().bt_bytes() > MAX_GEMM_B_BYTES {
            return Err(GemmClassError::BTooLarge {
                bytes: self.shape().bt_bytes(),
            });
        }
        if self.deadline_ms == 0 || self.deadline_ms > MAX_GEMM_DEADLINE_MS {
            return Err(GemmClassError::Deadline {
                deadline_ms: self.deadline_ms,
            });
        }
        // One sweep per epoch, and it proves the epoch: with two, one card could pass one
        // identity's sweep in the first and another's in the second, and both epochs would
        // be proven (the pool counts one pass per verifier, so two passes could not be
        // asked either).
        if self.sweep_seconds > 0
            && (self.sweep_seconds != epoch_seconds || min_passes_per_epoch != 1)
        {
            return Err(GemmClassError::SweepsNotPerEpoch {
                sweep_seconds: self.sweep_seconds,
                epoch_seconds,
                min_passes_per_epoch,
            });
        }
        if self.sweep_seconds > 0 && !(2..=MAX_MISSED_SWEEPS).contains(&self.max_missed_sweeps) {
            return Err(GemmClassError::MissedSweeps {
                missed: self.max_missed_sweeps,
            });
        }
        Ok(())
    }
}

/// Why a class's GEMM challenge is refused (`GemmClass::check`).
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
pub enum GemmClassError {
    /// A shape no prover answers or verifier checks.
    #[error(transparent)]
    Shape(#[from] loopin_pocps::gemm::GemmError),
    #[error(
        "rows {rows} must be in {}..={} and at most m",
        MIN_GEMM_ROWS,
        MAX_GEMM_ROWS
    )]
    Rows { rows: u32 },
    #[error("B of {bytes} bytes: at most {}", MAX_GEMM_B_BYTES)]
    BTooLarge { bytes: u64 },
    #[error("deadline {deadline_ms} ms: 1..={}", MAX_GEMM_DEADLINE_MS)]
    Deadline { deadline_ms: u64 },
    #[error(
        "sweeps every {sweep_seconds} s: one per {epoch_seconds} s epoch, proving it alone (min_passes_per_epoch 1, not {min_passes_per_epoch})"
    )]
    SweepsNotPerEpoch {
        sweep_seconds: u64,
        epoch_seconds: u64,
        min_passes_per_epoch: u32,
    },
    #[error(
        "{missed} missed sweeps before an accusation: 2..={} (one drawn verifier's word never accuses)",
        MAX_MISSED_SWEEPS
    )]
    MissedSweeps { missed: u32 },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pool::tests::params;
    use crate::pool::{ParamsError, PoolParams};

    #[test]
    fn a_class_gemm_challenge_is_checked() {
        let gemm = GemmClass {
            m: 1024,
            k: 256,
            n: 256,
            rows: MIN_GEMM_ROWS,
            deadline_ms: 1_000,
            sweep_seconds: 0,
            max_missed_sweeps: 0,
        };
        let with = |g: GemmClass| PoolParams {
            gemm: Some(g),
            ..params(100)
        };
        assert_eq!(with(gemm).validate(), Ok(()));
        for bad in [
            GemmClass { k: 0, ..gemm },
            GemmClass {
                k: loopin_pocps::gemm::MAX_INNER + 1,
                ..gemm
            },
            GemmClass {
                rows: MIN_GEMM_ROWS - 1,
                ..gemm
            },
            GemmClass {
                rows: MAX_GEMM_ROWS + 1,
                ..gemm
            },
            GemmClass { m: 32, ..gemm },
            GemmClass {
                deadline_ms: 0,
                ..gemm
            },
            GemmClass {
                deadline_ms: MAX_GEMM_DEADLINE_MS + 1,
                ..gemm
            },
            // 65536 x 65536: 4 GiB of B, more than a default prover holds.
            GemmClass {
                k: 1 << 16,
                n: 1 << 16,
                ..gemm
            },
        ] {
            assert!(
                matches!(
                    with(bad).validate(),
                    Err(ParamsError::GemmOutOfRange { .. })
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn a_class_sweeps_once_per_epoch_and_proves_it_with_that_sweep_alone() {
        let gemm = GemmClass {
            m: 1024,
            k: 256,
            n: 256,
            rows: MIN_GEMM_ROWS,
            deadline_ms: 1_000,
            sweep_seconds: 0,
            max_missed_sweeps: 0,
        };
        // One sweep per one-hour epoch, proving it alone.
        let with = |sweep_seconds: u64, min_passes_per_epoch: u32| PoolParams {
            gemm: Some(GemmClass {
                sweep_seconds,
                max_missed_sweeps: 3,
                ..gemm
            }),
            min_passes_per_epoch,
            ..params(100)
        };
        assert_eq!(with(3_600, 1).validate(), Ok(()));
        assert_eq!(with(0, 2).validate(), Ok(()));
        // Two sweeps an epoch (a card passing one identity's in each would prove two epochs),
        // two passes asked, or a window longer than the epoch.
        for (sweep, passes) in [(1_800, 1), (1_800, 2), (3_600, 2), (3_601, 1)] {
            assert!(
                matches!(
                    with(sweep, passes).validate(),
                    Err(ParamsError::GemmOutOfRange { .. })
                ),
                "sweeps every {sweep} s, {passes} passes"
            );
        }
        // A swept class sets its failure threshold.
        for missed in [0, 1, MAX_MISSED_SWEEPS + 1] {
            let mut p = with(3_600, 1);
            p.gemm.as_mut().unwrap().max_missed_sweeps = missed;
            assert!(
                matches!(p.validate(), Err(ParamsError::GemmOutOfRange { .. })),
                "{missed}"
            );
        }
    }
}
