//! Messages of the pool factory (`contracts/factory`).
//!
//! The factory instantiates the LOOP token and the stake-certificate contract itself, so it is
//! their only minter from the first block. Anyone creates a pool for a resource class whose
//! parameters governance (the owner) has set; the factory wires the new pair into the
//! stake-certificate contract and mints rewards for pools and the PoCPS registry within a
//! per-epoch emission cap.

use cosmwasm_schema::{QueryResponses, cw_serde};
use cosmwasm_std::{Addr, Uint128};
use cw_ownable::{cw_ownable_execute, cw_ownable_query};
use cw20::Cw20Coin;

use crate::pool::PoolParams;
use crate::token::InstantiateMarketingInfo;

/// The LOOP token the factory creates.
#[cw_serde]
pub struct TokenInit {
    pub name: String,
    pub symbol: String,
    pub decimals: u8,
    pub initial_balances: Vec<Cw20Coin>,
    /// Hard cap on total supply, if any.
    pub cap: Option<Uint128>,
    pub marketing: Option<InstantiateMarketingInfo>,
}

/// How much LOOP the factory may mint per emission epoch.
#[cw_serde]
pub struct EmissionConfig {
    pub cap_per_epoch: Uint128,
    pub epoch_seconds: u64,
}

#[cw_serde]
pub struct InstantiateMsg {
    /// Governance: sets class parameters, the registry and the pair code.
    pub owner: String,
    pub token_code_id: u64,
    pub token: TokenInit,
    pub stake_cert_code_id: u64,
    pub pair_code_id: u64,
    pub emission: EmissionConfig,
}

#[cw_ownable_execute]
#[cw_serde]
pub enum ExecuteMsg {
    /// Sets the parameters of a resource class. Owner only; validated (beta < gamma,
    /// minimum duration >= T_min). Existing pools keep the parameters they were created with.
    SetClassParams { class: String, params: PoolParams },
    /// Creates the pool of a resource class. Anyone; one pool per class.
    CreatePool { class: String },
    /// Sets the PoCPS registry, which may ask for verifier rewards. Owner only.
    SetRegistry { registry: String },
    /// Sets the pair code used by later CreatePool calls. Owner only.
    SetPairCodeId { code_id: u64 },
    /// Mints `amount` LOOP to `recipient`. Registered pools and the registry only, within the
    /// per-epoch emission cap.
    MintRewards { recipient: String, amount: Uint128 },
}

#[cw_ownable_query]
#[cw_serde]
#[derive(QueryResponses)]
pub enum QueryMsg {
    #[returns(ConfigResponse)]
    Config {},
    /// Pools by class name, paginated.
    #[returns(PoolsResponse)]
    Pools {
        start_after: Option<String>,
        limit: Option<u32>,
    },
    /// The pool of one class.
    #[returns(PoolResponse)]
    Pool { class: String },
    /// The governance parameters of one class.
    #[returns(PoolParams)]
    ClassParams { class: String },
    /// T_min of a class, in hours and in whole epochs.
    #[returns(TMinResponse)]
    TMin { class: String },
    /// Emission so far and in the current epoch.
    #[returns(EmissionResponse)]
    Emission {},
}

#[cw_serde]
pub struct ConfigResponse {
    pub token: Addr,
    pub stake_cert: Addr,
    pub pair_code_id: u64,
    pub registry: Option<Addr>,
    pub emission: EmissionConfig,
}

#[cw_serde]
pub struct PoolResponse {
    pub class: String,
    pub pair: Addr,
}

#[cw_serde]
pub struct PoolsResponse {
    pub pools: Vec<PoolResponse>,
}

#[cw_serde]
pub struct TMinResponse {
    pub hours: cosmwasm_std::Decimal256,
    pub epochs: u64,
}

#[cw_serde]
pub struct EmissionResponse {
    pub epoch: u64,
    pub minted_this_epoch: Uint128,
    pub remaining_this_epoch: Uint128,
    pub total_minted: Uint128,
}

#[cw_serde]
pub struct MigrateMsg {}
