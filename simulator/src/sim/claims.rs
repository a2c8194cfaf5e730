//! The simulation's reward claims (issue 19): clients' and passive liquidity's rewards paid
//! within the factory's emission cap, what is left staying owed (the ledgers are
//! `crate::rewards`'s).

use loopin_pool_math::MathError;

use super::{Sim, loop_f, to_loop};

impl Sim {
    /// Clients' and passive liquidity's claims, after the miners': what they are owed, within
    /// the cap (clients first).
    pub(crate) fn claim_others(&mut self, now: u64) {
        let minted = self.ledger.mint(now, self.ledger.owed_clients);
        self.ledger.owed_clients -= minted;
        self.rec.emission_clients += loop_f(minted);
        let minted = self.ledger.mint(now, self.ledger.owed_passive);
        self.ledger.owed_passive -= minted;
        self.passive.minted += minted;
        self.rec.emission_passive += loop_f(minted);
    }

    /// The end of the delivered epoch: each lease on a device that worked through it (not
    /// failed, not invalidated) earns its rewards; a failed device's leases earn none.
    pub(crate) fn deliver(&mut self) {
        for m in self.miners.iter_mut() {
            let (client, miner) = std::mem::take(&mut m.reward_current);
            if m.failed || m.invalidated {
                continue;
            }
            self.ledger.owed_clients += client;
            m.lease_rewards_due += miner;
            m.utilisation += miner;
            self.rec.client_rewards += loop_f(client);
            self.rec.miner_lease_rewards += loop_f(miner);
        }
    }

    /// After a boundary: the passive provider's part of the liquidity reward of the epoch that
    /// ended.
    pub(crate) fn liquidity_reward(&mut self) {
        let Some((reward, shares)) = self.pair.liquidity_reward(self.pair.epoch) else {
            return;
        };
        let part = reward * self.passive.shares.min(shares) / shares.max(1);
        self.passive.earned += part;
        self.ledger.owed_passive += part;
        self.rec.passive_rewards += loop_f(part);
    }

    /// The passive provider puts its LOOP in the pool in its epoch (if the pool has shares).
    pub(crate) fn provide_passive(&mut self) -> Result<(), MathError> {
        let p = self.s.passive.clone();
        if p.amount <= 0.0 || self.pair.epoch != p.epoch {
            return Ok(());
        }
        self.pair.observe(self.now(0.3)?)?;
        let amount = to_loop(p.amount);
        if let Ok(shares) = self.pair.provide(amount) {
            self.passive.deposit = amount;
            self.passive.shares = shares;
        }
        Ok(())
    }

    /// After the last epoch: the passive provider withdraws every share at `v⁻`, less the fee.
    pub(crate) fn withdraw_passive(&mut self) -> Result<(), MathError> {
        if self.passive.shares == 0 {
            return Ok(());
        }
        self.pair.observe(self.now(0.1)?)?;
        let waiting = self.passive.shares.min(self.pair.passive_waiting);
        if let Ok(paid) = self.pair.withdraw(self.passive.shares, waiting) {
            self.passive.withdrawn = paid.out;
        }
        Ok(())
    }
}
