//! Entry points of the factory.

#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{
    Addr, Binary, Decimal256, Deps, DepsMut, Env, MessageInfo, Order, Reply, Response, StdError,
    StdResult, SubMsg, Uint128, WasmMsg, to_json_binary,
};
use cw_storage_plus::Bound;
use loopin::factory::{
    ConfigResponse, DEFAULT_MIN_DELAY, EmissionResponse, ExecuteMsg, GovernanceAction,
    InstantiateMsg, MigrateMsg, PoolResponse, PoolsResponse, QueryMsg, TMinResponse,
};
use loopin::migrate::ensure_upgrade;
use loopin::page_limit;
use loopin::pool::{PairInstantiateMsg, PoolParams};
use loopin::{stake_cert, token};

use crate::error::ContractError;
use crate::governance::{self, ensure_class, ensure_delay, has_pools, timelocked};
use crate::state::{
    CLASS_PARAMS, CONFIG, Config, EMISSION, Emission, GOVERNANCE, Governance, PENDING_CLASS,
    POOL_CLASSES, POOLS,
};

/// cw2 name of this contract.
pub const CONTRACT_NAME: &str = "crates.io:loopin-factory";
/// cw2 version of this contract.
pub const CONTRACT_VERSION: &str = env!("CARGO_PKG_VERSION");

const REPLY_TOKEN: u64 = 1;
const REPLY_STAKE_CERT: u64 = 2;
const REPLY_PAIR: u64 = 3;

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response, ContractError> {
    cw_utils::nonpayable(&info)?;
    if msg.emission.epoch_seconds == 0 {
        return Err(ContractError::ZeroEmissionEpoch {});
    }
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

    let this = env.contract.address.to_string();
    let token_msg = token::InstantiateMsg {
        name: msg.token.name,
        symbol: msg.token.symbol,
        decimals: msg.token.decimals,
        initial_balances: msg.token.initial_balances,
        minter: token::MinterResponse {
            minter: this.clone(),
            cap: msg.token.cap,
        },
        marketing: msg.token.marketing,
    };
    let cert_msg = stake_cert::InstantiateMsg {
        name: "LooPIN stake certificates".into(),
        symbol: "stLOOP".into(),
        minter: this,
    };
    let instantiate = |code_id: u64, msg: Binary, label: &str| WasmMsg::Instantiate {
        admin: admin.as_ref().map(Addr::to_string),
        code_id,
        msg,
        funds: vec![],
        label: label.to_string(),
    };
    cw2::set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    Ok(Response::new()
        .add_attribute("action", "instantiate")
        .add_attribute("owner", owner.as_str())
        .add_attribute("min_delay", min_delay.to_string())
        .add_submessage(SubMsg::reply_on_success(
            instantiate(
                msg.token_code_id,
                to_json_binary(&token_msg)?,
                "LooPIN token",
            ),
            REPLY_TOKEN,
        ))
        .add_submessage(SubMsg::reply_on_success(
            instantiate(
                msg.stake_cert_code_id,
                to_json_binary(&cert_msg)?,
                "LooPIN stake certificates",
            ),
            REPLY_STAKE_CERT,
        )))
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
        ExecuteMsg::SetClassParams { class, params } => set_class_params(deps, info, class, params),
        ExecuteMsg::CreatePool { class } => create_pool(deps, env, class),
        ExecuteMsg::SetRegistry { registry } => {
            before_pools(deps, info, GovernanceAction::SetRegistry { registry })
        }
        ExecuteMsg::SetPairCodeId { code_id } => {
            before_pools(deps, info, GovernanceAction::SetPairCodeId { code_id })
        }
        ExecuteMsg::Propose { action } => governance::propose(deps, env, info, action),
        ExecuteMsg::Execute { id } => governance::execute(deps, env, id),
        ExecuteMsg::Cancel { id } => governance::cancel(deps, info, id),
        ExecuteMsg::MintRewards { recipient, amount } => {
            mint_rewards(deps, env, info, recipient, amount)
        }
        ExecuteMsg::UpdateOwnership(action) => {
            let ownership = cw_ownable::update_ownership(deps, &env.block, &info.sender, action)?;
            Ok(Response::new()
                .add_attribute("action", "update_ownership")
                .add_attributes(ownership.into_attributes()))
        }
    }
}

/// An owner's change made at once while no pool exists (no user has value it could reach);
/// afterwards it must be proposed.
fn before_pools(
    deps: DepsMut,
    info: MessageInfo,
    action: GovernanceAction,
) -> Result<Response, ContractError> {
    cw_ownable::assert_owner(deps.storage, &info.sender)?;
    if has_pools(deps.storage) {
        return Err(timelocked(deps.storage, &action)?);
    }
    governance::apply(deps, action)
}

/// A class without a pool gets its parameters at once: a pool created later is created with
/// them, in the open, before anyone stakes. A class with a pool goes through the timelock.
fn set_class_params(
    deps: DepsMut,
    info: MessageInfo,
    class: String,
    params: Box<PoolParams>,
) -> Result<Response, ContractError> {
    cw_ownable::assert_owner(deps.storage, &info.sender)?;
    ensure_class(&class)?;
    governance::validate_params(deps.storage, &params)?;
    let pooled = POOLS.has(deps.storage, &class);
    let action = GovernanceAction::SetClassParams { class, params };
    if pooled {
        return Err(timelocked(deps.storage, &action)?);
    }
    governance::apply(deps, action)
}

