//! The class's incentives in the simulation (issue 19, docs/pair.md "Incentives"): lease rewards
//! paid once a lease's epoch is delivered, the passive liquidity reward of each epoch, and every
//! reward minted within the factory's emission cap, what it leaves staying owed to a later
//! claim (`crate::emission`).

use loopin_pool_math::MathError;

use crate::emission::Emission;
use crate::sim::{Sim, loop_f, to_loop};

/// What the factory mints: every reward within the cap (none: unlimited), and what it left
/// owed to verifiers, clients and passive liquidity (a miner's owed rewards stay on its stake).
#[derive(Clone, Debug)]
pub struct Ledger {
    emission: Option<Emission>,
    pub owed_verifiers: u128,
    pub owed_clients: u128,
    pub owed_passive: u128,
}

impl Ledger {
    /// `cap`: LOOP smallest units per emission epoch and its length in seconds, from genesis 0.
    pub fn new(cap: Option<(u128, u64)>) -> Self {
        Self {
            emission: cap.map(|(cap, seconds)| Emission::new(0, seconds, cap)),
            owed_verifiers: 0,
            owed_clients: 0,
            owed_passive: 0,
        }
    }

    /// Mints at most `amount` at `now`; returns what was minted.
    pub fn mint(&mut self, now: u64, amount: u128) -> u128 {
        match &mut self.emission {
            Some(emission) => emission.mint(now, amount),
            None => amount,
        }
    }

    /// The verifiers' rewards of `amount` and what they were owed; returns what was minted.
    pub fn verifiers(&mut self, now: u64, amount: u128) -> u128 {
        let due = self.owed_verifiers + amount;
        let minted = self.mint(now, due);
        self.owed_verifiers = due - minted;
        minted
    }

    /// Owed outside the stakes.
    pub fn owed(&self) -> u128 {
        self.owed_verifiers + self.owed_clients + self.owed_passive
    }
}

/// The passive liquidity provider and its books, LOOP smallest units.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Passive {
    pub deposit: u128,
    pub shares: u128,
    /// What withdrawing every share paid after the last epoch (exit fee deducted).
    pub withdrawn: u128,
    /// Liquidity rewards earned (held through an epoch) and minted.
    pub earned: u128,
    pub minted: u128,
}

impl Passive {
    /// `(withdrawn + rewards earned − deposit) / deposit`, and without the rewards.
    pub fn returns(&self) -> (f64, f64) {
        if self.deposit == 0 {
            return (0.0, 0.0);
        }
        let deposit = self.deposit as f64;
        let without = self.withdrawn as f64 - deposit;
        ((without + self.earned as f64) / deposit, without / deposit)
    }
}

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
