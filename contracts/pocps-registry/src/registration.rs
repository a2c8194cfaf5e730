//! Device registration behind a stake certificate.

use cosmwasm_std::{Addr, Deps, DepsMut, Env, HexBinary, MessageInfo, Response, Storage};
use loopin::pair;
use loopin::pool::GemmClass;
use loopin::registry::{
    CommitmentMsg, DeviceStatus, HASH_LEN, MAX_ENDPOINT_LEN, MAX_RANDOMNESS_LEN,
};
use loopin::stake_cert::{CertificateStatus, StakeCertificate};
use loopin_pocps::encode::{ENCODING_VERSION, derive_ek};
use loopin_pocps::proof::Commitment;
use loopin_pocps::sig::device_fingerprint;

use crate::device::certificate;
use crate::error::ContractError;
use crate::expiry;
use crate::judge;
use crate::outgoing::execute_msg;
use crate::state::{CONFIG, Config, DEVICE_COUNT, DEVICE_LIST, DEVICES, Device, FINGERPRINTS};

/// What the pool's class sets for a device it admits: its lateness quorum (0: the registry's),
/// its GEMM challenge, and the pool's genesis (the origin of the device's epochs).
type ClassTerms = (u32, Option<GemmClass>, u64);

/// `RegisterDevice`: the miner of stake certificate `token_id` registers the device behind it,
/// which enters the draw at once; the pool is told (`DeviceRegistered`).
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
    check_lengths(&fingerprint, &ek_randomness, &endpoint, &commitment)?;
    let pocps = judge::commitment(&commitment)?;
    if !pocps.params.is_valid() || pocps.params.rounds < config.settings.min_rounds {
        return Err(ContractError::InvalidParams {});
    }
    if DEVICES.has(deps.storage, &token_id) {
        return Err(ContractError::AlreadyRegistered { token_id });
    }
    let cert = backing_certificate(
        deps.as_ref(),
        (&env, &info, &config),
        &token_id,
        (&fingerprint, &commitment, &pocps),
    )?;
    let terms = meets_class(deps.as_ref(), &config, &cert.pool, &pocps.params)?;
    // ek binds the fingerprint, the miner and the pool: no two identities share an encoding.
    let ek = derive_ek(
        &fingerprint,
        info.sender.as_str(),
        cert.pool.as_str(),
        &ek_randomness,
    );
    if ek != pocps.ek {
        return Err(ContractError::EkMismatch {});
    }
    // One active registration per fingerprint; one whose certificate has ended is pruned here,
    // so the device registers again under its new certificate.
    let released = FINGERPRINTS.may_load(deps.storage, &fingerprint)?;
    if let Some(holder) = &released {
        expiry::free_fingerprint(deps.branch(), &config, &env, holder)?;
    }
    let slot = enter_draw(deps.storage, &token_id, &fingerprint)?;
    let parties = (info.sender.clone(), cert.pool.clone());
    let device = new_device(
        parties,
        (fingerprint, commitment, endpoint.clone()),
        slot,
        terms,
    );
    DEVICES.save(deps.storage, &token_id, &device)?;
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

/// Refuses a registration whose fields have the wrong length: the fingerprint, the
/// encoding-key randomness, the endpoint and the device key.
fn check_lengths(
    fingerprint: &HexBinary,
    ek_randomness: &HexBinary,
    endpoint: &str,
    commitment: &CommitmentMsg,
) -> Result<(), ContractError> {
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
    Ok(())
}

/// The stake certificate `token_id` a registration stands on: the sender's, active, and
/// naming this device (its fingerprint, the fingerprint of the commitment's key) and this
/// commitment.
fn backing_certificate(
    deps: Deps,
    (env, info, config): (&Env, &MessageInfo, &Config),
    token_id: &str,
    (fingerprint, commitment, pocps): (&HexBinary, &CommitmentMsg, &Commitment),
) -> Result<StakeCertificate, ContractError> {
    let cert = certificate(deps, config, token_id)?.certificate;
    if cert.miner != info.sender {
        return Err(ContractError::NotCertificateOwner {});
    }
    // Registered at stake time, before the stake's first epoch starts: not expired, not invalid.
    if cert.status_at(env.block.time) != CertificateStatus::Active {
        return Err(ContractError::CertificateNotActive {
            token_id: token_id.to_string(),
        });
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
    Ok(cert)
}

/// Takes the next slot of the dense draw list for `token_id` and holds its fingerprint: the
/// slot, for the device the caller saves.
fn enter_draw(
    storage: &mut dyn Storage,
    token_id: &String,
    fingerprint: &HexBinary,
) -> Result<u64, ContractError> {
    let slot = DEVICE_COUNT.load(storage)?;
    DEVICE_LIST.save(storage, slot, token_id)?;
    DEVICE_COUNT.save(storage, &(slot + 1))?;
    FINGERPRINTS.save(storage, fingerprint, token_id)?;
    Ok(slot)
}

/// The device a registration records: active, in draw slot `slot`, with no pass, accusation
/// or missed sweep yet, under its class's `terms`.
fn new_device(
    (owner, pool): (Addr, Addr),
    (fingerprint, commitment, endpoint): (HexBinary, CommitmentMsg, String),
    slot: u64,
    (lateness_quorum, gemm, epoch_origin): ClassTerms,
) -> Device {
    Device {
        owner,
        pool,
        fingerprint,
        commitment,
        endpoint,
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
    }
}

/// Refuses a commitment whose P is smaller, or whose blocks take fewer Sloth rounds, than the
/// pool's class asks (and than the registry's own `min_rounds`): proving a 16-byte P proves no
/// hardware. Returns the class's lateness quorum (0: the registry's) and GEMM challenge.
fn meets_class(
    deps: Deps,
    config: &Config,
    pool: &Addr,
    p: &loopin_pocps::encode::Params,
) -> Result<ClassTerms, ContractError> {
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
