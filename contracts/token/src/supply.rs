//! The supply audit: the genesis supply, and what was minted and burned since, kept beside
//! cw20-base's own total supply (`SupplyAudit`).

use cosmwasm_std::{Storage, Uint128};
use loopin::token::ExecuteMsg;

use crate::error::ContractError;
use crate::state::{SUPPLY_TOTALS, SupplyTotals};

/// Records the genesis supply, nothing minted or burned yet.
pub(crate) fn start(
    storage: &mut dyn Storage,
    initial_supply: Uint128,
) -> Result<(), ContractError> {
    SUPPLY_TOTALS.save(
        storage,
        &SupplyTotals {
            initial_supply,
            ..SupplyTotals::default()
        },
    )?;
    Ok(())
}

/// What a message mints and burns, `(minted, burned)`; `None` for one that does neither.
pub(crate) fn change(msg: &ExecuteMsg) -> Option<(Uint128, Uint128)> {
    match msg {
        ExecuteMsg::Mint { amount, .. } => Some((*amount, Uint128::zero())),
        ExecuteMsg::Burn { amount } | ExecuteMsg::BurnFrom { amount, .. } => {
            Some((Uint128::zero(), *amount))
        }
        _ => None,
    }
}

/// Adds what a message cw20-base executed minted and burned to the totals.
pub(crate) fn record(
    storage: &mut dyn Storage,
    (minted, burned): (Uint128, Uint128),
) -> Result<(), ContractError> {
    let mut totals = SUPPLY_TOTALS.load(storage)?;
    totals.minted = totals.minted.checked_add(minted)?;
    totals.burned = totals.burned.checked_add(burned)?;
    SUPPLY_TOTALS.save(storage, &totals)?;
    Ok(())
}
