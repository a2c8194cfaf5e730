//! Execute handlers.

use cosmwasm_std::{Addr, DepsMut, Empty, Env, MessageInfo, Response, Storage, Timestamp};
use cw_ownable::Action;
use cw721::state::{MINTER, NftInfo};
use loopin::stake_cert::{
    COMMITMENT_LEN, CertificateStatus, MAX_DEVICE_ID_LEN, MAX_REASON_LEN, MAX_TOKEN_ID_LEN,
    StakeCertificate, StakeTerms,
};

use crate::error::ContractError;
use crate::state::{
    DEVICE_CERTIFICATE, ISSUERS, POOL_CERTIFICATES, certificates, index_active, unindex_active,
};

/// Longest accepted token URI.
const MAX_TOKEN_URI_LEN: usize = 256;

/// Who is acting on certificates.
enum Role {
    /// The protocol's minter: any pool.
    Minter,
    /// A pool authorised by the minter: its own certificates only.
    Issuer(Addr),
}

fn role(storage: &dyn Storage, sender: &Addr) -> Result<Role, ContractError> {
    if MINTER.is_owner(storage, sender)? {
        Ok(Role::Minter)
    } else if ISSUERS.has(storage, sender) {
        Ok(Role::Issuer(sender.clone()))
    } else {
        Err(ContractError::Unauthorized {})
    }
}

fn authorize(role: &Role, pool: &Addr) -> Result<(), ContractError> {
    match role {
        Role::Issuer(issuer) if issuer != pool => Err(ContractError::ForeignPool {
            issuer: issuer.to_string(),
            pool: pool.to_string(),
        }),
        _ => Ok(()),
    }
}

/// Ids are short, printable and free of separators that could confuse an indexer.
fn is_valid_id(id: &str, max_len: usize) -> bool {
    !id.is_empty()
        && id.len() <= max_len
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'/' | b'-'))
}

/// Loads a certificate after checking that `sender` may act on it.
fn load_authorized(
    storage: &dyn Storage,
    sender: &Addr,
    token_id: &str,
) -> Result<NftInfo<StakeCertificate>, ContractError> {
    let role = role(storage, sender)?;
    let nft = certificates()
        .nft_info
        .may_load(storage, token_id)?
        .ok_or_else(|| ContractError::CertificateNotFound {
            token_id: token_id.to_string(),
        })?;
    authorize(&role, &nft.extension.pool)?;
    Ok(nft)
}

fn save(
    storage: &mut dyn Storage,
    token_id: &str,
    nft: &NftInfo<StakeCertificate>,
) -> Result<(), ContractError> {
    certificates().nft_info.save(storage, token_id, nft)?;
    Ok(())
}

fn ensure_active(
    token_id: &str,
    cert: &StakeCertificate,
    now: Timestamp,
) -> Result<(), ContractError> {
    match cert.status_at(now) {
        CertificateStatus::Active => Ok(()),
        status => Err(ContractError::NotActive {
            token_id: token_id.to_string(),
            status,
        }),
    }
}

fn validate_terms(
    deps: &DepsMut,
    env: &Env,
    owner: &str,
    terms: StakeTerms,
) -> Result<StakeCertificate, ContractError> {
    if !is_valid_id(&terms.device_id, MAX_DEVICE_ID_LEN) {
        return Err(ContractError::InvalidDeviceId {});
    }
    if terms.commitment.len() != COMMITMENT_LEN {
        return Err(ContractError::InvalidCommitment {
            len: terms.commitment.len(),
        });
    }
    if terms.rate.is_zero() {
        return Err(ContractError::ZeroRate {});
    }
    let now = env.block.time;
    if terms.start < now {
        return Err(ContractError::StartInPast {
            start: terms.start,
            now,
        });
    }
    if terms.expiry <= terms.start {
        return Err(ContractError::EmptyPeriod {
            start: terms.start,
            expiry: terms.expiry,
        });
    }
    Ok(StakeCertificate {
        pool: deps.api.addr_validate(&terms.pool)?,
        device_id: terms.device_id,
        miner: deps.api.addr_validate(owner)?,
        mode: terms.mode,
        start: terms.start,
        expiry: terms.expiry,
        rate: terms.rate,
        commitment: terms.commitment,
        status: CertificateStatus::Active,
    })
}

