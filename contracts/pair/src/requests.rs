//! What a Stake or a Lease hook asks for, and the deadline a call may be bounded by: below the
//! handlers that read them (`staking`, `device_claim`, `leasing`, `liquidity`).

use cosmwasm_std::{Addr, Decimal, Env, HexBinary, Timestamp, Uint128};
use loopin::stake_cert::StakeMode;

use crate::error::ContractError;

/// Refuses a call bounded by a `deadline` the block is past.
pub(crate) fn check_deadline(env: &Env, deadline: Option<Timestamp>) -> Result<(), ContractError> {
    match deadline {
        Some(deadline) if env.block.time > deadline => {
            Err(ContractError::DeadlinePassed { deadline })
        }
        _ => Ok(()),
    }
}

/// What a Stake hook asks for.
pub struct StakeRequest {
    pub device_id: String,
    pub mode: StakeMode,
    pub rate: Decimal,
    pub epochs: u64,
    pub commitment: HexBinary,
    pub max_liquidity: Option<Uint128>,
    /// The device's key and its signature over the stake (`device_claim`).
    pub device_key: HexBinary,
    pub device_signature: HexBinary,
    /// A provider's bounds, outside the device's claim (`ReceiveMsg::Stake`).
    pub min_shares: Option<Uint128>,
    pub max_price: Option<Decimal>,
    pub deadline: Option<Timestamp>,
}

/// A lease request from a Lease hook.
pub struct LeaseRequest {
    pub stake_id: u64,
    pub hours: Uint128,
    pub client_key: HexBinary,
    pub ssh_key: String,
    pub deadline: Option<Timestamp>,
    pub renewals: u32,
    pub max_renewal_price: Option<Decimal>,
    pub renewer: Option<Addr>,
}
