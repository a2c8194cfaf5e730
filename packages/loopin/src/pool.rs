//! Parameters of a pool (one resource class) and the pair's instantiation message.

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Decimal, Uint128};
use loopin_pool_math::MathError;
use loopin_pool_math::economics::Economics;

mod gemm;
mod incentives;

pub use gemm::*;
pub use incentives::*;

/// Longest accepted resource-class name ("rtx4090", "h100", ...).
pub const MAX_CLASS_LEN: usize = 32;

/// Whether `class` is a valid resource-class name: 1 to 32 of `[a-z0-9-]`.
pub fn is_valid_class(class: &str) -> bool {
    !class.is_empty()
        && class.len() <= MAX_CLASS_LEN
        && class
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Economic and timing parameters of a resource class, set by governance in the factory.
#[cw_serde]
pub struct PoolParams {
    /// Staking fee, maintenance burn and reward rate (paper §5).
    pub economics: Economics,
    /// Exchange fee, burned, on every swap.
    pub exchange_fee: Decimal,
    /// Epoch length Δ in seconds (an hour on a real chain, seconds on the devnet).
    pub epoch_seconds: u64,
    /// Shortest stake in epochs; at least T_min rounded up to whole epochs (eq. 8).
    pub min_epochs: u64,
    /// Longest stake in epochs.
    pub max_epochs: u64,
    /// Maintenance deposit a seller leaves per unit of rate (LOOP); waived for providers.
    pub seller_deposit: Uint128,
    /// Epochs after a lease's epoch during which its client may dispute it. The serving
    /// miner's pay for an epoch is held until this window has closed (and while a dispute on
    /// one of its leases is open).
    #[serde(default)]
    pub dispute_epochs: u64,
    /// Smallest lease, in micro-hours: a device's lease slots per epoch cannot be filled with
    /// dust. State and configuration written before it read the default, 0.01 device-hour.
    #[serde(default = "default_min_lease_hours")]
    pub min_lease_hours: Uint128,
    /// Smallest stake, as a rate in device-hours per hour: no dust stake can hold a device's
    /// certificate (one per device) for a pittance. State and configuration written before it
    /// read the default, 0.1 (a seventh of a GPU, one MIG slice, is 0.14).
    #[serde(default = "default_min_rate")]
    pub min_rate: Decimal,
    /// Largest stake, as a rate in device-hours per hour: what one device of the class can
    /// supply (a device is one key, one PoCPS commitment, one certificate), so no stake declares
    /// hours, and earns rewards on hours, its device cannot have. State and configuration
    /// written before it read the default, 1.
    #[serde(default = "default_max_rate")]
    pub max_rate: Decimal,
    /// Smallest PoCPS encoding P a device of the class may commit to, in bytes (lanes × blocks
    /// per lane × 16): a device proves it holds P, so a tiny P proves nothing. The registry
    /// refuses a registration below it. State and configuration written before it read the
    /// default, 16 KiB (the test set); a real class sets what its cards hold.
    #[serde(default = "default_min_proof_bytes")]
    pub min_proof_bytes: u64,
    /// Fewest Sloth rounds per block r of the class's encoding: what regenerating one missing
    /// block costs. Default 4 (the test set).
    #[serde(default = "default_min_proof_rounds")]
    pub min_proof_rounds: u32,
    /// On-time, valid PoCPS passes of challenges assigned to a device during an epoch, each from
    /// a distinct verifier, that make the epoch *proven*: the class's challenge rate. Only proven epochs earn rewards, a
    /// seller's proceeds and the leases' pay; clients of an unproven epoch are refunded. 1 to
    /// [`MAX_PASSES_PER_EPOCH`]; state and configuration written before it read 1.
    #[serde(default = "default_min_passes_per_epoch")]
    pub min_passes_per_epoch: u32,
    /// Time after an epoch's end in which a pass of a challenge assigned in it still counts
    /// towards it: a verifier assigned near the end has the registry's `response_seconds` to
    /// submit, so a pass withheld past the boundary still proves the epoch. An epoch is final
    /// (settled, paid) only once this has passed. At most `epoch_seconds`; state and
    /// configuration written before it read 0 (final the moment it ends).
    #[serde(default)]
    pub pass_grace_seconds: u64,
    /// Distinct verifiers whose Late verdicts on one of this class's devices, within the
    /// registry's lateness window, accuse it (docs/registry.md, "Accusations and appeals"); 0:
    /// the registry's `lateness_quorum`. A class challenged more often needs a higher quorum
    /// for the same rate of false accusations. At most [`MAX_LATENESS_QUORUM`]; the registry
    /// reads it when the device registers. Parameters written before it read 0.
    #[serde(default)]
    pub lateness_quorum: u32,
    /// The class's GEMM throughput challenge (`loopin_pocps::gemm`), asked with every timed
    /// challenge of its devices: a Pass must carry the device-signed root of C's rows, within
    /// the deadline. `None`: no throughput part (parameters written before it). The registry
    /// reads it when the device registers. Left out of JSON when `None` (readers older than
    /// the field refuse unknown fields); kept in the pair's packed `Config`.
    #[serde(default, skip_serializing_if = "loopin_packed::is_none_outside_packed")]
    pub gemm: Option<GemmClass>,
    /// What the class pays beyond `gamma` (issue 19): to a stake's owner and to the client for
    /// every device-hour leased and delivered in a proven epoch, and to passive liquidity per
    /// epoch held ([`Incentives`]). `None`: nothing beyond `gamma` (parameters written before
    /// it). Left out of JSON when `None`, as `gemm` is.
    #[serde(default, skip_serializing_if = "loopin_packed::is_none_outside_packed")]
    pub incentives: Option<Incentives>,
}

/// Smallest lease unless governance sets another: 0.01 device-hour (36 s of a device).
pub const DEFAULT_MIN_LEASE_HOURS: u128 = 10_000;
/// Most distinct Late verdicts a class's quorum may ask for: every vote of a quorum an upheld
/// appeal overturns is penalised (`registry::MAX_PENALISED_VOTERS`).
pub const MAX_LATENESS_QUORUM: u32 = 32;

fn default_min_lease_hours() -> Uint128 {
    Uint128::new(DEFAULT_MIN_LEASE_HOURS)
}

/// Smallest stake rate unless governance sets another: 0.1 device-hour per hour.
pub const DEFAULT_MIN_RATE: Decimal = Decimal::permille(100);

fn default_min_rate() -> Decimal {
    DEFAULT_MIN_RATE
}

/// Largest stake rate unless governance sets another: one device-hour per hour.
pub const DEFAULT_MAX_RATE: Decimal = Decimal::one();

fn default_max_rate() -> Decimal {
    DEFAULT_MAX_RATE
}

/// Smallest P unless governance sets another: 16 KiB, the PoCPS test set.
pub const DEFAULT_MIN_PROOF_BYTES: u64 = 16 * 1024;

fn default_min_proof_bytes() -> u64 {
    DEFAULT_MIN_PROOF_BYTES
}

/// Fewest Sloth rounds per block unless governance sets another: 4, the PoCPS test set.
pub const DEFAULT_MIN_PROOF_ROUNDS: u32 = 4;

fn default_min_proof_rounds() -> u32 {
    DEFAULT_MIN_PROOF_ROUNDS
}

/// Passes an epoch needs unless governance sets another: one.
pub const DEFAULT_MIN_PASSES_PER_EPOCH: u32 = 1;
/// Most passes per epoch a class may ask for (every pass is a verifier's transaction).
pub const MAX_PASSES_PER_EPOCH: u32 = 24;

fn default_min_passes_per_epoch() -> u32 {
    DEFAULT_MIN_PASSES_PER_EPOCH
}

/// Longest dispute window governance may set, in epochs.
pub const MAX_DISPUTE_EPOCHS: u64 = 168;

/// Why pool parameters were refused.
#[derive(thiserror::Error, Debug, PartialEq)]
pub enum ParamsError {
    #[error("{0}")]
    Math(#[from] MathError),

    #[error("minimum duration {min_epochs} epochs is below T_min = {t_min_epochs} epochs")]
    BelowTMin { min_epochs: u64, t_min_epochs: u64 },

    #[error("maximum duration must be at least the minimum duration")]
    MaxBelowMin,

    #[error("exchange fee must be below 1")]
    FractionTooLarge,

    #[error("the smallest lease must be above zero hours")]
    ZeroMinLease,

    #[error("the smallest stake rate must be above zero")]
    ZeroMinRate,

    #[error("the largest stake rate {max_rate} is below the smallest {min_rate}")]
    MaxRateBelowMin {
        min_rate: Decimal,
        max_rate: Decimal,
    },

    #[error("dispute window of {dispute_epochs} epochs is above the maximum {MAX_DISPUTE_EPOCHS}")]
    DisputeWindowTooLong { dispute_epochs: u64 },

    #[error(
        "a class's proof needs at least one 16-byte block and 1 to {max_rounds} Sloth rounds per block"
    )]
    ProofMinimumOutOfRange { max_rounds: u32 },

    #[error("an epoch must need 1 to {MAX_PASSES_PER_EPOCH} passes to be proven, not {passes}")]
    PassesPerEpochOutOfRange { passes: u32 },

    #[error("a pass grace of {grace} s is longer than the {epoch_seconds} s epoch")]
    PassGraceTooLong { grace: u64, epoch_seconds: u64 },

    #[error("a lateness quorum of {quorum} is above the maximum {MAX_LATENESS_QUORUM}")]
    LatenessQuorumTooLarge { quorum: u32 },
    #[error("GEMM challenge: {reason}")]
    GemmOutOfRange { reason: String },

    #[error(
        "lease rewards of {per_hour} LOOP per device-hour need an exchange fee to be bounded by"
    )]
    LeaseRewardsWithoutFee { per_hour: Decimal },

    #[error(
        "a liquidity reward of {per_emission_epoch} LOOP per emission epoch is above the factory's cap of {cap}"
    )]
    LiquidityRewardAboveCap {
        per_emission_epoch: Uint128,
        cap: Uint128,
    },
}

