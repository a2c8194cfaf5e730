use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Addr, Uint128};
use cw_storage_plus::{Item, Map};
use loopin::factory::{EmissionConfig, Proposal};
use loopin::pool::PoolParams;

#[cw_serde]
pub struct Config {
    /// Set by the reply to the token's instantiation.
    pub token: Option<Addr>,
    /// Set by the reply to the stake-certificate contract's instantiation.
    pub stake_cert: Option<Addr>,
    pub pair_code_id: u64,
    pub registry: Option<Addr>,
    pub emission: EmissionConfig,
    /// Block time emission epochs count from.
    pub genesis: u64,
}

/// Emission accounting.
#[cw_serde]
#[derive(Default)]
pub struct Emission {
    pub epoch: u64,
    pub minted_this_epoch: Uint128,
    pub total_minted: Uint128,
}

pub const CONFIG: Item<Config> = Item::new("config");
pub const EMISSION: Item<Emission> = Item::new("emission");
/// Governance parameters per resource class.
pub const CLASS_PARAMS: Map<&str, PoolParams> = Map::new("class_params");
/// Class -> pair.
pub const POOLS: Map<&str, Addr> = Map::new("pools");
/// Pair -> class: who may request rewards.
pub const POOL_CLASSES: Map<&Addr, String> = Map::new("pool_classes");
/// The class whose pair is being instantiated, between CreatePool and its reply.
pub const PENDING_CLASS: Item<String> = Item::new("pending_class");

/// The timelock and the wasm admin of contracts the factory instantiates.
#[cw_serde]
pub struct Governance {
    pub min_delay: u64,
    pub admin: Option<Addr>,
    /// Id of the next proposal (ids start at 1 and are never reused).
    pub next_id: u64,
}

pub const GOVERNANCE: Item<Governance> = Item::new("governance");
/// Pending proposals by id; executed and cancelled ones are removed.
pub const PROPOSALS: Map<u64, Proposal> = Map::new("proposals");
