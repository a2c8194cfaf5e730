//! A stake's claim on its device: the device key's signature, and the smallest stake.
//!
//! One device backs one valid certificate at a time (the stake-cert contract), so whoever names a
//! device in a Stake holds it until the stake ends. A device is therefore named by its key: the id
//! is the key's fingerprint (`loopin::device::device_id`, as the registry's fingerprint and ek
//! take it) and the stake must carry that key's signature over this very stake
//! (`loopin::device::StakeClaim`: chain, pair, device, staker, commitment and terms), so nobody
//! can stake, or squat, a device whose key they do not hold, nor reuse a device's consent for
//! another staker, pool or chain. A stake is also at least the class's `min_rate`, so holding a
//! device's certificate is never free.

use cosmwasm_std::{Addr, Api, Env};
use loopin::device::{DEVICE_KEY_LEN, DEVICE_SIGNATURE_LEN, StakeClaim, device_id};
use loopin::pool::PoolParams;

use crate::error::ContractError;
use crate::requests::StakeRequest;

/// Refuses a stake below the class's smallest rate, or one its device's key did not sign.
pub fn check(
    api: &dyn Api,
    env: &Env,
    staker: &Addr,
    request: &StakeRequest,
    params: &PoolParams,
) -> Result<(), ContractError> {
    if request.rate < params.min_rate {
        return Err(ContractError::RateBelowMinimum {
            rate: request.rate,
            min: params.min_rate,
        });
    }
    if request.rate > params.max_rate {
        return Err(ContractError::RateAboveMaximum {
            rate: request.rate,
            max: params.max_rate,
        });
    }
    let key = request.device_key.as_slice();
    // Compressed only: one key, one id (an uncompressed encoding would name it a second time).
    if key.len() != DEVICE_KEY_LEN || !matches!(key.first(), Some(2 | 3)) {
        return Err(ContractError::InvalidDeviceKey {});
    }
    let expected = device_id(key);
    if request.device_id != expected {
        return Err(ContractError::DeviceKeyMismatch {
            device_id: request.device_id.clone(),
            expected,
        });
    }
    let claim = StakeClaim {
        chain_id: &env.block.chain_id,
        pair: env.contract.address.as_str(),
        device_id: &request.device_id,
        staker: staker.as_str(),
        commitment: request.commitment.as_slice(),
        mode: request.mode,
        rate: request.rate,
        epochs: request.epochs,
    };
    let signature = request.device_signature.as_slice();
    // A malformed key or signature is an error of the host call; both are a refusal here.
    let signed = signature.len() == DEVICE_SIGNATURE_LEN
        && api
            .secp256k1_verify(&claim.message(), signature, key)
            .unwrap_or(false);
    if !signed {
        return Err(ContractError::InvalidDeviceSignature {});
    }
    Ok(())
}
