//! One world of the two-world harness: `World`, its protocol and what the harness tracks in it
//! (the adversary's stakes and leases, rewards, what clients paid), with the value and client
//! accounting of rules 1 and 2.

use std::collections::BTreeMap;

use cosmwasm_std::{Addr, Decimal, Decimal256, HexBinary, Timestamp, Uint128, to_json_binary};
use cw_multi_test::{AppResponse, Executor};
use loopin::pair::{
    ExecuteMsg, LeaseResponse, LiquidityResponse, PoolResponse, QueryMsg, ReceiveMsg,
};
use loopin::pool::{Incentives, PoolParams};
use loopin::stake_cert::StakeMode;
use loopin::token;
use loopin_integration_tests::protocol::{self, LOOP, Protocol, SSH_KEY, params, protocol_with};
use loopin_pair::ContractError;
use loopin_pair::state::{SELLER_PRICE, SHARE_VALUE, STAKES};
use loopin_pool_math::HOUR;

use crate::params::SUPPLIERS;

pub(crate) fn attr(response: &AppResponse, key: &str) -> Option<u128> {
    protocol::attr(response, key)?.parse().ok()
}

pub(crate) fn error(err: &anyhow::Error) -> Option<&ContractError> {
    err.downcast_ref::<ContractError>()
}

/// The class pays every incentive (issue 19): 0.004 LOOP per leased device-hour to the miner,
/// 0.006 to the client, 1 LOOP per epoch to passive liquidity.
const INCENTIVES: Incentives = Incentives {
    utilisation: Decimal::raw(4_000 * 1_000_000_000_000_000_000),
    client: Decimal::raw(6_000 * 1_000_000_000_000_000_000),
    liquidity_per_epoch: Uint128::new(LOOP),
};

/// One world: the protocol and what the harness tracks in it.
pub(crate) struct World {
    pub(crate) p: Protocol,
    /// Latest lease of dave's standing order.
    pub(crate) order: Option<u64>,
    pub(crate) adv_stakes: Vec<u64>,
    pub(crate) adv_leases: Vec<u64>,
    pub(crate) disputed: Vec<u64>,
    /// Rewards minted per owner (claim responses); per client, LOOP paid for leases and held
    /// at the start.
    rewards: BTreeMap<Addr, u128>,
    pub(crate) paid: BTreeMap<&'static str, u128>,
    initial: BTreeMap<&'static str, u128>,
    /// (certificate, clock epoch) of every pass reported.
    proven: std::collections::BTreeSet<(String, u64)>,
}

impl World {
    pub(crate) fn new(bob_epochs: u64, seller_epochs: u64) -> World {
        let mut p = protocol_with(
            PoolParams {
                incentives: Some(INCENTIVES),
                ..params()
            },
            1_000 * LOOP,
        );
        let fund = token::ExecuteMsg::Transfer {
            recipient: p.addr("lp").to_string(),
            amount: Uint128::new(1_000 * LOOP),
        };
        let (dave, token) = (p.addr("dave"), p.token.clone());
        p.app.execute_contract(dave, token, &fund, &[]).unwrap();
        let mut w = World {
            p,
            order: None,
            adv_stakes: vec![],
            adv_leases: vec![],
            disputed: vec![],
            rewards: BTreeMap::new(),
            paid: BTreeMap::new(),
            initial: BTreeMap::new(),
            proven: Default::default(),
        };
        // Alice sets the price: 10 LOOP per hour (her 11 LOOP less the staking fee).
        w.stake("alice", false, 40, Decimal::one(), 11 * LOOP)
            .unwrap();
        w.stake("bob", false, bob_epochs, Decimal::one(), 100 * LOOP)
            .unwrap();
        w.stake("seller", true, seller_epochs, Decimal::one(), 100 * LOOP)
            .unwrap();
        let provide = ReceiveMsg::ProvideLiquidity {
            min_shares: Uint128::zero(),
            deadline: None,
        };
        w.send("lp", 10 * LOOP, &provide).unwrap();
        for who in ["client", "dave"] {
            w.initial.insert(who, w.p.balance_of(who));
        }
        w
    }

    pub(crate) fn send(
        &mut self,
        from: &str,
        amount: u128,
        msg: &ReceiveMsg,
    ) -> anyhow::Result<AppResponse> {
        let send = token::ExecuteMsg::Send {
            contract: self.p.pair.to_string(),
            amount: Uint128::new(amount),
            msg: to_json_binary(msg).unwrap(),
        };
        let (sender, token) = (self.p.addr(from), self.p.token.clone());
        self.p.app.execute_contract(sender, token, &send, &[])
    }