fn create_pool(deps: DepsMut, env: Env, class: String) -> Result<Response, ContractError> {
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

fn wired(config: &Config) -> Result<(&Addr, &Addr), ContractError> {
    match (&config.token, &config.stake_cert) {
        (Some(token), Some(stake_cert)) => Ok((token, stake_cert)),
        _ => Err(ContractError::NotWired {}),
    }
}

fn emission_epoch(config: &Config, env: &Env) -> u64 {
    env.block.time.seconds().saturating_sub(config.genesis) / config.emission.epoch_seconds
}

/// The emission record as of the current epoch (a new epoch starts from zero).
fn current_emission(deps: Deps, env: &Env, config: &Config) -> StdResult<Emission> {
    let mut emission = EMISSION.load(deps.storage)?;
    let epoch = emission_epoch(config, env);
    if emission.epoch != epoch {
        emission.epoch = epoch;
        emission.minted_this_epoch = Uint128::zero();
    }
    Ok(emission)
}

fn mint_rewards(
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

/// The address of the contract a reply's instantiation created.
fn instantiated_address(msg: &Reply) -> Result<Addr, ContractError> {
    let response = msg
        .result
        .clone()
        .into_result()
        .map_err(StdError::generic_err)?;
    response
        .events
        .iter()
        .filter(|event| event.ty == "instantiate")
        .flat_map(|event| event.attributes.iter())
        .find(|attr| attr.key == "_contract_address")
        .map(|attr| Addr::unchecked(attr.value.clone()))
        .ok_or(ContractError::MissingContractAddress { id: msg.id })
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn reply(deps: DepsMut, _env: Env, msg: Reply) -> Result<Response, ContractError> {
    let address = instantiated_address(&msg)?;
    match msg.id {
        REPLY_TOKEN | REPLY_STAKE_CERT => {
            CONFIG.update(deps.storage, |mut config| -> StdResult<_> {
                if msg.id == REPLY_TOKEN {
                    config.token = Some(address.clone());
                } else {
                    config.stake_cert = Some(address.clone());
                }
                Ok(config)
            })?;
            let role = if msg.id == REPLY_TOKEN {
                "token"
            } else {
                "stake_cert"
            };
            Ok(Response::new().add_attribute(role, address))
        }
        REPLY_PAIR => {
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
        id => Err(ContractError::UnknownReply { id }),
    }
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps, env: Env, msg: QueryMsg) -> Result<Binary, ContractError> {
    Ok(match msg {
        QueryMsg::Config {} => {
            let config = CONFIG.load(deps.storage)?;
            let (token, stake_cert) = wired(&config)?;
            to_json_binary(&ConfigResponse {
                token: token.clone(),
                stake_cert: stake_cert.clone(),
                pair_code_id: config.pair_code_id,
                registry: config.registry,
                emission: config.emission,
            })?
        }
        QueryMsg::Pools { start_after, limit } => {
            let start = start_after.as_deref().map(Bound::exclusive);
            let pools = POOLS
                .range(deps.storage, start, None, Order::Ascending)
                .take(page_limit(limit))
                .map(|item| item.map(|(class, pair)| PoolResponse { class, pair }))
                .collect::<StdResult<_>>()?;
            to_json_binary(&PoolsResponse { pools })?
        }
        QueryMsg::Pool { class } => {
            let pair = POOLS.may_load(deps.storage, &class)?.ok_or_else(|| {
                ContractError::UnknownClass {
                    class: class.clone(),
                }
            })?;
            to_json_binary(&PoolResponse { class, pair })?
        }
        QueryMsg::ClassParams { class } => to_json_binary(&class_params(deps, class)?)?,
        QueryMsg::TMin { class } => {
            let params = class_params(deps, class)?;
            let hours: Decimal256 = params
                .economics
                .t_min_hours()
                .map_err(loopin::pool::ParamsError::from)?;
            to_json_binary(&TMinResponse {
                hours,
                epochs: params.t_min_epochs()?,
            })?
        }
        QueryMsg::Emission {} => {
            let config = CONFIG.load(deps.storage)?;
            let emission = current_emission(deps, &env, &config)?;
            to_json_binary(&EmissionResponse {
                epoch: emission.epoch,
                minted_this_epoch: emission.minted_this_epoch,
                remaining_this_epoch: config
                    .emission
                    .cap_per_epoch
                    .saturating_sub(emission.minted_this_epoch),
                total_minted: emission.total_minted,
            })?
        }
        QueryMsg::Governance {} => to_json_binary(&governance::query_governance(deps)?)?,
        QueryMsg::Proposals { start_after, limit } => {
            to_json_binary(&governance::query_proposals(deps, start_after, limit)?)?
        }
        QueryMsg::Proposal { id } => to_json_binary(&governance::query_proposal(deps, id)?)?,
        QueryMsg::Ownership {} => to_json_binary(&cw_ownable::get_ownership(deps.storage)?)?,
    })
}

fn class_params(deps: Deps, class: String) -> Result<PoolParams, ContractError> {
    CLASS_PARAMS
        .may_load(deps.storage, &class)?
        .ok_or(ContractError::UnknownClass { class })
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
