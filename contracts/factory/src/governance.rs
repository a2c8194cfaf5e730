//! The timelock on governance changes that can reach value already in a pool.
//!
//! The owner proposes a [`GovernanceAction`]; anyone executes it once `min_delay` seconds have
//! passed (and no later than [`EXECUTION_WINDOW`] after that); the owner may cancel it until
//! then. Pending proposals are public (`Proposals`), so a miner or a client can leave before a
//! change it does not accept lands.

use cosmwasm_std::{
    Addr, Deps, DepsMut, Env, MessageInfo, Order, Response, StdResult, Storage, WasmMsg,
};
use cw_storage_plus::Bound;
use loopin::factory::{
    EXECUTION_WINDOW, GovernanceAction, GovernanceResponse, MAX_MIN_DELAY, Proposal,
    ProposalsResponse,
};
use loopin::page_limit;
use loopin::pool::{PoolParams, is_valid_class};

use crate::error::ContractError;
use crate::state::{CLASS_PARAMS, CONFIG, GOVERNANCE, POOLS, PROPOSALS};

/// The name of an action, as errors and attributes give it.
pub fn action_name(action: &GovernanceAction) -> &'static str {
    match action {
        GovernanceAction::SetRegistry { .. } => "set_registry",
        GovernanceAction::SetClassParams { .. } => "set_class_params",
        GovernanceAction::SetPairCodeId { .. } => "set_pair_code_id",
        GovernanceAction::SetAdmin { .. } => "set_admin",
        GovernanceAction::SetMinDelay { .. } => "set_min_delay",
        GovernanceAction::Migrate { .. } => "migrate",
    }
}

pub fn ensure_class(class: &str) -> Result<(), ContractError> {
    if is_valid_class(class) {
        Ok(())
    } else {
        Err(ContractError::InvalidClass {})
    }
}

pub fn ensure_delay(min_delay: u64) -> Result<u64, ContractError> {
    if min_delay > MAX_MIN_DELAY {
        return Err(ContractError::DelayTooLong {
            min_delay,
            max: MAX_MIN_DELAY,
        });
    }
    Ok(min_delay)
}

fn validate_admin(deps: Deps, admin: &Option<String>) -> StdResult<Option<Addr>> {
    admin
        .as_deref()
        .map(|admin| deps.api.addr_validate(admin))
        .transpose()
}

/// Whether any pool exists: until then no user has value the factory's settings can reach.
pub fn has_pools(storage: &dyn Storage) -> bool {
    POOLS
        .keys(storage, None, None, Order::Ascending)
        .next()
        .is_some()
}

/// Refuses an immediate change that needs the timelock.
pub fn timelocked(
    storage: &dyn Storage,
    action: &GovernanceAction,
) -> Result<ContractError, ContractError> {
    Ok(ContractError::Timelocked {
        action: action_name(action).to_string(),
        min_delay: GOVERNANCE.load(storage)?.min_delay,
    })
}

/// Checks class `class`'s parameters, and that its liquidity reward fits the emission cap, alone
/// and with every other class's: each class owes its providers its reward every epoch, so the
/// classes' rewards together must fit, or one class's providers are paid first and another's
/// wait.
pub(crate) fn validate_params(
    storage: &dyn Storage,
    class: &str,
    params: &PoolParams,
) -> Result<(), ContractError> {
    params.validate()?;
    let emission = CONFIG.load(storage)?.emission;
    let per_emission_epoch = |p: &PoolParams| {
        p.incentives()
            .liquidity_per_emission_epoch(p.epoch_seconds, emission.epoch_seconds)
    };
    params.incentives().check_within_emission(
        params.epoch_seconds,
        emission.cap_per_epoch,
        emission.epoch_seconds,
    )?;
    let mut total = per_emission_epoch(params)?;
    for entry in CLASS_PARAMS.range(storage, None, None, Order::Ascending) {
        let (other, other_params) = entry?;
        if other != class {
            total = total.saturating_add(per_emission_epoch(&other_params)?);
        }
    }
    if total > emission.cap_per_epoch {
        return Err(ContractError::LiquidityRewardsAboveCap {
            class: class.to_string(),
            total,
            cap: emission.cap_per_epoch,
        });
    }
    Ok(())
}

