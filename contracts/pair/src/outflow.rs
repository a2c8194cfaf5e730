//! LOOP leaving the pair: burns, transfers, certificate and reward requests.

use cosmwasm_std::{Addr, CosmosMsg, Decimal, StdResult, Uint128, WasmMsg, to_json_binary};
use loopin::{factory, token};
use loopin_pool_math::HOUR;

/// A cw20 burn of the pair's own LOOP, or nothing for zero.
pub fn burn(token: &Addr, amount: Uint128) -> StdResult<Option<CosmosMsg>> {
    if amount.is_zero() {
        return Ok(None);
    }
    execute(token, &token::ExecuteMsg::Burn { amount }).map(Some)
}

/// A cw20 transfer from the pair, or nothing for zero.
pub fn transfer(token: &Addr, recipient: &Addr, amount: Uint128) -> StdResult<Option<CosmosMsg>> {
    if amount.is_zero() {
        return Ok(None);
    }
    let msg = token::ExecuteMsg::Transfer {
        recipient: recipient.to_string(),
        amount,
    };
    execute(token, &msg).map(Some)
}

/// Asks the factory to mint rewards, or nothing for zero.
pub fn reward(factory: &Addr, recipient: &Addr, amount: Uint128) -> StdResult<Option<CosmosMsg>> {
    if amount.is_zero() {
        return Ok(None);
    }
    let msg = factory::ExecuteMsg::MintRewards {
        recipient: recipient.to_string(),
        amount,
    };
    execute(factory, &msg).map(Some)
}

/// A contract call with no funds.
pub fn execute<M: serde::Serialize>(contract: &Addr, msg: &M) -> StdResult<CosmosMsg> {
    Ok(WasmMsg::Execute {
        contract_addr: contract.to_string(),
        msg: to_json_binary(msg)?,
        funds: vec![],
    }
    .into())
}

/// `per_hour` LOOP per device-hour over `epochs` epochs of `hours_per_epoch` micro-hours,
/// rounded down (what the pool pays) or up (what it charges).
pub fn per_device_hour(
    per_hour: Decimal,
    hours_per_epoch: Uint128,
    epochs: u64,
    round_up: bool,
) -> StdResult<Uint128> {
    let micro_hours = hours_per_epoch.checked_mul(Uint128::from(epochs))?;
    let micro = Decimal::checked_from_ratio(micro_hours, HOUR)
        .map_err(|e| cosmwasm_std::StdError::generic_err(e.to_string()))?;
    let value = per_hour
        .checked_mul(micro)
        .map_err(|e| cosmwasm_std::StdError::generic_err(e.to_string()))?;
    Ok(if round_up {
        value.to_uint_ceil()
    } else {
        value.to_uint_floor()
    })
}