impl PoolParams {
    /// T_min in whole epochs of this class.
    pub fn t_min_epochs(&self) -> Result<u64, ParamsError> {
        Ok(self.economics.t_min_epochs(self.epoch_seconds)?)
    }

    /// Refuses beta >= gamma, a zero epoch, a minimum duration below T_min, and fractions >= 1.
    pub fn validate(&self) -> Result<(), ParamsError> {
        let t_min_epochs = self.t_min_epochs()?;
        if self.min_epochs < t_min_epochs {
            return Err(ParamsError::BelowTMin {
                min_epochs: self.min_epochs,
                t_min_epochs,
            });
        }
        if self.max_epochs < self.min_epochs {
            return Err(ParamsError::MaxBelowMin);
        }
        if self.exchange_fee >= Decimal::one() {
            return Err(ParamsError::FractionTooLarge);
        }
        if self.min_lease_hours.is_zero() {
            return Err(ParamsError::ZeroMinLease);
        }
        if self.min_rate.is_zero() {
            return Err(ParamsError::ZeroMinRate);
        }
        if self.max_rate < self.min_rate {
            return Err(ParamsError::MaxRateBelowMin {
                min_rate: self.min_rate,
                max_rate: self.max_rate,
            });
        }
        if self.dispute_epochs > MAX_DISPUTE_EPOCHS {
            return Err(ParamsError::DisputeWindowTooLong {
                dispute_epochs: self.dispute_epochs,
            });
        }
        let max_rounds = loopin_pocps::encode::MAX_ROUNDS;
        if self.min_proof_bytes < 16 || !(1..=max_rounds).contains(&self.min_proof_rounds) {
            return Err(ParamsError::ProofMinimumOutOfRange { max_rounds });
        }
        if !(1..=MAX_PASSES_PER_EPOCH).contains(&self.min_passes_per_epoch) {
            return Err(ParamsError::PassesPerEpochOutOfRange {
                passes: self.min_passes_per_epoch,
            });
        }
        if self.pass_grace_seconds > self.epoch_seconds {
            return Err(ParamsError::PassGraceTooLong {
                grace: self.pass_grace_seconds,
                epoch_seconds: self.epoch_seconds,
            });
        }
        if self.lateness_quorum > MAX_LATENESS_QUORUM {
            return Err(ParamsError::LatenessQuorumTooLarge {
                quorum: self.lateness_quorum,
            });
        }
        if let Some(g) = &self.gemm {
            g.check(self.epoch_seconds, self.min_passes_per_epoch)
                .map_err(|err| ParamsError::GemmOutOfRange {
                    reason: err.to_string(),
                })?;
        }
        if let Some(incentives) = &self.incentives {
            incentives.check(self.exchange_fee)?;
        }
        Ok(())
    }

