//! Cumulative price accumulators (Uniswap v2 style): anyone, including another chain, reads a
//! time-weighted average price over any window from two observations.
//!
//! The accumulator is advanced with the reserves as they stood *before* the first change in a
//! block, so trades inside one block cannot move what the block contributes.

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Decimal256, Uint128, Uint256};

use crate::MathError;
use crate::amm::Reserves;

/// Σ price × seconds, price in LOOP per device-hour as `Decimal256` atomics.
#[cw_serde]
#[derive(Copy, Default)]
pub struct PriceAccumulator {
    /// Block time (seconds) of the last update.
    pub time: u64,
    /// Cumulative price up to `time`.
    pub cumulative: Uint256,
}

impl PriceAccumulator {
    /// Starts accumulating at `time`.
    pub fn start(time: u64) -> Self {
        Self {
            time,
            cumulative: Uint256::zero(),
        }
    }

    /// Adds the price of `reserves` held since the last update until `now`. An empty pool adds
    /// nothing (the TWAP then covers only the time it had a price).
    pub fn advance(&self, now: u64, reserves: &Reserves) -> Result<Self, MathError> {
        if now <= self.time {
            return Ok(*self);
        }
        let elapsed = now - self.time;
        let cumulative = match reserves.spot_price() {
            Ok(price) => self
                .cumulative
                .checked_add(price.atomics().checked_mul(Uint256::from(elapsed))?)?,
            Err(MathError::EmptyPool) => self.cumulative,
            Err(err) => return Err(err),
        };
        Ok(Self {
            time: now,
            cumulative,
        })
    }

    /// Time-weighted average price between an earlier observation and this one.
    pub fn twap_since(&self, earlier: &PriceAccumulator) -> Result<Decimal256, MathError> {
        if self.time <= earlier.time {
            return Err(MathError::DivideByZero);
        }
        let sum = self.cumulative.checked_sub(earlier.cumulative)?;
        Ok(Decimal256::new(
            sum / Uint256::from(self.time - earlier.time),
        ))
    }
}

/// Σ value × seconds of a quantity (a reserve, say): its time-weighted average over any window.
#[cw_serde]
#[derive(Copy, Default)]
pub struct TimeWeighted {
    /// Block time (seconds) of the last update.
    pub time: u64,
    /// Cumulative value × seconds up to `time`.
    pub cumulative: Uint256,
}

impl TimeWeighted {
    /// Starts accumulating at `time`.
    pub fn start(time: u64) -> Self {
        Self {
            time,
            cumulative: Uint256::zero(),
        }
    }

    /// Adds `value`, held since the last update, until `now`.
    pub fn advance(&self, now: u64, value: Uint128) -> Result<Self, MathError> {
        if now <= self.time {
            return Ok(*self);
        }
        let added = Uint256::from(value).checked_mul(Uint256::from(now - self.time))?;
        Ok(Self {
            time: now,
            cumulative: self.cumulative.checked_add(added)?,
        })
    }

    /// The average since `earlier`, rounded down; `None` over an empty window.
    pub fn average_since(&self, earlier: &TimeWeighted) -> Result<Option<Uint128>, MathError> {
        if self.time <= earlier.time {
            return Ok(None);
        }
        let sum = self.cumulative.checked_sub(earlier.cumulative)?;
        let average = sum / Uint256::from(self.time - earlier.time);
        Ok(Some(average.try_into().map_err(|_| MathError::Overflow)?))
    }
}

/// Σ ratio × seconds of a ratio defined only part of the time (LOOP per liquidity share: none
/// while there are no shares), with the seconds it was defined: its time-weighted average over
/// any window, counting only the time it had a value.
#[cw_serde]
#[derive(Copy, Default)]
pub struct TimeWeightedRatio {
    /// Block time (seconds) of the last update; 0: not started (state written before it).
    pub time: u64,
    /// Cumulative ratio (`Decimal256` atomics) × seconds up to `time`.
    pub cumulative: Uint256,
    /// Seconds up to `time` during which the ratio was defined.
    pub seconds: u64,
}

