//! Verifier bonds: bonding through the token's `Receive`, unbonding, withdrawal after the
//! unbonding period, and the slash that burns a refuted verifier's bond.

use cosmwasm_std::{
    Addr, CosmosMsg, DepsMut, Env, MessageInfo, Response, Storage, Uint128, from_json,
};
use cw20::Cw20ReceiveMsg;
use loopin::registry::ReceiveMsg;
use loopin::token;

use crate::error::ContractError;
use crate::outgoing::execute_msg;
use crate::state::{CONFIG, Config, VERIFIERS, Verifier};

pub(crate) fn receive(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: Cw20ReceiveMsg,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    if info.sender != config.token {
        return Err(ContractError::NotToken {});
    }
    if msg.amount.is_zero() {
        return Err(ContractError::ZeroAmount {});
    }
    let sender = deps.api.addr_validate(&msg.sender)?;
    match from_json::<ReceiveMsg>(&msg.msg)? {
        ReceiveMsg::Bond {} => {
            let mut verifier = VERIFIERS
                .may_load(deps.storage, &sender)?
                .unwrap_or_else(|| Verifier {
                    release_at: env.block.time,
                    ..Verifier::default()
                });
            if verifier.slashed {
                return Err(ContractError::VerifierSlashed {});
            }
            verifier.bonded = verifier
                .bonded
                .checked_add(msg.amount)
                .map_err(cosmwasm_std::StdError::from)?;
            // A verifier enters with at least the least bond: no dust entries for every
            // appeal's draw to read.
            if verifier.bonded < config.settings.min_bond {
                return Err(ContractError::InsufficientBond {
                    bonded: verifier.bonded,
                    min: config.settings.min_bond,
                });
            }
            verifier.raised_at = Some(env.block.time);
            VERIFIERS.save(deps.storage, &sender, &verifier)?;
            Ok(Response::new()
                .add_attribute("action", "bond")
                .add_attribute("verifier", sender)
                .add_attribute("amount", msg.amount)
                .add_attribute("bonded", verifier.bonded))
        }
    }
}

pub(crate) fn load_verifier(
    storage: &dyn Storage,
    address: &Addr,
) -> Result<Verifier, ContractError> {
    VERIFIERS
        .may_load(storage, address)?
        .ok_or_else(|| ContractError::NotVerifier {
            address: address.to_string(),
        })
}

/// A verifier with at least the minimum bond, not slashed.
pub(crate) fn bonded_verifier(
    storage: &dyn Storage,
    config: &Config,
    address: &Addr,
) -> Result<Verifier, ContractError> {
    let verifier = load_verifier(storage, address)?;
    if verifier.slashed {
        return Err(ContractError::VerifierSlashed {});
    }
    if verifier.bonded < config.settings.min_bond {
        return Err(ContractError::InsufficientBond {
            bonded: verifier.bonded,
            min: config.settings.min_bond,
        });
    }
    Ok(verifier)
}

pub(crate) fn unbond(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    amount: Uint128,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let mut verifier = load_verifier(deps.storage, &info.sender)?;
    if verifier.slashed {
        return Err(ContractError::VerifierSlashed {});
    }
    if amount.is_zero() {
        return Err(ContractError::ZeroAmount {});
    }
    if amount > verifier.bonded {
        return Err(ContractError::UnbondTooLarge {
            requested: amount,
            bonded: verifier.bonded,
        });
    }
    verifier.bonded -= amount;
    verifier.unbonding = verifier
        .unbonding
        .checked_add(amount)
        .map_err(cosmwasm_std::StdError::from)?;
    verifier.release_at = env
        .block
        .time
        .plus_seconds(config.settings.unbonding_seconds);
    VERIFIERS.save(deps.storage, &info.sender, &verifier)?;
    Ok(Response::new()
        .add_attribute("action", "unbond")
        .add_attribute("verifier", &info.sender)
        .add_attribute("amount", amount)
        .add_attribute("release_at", verifier.release_at.seconds().to_string()))
}

