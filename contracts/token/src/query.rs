//! The token's queries: cw20-base's own `query_*`, one per message, and the supply audit.

use cosmwasm_std::{Binary, Deps, Env, StdResult, to_json_binary};
use cw20_base::allowances::query_allowance;
use cw20_base::contract::{
    query_balance, query_download_logo, query_marketing_info, query_minter, query_token_info,
};
use cw20_base::enumerable::{query_all_accounts, query_owner_allowances, query_spender_allowances};
use loopin::token::{QueryMsg, SupplyAuditResponse};

use crate::state::SUPPLY_TOTALS;

/// The token's queries, each answer as JSON.
pub fn dispatch(deps: Deps, _env: Env, msg: QueryMsg) -> StdResult<Binary> {
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

/// The genesis supply, what was minted and burned since, and cw20-base's total supply.
fn query_supply_audit(deps: Deps) -> StdResult<SupplyAuditResponse> {
    let totals = SUPPLY_TOTALS.load(deps.storage)?;
    Ok(SupplyAuditResponse {
        initial_supply: totals.initial_supply,
        minted: totals.minted,
        burned: totals.burned,
        total_supply: query_token_info(deps)?.total_supply,
    })
}
