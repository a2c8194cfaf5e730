//! Eq. (5)-(6): how staked compute hours dissipate, one stake and many.
//!
//! A stake of rate `r` over `[t1, t1 + T)` injects `S = r * T` hours at `t1` (the `S * δ(t - t1)`
//! term of eq. 5) and then loses them at the constant rate `S / T = r` until `t1 + T`: the
//! derivative of eq. (3). Many stakes add up (eq. 6); the pool realises each as a staircase of
//! whole epochs (Fig. 4a) that stays within `r * Δ` above the curve.

use cosmwasm_std::{Decimal, Decimal256, SignedDecimal256, Uint128};

use crate::capacity::{EpochClock, committed_continuous, committed_staircase};
use crate::{HOUR, MathError, SECONDS_PER_HOUR};

/// One stake of `rate` device-hours per hour over epochs `[start_epoch, end_epoch)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Commitment {
    pub rate: Decimal,
    pub start_epoch: u64,
    pub end_epoch: u64,
}

/// Micro-hours injected at `start`: `S = rate * (end - start)` (the delta term of eq. 5).
pub fn injection(rate: Decimal, start: u64, end: u64) -> Decimal256 {
    let seconds = Decimal256::from_ratio(end.saturating_sub(start), SECONDS_PER_HOUR);
    Decimal256::from(rate) * seconds * Decimal256::from_ratio(HOUR, 1u128)
}

/// The smooth part of eq. (5) in micro-hours per hour: `-S/T = -rate` while `start <= time < end`,
/// zero before and after (the same half-open period as [`committed_continuous`]).
pub fn dissipation_rate(rate: Decimal, start: u64, end: u64, time: u64) -> SignedDecimal256 {
    if time < start || time >= end {
        return SignedDecimal256::zero();
    }
    let per_hour = Decimal256::from(rate) * Decimal256::from_ratio(HOUR, 1u128);
    // A Decimal fits a SignedDecimal256 whatever its value.
    -SignedDecimal256::try_from(per_hour).unwrap_or(SignedDecimal256::MAX)
}

impl Commitment {
    fn period(&self, clock: &EpochClock) -> Result<(u64, u64), MathError> {
        Ok((
            clock.start_of(self.start_epoch)?,
            clock.start_of(self.end_epoch)?,
        ))
    }
}

/// Eq. (6): committed micro-hours of every stake at `time`, decaying continuously.
pub fn total_continuous(
    commitments: &[Commitment],
    clock: &EpochClock,
    time: u64,
) -> Result<Decimal256, MathError> {
    let mut total = Decimal256::zero();
    for c in commitments {
        let (start, end) = c.period(clock)?;
        total = total
            .checked_add(committed_continuous(c.rate, start, end, time))
            .map_err(|_| MathError::Overflow)?;
    }
    Ok(total)
}

/// Eq. (6) as the pool realises it: the sum of every stake's staircase at `time`.
pub fn total_staircase(
    commitments: &[Commitment],
    clock: &EpochClock,
    time: u64,
) -> Result<Uint128, MathError> {
    let mut total = Uint128::zero();
    for c in commitments {
        let stair = committed_staircase(c.rate, clock, c.start_epoch, c.end_epoch, time)?;
        total = total.checked_add(stair)?;
    }
    Ok(total)
}

/// The bound on staircase minus curve at `time`: `Σ r * Δ` over the stakes active then.
pub fn staircase_bound(
    commitments: &[Commitment],
    clock: &EpochClock,
    time: u64,
) -> Result<Decimal256, MathError> {
    let mut bound = Decimal256::zero();
    for c in commitments {
        let (start, end) = c.period(clock)?;
        if start <= time && time < end {
            bound += injection(c.rate, 0, clock.length);
        }
    }
    Ok(bound)
}

/// Eq. (6)'s smooth dissipation rate at `time`: the sum of eq. (5) over every stake.
pub fn total_dissipation_rate(
    commitments: &[Commitment],
    clock: &EpochClock,
    time: u64,
) -> Result<SignedDecimal256, MathError> {
    let mut total = SignedDecimal256::zero();
    for c in commitments {
        let (start, end) = c.period(clock)?;
        total = total
            .checked_add(dissipation_rate(c.rate, start, end, time))
            .map_err(|_| MathError::Overflow)?;
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DELTA: u64 = 3_600;

    fn commitments() -> Vec<Commitment> {
        vec![
            Commitment {
                rate: Decimal::one(),
                start_epoch: 0,
                end_epoch: 10,
            },
            Commitment {
                rate: Decimal::percent(250),
                start_epoch: 3,
                end_epoch: 5,
            },
            Commitment {
                rate: Decimal::permille(125),
                start_epoch: 4,
                end_epoch: 40,
            },
        ]
    }

    #[test]
    fn eq_5_is_the_slope_of_eq_3() {
        let rate = Decimal::percent(150);
        let (start, end) = (7_200, 7_200 + 10 * DELTA);
        assert_eq!(
            injection(rate, start, end),
            Decimal256::from_ratio(15 * HOUR, 1u128)
        );
        assert_eq!(
            committed_continuous(rate, start, end, start),
            injection(rate, start, end)
        );
        // One hour later, exactly r device-hours have dissipated.
        let drop = committed_continuous(rate, start, end, start)
            - committed_continuous(rate, start, end, start + DELTA);
        let slope = dissipation_rate(rate, start, end, start + 1);
        assert_eq!(SignedDecimal256::try_from(drop).unwrap(), -slope);
        assert_eq!(
            dissipation_rate(rate, start, end, start - 1),
            SignedDecimal256::zero()
        );
        assert_eq!(
            dissipation_rate(rate, start, end, end),
            SignedDecimal256::zero()
        );
    }

    #[test]
    fn eq_6_sums_stakes_and_the_staircase_stays_within_the_bound() {
        let clock = EpochClock::new(0, DELTA).unwrap();
        let stakes = commitments();
        let mut time = 0;
        while time < 41 * DELTA {
            let curve = total_continuous(&stakes, &clock, time).unwrap();
            let stair =
                Decimal256::from_ratio(total_staircase(&stakes, &clock, time).unwrap(), 1u128);
            let bound = staircase_bound(&stakes, &clock, time).unwrap();
            assert!(stair >= curve && stair - curve <= bound, "at {time}");
            time += 450;
        }
        // Epoch 4: rates 1 + 2.5 + 0.125 dissipate together.
        assert_eq!(
            total_dissipation_rate(&stakes, &clock, 4 * DELTA + 1).unwrap(),
            SignedDecimal256::from_ratio(-3_625_000i128, 1i128)
        );
        // At an epoch start the staircase meets the curve; just before the next it is almost r·Δ above.
        let t = 4 * DELTA;
        let curve = total_continuous(&stakes, &clock, t).unwrap();
        let stair = Decimal256::from_ratio(total_staircase(&stakes, &clock, t).unwrap(), 1u128);
        assert_eq!(stair - curve, Decimal256::zero());
        let t = 5 * DELTA - 1;
        let gap = Decimal256::from_ratio(total_staircase(&stakes, &clock, t).unwrap(), 1u128)
            - total_continuous(&stakes, &clock, t).unwrap();
        assert!(gap < staircase_bound(&stakes, &clock, t).unwrap());
    }
}
