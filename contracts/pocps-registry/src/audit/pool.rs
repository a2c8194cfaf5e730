//! What the device's pool is told of a Pass's audits, so that it pays nothing for a pass that
//! can still be voided: the first open audit of a Pass holds its epoch's pay, the last one
//! decided with the Pass standing releases it (`pair::ExecuteMsg::DeviceProofAudited`), and a
//! void un-counts the pass (`DeviceProofVoided`). Each names the pass as the pool counted it:
//! the device's certificate, the time it counted it at (a sweep's: its window's start), and its
//! verifier.

use cosmwasm_std::{CosmosMsg, Storage, Timestamp};
use loopin::pair;

use crate::error::ContractError;
use crate::outgoing::execute_msg;
use crate::state::{Challenge, Config, DEVICES, Device, GEMM_AUDITS};

/// `report(token_id, challenged_at, verifier)` sent to the pool of `device` about challenge
/// `challenge`'s Pass; none for a challenge never assigned (nothing was counted).
pub(crate) fn report(
    config: &Config,
    (device, target): (&Device, &str),
    challenge: &Challenge,
    report: impl FnOnce(String, Timestamp, String) -> pair::ExecuteMsg,
) -> Result<Option<CosmosMsg>, ContractError> {
    let Some(assigned_at) = challenge.assigned_at else {
        return Ok(None);
    };
    let at = crate::sweep::challenged_at(config, device, challenge, assigned_at);
    let msg = report(target.to_string(), at, challenge.verifier.to_string());
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

/// `DeviceProofAudited` for the Pass of `challenge` on `device`: `open`, its first audit opened;
/// else its last one closed.
pub(crate) fn audited(
    config: &Config,
    (device, target): (&Device, &str),
    challenge: &Challenge,
    open: bool,
) -> Result<Option<CosmosMsg>, ContractError> {
    report(
        config,
        (device, target),
        challenge,
        |token_id, challenged_at, verifier| pair::ExecuteMsg::DeviceProofAudited {
            token_id,
            challenged_at,
            verifier,
            open,
        },
    )
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
        0 => audited(config, on, challenge, true),
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
    audited(config, (&device, target), challenge, false)
}
