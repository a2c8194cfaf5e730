//! The timing a class's pool and the PoCPS registry must agree on, checked before anything is
//! deployed (the two contracts cannot check each other: the registry is wired after the pools
//! exist, and either may be replaced).
//!
//! - A verifier has the registry's `response_seconds` to submit a Pass; the pool counts a pass
//!   only until its epoch is final, `pass_grace_seconds` after its end. A grace below the
//!   response time lets a Pass the registry accepts (and rewards) count for nothing.
//! - An audit may void a Pass until `audit_seconds + dispute_seconds` after it, and the pool
//!   un-counts a voided pass only while the epoch's pay is held: `dispute_epochs` epochs after
//!   its end. A pass may come up to the grace after the end, so the held time must cover
//!   `grace + audit_seconds + dispute_seconds`, or a void can come after the pay is out. On a
//!   class with a GEMM, an audit of it is answered `dispute_seconds` after the last of the
//!   `GEMM_DRAW_ROUNDS` beacon rounds that may draw its cells is final: up to
//!   `(GEMM_DRAW_ROUNDS + 1) x round_seconds` more.

use loopin::pool::PoolParams;
use loopin::registry::{GEMM_DRAW_ROUNDS, RegistrySettings};

/// Why a class's parameters do not fit the registry's windows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WindowError {
    #[error(
        "class {class}: pass_grace_seconds {grace} is below the registry's response_seconds {response}: a Pass the registry accepts could count for nothing"
    )]
    GraceBelowResponse {
        class: String,
        grace: u64,
        response: u64,
    },
    #[error(
        "class {class}: pay is held {held} s after an epoch (dispute_epochs x epoch_seconds), less than the {needed} s in which an audit may void one of its passes (grace + audit_seconds + dispute_seconds, and for a GEMM class (GEMM_DRAW_ROUNDS + 1) x round_seconds)"
    )]
    PayReleasedBeforeAudits {
        class: String,
        held: u64,
        needed: u64,
    },
}

/// Checks class `class`'s parameters against the registry's settings.
pub fn check(class: &str, p: &PoolParams, s: &RegistrySettings) -> Result<(), WindowError> {
    if p.pass_grace_seconds < s.response_seconds {
        return Err(WindowError::GraceBelowResponse {
            class: class.to_string(),
            grace: p.pass_grace_seconds,
            response: s.response_seconds,
        });
    }
    let held = p.dispute_epochs.saturating_mul(p.epoch_seconds);
    let draw = if p.gemm.is_some() {
        (GEMM_DRAW_ROUNDS + 1).saturating_mul(s.round_seconds)
    } else {
        0
    };
    let needed = p
        .pass_grace_seconds
        .saturating_add(s.audit_seconds)
        .saturating_add(s.dispute_seconds)
        .saturating_add(draw);
    if held < needed {
        return Err(WindowError::PayReleasedBeforeAudits {
            class: class.to_string(),
            held,
            needed,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DeployConfig;

    fn devnet() -> (PoolParams, RegistrySettings) {
        let config = DeployConfig::from_toml(include_str!("../devnet.toml")).unwrap();
        let settings = config.registry.unwrap().settings.unwrap();
        (config.classes[0].params.clone(), settings)
    }

    #[test]
    fn the_devnet_windows_fit() {
        let (p, s) = devnet();
        assert_eq!(check("h100", &p, &s), Ok(()));
    }

    #[test]
    fn the_wasmd_windows_fit_the_devnet_s_scaled_by_a_thirtieth() {
        let wasmd = DeployConfig::from_toml(include_str!("../wasmd.toml")).unwrap();
        let s = wasmd.registry.unwrap().settings.unwrap();
        let p = &wasmd.classes[0].params;
        assert_eq!(check("h100", p, &s), Ok(()));
        let (devnet_p, devnet_s) = devnet();
        assert_eq!(p.epoch_seconds * 30, devnet_p.epoch_seconds);
        assert_eq!(s.round_seconds * 30, devnet_s.round_seconds);
        assert_eq!(s.audit_seconds * 30, devnet_s.audit_seconds);
        assert_eq!(p.pass_grace_seconds * 30, devnet_p.pass_grace_seconds);
    }

    #[test]
    fn a_grace_below_the_response_time_is_refused() {
        let (mut p, s) = devnet();
        p.pass_grace_seconds = s.response_seconds - 1;
        assert_eq!(
            check("h100", &p, &s),
            Err(WindowError::GraceBelowResponse {
                class: "h100".into(),
                grace: s.response_seconds - 1,
                response: s.response_seconds
            })
        );
    }

    #[test]
    fn pay_released_before_an_audit_can_void_a_pass_is_refused() {
        let (p, mut s) = devnet();
        let held = p.dispute_epochs * p.epoch_seconds;
        // The devnet class asks a GEMM: its audits wait up to three beacon rounds more.
        let draw = (GEMM_DRAW_ROUNDS + 1) * s.round_seconds;
        let devnet_audit = s.audit_seconds;
        s.audit_seconds = held - p.pass_grace_seconds - s.dispute_seconds - draw + 1;
        assert_eq!(
            check("h100", &p, &s),
            Err(WindowError::PayReleasedBeforeAudits {
                class: "h100".into(),
                held,
                needed: held + 1
            })
        );
        // Without the GEMM's rounds it would have fitted.
        let mut no_gemm = p.clone();
        no_gemm.gemm = None;
        assert_eq!(check("h100", &no_gemm, &s), Ok(()));
        // And a config file with such windows is refused as it is read.
        let text = include_str!("../devnet.toml").replace(
            &format!("audit_seconds = {devnet_audit}"),
            &format!("audit_seconds = {}", s.audit_seconds),
        );
        let err = DeployConfig::from_toml(&text).unwrap_err();
        assert!(err.to_string().contains("an audit may void"), "{err}");
    }
}
