//! Constant product `x * y = k` between the compute-hour reserve `x` (micro-hours) and the LOOP
//! reserve `y`, with the exchange fee taken in LOOP and burned (paper §5).
//!
//! Rounding favours the pool, so no swap lowers `k`: the hours or LOOP paid out are floored and
//! the fee is ceiled. Reverse simulations find the smallest offer whose forward swap delivers at
//! least the amount asked for, and return that forward swap: what a query shows is exactly what
//! execution does.

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Decimal, Decimal256, Uint128, Uint256};

use crate::error::{mul_div_ceil, mul_div_floor};
use crate::{HOUR, MathError};

/// The two reserves of a pair.
#[cw_serde]
#[derive(Copy, Default)]
pub struct Reserves {
    /// Compute hours of the epoch being traded, in micro-hours.
    pub hours: Uint128,
    /// LOOP.
    pub tokens: Uint128,
}

/// The result of one swap.
#[cw_serde]
#[derive(Copy)]
pub struct Swap {
    /// What the trader gives: LOOP when buying hours, micro-hours when selling them.
    pub offer: Uint128,
    /// What the trader receives: micro-hours when buying, LOOP when selling.
    pub receive: Uint128,
    /// LOOP burned as the exchange fee.
    pub fee: Uint128,
    /// The pool's reserves after the swap.
    pub reserves: Reserves,
}

/// The exchange fee on `amount`, rounded up (in the pool's favour).
pub fn fee_on(amount: u128, fee: Decimal) -> Result<u128, MathError> {
    if fee >= Decimal::one() {
        return Err(MathError::InvalidFee);
    }
    mul_div_ceil(
        amount,
        fee.atomics().u128(),
        Decimal::one().atomics().u128(),
    )
}

/// Smallest `gross` with `gross - ceil(gross * fee) >= net`: what a swap paying `net` after
/// the fee took from the pool.
pub fn gross_for_net(net: u128, fee: Decimal) -> Result<u128, MathError> {
    let keep = Decimal::one() - fee;
    if keep.is_zero() {
        return Err(MathError::InvalidFee);
    }
    let mut gross = mul_div_ceil(net, Decimal::one().atomics().u128(), keep.atomics().u128())?;
    while gross - fee_on(gross, fee)? < net {
        gross = gross.checked_add(1).ok_or(MathError::Overflow)?;
    }
    Ok(gross)
}

impl Reserves {
    pub fn new(hours: u128, tokens: u128) -> Self {
        Self {
            hours: Uint128::new(hours),
            tokens: Uint128::new(tokens),
        }
    }

    /// The invariant `x * y`.
    pub fn k(&self) -> Uint256 {
        self.hours.full_mul(self.tokens)
    }

    fn ensure_liquid(&self) -> Result<(u128, u128), MathError> {
        if self.hours.is_zero() || self.tokens.is_zero() {
            return Err(MathError::EmptyPool);
        }
        Ok((self.hours.u128(), self.tokens.u128()))
    }

    /// LOOP per device-hour at the current reserves.
    pub fn spot_price(&self) -> Result<Decimal256, MathError> {
        let (hours, tokens) = self.ensure_liquid()?;
        Decimal256::checked_from_ratio(Uint256::from(tokens) * Uint256::from(HOUR), hours)
            .map_err(|_| MathError::Overflow)
    }

    /// LOOP that matches `hours` at the spot price, rounded up: what a provider adds beside its
    /// hours so the price does not move.
    pub fn matching_tokens(&self, hours: Uint128) -> Result<Uint128, MathError> {
        let (pool_hours, tokens) = self.ensure_liquid()?;
        Ok(Uint128::new(mul_div_ceil(
            hours.u128(),
            tokens,
            pool_hours,
        )?))
    }

    /// Pays `offer` LOOP for hours; the fee is burned from the offer.
    pub fn buy_hours(&self, offer: Uint128, fee: Decimal) -> Result<Swap, MathError> {
        let (hours, tokens) = self.ensure_liquid()?;
        let fee_paid = fee_on(offer.u128(), fee)?;
        let net = offer.u128() - fee_paid;
        let pool_tokens = tokens.checked_add(net).ok_or(MathError::Overflow)?;
        let receive = mul_div_floor(hours, net, pool_tokens)?;
        if receive == 0 {
            return Err(MathError::ZeroAmount);
        }
        Ok(Swap {
            offer,
            receive: Uint128::new(receive),
            fee: Uint128::new(fee_paid),
            reserves: Reserves::new(hours - receive, pool_tokens),
        })
    }

