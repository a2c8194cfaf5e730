//! The registry suites' parameters: openings, chain length, round, bond, reward, beacon value.

use crate::protocol::LOOP;

/// Round openings k the tests' verifiers ask for.
pub const K: u32 = 8;
/// Chained reads R of the timed chains the tests' verifiers ask for (the registry's least).
pub const CHAIN: u32 = 24;
pub const ROUND: u64 = 60;
pub const BOND: u128 = 100 * LOOP;
pub const REWARD: u128 = LOOP;
pub const EK_RANDOMNESS: &[u8] = b"beacon-value-at-setup";
