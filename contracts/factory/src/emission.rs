//! The emission: rewards the factory mints on request of registered pools and the PoCPS
//! registry, at most `cap_per_epoch` per emission epoch.

use cosmwasm_std::{
    Deps, DepsMut, Env, MessageInfo, Response, StdError, StdResult, Uint128, WasmMsg,
    to_json_binary,
};
use loopin::token;

use crate::error::ContractError;
use crate::state::{CONFIG, Config, EMISSION, Emission, POOL_CLASSES};
use crate::wiring::wired;

/// The emission epoch of the block: emission epochs count from the factory's genesis.
fn emission_epoch(config: &Config, env: &Env) -> u64 {
    env.block.time.seconds().saturating_sub(config.genesis) / config.emission.epoch_seconds
}

/// The emission record as of the current epoch (a new epoch starts from zero).
pub(crate) fn current_emission(deps: Deps, env: &Env, config: &Config) -> StdResult<Emission> {
    let mut emission = EMISSION.load(deps.storage)?;
    let epoch = emission_epoch(config, env);
    if emission.epoch != epoch {
        emission.epoch = epoch;
        emission.minted_this_epoch = Uint128::zero();
    }
    Ok(emission)
}

/// Mints `amount` of LOOP to `recipient` on request of a registered pool or the registry, within
/// the emission cap of the current emission epoch.
pub(crate) fn mint_rewards(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    recipient: String,
    amount: Uint128,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let is_registry = config.registry.as_ref() == Some(&info.sender);
    if !is_registry && !POOL_CLASSES.has(deps.storage, &info.sender) {
        return Err(ContractError::NotRewarder {});
    }
    if amount.is_zero() {
        return Err(ContractError::ZeroAmount {});
    }
    let recipient = deps.api.addr_validate(&recipient)?;
    let mut emission = current_emission(deps.as_ref(), &env, &config)?;
    let remaining = config
        .emission
        .cap_per_epoch
        .saturating_sub(emission.minted_this_epoch);
    if amount > remaining {
        return Err(ContractError::EmissionCapExceeded {
            requested: amount,
            remaining,
        });
    }
    emission.minted_this_epoch += amount;
    emission.total_minted = emission
        .total_minted
        .checked_add(amount)
        .map_err(StdError::from)?;
    EMISSION.save(deps.storage, &emission)?;
    let (token, _) = wired(&config)?;
    Ok(Response::new()
        .add_attribute("action", "mint_rewards")
        .add_attribute("requester", info.sender)
        .add_attribute("recipient", &recipient)
        .add_attribute("amount", amount)
        .add_attribute("epoch", emission.epoch.to_string())
        .add_message(WasmMsg::Execute {
            contract_addr: token.to_string(),
            msg: to_json_binary(&token::ExecuteMsg::Mint {
                recipient: recipient.into_string(),
                amount,
            })?,
            funds: vec![],
        }))
}
