//! Rotating the key a device's answers are checked with (issue 19), with proof of the old key:
//! a key thought leaked (a leaked key signs answers the device never gave, which a bad-proof
//! claim would then slash) is retired without a new identity, so P is not encoded again.

use cosmwasm_std::{Deps, DepsMut, Empty, Env, HexBinary, MessageInfo, Response, Storage};
use loopin::device::{DEVICE_KEY_LEN, KeyRotation};
use loopin::registry::DeviceStatus;
use loopin_pocps::sig::SigVerifier;

use crate::error::ContractError;
use crate::expiry::open_challenge;
use crate::judge::HostVerifier;
use crate::state::{DEVICE_KEYS, DEVICES, Device, RETIRED_DEVICE_KEYS, RotatedKey};

/// The key `device`'s answers are checked with now, and its rotations so far: its
/// fingerprint's, whatever certificate it is registered under.
pub(crate) fn current_key(
    storage: &dyn Storage,
    device: &Device,
) -> Result<(HexBinary, u32), ContractError> {
    Ok(
        match DEVICE_KEYS.may_load(storage, device.fingerprint.as_slice())? {
            Some(rotated) => (rotated.key, rotated.rotations),
            None => (device.commitment.pubkey.clone(), 0),
        },
    )
}

/// The new key: 33-byte compressed SEC1, not the current one.
fn check_new_key(new_key: &HexBinary, current: &HexBinary) -> Result<(), ContractError> {
    if new_key.len() != DEVICE_KEY_LEN || !matches!(new_key[0], 2 | 3) {
        return Err(ContractError::BadLength {
            field: "new_key".into(),
            expected: DEVICE_KEY_LEN,
        });
    }
    if new_key == current {
        return Err(ContractError::SameDeviceKey {});
    }
    Ok(())
}

/// Checks both signatures over the rotation: the current key's (`which`: "current") and the
/// new key's ("new").
fn check_signatures(
    deps: Deps,
    rotation: &KeyRotation,
    current: &HexBinary,
    current_signature: &HexBinary,
    new_signature: &HexBinary,
) -> Result<(), ContractError> {
    let message = rotation.message();
    let host = HostVerifier(deps.api);
    for (which, key, signature) in [
        ("current", current.as_slice(), current_signature),
        ("new", rotation.new_key, new_signature),
    ] {
        if !host.verify(&message, signature, key) {
            return Err(ContractError::InvalidRotationSignature {
                key: which.to_string(),
            });
        }
    }
    Ok(())
}

/// Replaces the key device `token_id`'s answers are checked with. Its owner only, while it is
/// active and no challenge on it is open, and never with a key an earlier rotation retired.
pub(crate) fn rotate_device_key(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    token_id: String,
    new_key: HexBinary,
    current_key_signature: HexBinary,
    new_key_signature: HexBinary,
) -> Result<Response, ContractError> {
    let device =
        DEVICES
            .may_load(deps.storage, &token_id)?
            .ok_or_else(|| ContractError::UnknownDevice {
                token_id: token_id.clone(),
            })?;
    if device.owner != info.sender {
        return Err(ContractError::NotDeviceOwner {});
    }
    if device.status != DeviceStatus::Active {
        return Err(ContractError::DeviceNotActive { token_id });
    }
    let (current, rotations) = current_key(deps.storage, &device)?;
    check_new_key(&new_key, &current)?;
    let fingerprint = device.fingerprint.as_slice();
    if RETIRED_DEVICE_KEYS.has(deps.storage, (fingerprint, new_key.as_slice())) {
        return Err(ContractError::RetiredDeviceKey {
            key: new_key.to_hex(),
        });
    }
    // An answer in flight is signed with the key being replaced.
    if let Some(challenge_id) = open_challenge(deps.storage, &token_id)? {
        return Err(ContractError::DeviceChallenged {
            token_id,
            challenge_id,
        });
    }
    let rotation = KeyRotation {
        chain_id: &env.block.chain_id,
        registry: env.contract.address.as_str(),
        token_id: &token_id,
        new_key: new_key.as_slice(),
        rotation: rotations,
    };
    check_signatures(
        deps.as_ref(),
        &rotation,
        &current,
        &current_key_signature,
        &new_key_signature,
    )?;
    let rotated = RotatedKey {
        key: new_key.clone(),
        rotations: rotations + 1,
    };
    DEVICE_KEYS.save(deps.storage, fingerprint, &rotated)?;
    RETIRED_DEVICE_KEYS.save(deps.storage, (fingerprint, current.as_slice()), &Empty {})?;
    Ok(Response::new()
        .add_attribute("action", "rotate_device_key")
        .add_attribute("token_id", token_id)
        .add_attribute("signing_key", new_key.to_hex())
        .add_attribute("rotations", rotated.rotations.to_string()))
}
