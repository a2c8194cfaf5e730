#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{
    Binary, Deps, DepsMut, Env, MessageInfo, Response, StdResult, Uint128, to_json_binary,
};
use cw20_base::allowances::query_allowance;
use cw20_base::contract::{
    query_balance, query_download_logo, query_marketing_info, query_minter, query_token_info,
};
use cw20_base::enumerable::{query_all_accounts, query_owner_allowances, query_spender_allowances};
use loopin::migrate::ensure_upgrade;
use loopin::token::{ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg, SupplyAuditResponse};

use crate::error::ContractError;
use crate::state::{SUPPLY_TOTALS, SupplyTotals};

/// cw2 name of this contract.
pub const CONTRACT_NAME: &str = "crates.io:loopin-token";
/// cw2 version of this contract.
pub const CONTRACT_VERSION: &str = env!("CARGO_PKG_VERSION");

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(
    mut deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response, ContractError> {
    cw_utils::nonpayable(&info)?;
    let base = cw20_base::msg::InstantiateMsg {
        name: msg.name,
        symbol: msg.symbol,
        decimals: msg.decimals,
        initial_balances: msg.initial_balances,
        mint: Some(msg.minter),
        marketing: msg.marketing,
    };
    let response = cw20_base::contract::instantiate(deps.branch(), env, info, base)?;
    let initial_supply = query_token_info(deps.as_ref())?.total_supply;
    SUPPLY_TOTALS.save(
        deps.storage,
        &SupplyTotals {
            initial_supply,
            ..SupplyTotals::default()
        },
    )?;
    // cw20-base records its own cw2 name: ours is written last.
    cw2::set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    Ok(response.add_attribute("initial_supply", initial_supply))
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn execute(
    mut deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> Result<Response, ContractError> {
    cw_utils::nonpayable(&info)?;
    let supply_change = match &msg {
        ExecuteMsg::Mint { amount, .. } => Some((*amount, Uint128::zero())),
        ExecuteMsg::Burn { amount } | ExecuteMsg::BurnFrom { amount, .. } => {
            Some((Uint128::zero(), *amount))
        }
        _ => None,
    };
    let response = cw20_base::contract::execute(deps.branch(), env, info, msg)?;
    if let Some((minted, burned)) = supply_change {
        let mut totals = SUPPLY_TOTALS.load(deps.storage)?;
        totals.minted = totals.minted.checked_add(minted)?;
        totals.burned = totals.burned.checked_add(burned)?;
        SUPPLY_TOTALS.save(deps.storage, &totals)?;
    }
    Ok(response)
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps, _env: Env, msg: QueryMsg) -> StdResult<Binary> {
    match msg {
        QueryMsg::Balance { address } => to_json_binary(&query_balance(deps, address)?),
        QueryMsg::TokenInfo {} => to_json_binary(&query_token_info(deps)?),
        QueryMsg::Minter {} => to_json_binary(&query_minter(deps)?),
        QueryMsg::Allowance { owner, spender } => {
            to_json_binary(&query_allowance(deps, owner, spender)?)
        }
        QueryMsg::AllAllowances {
            owner,
            start_after,
            limit,
        } => to_json_binary(&query_owner_allowances(deps, owner, start_after, limit)?),
        QueryMsg::AllSpenderAllowances {
            spender,
            start_after,
            limit,
        } => to_json_binary(&query_spender_allowances(
            deps,
            spender,
            start_after,
            limit,
        )?),
        QueryMsg::AllAccounts { start_after, limit } => {
            to_json_binary(&query_all_accounts(deps, start_after, limit)?)
        }
        QueryMsg::MarketingInfo {} => to_json_binary(&query_marketing_info(deps)?),
        QueryMsg::DownloadLogo {} => to_json_binary(&query_download_logo(deps)?),
        QueryMsg::SupplyAudit {} => to_json_binary(&query_supply_audit(deps)?),
    }
}

fn query_supply_audit(deps: Deps) -> StdResult<SupplyAuditResponse> {
    let totals = SUPPLY_TOTALS.load(deps.storage)?;
    Ok(SupplyAuditResponse {
        initial_supply: totals.initial_supply,
        minted: totals.minted,
        burned: totals.burned,
        total_supply: query_token_info(deps)?.total_supply,
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
