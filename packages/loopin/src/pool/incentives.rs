//! A class's incentives beyond the committed-hour reward `gamma` (paper §3: "additional rewards
//! are given when these resources are utilized by clients", "clients are eligible for block
//! rewards"; §5: "new protocol tokens ... are awarded to liquidity providers"). docs/pair.md,
//! "Incentives", says how the pair pays them.

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Decimal, Uint128};
use loopin_pool_math::amm::fee_on;
use loopin_pool_math::{HOUR, MathError};

use super::ParamsError;

/// What a class pays, out of the factory's emission, beyond `gamma` per proven committed hour.
#[cw_serde]
#[derive(Copy, Default)]
pub struct Incentives {
    /// LOOP (smallest unit) per device-hour leased and delivered in a proven epoch, to the owner
    /// of the stake that served it: the utilisation reward.
    pub utilisation: Decimal,
    /// LOOP per device-hour a client leased and was delivered in a proven epoch, to the client.
    pub client: Decimal,
    /// LOOP per epoch shared among the passive liquidity shares held through the whole epoch
    /// (a share provided during an epoch earns from the next one on; one withdrawn during an
    /// epoch earns nothing for it).
    pub liquidity_per_epoch: Uint128,
}

/// A lease's two rewards together are at most this share of the exchange fee its purchase
/// burned. Whoever leases from its own device, and even holds all the pool's liquidity, so
/// gets back all it paid but the fee, and loses at least the rest of the fee: self-dealing
/// never pays, at any price the pool shows.
pub const LEASE_REWARD_FEE_SHARE: Decimal = Decimal::percent(50);

/// The rewards of one lease: what its client and the serving stake's owner are paid once its
/// epoch is proven, final and past its dispute window.
#[cw_serde]
#[derive(Copy, Default)]
pub struct LeaseReward {
    pub client: Uint128,
    pub miner: Uint128,
}

impl LeaseReward {
    pub fn total(&self) -> Uint128 {
        self.client + self.miner
    }
}

impl Incentives {
    /// LOOP per leased device-hour, both rewards together.
    pub fn per_leased_hour(&self) -> Result<Decimal, MathError> {
        self.utilisation
            .checked_add(self.client)
            .map_err(|_| MathError::Overflow)
    }

    /// Refuses lease rewards in a class without an exchange fee: bounded by the fee, they
    /// could never be paid.
    pub fn check(&self, exchange_fee: Decimal) -> Result<(), ParamsError> {
        let per_hour = self.per_leased_hour()?;
        if !per_hour.is_zero() && exchange_fee.is_zero() {
            return Err(ParamsError::LeaseRewardsWithoutFee { per_hour });
        }
        Ok(())
    }

    /// The liquidity reward of one emission epoch of `emission_epoch_seconds`:
    /// `liquidity_per_epoch` times the pool epochs of `epoch_seconds` in it (rounded up).
    pub fn liquidity_per_emission_epoch(
        &self,
        epoch_seconds: u64,
        emission_epoch_seconds: u64,
    ) -> Result<Uint128, ParamsError> {
        if epoch_seconds == 0 {
            return Err(ParamsError::Math(MathError::ZeroEpoch));
        }
        let epochs = emission_epoch_seconds.div_ceil(epoch_seconds).max(1);
        Ok(self
            .liquidity_per_epoch
            .checked_mul(Uint128::from(epochs))
            .map_err(|_| MathError::Overflow)?)
    }

    /// Refuses a liquidity reward that alone would take more than the factory's emission cap
    /// ([`Self::liquidity_per_emission_epoch`]).
    pub fn check_within_emission(
        &self,
        epoch_seconds: u64,
        cap_per_epoch: Uint128,
        emission_epoch_seconds: u64,
    ) -> Result<(), ParamsError> {
        let per_emission_epoch =
            self.liquidity_per_emission_epoch(epoch_seconds, emission_epoch_seconds)?;
        if per_emission_epoch > cap_per_epoch {
            return Err(ParamsError::LiquidityRewardAboveCap {
                per_emission_epoch,
                cap: cap_per_epoch,
            });
        }
        Ok(())
    }

