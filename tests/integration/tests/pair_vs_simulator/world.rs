//! The two pairs side by side: the compiled contract on cw-multi-test ([`Protocol`]) and the
//! simulator's [`Pair`], with what the test knows of each stake and lease (the simulator keeps
//! aggregates only; per-stake state lives with its agents, here the test).

use std::collections::BTreeMap;

use cosmwasm_std::{Addr, Decimal, Decimal256, Uint128};
use cw_multi_test::AppResponse;
use loopin::pair::{ConfigResponse, ExecuteMsg, QueryMsg};
use loopin::pool::{LeaseReward, PoolParams};
use loopin_integration_tests::protocol::{EPOCH, Protocol, attr};
use loopin_pair::state::{SELLER_PRICE, SHARE_VALUE};
use loopin_pool_math::capacity::EpochClock;
use loopin_simulator::emission::Emission;

use loopin_simulator::pair::{Pair, per_device_hour};

/// A numeric attribute of a response.
pub fn number(response: &AppResponse, key: &str) -> u128 {
    attr(response, key)
        .unwrap_or_else(|| panic!("no attribute {key}"))
        .parse()
        .unwrap()
}

/// A stake as its miner knows it.
#[derive(Clone, Debug)]
pub struct StakeModel {
    pub id: u64,
    pub owner: &'static str,
    pub provider: bool,
    pub token_id: String,
    pub hours: u128,
    pub start: u64,
    pub end: u64,
    pub shares: u128,
    pub deposit: u128,
    pub paid_until: u64,
    pub finished: bool,
    /// Rewards earned but not minted yet (the emission cap was reached).
    pub rewards_owed: u128,
}

/// A lease as its client knows it.
#[derive(Clone, Debug)]
pub struct LeaseModel {
    pub id: u64,
    pub client: &'static str,
    /// Index of the serving stake in [`World::stakes`].
    pub stake: usize,
    /// What it paid, fee included.
    pub paid: u128,
    /// Its rewards still owed, once a claim paid some of them.
    pub rewards_left: Option<LeaseReward>,
    pub epoch: u64,
    pub hours: u128,
    pub budget: u128,
    pub renewals_left: u32,
    pub cancelled: bool,
}

/// What the sequence did, for the run's summary and its lower bounds.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    pub stakes: usize,
    pub sellers: usize,
    pub leases: usize,
    pub renewals: usize,
    pub renewed_stakes: usize,
    pub cancels: usize,
    pub closes: usize,
    pub provides: usize,
    pub withdrawals: usize,
    pub boundaries: usize,
    pub seller_sales: usize,
    /// Sellers' sales the simulator's own budget estimate gets wrong, and by how much LOOP in
    /// all.
    pub estimated_sales_off: usize,
    pub estimated_sales_error: u128,
    pub settlements: usize,
    pub claims: usize,
    pub lease_reward_claims: usize,
    pub liquidity_claims: usize,
    pub capped_claims: usize,
    pub paid: u128,
    pub rewards: u128,
}

impl Tally {
    pub fn absorb(&mut self, other: &Tally) {
        self.stakes += other.stakes;
        self.sellers += other.sellers;
        self.leases += other.leases;
        self.renewals += other.renewals;
        self.renewed_stakes += other.renewed_stakes;
        self.cancels += other.cancels;
        self.closes += other.closes;
        self.provides += other.provides;
        self.withdrawals += other.withdrawals;
        self.boundaries += other.boundaries;
        self.seller_sales += other.seller_sales;
        self.estimated_sales_off += other.estimated_sales_off;
        self.estimated_sales_error += other.estimated_sales_error;
        self.settlements += other.settlements;
        self.claims += other.claims;
        self.lease_reward_claims += other.lease_reward_claims;
        self.liquidity_claims += other.liquidity_claims;
        self.capped_claims += other.capped_claims;
        self.paid += other.paid;
        self.rewards += other.rewards;
    }
}

pub struct World {
    pub p: Protocol,
    pub sim: Pair,
    /// The factory's emission cap, as the simulator models it.
    pub emission: Emission,
    pub factory: Addr,
    pub params: PoolParams,
    pub stakes: Vec<StakeModel>,
    pub leases: Vec<LeaseModel>,
    pub passive: Passive,
    /// Passive liquidity was withdrawn since the last boundary.
    pub withdrawn_this_epoch: bool,
    pub devices: u64,
    pub tally: Tally,
}

impl World {
    /// Both pairs, on a protocol whose factory mints at most `cap` per emission epoch (of
    /// [`EPOCH`], from the pair's genesis: one block instantiates both).
    pub fn new(p: Protocol, cap: u128) -> Self {
        let config: ConfigResponse = p
            .app
            .wrap()
            .query_wasm_smart(&p.pair, &QueryMsg::Config {})
            .unwrap();
        let clock = EpochClock::new(config.genesis, config.params.epoch_seconds).unwrap();
        let incentives = config.params.incentives.unwrap_or_default();
        let sim = Pair::new(clock, config.params.exchange_fee).with_incentives(incentives);
        Self {
            p,
            sim,
            emission: Emission::new(config.genesis, EPOCH, cap),
            factory: config.factory,
            params: config.params,
            stakes: vec![],
            leases: vec![],
            passive: Passive::default(),
            withdrawn_this_epoch: false,
            devices: 0,
            tally: Tally::default(),
        }
    }

