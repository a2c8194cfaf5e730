//! The alpha/beta/gamma balance of paper §5, eq. (7)-(8).
//!
//! Per unit of staked rate (one device-hour per hour): a stake pays the staking fee `alpha` once
//! (LOOP, burned), the maintenance burn `beta` per committed hour, and earns `gamma` per verified
//! hour. A device that works for `T1` of its `T` committed hours nets `-alpha - beta*T + gamma*T1`
//! (eq. 7). It breaks even at `T1 = alpha/gamma + beta/gamma * T <= T` (eq. 8), which needs
//! `beta < gamma` and `T >= T_min = alpha / (gamma - beta)`.

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Decimal, Decimal256, SignedDecimal256};

use crate::{MathError, SECONDS_PER_HOUR};

/// Economic parameters of a resource class, set by governance.
#[cw_serde]
#[derive(Copy)]
pub struct Economics {
    /// Staking fee, LOOP per unit of rate, burned at stake time.
    pub alpha: Decimal,
    /// Maintenance burn, LOOP per committed device-hour.
    pub beta: Decimal,
    /// Reward, LOOP per verified device-hour.
    pub gamma: Decimal,
}

impl Economics {
    /// Refuses `beta >= gamma`: no stake could ever break even.
    pub fn validate(&self) -> Result<(), MathError> {
        if self.beta >= self.gamma {
            return Err(MathError::BetaNotBelowGamma);
        }
        Ok(())
    }

    /// `T_min = alpha / (gamma - beta)`, in hours (eq. 8).
    pub fn t_min_hours(&self) -> Result<Decimal256, MathError> {
        self.validate()?;
        Decimal256::from(self.alpha)
            .checked_div(Decimal256::from(self.gamma - self.beta))
            .map_err(|_| MathError::Overflow)
    }

    /// `T_min` rounded up to whole epochs of `epoch_seconds` (at least one epoch).
    pub fn t_min_epochs(&self, epoch_seconds: u64) -> Result<u64, MathError> {
        if epoch_seconds == 0 {
            return Err(MathError::ZeroEpoch);
        }
        let seconds = self
            .t_min_hours()?
            .checked_mul(Decimal256::from_ratio(SECONDS_PER_HOUR, 1u128))
            .map_err(|_| MathError::Overflow)?;
        let epochs = seconds
            .checked_div(Decimal256::from_ratio(epoch_seconds, 1u128))
            .map_err(|_| MathError::Overflow)?
            .to_uint_ceil();
        cosmwasm_std::Uint64::try_from(epochs)
            .map(|e| e.u64().max(1))
            .map_err(|_| MathError::Overflow)
    }

    /// Break-even working time `T1 = alpha/gamma + beta/gamma * T`, in hours (eq. 8).
    pub fn break_even_hours(&self, committed_hours: Decimal256) -> Result<Decimal256, MathError> {
        self.validate()?;
        let gamma = Decimal256::from(self.gamma);
        let fixed = Decimal256::from(self.alpha).checked_div(gamma);
        let variable = Decimal256::from(self.beta)
            .checked_mul(committed_hours)
            .map_err(|_| MathError::Overflow)?
            .checked_div(gamma);
        match (fixed, variable) {
            (Ok(fixed), Ok(variable)) => {
                fixed.checked_add(variable).map_err(|_| MathError::Overflow)
            }
            _ => Err(MathError::Overflow),
        }
    }

    /// Net LOOP per unit of rate: `-alpha - beta*T + gamma*T1` (eq. 7).
    pub fn net(
        &self,
        committed_hours: Decimal256,
        working_hours: Decimal256,
    ) -> Result<SignedDecimal256, MathError> {
        let signed = |d: Decimal256| SignedDecimal256::try_from(d).map_err(|_| MathError::Overflow);
        let earned = signed(
            Decimal256::from(self.gamma)
                .checked_mul(working_hours)
                .map_err(|_| MathError::Overflow)?,
        )?;
        let burned = signed(
            Decimal256::from(self.beta)
                .checked_mul(committed_hours)
                .map_err(|_| MathError::Overflow)?,
        )?;
        let fee = signed(Decimal256::from(self.alpha))?;
        earned
            .checked_sub(burned)
            .and_then(|v| v.checked_sub(fee))
            .map_err(|_| MathError::Overflow)
    }
}

impl Economics {
    /// Eq. (7) with the utilisation reward (issue 19): net LOOP per unit of rate when
    /// `leased_hours` of the `working_hours` were leased and delivered, each paying `utilisation`
    /// LOOP more: `-alpha - beta*T + gamma*T1 + u*T_leased`.
    pub fn net_with_utilisation(
        &self,
        committed_hours: Decimal256,
        working_hours: Decimal256,
        leased_hours: Decimal256,
        utilisation: Decimal,
    ) -> Result<SignedDecimal256, MathError> {
        let extra = Decimal256::from(utilisation)
            .checked_mul(leased_hours)
            .map_err(|_| MathError::Overflow)
            .and_then(|d| SignedDecimal256::try_from(d).map_err(|_| MathError::Overflow))?;
        self.net(committed_hours, working_hours)?
            .checked_add(extra)
            .map_err(|_| MathError::Overflow)
    }

