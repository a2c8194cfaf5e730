//! The factory's emission cap (docs/pair.md, "Claim" and "Incentives"): every reward is minted
//! within a cap per emission epoch, counted from the factory's genesis; a claim mints what the
//! cap leaves and the rest stays owed to a later claim.

/// What the factory has minted in its current emission epoch.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Emission {
    pub genesis: u64,
    pub epoch_seconds: u64,
    pub cap_per_epoch: u128,
    /// The emission epoch `minted` counts, and what was minted in it.
    pub epoch: u64,
    pub minted: u128,
}

impl Emission {
    pub fn new(genesis: u64, epoch_seconds: u64, cap_per_epoch: u128) -> Self {
        Self {
            genesis,
            epoch_seconds,
            cap_per_epoch,
            epoch: 0,
            minted: 0,
        }
    }

    fn epoch_at(&self, now: u64) -> u64 {
        now.saturating_sub(self.genesis) / self.epoch_seconds.max(1)
    }

    /// What may still be minted at `now`.
    pub fn remaining(&self, now: u64) -> u128 {
        let minted = if self.epoch_at(now) == self.epoch {
            self.minted
        } else {
            0
        };
        self.cap_per_epoch.saturating_sub(minted)
    }

    /// Mints at most `amount` at `now`, within the cap; returns what was minted.
    pub fn mint(&mut self, now: u64, amount: u128) -> u128 {
        let paid = amount.min(self.remaining(now));
        let epoch = self.epoch_at(now);
        if epoch != self.epoch {
            (self.epoch, self.minted) = (epoch, 0);
        }
        self.minted += paid;
        paid
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_holds_per_emission_epoch_and_restarts_with_the_next() {
        let mut emission = Emission::new(100, 3_600, 10);
        assert_eq!(emission.mint(150, 7), 7);
        assert_eq!(emission.mint(3_699, 7), 3);
        assert_eq!(emission.remaining(3_699), 0);
        assert_eq!(emission.remaining(3_700), 10);
        assert_eq!(emission.mint(3_700, 4), 4);
        assert_eq!(emission.remaining(3_701), 6);
    }
}