    pub(crate) fn exec(&mut self, from: &str, msg: &ExecuteMsg) -> anyhow::Result<AppResponse> {
        let (sender, pair) = (self.p.addr(from), self.p.pair.clone());
        let result = self.p.app.execute_contract(sender.clone(), pair, msg, &[]);
        if let (
            Ok(response),
            ExecuteMsg::Claim { .. }
            | ExecuteMsg::ClaimLeaseRewards { .. }
            | ExecuteMsg::ClaimLiquidityRewards {},
        ) = (&result, msg)
        {
            *self.rewards.entry(sender).or_default() += attr(response, "rewards").unwrap_or(0);
        }
        result
    }

    /// Stakes a device named after the staker and its stakes so far; returns the stake's id.
    pub(crate) fn stake(
        &mut self,
        who: &str,
        seller: bool,
        epochs: u64,
        rate: Decimal,
        amount: u128,
    ) -> anyhow::Result<u64> {
        let mode = if seller {
            StakeMode::Seller
        } else {
            StakeMode::LiquidityProvider
        };
        let device = format!("{who}-{}", self.adv_stakes.len());
        let msg = self.p.stake_msg(who, &device, mode, rate, epochs);
        let response = self.send(who, amount, &msg)?;
        // Every device here registers with the registry at once (the adversary's too: the
        // strongest adversary supplies verified hours).
        let token_id = protocol::attr(&response, "token_id").unwrap();
        self.p.register_device(&token_id)?;
        Ok(attr(&response, "stake_id").unwrap() as u64)
    }

    /// Whether this pool can take a stake now: a seller always (its hours are sold at the next
    /// boundary, or stay unlisted where the pool has no price then), a provider where there is
    /// a LOOP reserve to match (or no hours listed, to set the price).
    pub(crate) fn can_supply(&self, seller: bool) -> bool {
        let reserves = self.pool().reserves;
        seller || !reserves.tokens.is_zero() || reserves.hours.is_zero()
    }

    /// Leases hours sending `max`: the lease id and what it paid.
    pub(crate) fn lease(
        &mut self,
        who: &str,
        stake: u64,
        hours: u128,
        max: u128,
        renewals: u32,
        price: Option<Decimal>,
    ) -> anyhow::Result<(u64, u128)> {
        let msg = ReceiveMsg::Lease {
            stake_id: stake,
            hours: Uint128::new(hours),
            client_key: HexBinary::from([1u8; 32]),
            ssh_key: SSH_KEY.into(),
            deadline: None,
            renewals: Some(renewals),
            max_renewal_price: price,
            renewer: None,
        };
        let response = self.send(who, max, &msg)?;
        Ok((
            attr(&response, "lease_id").unwrap() as u64,
            attr(&response, "paid").unwrap(),
        ))
    }

    pub(crate) fn query<T: serde::de::DeserializeOwned>(
        &self,
        msg: &QueryMsg,
    ) -> cosmwasm_std::StdResult<T> {
        self.p.app.wrap().query_wasm_smart(&self.p.pair, msg)
    }

    pub(crate) fn pool(&self) -> PoolResponse {
        self.p.pool()
    }

    pub(crate) fn lease_info(&self, lease_id: u64) -> Option<LeaseResponse> {
        self.query(&QueryMsg::Lease { lease_id }).ok()
    }

    pub(crate) fn liquidity(&self, who: &str) -> LiquidityResponse {
        let owner = self.p.addr(who).to_string();
        self.query(&QueryMsg::Liquidity { owner }).unwrap()
    }

    pub(crate) fn current(&self) -> bool {
        let pool = self.pool();
        pool.epoch == pool.clock_epoch
    }

    pub(crate) fn stake_state(&self, id: u64) -> loopin_pair::state::Stake {
        STAKES
            .query(&self.p.app.wrap(), self.p.pair.clone(), id)
            .unwrap()
            .unwrap()
    }

    /// Free hours of stake `id` in the trading epoch.
    pub(crate) fn free(&self, id: u64) -> u128 {
        let key = (id, self.pool().trading_epoch);
        let leased = loopin_pair::state::LEASED.query(&self.p.app.wrap(), self.p.pair.clone(), key);
        let hours = self.stake_state(id).hours_per_epoch.u128();
        hours.saturating_sub(leased.unwrap().unwrap_or_default().u128())
    }