    /// Break-even working time of eq. (8) when a fraction `leased` (at most 1) of the working
    /// hours is leased at `utilisation` per hour: `T1 = (alpha + beta*T) / (gamma + u*leased)`.
    /// With nothing leased it is eq. (8)'s; T_min, which governance holds `min_epochs` to, is
    /// that of a device never leased (nothing guarantees a lease).
    pub fn break_even_hours_leased(
        &self,
        committed_hours: Decimal256,
        leased: Decimal,
        utilisation: Decimal,
    ) -> Result<Decimal256, MathError> {
        self.validate()?;
        let cost = Decimal256::from(self.beta)
            .checked_mul(committed_hours)
            .and_then(|v| v.checked_add(Decimal256::from(self.alpha)))
            .map_err(|_| MathError::Overflow)?;
        let earned = Decimal256::from(utilisation)
            .checked_mul(Decimal256::from(leased.min(Decimal::one())))
            .and_then(|v| v.checked_add(Decimal256::from(self.gamma)))
            .map_err(|_| MathError::Overflow)?;
        cost.checked_div(earned).map_err(|_| MathError::Overflow)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn economics(alpha: u64, beta_permille: u64, gamma_permille: u64) -> Economics {
        Economics {
            alpha: Decimal::from_ratio(alpha, 1u64),
            beta: Decimal::permille(beta_permille),
            gamma: Decimal::permille(gamma_permille),
        }
    }

    #[test]
    fn t_min_and_break_even_match_eq_7_and_8() {
        // alpha = 10, beta = 0.1, gamma = 0.5: T_min = 10 / 0.4 = 25 h.
        let e = economics(10, 100, 500);
        assert_eq!(
            e.t_min_hours().unwrap(),
            Decimal256::from_ratio(25u128, 1u128)
        );
        assert_eq!(e.t_min_epochs(3_600).unwrap(), 25);
        assert_eq!(e.t_min_epochs(7_200).unwrap(), 13); // 12.5 epochs, rounded up
        // At T = T_min the device must work the whole time: T1 = T.
        let t = Decimal256::from_ratio(25u128, 1u128);
        assert_eq!(e.break_even_hours(t).unwrap(), t);
        assert_eq!(e.net(t, t).unwrap(), SignedDecimal256::zero());
        // Longer stakes break even earlier than their end: T = 100 -> T1 = 20 + 20 = 40.
        let t = Decimal256::from_ratio(100u128, 1u128);
        let t1 = e.break_even_hours(t).unwrap();
        assert_eq!(t1, Decimal256::from_ratio(40u128, 1u128));
        assert_eq!(e.net(t, t1).unwrap(), SignedDecimal256::zero());
        assert!(e.net(t, t1 - Decimal256::one()).unwrap().is_negative());
    }

    #[test]
    fn the_utilisation_reward_lowers_a_leased_devices_break_even_and_not_t_min() {
        // alpha = 10, beta = 0.1, gamma = 0.5, u = 0.1 per leased hour.
        let e = economics(10, 100, 500);
        let u = Decimal::permille(100);
        let t = Decimal256::from_ratio(100u128, 1u128);
        // Never leased: eq. (8), T1 = 40.
        assert_eq!(
            e.break_even_hours_leased(t, Decimal::zero(), u).unwrap(),
            e.break_even_hours(t).unwrap()
        );
        // Always leased: (10 + 10) / 0.6 = 33.3 h, and eq. (7) with u is zero there.
        let t1 = e.break_even_hours_leased(t, Decimal::one(), u).unwrap();
        assert_eq!(t1, Decimal256::from_ratio(100u128, 3u128));
        let net = e.net_with_utilisation(t, t1, t1, u).unwrap();
        let tolerance = SignedDecimal256::percent(1);
        assert!(net > -tolerance && net < tolerance, "{net}");
        // Half leased: 20 / 0.55.
        let half = e
            .break_even_hours_leased(t, Decimal::percent(50), u)
            .unwrap();
        assert!(half > t1 && half < e.break_even_hours(t).unwrap());
        // T_min is a device's that is never leased.
        assert_eq!(e.t_min_epochs(3_600).unwrap(), 25);
    }

    #[test]
    fn beta_at_or_above_gamma_is_refused() {
        assert_eq!(
            economics(10, 500, 500).validate(),
            Err(MathError::BetaNotBelowGamma)
        );
        assert_eq!(
            economics(10, 600, 500).t_min_hours(),
            Err(MathError::BetaNotBelowGamma)
        );
    }
}