/// Checks an action without applying it.
fn validate(deps: Deps, action: &GovernanceAction) -> Result<(), ContractError> {
    match action {
        GovernanceAction::SetRegistry { registry } => {
            deps.api.addr_validate(registry)?;
        }
        GovernanceAction::SetClassParams { class, params } => {
            ensure_class(class)?;
            validate_params(deps.storage, class, params)?;
        }
        GovernanceAction::SetPairCodeId { .. } => {}
        GovernanceAction::SetAdmin { admin } => {
            validate_admin(deps, admin)?;
        }
        GovernanceAction::SetMinDelay { min_delay } => {
            ensure_delay(*min_delay)?;
        }
        GovernanceAction::Migrate { contract, .. } => {
            deps.api.addr_validate(contract)?;
        }
    }
    Ok(())
}

/// Applies an action (validated again: a proposal may wait for days).
pub fn apply(deps: DepsMut, action: GovernanceAction) -> Result<Response, ContractError> {
    validate(deps.as_ref(), &action)?;
    let response = Response::new().add_attribute("action", action_name(&action));
    Ok(match action {
        GovernanceAction::SetRegistry { registry } => {
            let registry = deps.api.addr_validate(&registry)?;
            let mut config = CONFIG.load(deps.storage)?;
            config.registry = Some(registry.clone());
            CONFIG.save(deps.storage, &config)?;
            response.add_attribute("registry", registry)
        }
        GovernanceAction::SetClassParams { class, params } => {
            // Again at its execution: another class's change may have landed since the proposal.
            validate_params(deps.storage, &class, &params)?;
            CLASS_PARAMS.save(deps.storage, &class, &params)?;
            response
                .add_attribute("class", class)
                .add_attribute("t_min_epochs", params.t_min_epochs()?.to_string())
        }
        GovernanceAction::SetPairCodeId { code_id } => {
            let mut config = CONFIG.load(deps.storage)?;
            config.pair_code_id = code_id;
            CONFIG.save(deps.storage, &config)?;
            response.add_attribute("code_id", code_id.to_string())
        }
        GovernanceAction::SetAdmin { admin } => {
            let admin = validate_admin(deps.as_ref(), &admin)?;
            let mut governance = GOVERNANCE.load(deps.storage)?;
            governance.admin = admin.clone();
            GOVERNANCE.save(deps.storage, &governance)?;
            response.add_attribute("admin", admin.map(String::from).unwrap_or_default())
        }
        GovernanceAction::SetMinDelay { min_delay } => {
            let mut governance = GOVERNANCE.load(deps.storage)?;
            governance.min_delay = min_delay;
            GOVERNANCE.save(deps.storage, &governance)?;
            response.add_attribute("min_delay", min_delay.to_string())
        }
        GovernanceAction::Migrate {
            contract,
            code_id,
            msg,
        } => response
            .add_attribute("contract", &contract)
            .add_attribute("code_id", code_id.to_string())
            .add_message(WasmMsg::Migrate {
                contract_addr: contract,
                new_code_id: code_id,
                msg,
            }),
    })
}

pub fn propose(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    action: GovernanceAction,
) -> Result<Response, ContractError> {
    cw_ownable::assert_owner(deps.storage, &info.sender)?;
    validate(deps.as_ref(), &action)?;
    let mut governance = GOVERNANCE.load(deps.storage)?;
    let id = governance.next_id;
    governance.next_id += 1;
    GOVERNANCE.save(deps.storage, &governance)?;
    let now = env.block.time;
    let eta = now.plus_seconds(governance.min_delay);
    let proposal = Proposal {
        id,
        proposed_at: now,
        eta,
        expires: eta.plus_seconds(EXECUTION_WINDOW),
        action,
    };
    PROPOSALS.save(deps.storage, id, &proposal)?;
    Ok(Response::new()
        .add_attribute("action", "propose")
        .add_attribute("proposal_id", id.to_string())
        .add_attribute("proposed", action_name(&proposal.action))
        .add_attribute("eta", eta.seconds().to_string()))
}

