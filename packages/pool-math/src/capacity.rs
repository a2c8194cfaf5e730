//! Epochs and the pool's capacity schedule under dated, rolling compute hours.
//!
//! A stake of rate `r` (device-hours per hour) for epochs `[start, end)` supplies
//! `r * Δ` hours to each of those epochs. The pool keeps only aggregates: the rate active in the
//! current epoch and, per future epoch, the rate that starts and the rate that ends there. An
//! epoch boundary is then O(1) whatever the number of stakes (paper §4, Fig. 4).

use std::collections::BTreeMap;

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Decimal, Decimal256, Uint128, Uint256};

use crate::{HOUR, MathError, SECONDS_PER_HOUR};

/// Maps block time to epochs of `length` seconds counted from `genesis`.
#[cw_serde]
#[derive(Copy)]
pub struct EpochClock {
    pub genesis: u64,
    pub length: u64,
}

impl EpochClock {
    pub fn new(genesis: u64, length: u64) -> Result<Self, MathError> {
        if length == 0 {
            return Err(MathError::ZeroEpoch);
        }
        Ok(Self { genesis, length })
    }

    /// The epoch containing `time` (epoch 0 before genesis).
    pub fn epoch_at(&self, time: u64) -> u64 {
        time.saturating_sub(self.genesis) / self.length
    }

    /// Block time at which `epoch` begins.
    pub fn start_of(&self, epoch: u64) -> Result<u64, MathError> {
        epoch
            .checked_mul(self.length)
            .and_then(|offset| offset.checked_add(self.genesis))
            .ok_or(MathError::Overflow)
    }
}

/// Micro-hours a rate supplies in one epoch of `epoch_seconds`, rounded down.
pub fn hours_per_epoch(rate: Decimal, epoch_seconds: u64) -> Result<Uint128, MathError> {
    let hours = Uint256::from(rate.atomics())
        .checked_mul(Uint256::from(epoch_seconds))?
        .checked_mul(Uint256::from(HOUR))?
        .checked_div(Uint256::from(SECONDS_PER_HOUR) * Uint256::from(Decimal::one().atomics()))?;
    hours.try_into().map_err(|_| MathError::Overflow)
}

/// Eq. (3): committed micro-hours of a stake of `rate` over `[start, end)` at `time`, decaying
/// continuously: `rate * (end - time)` inside the period, zero outside.
pub fn committed_continuous(rate: Decimal, start: u64, end: u64, time: u64) -> Decimal256 {
    if time < start || time >= end {
        return Decimal256::zero();
    }
    let seconds = Decimal256::from_ratio(end - time, SECONDS_PER_HOUR);
    Decimal256::from(rate) * seconds * Decimal256::from_ratio(HOUR, 1u128)
}

/// The staircase the pool realises (Fig. 4a): hours of every epoch of `[start_epoch, end_epoch)`
/// not yet delivered at `time`, counting the epoch in progress as still committed.
pub fn committed_staircase(
    rate: Decimal,
    clock: &EpochClock,
    start_epoch: u64,
    end_epoch: u64,
    time: u64,
) -> Result<Uint128, MathError> {
    let now = clock.epoch_at(time);
    if now < start_epoch || now >= end_epoch {
        return Ok(Uint128::zero());
    }
    Ok(hours_per_epoch(rate, clock.length)?.checked_mul(Uint128::from(end_epoch - now))?)
}

/// Aggregate capacity book: the rate active in the current epoch and the rate starting and
/// ending at each future epoch. The contract keeps the same book in storage maps.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CapacitySchedule {
    epoch: u64,
    active: Decimal256,
    starting: BTreeMap<u64, Decimal256>,
    ending: BTreeMap<u64, Decimal256>,
}

impl CapacitySchedule {
    /// An empty book whose current epoch is `epoch`.
    pub fn at(epoch: u64) -> Self {
        Self {
            epoch,
            ..Self::default()
        }
    }

    /// The current epoch.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// The rate active in the current epoch.
    pub fn active_rate(&self) -> Decimal256 {
        self.active
    }

    /// Commits `rate` for epochs `[start, end)`; the past part of the range is ignored.
    pub fn commit(&mut self, start: u64, end: u64, rate: Decimal) -> Result<(), MathError> {
        let start = start.max(self.epoch);
        if end <= start {
            return Ok(());
        }
        let rate = Decimal256::from(rate);
        if start == self.epoch {
            self.active = self
                .active
                .checked_add(rate)
                .map_err(|_| MathError::Overflow)?;
        } else {
            let slot = self.starting.entry(start).or_default();
            *slot = slot.checked_add(rate).map_err(|_| MathError::Overflow)?;
        }
        let slot = self.ending.entry(end).or_default();
        *slot = slot.checked_add(rate).map_err(|_| MathError::Overflow)?;
        Ok(())
    }

