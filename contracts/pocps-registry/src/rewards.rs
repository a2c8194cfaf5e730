//! Rewards for valid checks: counted against the per-verifier and per-epoch caps, minted by the
//! factory in a sub-message, and uncounted in the reply when the factory refuses the mint.

use cosmwasm_std::{
    Addr, DepsMut, Env, Reply, Response, Storage, SubMsg, Uint128, from_json, to_json_binary,
};
use loopin::factory;

use crate::bonds::load_verifier;
use crate::error::ContractError;
use crate::outgoing::execute_msg;
use crate::state::{Config, EPOCH_REWARDS, EpochRewards, VERIFIERS};

/// Reply to a reward request: a mint the factory refuses (emission cap) must not undo a verdict.
pub(crate) const REPLY_REWARD: u64 = 1;

/// A reward counted against the caps when it was asked for (the payload of its sub-message):
/// uncounted if the factory refuses the mint, so the caps count only what was minted.
#[cosmwasm_schema::cw_serde]
struct RewardCounted {
    verifier: Addr,
    epoch: u64,
    amount: Uint128,
}

pub(crate) fn reward_epoch(config: &Config, env: &Env) -> u64 {
    env.block
        .time
        .seconds()
        .saturating_sub(config.genesis.seconds())
        / config.settings.reward_epoch_seconds
}

/// Counts a valid check and asks the factory for its reward within the per-verifier and
/// registry caps. The mint is a sub-message whose failure (the factory's emission cap) is
/// caught, so it never undoes the verdict, and uncounted from the caps in
/// [`reply`](crate::contract::reply).
pub(crate) fn reward(
    storage: &mut dyn Storage,
    config: &Config,
    env: &Env,
    address: &Addr,
) -> Result<Option<SubMsg>, ContractError> {
    let mut verifier = load_verifier(storage, address)?;
    verifier.valid_checks += 1;
    let epoch = reward_epoch(config, env);
    if verifier.reward_epoch != epoch {
        verifier.reward_epoch = epoch;
        verifier.rewarded = 0;
    }
    let amount = config.settings.reward_per_check;
    let mut totals = EPOCH_REWARDS.load(storage)?;
    if totals.epoch != epoch {
        totals = EpochRewards {
            epoch,
            paid: Uint128::zero(),
        };
    }
    let paid = totals.paid.checked_add(amount).ok();
    let within = !amount.is_zero()
        && verifier.rewarded < config.settings.max_rewarded_checks
        && paid.is_some_and(|paid| paid <= config.settings.max_rewards_per_epoch);
    let msg = if within {
        verifier.rewarded += 1;
        totals.paid = paid.unwrap_or(totals.paid);
        EPOCH_REWARDS.save(storage, &totals)?;
        Some(
            SubMsg::reply_on_error(
                execute_msg(
                    &config.factory,
                    &factory::ExecuteMsg::MintRewards {
                        recipient: address.to_string(),
                        amount,
                    },
                )?,
                REPLY_REWARD,
            )
            .with_payload(to_json_binary(&RewardCounted {
                verifier: address.clone(),
                epoch,
                amount,
            })?),
        )
    } else {
        None
    };
    VERIFIERS.save(storage, address, &verifier)?;
    Ok(msg)
}

/// Handles the reply to a refused reward mint: the verdict stands, the caps are given back.
pub(crate) fn reward_unpaid(deps: DepsMut, msg: Reply) -> Result<Response, ContractError> {
    let counted: RewardCounted =
        from_json(&msg.payload).map_err(|_| ContractError::BadReplyPayload {})?;
    uncount_reward(deps.storage, &counted)?;
    let error = msg.result.into_result().err().unwrap_or_default();
    Ok(Response::new()
        .add_attribute("action", "reward_unpaid")
        .add_attribute("verifier", counted.verifier)
        .add_attribute("amount", counted.amount)
        .add_attribute(
            "error",
            if error.is_empty() {
                "refused".to_string()
            } else {
                error
            },
        ))
}

/// Gives back the caps a refused mint had taken: the verifier's rewarded checks and the
/// registry's total, if still in the epoch they were counted in (the reply comes in the same
/// transaction, so they are).
fn uncount_reward(storage: &mut dyn Storage, counted: &RewardCounted) -> Result<(), ContractError> {
    let mut verifier = load_verifier(storage, &counted.verifier)?;
    if verifier.reward_epoch == counted.epoch {
        verifier.rewarded = verifier.rewarded.saturating_sub(1);
        VERIFIERS.save(storage, &counted.verifier, &verifier)?;
    }
    let mut totals = EPOCH_REWARDS.load(storage)?;
    if totals.epoch == counted.epoch {
        totals.paid = totals.paid.saturating_sub(counted.amount);
        EPOCH_REWARDS.save(storage, &totals)?;
    }
    Ok(())
}
