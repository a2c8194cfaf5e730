//! Queries. Simulations price exactly what execution would, and refuse while a boundary is due
//! (execution would first process it).

use cosmwasm_std::{Binary, Deps, Env, to_json_binary};
use loopin::pair::{
    ConfigResponse, LeaseResponse, PoolResponse, QueryMsg, StakeResponse, TwapResponse,
};

use crate::error::ContractError;
use crate::state::{CONFIG, LEASES, POOL, Pool, STAKES};

fn pool_now(deps: Deps, env: &Env) -> Result<(Pool, u64), ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let pool = POOL.load(deps.storage)?;
    Ok((pool, config.clock.epoch_at(env.block.time.seconds())))
}

fn current(deps: Deps, env: &Env) -> Result<Pool, ContractError> {
    let (pool, clock_epoch) = pool_now(deps, env)?;
    if clock_epoch > pool.epoch {
        return Err(ContractError::EpochsDue {
            behind: clock_epoch - pool.epoch,
        });
    }
    Ok(pool)
}

pub fn dispatch(deps: Deps, env: Env, msg: QueryMsg) -> Result<Binary, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let fee = config.params.exchange_fee;
    Ok(match msg {
        QueryMsg::Config {} => to_json_binary(&ConfigResponse {
            class: config.class,
            factory: config.factory,
            token: config.token,
            stake_cert: config.stake_cert,
            params: config.params,
            genesis: config.clock.genesis,
        })?,
        QueryMsg::Pool {} => {
            let (pool, clock_epoch) = pool_now(deps, &env)?;
            to_json_binary(&PoolResponse {
                epoch: pool.epoch,
                trading_epoch: pool.trading_epoch(),
                clock_epoch,
                reserves: pool.reserves,
                total_shares: pool.total_shares,
                spot_price: pool.reserves.spot_price().ok(),
                provider_hours: pool.provider_hours,
                seller_hours: pool.seller_hours,
                escrow: pool.escrow,
                accumulator: pool.accumulator,
            })?
        }
        QueryMsg::Stake { stake_id } => {
            let s = STAKES
                .may_load(deps.storage, stake_id)?
                .ok_or(ContractError::StakeNotFound { id: stake_id })?;
            to_json_binary(&StakeResponse {
                id: s.id,
                owner: s.owner,
                token_id: s.token_id,
                device_id: s.device_id,
                mode: s.mode,
                rate: s.rate,
                hours_per_epoch: s.hours_per_epoch,
                start_epoch: s.start_epoch,
                end_epoch: s.end_epoch,
                shares: s.shares,
                deposit: s.deposit,
                invalidated: s.invalidated,
                paid_until: s.paid_until,
                finished: s.finished,
            })?
        }
        QueryMsg::Lease { lease_id } => {
            let l = LEASES
                .may_load(deps.storage, lease_id)?
                .ok_or(ContractError::LeaseNotFound { id: lease_id })?;
            to_json_binary(&LeaseResponse {
                id: l.id,
                client: l.client,
                stake_id: l.stake_id,
                epoch: l.epoch,
                hours: l.hours,
                paid: l.paid,
                client_key: l.client_key,
                access: l.access,
                refunded: l.refunded,
                cancelled: l.cancelled,
            })?
        }
        QueryMsg::SimulateLease { hours } => {
            to_json_binary(&current(deps, &env)?.reserves.buy_exact_hours(hours, fee)?)?
        }
        QueryMsg::SimulateSell { hours } => {
            to_json_binary(&current(deps, &env)?.reserves.sell_hours(hours, fee)?)?
        }
        QueryMsg::Twap { since } => {
            let pool = current(deps, &env)?;
            let accumulator = pool
                .accumulator
                .advance(env.block.time.seconds(), &pool.reserves)?;
            let twap = since
                .map(|earlier| accumulator.twap_since(&earlier))
                .transpose()?;
            to_json_binary(&TwapResponse { accumulator, twap })?
        }
    })
}
