//! The dated, rolling pair of `docs/pair.md`, composed from the pool-math functions the contract
//! uses. Aggregates only, as in the contract; per-stake state lives with the agents.
//!
//! During epoch `c` the pool trades hours of epoch `c + 1`. At each boundary unleased hours are
//! withdrawn, ending providers are settled at `min(y, TWAP(y))`, active providers' hours are
//! re-listed and sellers' hours are sold into the pool as one swap.

use std::collections::BTreeMap;

use cosmwasm_std::{Decimal, Decimal256, Uint128};
use loopin_pool_math::MathError;
use loopin_pool_math::amm::{Reserves, Swap};
use loopin_pool_math::capacity::EpochClock;
use loopin_pool_math::oracle::{PriceAccumulator, TimeWeighted};
use loopin_pool_math::shares::{self, share_of};

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
    pub seller_hours: u128,
    /// LOOP owed to stakes (settlements, seller proceeds and deposits).
    pub escrow: u128,
    pub accumulator: PriceAccumulator,
    tokens_twap: TimeWeighted,
    epoch_mark: TimeWeighted,
    provider_ending: BTreeMap<u64, u128>,
    seller_ending: BTreeMap<u64, u128>,
    shares_ending: BTreeMap<u64, u128>,
    /// End epoch -> (LOOP reserve used, total shares) of the settlement.
    share_value: BTreeMap<u64, (Uint128, Uint128)>,
    /// Trading epoch -> LOOP per micro-hour paid to sellers.
    seller_price: BTreeMap<u64, Decimal256>,
}

fn add(map: &mut BTreeMap<u64, u128>, key: u64, amount: u128) {
    *map.entry(key).or_default() += amount;
}

fn sub(map: &mut BTreeMap<u64, u128>, key: u64, amount: u128) {
    let slot = map.entry(key).or_default();
    *slot = slot.saturating_sub(amount);
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
            tokens_twap: TimeWeighted::start(clock.genesis),
            epoch_mark: TimeWeighted::start(clock.genesis),
            provider_ending: BTreeMap::new(),
            seller_ending: BTreeMap::new(),
            shares_ending: BTreeMap::new(),
            share_value: BTreeMap::new(),
            seller_price: BTreeMap::new(),
        }
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

    /// Advances the oracles to `now` (every state change does this first, as the contract).
    pub fn observe(&mut self, now: u64) -> Result<(), MathError> {
        self.accumulator = self.accumulator.advance(now, &self.reserves)?;
        self.tokens_twap = self.tokens_twap.advance(now, self.reserves.tokens)?;
        Ok(())
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

    /// A seller sells its first epoch's `hours` at once and commits the rest to later
    /// boundaries. Returns the swap (proceeds escrowed, fee burned).
    pub fn stake_seller(&mut self, hours: u128, end: u64) -> Result<Swap, MathError> {
        let sale = self.reserves.sell_hours(Uint128::new(hours), self.fee)?;
        self.reserves = sale.reserves;
        self.escrow += sale.receive.u128();
        self.seller_hours += hours;
        add(&mut self.seller_ending, end, hours);
        Ok(sale)
    }

    /// Extends a stake ending at `end` by one epoch.
    pub fn renew(&mut self, provider: bool, hours: u128, shares: u128, end: u64) {
        if provider {
            sub(&mut self.provider_ending, end, hours);
            add(&mut self.provider_ending, end + 1, hours);
            sub(&mut self.shares_ending, end, shares);
            add(&mut self.shares_ending, end + 1, shares);
        } else {
            sub(&mut self.seller_ending, end, hours);
            add(&mut self.seller_ending, end + 1, hours);
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
        self.reserves = swap.reserves;
        Ok(Some(swap))
    }

    /// The boundary into epoch `c + 1`, trading `c + 2` (docs/pair.md, AdvanceEpoch).
    pub fn advance(&mut self) -> Result<Boundary, MathError> {
        let boundary = self.epoch + 1;
        let trading = boundary + 1;
        self.observe(self.clock.start_of(boundary)?)?;
        let mut report = Boundary {
            withdrawn: self.reserves.hours.u128(),
            ..Boundary::default()
        };
        self.reserves.hours = Uint128::zero();

        if let Some(shares) = self.shares_ending.remove(&trading)
            && shares > 0
        {
            let average = self.tokens_twap.average_since(&self.epoch_mark)?;
            let tokens = average.map_or(self.reserves.tokens, |a| a.min(self.reserves.tokens));
            let value = share_of(tokens, Uint128::new(shares), self.total_shares)?;
            self.share_value
                .insert(trading, (tokens, self.total_shares));
            self.reserves.tokens -= value;
            self.total_shares -= Uint128::new(shares);
            self.escrow += value.u128();
            report.settled = value.u128();
        }
        self.epoch_mark = self.tokens_twap;

        self.provider_hours -= self.provider_ending.remove(&trading).unwrap_or_default();
        self.seller_hours -= self.seller_ending.remove(&trading).unwrap_or_default();
        self.reserves.hours = Uint128::new(self.provider_hours);
        self.epoch = boundary;

        if self.seller_hours > 0
            && let Ok(sale) = self
                .reserves
                .sell_hours(Uint128::new(self.seller_hours), self.fee)
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
    use loopin_pool_math::HOUR;

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
        // B leaves with about half the LOOP; A alone holds the pool at a higher price.
        assert!(boundary.settled.abs_diff(before / 2) < loop_ / 100);
        assert_eq!(pair.reserves.hours.u128(), HOUR);
        assert!((pair.price().unwrap() / loop_ as f64 - 13.33).abs() < 0.05);
    }
}
