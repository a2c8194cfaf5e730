//! Entry points.

#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{Binary, Deps, DepsMut, Empty, Env, MessageInfo, Response, StdResult};
use cw721::msg::Cw721InstantiateMsg;
use cw721::{EmptyOptionalCollectionExtension, EmptyOptionalCollectionExtensionMsg};
use loopin::migrate::ensure_upgrade;
use loopin::stake_cert::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg};

use crate::error::ContractError;
use crate::{execute, query, state};

/// cw2 name of this contract.
pub const CONTRACT_NAME: &str = "crates.io:loopin-stake-cert";
/// cw2 version of this contract.
pub const CONTRACT_VERSION: &str = env!("CARGO_PKG_VERSION");

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response, ContractError> {
    cw_utils::nonpayable(&info)?;
    let base = Cw721InstantiateMsg::<EmptyOptionalCollectionExtensionMsg> {
        name: msg.name,
        symbol: msg.symbol,
        collection_info_extension: None,
        minter: Some(msg.minter.clone()),
        creator: Some(msg.minter),
        withdraw_address: None,
    };
    let mut deps = deps;
    let response = cw721::execute::instantiate::<EmptyOptionalCollectionExtension, _, Empty>(
        deps.branch(),
        &env,
        &info,
        base,
    )?;
    cw2::set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    Ok(response)
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
        ExecuteMsg::Mint {
            token_id,
            owner,
            terms,
            token_uri,
        } => execute::mint(deps, env, info, token_id, owner, terms, token_uri),
        ExecuteMsg::Extend { token_id, expiry } => {
            execute::extend(deps, env, info, token_id, expiry)
        }
        ExecuteMsg::Curtail { token_id, expiry } => {
            execute::curtail(deps, env, info, token_id, expiry)
        }
        ExecuteMsg::Expire { token_id } => execute::expire(deps, env, info, token_id),
        ExecuteMsg::Invalidate { token_id, reason } => {
            execute::invalidate(deps, env, info, token_id, reason)
        }
        ExecuteMsg::Burn { token_id } => execute::burn(deps, info, token_id),
        ExecuteMsg::AddIssuer { issuer } => execute::add_issuer(deps, info, issuer),
        ExecuteMsg::RemoveIssuer { issuer } => execute::remove_issuer(deps, info, issuer),
        ExecuteMsg::UpdateMinterOwnership(action) => {
            execute::update_minter_ownership(deps, env, info, action)
        }
        ExecuteMsg::TransferNft { .. } | ExecuteMsg::SendNft { .. } => {
            Err(ContractError::NonTransferable {})
        }
        ExecuteMsg::Approve { .. }
        | ExecuteMsg::Revoke { .. }
        | ExecuteMsg::ApproveAll { .. }
        | ExecuteMsg::RevokeAll { .. } => Err(ContractError::ApprovalsDisabled {}),
    }
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps, env: Env, msg: QueryMsg) -> StdResult<Binary> {
    query::dispatch(deps, env, msg)
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn migrate(deps: DepsMut, _env: Env, _msg: MigrateMsg) -> Result<Response, ContractError> {
    let from = ensure_upgrade(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    let reindexed = state::reindex_active(deps.storage)?;
    Ok(Response::new()
        .add_attribute("action", "migrate")
        .add_attribute("from_version", from.to_string())
        .add_attribute("to_version", CONTRACT_VERSION)
        .add_attribute("reindexed", reindexed.to_string()))
}
