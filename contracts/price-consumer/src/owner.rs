//! The owner's changes: the connections and counterparty ports the consumer accepts channels
//! from, the maximum age of a price it serves, and the ownership.

use cosmwasm_std::{DepsMut, Env, MessageInfo, Response};

use crate::error::ContractError;
use crate::state::{ALLOWED_CONNECTIONS, ALLOWED_PORTS, MAX_AGE};

/// A maximum age, refused when zero.
pub(crate) fn validated_max_age(max_age_seconds: u64) -> Result<u64, ContractError> {
    if max_age_seconds == 0 {
        return Err(ContractError::ZeroMaxAge {});
    }
    Ok(max_age_seconds)
}

/// The consumer is pinned to its feed: both lists are given and non-empty. `None` (also a
/// message without the field) and an empty list are refused alike; opening the consumer to any
/// connection or port is the owner's deliberate `SetAllowed...` with `None` afterwards.
pub(crate) fn ensure_pinned(
    connections: &Option<Vec<String>>,
    ports: &Option<Vec<String>>,
) -> Result<(), ContractError> {
    let unset = |list: &Option<Vec<String>>| list.as_ref().is_none_or(Vec::is_empty);
    let missing = match (unset(connections), unset(ports)) {
        (false, false) => return Ok(()),
        (true, false) => "allowed_connections",
        (false, true) => "allowed_counterparty_ports",
        (true, true) => "allowed_connections and allowed_counterparty_ports",
    };
    Err(ContractError::Unpinned { missing })
}

/// An allowed list as an attribute: the list, or "any".
pub(crate) fn allowed_attribute(connections: &Option<Vec<String>>) -> String {
    connections
        .as_ref()
        .map_or_else(|| "any".to_string(), |list| list.join(","))
}

/// Sets the connections channels may come over (`None`: any).
pub(crate) fn set_allowed_connections(
    deps: DepsMut,
    connections: Option<Vec<String>>,
) -> Result<Response, ContractError> {
    ALLOWED_CONNECTIONS.save(deps.storage, &connections)?;
    Ok(Response::new()
        .add_attribute("action", "set_allowed_connections")
        .add_attribute("allowed_connections", allowed_attribute(&connections)))
}

/// Sets the counterparty ports channels may come from (`None`: any).
pub(crate) fn set_allowed_counterparty_ports(
    deps: DepsMut,
    ports: Option<Vec<String>>,
) -> Result<Response, ContractError> {
    ALLOWED_PORTS.save(deps.storage, &ports)?;
    Ok(Response::new()
        .add_attribute("action", "set_allowed_counterparty_ports")
        .add_attribute("allowed_counterparty_ports", allowed_attribute(&ports)))
}

/// Sets the oldest age `Price` and `ClassPrice` serve.
pub(crate) fn set_max_age(deps: DepsMut, max_age_seconds: u64) -> Result<Response, ContractError> {
    MAX_AGE.save(deps.storage, &validated_max_age(max_age_seconds)?)?;
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
