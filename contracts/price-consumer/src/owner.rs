//! The owner's changes: the connections and counterparty ports the consumer accepts channels
//! from, the maximum age of a price it serves, and the ownership.

use cosmwasm_std::{DepsMut, Env, MessageInfo, Response};

use loopin::price_feed::settings::{self, AllowList};

use crate::error::ContractError;
use crate::state::{ALLOWED_CONNECTIONS, ALLOWED_PORTS, MAX_AGE};

/// Sets the connections channels may come over (`None`: any).
pub(crate) fn set_allowed_connections(
    deps: DepsMut,
    connections: Option<Vec<String>>,
) -> Result<Response, ContractError> {
    ALLOWED_CONNECTIONS.save(deps.storage, &connections)?;
    Ok(AllowList::Connections.replaced(connections.as_deref()))
}

/// Sets the counterparty ports channels may come from (`None`: any).
pub(crate) fn set_allowed_counterparty_ports(
    deps: DepsMut,
    ports: Option<Vec<String>>,
) -> Result<Response, ContractError> {
    ALLOWED_PORTS.save(deps.storage, &ports)?;
    Ok(AllowList::CounterpartyPorts.replaced(ports.as_deref()))
}

/// Sets the oldest age `Price` and `ClassPrice` serve.
pub(crate) fn set_max_age(deps: DepsMut, max_age_seconds: u64) -> Result<Response, ContractError> {
    MAX_AGE.save(deps.storage, &settings::max_age(max_age_seconds)?)?;
    Ok(Response::new()
        .add_attribute("action", "set_max_age")
        .add_attribute("max_age_seconds", max_age_seconds.to_string()))
}

/// cw-ownable's two-step transfer (or renouncement) of the consumer's ownership.
pub(crate) fn update_ownership(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    action: cw_ownable::Action,
) -> Result<Response, ContractError> {
    let ownership = cw_ownable::update_ownership(deps, &env.block, &info.sender, action)?;
    Ok(Response::new().add_attributes(ownership.into_attributes()))
}