fn pending(storage: &dyn Storage, id: u64) -> Result<Proposal, ContractError> {
    PROPOSALS
        .may_load(storage, id)?
        .ok_or(ContractError::UnknownProposal { id })
}

/// Executes a proposal whose eta has come. Anyone: once the notice has run, the change is
/// public and the owner could cancel it until now, so no one is kept from applying it.
pub fn execute(deps: DepsMut, env: Env, id: u64) -> Result<Response, ContractError> {
    let proposal = pending(deps.storage, id)?;
    let now = env.block.time;
    if now < proposal.eta {
        return Err(ContractError::TooEarly {
            id,
            eta: proposal.eta,
            now,
        });
    }
    if now > proposal.expires {
        return Err(ContractError::ProposalExpired {
            id,
            expires: proposal.expires,
            now,
        });
    }
    PROPOSALS.remove(deps.storage, id);
    Ok(apply(deps, proposal.action)?
        .add_attribute("executed", "true")
        .add_attribute("proposal_id", id.to_string()))
}

pub fn cancel(deps: DepsMut, info: MessageInfo, id: u64) -> Result<Response, ContractError> {
    cw_ownable::assert_owner(deps.storage, &info.sender)?;
    let proposal = pending(deps.storage, id)?;
    PROPOSALS.remove(deps.storage, id);
    Ok(Response::new()
        .add_attribute("action", "cancel")
        .add_attribute("proposal_id", id.to_string())
        .add_attribute("cancelled", action_name(&proposal.action)))
}

pub fn query_governance(deps: Deps) -> StdResult<GovernanceResponse> {
    let governance = GOVERNANCE.load(deps.storage)?;
    Ok(GovernanceResponse {
        min_delay: governance.min_delay,
        admin: governance.admin,
    })
}

pub fn query_proposals(
    deps: Deps,
    start_after: Option<u64>,
    limit: Option<u32>,
) -> StdResult<ProposalsResponse> {
    let proposals = PROPOSALS
        .range(
            deps.storage,
            start_after.map(Bound::exclusive),
            None,
            Order::Ascending,
        )
        .take(page_limit(limit))
        .map(|item| item.map(|(_, proposal)| proposal))
        .collect::<StdResult<_>>()?;
    Ok(ProposalsResponse { proposals })
}

pub fn query_proposal(deps: Deps, id: u64) -> Result<Proposal, ContractError> {
    pending(deps.storage, id)
}

/// An owner's change made at once while no pool exists (no user has value it could reach);
/// afterwards it must be proposed.
pub(crate) fn before_pools(
    deps: DepsMut,
    info: MessageInfo,
    action: GovernanceAction,
) -> Result<Response, ContractError> {
    cw_ownable::assert_owner(deps.storage, &info.sender)?;
    if has_pools(deps.storage) {
        return Err(timelocked(deps.storage, &action)?);
    }
    apply(deps, action)
}

/// A class without a pool gets its parameters at once: a pool created later is created with
/// them, in the open, before anyone stakes. A class with a pool goes through the timelock.
pub(crate) fn set_class_params(
    deps: DepsMut,
    info: MessageInfo,
    class: String,
    params: Box<PoolParams>,
) -> Result<Response, ContractError> {
    cw_ownable::assert_owner(deps.storage, &info.sender)?;
    ensure_class(&class)?;
    validate_params(deps.storage, &class, &params)?;
    let pooled = POOLS.has(deps.storage, &class);
    let action = GovernanceAction::SetClassParams { class, params };
    if pooled {
        return Err(timelocked(deps.storage, &action)?);
    }
    apply(deps, action)
}

/// cw-ownable's two-step transfer (or renouncement) of the factory's ownership.
pub(crate) fn update_ownership(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    action: cw_ownable::Action,
) -> Result<Response, ContractError> {
    let ownership = cw_ownable::update_ownership(deps, &env.block, &info.sender, action)?;
    Ok(Response::new()
        .add_attribute("action", "update_ownership")
        .add_attributes(ownership.into_attributes()))
}
