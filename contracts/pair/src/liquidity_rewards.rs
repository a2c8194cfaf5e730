//! Passive liquidity rewards (the class's `incentives.liquidity_per_epoch`, docs/pair.md
//! "Incentives"): each epoch's reward is shared among the passive shares held through the
//! whole epoch. A share provided during an epoch waits for the next boundary and earns from
//! then on; a share withdrawn during an epoch earns nothing for it. So providing just before a
//! boundary and withdrawing just after earns nothing, and pays the exit fee.
//!
//! Lazy, O(1) per call whatever the number of providers and epochs: one accumulator of the
//! reward per earning share, brought up to the processed boundaries when a provider acts (all
//! the boundaries since in one step: the earning shares cannot change between two calls that
//! touch them), and per provider a checkpoint of it. The accumulator is recorded only at a
//! boundary where waiting shares joined, for the providers whose shares joined there.

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Addr, Decimal256, DepsMut, Response, Storage, Uint128, Uint256};
use loopin::pair::LiquidityRewardsResponse;

use crate::claim::emission_left;
use crate::error::ContractError;
use crate::outflow;
use crate::state::{CONFIG, Config, LIQUIDITY, POOL};

/// The pool's side of the book.
#[cw_serde]
#[derive(Default)]
pub struct LiquidityRewards {
    /// Last processed boundary accounted for.
    pub epoch: u64,
    /// Reward per earning share since the pool started paying them (LOOP per share).
    pub per_share: Decimal256,
    /// Passive shares held since before the last boundary: they share the next one's reward.
    pub earning: Uint128,
    /// Passive shares provided since the last boundary: they earn from the next one on.
    pub waiting: Uint128,
}

/// A provider's side of the book.
#[cw_serde]
#[derive(Default)]
pub struct RewardPosition {
    pub earning: Uint128,
    pub waiting: Uint128,
    /// The epoch in which the waiting shares were provided.
    pub waiting_since: u64,
    /// `per_share` when the earning shares were last accounted.
    pub checkpoint: Decimal256,
    /// Accrued and not paid yet.
    pub owed: Uint128,
}

pub const LIQUIDITY_REWARDS: cw_storage_plus::Item<LiquidityRewards> =
    cw_storage_plus::Item::new("liquidity_rewards");
/// Boundary -> `per_share` right after it, recorded where waiting shares joined there.
pub const PER_SHARE_AT: cw_storage_plus::Map<u64, Decimal256> =
    cw_storage_plus::Map::new("per_share_at");
pub const REWARD_POSITIONS: cw_storage_plus::Map<&Addr, RewardPosition> =
    cw_storage_plus::Map::new("reward_positions");

fn per_share(reward: Uint128, shares: Uint128) -> Decimal256 {
    if shares.is_zero() {
        return Decimal256::zero();
    }
    Decimal256::from_ratio(reward, shares)
}

/// `shares` times a reward per share, rounded down.
fn times(shares: Uint128, rate: Decimal256) -> Result<Uint128, ContractError> {
    let value = Uint256::from(shares).checked_mul(rate.atomics())? / Decimal256::one().atomics();
    Uint128::try_from(value).map_err(|_| ContractError::Math(loopin_pool_math::MathError::Overflow))
}

impl LiquidityRewards {
    /// Accrues the boundaries processed since the last call, up to `epoch`: at the first, the
    /// epoch that ended is shared by the shares earning through it and the waiting shares join
    /// (the accumulator is returned then, to record); at each later one, by all of them.
    fn catch_up(
        &mut self,
        epoch: u64,
        reward: Uint128,
    ) -> Result<Option<(u64, Decimal256)>, ContractError> {
        if epoch <= self.epoch {
            return Ok(None);
        }
        self.per_share = self
            .per_share
            .checked_add(per_share(reward, self.earning))?;
        let joined = (!self.waiting.is_zero()).then_some((self.epoch + 1, self.per_share));
        self.earning = self.earning.checked_add(self.waiting)?;
        self.waiting = Uint128::zero();
        let later = Decimal256::from_ratio(epoch - self.epoch - 1, 1u64);
        self.per_share = self
            .per_share
            .checked_add(per_share(reward, self.earning).checked_mul(later)?)?;
        self.epoch = epoch;
        Ok(joined)
    }
}

/// The book brought up to the processed boundaries for one provider holding `held` passive
/// shares; `None` when the class pays no liquidity reward.
struct Book {
    rewards: LiquidityRewards,
    joined: Option<(u64, Decimal256)>,
    position: RewardPosition,
}

impl Book {
    fn load(
        storage: &dyn Storage,
        config: &Config,
        owner: &Addr,
        epoch: u64,
        held: Uint128,
    ) -> Result<Option<Book>, ContractError> {
        let reward = config.params.incentives().liquidity_per_epoch;
        if reward.is_zero() {
            return Ok(None);
        }
        let mut rewards = LIQUIDITY_REWARDS.may_load(storage)?.unwrap_or_default();
        let joined = rewards.catch_up(epoch, reward)?;
        let mut book = Book {
            rewards,
            joined,
            position: REWARD_POSITIONS
                .may_load(storage, owner)?
                .unwrap_or_default(),
        };
        book.settle(storage)?;
        // Shares provided before the pool paid liquidity rewards join like new ones.
        let tracked = book.position.earning + book.position.waiting;
        book.add(held.saturating_sub(tracked))?;
        Ok(Some(book))
    }

