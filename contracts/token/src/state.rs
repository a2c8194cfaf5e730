use cosmwasm_schema::cw_serde;
use cosmwasm_std::Uint128;
use cw_storage_plus::Item;

/// Running supply totals; cw20-base keeps the total supply itself.
#[cw_serde]
#[derive(Default)]
pub struct SupplyTotals {
    pub initial_supply: Uint128,
    pub minted: Uint128,
    pub burned: Uint128,
}

pub const SUPPLY_TOTALS: Item<SupplyTotals> = Item::new("supply_totals");
