//! Claims on both pairs: a stake's pay and rewards, a lease's rewards, within the factory's
//! emission cap as the simulator models it (`loopin_simulator::emission`). Every epoch is proven (passes at
//! each boundary) and the dispute window and the pass grace are zero, so an epoch's pay and
//! its leases' rewards are due once the epoch is over.

use cosmwasm_std::Uint128;
use loopin::factory::{EmissionResponse, QueryMsg as FactoryQuery};
use loopin::pair::ExecuteMsg;
use loopin::pool::LeaseReward;
use loopin_simulator::pair::per_device_hour;

use crate::world::{StakeModel, World, number};

/// What a stake's claim earns now by the simulator's books, before the emission cap.
struct Earned {
    payout: u128,
    rewards: u128,
    upkeep: u128,
    paid_until: u64,
    finished: bool,
}

impl World {
    fn earned(&self, stake: &StakeModel) -> Option<Earned> {
        let economics = self.params.economics;
        let micro_hours = stake.hours * u128::from(stake.end - stake.start);
        let epoch = self.sim.epoch;
        if stake.finished {
            // Only the rewards the cap left owed.
            return (stake.rewards_owed > 0).then_some(Earned {
                payout: 0,
                rewards: stake.rewards_owed,
                upkeep: 0,
                paid_until: stake.paid_until,
                finished: true,
            });
        }
        if stake.provider {
            let net = economics.gamma - economics.beta;
            return (epoch >= stake.end).then(|| Earned {
                payout: self.sim.provider_payout(stake.end, stake.shares),
                rewards: per_device_hour(net, micro_hours, false),
                upkeep: 0,
                paid_until: stake.end,
                finished: true,
            });
        }
        let until = epoch.min(stake.end).min(stake.paid_until + 64);
        if until <= stake.paid_until {
            return None;
        }
        let mut earned = Earned {
            payout: (stake.paid_until..until)
                .map(|e| self.sim.seller_payout(e, stake.hours))
                .sum(),
            rewards: 0,
            upkeep: 0,
            paid_until: until,
            finished: until == stake.end,
        };
        if earned.finished {
            earned.upkeep = per_device_hour(economics.beta, micro_hours, true).min(stake.deposit);
            earned.payout += stake.deposit - earned.upkeep;
            earned.rewards = per_device_hour(economics.gamma, micro_hours, false);
        }
        Some(earned)
    }

    /// The factory's emission left agrees with the simulator's.
    fn compare_emission(&self) {
        let emission: EmissionResponse = self
            .p
            .app
            .wrap()
            .query_wasm_smart(&self.factory, &FactoryQuery::Emission {})
            .unwrap();
        let now = self.now();
        assert_eq!(
            emission.remaining_this_epoch.u128(),
            self.emission.remaining(now),
            "emission left"
        );
    }

    /// The owner claims stake `index`: the contract pays the LOOP and mints the rewards the
    /// simulator's books and emission cap say, or refuses when they say nothing is due.
    pub fn claim(&mut self, index: usize) {
        let stake = self.stakes[index].clone();
        let owner = self.p.addr(stake.owner);
        let now = self.now();
        let earned = self.earned(&stake).filter(|e| {
            // A finished stake whose owed rewards the cap cannot pay yet is refused.
            !(stake.finished && self.emission.remaining(now) == 0 && e.payout == 0)
        });
        let result = self
            .p
            .exec(&owner, &ExecuteMsg::Claim { stake_id: stake.id });
        let Some(earned) = earned else {
            assert!(result.is_err(), "claim of {stake:?}: nothing expected");
            return;
        };
        let response = result.unwrap_or_else(|e| panic!("claim of {stake:?}: {e:?}"));
        let rewards = self.emission.mint(now, earned.rewards);
        assert_eq!(
            number(&response, "payout"),
            earned.payout,
            "payout of {stake:?}"
        );
        assert_eq!(
            number(&response, "rewards"),
            rewards,
            "rewards of {stake:?}"
        );
        self.sim.release(earned.payout + earned.upkeep).unwrap();
        let model = &mut self.stakes[index];
        model.paid_until = earned.paid_until;
        model.finished = earned.finished;
        model.rewards_owed = earned.rewards - rewards;
        self.tally.claims += 1;
        self.tally.capped_claims += usize::from(rewards < earned.rewards);
        self.tally.paid += earned.payout;
        self.tally.rewards += rewards;
        self.compare_emission();
    }

    /// The client of lease `index` (or its stake's owner) claims its rewards: due once its epoch
    /// is over, unless it was cancelled; the client's part first, within the emission left.
    pub fn claim_lease_rewards(&mut self, index: usize, as_client: bool) {
        let lease = self.leases[index].clone();
        let owner = self.stakes[lease.stake].owner;
        let sender = if as_client { lease.client } else { owner };
        let left = match lease.rewards_left {
            Some(left) => left,
            None => self.sim.lease_reward(lease.hours, lease.paid).unwrap(),
        };
        let mine = LeaseReward {
            client: if sender == lease.client {
                left.client
            } else {
                0u128.into()
            },
            miner: if sender == owner {
                left.miner
            } else {
                0u128.into()
            },
        };
        let now = self.now();
        let budget = self.emission.remaining(now);
        let due = !lease.cancelled && lease.epoch < self.sim.epoch;
        let msg = ExecuteMsg::ClaimLeaseRewards {
            lease_ids: vec![lease.id],
        };
        let result = self.p.exec(&self.p.addr(sender), &msg);
        if !due || mine.total().is_zero() || budget == 0 {
            assert!(
                result.is_err(),
                "lease rewards of {lease:?}: nothing expected"
            );
            return;
        }
        let response = result.unwrap_or_else(|e| panic!("lease rewards of {lease:?}: {e:?}"));
        let client = mine.client.u128().min(budget);
        let miner = mine.miner.u128().min(budget - client);
        let paid = self.emission.mint(now, client + miner);
        assert_eq!(
            number(&response, "rewards"),
            paid,
            "lease rewards of {lease:?}"
        );
        self.leases[index].rewards_left = Some(LeaseReward {
            client: left.client - Uint128::new(client),
            miner: left.miner - Uint128::new(miner),
        });
        self.tally.lease_reward_claims += 1;
        self.tally.rewards += paid;
        self.compare_emission();
    }
}
