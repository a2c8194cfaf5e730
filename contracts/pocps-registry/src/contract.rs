//! Entry points of the PoCPS registry.

#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{
    Addr, Binary, CosmosMsg, Deps, DepsMut, Empty, Env, HexBinary, MessageInfo, Order, Reply,
    Response, StdResult, Storage, SubMsg, Uint128, WasmMsg, from_json, to_json_binary,
};
use cw_storage_plus::Bound;
use cw20::Cw20ReceiveMsg;
use loopin::migrate::ensure_upgrade;
use loopin::registry::{
    AssignmentInfo, AssignmentsResponse, BeaconResponse, BeaconRoundResponse, CHALLENGE_KEY_LEN,
    ChallengeResponse, ChallengeStatus, CommitmentMsg, ConfigResponse, DeviceResponse,
    DeviceStatus, DevicesResponse, ExecuteMsg, HASH_LEN, InstantiateMsg, MAX_ASSIGN_TRIES,
    MAX_ENDPOINT_LEN, MAX_OPENINGS_PER_ROUND, MAX_RANDOMNESS_LEN, MAX_ROUND_SCAN, MigrateMsg,
    QueryMsg, ReceiveMsg, RegistrySettings, Verdict, VerifierResponse,
};
use loopin::stake_cert::{self, CertificateResponse, CertificateStatus, MAX_REASON_LEN};
use loopin::{factory, page_limit, pair, token};
use loopin_pocps::challenge::commit_secret;
use loopin_pocps::encode::derive_ek;
use loopin_pocps::merkle::{leaf_hash, verify_path};
use loopin_pocps::proof::{VerifyError, check_block, verify_opening_path, verify_round_digests};
use loopin_pocps::sig::{SigVerifier, challenge_key_message, device_fingerprint};

use crate::error::ContractError;
use crate::expiry;
use crate::judge::{self, HostVerifier, hash32, hex};
use crate::state::{
    BeaconRound, CHALLENGE_KEYS, CHALLENGES, CONFIG, CONTRIBUTORS, Challenge, Config, DEVICE_COUNT,
    DEVICE_LIST, DEVICES, Device, DisputedLeaf, ENTROPY_COMMITS, EPOCH_REWARDS, EpochRewards,
    FINGERPRINTS, LATE_COUNT, LATE_VOTES, LATEST_ROUND, NEXT_CHALLENGE, OPEN_ASSIGNMENTS,
    OPEN_DISPUTES, ROUNDS, SECRET_HASHES, VERIFIERS, Verifier,
};

/// cw2 name of this contract.
pub const CONTRACT_NAME: &str = "crates.io:loopin-pocps-registry";
/// cw2 version of this contract.
pub const CONTRACT_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Reply to a reward request: a mint the factory refuses (emission cap) must not undo a verdict.
const REPLY_REWARD: u64 = 1;

/// A reward counted against the caps when it was asked for (the payload of its sub-message):
/// uncounted if the factory refuses the mint, so the caps count only what was minted.
#[cosmwasm_schema::cw_serde]
struct RewardCounted {
    verifier: Addr,
    epoch: u64,
    amount: Uint128,
}

fn invalid(reason: &str) -> ContractError {
    ContractError::InvalidSettings {
        reason: reason.to_string(),
    }
}

/// Longest period a setting may name (ten years), so no deadline arithmetic can overflow.
const MAX_PERIOD_SECONDS: u64 = 10 * 365 * 86_400;

