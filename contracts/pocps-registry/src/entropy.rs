//! The entropy beacon: rounds counted from genesis, verifiers' commits and reveals, and the
//! first round that reaches the quorum without a given challenger.

use cosmwasm_std::{Addr, DepsMut, Empty, Env, HexBinary, MessageInfo, Order, Response, Storage};
use cw_storage_plus::Bound;
use loopin::registry::MAX_ROUND_SCAN;
use loopin_pocps::challenge::commit_secret;

use crate::bonds::{bonded_verifier, load_verifier};
use crate::error::ContractError;
use crate::judge::{self, hash32};
use crate::state::{
    BeaconRound, CONFIG, CONTRIBUTORS, Config, ENTROPY_COMMITS, LATEST_ROUND, ROUNDS, VERIFIERS,
};

pub(crate) fn current_round(config: &Config, env: &Env) -> u64 {
    env.block
        .time
        .seconds()
        .saturating_sub(config.genesis.seconds())
        / config.settings.round_seconds
}

pub(crate) fn commit_entropy(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    hash: HexBinary,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let mut verifier = bonded_verifier(deps.storage, &config, &info.sender)?;
    let hash = hash32("hash", &hash)?;
    let round = current_round(&config, &env);
    if let Some((pending, _)) = ENTROPY_COMMITS.may_load(deps.storage, &info.sender)? {
        if pending == round {
            return Err(ContractError::EntropyAlreadyCommitted { round });
        }
        // Never revealed: recorded against the verifier (withholding is visible).
        verifier.lapsed_entropy = verifier.lapsed_entropy.saturating_add(1);
        VERIFIERS.save(deps.storage, &info.sender, &verifier)?;
    }
    ENTROPY_COMMITS.save(deps.storage, &info.sender, &(round, hash))?;
    Ok(Response::new()
        .add_attribute("action", "commit_entropy")
        .add_attribute("verifier", info.sender)
        .add_attribute("round", round.to_string()))
}

pub(crate) fn reveal_entropy(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    secret: HexBinary,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    load_verifier(deps.storage, &info.sender)?;
    let secret = hash32("secret", &secret)?;
    let round = current_round(&config, &env);
    let (_, hash) = ENTROPY_COMMITS
        .may_load(deps.storage, &info.sender)?
        .filter(|(committed, _)| committed + 1 == round)
        .ok_or(ContractError::NoEntropyCommitted {})?;
    if commit_secret(&secret) != hash {
        return Err(ContractError::WrongSecret {});
    }
    let mut beacon = match ROUNDS.may_load(deps.storage, round)? {
        Some(beacon) => beacon,
        None => {
            let previous = match LATEST_ROUND.may_load(deps.storage)? {
                Some(latest) => ROUNDS.load(deps.storage, latest)?.value,
                None => judge::round_start(&[0u8; 32], 0),
            };
            BeaconRound {
                value: judge::round_start(&previous, round),
                contributors: 0,
            }
        }
    };
    beacon.value = judge::mix(&beacon.value, info.sender.as_str(), &secret);
    beacon.contributors = beacon.contributors.saturating_add(1);
    ROUNDS.save(deps.storage, round, &beacon)?;
    LATEST_ROUND.save(deps.storage, &round)?;
    CONTRIBUTORS.save(deps.storage, (round, &info.sender), &Empty {})?;
    ENTROPY_COMMITS.remove(deps.storage, &info.sender);
    Ok(Response::new()
        .add_attribute("action", "reveal_entropy")
        .add_attribute("verifier", info.sender)
        .add_attribute("round", round.to_string())
        .add_attribute("contributors", beacon.contributors.to_string()))
}

/// The first final round after `after` with the entropy quorum not counting `challenger`.
pub(crate) fn randomness_round(
    storage: &dyn Storage,
    config: &Config,
    env: &Env,
    after: u64,
    challenger: &Addr,
) -> Result<Option<(u64, BeaconRound)>, ContractError> {
    randomness_round_through(storage, config, env, (after, u64::MAX), challenger)
}

/// [`randomness_round`] among the rounds `after + 1 ..= last` only: a round past `last` does
/// not count, whenever it is read.
pub(crate) fn randomness_round_through(
    storage: &dyn Storage,
    config: &Config,
    env: &Env,
    (after, last): (u64, u64),
    challenger: &Addr,
) -> Result<Option<(u64, BeaconRound)>, ContractError> {
    let now = current_round(config, env).min(last.saturating_add(1));
    for item in ROUNDS
        .range(
            storage,
            Some(Bound::exclusive(after)),
            Some(Bound::exclusive(now)),
            Order::Ascending,
        )
        .take(MAX_ROUND_SCAN as usize)
    {
        let (round, beacon) = item?;
        let own = u32::from(CONTRIBUTORS.has(storage, (round, challenger)));
        if beacon.contributors.saturating_sub(own) >= config.settings.entropy_quorum {
            return Ok(Some((round, beacon)));
        }
    }
    Ok(None)
}
