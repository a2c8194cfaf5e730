//! Proven epochs: the PoCPS registry reports every on-time, valid pass of a challenge to a
//! stake's device (`DeviceProven`), counted in the stake's epoch that contains the challenge's
//! assignment. An epoch with the class's `min_passes_per_epoch` is proven; only proven epochs
//! earn rewards, a seller's proceeds and the leases' pay (docs/pair.md, "Proven epochs").
//! Nothing proves an epoch but passes: a device nobody challenged, or that answered nothing,
//! earns nothing for it.

use cosmwasm_std::{Addr, Deps, DepsMut, Empty, Env, Response, Storage, Timestamp};
use loopin::pair::{AuditEvent, EpochProofResponse};

use crate::error::ContractError;
use crate::holds;
use crate::state::{
    CONFIG, Config, PASS_AT, PASS_VERIFIERS, PASSES, STAKE_BY_TOKEN, STAKES, Stake,
    UNPROVEN_SETTLED,
};
use crate::verification::ensure_registry;
use loopin::stake_cert::StakeMode;

/// Whether no pass can be added to `epoch` any more at `now`: it ended more than the class's
/// `pass_grace_seconds` ago. A pass counts in the epoch its challenge was assigned in, if the
/// verifier submits it before that epoch is final: a verifier assigned near the end has the
/// grace (the registry's `response_seconds`) to submit. Nothing is settled or paid for an epoch
/// before it is final, so its proven status is fixed by then.
pub(crate) fn is_final(config: &Config, now: Timestamp, epoch: u64) -> bool {
    final_until(config, now) > epoch
}

/// Whether the stake's `epoch` takes no more passes at `now`: final, or ended for a stake
/// that is invalidated (no pass counts for it any more, so its settlement waits for no grace:
/// an invalidation in the grace settles the epoch that just ended before it seizes).
pub(crate) fn is_closed(config: &Config, now: Timestamp, stake: &Stake, epoch: u64) -> bool {
    is_final(config, now, epoch)
        || (stake.invalidated && config.clock.epoch_at(now.seconds()) > epoch)
}

/// The first epoch not final at `now`: every epoch before it is.
pub(crate) fn final_until(config: &Config, now: Timestamp) -> u64 {
    config.clock.epoch_at(
        now.seconds()
            .saturating_sub(config.params.pass_grace_seconds),
    )
}

/// Epochs of a stake that can be proven: from its device's registration to its end.
pub(crate) fn provable(stake: &Stake, epoch: u64) -> bool {
    stake
        .verified_from
        .is_some_and(|from| epoch >= from.max(stake.start_epoch) && epoch < stake.end_epoch)
}

/// Passes recorded for the stake's `epoch`.
pub(crate) fn passes(storage: &dyn Storage, id: u64, epoch: u64) -> Result<u32, ContractError> {
    Ok(PASSES.may_load(storage, (id, epoch))?.unwrap_or_default())
}

/// Whether the stake's `epoch` is proven: earlier than the pair recorded passes, or with the
/// class's passes. Says nothing of finality: an epoch still open may be proven later.
pub(crate) fn is_proven(
    storage: &dyn Storage,
    config: &Config,
    stake: &Stake,
    epoch: u64,
) -> Result<bool, ContractError> {
    Ok(epoch < config.proofs_from()
        || passes(storage, stake.id, epoch)? >= config.params.min_passes_per_epoch)
}

/// Whether the stake's `epoch` ended unproven for good and its leases are still to be refunded.
/// (Epochs before its device registered sold nothing and leased nothing: nothing to settle.)
pub(crate) fn needs_settling(
    storage: &dyn Storage,
    config: &Config,
    now: Timestamp,
    stake: &Stake,
    epoch: u64,
) -> Result<bool, ContractError> {
    Ok(provable(stake, epoch)
        && is_closed(config, now, stake, epoch)
        && !is_proven(storage, config, stake, epoch)?
        && !UNPROVEN_SETTLED.has(storage, (stake.id, epoch)))
}

/// Registered epochs of the stake that earn rewards: those proven by passes, and those before
/// the pair recorded passes.
pub(crate) fn rewarded_epochs(config: &Config, stake: &Stake) -> u64 {
    let legacy = stake.verified_from.map_or(0, |from| {
        config
            .proofs_from()
            .min(stake.end_epoch)
            .saturating_sub(from.max(stake.start_epoch))
    });
    stake.proven_epochs + legacy
}

