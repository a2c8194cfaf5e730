//! The dated, rolling pair of `docs/pair.md`, composed from the pool-math functions the contract
//! uses. Aggregates only, as in the contract; per-stake state lives with the agents.
//!
//! During epoch `c` the pool trades hours of epoch `c + 1`. At each boundary unleased hours are
//! withdrawn, ending providers are settled at the LOOP per share `v = y / S` of the boundary,
//! active providers' hours are re-listed and registered sellers' hours are sold into the pool as
//! one sale within the seller budget (what the epoch's clients paid for hours). Passive
//! liquidity buys shares at `v⁺ = max(y / S, its average since the boundary)` and is paid
//! `v⁻ = min(y / S, that average)` less the exit fee.
//!
//! The contract's seller budget is an exact per-share account of the clients' trades
//! (`contracts/pair/src/revenue.rs`), which `loopin-pool-math` does not hold: [`Pair::advance`]
//! estimates it as the epoch's lease revenue per share times the shares at the boundary (within
//! two micro-LOOP of the contract's in an epoch without withdrawals; a withdrawal paid below
//! spot leaves revenue behind that the estimate does not count), and [`Pair::advance_with`]
//! takes it from the caller (the differential test,
//! `tests/integration/tests/pair_vs_simulator.rs`, gives it the contract's).

use std::collections::BTreeMap;

use cosmwasm_std::{Decimal, Decimal256, SignedDecimal256, Uint128, Uint256};
use loopin::pool::{Incentives, LeaseReward};
use loopin_pool_math::amm::{Reserves, Swap, fee_on};
use loopin_pool_math::capacity::EpochClock;
use loopin_pool_math::oracle::{PriceAccumulator, TimeWeightedRatio};
use loopin_pool_math::shares::{self, share_of};
use loopin_pool_math::{HOUR, MathError};

/// What one epoch boundary did.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Boundary {
    /// Unleased micro-hours withdrawn (Fig. 4a).
    pub withdrawn: u128,
    /// LOOP moved from the pool to escrow for the providers that ended.
    pub settled: u128,
    /// LOOP paid to sellers for the new trading epoch (escrowed).
    pub seller_proceeds: u128,
    /// Exchange fee of the sellers' sale, burned.
    pub fee: u128,
}

/// What a withdrawal of passive liquidity pays.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Withdrawal {
    /// LOOP taken out of the reserve.
    pub gross: u128,
    /// The exit fee, burned.
    pub fee: u128,
    /// What the provider receives.
    pub out: u128,
}

/// The pool state a pair contract keeps, minus storage.
#[derive(Clone, Debug)]
pub struct Pair {
    pub clock: EpochClock,
    pub fee: Decimal,
    /// The current epoch `c`; the pool trades `c + 1`.
    pub epoch: u64,
    pub reserves: Reserves,
    pub total_shares: Uint128,
    pub provider_hours: u128,
    /// Hours per epoch of registered sellers that the next boundary's sale sells.
    pub seller_hours: u128,
    /// LOOP owed outside the reserves (settlements, seller proceeds and deposits, standing
    /// orders' budgets).
    pub escrow: u128,
    pub accumulator: PriceAccumulator,
    /// LOOP per share, time-weighted, and its value at the last boundary (`v⁺`, `v⁻`).
    share_value_twap: TimeWeightedRatio,
    share_value_mark: TimeWeightedRatio,
    /// LOOP per share the clients' trades of the trading epoch's hours left in the reserve,
    /// each divided by the shares of its instant: [`Pair::advance`]'s estimate of the seller
    /// budget, times the shares at the boundary.
    revenue_per_share: SignedDecimal256,
    provider_ending: BTreeMap<u64, u128>,
    seller_ending: BTreeMap<u64, u128>,
    shares_ending: BTreeMap<u64, u128>,
    /// End epoch -> (LOOP reserve, total shares) of the settlement.
    share_value: BTreeMap<u64, (Uint128, Uint128)>,
    /// Trading epoch -> LOOP per micro-hour paid to sellers.
    seller_price: BTreeMap<u64, Decimal256>,
    /// The class's rewards beyond `gamma` (none by default).
    pub incentives: Incentives,
    /// Passive shares earning the liquidity reward (held since before the last boundary) and
    /// waiting for the next boundary (provided since).
    pub passive_earning: u128,
    pub passive_waiting: u128,
    /// Boundary -> the liquidity reward of the epoch it ended and the passive shares held
    /// through that epoch, which share it.
    liquidity_rewards: BTreeMap<u64, (u128, u128)>,
}

