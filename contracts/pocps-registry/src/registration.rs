//! Device registration behind a stake certificate, and invalidation of a device.

use cosmwasm_std::{CosmosMsg, Deps, DepsMut, Env, HexBinary, MessageInfo, Response, Storage};
use loopin::pair;
use loopin::registry::{
    CommitmentMsg, DeviceStatus, HASH_LEN, MAX_ENDPOINT_LEN, MAX_RANDOMNESS_LEN,
};
use loopin::stake_cert::{self, CertificateResponse, CertificateStatus, MAX_REASON_LEN};
use loopin_pocps::encode::{ENCODING_VERSION, derive_ek};
use loopin_pocps::sig::device_fingerprint;

use crate::error::ContractError;
use crate::expiry;
use crate::judge;
use crate::outgoing::execute_msg;
use crate::state::{CONFIG, Config, DEVICE_COUNT, DEVICE_LIST, DEVICES, Device, FINGERPRINTS};

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

#[allow(clippy::too_many_arguments)]
pub(crate) fn register_device(
    mut deps: DepsMut,
    env: Env,
    info: MessageInfo,
    token_id: String,
    fingerprint: HexBinary,
    commitment: CommitmentMsg,
    endpoint: String,
    ek_randomness: HexBinary,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    if fingerprint.len() != HASH_LEN {
        return Err(ContractError::BadLength {
            field: "fingerprint".into(),
            expected: HASH_LEN,
        });
    }
    if ek_randomness.len() > MAX_RANDOMNESS_LEN {
        return Err(ContractError::BadLength {
            field: "ek_randomness".into(),
            expected: MAX_RANDOMNESS_LEN,
        });
    }
    if endpoint.is_empty() || endpoint.len() > MAX_ENDPOINT_LEN {
        return Err(ContractError::InvalidEndpoint {});
    }
    if !matches!(commitment.pubkey.len(), 33 | 65) {
        return Err(ContractError::BadLength {
            field: "pubkey".into(),
            expected: 33,
        });
    }
    let pocps = judge::commitment(&commitment)?;
    if !pocps.params.is_valid() || pocps.params.rounds < config.settings.min_rounds {
        return Err(ContractError::InvalidParams {});
    }
    if DEVICES.has(deps.storage, &token_id) {
        return Err(ContractError::AlreadyRegistered { token_id });
    }
    let cert = certificate(deps.as_ref(), &config, &token_id)?.certificate;
    if cert.miner != info.sender {
        return Err(ContractError::NotCertificateOwner {});
    }
    // Registered at stake time, before the stake's first epoch starts: not expired, not invalid.
    if cert.status_at(env.block.time) != CertificateStatus::Active {
        return Err(ContractError::CertificateNotActive { token_id });
    }
    if cert.device_id != fingerprint.to_hex() {
        return Err(ContractError::FingerprintMismatch {});
    }
    // The device is its key: the id the pair let only that key's holder stake (a signature by
    // it) is the fingerprint of the key the commitment names, which signs the device's answers.
    if fingerprint.as_slice() != device_fingerprint(&commitment.pubkey) {
        return Err(ContractError::FingerprintNotOfDeviceKey {});
    }
    if cert.commitment.as_slice() != pocps.digest() {
        return Err(ContractError::CommitmentMismatch {});
    }
    let (lateness_quorum, gemm, epoch_origin) =
        meets_class(deps.as_ref(), &config, &cert.pool, &pocps.params)?;
    // ek binds the fingerprint, the miner and the pool: no two identities share an encoding.
    if derive_ek(
        &fingerprint,
        info.sender.as_str(),
        cert.pool.as_str(),
        &ek_randomness,
    ) != pocps.ek
    {
        return Err(ContractError::EkMismatch {});
    }
    // One active registration per fingerprint; one whose certificate has ended is pruned here,
    // so the device registers again under its new certificate.
    let released = FINGERPRINTS.may_load(deps.storage, &fingerprint)?;
    if let Some(holder) = &released {
        expiry::free_fingerprint(deps.branch(), &config, &env, holder)?;
    }
    let slot = DEVICE_COUNT.load(deps.storage)?;
    DEVICE_LIST.save(deps.storage, slot, &token_id)?;
    DEVICE_COUNT.save(deps.storage, &(slot + 1))?;
    FINGERPRINTS.save(deps.storage, &fingerprint, &token_id)?;
    DEVICES.save(
        deps.storage,
        &token_id,
        &Device {
            owner: info.sender.clone(),
            pool: cert.pool.clone(),
            fingerprint,
            commitment,
            endpoint: endpoint.clone(),
            status: DeviceStatus::Active,
            passes: 0,
            slot,
            encoding: ENCODING_VERSION,
            accusation: None,
            lateness_quorum,
            gemm,
            missed_sweeps: 0,
            missed_from: 0,
            epoch_origin: Some(epoch_origin),
        },
    )?;
    // The pool supplies the device's hours to clients, and rewards them, only from now on.
    let registered = execute_msg(
        &cert.pool,
        &pair::ExecuteMsg::DeviceRegistered {
            token_id: token_id.clone(),
        },
    )?;
    let response = Response::new()
        .add_attribute("action", "register_device")
        .add_attribute("token_id", token_id)
        .add_attribute("owner", info.sender)
        .add_attribute("pool", cert.pool)
        .add_attribute("endpoint", endpoint)
        .add_message(registered);
    Ok(match released {
        Some(holder) => response.add_attribute("released", holder),
        None => response,
    })
}

/// Refuses a commitment whose P is smaller, or whose blocks take fewer Sloth rounds, than the
/// pool's class asks (and than the registry's own `min_rounds`): proving a 16-byte P proves no
/// hardware. Returns the class's lateness quorum (0: the registry's) and GEMM challenge.
fn meets_class(
    deps: Deps,
    config: &Config,
    pool: &cosmwasm_std::Addr,
    p: &loopin_pocps::encode::Params,
) -> Result<(u32, Option<loopin::pool::GemmClass>, u64), ContractError> {
    let class: pair::ConfigResponse = deps
        .querier
        .query_wasm_smart(pool, &pair::QueryMsg::Config {})?;
    let bytes = u64::from(p.lanes) * u64::from(p.blocks_per_lane) * 16;
    let min_bytes = class.params.min_proof_bytes;
    let min_rounds = class
        .params
        .min_proof_rounds
        .max(config.settings.min_rounds);
    if bytes < min_bytes || p.rounds < min_rounds {
        return Err(ContractError::CommitmentBelowClass {
            bytes,
            min_bytes,
            rounds: p.rounds,
            min_rounds,
        });
    }
    if let Some(g) = class.params.gemm.as_ref() {
        crate::sweep::check_period(config, g)?;
    }
    Ok((
        class.params.lateness_quorum,
        class.params.gemm,
        class.genesis,
    ))
}

/// Marks the device invalid, takes it out of the draw and asks its pool to invalidate the
/// certificate (the pair settles the miner's position).
pub(crate) fn invalidate_device(
    storage: &mut dyn Storage,
    token_id: &str,
    reason: &str,
) -> Result<CosmosMsg, ContractError> {
    let mut device = DEVICES.load(storage, token_id)?;
    expiry::leave_draw(storage, token_id, &device)?;
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
