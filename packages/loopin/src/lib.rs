//! Message types and helpers shared by the LooPIN contracts and the services that call them.
//!
//! Each contract's public API lives here (as in Astroport's `packages/astroport`), so a contract
//! that calls another one, a service and the schema generator all use the same types.

pub mod access;
pub mod device;
pub mod factory;
pub mod gpu_classes;
pub mod migrate;
pub mod pair;
pub mod pool;
pub mod price_feed;
pub mod registry;
pub mod rewards_bridge;
pub mod stake_cert;
pub mod token;

/// Default page size of paginated queries.
pub const DEFAULT_PAGE_LIMIT: u32 = 30;
/// Largest page size a paginated query returns.
pub const MAX_PAGE_LIMIT: u32 = 100;

/// Clamps a caller's requested page size to `1..=MAX_PAGE_LIMIT`.
pub fn page_limit(requested: Option<u32>) -> usize {
    requested
        .unwrap_or(DEFAULT_PAGE_LIMIT)
        .clamp(1, MAX_PAGE_LIMIT) as usize
}
