//! Accusations and appeals: settings that allow them, a net with an accused-to-be device and
//! more verifiers, and the draw of an appeal (shared by `registry_appeals.rs` and the audits
//! that accuse).

use cw_multi_test::AppResponse;
use loopin::registry::{ExecuteMsg, RegistrySettings};
use loopin::stake_cert::StakeMode;
use loopin_pocps_registry::ContractError;

use super::{BOND, Net, bonded_net_with, challenge_key, settings};
use crate::protocol::LOOP;

/// Time an accused device has to appeal.
pub const APPEAL: u64 = 3_600;
/// What an overturned late vote costs its voter.
pub const OVERTURNED_BPS: u16 = 500;
/// Honest verifiers bonded on top of bob, carol and dave.
pub const MORE: [&str; 3] = ["erin", "frank", "grace"];

/// The test settings with appeals: a quorum of 2 accuses, 3 drawn, 2 passes uphold.
pub fn appeal_settings() -> RegistrySettings {
    RegistrySettings {
        lateness_quorum: 2,
        appeal_seconds: APPEAL,
        appeal_draw: 3,
        appeal_passes: 2,
        overturned_late_bps: OVERTURNED_BPS,
        ..settings()
    }
}

/// bob, carol, dave, and `more` verifiers, bonded with keys; alice's device staked.
pub fn accused_net(s: RegistrySettings, more: &[&str]) -> (Net, String) {
    accused_net_on(bonded_net_with(s), more)
}

/// [`accused_net`] on a given net (a pool of another class).
pub fn accused_net_on(mut n: Net, more: &[&str]) -> (Net, String) {
    // Twice the minimum: penalties leave them bonded.
    for v in ["bob", "carol", "dave"] {
        n.bond(v, BOND).unwrap();
    }
    for v in more {
        n.fund(v, 2 * BOND);
        n.bond(v, 2 * BOND).unwrap();
        n.set_key(v, &challenge_key(v, 0)).unwrap();
    }
    let alice = n.stake_device("alice", 1, StakeMode::LiquidityProvider, 11 * LOOP);
    let token_id = n.devices[alice].token_id.clone();
    (n, token_id)
}

/// Every `drawn` attribute of a DrawAppeal: (verifier address, challenge id).
pub fn drawn(res: &AppResponse) -> Vec<(String, u64)> {
    res.events
        .iter()
        .flat_map(|e| &e.attributes)
        .filter(|a| a.key == "drawn")
        .map(|a| {
            let (who, id) = a.value.split_once(':').unwrap();
            (who.to_string(), id.parse().unwrap())
        })
        .collect()
}

/// Files alice's appeal, waits for a beacon round after it and draws it.
pub fn appeal_drawn(n: &mut Net, token_id: &str) -> Vec<(String, u64)> {
    n.exec(
        "alice",
        &ExecuteMsg::Appeal {
            token_id: token_id.to_string(),
        },
    )
    .unwrap();
    let draw = ExecuteMsg::DrawAppeal {
        token_id: token_id.to_string(),
    };
    assert!(matches!(
        n.refused("client", &draw),
        ContractError::RandomnessPending { .. }
    ));
    n.beacon(&["dave", "erin"]);
    drawn(&n.exec("client", &draw).unwrap())
}

/// The name of a test verifier from its address.
pub fn name_of(n: &Net, address: &str) -> &'static str {
    ["bob", "carol", "dave", "erin", "frank", "grace"]
        .into_iter()
        .find(|v| n.addr(v).as_str() == address)
        .unwrap()
}
