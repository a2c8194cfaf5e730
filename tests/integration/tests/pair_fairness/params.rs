//! The property's cast and tolerances, shared by the world, the steps and the run.

/// The adversary.
pub const ADV: &str = "carol";
/// The smallest lease the pool takes (micro-hours).
pub const MIN_LEASE: u128 = loopin::pool::DEFAULT_MIN_LEASE_HOURS;
/// Rounding allowed per comparison (micro-LOOP).
pub const TOL: i128 = 100;
/// The honest stakes, in the order they are made.
pub const SUPPLIERS: [(&str, u64); 3] = [("alice", 1), ("bob", 2), ("seller", 3)];