fn add(map: &mut BTreeMap<u64, u128>, key: u64, amount: u128) {
    *map.entry(key).or_default() += amount;
}

fn sub(map: &mut BTreeMap<u64, u128>, key: u64, amount: u128) {
    let slot = map.entry(key).or_default();
    *slot = slot.saturating_sub(amount);
}

/// `per_hour` LOOP per device-hour over `micro_hours`, rounded down (what the pool pays) or up
/// (what it charges).
pub fn per_device_hour(per_hour: Decimal, micro_hours: u128, round_up: bool) -> u128 {
    let value = per_hour * Decimal::from_ratio(micro_hours, HOUR);
    if round_up {
        value.to_uint_ceil()
    } else {
        value.to_uint_floor()
    }
    .u128()
}

impl Pair {
    pub fn new(clock: EpochClock, fee: Decimal) -> Self {
        Self {
            clock,
            fee,
            epoch: 0,
            reserves: Reserves::default(),
            total_shares: Uint128::zero(),
            provider_hours: 0,
            seller_hours: 0,
            escrow: 0,
            accumulator: PriceAccumulator::start(clock.genesis),
            share_value_twap: TimeWeightedRatio::start(clock.genesis),
            share_value_mark: TimeWeightedRatio::start(clock.genesis),
            revenue_per_share: SignedDecimal256::zero(),
            provider_ending: BTreeMap::new(),
            seller_ending: BTreeMap::new(),
            shares_ending: BTreeMap::new(),
            share_value: BTreeMap::new(),
            seller_price: BTreeMap::new(),
            incentives: Incentives::default(),
            passive_earning: 0,
            passive_waiting: 0,
            liquidity_rewards: BTreeMap::new(),
        }
    }

    /// The pair of a class paying `incentives`.
    pub fn with_incentives(self, incentives: Incentives) -> Self {
        Self { incentives, ..self }
    }

    /// The rewards of a lease of `hours` that paid `paid` (fee included), once delivered in a
    /// proven epoch: to its client and to the owner of the stake that served it.
    pub fn lease_reward(&self, hours: u128, paid: u128) -> Result<LeaseReward, MathError> {
        self.incentives
            .lease_reward(Uint128::new(hours), Uint128::new(paid), self.fee)
    }

    /// The epoch whose hours are traded now.
    pub fn trading_epoch(&self) -> u64 {
        self.epoch + 1
    }

    /// LOOP smallest units per device-hour, or `None` without a price.
    pub fn price(&self) -> Option<f64> {
        self.reserves
            .spot_price()
            .ok()
            .map(|p| p.to_string().parse().unwrap_or(0.0))
    }

    /// LOOP per liquidity share at spot; `None` while there are no shares.
    pub fn share_value(&self) -> Option<Decimal256> {
        (!self.total_shares.is_zero())
            .then(|| Decimal256::from_ratio(self.reserves.tokens, self.total_shares))
    }

    /// Advances the oracles to `now` (every state change does this first, as the contract).
    pub fn observe(&mut self, now: u64) -> Result<(), MathError> {
        self.accumulator = self.accumulator.advance(now, &self.reserves)?;
        self.share_value_twap = self.share_value_twap.advance(now, self.share_value())?;
        Ok(())
    }

    /// The share value's average since the last boundary, with the spot value; `None` unless
    /// both exist.
    fn average_and_spot(&self) -> Result<Option<(Decimal256, Decimal256)>, MathError> {
        let average = self
            .share_value_twap
            .average_since(&self.share_value_mark)?;
        Ok(average.zip(self.share_value()))
    }

    /// The LOOP reserve a withdrawal's shares are valued against: `v⁻` times the shares,
    /// rounded down.
    fn tokens_for_exits(&self) -> Result<Uint128, MathError> {
        Ok(match self.average_and_spot()? {
            Some((average, spot)) if average < spot => {
                let at_average = Decimal256::from_ratio(self.total_shares, 1u128) * average;
                Uint128::try_from(at_average.to_uint_floor())
                    .map_err(|_| MathError::Overflow)?
                    .min(self.reserves.tokens)
            }
            _ => self.reserves.tokens,
        })
    }

