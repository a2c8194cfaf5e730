//! PinFi pool mathematics, shared by the pair contract, the services and the simulator.
//!
//! Pure functions over checked integers: no storage, no entry points. Every rounding favours the
//! pool: what the pool pays out is floored, what it takes in is ceiled.
//!
//! Units:
//! - LOOP amounts are `Uint128` in the token's smallest unit.
//! - Compute hours are `Uint128` in micro-hours ([`HOUR`] units per device-hour), so epochs
//!   shorter than an hour (the devnet's) still carry whole units.
//! - Rates are device-hours per hour (`Decimal`); times are block seconds.

pub mod amm;
pub mod capacity;
pub mod dissipation;
pub mod economics;
mod error;
pub mod oracle;
pub mod settlement;
pub mod shares;

pub use error::MathError;

/// Micro-hour units per device-hour.
pub const HOUR: u128 = 1_000_000;
/// Seconds per hour.
pub const SECONDS_PER_HOUR: u64 = 3_600;