    /// Sells `offer` micro-hours for LOOP; the fee is burned from the LOOP paid out.
    pub fn sell_hours(&self, offer: Uint128, fee: Decimal) -> Result<Swap, MathError> {
        let (hours, tokens) = self.ensure_liquid()?;
        let pool_hours = hours.checked_add(offer.u128()).ok_or(MathError::Overflow)?;
        let gross = mul_div_floor(tokens, offer.u128(), pool_hours)?;
        let fee_paid = fee_on(gross, fee)?;
        let receive = gross - fee_paid;
        if receive == 0 {
            return Err(MathError::ZeroAmount);
        }
        Ok(Swap {
            offer,
            receive: Uint128::new(receive),
            fee: Uint128::new(fee_paid),
            reserves: Reserves::new(pool_hours, tokens - gross),
        })
    }

    /// Sells `offer` micro-hours taking at most `budget` LOOP (fee included) out of the LOOP
    /// reserve: along the curve while that costs no more, otherwise `budget` for all of them,
    /// down to nothing (the pool then buys below its curve and `k` rises). Fails only where the
    /// curve has no price.
    pub fn sell_hours_within(
        &self,
        offer: Uint128,
        fee: Decimal,
        budget: Uint128,
    ) -> Result<Swap, MathError> {
        let (hours, _) = self.ensure_liquid()?;
        if offer.is_zero() {
            return Err(MathError::ZeroAmount);
        }
        let pool_hours = hours.checked_add(offer.u128()).ok_or(MathError::Overflow)?;
        let reserves = Reserves::new(pool_hours, self.tokens.u128());
        let gross = match self.sell_hours(offer, fee) {
            Ok(curve) if curve.receive + curve.fee <= budget => return Ok(curve),
            // The curve pays something, or rounds to nothing: at most the budget.
            Ok(_) | Err(MathError::ZeroAmount) => {
                budget
                    .u128()
                    .min(mul_div_floor(self.tokens.u128(), offer.u128(), pool_hours)?)
            }
            Err(e) => return Err(e),
        };
        let fee_paid = fee_on(gross, fee)?;
        Ok(Swap {
            offer,
            receive: Uint128::new(gross - fee_paid),
            fee: Uint128::new(fee_paid),
            reserves: Reserves {
                tokens: reserves.tokens - Uint128::new(gross),
                ..reserves
            },
        })
    }

    /// The cheapest purchase that delivers at least `hours` micro-hours.
    pub fn buy_exact_hours(&self, hours: Uint128, fee: Decimal) -> Result<Swap, MathError> {
        let (pool_hours, tokens) = self.ensure_liquid()?;
        let want = hours.u128();
        if want == 0 {
            return Err(MathError::ZeroAmount);
        }
        if want >= pool_hours {
            return Err(MathError::InsufficientLiquidity {
                wanted: hours.to_string(),
                available: self.hours.to_string(),
            });
        }
        let net = mul_div_ceil(want, tokens, pool_hours - want)?;
        self.buy_hours(Uint128::new(gross_for_net(net, fee)?), fee)
    }

