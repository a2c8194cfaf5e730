//! Entry points of the pair.

#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{
    Addr, Binary, Decimal256, Deps, DepsMut, Env, MessageInfo, Response, SignedDecimal256, Uint128,
    from_json,
};
use cw20::Cw20ReceiveMsg;
use loopin::migrate::ensure_upgrade;
use loopin::pair::{ExecuteMsg, MigrateMsg, QueryMsg, ReceiveMsg};
use loopin::pool::{PairInstantiateMsg, is_valid_class};
use loopin_pool_math::amm::Reserves;
use loopin_pool_math::capacity::EpochClock;
use loopin_pool_math::oracle::{PriceAccumulator, TimeWeightedRatio};

use crate::error::ContractError;
use crate::query;
use crate::requests::{LeaseRequest, StakeRequest};
use crate::state::{CONFIG, Config, POOL, Pool};
use crate::{claim, disputes, exit, leasing, liquidity, proofs, slashing, staking, unproven};
use crate::{epoch, verification};
use crate::{lease_rewards, lifecycle, liquidity_rewards};

/// cw2 name of this contract.
pub const CONTRACT_NAME: &str = "crates.io:loopin-pair";
/// cw2 version of this contract.
pub const CONTRACT_VERSION: &str = env!("CARGO_PKG_VERSION");

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: PairInstantiateMsg,
) -> Result<Response, ContractError> {
    cw_utils::nonpayable(&info)?;
    if !is_valid_class(&msg.class) {
        return Err(ContractError::Unauthorized {});
    }
    msg.params
        .validate()
        .map_err(|err| cosmwasm_std::StdError::generic_err(err.to_string()))?;
    let now = env.block.time.seconds();
    let clock = EpochClock::new(now, msg.params.epoch_seconds)?;
    CONFIG.save(
        deps.storage,
        &Config {
            class: msg.class.clone(),
            factory: deps.api.addr_validate(&msg.factory)?,
            token: deps.api.addr_validate(&msg.token)?,
            stake_cert: deps.api.addr_validate(&msg.stake_cert)?,
            params: msg.params,
            clock,
            proofs_from: Some(0),
        },
    )?;
    POOL.save(
        deps.storage,
        &Pool {
            epoch: 0,
            reserves: Reserves::default(),
            total_shares: Uint128::zero(),
            provider_hours: Uint128::zero(),
            seller_hours: Uint128::zero(),
            escrow: Uint128::zero(),
            accumulator: PriceAccumulator::start(now),
            share_value_twap: TimeWeightedRatio::start(now),
            share_value_mark: TimeWeightedRatio::start(now),
            share_value_low: None,
            tokens_twap: None,
            epoch_mark: None,
            next_stake_id: 1,
            next_lease_id: 1,
            revenue_per_share: SignedDecimal256::zero(),
            budget_per_share: Decimal256::zero(),
        },
    )?;
    cw2::set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    Ok(Response::new()
        .add_attribute("action", "instantiate")
        .add_attribute("class", msg.class)
        .add_attribute("genesis", now.to_string()))
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
        ExecuteMsg::Receive(receive) => receive_loop(deps, env, info, receive),
        ExecuteMsg::AdvanceEpoch { max_epochs } => epoch::advance_epoch(deps, env, max_epochs),
        ExecuteMsg::Renew { stake_id, epochs } => {
            lifecycle::renew(deps, env, info.sender, stake_id, epochs)
        }
        ExecuteMsg::SetAutoRenew {
            stake_id,
            until_epoch,
        } => lifecycle::set_auto_renew(deps, info.sender, stake_id, until_epoch),
        ExecuteMsg::Claim { stake_id } => claim::claim(deps, env, info.sender, stake_id),
        ExecuteMsg::Exit { stake_id } => exit::exit(deps, env, info.sender, stake_id),
        ExecuteMsg::CancelLease {
            lease_id,
            min_refund,
            deadline,
        } => leasing::cancel_lease(deps, env, info.sender, lease_id, min_refund, deadline),
        ExecuteMsg::RenewLease { lease_id } => {
            leasing::renew_lease(deps, env, info.sender, lease_id)
        }
        ExecuteMsg::CloseOrder { lease_id } => leasing::close_order(deps, info.sender, lease_id),
        ExecuteMsg::PostAccess {
            lease_id,
            ciphertext,
        } => leasing::post_access(deps, info.sender, lease_id, ciphertext),
        ExecuteMsg::CompleteLease { lease_id } => {
            leasing::complete_lease(deps, env, info.sender, lease_id)
        }
        ExecuteMsg::ResolveDispute { lease_id, refund } => {
            disputes::resolve_dispute(deps, env, info.sender, lease_id, refund)
        }
        ExecuteMsg::Invalidate { token_id, reason } => {
            slashing::invalidate(deps, env, info, token_id, reason)
        }
        msg @ (ExecuteMsg::DeviceRegistered { .. }
        | ExecuteMsg::DeviceProven { .. }
        | ExecuteMsg::DeviceProofAudit { .. }) => registry_report(deps, env, info.sender, msg),
        ExecuteMsg::SettleUnproven { stake_id, epoch } => {
            unproven::settle_unproven(deps, env, stake_id, epoch)
        }
        ExecuteMsg::WithdrawLiquidity {
            shares,
            min_out,
            deadline,
        } => liquidity::withdraw(deps, env, info.sender, shares, min_out, deadline),
        ExecuteMsg::ClaimLeaseRewards { lease_ids } => {
            lease_rewards::claim_lease_rewards(deps, env, info.sender, lease_ids)
        }
        ExecuteMsg::ClaimLiquidityRewards {} => {
            liquidity_rewards::claim_liquidity_rewards(deps, info.sender)
        }
    }
}

