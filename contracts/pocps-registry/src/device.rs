//! A registered device's record as every flow meets it: the stake certificate behind it, the
//! active device loaded, its exit from the draw, and its invalidation.

use cosmwasm_std::{CosmosMsg, Deps, Storage};
use loopin::pair;
use loopin::registry::DeviceStatus;
use loopin::stake_cert::{self, CertificateResponse, MAX_REASON_LEN};

use crate::error::ContractError;
use crate::outgoing::execute_msg;
use crate::state::{
    Config, DEVICE_COUNT, DEVICE_LIST, DEVICES, Device, FINGERPRINTS, LAST_ASSIGNED,
};

/// The stake certificate `token_id` as the stake-certificate contract reports it:
/// `UnknownCertificate` where it knows none.
pub(crate) fn certificate(
    deps: Deps,
    config: &Config,
    token_id: &str,
) -> Result<CertificateResponse, ContractError> {
    deps.querier
        .query_wasm_smart(
            &config.stake_cert,
            &stake_cert::QueryMsg::Certificate {
                token_id: token_id.to_string(),
            },
        )
        .map_err(|_| ContractError::UnknownCertificate {
            token_id: token_id.to_string(),
        })
}

/// The registered, active device `token_id`: `UnknownDevice` or `DeviceNotActive` otherwise.
pub(crate) fn active_device(
    storage: &dyn Storage,
    token_id: &str,
) -> Result<Device, ContractError> {
    let device =
        DEVICES
            .may_load(storage, token_id)?
            .ok_or_else(|| ContractError::UnknownDevice {
                token_id: token_id.to_string(),
            })?;
    if device.status != DeviceStatus::Active {
        return Err(ContractError::DeviceNotActive {
            token_id: token_id.to_string(),
        });
    }
    Ok(device)
}
/// Takes an active device out of the dense draw list (swap-remove) and frees its fingerprint.
/// The caller saves the device's new status.
pub(crate) fn leave_draw(
    storage: &mut dyn Storage,
    token_id: &str,
    device: &Device,
) -> Result<(), ContractError> {
    LAST_ASSIGNED.remove(storage, token_id);
    if FINGERPRINTS
        .may_load(storage, &device.fingerprint)?
        .as_deref()
        == Some(token_id)
    {
        FINGERPRINTS.remove(storage, &device.fingerprint);
    }
    let last = DEVICE_COUNT.load(storage)?.checked_sub(1).ok_or_else(|| {
        ContractError::DeviceNotActive {
            token_id: token_id.to_string(),
        }
    })?;
    if device.slot != last {
        let moved = DEVICE_LIST.load(storage, last)?;
        DEVICE_LIST.save(storage, device.slot, &moved)?;
        let mut other = DEVICES.load(storage, &moved)?;
        other.slot = device.slot;
        DEVICES.save(storage, &moved, &other)?;
    }
    DEVICE_LIST.remove(storage, last);
    DEVICE_COUNT.save(storage, &last)?;
    Ok(())
}

/// Marks the device invalid, takes it out of the draw and asks its pool to invalidate the
/// certificate (the pair settles the miner's position).
pub(crate) fn invalidate_device(
    storage: &mut dyn Storage,
    token_id: &str,
    reason: &str,
) -> Result<CosmosMsg, ContractError> {
    let mut device = DEVICES.load(storage, token_id)?;
    leave_draw(storage, token_id, &device)?;
    device.status = DeviceStatus::Invalidated;
    DEVICES.save(storage, token_id, &device)?;
    let mut reason = reason.to_string();
    reason.truncate(MAX_REASON_LEN);
    Ok(execute_msg(
        &device.pool,
        &pair::ExecuteMsg::Invalidate {
            token_id: token_id.to_string(),
            reason,
        },
    )?)
}
