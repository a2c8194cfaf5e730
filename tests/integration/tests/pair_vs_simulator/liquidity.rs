//! Passive liquidity rewards (the class's `liquidity_per_epoch`, issue 19) on both pairs. The
//! simulator records, per boundary, the reward of the epoch that ended and the passive shares
//! held through it; each provider (an agent, here the test) knows its own earning and waiting
//! shares and sums its part of each epoch's reward exactly. The contract accounts lazily, a
//! checkpoint per provider, flooring at each: what it paid and owes is at most the exact sum
//! and short of it by at most two micro-LOOP per accounting of the provider.

use cosmwasm_std::{Decimal256, Uint128};
use loopin::pair::{ExecuteMsg, LiquidityRewardsResponse, QueryMsg};

use crate::world::{World, number};

impl World {
    /// `who` provided `shares`: they wait for the next boundary.
    pub fn passive_provided(&mut self, who: &'static str, shares: u128) {
        let model = self.passive.entry(who).or_default();
        model.waiting += shares;
        model.accounted += 1;
    }

    /// How many of `shares` that `who` withdraws are waiting ones (they leave first).
    pub fn passive_waiting_part(&self, who: &'static str, shares: u128) -> u128 {
        self.passive.get(who).map_or(0, |m| m.waiting.min(shares))
    }

    /// `who` withdrew `shares`, `waiting` of them waiting ones.
    pub fn passive_withdrawn(&mut self, who: &'static str, shares: u128, waiting: u128) {
        let model = self.passive.entry(who).or_default();
        model.waiting -= waiting;
        model.earning -= shares - waiting;
        model.accounted += 1;
    }

    /// At the boundary just processed: each provider's part of the epoch that ended, then its
    /// waiting shares start earning.
    pub fn accrue_liquidity_rewards(&mut self) {
        let reward = self.sim.liquidity_reward(self.sim.epoch);
        for model in self.passive.values_mut() {
            if let Some((reward, shares)) = reward {
                model.earned += Decimal256::from_ratio(model.earning * reward, shares);
            }
            model.earning += std::mem::take(&mut model.waiting);
        }
        let earning: u128 = self.passive.values().map(|m| m.earning).sum();
        assert_eq!(earning, self.sim.passive_earning, "earning passive shares");
    }

    fn liquidity_rewards(&self, who: &str) -> LiquidityRewardsResponse {
        let owner = self.p.addr(who).to_string();
        let query = QueryMsg::LiquidityRewards { owner };
        self.p
            .app
            .wrap()
            .query_wasm_smart(&self.p.pair, &query)
            .unwrap()
    }

    /// The contract's books of every provider agree with the simulator's: its earning and
    /// waiting shares exactly, what it was paid and is owed within the rounding of its
    /// accountings.
    pub fn compare_liquidity_rewards(&self) {
        for (who, model) in &self.passive {
            let book = self.liquidity_rewards(who);
            if book.per_epoch.is_zero() {
                return;
            }
            assert_eq!(
                book.earning_shares.u128(),
                model.earning,
                "{who}'s earning shares"
            );
            assert_eq!(
                book.waiting_shares.u128(),
                model.waiting,
                "{who}'s waiting shares"
            );
            assert_eq!(book.total_earning_shares.u128(), self.sim.passive_earning);
            let exact = Uint128::try_from(model.earned.to_uint_floor())
                .unwrap()
                .u128();
            let booked = model.paid + book.owed.u128();
            let rounding = 2 * (model.accounted + 1);
            assert!(
                booked <= exact && exact - booked <= rounding,
                "{who}'s liquidity rewards: {booked} paid and owed, {exact} earned ({model:?})"
            );
        }
    }

    /// `who` claims its liquidity rewards: what it is owed, within the emission left.
    pub fn claim_liquidity_rewards(&mut self, who: &'static str) {
        let owed = self.liquidity_rewards(who).owed.u128();
        let now = self.now();
        let left = self.emission.remaining(now);
        let sender = self.p.addr(who);
        let result = self.p.exec(&sender, &ExecuteMsg::ClaimLiquidityRewards {});
        if owed == 0 || left == 0 {
            assert!(
                result.is_err(),
                "{who}'s liquidity rewards: nothing expected"
            );
            return;
        }
        let response = result.unwrap_or_else(|e| panic!("{who}'s liquidity rewards: {e:?}"));
        let paid = self.emission.mint(now, owed);
        assert_eq!(
            number(&response, "rewards"),
            paid,
            "{who}'s liquidity rewards"
        );
        let model = self.passive.entry(who).or_default();
        model.paid += paid;
        model.accounted += 1;
        self.tally.liquidity_claims += 1;
        self.tally.rewards += paid;
        self.compare_liquidity_rewards();
    }
}
