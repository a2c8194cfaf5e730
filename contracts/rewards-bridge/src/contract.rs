//! Entry points of the bridge other than IBC's (`ibc.rs`): cw20-ics20's, with native coins
//! refused.

#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{Binary, Deps, DepsMut, Env, MessageInfo, Reply, Response, StdResult};
use cw20_ics20::contract as ics20;
use cw20_ics20::state::CONFIG;

use crate::error::ContractError;
use crate::msg::{
    ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg, ics20_execute, ics20_instantiate,
    ics20_migrate, ics20_query,
};

/// cw20-ics20's instantiation: default timeout, governance (who may allow more tokens) and the
/// allowlist of cw20 tokens (LOOP).
#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response, ContractError> {
    cw_utils::nonpayable(&info)?;
    Ok(ics20::instantiate(deps, env, info, ics20_instantiate(msg))?)
}

/// cw20-ics20's messages: `Receive` (a cw20 `Send` carrying a `TransferMsg`), `Allow` and
/// `UpdateAdmin` (governance); its native `Transfer` is refused.
#[cfg_attr(not(feature = "library"), entry_point)]
pub fn execute(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> Result<Response, ContractError> {
    cw_utils::nonpayable(&info)?;
    if let ExecuteMsg::Transfer(_) = msg {
        return Err(ContractError::NativeTransfer {});
    }
    Ok(ics20::execute(deps, env, info, ics20_execute(msg))?)
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps, env: Env, msg: QueryMsg) -> StdResult<Binary> {
    ics20::query(deps, env, ics20_query(msg))
}

/// cw20-ics20's migration: same contract (`crates.io:cw20-ics20`), never a downgrade. Its
/// `default_gas_limit` may only keep the stored value: setting one lets every cw20 token in
/// (cw20-ics20 refuses tokens off the allowlist only while it is unset), which is governance's
/// decision, token by token (`Allow`), not the code admin's.
#[cfg_attr(not(feature = "library"), entry_point)]
pub fn migrate(deps: DepsMut, env: Env, msg: MigrateMsg) -> Result<Response, ContractError> {
    if let Some(limit) = msg.default_gas_limit {
        let stored = CONFIG
            .load(deps.storage)
            .map_err(cw20_ics20::ContractError::from)?
            .default_gas_limit;
        if stored != Some(limit) {
            return Err(ContractError::MigrationWidensAllowlist {
                default_gas_limit: limit,
            });
        }
    }
    Ok(ics20::migrate(deps, env, ics20_migrate(msg))?)
}

/// cw20-ics20's replies: a refund or release that failed becomes an error acknowledgement.
#[cfg_attr(not(feature = "library"), entry_point)]
pub fn reply(deps: DepsMut, env: Env, reply: Reply) -> Result<Response, ContractError> {
    Ok(cw20_ics20::ibc::reply(deps, env, reply)?)
}
