//! Query handlers. Certificates are always reported with their status at the query's block time.

use cosmwasm_std::{
    Binary, Deps, Env, Order, StdError, StdResult, Storage, Timestamp, to_json_binary,
};
use cw_storage_plus::Bound;
use cw721::msg::{AllNftInfoResponse, ApprovalsResponse, NftInfoResponse, OwnerOfResponse};
use cw721::query as cw721_query;
use loopin::page_limit;
use loopin::stake_cert::{
    CertificateResponse, CertificateStatus, CertificatesResponse, IssuersResponse, QueryMsg,
    StakeCertificate,
};

use crate::active;
use crate::state::{DEVICE_CERTIFICATE, ISSUERS, POOL_CERTIFICATES, certificates, load};

/// The `query` entry point's dispatch: one `query_*` per message (cw721's own where the
/// certificate adds nothing).
pub fn dispatch(deps: Deps, env: Env, msg: QueryMsg) -> StdResult<Binary> {
    let now = env.block.time;
    match msg {
        QueryMsg::Certificate { token_id } => {
            to_json_binary(&query_certificate(deps.storage, token_id, now)?)
        }
        QueryMsg::CertificatesByOwner {
            owner,
            start_after,
            limit,
        } => to_json_binary(&query_by_owner(deps, owner, start_after, limit, now)?),
        QueryMsg::CertificatesByPool {
            pool,
            start_after,
            limit,
        } => to_json_binary(&query_by_pool(deps, pool, start_after, limit, now)?),
        QueryMsg::ActiveAt {
            time,
            pool,
            start_after,
            limit,
        } => {
            let time = time.unwrap_or(now);
            active::query_active_at(deps, time, pool, start_after, limit)
        }
        QueryMsg::DeviceCertificate { device_id } => {
            to_json_binary(&query_device_certificate(deps.storage, device_id, now)?)
        }
        QueryMsg::Issuers { start_after, limit } => {
            to_json_binary(&query_issuers(deps, start_after, limit)?)
        }
        QueryMsg::OwnerOf {
            token_id,
            include_expired,
        } => to_json_binary(&query_owner_of(deps, &env, token_id, include_expired)?),
        QueryMsg::Approvals {
            token_id,
            include_expired,
        } => to_json_binary(&query_approvals(deps, &env, token_id, include_expired)?),
        QueryMsg::NftInfo { token_id } => {
            to_json_binary(&query_nft_info(deps.storage, &token_id, now)?)
        }
        QueryMsg::AllNftInfo { token_id, .. } => {
            to_json_binary(&query_all_nft_info(deps.storage, &token_id, now)?)
        }
        QueryMsg::Tokens {
            owner,
            start_after,
            limit,
        } => to_json_binary(&cw721_query::query_tokens(
            deps,
            &env,
            owner,
            start_after,
            limit,
        )?),
        QueryMsg::AllTokens { start_after, limit } => to_json_binary(
            &cw721_query::query_all_tokens(deps, &env, start_after, limit)?,
        ),
        QueryMsg::NumTokens {} => to_json_binary(&cw721_query::query_num_tokens(deps.storage)?),
        QueryMsg::ContractInfo {} => {
            to_json_binary(&cw721_query::query_collection_info(deps.storage)?)
        }
        #[allow(deprecated)]
        QueryMsg::Minter {} => to_json_binary(&cw721_query::query_minter(deps.storage)?),
        QueryMsg::GetMinterOwnership {} => {
            to_json_binary(&cw721_query::query_minter_ownership(deps.storage)?)
        }
    }
}

/// `OwnerOf`: cw721's answer (expired approvals left out unless asked).
fn query_owner_of(
    deps: Deps,
    env: &Env,
    token_id: String,
    include_expired: Option<bool>,
) -> StdResult<OwnerOfResponse> {
    cw721_query::query_owner_of(deps, env, token_id, include_expired.unwrap_or(false))
}