    /// Withdraws a commitment of `rate` over `[start, end)` from the current epoch on
    /// (invalidation, cancellation). The caller passes the range it committed.
    pub fn withdraw(&mut self, start: u64, end: u64, rate: Decimal) -> Result<(), MathError> {
        let start = start.max(self.epoch);
        if end <= start {
            return Ok(());
        }
        let rate = Decimal256::from(rate);
        let sub = |slot: &mut Decimal256| -> Result<(), MathError> {
            *slot = slot.checked_sub(rate).map_err(|_| MathError::Overflow)?;
            Ok(())
        };
        if start == self.epoch {
            sub(&mut self.active)?;
        } else {
            sub(self.starting.get_mut(&start).ok_or(MathError::Overflow)?)?;
        }
        sub(self.ending.get_mut(&end).ok_or(MathError::Overflow)?)?;
        Ok(())
    }

    /// Moves to the next epoch: O(1) in the number of stakes.
    pub fn advance(&mut self) -> Result<Decimal256, MathError> {
        self.epoch += 1;
        let started = self.starting.remove(&self.epoch).unwrap_or_default();
        let ended = self.ending.remove(&self.epoch).unwrap_or_default();
        self.active = self
            .active
            .checked_add(started)
            .and_then(|rate| rate.checked_sub(ended))
            .map_err(|_| MathError::Overflow)?;
        Ok(self.active)
    }

    /// The rate that will be active in `epoch` (at or after the current one) if nothing changes.
    pub fn rate_at(&self, epoch: u64) -> Decimal256 {
        let mut rate = self.active;
        for (_, started) in self.starting.range(self.epoch + 1..=epoch) {
            rate += *started;
        }
        for (_, ended) in self.ending.range(self.epoch + 1..=epoch) {
            rate -= *ended;
        }
        rate
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const DELTA: u64 = 3_600;

    #[test]
    fn a_single_stake_follows_eq_3_within_one_epoch_of_hours() {
        // r = 2 device-hours per hour, 10 epochs of one hour from epoch 5.
        let rate = Decimal::from_ratio(2u128, 1u128);
        let clock = EpochClock::new(1_000, DELTA).unwrap();
        let (start, end) = (clock.start_of(5).unwrap(), clock.start_of(15).unwrap());
        let max_error = Decimal256::from(rate) * Decimal256::from_ratio(HOUR, 1u128);
        let mut time = start;
        while time < end {
            let stair = Decimal256::from_ratio(
                committed_staircase(rate, &clock, 5, 15, time).unwrap(),
                1u128,
            );
            let curve = committed_continuous(rate, start, end, time);
            assert!(stair >= curve, "staircase under the curve at {time}");
            assert!(stair - curve <= max_error, "error above r·Δ at {time}");
            time += 60;
        }
        assert_eq!(
            committed_staircase(rate, &clock, 5, 15, end).unwrap(),
            Uint128::zero()
        );
        assert_eq!(
            committed_staircase(rate, &clock, 5, 15, start - 1).unwrap(),
            Uint128::zero()
        );
    }

    #[test]
    fn hours_per_epoch_for_short_devnet_epochs() {
        assert_eq!(
            hours_per_epoch(Decimal::one(), 3_600).unwrap(),
            Uint128::new(HOUR)
        );
        // A 10-second epoch at rate 1.5 is 1.5 * 10/3600 h = 4166.66.. micro-hours, floored.
        assert_eq!(
            hours_per_epoch(Decimal::percent(150), 10).unwrap(),
            Uint128::new(4_166)
        );
        assert_eq!(EpochClock::new(0, 0), Err(MathError::ZeroEpoch));
    }

    proptest! {
        /// The O(1) book agrees with summing every stake, epoch by epoch (eq. 6, staircase form).
        #[test]
        fn book_matches_the_sum_of_stakes(
            stakes in prop::collection::vec((0u64..20, 1u64..20, 1u64..1_000, any::<bool>()), 1..40)
        ) {
            let mut book = CapacitySchedule::at(0);
            let mut live = Vec::new();
            for (start, len, rate, invalidate_at_5) in stakes {
                let rate = Decimal::permille(rate);
                book.commit(start, start + len, rate).unwrap();
                live.push((start, start + len, rate, invalidate_at_5));
            }
            // The rate live at `epoch` as the book should know it once invalidations at epoch 5
            // are applied (`applied`) or not yet.
            let expected = |epoch: u64, applied: bool| -> Decimal256 {
                live.iter()
                    .filter(|(start, end, _, invalidated)| {
                        *start <= epoch && epoch < *end && !(applied && *invalidated && epoch >= 5)
                    })
                    .map(|(_, _, rate, _)| Decimal256::from(*rate))
                    .sum()
            };
            for epoch in 0..45u64 {
                if epoch == 5 {
                    for (start, end, rate, invalidate) in &live {
                        if *invalidate {
                            book.withdraw(*start, *end, *rate).unwrap();
                        }
                    }
                }
                let applied = epoch >= 5;
                prop_assert_eq!(book.active_rate(), expected(epoch, applied), "epoch {}", epoch);
                prop_assert_eq!(book.rate_at(epoch + 3), expected(epoch + 3, applied), "forecast at {}", epoch);
                book.advance().unwrap();
            }
        }
    }
}