/// The registry accepted a pass of a challenge to the device of `token_id` assigned at
/// `challenged_at`: one more pass for that epoch of the stake, and the epoch proven when it
/// reaches the class's passes. A report the stake cannot use (invalidated, outside its
/// registered epochs, final) changes nothing and is not refused: the verifier's Submit, which
/// sends it, stands.
pub fn device_proven(
    deps: DepsMut,
    env: Env,
    sender: Addr,
    token_id: String,
    challenged_at: Timestamp,
    (verifier, audit_until): (Option<String>, Option<Timestamp>),
) -> Result<Response, ContractError> {
    let (config, id, mut stake, epoch) =
        registry_report(deps.as_ref(), &sender, &token_id, challenged_at)?;
    let verifier = match verifier {
        Some(verifier) => deps.api.addr_validate(&verifier)?,
        None => sender,
    };
    let response = Response::new()
        .add_attribute("action", "device_proven")
        .add_attribute("stake_id", id.to_string())
        .add_attribute("epoch", epoch.to_string());
    // One verifier proves an epoch once: a class that asks for two passes asks for two
    // verifiers, whom the beacon drew independently.
    if stake.invalidated
        || !provable(&stake, epoch)
        || challenged_at > env.block.time
        || is_final(&config, env.block.time, epoch)
        || PASS_VERIFIERS.has(deps.storage, (id, epoch, &verifier))
    {
        return Ok(response.add_attribute("counted", "false"));
    }
    PASS_VERIFIERS.save(deps.storage, (id, epoch, &verifier), &Empty {})?;
    PASS_AT.save(deps.storage, (id, epoch, &verifier), &challenged_at)?;
    let count = passes(deps.storage, id, epoch)?.saturating_add(1);
    PASSES.save(deps.storage, (id, epoch), &count)?;
    if count == config.params.min_passes_per_epoch && epoch >= config.proofs_from() {
        stake.proven_epochs += 1;
        STAKES.save(deps.storage, id, &stake)?;
    }
    // The epoch's pay waits for the pass's audit window, if the pool's own hold ends sooner.
    let held = match audit_until {
        Some(until) => holds::hold_until(deps.storage, &config, (id, epoch), until)?,
        None => false,
    };
    Ok(response
        .add_attribute("counted", "true")
        .add_attribute("passes", count.to_string())
        .add_attribute("held", held.to_string()))
}

/// A report from the registry about the device of `token_id`: the config, the stake's id and
/// record, and the stake's epoch containing `challenged_at`. Refused unless the sender is the
/// registry and the certificate is a stake's here.
fn registry_report(
    deps: Deps,
    sender: &Addr,
    token_id: &str,
    challenged_at: Timestamp,
) -> Result<(Config, u64, Stake, u64), ContractError> {
    let config = CONFIG.load(deps.storage)?;
    ensure_registry(deps, &config, sender)?;
    let id = STAKE_BY_TOKEN
        .may_load(deps.storage, token_id)?
        .ok_or_else(|| ContractError::UnknownCertificate {
            token_id: token_id.to_string(),
        })?;
    let stake = STAKES.load(deps.storage, id)?;
    let epoch = config.clock.epoch_at(challenged_at.seconds());
    Ok((config, id, stake, epoch))
}

/// Whether `verifier`'s pass of the stake's `epoch` assigned at `challenged_at` is the one
/// counted there (a verifier's second pass in an epoch counted nothing).
fn is_counted(
    storage: &dyn Storage,
    (id, epoch): (u64, u64),
    verifier: &Addr,
    challenged_at: Timestamp,
) -> Result<bool, ContractError> {
    Ok(PASS_VERIFIERS.has(storage, (id, epoch, verifier))
        && PASS_AT
            .may_load(storage, (id, epoch, verifier))?
            .is_none_or(|at| at == challenged_at))
}

/// Whether the stake's `epoch` has its pay out: a seller paid for it, a finished stake, the
/// epoch settled as unproven.
fn is_paid(storage: &dyn Storage, stake: &Stake, epoch: u64) -> bool {
    stake.finished
        || (stake.mode == StakeMode::Seller && epoch < stake.paid_until)
        || UNPROVEN_SETTLED.has(storage, (stake.id, epoch))
}