/// `Approvals`: cw721's answer (expired approvals left out unless asked).
fn query_approvals(
    deps: Deps,
    env: &Env,
    token_id: String,
    include_expired: Option<bool>,
) -> StdResult<ApprovalsResponse> {
    cw721_query::query_approvals(deps, env, token_id, include_expired.unwrap_or(false))
}

/// `AllNftInfo`: the certificate's NFT info, owned by its miner, with no approvals (none can
/// be given).
fn query_all_nft_info(
    storage: &dyn Storage,
    token_id: &str,
    now: Timestamp,
) -> StdResult<AllNftInfoResponse<StakeCertificate>> {
    let info = query_nft_info(storage, token_id, now)?;
    Ok(AllNftInfoResponse {
        access: OwnerOfResponse {
            owner: info.extension.miner.to_string(),
            approvals: vec![],
        },
        info,
    })
}

fn query_certificate(
    storage: &dyn Storage,
    token_id: String,
    now: Timestamp,
) -> StdResult<CertificateResponse> {
    let certificate = load(storage, &token_id)?.at(now);
    Ok(CertificateResponse {
        token_id,
        certificate,
    })
}

fn query_nft_info(
    storage: &dyn Storage,
    token_id: &str,
    now: Timestamp,
) -> StdResult<NftInfoResponse<StakeCertificate>> {
    let nft = certificates()
        .nft_info
        .may_load(storage, token_id)?
        .ok_or_else(|| StdError::not_found(format!("certificate {token_id}")))?;
    Ok(NftInfoResponse {
        token_uri: nft.token_uri,
        extension: nft.extension.at(now),
    })
}

fn collect(
    storage: &dyn Storage,
    token_ids: impl Iterator<Item = StdResult<String>>,
    now: Timestamp,
) -> StdResult<CertificatesResponse> {
    let certificates = token_ids
        .map(|token_id| query_certificate(storage, token_id?, now))
        .collect::<StdResult<_>>()?;
    Ok(CertificatesResponse { certificates })
}

fn query_by_owner(
    deps: Deps,
    owner: String,
    start_after: Option<String>,
    limit: Option<u32>,
    now: Timestamp,
) -> StdResult<CertificatesResponse> {
    let owner = deps.api.addr_validate(&owner)?;
    let start = start_after.map(|id| Bound::ExclusiveRaw(id.into_bytes()));
    let store = certificates();
    let token_ids = store
        .nft_info
        .idx
        .owner
        .prefix(owner)
        .keys(deps.storage, start, None, Order::Ascending)
        .take(page_limit(limit));
    collect(deps.storage, token_ids, now)
}

fn query_by_pool(
    deps: Deps,
    pool: String,
    start_after: Option<String>,
    limit: Option<u32>,
    now: Timestamp,
) -> StdResult<CertificatesResponse> {
    let pool = deps.api.addr_validate(&pool)?;
    let start = start_after.as_deref().map(Bound::exclusive);
    let token_ids = POOL_CERTIFICATES
        .prefix(&pool)
        .keys(deps.storage, start, None, Order::Ascending)
        .take(page_limit(limit));
    collect(deps.storage, token_ids, now)
}

fn query_device_certificate(
    storage: &dyn Storage,
    device_id: String,
    now: Timestamp,
) -> StdResult<Option<CertificateResponse>> {
    let Some(token_id) = DEVICE_CERTIFICATE.may_load(storage, &device_id)? else {
        return Ok(None);
    };
    let response = query_certificate(storage, token_id, now)?;
    Ok((response.certificate.status == CertificateStatus::Active).then_some(response))
}

fn query_issuers(
    deps: Deps,
    start_after: Option<String>,
    limit: Option<u32>,
) -> StdResult<IssuersResponse> {
    let start = start_after
        .map(|issuer| deps.api.addr_validate(&issuer))
        .transpose()?;
    let issuers = ISSUERS
        .keys(
            deps.storage,
            start.as_ref().map(Bound::exclusive),
            None,
            Order::Ascending,
        )
        .take(page_limit(limit))
        .collect::<StdResult<_>>()?;
    Ok(IssuersResponse { issuers })
}
