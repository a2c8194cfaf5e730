//! The shared timeline's steps: the honest parties' `Step`s, the adversary's `Adv` actions, and
//! the proptest strategies that draw them.

use loopin_integration_tests::protocol::EPOCH;
use loopin_pool_math::HOUR;
use proptest::prelude::*;

use crate::params::MIN_LEASE;

/// One step of the shared timeline; `Adv` steps run in world B only (but for its supply).
#[derive(Clone, Debug)]
pub(crate) enum Step {
    /// Seconds to wait; whether the keeper then advances the pools.
    Wait(u64, bool),
    /// To `.0` seconds before the next boundary; keeper.
    ToBoundary(u64, bool),
    /// The client leases hours on an honest stake, sending A's quote plus a slippage in %.
    Lease(u64, u128, u128),
    /// Dave orders hours on an honest stake, 20 renewals, optionally at most a % of A's spot.
    Order(u64, u128, Option<u128>),
    RenewOrder,
    /// An honest supplier claims.
    Claim(usize),
    Adv(Adv),
}

/// The adversary's actions; `usize` picks one of its leases (or, now and then, dave's).
#[derive(Clone, Debug)]
pub(crate) enum Adv {
    Provide(u128),
    Withdraw(u128),
    /// Stake id, micro-hours, renewals.
    Lease(u64, u128, u32),
    /// Minimum-size leases on one stake.
    Burst(u64, u32),
    Cancel(usize),
    Close(usize),
    Renew(usize),
    RenewHonest,
    Claim(u64),
    Dispute(usize),
    Advance,
    /// Seller?, epochs, rate in tenths: mirrored in A.
    Stake(bool, u64, u64),
    /// One of its stakes, renewed by 1 to 3 epochs (mirrored in A).
    RenewStake(usize, u32),
    /// One of its stakes ended early (mirrored in A).
    ExitStake(usize),
    /// Renews, exits or tops up an honest supplier's stake, or sets its standing renewal:
    /// refused.
    MeddleWithStake(usize),
    /// Claims the rewards of one of its leases (or, now and then, of dave's).
    ClaimLeaseRewards(usize),
    ClaimLiquidityRewards,
}

fn log_amount(max_exp: u32) -> impl Strategy<Value = u128> {
    (0..=max_exp, 1u128..10).prop_map(|(exp, m)| m * 10u128.pow(exp))
}

fn adv() -> impl Strategy<Value = Adv> {
    let (stake, pick) = (1u64..8, any::<usize>());
    let hours = prop_oneof![log_amount(6), 1u128..1_000_000];
    prop_oneof![
        3 => log_amount(12).prop_map(Adv::Provide),
        2 => (1u128..=1_000).prop_map(Adv::Withdraw),
        4 => (stake.clone(), hours, 0u32..3).prop_map(|(s, h, r)| Adv::Lease(s, h, r)),
        1 => (stake.clone(), 1u32..40).prop_map(|(s, n)| Adv::Burst(s, n)),
        3 => pick.prop_map(Adv::Cancel),
        1 => pick.prop_map(Adv::Close),
        1 => pick.prop_map(Adv::Renew),
        1 => Just(Adv::RenewHonest),
        1 => stake.prop_map(Adv::Claim),
        1 => pick.prop_map(Adv::Dispute),
        1 => Just(Adv::Advance),
        1 => (any::<bool>(), 3u64..8, 1u64..=10).prop_map(|(s, e, r)| Adv::Stake(s, e, r)),
        1 => (pick, 1u32..=3).prop_map(|(i, e)| Adv::RenewStake(i, e)),
        1 => pick.prop_map(Adv::ExitStake),
        1 => pick.prop_map(Adv::MeddleWithStake),
        1 => pick.prop_map(Adv::ClaimLeaseRewards),
        1 => Just(Adv::ClaimLiquidityRewards),
    ]
}

pub(crate) fn step() -> impl Strategy<Value = Step> {
    let hours = MIN_LEASE..=HOUR / 2;
    let slack = prop::sample::select(vec![0u128, 1, 10, 100]);
    prop_oneof![
        3 => (1u64..EPOCH, prop::bool::weighted(0.7)).prop_map(|(s, k)| Step::Wait(s, k)),
        2 => (0u64..3, any::<bool>()).prop_map(|(s, k)| Step::ToBoundary(s, k)),
        3 => (1u64..4, hours.clone(), slack).prop_map(|(s, h, p)| Step::Lease(s, h, p)),
        1 => (1u64..3, hours, prop::option::of(100u128..300))
            .prop_map(|(s, h, p)| Step::Order(s, h, p)),
        3 => Just(Step::RenewOrder),
        1 => (0usize..3).prop_map(Step::Claim),
        14 => adv().prop_map(Step::Adv),
    ]
}
