//! Holds on an epoch's pay while a pass counted in it can still be voided (docs/pair.md, "Proven
//! epochs"). The registry may void a Pass by an audit opened until `audit_seconds` after it,
//! and while that audit is open. The pool's own hold (its dispute window) is meant to cover
//! both, and the deployment checks that it does (`deploy/src/windows.rs`); these holds make the
//! contract keep the rule whatever the windows: a pass whose audit window outlasts the pool's
//! hold holds its epoch until the window closes, and an open audit holds it until decided.
//!
//! What is held: a seller's proceeds of the epoch (and so everything its claim pays after it,
//! the stake's rewards and deposit at its end), a provider's whole pay, and the rewards of the
//! epoch's leases. Nothing is stored on a chain whose windows fit, beyond an open audit's count.

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Order, StdResult, Storage, Timestamp};
use cw_storage_plus::{Bound, Map};

use crate::error::ContractError;
use crate::state::Config;

/// What holds an epoch's pay (per stake: the sum of its epochs' open audits and the latest of
/// their times).
#[cw_serde]
#[derive(Default)]
pub struct Hold {
    /// Counted passes with an open audit.
    pub open: u32,
    /// The last time an audit may still open on one of its passes.
    pub until: Timestamp,
}

impl Hold {
    fn holds(&self, now: Timestamp) -> bool {
        self.open > 0 || now <= self.until
    }
}

/// (stake id, epoch) -> what holds the epoch's pay; absent: nothing beyond the pool's own hold.
pub const EPOCH_HOLDS: Map<(u64, u64), Hold> = Map::new("epoch_holds");
/// Stake id -> every hold of its epochs together: one read tells a claim there is none.
pub const STAKE_HOLDS: Map<u64, Hold> = Map::new("stake_holds");

/// When the pool's own hold releases `epoch`'s pay at the earliest: its dispute window closed
/// and the epoch final.
fn released_at(config: &Config, epoch: u64) -> Result<u64, ContractError> {
    let clock = config.clock;
    let window = config.params.dispute_epochs.saturating_mul(clock.length);
    Ok(clock
        .start_of(epoch.saturating_add(1))?
        .saturating_add(window.max(config.params.pass_grace_seconds)))
}

/// Changes the holds of the stake's `epoch` and the stake's together.
fn update(
    storage: &mut dyn Storage,
    (id, epoch): (u64, u64),
    change: impl Fn(&mut Hold),
) -> StdResult<()> {
    let mut hold = EPOCH_HOLDS
        .may_load(storage, (id, epoch))?
        .unwrap_or_default();
    change(&mut hold);
    EPOCH_HOLDS.save(storage, (id, epoch), &hold)?;
    let mut total = STAKE_HOLDS.may_load(storage, id)?.unwrap_or_default();
    change(&mut total);
    STAKE_HOLDS.save(storage, id, &total)
}

/// A pass counted in the stake's `epoch` may be audited until `audit_until`: held until then if
/// the pool's own hold ends sooner. Whether it was.
pub(crate) fn hold_until(
    storage: &mut dyn Storage,
    config: &Config,
    (id, epoch): (u64, u64),
    audit_until: Timestamp,
) -> Result<bool, ContractError> {
    if audit_until.seconds() < released_at(config, epoch)? {
        return Ok(false);
    }
    update(storage, (id, epoch), |hold| {
        hold.until = hold.until.max(audit_until)
    })?;
    Ok(true)
}

/// A counted pass of the stake's `epoch` got its first open audit (`open`), or lost its last
/// one. A close changes nothing where no opening held the epoch (its pay was out when the
/// audit opened: nothing else of the epoch can be open then). Whether it changed the hold.
pub(crate) fn audited(
    storage: &mut dyn Storage,
    (id, epoch): (u64, u64),
    open: bool,
) -> StdResult<bool> {
    if !open {
        let held = EPOCH_HOLDS.may_load(storage, (id, epoch))?;
        if held.is_none_or(|hold| hold.open == 0) {
            return Ok(false);
        }
    }
    update(storage, (id, epoch), |hold| {
        hold.open = match open {
            true => hold.open.saturating_add(1),
            false => hold.open.saturating_sub(1),
        }
    })?;
    Ok(true)
}

/// Whether any epoch of the stake is held at `now`.
pub(crate) fn stake_held(storage: &dyn Storage, now: Timestamp, id: u64) -> StdResult<bool> {
    Ok(STAKE_HOLDS
        .may_load(storage, id)?
        .is_some_and(|hold| hold.holds(now)))
}

/// The first of the stake's epochs in `[from, to)` held at `now`.
pub(crate) fn first_held(
    storage: &dyn Storage,
    now: Timestamp,
    id: u64,
    (from, to): (u64, u64),
) -> StdResult<Option<u64>> {
    if from >= to || !stake_held(storage, now, id)? {
        return Ok(None);
    }
    for entry in EPOCH_HOLDS.prefix(id).range(
        storage,
        Some(Bound::inclusive(from)),
        Some(Bound::exclusive(to)),
        Order::Ascending,
    ) {
        let (epoch, hold) = entry?;
        if hold.holds(now) {
            return Ok(Some(epoch));
        }
    }
    Ok(None)
}
