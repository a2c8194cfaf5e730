//! Devices whose certificate has ended: out of the draw, fingerprint free.
//!
//! The registry learns that a certificate ended only by reading it from the stake-certificate
//! contract (`status_at` the block time); nothing tells it when one expires. So an ended device
//! is pruned when someone meets it: `Prune { token_id }` (anyone), `Assign` for every ended
//! device it draws, `RegisterDevice` for the device holding the fingerprint it registers. Each
//! prune is one certificate query, two one-key range reads and a swap-remove from the dense
//! list: constant work. `Assign` prunes only devices it queried anyway (at most
//! `MAX_ASSIGN_TRIES`), so its gas stays bounded; a pass over the whole device list would not be.
//! A device is not pruned while a challenge on it is still assigned or disputed: the verifier's
//! verdict (and the invalidation it may bring) must still reach it.

use cosmwasm_std::{Deps, DepsMut, Env, Order, Response, Storage, Timestamp};
use loopin::registry::DeviceStatus;
use loopin::stake_cert::CertificateStatus;

use crate::device::{active_device, certificate, leave_draw};
use crate::error::ContractError;
use crate::state::{
    CONFIG, Config, DEVICE_AUDITS, DEVICES, Device, FINGERPRINTS, OPEN_ASSIGNMENTS, OPEN_DISPUTES,
};

/// What the stake certificate behind a device says at `now`.
pub(crate) enum CertState {
    /// Active: the device stays in the draw. Its expiry, in seconds.
    Running { expiry: Timestamp },
    /// Ended: the status the device takes when pruned.
    Ended(DeviceStatus),
}

/// Reads the certificate behind `token_id`. One the stake-certificate contract no longer knows
/// (burned) has ended like an expired one.
pub(crate) fn cert_state(deps: Deps, config: &Config, now: Timestamp, token_id: &str) -> CertState {
    match certificate(deps, config, token_id) {
        Err(_) => CertState::Ended(DeviceStatus::Expired),
        Ok(cert) => match cert.certificate.status_at(now) {
            CertificateStatus::Active => CertState::Running {
                expiry: cert.certificate.expiry,
            },
            CertificateStatus::Expired => CertState::Ended(DeviceStatus::Expired),
            CertificateStatus::Invalidated => CertState::Ended(DeviceStatus::Invalidated),
        },
    }
}

/// The first challenge still assigned to or disputed on the device, if any.
pub(crate) fn open_challenge(
    storage: &dyn Storage,
    token_id: &str,
) -> Result<Option<u64>, ContractError> {
    // An open audit of its Pass, too: a device that left the draw could not be invalidated by
    // what the audit shows, and a cheater would prune itself out of its audits.
    if let Some((id, _)) = DEVICE_AUDITS
        .sub_prefix(token_id)
        .keys(storage, None, None, Order::Ascending)
        .next()
        .transpose()?
    {
        return Ok(Some(id));
    }
    for index in [&OPEN_ASSIGNMENTS, &OPEN_DISPUTES] {
        if let Some(id) = index
            .prefix(token_id)
            .keys(storage, None, None, Order::Ascending)
            .next()
            .transpose()?
        {
            return Ok(Some(id));
        }
    }
    Ok(None)
}

/// Prunes the active device `token_id` whose certificate ended with `status`, unless a
/// challenge on it is still open (`DeviceChallenged`, nothing changed).
pub(crate) fn release(
    storage: &mut dyn Storage,
    token_id: &str,
    mut device: Device,
    status: DeviceStatus,
) -> Result<(), ContractError> {
    if let Some(challenge_id) = open_challenge(storage, token_id)? {
        return Err(ContractError::DeviceChallenged {
            token_id: token_id.to_string(),
            challenge_id,
        });
    }
    // An accusation, too, must still reach it: a device is not pruned out of its appeal.
    if device.accusation.is_some() {
        return Err(ContractError::DeviceAccused {
            token_id: token_id.to_string(),
        });
    }
    leave_draw(storage, token_id, &device)?;
    device.status = status;
    DEVICES.save(storage, token_id, &device)?;
    Ok(())
}

/// Frees a fingerprint held by device `holder` for a new registration: the holder's certificate
/// must have ended (else `FingerprintInUse`) and no challenge on it be open.
pub(crate) fn free_fingerprint(
    deps: DepsMut,
    config: &Config,
    env: &Env,
    holder: &str,
) -> Result<(), ContractError> {
    let device = DEVICES.load(deps.storage, holder)?;
    if device.status != DeviceStatus::Active {
        // Not in the draw; the index is stale. Nothing else to undo.
        FINGERPRINTS.remove(deps.storage, &device.fingerprint);
        return Ok(());
    }
    match cert_state(deps.as_ref(), config, env.block.time, holder) {
        CertState::Running { .. } => Err(ContractError::FingerprintInUse {
            token_id: holder.to_string(),
        }),
        CertState::Ended(status) => release(deps.storage, holder, device, status),
    }
}

/// `Prune { token_id }`: anyone takes an ended device out of the draw.
pub fn prune(deps: DepsMut, env: Env, token_id: String) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let device = active_device(deps.storage, &token_id)?;
    let status = match cert_state(deps.as_ref(), &config, env.block.time, &token_id) {
        CertState::Running { expiry } => {
            return Err(ContractError::CertificateStillActive {
                token_id,
                expiry: expiry.seconds(),
            });
        }
        CertState::Ended(status) => status,
    };
    release(deps.storage, &token_id, device, status)?;
    Ok(Response::new()
        .add_attribute("action", "prune")
        .add_attribute("token_id", token_id)
        .add_attribute("status", format!("{status:?}")))
}