    /// The LOOP reserve a deposit buys shares against: `v⁺` times the shares, rounded up.
    fn tokens_for_deposits(&self) -> Result<Uint128, MathError> {
        Ok(match self.average_and_spot()? {
            Some((average, spot)) if average > spot => {
                let at_average = Decimal256::from_ratio(self.total_shares, 1u128) * average;
                Uint128::try_from(at_average.to_uint_ceil()).map_err(|_| MathError::Overflow)?
            }
            _ => self.reserves.tokens,
        })
    }

    /// A liquidity provider lists `hours` per epoch for trading epochs `[c+1, end)`. It matches
    /// the spot price, or sets it with `price_setting_tokens` when no hours are listed.
    /// Returns `(shares, LOOP taken)`.
    pub fn stake_provider(
        &mut self,
        hours: u128,
        end: u64,
        price_setting_tokens: u128,
    ) -> Result<(u128, u128), MathError> {
        let hours = Uint128::new(hours);
        let sets_price = self.reserves.hours.is_zero();
        let tokens = if sets_price {
            Uint128::new(price_setting_tokens)
        } else {
            self.reserves.matching_tokens(hours)?
        };
        let offered = Reserves { hours, tokens };
        let (minted, taken) = if sets_price && !self.total_shares.is_zero() {
            if self.reserves.tokens.is_zero() {
                return Err(MathError::EmptyPool);
            }
            let minted = tokens.multiply_ratio(self.total_shares, self.reserves.tokens);
            if minted.is_zero() {
                return Err(MathError::DepositTooSmall);
            }
            (minted, tokens)
        } else {
            let deposit = shares::deposit(&self.reserves, self.total_shares, &offered)?;
            self.total_shares += deposit.locked;
            (deposit.shares, deposit.taken.tokens)
        };
        self.reserves.hours += hours;
        self.reserves.tokens += taken;
        self.total_shares += minted;
        self.provider_hours += hours.u128();
        add(&mut self.shares_ending, end, minted.u128());
        add(&mut self.provider_ending, end, hours.u128());
        Ok((minted.u128(), taken.u128()))
    }

    /// A seller's device registered: its `hours` per epoch are sold at every boundary from the
    /// next one until the one that trades `end` (docs/pair.md, Stake: *Seller*). Its deposit is
    /// escrowed at its stake ([`Pair::hold`]).
    pub fn register_seller(&mut self, hours: u128, end: u64) {
        self.seller_hours += hours;
        add(&mut self.seller_ending, end, hours);
    }

    /// LOOP held outside the reserves: a seller's deposit, a standing order's budget.
    pub fn hold(&mut self, amount: u128) {
        self.escrow += amount;
    }

    /// LOOP paid out of escrow: a claim, a standing order's budget returned.
    pub fn release(&mut self, amount: u128) -> Result<(), MathError> {
        self.escrow = self.escrow.checked_sub(amount).ok_or(MathError::Overflow)?;
        Ok(())
    }

    /// Extends a stake ending at `end` by one epoch.
    pub fn renew(&mut self, provider: bool, hours: u128, shares: u128, end: u64) {
        self.move_end(provider, hours, shares, end, end + 1);
    }

    /// Moves a stake's end from `end` to `new_end` (a renewal by several epochs): its hours,
    /// and a provider's shares, leave the books at the boundary that trades `new_end`.
    pub fn move_end(&mut self, provider: bool, hours: u128, shares: u128, end: u64, new_end: u64) {
        if provider {
            sub(&mut self.provider_ending, end, hours);
            add(&mut self.provider_ending, new_end, hours);
            sub(&mut self.shares_ending, end, shares);
            add(&mut self.shares_ending, new_end, shares);
        } else {
            sub(&mut self.seller_ending, end, hours);
            add(&mut self.seller_ending, new_end, hours);
        }
    }