    /// The class's incentives, zero when it sets none.
    pub fn incentives(&self) -> Incentives {
        self.incentives.unwrap_or_default()
    }
}

/// Instantiates a dissipative pair. Sent by the factory only: the parameters are governance's.
#[cw_serde]
pub struct PairInstantiateMsg {
    pub class: String,
    pub factory: String,
    pub token: String,
    pub stake_cert: String,
    pub params: PoolParams,
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn params(min_epochs: u64) -> PoolParams {
        PoolParams {
            economics: Economics {
                alpha: Decimal::from_ratio(10u128, 1u128),
                beta: Decimal::permille(100),
                gamma: Decimal::permille(500),
            },
            exchange_fee: Decimal::permille(3),
            epoch_seconds: 3_600,
            min_epochs,
            max_epochs: 1_000,
            seller_deposit: Uint128::new(1_000_000),
            dispute_epochs: 2,
            min_lease_hours: Uint128::new(DEFAULT_MIN_LEASE_HOURS),
            min_rate: DEFAULT_MIN_RATE,
            max_rate: DEFAULT_MAX_RATE,
            min_proof_bytes: DEFAULT_MIN_PROOF_BYTES,
            min_proof_rounds: DEFAULT_MIN_PROOF_ROUNDS,
            min_passes_per_epoch: DEFAULT_MIN_PASSES_PER_EPOCH,
            pass_grace_seconds: 0,
            lateness_quorum: 0,
            gemm: None,
            incentives: None,
        }
    }