impl TimeWeightedRatio {
    /// Starts accumulating at `time`.
    pub fn start(time: u64) -> Self {
        Self {
            time,
            cumulative: Uint256::zero(),
            seconds: 0,
        }
    }

    /// Adds `ratio`, held since the last update, until `now`; `None` adds no time. One not
    /// started yet starts at `now`.
    pub fn advance(&self, now: u64, ratio: Option<Decimal256>) -> Result<Self, MathError> {
        if self.time == 0 {
            return Ok(Self::start(now));
        }
        if now <= self.time {
            return Ok(*self);
        }
        let elapsed = now - self.time;
        let Some(ratio) = ratio else {
            return Ok(Self { time: now, ..*self });
        };
        Ok(Self {
            time: now,
            cumulative: self
                .cumulative
                .checked_add(ratio.atomics().checked_mul(Uint256::from(elapsed))?)?,
            seconds: self
                .seconds
                .checked_add(elapsed)
                .ok_or(MathError::Overflow)?,
        })
    }

    /// The average since `earlier` over the time the ratio was defined, rounded down; `None`
    /// when it was never defined in the window.
    pub fn average_since(
        &self,
        earlier: &TimeWeightedRatio,
    ) -> Result<Option<Decimal256>, MathError> {
        let seconds = self.seconds.saturating_sub(earlier.seconds);
        if seconds == 0 {
            return Ok(None);
        }
        let sum = self.cumulative.checked_sub(earlier.cumulative)?;
        Ok(Some(Decimal256::new(sum / Uint256::from(seconds))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::HOUR;

    #[test]
    fn twap_weights_prices_by_time() {
        let start = PriceAccumulator::start(100);
        // 10 LOOP/h for 30 s, then 40 LOOP/h for 10 s: (300 + 400) / 40 = 17.5.
        let a = start.advance(130, &Reserves::new(HOUR, 10)).unwrap();
        let b = a.advance(140, &Reserves::new(HOUR, 40)).unwrap();
        assert_eq!(
            b.twap_since(&start).unwrap(),
            Decimal256::from_ratio(35u128, 2u128)
        );
        assert_eq!(
            b.twap_since(&a).unwrap(),
            Decimal256::from_ratio(40u128, 1u128)
        );
        // Same-block updates change nothing.
        assert_eq!(b.advance(140, &Reserves::new(HOUR, 1_000)).unwrap(), b);
        assert_eq!(b.twap_since(&b), Err(MathError::DivideByZero));
        // An empty pool does not accumulate.
        assert_eq!(
            b.advance(150, &Reserves::default()).unwrap().cumulative,
            b.cumulative
        );
    }

    #[test]
    fn time_weighted_average_of_a_reserve() {
        let start = TimeWeighted::start(0);
        // 100 for 90 s, then 1,000 for the last 10 s: (9,000 + 10,000) / 100 = 190.
        let a = start.advance(90, Uint128::new(100)).unwrap();
        let b = a.advance(100, Uint128::new(1_000)).unwrap();
        assert_eq!(b.average_since(&start).unwrap(), Some(Uint128::new(190)));
        assert_eq!(b.average_since(&b).unwrap(), None);
    }

    #[test]
    fn a_ratio_is_averaged_over_the_time_it_was_defined() {
        let half = Decimal256::percent(50);
        let two = Decimal256::percent(200);
        // Not started: starts at the first update, adding nothing.
        let start = TimeWeightedRatio::default()
            .advance(100, Some(two))
            .unwrap();
        assert_eq!(start, TimeWeightedRatio::start(100));
        // 0.5 for 30 s, undefined for 50 s, 2 for 10 s: (15 + 20) / 40 = 0.875.
        let a = start.advance(130, Some(half)).unwrap();
        let b = a.advance(180, None).unwrap();
        let c = b.advance(190, Some(two)).unwrap();
        assert_eq!(
            c.average_since(&start).unwrap(),
            Some(Decimal256::permille(875))
        );
        assert_eq!(b.average_since(&a).unwrap(), None);
        assert_eq!(c.average_since(&b).unwrap(), Some(two));
        // Same-block updates change nothing.
        assert_eq!(c.advance(190, Some(half)).unwrap(), c);
    }
}