pub(crate) fn withdraw(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let mut verifier = load_verifier(deps.storage, &info.sender)?;
    if verifier.open_challenges > 0 {
        return Err(ContractError::ChallengesOpen {
            open: verifier.open_challenges,
        });
    }
    if let Some(until) = verifier.liable_until
        && env.block.time <= until
    {
        return Err(ContractError::StillLiable {
            until: until.seconds(),
        });
    }
    if verifier.unbonding.is_zero() || env.block.time < verifier.release_at {
        return Err(ContractError::NothingToWithdraw {
            release_at: verifier.release_at.seconds(),
        });
    }
    let amount = verifier.unbonding;
    verifier.unbonding = Uint128::zero();
    VERIFIERS.save(deps.storage, &info.sender, &verifier)?;
    Ok(Response::new()
        .add_attribute("action", "withdraw_unbonded")
        .add_attribute("verifier", &info.sender)
        .add_attribute("amount", amount)
        .add_message(execute_msg(
            &config.token,
            &token::ExecuteMsg::Transfer {
                recipient: info.sender.to_string(),
                amount,
            },
        )?))
}

/// Takes `bps` basis points of a verifier's bond (bonded first, then unbonding) out of its
/// bond; the amount taken.
fn take_bond(
    storage: &mut dyn Storage,
    address: &Addr,
    bps: u16,
) -> Result<Uint128, ContractError> {
    let mut verifier = load_verifier(storage, address)?;
    let total = verifier
        .bonded
        .checked_add(verifier.unbonding)
        .map_err(cosmwasm_std::StdError::from)?;
    let amount = total.multiply_ratio(u128::from(bps), 10_000u128);
    let from_bonded = amount.min(verifier.bonded);
    verifier.bonded -= from_bonded;
    verifier.unbonding = verifier.unbonding.saturating_sub(amount - from_bonded);
    VERIFIERS.save(storage, address, &verifier)?;
    Ok(amount)
}

/// The token message moving `amount` out of the registry's bonds, if any.
fn bond_msg(
    config: &Config,
    amount: Uint128,
    msg: impl FnOnce(Uint128) -> token::ExecuteMsg,
) -> Result<Option<CosmosMsg>, ContractError> {
    if amount.is_zero() {
        return Ok(None);
    }
    Ok(Some(execute_msg(&config.token, &msg(amount))?))
}

/// Burns `bps` basis points of a verifier's bond (bonded first, then unbonding); the amount
/// and the burn message, if any.
pub(crate) fn penalize(
    storage: &mut dyn Storage,
    config: &Config,
    address: &Addr,
    bps: u16,
) -> Result<(Uint128, Option<CosmosMsg>), ContractError> {
    let amount = take_bond(storage, address, bps)?;
    let msg = bond_msg(config, amount, |amount| token::ExecuteMsg::Burn { amount })?;
    Ok((amount, msg))
}

/// Pays `bps` basis points of a verifier's bond to `recipient`; the amount and the transfer,
/// if any.
pub(crate) fn pay_from_bond(
    storage: &mut dyn Storage,
    config: &Config,
    address: &Addr,
    bps: u16,
    recipient: &Addr,
) -> Result<(Uint128, Option<CosmosMsg>), ContractError> {
    let amount = take_bond(storage, address, bps)?;
    let msg = bond_msg(config, amount, |amount| token::ExecuteMsg::Transfer {
        recipient: recipient.to_string(),
        amount,
    })?;
    Ok((amount, msg))
}

/// Burns everything a verifier has bonded or unbonding and marks it slashed.
pub(crate) fn slash(
    storage: &mut dyn Storage,
    config: &Config,
    address: &Addr,
) -> Result<(Uint128, Option<CosmosMsg>), ContractError> {
    let mut verifier = load_verifier(storage, address)?;
    let amount = verifier
        .bonded
        .checked_add(verifier.unbonding)
        .map_err(cosmwasm_std::StdError::from)?;
    verifier.bonded = Uint128::zero();
    verifier.unbonding = Uint128::zero();
    verifier.slashed = true;
    VERIFIERS.save(storage, address, &verifier)?;
    let msg = bond_msg(config, amount, |amount| token::ExecuteMsg::Burn { amount })?;
    Ok((amount, msg))
}