    pub fn now(&self) -> u64 {
        self.p.app.block_info().time.seconds()
    }

    /// The simulator observes the clock, as every call to the contract does first.
    pub fn observe(&mut self) {
        let now = self.now();
        self.sim.observe(now).unwrap();
    }

    /// Both pairs' books agree: reserves, shares, hours per epoch, escrow, epoch.
    pub fn compare(&self, context: &str) {
        let pool = self.p.pool();
        let sim = &self.sim;
        assert_eq!(pool.epoch, sim.epoch, "epoch after {context}");
        assert_eq!(pool.reserves, sim.reserves, "reserves after {context}");
        assert_eq!(
            pool.total_shares, sim.total_shares,
            "shares after {context}"
        );
        assert_eq!(
            pool.provider_hours.u128(),
            sim.provider_hours,
            "provider hours after {context}"
        );
        assert_eq!(
            pool.seller_hours.u128(),
            sim.seller_hours,
            "seller hours after {context}"
        );
        assert_eq!(pool.escrow.u128(), sim.escrow, "escrow after {context}");
    }

    /// Proves the current epoch of every stake that supplies it, moves to `offset` seconds into
    /// the next epoch and processes the boundary on both pairs.
    pub fn advance(&mut self, offset: u64) {
        let epoch = self.sim.epoch;
        for stake in self.stakes.clone() {
            if stake.start <= epoch && epoch < stake.end {
                self.p.prove(&stake.token_id).unwrap();
            }
        }
        self.compare("the passes");
        let next = self.sim.clock.start_of(epoch + 1).unwrap() + offset.min(EPOCH - 1);
        self.p.app.update_block(|block| {
            block.time = cosmwasm_std::Timestamp::from_seconds(next);
            block.height += 1;
        });
        let keeper = self.p.addr("dave");
        let response = self
            .p
            .exec(&keeper, &ExecuteMsg::AdvanceEpoch { max_epochs: None })
            .unwrap();
        assert_eq!(number(&response, "boundaries"), 1);
        let after = self.p.pool();
        // What the simulator's own estimate of the budget would have sold (`Pair::advance`).
        let estimate = self.sim.clone().advance().unwrap();
        // The seller budget is the contract's (the simulator has no exact account of it): what
        // its sale took out of the LOOP reserve after the settlements.
        let boundary = self
            .sim
            .advance_with(|sim| {
                sim.reserves
                    .tokens
                    .u128()
                    .saturating_sub(after.reserves.tokens.u128())
            })
            .unwrap();
        self.observe();
        self.tally.boundaries += 1;
        self.tally.seller_sales += usize::from(boundary.seller_proceeds > 0);
        // Without a withdrawal in the epoch the estimate is the contract's budget but for the
        // rounding (the contract floors the revenue's total, then the budget per share, then
        // the budget); a withdrawal paid below spot leaves revenue behind that it misses.
        let off = estimate.seller_proceeds.abs_diff(boundary.seller_proceeds);
        if !std::mem::take(&mut self.withdrawn_this_epoch) {
            assert!(
                off <= 2,
                "the simulator's seller budget is {off} off: {estimate:?}, {boundary:?}"
            );
        }
        if off > 0 {
            self.tally.estimated_sales_off += 1;
            self.tally.estimated_sales_error += off;
        }
        self.tally.settlements += usize::from(boundary.settled > 0);
        let trading = self.sim.trading_epoch();
        let wrap = self.p.app.wrap();
        let price = SELLER_PRICE
            .query(&wrap, self.p.pair.clone(), trading)
            .unwrap();
        assert_eq!(
            price,
            self.sim.seller_price(trading),
            "seller price of {trading}"
        );
        let settlement = SHARE_VALUE
            .query(&wrap, self.p.pair.clone(), trading)
            .unwrap();
        assert_eq!(
            settlement.map(|s| (s.tokens, s.total_shares)),
            self.sim.settlement(trading),
            "settlement of {trading}"
        );
        self.compare("the boundary");
        self.accrue_liquidity_rewards();
        self.compare_liquidity_rewards();
        assert_eq!(number(&response, "burned"), boundary.fee, "sale's fee");
    }

    /// A seller's deposit: a LOOP per device-hour per hour of rate, at least the maintenance of
    /// its whole stake.
    pub fn seller_deposit(&self, rate: Decimal, hours: u128, epochs: u64) -> u128 {
        let maintenance =
            per_device_hour(self.params.economics.beta, hours * u128::from(epochs), true);
        self.params
            .seller_deposit
            .mul_ceil(rate)
            .u128()
            .max(maintenance)
    }
}

/// `amount` as the contract's integer type.
pub fn uint(amount: u128) -> Uint128 {
    Uint128::new(amount)
}

/// A passive provider's own view of its liquidity rewards.
#[derive(Clone, Debug, Default)]
pub struct PassiveModel {
    /// Shares held since before the last boundary, and provided since.
    pub earning: u128,
    pub waiting: u128,
    /// Its exact part of every epoch's reward so far.
    pub earned: Decimal256,
    /// What claims minted for it.
    pub paid: u128,
    /// Calls that accounted its rewards (provide, withdraw, claim).
    pub accounted: u128,
}

pub type Passive = BTreeMap<&'static str, PassiveModel>;