fn validate_settings(s: &RegistrySettings) -> Result<(), ContractError> {
    if s.round_seconds == 0 || s.reward_epoch_seconds == 0 || s.lateness_window_seconds == 0 {
        return Err(invalid("periods must be positive"));
    }
    let periods = [
        s.unbonding_seconds,
        s.round_seconds,
        s.response_seconds,
        s.dispute_seconds,
        s.lateness_window_seconds,
        s.reward_epoch_seconds,
        s.assign_window_rounds.saturating_mul(s.round_seconds),
    ];
    if periods.iter().any(|&p| p > MAX_PERIOD_SECONDS) {
        return Err(invalid("periods must be at most ten years"));
    }
    if s.openings_per_round == 0 || s.openings_per_round > MAX_OPENINGS_PER_ROUND {
        return Err(invalid("openings per round must be 1 to 32"));
    }
    if s.max_recheck_steps == 0 {
        return Err(invalid("re-check steps must be positive"));
    }
    if s.entropy_quorum == 0 || s.lateness_quorum == 0 {
        return Err(invalid("quorums must be positive"));
    }
    if s.max_open_challenges == 0 || s.min_bond.is_zero() {
        return Err(invalid("bond and open challenges must be positive"));
    }
    // A verifier must stay slashable while any verdict of its can still be refuted.
    if s.unbonding_seconds < s.response_seconds.saturating_add(s.dispute_seconds) {
        return Err(invalid(
            "unbonding must outlast the response and dispute windows",
        ));
    }
    Ok(())
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response, ContractError> {
    cw_utils::nonpayable(&info)?;
    validate_settings(&msg.settings)?;
    let factory = deps.api.addr_validate(&msg.factory)?;
    let wired: factory::ConfigResponse = deps
        .querier
        .query_wasm_smart(&factory, &factory::QueryMsg::Config {})?;
    CONFIG.save(
        deps.storage,
        &Config {
            factory: factory.clone(),
            token: wired.token,
            stake_cert: wired.stake_cert,
            genesis: env.block.time,
            settings: msg.settings,
        },
    )?;
    DEVICE_COUNT.save(deps.storage, &0)?;
    NEXT_CHALLENGE.save(deps.storage, &1)?;
    EPOCH_REWARDS.save(deps.storage, &EpochRewards::default())?;
    cw2::set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    Ok(Response::new()
        .add_attribute("action", "instantiate")
        .add_attribute("factory", factory))
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn execute(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> Result<Response, ContractError> {
    cw_utils::nonpayable(&info)?;
    match msg {
        ExecuteMsg::Receive(msg) => receive(deps, env, info, msg),
        ExecuteMsg::Unbond { amount } => unbond(deps, env, info, amount),
        ExecuteMsg::WithdrawUnbonded {} => withdraw(deps, env, info),
        ExecuteMsg::RegisterDevice {
            token_id,
            fingerprint,
            commitment,
            endpoint,
            ek_randomness,
            min_first_proceeds,
        } => register_device(
            deps,
            env,
            info,
            token_id,
            fingerprint,
            commitment,
            endpoint,
            ek_randomness,
            min_first_proceeds,
        ),
        ExecuteMsg::CommitEntropy { hash } => commit_entropy(deps, env, info, hash),
        ExecuteMsg::RevealEntropy { secret } => reveal_entropy(deps, env, info, secret),
        ExecuteMsg::SetChallengeKey { pubkey, signature } => {
            set_challenge_key(deps, env, info, pubkey, signature)
        }
        ExecuteMsg::Commit { secret_hash } => commit(deps, env, info, secret_hash),
        ExecuteMsg::Assign { challenge_id } => assign(deps, env, challenge_id),
        ExecuteMsg::Submit {
            challenge_id,
            secret,
            verdict,
        } => submit(deps, env, info, challenge_id, secret, verdict),
        ExecuteMsg::Defend { challenge_id, path } => defend(deps, env, info, challenge_id, path),
        ExecuteMsg::Finalize { challenge_id } => finalize(deps, env, challenge_id),
        ExecuteMsg::Expire { challenge_id } => expire(deps, env, challenge_id),
        ExecuteMsg::Prune { token_id } => expiry::prune(deps, env, token_id),
    }
}

// ---------------------------------------------------------------------------------------------
// Time.

fn current_round(config: &Config, env: &Env) -> u64 {
    env.block
        .time
        .seconds()
        .saturating_sub(config.genesis.seconds())
        / config.settings.round_seconds
}

fn reward_epoch(config: &Config, env: &Env) -> u64 {
    env.block
        .time
        .seconds()
        .saturating_sub(config.genesis.seconds())
        / config.settings.reward_epoch_seconds
}

// ---------------------------------------------------------------------------------------------
// Verifier bonds.

fn receive(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: Cw20ReceiveMsg,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    if info.sender != config.token {
        return Err(ContractError::NotToken {});
    }
    if msg.amount.is_zero() {
        return Err(ContractError::ZeroAmount {});
    }
    let sender = deps.api.addr_validate(&msg.sender)?;
    match from_json::<ReceiveMsg>(&msg.msg)? {
        ReceiveMsg::Bond {} => {
            let mut verifier = VERIFIERS
                .may_load(deps.storage, &sender)?
                .unwrap_or_else(|| Verifier {
                    release_at: env.block.time,
                    ..Verifier::default()
                });
            if verifier.slashed {
                return Err(ContractError::VerifierSlashed {});
            }
            verifier.bonded = verifier
                .bonded
                .checked_add(msg.amount)
                .map_err(cosmwasm_std::StdError::from)?;
            VERIFIERS.save(deps.storage, &sender, &verifier)?;
            Ok(Response::new()
                .add_attribute("action", "bond")
                .add_attribute("verifier", sender)
                .add_attribute("amount", msg.amount)
                .add_attribute("bonded", verifier.bonded))
        }
    }
}

fn load_verifier(storage: &dyn Storage, address: &Addr) -> Result<Verifier, ContractError> {
    VERIFIERS
        .may_load(storage, address)?
        .ok_or_else(|| ContractError::NotVerifier {
            address: address.to_string(),
        })
}

/// A verifier with at least the minimum bond, not slashed.
fn bonded_verifier(
    storage: &dyn Storage,
    config: &Config,
    address: &Addr,
) -> Result<Verifier, ContractError> {
    let verifier = load_verifier(storage, address)?;
    if verifier.slashed {
        return Err(ContractError::VerifierSlashed {});
    }
    if verifier.bonded < config.settings.min_bond {
        return Err(ContractError::InsufficientBond {
            bonded: verifier.bonded,
            min: config.settings.min_bond,
        });
    }
    Ok(verifier)
}

fn unbond(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    amount: Uint128,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let mut verifier = load_verifier(deps.storage, &info.sender)?;
    if verifier.slashed {
        return Err(ContractError::VerifierSlashed {});
    }
    if amount.is_zero() {
        return Err(ContractError::ZeroAmount {});
    }
    if amount > verifier.bonded {
        return Err(ContractError::UnbondTooLarge {
            requested: amount,
            bonded: verifier.bonded,
        });
    }
    verifier.bonded -= amount;
    verifier.unbonding = verifier
        .unbonding
        .checked_add(amount)
        .map_err(cosmwasm_std::StdError::from)?;
    verifier.release_at = env
        .block
        .time
        .plus_seconds(config.settings.unbonding_seconds);
    VERIFIERS.save(deps.storage, &info.sender, &verifier)?;
    Ok(Response::new()
        .add_attribute("action", "unbond")
        .add_attribute("verifier", &info.sender)
        .add_attribute("amount", amount)
        .add_attribute("release_at", verifier.release_at.seconds().to_string()))
}

fn withdraw(deps: DepsMut, env: Env, info: MessageInfo) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let mut verifier = load_verifier(deps.storage, &info.sender)?;
    if verifier.open_challenges > 0 {
        return Err(ContractError::ChallengesOpen {
            open: verifier.open_challenges,
        });
    }
    if verifier.unbonding.is_zero() || env.block.time < verifier.release_at {
        return Err(ContractError::NothingToWithdraw {
            release_at: verifier.release_at.seconds(),
        });
    }
    let amount = verifier.unbonding;
    verifier.unbonding = Uint128::zero();
    VERIFIERS.save(deps.storage, &info.sender, &verifier)?;
    Ok(Response::new()
        .add_attribute("action", "withdraw_unbonded")
        .add_attribute("verifier", &info.sender)
        .add_attribute("amount", amount)
        .add_message(execute_msg(
            &config.token,
            &token::ExecuteMsg::Transfer {
                recipient: info.sender.to_string(),
                amount,
            },
        )?))
}

fn execute_msg<M: serde::Serialize>(contract: &Addr, msg: &M) -> StdResult<CosmosMsg> {
    Ok(WasmMsg::Execute {
        contract_addr: contract.to_string(),
        msg: to_json_binary(msg)?,
        funds: vec![],
    }
    .into())
}

// ---------------------------------------------------------------------------------------------
// Devices.

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
fn register_device(
    mut deps: DepsMut,
    env: Env,
    info: MessageInfo,
    token_id: String,
    fingerprint: HexBinary,
    commitment: CommitmentMsg,
    endpoint: String,
    ek_randomness: HexBinary,
    min_first_proceeds: Option<Uint128>,
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
        },
    )?;
    // The pool supplies the device's hours to clients, and rewards them, only from now on.
    let registered = execute_msg(
        &cert.pool,
        &pair::ExecuteMsg::DeviceRegistered {
            token_id: token_id.clone(),
            min_proceeds: min_first_proceeds,
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

/// Marks the device invalid, takes it out of the draw and asks its pool to invalidate the
/// certificate (the pair settles the miner's position).
fn invalidate_device(
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

// ---------------------------------------------------------------------------------------------
// Entropy beacon.

fn commit_entropy(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    hash: HexBinary,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let mut verifier = bonded_verifier(deps.storage, &config, &info.sender)?;
    let hash = hash32("hash", &hash)?;
    let round = current_round(&config, &env);
    if let Some((pending, _)) = ENTROPY_COMMITS.may_load(deps.storage, &info.sender)? {
        if pending == round {
            return Err(ContractError::EntropyAlreadyCommitted { round });
        }
        // Never revealed: recorded against the verifier (withholding is visible).
        verifier.lapsed_entropy = verifier.lapsed_entropy.saturating_add(1);
        VERIFIERS.save(deps.storage, &info.sender, &verifier)?;
    }
    ENTROPY_COMMITS.save(deps.storage, &info.sender, &(round, hash))?;
    Ok(Response::new()
        .add_attribute("action", "commit_entropy")
        .add_attribute("verifier", info.sender)
        .add_attribute("round", round.to_string()))
}

fn reveal_entropy(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    secret: HexBinary,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    load_verifier(deps.storage, &info.sender)?;
    let secret = hash32("secret", &secret)?;
    let round = current_round(&config, &env);
    let (_, hash) = ENTROPY_COMMITS
        .may_load(deps.storage, &info.sender)?
        .filter(|(committed, _)| committed + 1 == round)
        .ok_or(ContractError::NoEntropyCommitted {})?;
    if commit_secret(&secret) != hash {
        return Err(ContractError::WrongSecret {});
    }
    let mut beacon = match ROUNDS.may_load(deps.storage, round)? {
        Some(beacon) => beacon,
        None => {
            let previous = match LATEST_ROUND.may_load(deps.storage)? {
                Some(latest) => ROUNDS.load(deps.storage, latest)?.value,
                None => judge::round_start(&[0u8; 32], 0),
            };
            BeaconRound {
                value: judge::round_start(&previous, round),
                contributors: 0,
            }
        }
    };
    beacon.value = judge::mix(&beacon.value, info.sender.as_str(), &secret);
    beacon.contributors = beacon.contributors.saturating_add(1);
    ROUNDS.save(deps.storage, round, &beacon)?;
    LATEST_ROUND.save(deps.storage, &round)?;
    CONTRIBUTORS.save(deps.storage, (round, &info.sender), &Empty {})?;
    ENTROPY_COMMITS.remove(deps.storage, &info.sender);
    Ok(Response::new()
        .add_attribute("action", "reveal_entropy")
        .add_attribute("verifier", info.sender)
        .add_attribute("round", round.to_string())
        .add_attribute("contributors", beacon.contributors.to_string()))
}

/// The first final round after `after` with the entropy quorum not counting `challenger`.
fn randomness_round(
    storage: &dyn Storage,
    config: &Config,
    env: &Env,
    after: u64,
    challenger: &Addr,
) -> Result<Option<(u64, BeaconRound)>, ContractError> {
    let now = current_round(config, env);
    for item in ROUNDS
        .range(
            storage,
            Some(Bound::exclusive(after)),
            Some(Bound::exclusive(now)),
            Order::Ascending,
        )
        .take(MAX_ROUND_SCAN as usize)
    {
        let (round, beacon) = item?;
        let own = u32::from(CONTRIBUTORS.has(storage, (round, challenger)));
        if beacon.contributors.saturating_sub(own) >= config.settings.entropy_quorum {
            return Ok(Some((round, beacon)));
        }
    }
    Ok(None)
}

// ---------------------------------------------------------------------------------------------
// Challenges.

fn load_challenge(storage: &dyn Storage, id: u64) -> Result<Challenge, ContractError> {
    CHALLENGES
        .may_load(storage, id)?
        .ok_or(ContractError::UnknownChallenge { id })
}

fn expect_status(challenge: &Challenge, expected: ChallengeStatus) -> Result<(), ContractError> {
    if challenge.status != expected {
        return Err(ContractError::WrongStatus {
            status: format!("{:?}", challenge.status),
            expected: format!("{expected:?}"),
        });
    }
    Ok(())
}

fn set_challenge_key(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    pubkey: HexBinary,
    signature: HexBinary,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let mut verifier = bonded_verifier(deps.storage, &config, &info.sender)?;
    if pubkey.len() != CHALLENGE_KEY_LEN || !matches!(pubkey[0], 2 | 3) {
        return Err(ContractError::InvalidChallengeKey {});
    }
    let message =
        challenge_key_message(env.contract.address.as_str(), info.sender.as_str(), &pubkey);
    if !HostVerifier(deps.api).verify(&message, &signature, &pubkey) {
        return Err(ContractError::ChallengeKeyNotProven {});
    }
    match CHALLENGE_KEYS.may_load(deps.storage, &pubkey)? {
        Some(owner) if owner != info.sender => return Err(ContractError::ChallengeKeyTaken {}),
        _ => {}
    }
    if let Some(old) = verifier.challenge_key.replace(pubkey.clone()) {
        CHALLENGE_KEYS.remove(deps.storage, &old);
    }
    CHALLENGE_KEYS.save(deps.storage, &pubkey, &info.sender)?;
    VERIFIERS.save(deps.storage, &info.sender, &verifier)?;
    Ok(Response::new()
        .add_attribute("action", "set_challenge_key")
        .add_attribute("verifier", info.sender)
        .add_attribute("challenge_key", pubkey.to_hex()))
}

fn commit(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    secret_hash: HexBinary,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let mut verifier = bonded_verifier(deps.storage, &config, &info.sender)?;
    if verifier.challenge_key.is_none() {
        return Err(ContractError::NoChallengeKey {});
    }
    if verifier.open_challenges >= config.settings.max_open_challenges {
        return Err(ContractError::TooManyChallenges {
            max: config.settings.max_open_challenges,
        });
    }
    let secret_hash = hash32("secret_hash", &secret_hash)?;
    if SECRET_HASHES.has(deps.storage, &secret_hash) {
        return Err(ContractError::SecretReused {});
    }
    let id = NEXT_CHALLENGE.load(deps.storage)?;
    NEXT_CHALLENGE.save(deps.storage, &(id + 1))?;
    SECRET_HASHES.save(deps.storage, &secret_hash, &id)?;
    let round = current_round(&config, &env);
    CHALLENGES.save(
        deps.storage,
        id,
        &Challenge {
            verifier: info.sender.clone(),
            secret_hash,
            committed_round: round,
            randomness_round: None,
            randomness: None,
            target: None,
            assigned_at: None,
            status: ChallengeStatus::Committed,
            disputed: None,
        },
    )?;
    verifier.open_challenges += 1;
    VERIFIERS.save(deps.storage, &info.sender, &verifier)?;
    Ok(Response::new()
        .add_attribute("action", "commit")
        .add_attribute("challenge_id", id.to_string())
        .add_attribute("verifier", info.sender)
        .add_attribute("round", round.to_string()))
}

fn assign(deps: DepsMut, env: Env, id: u64) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let mut challenge = load_challenge(deps.storage, id)?;
    expect_status(&challenge, ChallengeStatus::Committed)?;
    let (round, beacon) = randomness_round(
        deps.storage,
        &config,
        &env,
        challenge.committed_round,
        &challenge.verifier,
    )?
    .ok_or(ContractError::RandomnessPending {
        round: challenge.committed_round,
    })?;
    if current_round(&config, &env) > round.saturating_add(config.settings.assign_window_rounds) {
        return Err(ContractError::ChallengeLapsed {});
    }
    let randomness = judge::challenge_randomness(&beacon.value, id);
    let mut count = DEVICE_COUNT.load(deps.storage)?;
    let mut target = None;
    // Devices whose certificate ended, met on the way: pruned (out of the draw, fingerprint
    // free), each at the cost of its draw, so gas stays bounded by MAX_ASSIGN_TRIES queries.
    let mut pruned = vec![];
    for attempt in 0..MAX_ASSIGN_TRIES {
        if count == 0 {
            break;
        }
        let token_id = DEVICE_LIST.load(deps.storage, judge::draw(&randomness, attempt, count))?;
        let device = DEVICES.load(deps.storage, &token_id)?;
        // Never a device of the verifier's own.
        if device.owner == challenge.verifier {
            continue;
        }
        match expiry::cert_state(deps.as_ref(), &config, env.block.time, &token_id) {
            expiry::CertState::Running { .. } => {
                target = Some(token_id);
                break;
            }
            // One with a challenge still open stays until it closes; it is skipped.
            expiry::CertState::Ended(status) => {
                match expiry::release(deps.storage, &token_id, device, status) {
                    Ok(()) => {
                        count -= 1;
                        pruned.push(token_id);
                    }
                    Err(ContractError::DeviceChallenged { .. }) => {}
                    Err(err) => return Err(err),
                }
            }
        }
    }
    // A refusal undoes the prunes with everything else: a draw that meets only ended devices
    // is refused until they are pruned (`Prune`) or their challenges close.
    let target = target.ok_or(ContractError::NoEligibleTarget {})?;
    challenge.randomness_round = Some(round);
    challenge.randomness = Some(randomness);
    challenge.target = Some(target.clone());
    challenge.assigned_at = Some(env.block.time);
    challenge.status = ChallengeStatus::Assigned;
    CHALLENGES.save(deps.storage, id, &challenge)?;
    OPEN_ASSIGNMENTS.save(deps.storage, (&target, id), &Empty {})?;
    let response = Response::new()
        .add_attribute("action", "assign")
        .add_attribute("challenge_id", id.to_string())
        .add_attribute("verifier", challenge.verifier)
        .add_attribute("target", target)
        .add_attribute("randomness_round", round.to_string());
    Ok(if pruned.is_empty() {
        response
    } else {
        response.add_attribute("pruned", pruned.join(","))
    })
}

/// Drops the challenge from its target's open assignments or disputes (no-op unless it was
/// assigned or disputed).
fn leave_open(storage: &mut dyn Storage, id: u64, challenge: &Challenge) {
    let Some(target) = &challenge.target else {
        return;
    };
    match challenge.status {
        ChallengeStatus::Assigned => OPEN_ASSIGNMENTS.remove(storage, (target, id)),
        ChallengeStatus::Disputed => OPEN_DISPUTES.remove(storage, (target, id)),
        _ => {}
    }
}

/// Closes a challenge of the verifier: one fewer open, and saves both.
fn close(
    storage: &mut dyn Storage,
    id: u64,
    challenge: &mut Challenge,
    status: ChallengeStatus,
) -> Result<Verifier, ContractError> {
    leave_open(storage, id, challenge);
    challenge.status = status;
    CHALLENGES.save(storage, id, challenge)?;
    let mut verifier = load_verifier(storage, &challenge.verifier)?;
    verifier.open_challenges = verifier.open_challenges.saturating_sub(1);
    VERIFIERS.save(storage, &challenge.verifier, &verifier)?;
    Ok(verifier)
}

/// Counts a valid check and asks the factory for its reward within the per-verifier and
/// registry caps. The mint is a sub-message whose failure (the factory's emission cap) is
/// caught, so it never undoes the verdict, and uncounted from the caps in [`reply`].
fn reward(
    storage: &mut dyn Storage,
    config: &Config,
    env: &Env,
    address: &Addr,
) -> Result<Option<SubMsg>, ContractError> {
    let mut verifier = load_verifier(storage, address)?;
    verifier.valid_checks += 1;
    let epoch = reward_epoch(config, env);
    if verifier.reward_epoch != epoch {
        verifier.reward_epoch = epoch;
        verifier.rewarded = 0;
    }
    let amount = config.settings.reward_per_check;
    let mut totals = EPOCH_REWARDS.load(storage)?;
    if totals.epoch != epoch {
        totals = EpochRewards {
            epoch,
            paid: Uint128::zero(),
        };
    }
    let paid = totals.paid.checked_add(amount).ok();
    let within = !amount.is_zero()
        && verifier.rewarded < config.settings.max_rewarded_checks
        && paid.is_some_and(|paid| paid <= config.settings.max_rewards_per_epoch);
    let msg = if within {
        verifier.rewarded += 1;
        totals.paid = paid.unwrap_or(totals.paid);
        EPOCH_REWARDS.save(storage, &totals)?;
        Some(
            SubMsg::reply_on_error(
                execute_msg(
                    &config.factory,
                    &factory::ExecuteMsg::MintRewards {
                        recipient: address.to_string(),
                        amount,
                    },
                )?,
                REPLY_REWARD,
            )
            .with_payload(to_json_binary(&RewardCounted {
                verifier: address.clone(),
                epoch,
                amount,
            })?),
        )
    } else {
        None
    };
    VERIFIERS.save(storage, address, &verifier)?;
    Ok(msg)
}

/// Burns everything a verifier has bonded or unbonding.
fn slash(
    storage: &mut dyn Storage,
    config: &Config,
    address: &Addr,
) -> Result<(Uint128, Option<CosmosMsg>), ContractError> {
    let mut verifier = load_verifier(storage, address)?;
    let amount = verifier
        .bonded
        .checked_add(verifier.unbonding)
        .map_err(cosmwasm_std::StdError::from)?;
    verifier.bonded = Uint128::zero();
    verifier.unbonding = Uint128::zero();
    verifier.slashed = true;
    VERIFIERS.save(storage, address, &verifier)?;
    let msg = if amount.is_zero() {
        None
    } else {
        Some(execute_msg(
            &config.token,
            &token::ExecuteMsg::Burn { amount },
        )?)
    };
    Ok((amount, msg))
}

fn submit(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    id: u64,
    secret: HexBinary,
    verdict: Verdict,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let mut challenge = load_challenge(deps.storage, id)?;
    if challenge.verifier != info.sender {
        return Err(ContractError::NotChallenger {});
    }
    expect_status(&challenge, ChallengeStatus::Assigned)?;
    let verifier = load_verifier(deps.storage, &info.sender)?;
    if verifier.slashed {
        return Err(ContractError::VerifierSlashed {});
    }
    let (Some(target), Some(randomness), Some(assigned_at)) = (
        challenge.target.clone(),
        challenge.randomness,
        challenge.assigned_at,
    ) else {
        return Err(ContractError::WrongStatus {
            status: "unassigned".into(),
            expected: "Assigned".into(),
        });
    };
    if env.block.time > assigned_at.plus_seconds(config.settings.response_seconds) {
        return Err(ContractError::ChallengeLapsed {});
    }
    let secret = hash32("secret", &secret)?;
    if commit_secret(&secret) != challenge.secret_hash {
        return Err(ContractError::WrongSecret {});
    }
    let device = DEVICES.load(deps.storage, &target)?;
    if device.status != DeviceStatus::Active {
        return Err(ContractError::DeviceNotActive { token_id: target });
    }
    let seed = judge::seed(&secret, &randomness);
    let commitment = judge::commitment(&device.commitment)?;
    let k = config.settings.openings_per_round;
    let host = HostVerifier(deps.api);
    let response = Response::new()
        .add_attribute("action", "submit")
        .add_attribute("challenge_id", id.to_string())
        .add_attribute("verifier", &info.sender)
        .add_attribute("target", &target);

    match verdict {
        Verdict::Pass { answer, latency_ms } => {
            if latency_ms > config.settings.deadline_ms {
                return Err(ContractError::LatencyOverDeadline {
                    latency_ms,
                    deadline_ms: config.settings.deadline_ms,
                });
            }
            let (leaves, signature) = judge::signed(&answer)?;
            // Proof that the check was made: the device signed this challenge's answer.
            match verify_round_digests(&commitment, &seed, k, &leaves, &signature, &host) {
                Ok(()) => {}
                Err(VerifyError::BadSignature) => {
                    return Err(ContractError::NotSignedForChallenge {});
                }
                Err(err) => {
                    return Err(ContractError::InvalidPass {
                        reason: err.to_string(),
                    });
                }
            }
            let mut device = device;
            device.passes += 1;
            DEVICES.save(deps.storage, &target, &device)?;
            close(deps.storage, id, &mut challenge, ChallengeStatus::Passed)?;
            let reward = reward(deps.storage, &config, &env, &info.sender)?;
            Ok(response
                .add_attribute("verdict", "pass")
                .add_attribute("latency_ms", latency_ms.to_string())
                .add_submessages(reward))
        }
        Verdict::Late { latency_ms } => {
            if let Some(latency_ms) = latency_ms
                && latency_ms <= config.settings.deadline_ms
            {
                return Err(ContractError::NotLate { latency_ms });
            }
            let window = env.block.time.seconds() / config.settings.lateness_window_seconds;
            let mut count = LATE_COUNT
                .may_load(deps.storage, (&target, window))?
                .unwrap_or_default();
            // One vote per verifier and window: distinct, independently assigned verifiers.
            if !LATE_VOTES.has(deps.storage, (&target, window, &info.sender)) {
                LATE_VOTES.save(deps.storage, (&target, window, &info.sender), &Empty {})?;
                count = count.saturating_add(1);
                LATE_COUNT.save(deps.storage, (&target, window), &count)?;
            }
            close(deps.storage, id, &mut challenge, ChallengeStatus::Late)?;
            let mut response = response
                .add_attribute("verdict", "late")
                .add_attribute(
                    "latency_ms",
                    latency_ms.map_or("none".to_string(), |l| l.to_string()),
                )
                .add_attribute("late_votes", count.to_string());
            if count >= config.settings.lateness_quorum {
                let msg = invalidate_device(
                    deps.storage,
                    &target,
                    &format!("pocps: late, attested by {count} verifiers"),
                )?;
                response = response
                    .add_attribute("invalidated", &target)
                    .add_message(msg);
            }
            Ok(response)
        }
        Verdict::BadProof {
            answer,
            opening,
            leaf,
            block,
        } => {
            let (leaves, signature) = judge::signed(&answer)?;
            let j = opening as usize;
            let claim =
                match verify_round_digests(&commitment, &seed, k, &leaves, &signature, &host) {
                    Err(VerifyError::BadSignature) => {
                        return Err(ContractError::NotSignedForChallenge {});
                    }
                    Err(VerifyError::BadParams) => return Err(ContractError::InvalidParams {}),
                    // The device signed an answer of the wrong shape: proven as it stands.
                    Err(err) => Claim::Proven(err.to_string()),
                    Ok(()) => {
                        let Some(&(index, signed_hash)) = leaves.get(j) else {
                            return Err(ContractError::InvalidClaim { k });
                        };
                        let o = judge::opening(&leaf)?;
                        if o.index != index || leaf_hash(&o.blocks) != signed_hash {
                            return Err(ContractError::LeafNotSigned {});
                        }
                        let m = commitment.params.blocks_per_leaf as usize;
                        if o.blocks.len() != m {
                            Claim::Proven(format!("opening {j} has the wrong number of blocks"))
                        } else {
                            let bad = match block {
                                Some(b) if (b as usize) < m => {
                                    !check_block(&commitment, &o, b as usize)
                                }
                                Some(_) => return Err(ContractError::InvalidClaim { k }),
                                None => {
                                    let steps = m as u64 * u64::from(commitment.params.rounds);
                                    if steps > config.settings.max_recheck_steps {
                                        return Err(ContractError::RecheckTooCostly {
                                            steps,
                                            max: config.settings.max_recheck_steps,
                                        });
                                    }
                                    !(0..m).all(|n| check_block(&commitment, &o, n))
                                }
                            };
                            if bad {
                                Claim::Proven(format!("opening {j}: block chain broken"))
                            } else if verify_opening_path(&commitment, &o) {
                                Claim::Refuted
                            } else {
                                Claim::Disputed(o.index, signed_hash)
                            }
                        }
                    }
                };
            match claim {
                Claim::Proven(failure) => {
                    // The device signed a bad answer: proven on chain, invalidated at once.
                    let msg =
                        invalidate_device(deps.storage, &target, &format!("pocps: {failure}"))?;
                    close(deps.storage, id, &mut challenge, ChallengeStatus::Proven)?;
                    let reward = reward(deps.storage, &config, &env, &info.sender)?;
                    Ok(response
                        .add_attribute("verdict", "bad_proof")
                        .add_attribute("outcome", "proven")
                        .add_attribute("failure", failure)
                        .add_attribute("invalidated", &target)
                        .add_message(msg)
                        .add_submessages(reward))
                }
                Claim::Refuted => {
                    // Refuted on chain: the verifier loses its bond.
                    close(deps.storage, id, &mut challenge, ChallengeStatus::Refuted)?;
                    let (slashed, burn) = slash(deps.storage, &config, &info.sender)?;
                    Ok(response
                        .add_attribute("verdict", "bad_proof")
                        .add_attribute("outcome", "refuted")
                        .add_attribute("slashed", slashed)
                        .add_messages(burn))
                }
                Claim::Disputed(index, leaf_hash) => {
                    // A path is not signed: the device answers with its own.
                    let deadline = env.block.time.plus_seconds(config.settings.dispute_seconds);
                    leave_open(deps.storage, id, &challenge);
                    OPEN_DISPUTES.save(deps.storage, (&target, id), &Empty {})?;
                    challenge.status = ChallengeStatus::Disputed;
                    challenge.disputed = Some(DisputedLeaf {
                        index,
                        leaf_hash,
                        deadline,
                    });
                    CHALLENGES.save(deps.storage, id, &challenge)?;
                    Ok(response
                        .add_attribute("verdict", "bad_proof")
                        .add_attribute("outcome", "disputed")
                        .add_attribute("opening", j.to_string())
                        .add_attribute("deadline", deadline.seconds().to_string()))
                }
            }
        }
    }
}

/// What the on-chain re-check of a bad-proof claim found.
enum Claim {
    /// Signed data is bad: the device's fault.
    Proven(String),
    /// Everything named checks out: the verifier's fault.
    Refuted,
    /// The signed leaf is sound but its path fails: the device may answer with a path.
    Disputed(u64, [u8; 32]),
}

fn defend(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    id: u64,
    path: Vec<HexBinary>,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let mut challenge = load_challenge(deps.storage, id)?;
    expect_status(&challenge, ChallengeStatus::Disputed)?;
    let (Some(target), Some(disputed)) = (challenge.target.clone(), challenge.disputed.clone())
    else {
        return Err(ContractError::WrongStatus {
            status: "undisputed".into(),
            expected: "Disputed".into(),
        });
    };
    let device = DEVICES.load(deps.storage, &target)?;
    if device.owner != info.sender {
        return Err(ContractError::NotDeviceOwner {});
    }
    if env.block.time > disputed.deadline {
        return Err(ContractError::ChallengeLapsed {});
    }
    let commitment = judge::commitment(&device.commitment)?;
    if path.len() != commitment.params.depth() {
        return Err(ContractError::InvalidPath {});
    }
    let path = path
        .iter()
        .map(|h| hash32("path", h))
        .collect::<Result<Vec<_>, _>>()?;
    if !verify_path(&commitment.root, disputed.leaf_hash, disputed.index, &path) {
        return Err(ContractError::InvalidPath {});
    }
    let verifier = challenge.verifier.clone();
    close(deps.storage, id, &mut challenge, ChallengeStatus::Refuted)?;
    let (slashed, burn) = slash(deps.storage, &config, &verifier)?;
    Ok(Response::new()
        .add_attribute("action", "defend")
        .add_attribute("challenge_id", id.to_string())
        .add_attribute("target", target)
        .add_attribute("verifier", verifier)
        .add_attribute("slashed", slashed)
        .add_messages(burn))
}

fn finalize(deps: DepsMut, env: Env, id: u64) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let mut challenge = load_challenge(deps.storage, id)?;
    expect_status(&challenge, ChallengeStatus::Disputed)?;
    let (Some(target), Some(disputed)) = (challenge.target.clone(), challenge.disputed.clone())
    else {
        return Err(ContractError::WrongStatus {
            status: "undisputed".into(),
            expected: "Disputed".into(),
        });
    };
    if env.block.time <= disputed.deadline {
        return Err(ContractError::NotLapsed {});
    }
    let device = DEVICES.load(deps.storage, &target)?;
    let verifier = challenge.verifier.clone();
    close(deps.storage, id, &mut challenge, ChallengeStatus::Proven)?;
    let mut response = Response::new()
        .add_attribute("action", "finalize")
        .add_attribute("challenge_id", id.to_string())
        .add_attribute("target", &target);
    // Another verdict may have invalidated the device meanwhile.
    if device.status == DeviceStatus::Active {
        let msg = invalidate_device(
            deps.storage,
            &target,
            "pocps: opening not in the committed tree (unanswered)",
        )?;
        response = response
            .add_attribute("invalidated", &target)
            .add_message(msg);
    }
    let reward = reward(deps.storage, &config, &env, &verifier)?;
    Ok(response.add_submessages(reward))
}

fn expire(deps: DepsMut, env: Env, id: u64) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let mut challenge = load_challenge(deps.storage, id)?;
    let lapsed = match challenge.status {
        ChallengeStatus::Committed => {
            // Lapsed once a qualifying round exists and its assignment window passed, or when
            // no round qualified for the scan length.
            let now = current_round(&config, &env);
            match randomness_round(
                deps.storage,
                &config,
                &env,
                challenge.committed_round,
                &challenge.verifier,
            )? {
                Some((round, _)) => {
                    now > round.saturating_add(config.settings.assign_window_rounds)
                }
                None => {
                    now > challenge
                        .committed_round
                        .saturating_add(u64::from(MAX_ROUND_SCAN))
                        .saturating_add(config.settings.assign_window_rounds)
                }
            }
        }
        ChallengeStatus::Assigned => challenge
            .assigned_at
            .is_some_and(|at| env.block.time > at.plus_seconds(config.settings.response_seconds)),
        _ => {
            return Err(ContractError::WrongStatus {
                status: format!("{:?}", challenge.status),
                expected: "Committed or Assigned".into(),
            });
        }
    };
    if !lapsed {
        return Err(ContractError::NotLapsed {});
    }
    close(deps.storage, id, &mut challenge, ChallengeStatus::Expired)?;
    Ok(Response::new()
        .add_attribute("action", "expire")
        .add_attribute("challenge_id", id.to_string())
        .add_attribute("verifier", challenge.verifier.as_str()))
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn reply(deps: DepsMut, _env: Env, msg: Reply) -> Result<Response, ContractError> {
    match msg.id {
        REPLY_REWARD => {
            let counted: RewardCounted =
                from_json(&msg.payload).map_err(|_| ContractError::BadReplyPayload {})?;
            uncount_reward(deps.storage, &counted)?;
            let error = msg.result.into_result().err().unwrap_or_default();
            Ok(Response::new()
                .add_attribute("action", "reward_unpaid")
                .add_attribute("verifier", counted.verifier)
                .add_attribute("amount", counted.amount)
                .add_attribute(
                    "error",
                    if error.is_empty() {
                        "refused".to_string()
                    } else {
                        error
                    },
                ))
        }
        id => Err(ContractError::UnknownReply { id }),
    }
}

/// Gives back the caps a refused mint had taken: the verifier's rewarded checks and the
/// registry's total, if still in the epoch they were counted in (the reply comes in the same
/// transaction, so they are).
fn uncount_reward(storage: &mut dyn Storage, counted: &RewardCounted) -> Result<(), ContractError> {
    let mut verifier = load_verifier(storage, &counted.verifier)?;
    if verifier.reward_epoch == counted.epoch {
        verifier.rewarded = verifier.rewarded.saturating_sub(1);
        VERIFIERS.save(storage, &counted.verifier, &verifier)?;
    }
    let mut totals = EPOCH_REWARDS.load(storage)?;
    if totals.epoch == counted.epoch {
        totals.paid = totals.paid.saturating_sub(counted.amount);
        EPOCH_REWARDS.save(storage, &totals)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Queries.

fn device_response(token_id: String, device: Device) -> DeviceResponse {
    DeviceResponse {
        token_id,
        owner: device.owner,
        pool: device.pool,
        fingerprint: device.fingerprint,
        commitment: device.commitment,
        endpoint: device.endpoint,
        status: device.status,
        passes: device.passes,
    }
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps, env: Env, msg: QueryMsg) -> Result<Binary, ContractError> {
    Ok(match msg {
        QueryMsg::Config {} => {
            let config = CONFIG.load(deps.storage)?;
            to_json_binary(&ConfigResponse {
                factory: config.factory,
                token: config.token,
                stake_cert: config.stake_cert,
                genesis: config.genesis,
                settings: config.settings,
            })?
        }
        QueryMsg::Device { token_id } => {
            let device = DEVICES.may_load(deps.storage, &token_id)?.ok_or_else(|| {
                ContractError::UnknownDevice {
                    token_id: token_id.clone(),
                }
            })?;
            to_json_binary(&device_response(token_id, device))?
        }
        QueryMsg::Devices { start_after, limit } => {
            let start = start_after.as_deref().map(Bound::exclusive);
            let devices = DEVICES
                .range(deps.storage, start, None, Order::Ascending)
                .filter(|item| {
                    item.as_ref()
                        .map_or(true, |(_, d)| d.status == DeviceStatus::Active)
                })
                .take(page_limit(limit))
                .map(|item| item.map(|(id, d)| device_response(id, d)))
                .collect::<StdResult<_>>()?;
            to_json_binary(&DevicesResponse { devices })?
        }
        QueryMsg::Verifier { address } => {
            let address = deps.api.addr_validate(&address)?;
            let v = load_verifier(deps.storage, &address)?;
            to_json_binary(&VerifierResponse {
                address,
                bonded: v.bonded,
                unbonding: v.unbonding,
                release_at: v.release_at,
                slashed: v.slashed,
                open_challenges: v.open_challenges,
                valid_checks: v.valid_checks,
                lapsed_entropy: v.lapsed_entropy,
                challenge_key: v.challenge_key,
            })?
        }
        QueryMsg::Challenge { challenge_id } => {
            let c = load_challenge(deps.storage, challenge_id)?;
            to_json_binary(&ChallengeResponse {
                id: challenge_id,
                verifier: c.verifier,
                secret_hash: hex(&c.secret_hash),
                committed_round: c.committed_round,
                randomness_round: c.randomness_round,
                randomness: c.randomness.map(|r| hex(&r)),
                target: c.target,
                assigned_at: c.assigned_at,
                status: c.status,
                dispute_deadline: c.disputed.map(|d| d.deadline),
            })?
        }
        QueryMsg::Assignments {
            token_id,
            start_after,
            limit,
        } => {
            let config = CONFIG.load(deps.storage)?;
            let start = start_after.map(Bound::exclusive);
            // Lapsed ones (not yet expired by anyone) are skipped before the page is cut, so a
            // short page always means the end.
            let limit = page_limit(limit);
            let mut assignments = Vec::with_capacity(limit);
            for item in
                OPEN_ASSIGNMENTS
                    .prefix(&token_id)
                    .keys(deps.storage, start, None, Order::Ascending)
            {
                if assignments.len() == limit {
                    break;
                }
                let challenge_id = item?;
                let c = load_challenge(deps.storage, challenge_id)?;
                let Some(assigned_at) = c.assigned_at else {
                    continue;
                };
                let answer_by = assigned_at.plus_seconds(config.settings.response_seconds);
                let key = load_verifier(deps.storage, &c.verifier)?.challenge_key;
                if let Some(challenge_key) = key
                    && env.block.time <= answer_by
                {
                    assignments.push(AssignmentInfo {
                        challenge_id,
                        verifier: c.verifier,
                        challenge_key,
                        assigned_at,
                        answer_by,
                    });
                }
            }
            to_json_binary(&AssignmentsResponse { assignments })?
        }
        QueryMsg::Beacon {} => {
            let config = CONFIG.load(deps.storage)?;
            to_json_binary(&BeaconResponse {
                current_round: current_round(&config, &env),
                latest_round: LATEST_ROUND.may_load(deps.storage)?,
            })?
        }
        QueryMsg::BeaconRound { round } => {
            let config = CONFIG.load(deps.storage)?;
            let beacon = ROUNDS
                .may_load(deps.storage, round)?
                .unwrap_or(BeaconRound {
                    value: [0u8; 32],
                    contributors: 0,
                });
            to_json_binary(&BeaconRoundResponse {
                round,
                value: hex(&beacon.value),
                contributors: beacon.contributors,
                is_final: round < current_round(&config, &env),
            })?
        }
    })
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn migrate(deps: DepsMut, _env: Env, _msg: MigrateMsg) -> Result<Response, ContractError> {
    let from = ensure_upgrade(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    Ok(Response::new()
        .add_attribute("action", "migrate")
        .add_attribute("from_version", from.to_string())
        .add_attribute("to_version", CONTRACT_VERSION))
}
