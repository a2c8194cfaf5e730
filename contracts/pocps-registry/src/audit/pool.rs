//! What the device's pool is told of a Pass's audits (`pair::ExecuteMsg::DeviceProofAudit`),
//! so that it pays nothing for a pass that can still be voided: the first open audit of a Pass
//! holds its epoch's pay (`Opened`), the last one decided with the Pass standing releases it
//! (`Cleared`), and a void un-counts the pass (`Voided`). Each names the pass as the pool
//! counted it: the device's certificate, the time it counted it at (a sweep's: its window's
//! start), and its verifier.

use cosmwasm_std::{CosmosMsg, Storage};
use loopin::pair::{self, AuditEvent};

use crate::error::ContractError;
use crate::outgoing::execute_msg;
use crate::state::{Challenge, Config, DEVICES, Device, GEMM_AUDITS};

/// `event` reported to the pool of `device` about challenge `challenge`'s Pass; none for a
/// challenge never assigned (nothing was counted).
pub(crate) fn report(
    config: &Config,
    (device, target): (&Device, &str),
    challenge: &Challenge,
    event: AuditEvent,
) -> Result<Option<CosmosMsg>, ContractError> {
    let Some(assigned_at) = challenge.assigned_at else {
        return Ok(None);
    };
    let msg = pair::ExecuteMsg::DeviceProofAudit {
        token_id: target.to_string(),
        challenged_at: crate::sweep::challenged_at(config, device, challenge, assigned_at),
        verifier: challenge.verifier.to_string(),
        event,
    };
    Ok(Some(execute_msg(&device.pool, &msg)?))
}

/// Audits of the Pass of challenge `id` open now, of both kinds.
fn open_audits(
    storage: &dyn Storage,
    id: u64,
    challenge: &Challenge,
) -> Result<u32, ContractError> {
    let (_, gemm_open) = GEMM_AUDITS.may_load(storage, id)?.unwrap_or_default();
    Ok(challenge.open_audits.saturating_add(gemm_open))
}

/// Before an audit of challenge `id` on `device` opens: the Pass's first open audit holds its
/// epoch's pay in the pool until it is decided.
pub(crate) fn held_if_first(
    storage: &dyn Storage,
    config: &Config,
    on: (&Device, &str),
    id: u64,
    challenge: &Challenge,
) -> Result<Option<CosmosMsg>, ContractError> {
    match open_audits(storage, id, challenge)? {
        0 => report(config, on, challenge, AuditEvent::Opened),
        _ => Ok(None),
    }
}

/// After an audit of challenge `id` closed without voiding its Pass: the release of its epoch's
/// hold when it was the Pass's last open audit.
pub(crate) fn released_if_last(
    storage: &dyn Storage,
    config: &Config,
    id: u64,
    challenge: &Challenge,
) -> Result<Option<CosmosMsg>, ContractError> {
    if open_audits(storage, id, challenge)? > 0 {
        return Ok(None);
    }
    let Some(target) = &challenge.target else {
        return Ok(None);
    };
    let device = DEVICES.load(storage, target)?;
    report(config, (&device, target), challenge, AuditEvent::Cleared)
}
