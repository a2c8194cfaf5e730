//! What funds the sellers' sales: the LOOP clients paid the pool for hours, never the providers'
//! own LOOP (docs/pair.md, "Sellers' sales").
//!
//! Clients' leases of the trading epoch's hours (less cancellations' refunds) raise LOOP per
//! share; that rise, summed per share over the epoch, is what every share present earned from
//! clients. It is counted per share, so it follows the shares: a share that leaves at spot
//! (settled, seized) takes its part with it, a share withdrawn below spot leaves what it was
//! not paid of its part ([`Pool::record_exit`]), and a share bought during the epoch paid for
//! its part in its price. At the boundary no lease of the epoch can be cancelled any more: the
//! revenue per share times the shares then present is what the sellers' sale may spend, and
//! what it leaves stays with the providers. The sale takes from each share at most what that
//! share earned from clients.
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

    /// A withdrawal of `shares` is about to take `paid` LOOP out of the reserve. A share paid at
    /// spot takes its part of the revenue and of the budget with it, which leaves both per share
    /// as they were. Withdrawals are paid no more than the share value's average since the
    /// boundary, often less than spot: the shares then take only what they were paid above
    /// their value net of revenue and budget (from the budget first, which that average
    /// already held), and the rest stays with the shares that remain. A negative revenue (more
    /// refunded than paid) is borne by every share, the leaver's included. Counting the leaver
    /// as taking its whole part let liquidity moved in before a lease and out before its
    /// cancellation turn the epoch's revenue negative, and an honest seller was sold for
    /// nothing (`pair_seller_sales.rs`).
    pub fn record_exit(&mut self, shares: Uint128, paid: Uint128) -> Result<(), ContractError> {
        let total = self.total_shares;
        if shares.is_zero() || total.is_zero() {
            return Ok(());
        }
        let rest = total.checked_sub(shares)?;
        if rest.is_zero() {
            self.revenue_per_share = SignedDecimal256::zero();
            self.budget_per_share = Decimal256::zero();
            return Ok(());
        }
        let one = Int256::from(Uint128::new(ONE));
        let leaving = signed(shares);
        let revenue = self.revenue_per_share.atomics();
        let budget =
            Int256::try_from(self.budget_per_share.atomics()).map_err(|_| MathError::Overflow)?;
        let own_revenue = leaving.checked_mul(revenue)?;
        let own_budget = leaving.checked_mul(budget)?;
        // What the shares were paid above their value net of revenue and budget, in atomics.
        let at_spot = shares.multiply_ratio(self.reserves.tokens, total);
        let mut excess = own_revenue.checked_add(own_budget)?.checked_sub(
            signed(at_spot)
                .checked_sub(signed(paid))?
                .checked_mul(one)?,
        )?;
        let (took_revenue, took_budget) = if revenue.is_negative() {
            excess = excess.checked_sub(own_revenue)?;
            (own_revenue, excess.clamp(Int256::zero(), own_budget))
        } else {
            let took_budget = excess.clamp(Int256::zero(), own_budget);
            let took_revenue = (excess - took_budget).clamp(Int256::zero(), own_revenue);
            (took_revenue, took_budget)
        };
        let all = signed(total);
        let rest = signed(rest);
        let revenue = revenue
            .checked_mul(all)?
            .checked_sub(took_revenue)?
            .checked_div_euclid(rest)
            .map_err(|_| MathError::Overflow)?;
        let budget = budget
            .checked_mul(all)?
            .checked_sub(took_budget)?
            .checked_div_euclid(rest)
            .map_err(|_| MathError::Overflow)?;
        self.revenue_per_share = SignedDecimal256::new(revenue);
        self.budget_per_share =
            Decimal256::new(Uint256::try_from(budget).map_err(|_| MathError::Overflow)?);
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