/// Whether `verifier`'s pass of the stake's `epoch` is the counted one, with the epoch's pay
/// not yet out: what a void un-counts, and what an audit holds.
fn counted_unpaid(
    storage: &dyn Storage,
    stake: &Stake,
    epoch: u64,
    verifier: &Addr,
    challenged_at: Timestamp,
) -> Result<bool, ContractError> {
    Ok(!is_paid(storage, stake, epoch)
        && is_counted(storage, (stake.id, epoch), verifier, challenged_at)?)
}

/// The registry's report of what an audit did to a pass it reported (`DeviceProofAudit`): its
/// first audit opened (the epoch is held while one is open, `holds`), its last one closed with
/// the pass standing (released), or the pass voided (`uncount`). An audit of a pass that was
/// not counted, or of an epoch whose pay is out, holds nothing; a clearing releases only what
/// an opening held (an epoch settled as unproven meanwhile included).
pub fn device_proof_audit(
    deps: DepsMut,
    sender: Addr,
    token_id: String,
    (challenged_at, verifier): (Timestamp, String),
    event: AuditEvent,
) -> Result<Response, ContractError> {
    let (config, id, stake, epoch) =
        registry_report(deps.as_ref(), &sender, &token_id, challenged_at)?;
    let verifier = deps.api.addr_validate(&verifier)?;
    let response = Response::new()
        .add_attribute("action", "device_proof_audit")
        .add_attribute("stake_id", id.to_string())
        .add_attribute("epoch", epoch.to_string());
    let pass = (&verifier, challenged_at);
    let (key, changed) = match event {
        AuditEvent::Voided => {
            return uncount(deps.storage, &config, stake, (epoch, pass), response);
        }
        AuditEvent::Opened => (
            "held",
            counted_unpaid(deps.storage, &stake, epoch, &verifier, challenged_at)?
                && holds::audited(deps.storage, (id, epoch), true),
        ),
        AuditEvent::Cleared => (
            "released",
            is_counted(deps.storage, (id, epoch), &verifier, challenged_at)?
                && holds::audited(deps.storage, (id, epoch), false),
        ),
    };
    Ok(response.add_attribute(key, changed.to_string()))
}

/// The registry voided a pass it reported: it no longer counts towards its epoch (and the
/// epoch, back below the class's passes, no longer earns rewards and is settled as unproven
/// once final). Nothing changes when the pass was never counted or the epoch's pay is out:
/// a seller already paid for it, or a finished stake.
fn uncount(
    storage: &mut dyn Storage,
    config: &Config,
    mut stake: Stake,
    (epoch, (verifier, challenged_at)): (u64, (&Addr, Timestamp)),
    response: Response,
) -> Result<Response, ContractError> {
    let id = stake.id;
    if !counted_unpaid(storage, &stake, epoch, verifier, challenged_at)? {
        return Ok(response.add_attribute("uncounted", "false"));
    }
    PASS_VERIFIERS.remove(storage, (id, epoch, verifier));
    PASS_AT.remove(storage, (id, epoch, verifier));
    let count = passes(storage, id, epoch)?;
    PASSES.save(storage, (id, epoch), &count.saturating_sub(1))?;
    if count == config.params.min_passes_per_epoch && epoch >= config.proofs_from() {
        stake.proven_epochs = stake.proven_epochs.saturating_sub(1);
        STAKES.save(storage, id, &stake)?;
    }
    Ok(response
        .add_attribute("uncounted", "true")
        .add_attribute("passes", count.saturating_sub(1).to_string()))
}

pub(crate) fn query_epoch_proof(
    storage: &dyn Storage,
    env: &Env,
    stake_id: u64,
    epoch: u64,
) -> Result<EpochProofResponse, ContractError> {
    let config = CONFIG.load(storage)?;
    let stake = STAKES
        .may_load(storage, stake_id)?
        .ok_or(ContractError::StakeNotFound { id: stake_id })?;
    Ok(EpochProofResponse {
        stake_id,
        epoch,
        passes: passes(storage, stake_id, epoch)?,
        required: config.params.min_passes_per_epoch,
        is_final: is_final(&config, env.block.time, epoch),
        legacy: epoch < config.proofs_from(),
        proven: is_proven(storage, &config, &stake, epoch)?,
        settled: UNPROVEN_SETTLED.has(storage, (stake_id, epoch)),
    })
}