    /// Books a client's trade of the trading epoch's hours.
    fn trade(&mut self, swap: &Swap) {
        let before = self.reserves.tokens.u128() as i128;
        self.reserves = swap.reserves;
        let change = self.reserves.tokens.u128() as i128 - before;
        if let Ok(per_share) =
            SignedDecimal256::checked_from_ratio(change, self.total_shares.u128() as i128)
        {
            self.revenue_per_share += per_share;
        }
    }

    /// A client buys at least `hours` micro-hours of the trading epoch, paying at most
    /// `max_offer` LOOP.
    pub fn lease(&mut self, hours: u128, max_offer: u128) -> Result<Option<Swap>, MathError> {
        let swap = self
            .reserves
            .buy_exact_hours(Uint128::new(hours), self.fee)?;
        if swap.offer.u128() > max_offer {
            return Ok(None);
        }
        self.trade(&swap);
        Ok(Some(swap))
    }

    /// A standing order buys its `hours` for the trading epoch out of its budget (escrowed),
    /// paying at most `bound`.
    pub fn renew_order(&mut self, hours: u128, bound: u128) -> Result<Option<Swap>, MathError> {
        let Some(swap) = self.lease(hours, bound)? else {
            return Ok(None);
        };
        self.release(swap.offer.u128())?;
        Ok(Some(swap))
    }

    /// A lease of the trading epoch's `hours` cancelled: they are sold back along the curve.
    pub fn cancel(&mut self, hours: u128) -> Result<Swap, MathError> {
        let sale = self.reserves.sell_hours(Uint128::new(hours), self.fee)?;
        self.trade(&sale);
        Ok(sale)
    }

    /// Passive LOOP liquidity: `floor(amount / v⁺)` shares. Fails without a price or for no
    /// share.
    pub fn provide(&mut self, amount: u128) -> Result<u128, MathError> {
        if self.total_shares.is_zero() || self.reserves.tokens.is_zero() {
            return Err(MathError::EmptyPool);
        }
        let minted =
            Uint128::new(amount).multiply_ratio(self.total_shares, self.tokens_for_deposits()?);
        if minted.is_zero() {
            return Err(MathError::DepositTooSmall);
        }
        self.reserves.tokens += Uint128::new(amount);
        self.total_shares += minted;
        self.passive_waiting += minted.u128();
        Ok(minted.u128())
    }

    /// Withdraws `shares` of passive liquidity at `v⁻`, less the exit fee (burned), `waiting`
    /// of them provided since the last boundary (a provider's waiting shares leave first:
    /// they have earned no liquidity reward yet). Fails when it would pay nothing.
    pub fn withdraw(&mut self, shares: u128, waiting: u128) -> Result<Withdrawal, MathError> {
        let total = self.total_shares.u128();
        if shares == 0 || shares > total {
            return Err(MathError::ZeroAmount);
        }
        let gross = Uint128::new(shares)
            .multiply_ratio(self.tokens_for_exits()?, self.total_shares)
            .u128();
        let fee = fee_on(gross, self.fee)?;
        let out = gross.saturating_sub(fee);
        if out == 0 {
            return Err(MathError::ZeroAmount);
        }
        self.reserves.tokens -= Uint128::new(gross);
        self.total_shares -= Uint128::new(shares);
        let waiting = waiting.min(shares);
        self.passive_waiting -= waiting;
        self.passive_earning -= shares - waiting;
        Ok(Withdrawal { gross, fee, out })
    }

    /// The boundary into epoch `c + 1`, trading `c + 2` (docs/pair.md, AdvanceEpoch), with the
    /// seller budget estimated as the epoch's lease revenue per share times the shares present
    /// (a share leaving takes its part; the contract's withdrawals, paid below spot, leave some
    /// of theirs behind, which this estimate does not count).
    pub fn advance(&mut self) -> Result<Boundary, MathError> {
        self.advance_with(|pair| {
            let per_share = Uint256::try_from(pair.revenue_per_share.atomics()).unwrap_or_default();
            let budget =
                Decimal256::new(per_share) * Decimal256::from_ratio(pair.total_shares, 1u128);
            Uint128::try_from(budget.to_uint_floor()).map_or(0, |b| b.u128())
        })
    }