/// The registry's reports about a device: its registration and its passes (`verification`,
/// `proofs`). The registry only, which each handler checks.
fn registry_report(
    deps: DepsMut,
    env: Env,
    sender: Addr,
    msg: ExecuteMsg,
) -> Result<Response, ContractError> {
    match msg {
        ExecuteMsg::DeviceRegistered { token_id } => {
            verification::device_registered(deps, env, sender, token_id)
        }
        ExecuteMsg::DeviceProven {
            token_id,
            challenged_at,
            verifier,
            audit_until,
        } => proofs::device_proven(
            deps,
            env,
            sender,
            token_id,
            challenged_at,
            (verifier, audit_until),
        ),
        ExecuteMsg::DeviceProofAudit {
            token_id,
            challenged_at,
            verifier,
            event,
        } => proofs::device_proof_audit(deps, sender, token_id, (challenged_at, verifier), event),
        _ => Err(cosmwasm_std::StdError::generic_err("not a registry report").into()),
    }
}

/// The cw20 Receive hook: LOOP the LOOP token sent with a `ReceiveMsg` (`dispatch_hook`).
fn receive_loop(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    receive: Cw20ReceiveMsg,
) -> Result<Response, ContractError> {
    // Loaded once here for every handler below: a Config load is a large share of each.
    let config = CONFIG.load(deps.storage)?;
    if info.sender != config.token {
        return Err(ContractError::WrongToken {});
    }
    let sender = deps.api.addr_validate(&receive.sender)?;
    dispatch_hook(
        deps,
        env,
        &config,
        sender,
        receive.amount,
        from_json(&receive.msg)?,
    )
}

/// A Receive hook's message to its feature's handler, with the LOOP it brought and its sender.
#[inline(always)]
fn dispatch_hook(
    deps: DepsMut,
    env: Env,
    config: &Config,
    sender: Addr,
    amount: Uint128,
    msg: ReceiveMsg,
) -> Result<Response, ContractError> {
    match msg {
        ReceiveMsg::Stake {
            device_id,
            mode,
            rate,
            epochs,
            commitment,
            max_liquidity,
            device_key,
            device_signature,
            min_shares,
            max_price,
            deadline,
        } => {
            let request = StakeRequest {
                device_id,
                mode,
                rate,
                epochs,
                commitment,
                max_liquidity,
                device_key,
                device_signature,
                min_shares,
                max_price,
                deadline,
            };
            staking::stake(deps, env, config, sender, amount, request)
        }
        ReceiveMsg::ProvideLiquidity {
            min_shares,
            deadline,
        } => liquidity::provide(deps, env, config, sender, amount, min_shares, deadline),
        ReceiveMsg::Lease {
            stake_id,
            hours,
            client_key,
            ssh_key,
            deadline,
            renewals,
            max_renewal_price,
            renewer,
        } => {
            let request = LeaseRequest {
                stake_id,
                hours,
                client_key,
                ssh_key,
                deadline,
                renewals: renewals.unwrap_or(0),
                max_renewal_price,
                renewer: renewer
                    .map(|renewer| deps.api.addr_validate(&renewer))
                    .transpose()?,
            };
            leasing::lease(deps, env, config, sender, amount, request)
        }
        ReceiveMsg::TopUp { stake_id } => lifecycle::top_up(deps, sender, stake_id, amount),
        ReceiveMsg::Dispute { lease_id, reason } => {
            disputes::dispute(deps, env, config, sender, amount, lease_id, reason)
        }
        ReceiveMsg::Extend { lease_id, renewals } => {
            leasing::extend(deps, env, config, sender, amount, lease_id, renewals)
        }
    }
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps, env: Env, msg: QueryMsg) -> Result<Binary, ContractError> {
    query::dispatch(deps, env, msg)
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn migrate(deps: DepsMut, env: Env, _msg: MigrateMsg) -> Result<Response, ContractError> {
    let from = ensure_upgrade(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    let config_rewritten = crate::upgrade::rewrite_config(deps.storage)?;
    // Nothing recorded the passes of epochs up to the current one: they count proven.
    let mut config = CONFIG.load(deps.storage)?;
    if config.proofs_from.is_none() {
        config.proofs_from = Some(config.clock.epoch_at(env.block.time.seconds()) + 1);
        CONFIG.save(deps.storage, &config)?;
    }
    let bonds_moved = disputes::move_bonds_out_of_escrow(deps.storage)?;
    // The curve registrations' first sales were priced on, before registrations stopped
    // selling at once.
    deps.storage.remove(b"sellers_curve");
    Ok(Response::new()
        .add_attribute("action", "migrate")
        .add_attribute("dispute_bonds_moved", bonds_moved)
        .add_attribute("config_rewritten", config_rewritten.to_string())
        .add_attribute("proofs_from", config.proofs_from().to_string())
        .add_attribute("from_version", from.to_string())
        .add_attribute("to_version", CONTRACT_VERSION))
}
