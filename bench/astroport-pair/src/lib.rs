//! Astroport's xyk pair (astroport-pair 1.5.1) with its own entry points, unchanged, so the
//! SDK-gas comparison on wasmd (tests/chains/examples/flow_gas.rs) can price LooPIN's flows
//! against a swap and a provision of liquidity of a widely deployed AMM.

use astroport::pair::{ExecuteMsg, InstantiateMsg, QueryMsg};
use astroport_pair::error::ContractError;
use cosmwasm_std::{
    Binary, Deps, DepsMut, Env, MessageInfo, Reply, Response, StdResult, entry_point,
};

#[entry_point]
pub fn instantiate(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response, ContractError> {
    astroport_pair::contract::instantiate(deps, env, info, msg)
}

/// The LP token's instantiation (a cw20 of the factory's `token_code_id`).
#[entry_point]
pub fn reply(deps: DepsMut, env: Env, msg: Reply) -> Result<Response, ContractError> {
    astroport_pair::contract::reply(deps, env, msg)
}

#[entry_point]
pub fn execute(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> Result<Response, ContractError> {
    astroport_pair::contract::execute(deps, env, info, msg)
}

#[entry_point]
pub fn query(deps: Deps, env: Env, msg: QueryMsg) -> StdResult<Binary> {
    astroport_pair::contract::query(deps, env, msg)
}
