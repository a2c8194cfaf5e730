//! Entry points of the factory.

#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{Binary, Deps, DepsMut, Env, MessageInfo, Reply, Response};
use loopin::factory::{
    DEFAULT_MIN_DELAY, ExecuteMsg, GovernanceAction, InstantiateMsg, MigrateMsg, QueryMsg,
};
use loopin::migrate::ensure_upgrade;

use crate::error::ContractError;
use crate::governance::{self, ensure_delay};
use crate::pools::{self, REPLY_PAIR};
use crate::state::{CONFIG, Config, EMISSION, Emission, GOVERNANCE, Governance};
use crate::wiring::{self, REPLY_STAKE_CERT, REPLY_TOKEN, instantiated_address};
use crate::{emission, query};

/// cw2 name of this contract.
pub const CONTRACT_NAME: &str = "crates.io:loopin-factory";
/// cw2 version of this contract.
pub const CONTRACT_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Records the owner, the timelock and the emission, and instantiates the LOOP token and the
/// stake-certificate contract (`wiring`).
#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response, ContractError> {
    cw_utils::nonpayable(&info)?;
    msg.emission.validate()?;
    let owner = deps.api.addr_validate(&msg.owner)?;
    cw_ownable::initialize_owner(deps.storage, deps.api, Some(owner.as_str()))?;
    let admin = msg
        .admin
        .as_deref()
        .map(|admin| deps.api.addr_validate(admin))
        .transpose()?;
    let min_delay = ensure_delay(msg.min_delay.unwrap_or(DEFAULT_MIN_DELAY))?;
    GOVERNANCE.save(
        deps.storage,
        &Governance {
            min_delay,
            admin: admin.clone(),
            next_id: 1,
        },
    )?;
    CONFIG.save(
        deps.storage,
        &Config {
            token: None,
            stake_cert: None,
            pair_code_id: msg.pair_code_id,
            registry: None,
            emission: msg.emission,
            genesis: env.block.time.seconds(),
        },
    )?;
    EMISSION.save(deps.storage, &Emission::default())?;
    cw2::set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    let contracts = wiring::instantiate_contracts(
        &env,
        admin.as_ref(),
        msg.token,
        msg.token_code_id,
        msg.stake_cert_code_id,
    )?;
    Ok(Response::new()
        .add_attribute("action", "instantiate")
        .add_attribute("owner", owner.as_str())
        .add_attribute("min_delay", min_delay.to_string())
        .add_submessages(contracts))
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn execute(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> Result<Response, ContractError> {
    cw_utils::nonpayable(&info)?;
    match msg {
        ExecuteMsg::SetClassParams { class, params } => {
            governance::set_class_params(deps, info, class, params)
        }
        ExecuteMsg::CreatePool { class } => pools::create_pool(deps, env, class),
        ExecuteMsg::SetRegistry { registry } => {
            governance::before_pools(deps, info, GovernanceAction::SetRegistry { registry })
        }
        ExecuteMsg::SetPairCodeId { code_id } => {
            governance::before_pools(deps, info, GovernanceAction::SetPairCodeId { code_id })
        }
        ExecuteMsg::Propose { action } => governance::propose(deps, env, info, action),
        ExecuteMsg::Execute { id } => governance::execute(deps, env, id),
        ExecuteMsg::Cancel { id } => governance::cancel(deps, info, id),
        ExecuteMsg::MintRewards { recipient, amount } => {
            emission::mint_rewards(deps, env, info, recipient, amount)
        }
        ExecuteMsg::UpdateOwnership(action) => {
            governance::update_ownership(deps, env, info, action)
        }
    }
}

/// The replies to the factory's instantiations: the token's, the stake certificates' and a
/// pair's.
#[cfg_attr(not(feature = "library"), entry_point)]
pub fn reply(deps: DepsMut, _env: Env, msg: Reply) -> Result<Response, ContractError> {
    let address = instantiated_address(&msg)?;
    match msg.id {
        REPLY_TOKEN | REPLY_STAKE_CERT => wiring::contract_instantiated(deps, msg.id, address),
        REPLY_PAIR => pools::pool_created(deps, address),
        id => Err(ContractError::UnknownReply { id }),
    }
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps, env: Env, msg: QueryMsg) -> Result<Binary, ContractError> {
    query::dispatch(deps, env, msg)
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn migrate(deps: DepsMut, env: Env, _msg: MigrateMsg) -> Result<Response, ContractError> {
    let from = ensure_upgrade(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    if !GOVERNANCE.exists(deps.storage) {
        // A factory from before the timelock: the default delay, and new pairs get the
        // factory's own wasm admin (who can already migrate everything) as theirs.
        let admin = deps
            .querier
            .query_wasm_contract_info(env.contract.address)?
            .admin;
        GOVERNANCE.save(
            deps.storage,
            &Governance {
                min_delay: DEFAULT_MIN_DELAY,
                admin,
                next_id: 1,
            },
        )?;
    }
    Ok(Response::new()
        .add_attribute("action", "migrate")
        .add_attribute("from_version", from.to_string())
        .add_attribute("to_version", CONTRACT_VERSION))
}
