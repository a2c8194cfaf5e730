//! The class's incentives in the simulation (issue 19, docs/pair.md "Incentives"): lease rewards
//! paid once a lease's epoch is delivered, the passive liquidity reward of each epoch, and every
//! reward minted within the factory's emission cap, what it leaves staying owed to a later
//! claim (`crate::emission`).

use crate::emission::Emission;

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