    #[test]
    fn a_class_needs_one_to_the_most_passes_per_epoch() {
        for passes in [0, MAX_PASSES_PER_EPOCH + 1] {
            let p = PoolParams {
                min_passes_per_epoch: passes,
                ..params(100)
            };
            assert_eq!(
                p.validate(),
                Err(ParamsError::PassesPerEpochOutOfRange { passes })
            );
        }
        for passes in [1, MAX_PASSES_PER_EPOCH] {
            let p = PoolParams {
                min_passes_per_epoch: passes,
                ..params(100)
            };
            assert_eq!(p.validate(), Ok(()));
        }
    }

    #[test]
    fn a_class_lateness_quorum_is_at_most_what_an_appeal_penalises() {
        let p = |quorum| PoolParams {
            lateness_quorum: quorum,
            ..params(100)
        };
        assert_eq!(
            p(MAX_LATENESS_QUORUM + 1).validate(),
            Err(ParamsError::LatenessQuorumTooLarge {
                quorum: MAX_LATENESS_QUORUM + 1
            })
        );
        for quorum in [0, 3, MAX_LATENESS_QUORUM] {
            assert_eq!(p(quorum).validate(), Ok(()));
        }
    }

    #[test]
    fn a_class_needs_a_proof_minimum_a_commitment_can_meet() {
        for (bytes, rounds) in [
            (0, 4),
            (15, 4),
            (16, 0),
            (16, loopin_pocps::encode::MAX_ROUNDS + 1),
        ] {
            let p = PoolParams {
                min_proof_bytes: bytes,
                min_proof_rounds: rounds,
                ..params(25)
            };
            assert_eq!(
                p.validate(),
                Err(ParamsError::ProofMinimumOutOfRange {
                    max_rounds: loopin_pocps::encode::MAX_ROUNDS
                }),
                "{bytes} bytes, {rounds} rounds"
            );
        }
        let old = String::from_utf8(cosmwasm_std::to_json_vec(&params(25)).unwrap())
            .unwrap()
            .replace(",\"min_proof_bytes\":16384,\"min_proof_rounds\":4", "");
        let read: PoolParams = cosmwasm_std::from_json(old.as_bytes()).unwrap();
        assert_eq!(read, params(25), "written before: the defaults");
    }

