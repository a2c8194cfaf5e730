//! Astroport's factory (astroport-factory 1.7.0) with its own entry points, unchanged: it
//! instantiates the xyk pair of the SDK-gas comparison (tests/chains/examples/flow_gas.rs) and
//! answers the pair's fee queries.

use astroport::factory::{ExecuteMsg, InstantiateMsg, QueryMsg};
use astroport_factory::error::ContractError;
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
    astroport_factory::contract::instantiate(deps, env, info, msg)
}

/// The pair's instantiation (CreatePair).
#[entry_point]
pub fn reply(deps: DepsMut, env: Env, msg: Reply) -> Result<Response, ContractError> {
    astroport_factory::contract::reply(deps, env, msg)
}

#[entry_point]
pub fn execute(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> Result<Response, ContractError> {
    astroport_factory::contract::execute(deps, env, info, msg)
}

#[entry_point]
pub fn query(deps: Deps, env: Env, msg: QueryMsg) -> StdResult<Binary> {
    astroport_factory::contract::query(deps, env, msg)
}
