//! Pools: anyone creates the pool of a resource class whose parameters governance has set; the
//! factory instantiates the pair with those parameters (never the caller's), records it, and
//! authorises it as a stake-certificate issuer.

use cosmwasm_std::{Addr, DepsMut, Env, Response, SubMsg, WasmMsg, to_json_binary};
use loopin::pool::PairInstantiateMsg;
use loopin::stake_cert;

use crate::error::ContractError;
use crate::governance::ensure_class;
use crate::state::{CLASS_PARAMS, CONFIG, GOVERNANCE, PENDING_CLASS, POOL_CLASSES, POOLS};
use crate::wiring::wired;

/// The reply to a pair's instantiation.
pub(crate) const REPLY_PAIR: u64 = 3;

/// Creates the pool of a class whose parameters governance has set, with those parameters:
/// instantiates its pair, which replies (`REPLY_PAIR`) with its address.
pub(crate) fn create_pool(
    deps: DepsMut,
    env: Env,
    class: String,
) -> Result<Response, ContractError> {
    ensure_class(&class)?;
    let params = CLASS_PARAMS
        .may_load(deps.storage, &class)?
        .ok_or_else(|| ContractError::UnknownClass {
            class: class.clone(),
        })?;
    if POOLS.has(deps.storage, &class) {
        return Err(ContractError::PoolExists { class });
    }
    let config = CONFIG.load(deps.storage)?;
    let (token, stake_cert) = wired(&config)?;
    let admin = GOVERNANCE.load(deps.storage)?.admin.map(String::from);
    PENDING_CLASS.save(deps.storage, &class)?;
    let msg = PairInstantiateMsg {
        class: class.clone(),
        factory: env.contract.address.to_string(),
        token: token.to_string(),
        stake_cert: stake_cert.to_string(),
        params,
    };
    Ok(Response::new()
        .add_attribute("action", "create_pool")
        .add_attribute("class", &class)
        .add_submessage(SubMsg::reply_on_success(
            WasmMsg::Instantiate {
                admin,
                code_id: config.pair_code_id,
                msg: to_json_binary(&msg)?,
                funds: vec![],
                label: format!("LooPIN pool {class}"),
            },
            REPLY_PAIR,
        )))
}

/// Records the pair a `CreatePool` instantiated (reply `REPLY_PAIR`) as its class's pool and
/// authorises it as a stake-certificate issuer.
pub(crate) fn pool_created(deps: DepsMut, address: Addr) -> Result<Response, ContractError> {
    let class = PENDING_CLASS.load(deps.storage)?;
    PENDING_CLASS.remove(deps.storage);
    POOLS.save(deps.storage, &class, &address)?;
    POOL_CLASSES.save(deps.storage, &address, &class)?;
    let config = CONFIG.load(deps.storage)?;
    let (_, stake_cert) = wired(&config)?;
    Ok(Response::new()
        .add_attribute("pair", &address)
        .add_attribute("class", class)
        .add_message(WasmMsg::Execute {
            contract_addr: stake_cert.to_string(),
            msg: to_json_binary(&stake_cert::ExecuteMsg::AddIssuer {
                issuer: address.into_string(),
            })?,
            funds: vec![],
        }))
}