    /// Accounts the provider's earning shares up to now, and its waiting shares from the
    /// boundary they joined at, if one has passed.
    fn settle(&mut self, storage: &dyn Storage) -> Result<(), ContractError> {
        let p = &mut self.position;
        let now = self.rewards.per_share;
        p.owed = p
            .owed
            .checked_add(times(p.earning, now.checked_sub(p.checkpoint)?)?)?;
        if !p.waiting.is_zero() && p.waiting_since < self.rewards.epoch {
            let boundary = p.waiting_since + 1;
            let joined = match self.joined {
                Some((at, value)) if at == boundary => value,
                _ => PER_SHARE_AT.load(storage, boundary)?,
            };
            p.owed = p
                .owed
                .checked_add(times(p.waiting, now.checked_sub(joined)?)?)?;
            p.earning = p.earning.checked_add(p.waiting)?;
            p.waiting = Uint128::zero();
        }
        p.checkpoint = now;
        Ok(())
    }

    /// New shares: they wait for the next boundary.
    fn add(&mut self, shares: Uint128) -> Result<(), ContractError> {
        if shares.is_zero() {
            return Ok(());
        }
        self.position.waiting = self.position.waiting.checked_add(shares)?;
        self.position.waiting_since = self.rewards.epoch;
        self.rewards.waiting = self.rewards.waiting.checked_add(shares)?;
        Ok(())
    }

    /// Shares leaving: the waiting ones first (they have earned nothing yet).
    fn remove(&mut self, shares: Uint128) -> Result<(), ContractError> {
        let waiting = shares.min(self.position.waiting);
        self.position.waiting -= waiting;
        self.rewards.waiting = self.rewards.waiting.checked_sub(waiting)?;
        let earning = shares - waiting;
        self.position.earning = self.position.earning.checked_sub(earning)?;
        self.rewards.earning = self.rewards.earning.checked_sub(earning)?;
        Ok(())
    }

    fn save(&self, storage: &mut dyn Storage, owner: &Addr) -> Result<(), ContractError> {
        if let Some((boundary, value)) = self.joined {
            PER_SHARE_AT.save(storage, boundary, &value)?;
        }
        LIQUIDITY_REWARDS.save(storage, &self.rewards)?;
        REWARD_POSITIONS.save(storage, owner, &self.position)?;
        Ok(())
    }
}

/// What a passive provider does to its shares.
pub(crate) enum Change {
    Provided(Uint128),
    Withdrawn(Uint128),
}

/// Books a provider's change of shares at processed boundary `epoch`, when the class pays
/// liquidity rewards.
pub(crate) fn on_change(
    storage: &mut dyn Storage,
    config: &Config,
    owner: &Addr,
    epoch: u64,
    held: Uint128,
    change: Change,
) -> Result<(), ContractError> {
    let Some(mut book) = Book::load(storage, config, owner, epoch, held)? else {
        return Ok(());
    };
    match change {
        Change::Provided(shares) => book.add(shares)?,
        Change::Withdrawn(shares) => book.remove(shares)?,
    }
    book.save(storage, owner)
}

pub fn claim_liquidity_rewards(deps: DepsMut, sender: Addr) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let epoch = POOL.load(deps.storage)?.epoch;
    let held = LIQUIDITY
        .may_load(deps.storage, &sender)?
        .unwrap_or_default();
    let Some(mut book) = Book::load(deps.storage, &config, &sender, epoch, held)? else {
        return Err(ContractError::NothingToClaim {});
    };
    let owed = book.position.owed;
    if owed.is_zero() {
        return Err(ContractError::NothingToClaim {});
    }
    let paid = owed.min(emission_left(&deps.querier, &config, owed)?);
    if paid.is_zero() {
        return Err(ContractError::EmissionExhausted { owed });
    }
    book.position.owed = owed - paid;
    book.save(deps.storage, &sender)?;
    Ok(Response::new()
        .add_attribute("action", "claim_liquidity_rewards")
        .add_attribute("provider", &sender)
        .add_attribute("rewards", paid)
        .add_attribute("rewards_owed", owed - paid)
        .add_messages(outflow::reward(&config.factory, &sender, paid)?))
}

pub fn query_liquidity_rewards(
    storage: &dyn Storage,
    config: &Config,
    owner: &Addr,
) -> Result<LiquidityRewardsResponse, ContractError> {
    let epoch = POOL.load(storage)?.epoch;
    let held = LIQUIDITY.may_load(storage, owner)?.unwrap_or_default();
    let per_epoch = config.params.incentives().liquidity_per_epoch;
    let Some(book) = Book::load(storage, config, owner, epoch, held)? else {
        return Ok(LiquidityRewardsResponse {
            owed: Uint128::zero(),
            earning_shares: Uint128::zero(),
            waiting_shares: Uint128::zero(),
            per_epoch,
            total_earning_shares: Uint128::zero(),
        });
    };
    Ok(LiquidityRewardsResponse {
        owed: book.position.owed,
        earning_shares: book.position.earning,
        waiting_shares: book.position.waiting,
        per_epoch,
        total_earning_shares: book.rewards.earning,
    })
}
