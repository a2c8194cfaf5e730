//! LOOP, the LooPIN utility token: cw20-base used as a library.
//!
//! Every cw20 message and query is cw20-base's own code. LooPIN adds: a minter is required at
//! instantiation (the protocol's emission path), attached native funds are refused, and a supply
//! audit (genesis supply, minted, burned) is kept and served.

pub mod contract;
pub mod error;
mod query;
pub mod state;
mod supply;

pub use crate::error::ContractError;
