//! Liquidity shares, Uniswap v2 style: the first deposit mints `sqrt(x * y)` shares of which
//! [`MINIMUM_LIQUIDITY`] stay locked forever, so a first depositor cannot make one share so
//! expensive that later deposits round to nothing. Reserves are the pool's own books, never its
//! token balance, so a donation changes no share's value.

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Isqrt, Uint128, Uint256};

use crate::MathError;
use crate::amm::Reserves;
use crate::error::{mul_div_ceil, mul_div_floor};

/// Shares locked at the first deposit.
pub const MINIMUM_LIQUIDITY: u128 = 1_000;

/// The outcome of a deposit.
#[cw_serde]
#[derive(Copy)]
pub struct Deposit {
    /// Shares credited to the depositor.
    pub shares: Uint128,
    /// Shares locked forever (first deposit only).
    pub locked: Uint128,
    /// What the pool takes: at most what was offered, in the pool's ratio, rounded up.
    pub taken: Reserves,
    /// The pool's reserves after the deposit.
    pub reserves: Reserves,
}

/// Shares for depositing up to `offered` into a pool with `reserves` and `total_shares`.
pub fn deposit(
    reserves: &Reserves,
    total_shares: Uint128,
    offered: &Reserves,
) -> Result<Deposit, MathError> {
    if offered.hours.is_zero() || offered.tokens.is_zero() {
        return Err(MathError::ZeroAmount);
    }
    if total_shares.is_zero() {
        let minted: Uint128 = offered
            .hours
            .full_mul(offered.tokens)
            .isqrt()
            .try_into()
            .map_err(|_| MathError::Overflow)?;
        if minted.u128() <= MINIMUM_LIQUIDITY {
            return Err(MathError::BelowMinimumLiquidity {
                locked: MINIMUM_LIQUIDITY,
            });
        }
        return Ok(Deposit {
            shares: minted - Uint128::new(MINIMUM_LIQUIDITY),
            locked: Uint128::new(MINIMUM_LIQUIDITY),
            taken: *offered,
            reserves: add(reserves, offered)?,
        });
    }
    if reserves.hours.is_zero() || reserves.tokens.is_zero() {
        return Err(MathError::EmptyPool);
    }
    let supply = total_shares.u128();
    let by_hours = mul_div_floor(offered.hours.u128(), supply, reserves.hours.u128())?;
    let by_tokens = mul_div_floor(offered.tokens.u128(), supply, reserves.tokens.u128())?;
    let shares = by_hours.min(by_tokens);
    if shares == 0 {
        return Err(MathError::DepositTooSmall);
    }
    let taken = Reserves::new(
        mul_div_ceil(shares, reserves.hours.u128(), supply)?,
        mul_div_ceil(shares, reserves.tokens.u128(), supply)?,
    );
    Ok(Deposit {
        shares: Uint128::new(shares),
        locked: Uint128::zero(),
        taken,
        reserves: add(reserves, &taken)?,
    })
}

/// What burning `shares` of `total_shares` pays out, rounded down.
pub fn withdraw(
    reserves: &Reserves,
    total_shares: Uint128,
    shares: Uint128,
) -> Result<Reserves, MathError> {
    if shares.is_zero() {
        return Err(MathError::ZeroAmount);
    }
    if shares > total_shares {
        return Err(MathError::InsufficientLiquidity {
            wanted: shares.to_string(),
            available: total_shares.to_string(),
        });
    }
    Ok(Reserves::new(
        mul_div_floor(shares.u128(), reserves.hours.u128(), total_shares.u128())?,
        mul_div_floor(shares.u128(), reserves.tokens.u128(), total_shares.u128())?,
    ))
}

fn add(a: &Reserves, b: &Reserves) -> Result<Reserves, MathError> {
    Ok(Reserves {
        hours: a.hours.checked_add(b.hours)?,
        tokens: a.tokens.checked_add(b.tokens)?,
    })
}

/// The value of `shares` in units of `reserve`, rounded down (for valuing a position).
pub fn share_of(
    reserve: Uint128,
    shares: Uint128,
    total_shares: Uint128,
) -> Result<Uint128, MathError> {
    let value = Uint256::from(reserve).checked_multiply_ratio(shares, total_shares)?;
    value.try_into().map_err(|_| MathError::Overflow)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn first_deposit_locks_minimum_liquidity() {
        let first = deposit(
            &Reserves::default(),
            Uint128::zero(),
            &Reserves::new(4_000_000, 1_000_000),
        )
        .unwrap();
        assert_eq!(first.shares.u128() + first.locked.u128(), 2_000_000);
        assert_eq!(first.locked.u128(), MINIMUM_LIQUIDITY);
        assert_eq!(
            deposit(
                &Reserves::default(),
                Uint128::zero(),
                &Reserves::new(1_000, 1_000)
            ),
            Err(MathError::BelowMinimumLiquidity {
                locked: MINIMUM_LIQUIDITY
            })
        );
    }

    #[test]
    fn first_depositor_inflation_is_closed() {
        // The attacker deposits the least possible, then "donates" a fortune by transferring
        // tokens to the pool contract. Donations never enter the books (`reserves`), so a victim's
        // deposit still mints shares in proportion to what it adds.
        let attacker = deposit(
            &Reserves::default(),
            Uint128::zero(),
            &Reserves::new(1_001, 1_001),
        )
        .unwrap();
        assert_eq!(attacker.shares.u128(), 1);
        let supply = attacker.shares + attacker.locked;
        let victim = deposit(
            &attacker.reserves,
            supply,
            &Reserves::new(1_000_000, 1_000_000),
        )
        .unwrap();
        let supply = supply + victim.shares;
        let paid_out = withdraw(&victim.reserves, supply, victim.shares).unwrap();
        // The victim loses at most rounding: less than one share's worth of each reserve.
        assert!(victim.taken.tokens - paid_out.tokens <= Uint128::new(2));
        assert!(victim.taken.hours - paid_out.hours <= Uint128::new(2));
    }

    proptest! {
        #[test]
        fn deposit_then_withdraw_never_profits(
            x in 1_000u128..1_000_000_000_000, y in 1_000u128..1_000_000_000_000,
            dx in 1u128..1_000_000_000_000, dy in 1u128..1_000_000_000_000,
        ) {
            let first = deposit(&Reserves::default(), Uint128::zero(), &Reserves::new(x, y));
            prop_assume!(first.is_ok());
            let first = first.unwrap();
            let supply = first.shares + first.locked;
            if let Ok(next) = deposit(&first.reserves, supply, &Reserves::new(dx, dy)) {
                prop_assert!(next.taken.hours.u128() <= dx && next.taken.tokens.u128() <= dy);
                let out = withdraw(&next.reserves, supply + next.shares, next.shares).unwrap();
                prop_assert!(out.hours <= next.taken.hours && out.tokens <= next.taken.tokens);
                // Value per share never falls for those already in.
                prop_assert!(next.reserves.hours.full_mul(supply) >= first.reserves.hours.full_mul(supply + next.shares));
                prop_assert!(next.reserves.tokens.full_mul(supply) >= first.reserves.tokens.full_mul(supply + next.shares));
            }
        }
    }
}
