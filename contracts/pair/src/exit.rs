//! Early exit (issue 19): a stake's owner ends it before its term. What the stake has sold or
//! may still sell stays owed: it keeps supplying the epoch being delivered and the trading
//! epoch, whose hours clients may have leased, and it ends at the next epoch. It forfeits the
//! maintenance of the epochs it gives up, so that an exit costs what staying would have cost in
//! burn, without the pay: a commitment that is cheap to drop commits nothing (docs/pair.md,
//! "Exit").
//!
//! Clients come first. The forfeit is not taken at the exit but out of the stake's last pay,
//! after the refunds of its unproven epochs, disputes and clawbacks (taken at the exit, it
//! burned what backs them: a miner whose refunds would eat its stake lost nothing by exiting,
//! and its clients lost the difference; an attacker's review found it). And an exit cannot
//! dodge a verdict: the stake and its certificate stay live to the new end, its device is
//! challenged until then, and its last pay waits, beyond the end's dispute window, for the
//! registry's lateness window and appeal to run out, so a failure found late still invalidates
//! it and seizes what it holds.

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Addr, DepsMut, Env, QuerierWrapper, Response, Uint128};
use cw_storage_plus::Map;
use loopin::pair::DEFAULT_EXIT_HOLD_EPOCHS;
use loopin::stake_cert;
use loopin::{factory, registry};

use crate::epoch::current_pool;
use crate::error::ContractError;
use crate::lifecycle::{AUTO_RENEW, move_end};
use crate::outflow;
use crate::staking::{load_owned, maintenance, timestamp};
use crate::state::{CONFIG, Config, POOL, STAKES};

/// What an exit leaves to settle at the stake's end.
#[cw_serde]
pub struct ExitRecord {
    /// Maintenance of the epochs given up, still to burn out of the stake's last pay.
    pub forfeit: Uint128,
    /// The stake's last pay (a seller's deposit, a provider's settlement) is released from
    /// this processed epoch on.
    pub paid_from: u64,
}

/// Stake id -> its exit's record.
pub const EXITS: Map<u64, ExitRecord> = Map::new("exits");

/// The registry's windows an exited stake's last pay waits for: read alone out of its
/// `Config` (the whole settings, decoded, take more wasm locals than the VM allows a function).
#[derive(serde::Deserialize)]
struct RegistryConfig {
    settings: VerdictWindows,
}

#[derive(serde::Deserialize)]
struct VerdictWindows {
    #[serde(default)]
    lateness_window_seconds: u64,
    #[serde(default)]
    appeal_seconds: u64,
}

/// Epochs a verdict on the device may still take after its last challenge: the registry's
/// lateness window and appeal, rounded up to whole epochs, at least the class's dispute
/// window; [`DEFAULT_EXIT_HOLD_EPOCHS`] when no registry contract answers.
fn verdict_epochs(querier: &QuerierWrapper, config: &Config) -> u64 {
    let registry_windows = || -> Option<VerdictWindows> {
        let factory: factory::ConfigResponse = querier
            .query_wasm_smart(&config.factory, &factory::QueryMsg::Config {})
            .ok()?;
        let registry: RegistryConfig = querier
            .query_wasm_smart(factory.registry?, &registry::QueryMsg::Config {})
            .ok()?;
        Some(registry.settings)
    };
    let epoch = config.params.epoch_seconds.max(1);
    let hold = registry_windows().map_or(DEFAULT_EXIT_HOLD_EPOCHS, |w| {
        (w.lateness_window_seconds + w.appeal_seconds).div_ceil(epoch)
    });
    hold.max(config.params.dispute_epochs)
}

/// Ends a stake at the epoch after the trading epoch (after its first epoch, for a seller's
/// not started yet), forfeiting the maintenance of the epochs given up out of its last pay.
/// Its owner only; refused for a stake already ending by then, invalidated or finished.
/// Withdraws the standing renewal instruction.
pub fn exit(deps: DepsMut, env: Env, sender: Addr, id: u64) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let mut stake = load_owned(deps.storage, &sender, id)?;
    if stake.finished {
        return Err(ContractError::StakeFinished { id });
    }
    let (mut pool, advanced) = current_pool(deps.storage, &env, &config)?;
    // A seller's stake starts at the epoch after the trading epoch: it keeps that one.
    let new_end = (pool.trading_epoch() + 1).max(stake.start_epoch + 1);
    if stake.end_epoch <= new_end {
        return Err(ContractError::ExitTooLate {
            id,
            end_epoch: stake.end_epoch,
        });
    }
    let given_up = stake.end_epoch - new_end;
    let record = ExitRecord {
        forfeit: maintenance(&config, stake.hours_per_epoch, given_up)?,
        paid_from: new_end + verdict_epochs(&deps.querier, &config),
    };
    move_end(deps.storage, &mut pool, &mut stake, new_end)?;
    AUTO_RENEW.remove(deps.storage, id);
    EXITS.save(deps.storage, id, &record)?;
    STAKES.save(deps.storage, id, &stake)?;
    POOL.save(deps.storage, &pool)?;
    let curtail = stake_cert::ExecuteMsg::Curtail {
        token_id: stake.token_id.clone(),
        expiry: timestamp(&config, new_end)?,
    };
    Ok(Response::new()
        .add_attribute("action", "exit")
        .add_attribute("stake_id", id.to_string())
        .add_attribute("end_epoch", new_end.to_string())
        .add_attribute("epochs_given_up", given_up.to_string())
        .add_attribute("forfeit", record.forfeit)
        .add_attribute("paid_from", record.paid_from.to_string())
        .add_message(outflow::execute(&config.stake_cert, &curtail)?)
        .add_messages(outflow::burn(&config.token, advanced.fees)?))
}
