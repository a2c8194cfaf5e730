//! What funds the sellers' sales: the LOOP clients paid the pool for hours, never the providers'
//! own LOOP (docs/pair.md, "Sellers' sales").
//!
//! Clients' leases of the trading epoch's hours (less cancellations' refunds) raise LOOP per
//! share; that rise, summed per share over the epoch, is what every share present earned from
//! clients. It is counted per share, so it follows the shares: a share that leaves (withdrawn,
//! settled, seized) takes its part with it, and a share bought during the epoch paid for its
//! part in its price. At the boundary no lease of the epoch can be cancelled any more: the
//! revenue per share times the shares then present is what the sellers' sale may spend, and
//! what it leaves, per share, is what registrations' sales may spend until the next boundary.
//! Either way a sale takes from each share at most what that share earned from clients.
//!
//! Rounding favours the providers: revenue is floored, spending is ceiled.

use cosmwasm_std::{Decimal256, Int128, Int256, SignedDecimal256, Uint128, Uint256};
use loopin_pool_math::MathError;

use crate::error::ContractError;
use crate::state::Pool;

/// The atomics of one LOOP per share (18 decimal places).
const ONE: u128 = 1_000_000_000_000_000_000;

fn one() -> Uint256 {
    Uint256::from(ONE)
}

fn signed(amount: Uint128) -> Int256 {
    Int256::from(amount)
}

impl Pool {
    /// Records a client's trade of the trading epoch's hours (a lease, a renewal, a
    /// cancellation) that took the LOOP reserve from `before` to the reserve now.
    pub fn record_lease_trade(&mut self, before: Uint128) -> Result<(), ContractError> {
        if self.total_shares.is_zero() {
            return Ok(());
        }
        let change = signed(self.reserves.tokens).checked_sub(signed(before))?;
        let per_share = change
            .checked_mul(Int256::from(Uint128::new(ONE)))?
            .checked_div_euclid(signed(self.total_shares))
            .map_err(|_| MathError::Overflow)?;
        self.revenue_per_share = self
            .revenue_per_share
            .checked_add(SignedDecimal256::new(per_share))?;
        Ok(())
    }

    /// What the epoch's clients' trades left in the reserve for the shares present now
    /// (negative when refunds exceed payments), rounded down.
    pub fn lease_revenue(&self) -> Result<Int128, ContractError> {
        let total = self
            .revenue_per_share
            .atomics()
            .checked_mul(signed(self.total_shares))?
            .checked_div_euclid(Int256::from(Uint128::new(ONE)))
            .map_err(|_| MathError::Overflow)?;
        Ok(Int128::try_from(total).map_err(|_| MathError::Overflow)?)
    }

    /// What sellers' sales may take out of the LOOP reserve now (fee included), rounded down.
    pub fn seller_budget(&self) -> Result<Uint128, ContractError> {
        let total = self
            .budget_per_share
            .atomics()
            .checked_mul(Uint256::from(self.total_shares))?
            / one();
        Ok(Uint128::try_from(total).map_err(|_| MathError::Overflow)?)
    }

    /// A sellers' sale took `taken` LOOP out of the reserve: each share's budget falls by its
    /// part, rounded up.
    pub fn spend_seller_budget(&mut self, taken: Uint128) -> Result<(), ContractError> {
        if self.total_shares.is_zero() {
            return Ok(());
        }
        let per_share = Uint256::from(taken)
            .checked_mul(one())?
            .checked_add(Uint256::from(self.total_shares) - Uint256::one())?
            / Uint256::from(self.total_shares);
        self.budget_per_share =
            Decimal256::new(self.budget_per_share.atomics().saturating_sub(per_share));
        Ok(())
    }

    /// At a boundary, after its settlements: the epoch now starting can no longer be cancelled,
    /// so what its clients' trades left for the shares present (if anything) becomes the seller
    /// budget; what was left of the last one stays with the providers.
    pub fn finalise_lease_revenue(&mut self) -> Result<(), ContractError> {
        let revenue = self.lease_revenue()?;
        self.budget_per_share = if revenue.is_negative() || self.total_shares.is_zero() {
            Decimal256::zero()
        } else {
            let revenue = Uint128::new(revenue.i128().unsigned_abs());
            Decimal256::new(
                Uint256::from(revenue).checked_mul(one())? / Uint256::from(self.total_shares),
            )
        };
        self.revenue_per_share = SignedDecimal256::zero();
        Ok(())
    }
}
