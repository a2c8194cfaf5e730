//! Messages of the pool factory (`contracts/factory`).
//!
//! The factory instantiates the LOOP token and the stake-certificate contract itself, so it is
//! their only minter from the first block. Anyone creates a pool for a resource class whose
//! parameters governance (the owner) has set; the factory wires the new pair into the
//! stake-certificate contract and mints rewards for pools and the PoCPS registry within a
//! per-epoch emission cap.
//!
//! Governance changes that can reach value already in a pool (the registry, which may invalidate
//! any stake; the pair code and the class parameters once a pool exists; the wasm admin of new
//! contracts; the timelock's own delay) are proposed first and take effect no sooner than
//! `min_delay` seconds later ([`GovernanceAction`]), so users can leave before (docs/governance.md).

use cosmwasm_schema::{QueryResponses, cw_serde};
use cosmwasm_std::{Addr, Binary, Timestamp, Uint128};
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

/// Why an emission config was refused.
#[derive(thiserror::Error, Debug, PartialEq, Eq)]
pub enum EmissionError {
    /// A zero-second emission epoch: the epoch of a time could not be computed.
    #[error("emission epoch length must be positive")]
    ZeroEpoch {},
}

impl EmissionConfig {
    /// Refuses a zero-second epoch.
    pub fn validate(&self) -> Result<(), EmissionError> {
        if self.epoch_seconds == 0 {
            return Err(EmissionError::ZeroEpoch {});
        }
        Ok(())
    }
}

/// The timelock's delay when the instantiation names none: two days.
pub const DEFAULT_MIN_DELAY: u64 = 2 * 86_400;
/// The longest `min_delay`: 30 days (a longer one could freeze governance by mistake).
pub const MAX_MIN_DELAY: u64 = 30 * 86_400;
/// A proposal may be executed for this long after its eta; later it has expired (an old
/// proposal is not a change users can still be expected to watch for).
pub const EXECUTION_WINDOW: u64 = 14 * 86_400;

#[cw_serde]
pub struct InstantiateMsg {
    /// Governance: sets class parameters, the registry and the pair code.
    pub owner: String,
    pub token_code_id: u64,
    pub token: TokenInit,
    pub stake_cert_code_id: u64,
    pub pair_code_id: u64,
    pub emission: EmissionConfig,
    /// The wasm admin (who may migrate the code) of the token, the stake certificates and every
    /// pair the factory instantiates: a multisig, never a single hot key. None: no admin, the
    /// contracts cannot be migrated.
    pub admin: Option<String>,
    /// Seconds between a governance proposal and the earliest time it can be executed, at most
    /// [`MAX_MIN_DELAY`]. None: [`DEFAULT_MIN_DELAY`]. Tests and devnets use a few seconds;
    /// zero disables the notice.
    pub min_delay: Option<u64>,
}

/// A governance change that goes through the timelock.
#[cw_serde]
pub enum GovernanceAction {
    /// Points the factory at another PoCPS registry: the one address every pair lets
    /// invalidate (seize) any stake, and a rewards minter.
    SetRegistry { registry: String },
    /// Sets the parameters of a class (the immediate `SetClassParams` refuses a class with a
    /// pool; the pool itself keeps the parameters it was created with). Boxed: every other
    /// action is small.
    SetClassParams {
        class: String,
        params: Box<PoolParams>,
    },
    /// The pair code of later pools: a new pair becomes a stake-certificate issuer and a
    /// rewards minter.
    SetPairCodeId { code_id: u64 },
    /// The wasm admin of the pairs instantiated later (None: no admin).
    SetAdmin { admin: Option<String> },
    /// The timelock's delay for proposals made after this one is executed.
    SetMinDelay { min_delay: u64 },
    /// Migrates `contract` to code `code_id` with `msg` (its `MigrateMsg`). The factory sends
    /// the migration, so it must be that contract's wasm admin: a deployment that makes the
    /// factory the admin of every contract (`admin` = the factory for pairs, `UpdateAdmin` of
    /// the token, the certificates and the registry) puts every migration behind this notice,
    /// where a single admin key could migrate at once.
    Migrate {
        contract: String,
        code_id: u64,
        msg: Binary,
    },
}

#[cw_ownable_execute]
#[cw_serde]
pub enum ExecuteMsg {
    /// Sets the parameters of a resource class that has no pool yet. Owner only, at once;
    /// validated (beta < gamma, minimum duration >= T_min). A class with a pool: propose
    /// [`GovernanceAction::SetClassParams`]. Boxed, as in the action.
    SetClassParams {
        class: String,
        params: Box<PoolParams>,
    },
    /// Creates the pool of a resource class. Anyone; one pool per class.
    CreatePool { class: String },
    /// Sets the PoCPS registry, which may invalidate stakes and ask for verifier rewards. Owner
    /// only, at once only while no pool exists; afterwards propose
    /// [`GovernanceAction::SetRegistry`].
    SetRegistry { registry: String },
    /// Sets the pair code used by later CreatePool calls. Owner only, at once only while no
    /// pool exists; afterwards propose [`GovernanceAction::SetPairCodeId`].
    SetPairCodeId { code_id: u64 },
    /// Records `action` to be executed `min_delay` seconds from now at the earliest. Owner
    /// only; the action is validated now and again when executed.
    Propose { action: GovernanceAction },
    /// Executes a proposal whose eta has come, within [`EXECUTION_WINDOW`] of it. Anyone.
    Execute { id: u64 },
    /// Drops a pending proposal. Owner only.
    Cancel { id: u64 },
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
    /// The timelock's delay and the wasm admin given to new contracts.
    #[returns(GovernanceResponse)]
    Governance {},
    /// Pending governance proposals by id, paginated: what may change, and from when.
    #[returns(ProposalsResponse)]
    Proposals {
        start_after: Option<u64>,
        limit: Option<u32>,
    },
    /// One pending proposal.
    #[returns(Proposal)]
    Proposal { id: u64 },
}

#[cw_serde]
pub struct GovernanceResponse {
    pub min_delay: u64,
    /// The wasm admin of contracts the factory instantiates from now on.
    pub admin: Option<Addr>,
}

/// A pending governance change.
#[cw_serde]
pub struct Proposal {
    pub id: u64,
    pub action: GovernanceAction,
    pub proposed_at: Timestamp,
    /// The earliest time it can be executed.
    pub eta: Timestamp,
    /// After this it can no longer be executed.
    pub expires: Timestamp,
}

#[cw_serde]
pub struct ProposalsResponse {
    pub proposals: Vec<Proposal>,
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