    /// The rewards of a lease of `hours` micro-hours that paid `paid` LOOP (fee included) in a
    /// class with `exchange_fee`: each rate times the hours, rounded down, both scaled down
    /// together to at most [`LEASE_REWARD_FEE_SHARE`] of the fee the purchase burned.
    pub fn lease_reward(
        &self,
        hours: Uint128,
        paid: Uint128,
        exchange_fee: Decimal,
    ) -> Result<LeaseReward, MathError> {
        let at = |rate: Decimal| -> Result<Uint128, MathError> {
            let micro = hours
                .checked_mul_floor(rate)
                .map_err(|_| MathError::Overflow)?;
            Ok(micro / Uint128::new(HOUR))
        };
        let full = LeaseReward {
            client: at(self.client)?,
            miner: at(self.utilisation)?,
        };
        let fee = Uint128::new(fee_on(paid.u128(), exchange_fee)?);
        let cap = fee.mul_floor(LEASE_REWARD_FEE_SHARE);
        let total = full.total();
        if total <= cap {
            return Ok(full);
        }
        Ok(LeaseReward {
            client: full.client.multiply_ratio(cap, total),
            miner: full.miner.multiply_ratio(cap, total),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn incentives(utilisation: u64, client: u64) -> Incentives {
        Incentives {
            utilisation: Decimal::from_ratio(utilisation, 1u64),
            client: Decimal::from_ratio(client, 1u64),
            liquidity_per_epoch: Uint128::zero(),
        }
    }

    #[test]
    fn a_lease_earns_its_rates_per_hour_while_they_stay_within_half_its_fee() {
        let fee = Decimal::permille(3);
        // 2 device-hours at 100,000 LOOP each, 0.3 % fee: 600 burned, 300 may be rewarded.
        let (hours, paid) = (Uint128::new(2 * HOUR), Uint128::new(200_000));
        let reward = incentives(40, 60).lease_reward(hours, paid, fee).unwrap();
        assert_eq!(
            reward,
            LeaseReward {
                client: Uint128::new(120),
                miner: Uint128::new(80)
            }
        );
        // Rates above the bound are scaled down together to half the fee.
        let reward = incentives(400, 600).lease_reward(hours, paid, fee).unwrap();
        assert_eq!(reward.total(), Uint128::new(300));
        assert_eq!(
            (reward.client.u128(), reward.miner.u128()),
            (180, 120),
            "in the rates' proportion"
        );
        // A pumped-down price cannot make a self-lease pay: the reward follows the fee down.
        let cheap = incentives(400, 600)
            .lease_reward(hours, Uint128::new(1_000), fee)
            .unwrap();
        assert!(cheap.total().u128() * 2 <= fee_on(1_000, fee).unwrap());
    }

    #[test]
    fn lease_rewards_need_a_fee_and_liquidity_rewards_fit_the_emission_cap() {
        assert_eq!(
            incentives(1, 0).check(Decimal::zero()),
            Err(ParamsError::LeaseRewardsWithoutFee {
                per_hour: Decimal::one()
            })
        );
        assert_eq!(incentives(0, 0).check(Decimal::zero()), Ok(()));
        let lp = Incentives {
            liquidity_per_epoch: Uint128::new(100),
            ..Incentives::default()
        };
        // Hour-long pool epochs, day-long emission epochs: 24 x 100 per emission epoch.
        assert_eq!(
            lp.check_within_emission(3_600, Uint128::new(2_399), 86_400),
            Err(ParamsError::LiquidityRewardAboveCap {
                per_emission_epoch: Uint128::new(2_400),
                cap: Uint128::new(2_399)
            })
        );
        assert_eq!(
            lp.check_within_emission(3_600, Uint128::new(2_400), 86_400),
            Ok(())
        );
        // A pool epoch longer than the emission epoch: one pool epoch's reward per cap.
        assert_eq!(
            lp.check_within_emission(7_200, Uint128::new(100), 3_600),
            Ok(())
        );
    }
}