    /// The smallest sale of hours that pays out at least `tokens` LOOP after the fee.
    pub fn sell_for_exact_tokens(&self, tokens: Uint128, fee: Decimal) -> Result<Swap, MathError> {
        let (pool_hours, pool_tokens) = self.ensure_liquid()?;
        if tokens.is_zero() {
            return Err(MathError::ZeroAmount);
        }
        let gross = gross_for_net(tokens.u128(), fee)?;
        if gross >= pool_tokens {
            return Err(MathError::InsufficientLiquidity {
                wanted: tokens.to_string(),
                available: self.tokens.to_string(),
            });
        }
        let offer = mul_div_ceil(gross, pool_hours, pool_tokens - gross)?;
        self.sell_hours(Uint128::new(offer), fee)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn fee(permille: u64) -> Decimal {
        Decimal::permille(permille)
    }

    #[test]
    fn worked_example() {
        // 100 device-hours against 1,000 LOOP (10 LOOP per hour), 0.3% fee.
        let pool = Reserves::new(100 * HOUR, 1_000_000_000);
        assert_eq!(
            pool.spot_price().unwrap(),
            Decimal256::from_ratio(10_000_000u128, 1u128)
        );
        let swap = pool.buy_hours(Uint128::new(100_000_000), fee(3)).unwrap();
        assert_eq!(swap.fee, Uint128::new(300_000));
        // 100 h * 99.7 / 1,099.7 = 9.0661089... h, floored to micro-hours.
        assert_eq!(swap.receive, Uint128::new(9_066_108));
        assert_eq!(
            swap.reserves,
            Reserves::new(100 * HOUR - 9_066_108, 1_099_700_000)
        );
        assert!(swap.reserves.k() >= pool.k());
    }

    #[test]
    fn refuses_bad_input() {
        let pool = Reserves::new(HOUR, 1_000);
        assert_eq!(
            Reserves::default().buy_hours(Uint128::new(5), fee(3)),
            Err(MathError::EmptyPool)
        );
        assert_eq!(
            pool.buy_hours(Uint128::zero(), fee(3)),
            Err(MathError::ZeroAmount)
        );
        assert_eq!(
            pool.buy_hours(Uint128::new(5), Decimal::one()),
            Err(MathError::InvalidFee)
        );
        assert!(matches!(
            pool.buy_exact_hours(Uint128::new(HOUR), fee(3)),
            Err(MathError::InsufficientLiquidity { .. })
        ));
        assert!(matches!(
            pool.sell_for_exact_tokens(Uint128::new(1_000), fee(3)),
            Err(MathError::InsufficientLiquidity { .. })
        ));
    }

    fn pools() -> impl Strategy<Value = Reserves> {
        (
            1_000u128..1_000_000_000_000,
            1_000u128..1_000_000_000_000_000,
        )
            .prop_map(|(hours, tokens)| Reserves::new(hours, tokens))
    }

    proptest! {
        #[test]
        fn swaps_never_lower_k(pool in pools(), amount in 1u128..1_000_000_000_000, permille in 0u64..100) {
            if let Ok(swap) = pool.buy_hours(Uint128::new(amount), fee(permille)) {
                prop_assert!(swap.reserves.k() >= pool.k());
                prop_assert_eq!(swap.offer, swap.fee + (swap.reserves.tokens - pool.tokens));
                prop_assert_eq!(swap.receive, pool.hours - swap.reserves.hours);
            }
            if let Ok(swap) = pool.sell_hours(Uint128::new(amount), fee(permille)) {
                prop_assert!(swap.reserves.k() >= pool.k());
                prop_assert_eq!(swap.receive + swap.fee, pool.tokens - swap.reserves.tokens);
            }
        }

        #[test]
        fn a_sale_within_a_budget_takes_no_more_than_it_and_no_more_than_the_curve(
            pool in pools(),
            amount in 1u128..1_000_000_000_000,
            budget in 0u128..1_000_000_000_000,
            permille in 0u64..100,
        ) {
            let budget = Uint128::new(budget);
            let sale = pool
                .sell_hours_within(Uint128::new(amount), fee(permille), budget)
                .unwrap();
            let taken = pool.tokens - sale.reserves.tokens;
            prop_assert_eq!(sale.receive + sale.fee, taken);
            prop_assert!(taken <= budget);
            prop_assert!(sale.reserves.k() >= pool.k());
            prop_assert_eq!(sale.reserves.hours, pool.hours + Uint128::new(amount));
            match pool.sell_hours(Uint128::new(amount), fee(permille)) {
                Ok(curve) => {
                    prop_assert!(sale.receive <= curve.receive);
                    if curve.receive + curve.fee <= budget {
                        prop_assert_eq!(sale, curve);
                    }
                }
                Err(_) => prop_assert!(sale.receive.is_zero()),
            }
        }

        #[test]
        fn reverse_simulation_is_minimal_and_exact(pool in pools(), want in 1u128..1_000_000_000, permille in 0u64..100) {
            let fee = fee(permille);
            if let Ok(swap) = pool.buy_exact_hours(Uint128::new(want), fee) {
                prop_assert!(swap.receive.u128() >= want);
                prop_assert_eq!(pool.buy_hours(swap.offer, fee).unwrap(), swap);
                let less = pool.buy_hours(swap.offer - Uint128::one(), fee);
                prop_assert!(less.map_or(true, |s| s.receive.u128() < want));
            }
            if let Ok(swap) = pool.sell_for_exact_tokens(Uint128::new(want), fee) {
                prop_assert!(swap.receive.u128() >= want);
                prop_assert_eq!(pool.sell_hours(swap.offer, fee).unwrap(), swap);
                let less = pool.sell_hours(swap.offer - Uint128::one(), fee);
                prop_assert!(less.map_or(true, |s| s.receive.u128() < want));
            }
        }

        #[test]
        fn round_trips_never_profit(pool in pools(), amount in 1u128..1_000_000_000_000, permille in 0u64..100) {
            let fee = fee(permille);
            if let Ok(buy) = pool.buy_hours(Uint128::new(amount), fee)
                && let Ok(sell) = buy.reserves.sell_hours(buy.receive, fee)
            {
                prop_assert!(sell.receive <= buy.offer);
            }
        }
    }
}