pub fn mint(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    token_id: String,
    owner: String,
    terms: StakeTerms,
    token_uri: Option<String>,
) -> Result<Response, ContractError> {
    let role = role(deps.storage, &info.sender)?;
    if !is_valid_id(&token_id, MAX_TOKEN_ID_LEN) {
        return Err(ContractError::InvalidTokenId {});
    }
    if token_uri
        .as_ref()
        .is_some_and(|uri| uri.len() > MAX_TOKEN_URI_LEN)
    {
        return Err(ContractError::InvalidTokenUri {});
    }
    let cert = validate_terms(&deps, &env, &owner, terms)?;
    authorize(&role, &cert.pool)?;

    let store = certificates();
    if store.nft_info.has(deps.storage, &token_id) {
        return Err(ContractError::TokenIdTaken { token_id });
    }
    if let Some(current) = DEVICE_CERTIFICATE.may_load(deps.storage, &cert.device_id)? {
        let still_valid = store
            .nft_info
            .may_load(deps.storage, &current)?
            .is_some_and(|nft| {
                nft.extension.status_at(env.block.time) == CertificateStatus::Active
            });
        if still_valid {
            return Err(ContractError::DeviceAlreadyStaked {
                device_id: cert.device_id,
                token_id: current,
            });
        }
    }

    let nft = NftInfo {
        owner: cert.miner.clone(),
        approvals: vec![],
        token_uri,
        extension: cert,
    };
    save(deps.storage, &token_id, &nft)?;
    store.increment_tokens(deps.storage)?;
    let cert = nft.extension;
    DEVICE_CERTIFICATE.save(deps.storage, &cert.device_id, &token_id)?;
    POOL_CERTIFICATES.save(deps.storage, (&cert.pool, &token_id), &Empty {})?;
    index_active(deps.storage, &token_id, &cert)?;

    Ok(Response::new()
        .add_attribute("action", "mint")
        .add_attribute("token_id", token_id)
        .add_attribute("owner", cert.miner)
        .add_attribute("pool", cert.pool)
        .add_attribute("device_id", cert.device_id)
        .add_attribute("mode", format!("{:?}", cert.mode))
        .add_attribute("start", cert.start.seconds().to_string())
        .add_attribute("expiry", cert.expiry.seconds().to_string())
        .add_attribute("rate", cert.rate.to_string()))
}

pub fn extend(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    token_id: String,
    expiry: Timestamp,
) -> Result<Response, ContractError> {
    let nft = load_authorized(deps.storage, &info.sender, &token_id)?;
    ensure_active(&token_id, &nft.extension, env.block.time)?;
    let current = nft.extension.expiry;
    if expiry <= current {
        return Err(ContractError::ExpiryNotLater { expiry, current });
    }
    set_expiry(deps.storage, "extend", token_id, nft, expiry)
}

/// Moves an active certificate's expiry (re-indexed) and answers with `action`.
fn set_expiry(
    storage: &mut dyn Storage,
    action: &str,
    token_id: String,
    mut nft: NftInfo<StakeCertificate>,
    expiry: Timestamp,
) -> Result<Response, ContractError> {
    unindex_active(storage, &token_id, &nft.extension);
    nft.extension.expiry = expiry;
    index_active(storage, &token_id, &nft.extension)?;
    save(storage, &token_id, &nft)?;
    Ok(Response::new()
        .add_attribute("action", action)
        .add_attribute("token_id", token_id)
        .add_attribute("expiry", expiry.seconds().to_string()))
}

pub fn curtail(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    token_id: String,
    expiry: Timestamp,
) -> Result<Response, ContractError> {
    let nft = load_authorized(deps.storage, &info.sender, &token_id)?;
    let now = env.block.time;
    ensure_active(&token_id, &nft.extension, now)?;
    let (current, start) = (nft.extension.expiry, nft.extension.start);
    if expiry >= current || expiry <= now || expiry <= start {
        return Err(ContractError::InvalidCurtail {
            expiry,
            current,
            now,
            start,
        });
    }
    set_expiry(deps.storage, "curtail", token_id, nft, expiry)
}

