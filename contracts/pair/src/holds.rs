//! Holds on an epoch's pay while a pass counted in it can still be voided (docs/pair.md, "Proven
//! epochs"). The registry may void a Pass by an audit opened until `audit_seconds` after it,
//! and while that audit is open. The pool's own hold (its dispute window) is meant to cover
//! both, and the deployment checks that it does (`deploy/src/windows.rs`); these holds make the
//! contract keep the rule whatever the windows: a pass whose audit window outlasts the pool's
//! hold holds its epoch until the window closes, and an open audit holds it until decided.
//!
//! What is held: a seller's proceeds of the epoch (and so everything its claim pays after it,
//! the stake's rewards and deposit at its end), a provider's whole pay, and the rewards of the
//! epoch's leases. Nothing is stored on a chain whose windows fit, beyond an open audit's count,
//! and a claim's look at them is one range that finds nothing.

use cosmwasm_std::{Order, Storage, Timestamp};

use crate::error::ContractError;
use crate::state::Config;

/// What holds an epoch's pay. Stored as 12 bytes, `open` then `until` in seconds,
/// little-endian, under `epoch_holds` + stake id + epoch (big-endian, so a stake's holds are
/// one range in epoch order): a record this small is written without serde, which keeps the
/// pair's wasm under the upload limit.
#[derive(Default, Clone, Copy, Debug, PartialEq, Eq)]
struct Hold {
    /// Counted passes with an open audit.
    open: u32,
    /// The last time (seconds) an audit may still open on one of its passes.
    until: u64,
}

impl Hold {
    fn holds(&self, now: Timestamp) -> bool {
        self.open > 0 || now.seconds() <= self.until
    }

    fn to_bytes(self) -> [u8; 12] {
        let mut bytes = [0u8; 12];
        bytes[..4].copy_from_slice(&self.open.to_le_bytes());
        bytes[4..].copy_from_slice(&self.until.to_le_bytes());
        bytes
    }

    /// A stored record; anything but 12 bytes reads as no hold (nothing else writes here).
    fn from_bytes(bytes: &[u8]) -> Hold {
        match (bytes.get(..4), bytes.get(4..12)) {
            (Some(open), Some(until)) if bytes.len() == 12 => Hold {
                open: u32::from_le_bytes(open.try_into().unwrap_or_default()),
                until: u64::from_le_bytes(until.try_into().unwrap_or_default()),
            },
            _ => Hold::default(),
        }
    }
}

/// Key of the hold of the stake's `epoch`.
fn key(id: u64, epoch: u64) -> Vec<u8> {
    [
        b"epoch_holds".as_slice(),
        &id.to_be_bytes(),
        &epoch.to_be_bytes(),
    ]
    .concat()
}

/// When the pool's own hold releases `epoch`'s pay at the earliest: its dispute window closed
/// and the epoch final.
fn released_at(config: &Config, epoch: u64) -> Result<u64, ContractError> {
    let clock = config.clock;
    let window = config.params.dispute_epochs.saturating_mul(clock.length);
    Ok(clock
        .start_of(epoch.saturating_add(1))?
        .saturating_add(window.max(config.params.pass_grace_seconds)))
}

/// Changes the hold of the stake's `epoch`.
fn update(storage: &mut dyn Storage, (id, epoch): (u64, u64), change: impl Fn(&mut Hold)) {
    let key = key(id, epoch);
    let mut hold = storage
        .get(&key)
        .map(|bytes| Hold::from_bytes(&bytes))
        .unwrap_or_default();
    change(&mut hold);
    storage.set(&key, &hold.to_bytes());
}

/// A pass counted in the stake's `epoch` may be audited until `audit_until`: held until then if
/// the pool's own hold ends sooner. Whether it was.
pub(crate) fn hold_until(
    storage: &mut dyn Storage,
    config: &Config,
    (id, epoch): (u64, u64),
    audit_until: Timestamp,
) -> Result<bool, ContractError> {
    let until = audit_until.seconds();
    if until < released_at(config, epoch)? {
        return Ok(false);
    }
    update(storage, (id, epoch), |hold| {
        hold.until = hold.until.max(until)
    });
    Ok(true)
}

/// A counted pass of the stake's `epoch` got its first open audit (`open`), or lost its last
/// one. A close changes nothing where no opening held the epoch (its pay was out when the
/// audit opened: nothing else of the epoch can be open then). Whether it changed the hold.
pub(crate) fn audited(storage: &mut dyn Storage, (id, epoch): (u64, u64), open: bool) -> bool {
    let held = storage
        .get(&key(id, epoch))
        .map(|bytes| Hold::from_bytes(&bytes));
    if !open && held.is_none_or(|hold| hold.open == 0) {
        return false;
    }
    update(storage, (id, epoch), |hold| {
        hold.open = match open {
            true => hold.open.saturating_add(1),
            false => hold.open.saturating_sub(1),
        }
    });
    true
}

/// The first of the stake's epochs in `[from, to)` held at `now`: one range over the stake's
/// holds, empty on a chain whose windows fit and no audit is open.
pub(crate) fn first_held(
    storage: &dyn Storage,
    now: Timestamp,
    id: u64,
    (from, to): (u64, u64),
) -> Option<u64> {
    if from >= to {
        return None;
    }
    let (start, end) = (key(id, from), key(id, to));
    storage
        .range(Some(&start), Some(&end), Order::Ascending)
        .find(|(_, value)| Hold::from_bytes(value).holds(now))
        .and_then(|(key, _)| {
            Some(u64::from_be_bytes(
                key.get(key.len().saturating_sub(8)..)?.try_into().ok()?,
            ))
        })
}

/// Whether any epoch of the stake is held at `now`.
pub(crate) fn stake_held(storage: &dyn Storage, now: Timestamp, id: u64) -> bool {
    first_held(storage, now, id, (0, u64::MAX)).is_some()
}