    #[test]
    fn a_pool_needs_a_smallest_stake() {
        let no_minimum = PoolParams {
            min_rate: Decimal::zero(),
            ..params(25)
        };
        assert_eq!(no_minimum.validate(), Err(ParamsError::ZeroMinRate));
    }

    #[test]
    fn a_pools_largest_stake_is_at_least_its_smallest() {
        let inverted = PoolParams {
            max_rate: Decimal::permille(50),
            ..params(25)
        };
        assert_eq!(
            inverted.validate(),
            Err(ParamsError::MaxRateBelowMin {
                min_rate: DEFAULT_MIN_RATE,
                max_rate: Decimal::permille(50),
            })
        );
    }

    #[test]
    fn params_written_before_the_smallest_stake_read_the_default() {
        let mut json = cosmwasm_std::to_json_vec(&params(25)).unwrap();
        let text = String::from_utf8(json.clone()).unwrap();
        let old = text.replace(",\"min_rate\":\"0.1\",\"max_rate\":\"1\"", "");
        assert_ne!(old, text);
        json = old.into_bytes();
        let read: PoolParams = cosmwasm_std::from_json(&json).unwrap();
        assert_eq!(read, params(25));
    }

    #[test]
    fn a_pool_needs_a_smallest_lease() {
        let no_minimum = PoolParams {
            min_lease_hours: Uint128::zero(),
            ..params(25)
        };
        assert_eq!(no_minimum.validate(), Err(ParamsError::ZeroMinLease));
    }

    #[test]
    fn validation_enforces_t_min_and_beta_below_gamma() {
        assert_eq!(params(25).validate(), Ok(()));
        assert_eq!(
            params(24).validate(),
            Err(ParamsError::BelowTMin {
                min_epochs: 24,
                t_min_epochs: 25
            })
        );
        let mut equal = params(25);
        equal.economics.beta = equal.economics.gamma;
        assert_eq!(
            equal.validate(),
            Err(ParamsError::Math(MathError::BetaNotBelowGamma))
        );
        let mut zero_epoch = params(25);
        zero_epoch.epoch_seconds = 0;
        assert_eq!(
            zero_epoch.validate(),
            Err(ParamsError::Math(MathError::ZeroEpoch))
        );
        let mut long_window = params(25);
        long_window.dispute_epochs = MAX_DISPUTE_EPOCHS;
        assert_eq!(long_window.validate(), Ok(()));
        long_window.dispute_epochs += 1;
        assert_eq!(
            long_window.validate(),
            Err(ParamsError::DisputeWindowTooLong {
                dispute_epochs: MAX_DISPUTE_EPOCHS + 1
            })
        );
    }

    #[test]
    fn class_names() {
        assert!(is_valid_class("rtx4090"));
        assert!(is_valid_class("h100-80g"));
        assert!(!is_valid_class(""));
        assert!(!is_valid_class("H100"));
        assert!(!is_valid_class("a/b"));
        assert!(!is_valid_class(&"a".repeat(33)));
    }
}