pub fn expire(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    token_id: String,
) -> Result<Response, ContractError> {
    let mut nft = load_authorized(deps.storage, &info.sender, &token_id)?;
    let now = env.block.time;
    ensure_active(&token_id, &nft.extension, now)?;
    unindex_active(deps.storage, &token_id, &nft.extension);
    let cert = &mut nft.extension;
    cert.status = CertificateStatus::Expired;
    cert.expiry = now;
    cert.start = cert.start.min(now);
    save(deps.storage, &token_id, &nft)?;
    Ok(Response::new()
        .add_attribute("action", "expire")
        .add_attribute("token_id", token_id)
        .add_attribute("expiry", now.seconds().to_string()))
}

pub fn invalidate(
    deps: DepsMut,
    _env: Env,
    info: MessageInfo,
    token_id: String,
    reason: String,
) -> Result<Response, ContractError> {
    if reason.is_empty() || reason.len() > MAX_REASON_LEN {
        return Err(ContractError::InvalidReason {});
    }
    let mut nft = load_authorized(deps.storage, &info.sender, &token_id)?;
    if nft.extension.status == CertificateStatus::Invalidated {
        return Err(ContractError::AlreadyInvalidated { token_id });
    }
    unindex_active(deps.storage, &token_id, &nft.extension);
    nft.extension.status = CertificateStatus::Invalidated;
    save(deps.storage, &token_id, &nft)?;
    Ok(Response::new()
        .add_attribute("action", "invalidate")
        .add_attribute("token_id", token_id)
        .add_attribute("pool", nft.extension.pool)
        .add_attribute("device_id", nft.extension.device_id)
        .add_attribute("reason", reason))
}

pub fn burn(deps: DepsMut, info: MessageInfo, token_id: String) -> Result<Response, ContractError> {
    // The owner, or anyone else outside the protocol, gets the burn-specific refusal.
    let nft = load_authorized(deps.storage, &info.sender, &token_id).map_err(|err| match err {
        ContractError::Unauthorized {} => ContractError::BurnRestricted {},
        other => other,
    })?;
    let cert = &nft.extension;
    let store = certificates();
    store.nft_info.remove(deps.storage, &token_id)?;
    store.decrement_tokens(deps.storage)?;
    unindex_active(deps.storage, &token_id, cert);
    POOL_CERTIFICATES.remove(deps.storage, (&cert.pool, &token_id));
    if DEVICE_CERTIFICATE
        .may_load(deps.storage, &cert.device_id)?
        .as_deref()
        == Some(&token_id)
    {
        DEVICE_CERTIFICATE.remove(deps.storage, &cert.device_id);
    }
    Ok(Response::new()
        .add_attribute("action", "burn")
        .add_attribute("token_id", token_id)
        .add_attribute("owner", nft.owner))
}

fn assert_minter(storage: &dyn Storage, sender: &Addr) -> Result<(), ContractError> {
    match role(storage, sender)? {
        Role::Minter => Ok(()),
        Role::Issuer(_) => Err(ContractError::Unauthorized {}),
    }
}

pub fn add_issuer(
    deps: DepsMut,
    info: MessageInfo,
    issuer: String,
) -> Result<Response, ContractError> {
    assert_minter(deps.storage, &info.sender)?;
    let addr = deps.api.addr_validate(&issuer)?;
    if ISSUERS.has(deps.storage, &addr) {
        return Err(ContractError::IssuerExists { issuer });
    }
    ISSUERS.save(deps.storage, &addr, &Empty {})?;
    Ok(Response::new()
        .add_attribute("action", "add_issuer")
        .add_attribute("issuer", addr))
}

pub fn remove_issuer(
    deps: DepsMut,
    info: MessageInfo,
    issuer: String,
) -> Result<Response, ContractError> {
    assert_minter(deps.storage, &info.sender)?;
    let addr = deps.api.addr_validate(&issuer)?;
    if !ISSUERS.has(deps.storage, &addr) {
        return Err(ContractError::IssuerNotFound { issuer });
    }
    ISSUERS.remove(deps.storage, &addr);
    Ok(Response::new()
        .add_attribute("action", "remove_issuer")
        .add_attribute("issuer", addr))
}

/// Issuers are pools the protocol created; they stay authorised across a minter handover.
pub fn update_minter_ownership(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    action: Action,
) -> Result<Response, ContractError> {
    let ownership = MINTER.update_ownership(deps, &env.block, &info.sender, action)?;
    Ok(Response::new()
        .add_attribute("action", "update_minter_ownership")
        .add_attributes(ownership.into_attributes()))
}