    /// What stake `id` is worth to its owner now, rewards aside.
    fn position(&self, id: u64) -> i128 {
        let (q, pair, stake) = (self.p.app.wrap(), self.p.pair.clone(), self.stake_state(id));
        if stake.finished {
            return 0;
        }
        let value = if stake.mode == StakeMode::LiquidityProvider {
            match SHARE_VALUE.query(&q, pair, stake.end_epoch).unwrap() {
                Some(settlement) => settlement.payout(stake.shares).unwrap(),
                None => {
                    let pool = self.pool();
                    stake
                        .shares
                        .multiply_ratio(pool.reserves.tokens, pool.total_shares)
                }
            }
            .u128()
        } else {
            let mut proceeds = 0;
            for epoch in stake.paid_until..stake.end_epoch {
                let price = SELLER_PRICE.query(&q, pair.clone(), epoch).unwrap();
                let hours = Decimal256::from_ratio(stake.hours_per_epoch, 1u128);
                proceeds += match price {
                    Some(price) => Uint128::try_from((hours * price).to_uint_floor())
                        .unwrap()
                        .u128(),
                    None => break,
                };
            }
            let epochs = u128::from(stake.end_epoch - stake.start_epoch);
            let upkeep = (LOOP / 10 * stake.hours_per_epoch.u128() * epochs).div_ceil(HOUR);
            proceeds + stake.deposit.u128() - upkeep.min(stake.deposit.u128())
        };
        value as i128 - stake.clawback.u128() as i128
    }

    /// V of the module doc: balance - rewards + stake position + passive shares' value.
    pub(crate) fn value(&self, who: &str) -> i128 {
        let addr = self.p.addr(who);
        let rewards = *self.rewards.get(&addr).unwrap_or(&0) as i128;
        let stake = SUPPLIERS.iter().find(|(name, _)| *name == who);
        let position = stake.map_or(0, |(_, id)| self.position(*id));
        let held = self.liquidity(who).value.u128() as i128;
        self.p.balance(&addr) as i128 - rewards + position + held
    }

    /// Rule 2's accounting for both clients.
    pub(crate) fn check_clients(&self) {
        for who in ["client", "dave"] {
            let order = self
                .order
                .filter(|_| who == "dave")
                .and_then(|id| self.lease_info(id));
            let budget = order.map_or(0, |lease| lease.budget.u128());
            let spent = budget + self.paid.get(who).unwrap_or(&0);
            let held = self.p.balance_of(who);
            assert_eq!(
                held + spent,
                self.initial[who],
                "{who} lost LOOP other than for hours"
            );
        }
    }

    pub(crate) fn close_order(&mut self) {
        if let Some(lease_id) = self.order.take() {
            let _ = self.exec("dave", &ExecuteMsg::CloseOrder { lease_id });
        }
    }

    /// Governance rejects every open dispute of the adversary.
    pub(crate) fn reject_disputes(&mut self) {
        for lease_id in std::mem::take(&mut self.disputed) {
            let msg = ExecuteMsg::ResolveDispute {
                lease_id,
                refund: Uint128::zero(),
            };
            let _ = self.exec("governance", &msg);
        }
    }

    pub(crate) fn set_time(&mut self, time: u64, keeper: bool) {
        // Every device here is a real GPU its verifiers challenge: each epoch it lives through
        // is proven before the clock leaves it, those the clock jumps over included.
        let config: loopin::pair::ConfigResponse = self.query(&QueryMsg::Config {}).unwrap();
        let epoch_at = |t: u64| t.saturating_sub(config.genesis) / config.params.epoch_seconds;
        let mut epoch = epoch_at(self.p.app.block_info().time.seconds());
        loop {
            for token_id in self.p.registered.clone() {
                if self.proven.insert((token_id.clone(), epoch)) {
                    self.p.prove(&token_id).unwrap();
                }
            }
            if epoch >= epoch_at(time) {
                break;
            }
            epoch += 1;
            let start = config.genesis + epoch * config.params.epoch_seconds;
            self.p.app.update_block(|block| {
                block.time = Timestamp::from_seconds(start);
                block.height += 1;
            });
        }
        self.p.app.update_block(|block| {
            block.time = Timestamp::from_seconds(time);
            block.height += 1;
        });
        let pool = self.pool();
        // The keeper also steps in before a pool falls behind what a call processes itself.
        if keeper || pool.clock_epoch >= pool.epoch + 3 {
            let _ = self.exec(
                "keeper",
                &ExecuteMsg::AdvanceEpoch {
                    max_epochs: Some(64),
                },
            );
        }
    }
}
