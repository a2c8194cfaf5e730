//! Settlement of a position at the prevailing rate, bounded by the TWAP.
//!
//! A payout priced at spot could be sandwiched: push the price, settle, push it back. The
//! settlement price is therefore the spot price clamped into `[twap * (1 - tolerance), twap]`:
//! it can never be pumped above the TWAP, and a dump moves it by at most `tolerance`.

use cosmwasm_std::{Decimal256, Uint128, Uint256};

use crate::{HOUR, MathError};

/// The spot price clamped into `[twap * (1 - tolerance), twap]`.
pub fn settlement_price(spot: Decimal256, twap: Decimal256, tolerance: Decimal256) -> Decimal256 {
    let floor = twap * (Decimal256::one() - tolerance.min(Decimal256::one()));
    spot.clamp(floor, twap)
}

/// LOOP paid for `hours` micro-hours at `price` LOOP per device-hour, rounded down.
pub fn value_of_hours(hours: Uint128, price: Decimal256) -> Result<Uint128, MathError> {
    let value = Uint256::from(hours)
        .checked_mul(price.atomics())?
        .checked_div(Decimal256::one().atomics() * Uint256::from(HOUR))?;
    value.try_into().map_err(|_| MathError::Overflow)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spot_is_clamped_to_the_twap_band() {
        let twap = Decimal256::from_ratio(10u128, 1u128);
        let tol = Decimal256::percent(5);
        assert_eq!(
            settlement_price(Decimal256::from_ratio(50u128, 1u128), twap, tol),
            twap
        );
        assert_eq!(
            settlement_price(Decimal256::one(), twap, tol),
            Decimal256::from_ratio(95u128, 10u128)
        );
        let inside = Decimal256::from_ratio(97u128, 10u128);
        assert_eq!(settlement_price(inside, twap, tol), inside);
    }

    #[test]
    fn values_hours_rounding_down() {
        let price = Decimal256::from_ratio(10u128, 3u128);
        // 1.5 h at 3.333.. = 4.999.. -> 4
        assert_eq!(
            value_of_hours(Uint128::new(HOUR * 3 / 2), price).unwrap(),
            Uint128::new(4)
        );
    }
}