    /// The boundary, with the seller budget `budget` gives for the pool as it stands after the
    /// settlements and the renewal of hours.
    pub fn advance_with(
        &mut self,
        budget: impl FnOnce(&Self) -> u128,
    ) -> Result<Boundary, MathError> {
        let boundary = self.epoch + 1;
        let trading = boundary + 1;
        self.observe(self.clock.start_of(boundary)?)?;
        let mut report = Boundary {
            withdrawn: self.reserves.hours.u128(),
            ..Boundary::default()
        };
        // The epoch that ends pays its liquidity reward to the passive shares held through it;
        // the shares provided during it earn from the next one on.
        let reward = self.incentives.liquidity_per_epoch.u128();
        if reward > 0 && self.passive_earning > 0 {
            self.liquidity_rewards
                .insert(boundary, (reward, self.passive_earning));
        }
        self.passive_earning += std::mem::take(&mut self.passive_waiting);
        self.reserves.hours = Uint128::zero();

        // Settlement at spot, after every trade of the epoch that ends.
        if let Some(shares) = self.shares_ending.remove(&trading)
            && shares > 0
        {
            let tokens = self.reserves.tokens;
            let value = share_of(tokens, Uint128::new(shares), self.total_shares)?;
            self.share_value
                .insert(trading, (tokens, self.total_shares));
            self.reserves.tokens -= value;
            self.total_shares -= Uint128::new(shares);
            self.escrow += value.u128();
            report.settled = value.u128();
        }
        self.share_value_mark = self.share_value_twap;

        self.provider_hours -= self.provider_ending.remove(&trading).unwrap_or_default();
        self.seller_hours -= self.seller_ending.remove(&trading).unwrap_or_default();
        self.reserves.hours = Uint128::new(self.provider_hours);
        self.epoch = boundary;

        let budget = Uint128::new(budget(self));
        self.revenue_per_share = SignedDecimal256::zero();
        if self.seller_hours > 0
            && let Ok(sale) =
                self.reserves
                    .sell_hours_within(Uint128::new(self.seller_hours), self.fee, budget)
        {
            self.reserves = sale.reserves;
            self.escrow += sale.receive.u128();
            report.seller_proceeds = sale.receive.u128();
            report.fee = sale.fee.u128();
            self.seller_price.insert(
                trading,
                Decimal256::from_ratio(sale.receive, self.seller_hours),
            );
        }
        Ok(report)
    }

    /// What `shares` of the providers settled at `end` receive.
    pub fn provider_payout(&self, end: u64, shares: u128) -> u128 {
        self.share_value.get(&end).map_or(0, |(tokens, total)| {
            Uint128::new(shares)
                .checked_multiply_ratio(*tokens, *total)
                .map_or(0, |v| v.u128())
        })
    }

    /// The settlement of the provider stakes ending at `end`: the LOOP reserve and the total
    /// shares at its boundary, which each stake's shares are paid a part of.
    pub fn settlement(&self, end: u64) -> Option<(Uint128, Uint128)> {
        self.share_value.get(&end).copied()
    }

    /// The liquidity reward of the epoch that boundary `boundary` ended and the passive shares
    /// that shared it; `None` if it paid none.
    pub fn liquidity_reward(&self, boundary: u64) -> Option<(u128, u128)> {
        self.liquidity_rewards.get(&boundary).copied()
    }

    /// LOOP per micro-hour the sellers' sale of `epoch` paid; `None` if their hours were not
    /// sold (and so not listed).
    pub fn seller_price(&self, epoch: u64) -> Option<Decimal256> {
        self.seller_price.get(&epoch).copied()
    }

    /// What a seller of `hours` per epoch earned for `epoch` (0 if its hours were not sold).
    pub fn seller_payout(&self, epoch: u64, hours: u128) -> u128 {
        self.seller_price.get(&epoch).map_or(0, |price| {
            (Decimal256::from_ratio(hours, 1u128) * *price)
                .to_uint_floor()
                .try_into()
                .map_or(0, |v: Uint128| v.u128())
        })
    }

