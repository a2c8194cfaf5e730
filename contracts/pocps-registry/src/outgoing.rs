//! Outgoing messages: fund-less executes on the token, the factory and the pools.

use cosmwasm_std::{Addr, CosmosMsg, StdResult, WasmMsg, to_json_binary};

pub(crate) fn execute_msg<M: serde::Serialize>(contract: &Addr, msg: &M) -> StdResult<CosmosMsg> {
    Ok(WasmMsg::Execute {
        contract_addr: contract.to_string(),
        msg: to_json_binary(msg)?,
        funds: vec![],
    }
    .into())
}