    /// Takes an invalidated provider's position out of the pool: its shares' LOOP (returned,
    /// for refunds and burning) and its free hours of the trading epoch.
    pub fn seize_provider(
        &mut self,
        hours: u128,
        leased: u128,
        shares: u128,
        end: u64,
    ) -> Result<u128, MathError> {
        let value = share_of(
            self.reserves.tokens,
            Uint128::new(shares),
            self.total_shares,
        )?;
        self.reserves.tokens -= value;
        self.total_shares -= Uint128::new(shares);
        sub(&mut self.shares_ending, end, shares);
        self.withdraw_capacity(true, hours, leased, end);
        Ok(value.u128())
    }

    /// Takes an invalidated stake's hours out of the book from the trading epoch on.
    pub fn withdraw_capacity(&mut self, provider: bool, hours: u128, leased: u128, end: u64) {
        let free = hours.saturating_sub(leased);
        self.reserves.hours = self.reserves.hours.saturating_sub(Uint128::new(free));
        if provider {
            self.provider_hours -= hours;
            sub(&mut self.provider_ending, end, hours);
        } else {
            self.seller_hours -= hours;
            sub(&mut self.seller_ending, end, hours);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worked example of docs/pair.md.
    #[test]
    fn worked_example_of_docs_pair_md() {
        let clock = EpochClock::new(0, 3_600).unwrap();
        let mut pair = Pair::new(clock, Decimal::permille(3));
        let loop_ = 1_000_000u128;
        let (a_shares, _) = pair.stake_provider(HOUR, 101, 10 * loop_).unwrap();
        assert_eq!(a_shares + 1_000, 3_162_277);
        let (_, b_taken) = pair.stake_provider(HOUR, 2, 0).unwrap();
        assert_eq!(b_taken, 10 * loop_);
        assert_eq!(pair.reserves, Reserves::new(2 * HOUR, 20 * loop_));
        let lease = pair.lease(HOUR / 2, u128::MAX).unwrap().unwrap();
        assert!(lease.receive.u128() >= HOUR / 2);
        let before = pair.reserves.tokens.u128();
        let boundary = pair.advance().unwrap();
        assert_eq!(boundary.withdrawn, 2 * HOUR - lease.receive.u128());
        // B leaves with about half the LOOP at the boundary's LOOP per share; A alone holds the
        // pool at a higher price.
        assert!(boundary.settled.abs_diff(before / 2) < loop_ / 100);
        assert_eq!(pair.reserves.hours.u128(), HOUR);
        assert!((pair.price().unwrap() / loop_ as f64 - 13.33).abs() < 0.05);
    }

    /// A registered seller's hours are sold at the next boundary, within what the epoch's
    /// clients paid: with no lease they are listed for nothing.
    #[test]
    fn a_sellers_hours_are_sold_at_the_boundary_within_the_lease_revenue() {
        let clock = EpochClock::new(0, 3_600).unwrap();
        let mut pair = Pair::new(clock, Decimal::permille(3));
        pair.stake_provider(HOUR, 100, 10_000_000).unwrap();
        pair.register_seller(HOUR, 5);
        let boundary = pair.advance().unwrap();
        assert_eq!((boundary.seller_proceeds, boundary.fee), (0, 0));
        assert_eq!(pair.reserves.hours.u128(), 2 * HOUR);
        let lease = pair.lease(HOUR / 2, u128::MAX).unwrap().unwrap();
        let boundary = pair.advance().unwrap();
        let paid = lease.offer.u128() - lease.fee.u128();
        assert!(boundary.seller_proceeds + boundary.fee <= paid);
        assert!(boundary.seller_proceeds > 0);
        assert_eq!(pair.seller_payout(3, HOUR), boundary.seller_proceeds);
    }

    /// Passive liquidity moved in and out within an epoch, around nothing, costs the exit fee.
    #[test]
    fn passive_liquidity_in_and_out_pays_the_exit_fee() {
        let clock = EpochClock::new(0, 3_600).unwrap();
        let mut pair = Pair::new(clock, Decimal::permille(3));
        pair.stake_provider(HOUR, 100, 10_000_000).unwrap();
        pair.observe(100).unwrap();
        let shares = pair.provide(5_000_000).unwrap();
        pair.observe(200).unwrap();
        let paid = pair.withdraw(shares, shares).unwrap();
        assert!(paid.gross <= 5_000_000 && paid.gross + 2 >= 5_000_000);
        assert_eq!(paid.fee, fee_on(paid.gross, pair.fee).unwrap());
    }
}
