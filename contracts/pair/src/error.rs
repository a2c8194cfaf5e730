use cosmwasm_std::{Decimal, Decimal256, OverflowError, StdError, Timestamp, Uint128};
use cw_utils::PaymentError;
use loopin::migrate::MigrateError;
use loopin_pool_math::MathError;
use thiserror::Error;

/// Errors of the pair. Every refusal changes nothing.
#[derive(Error, Debug, PartialEq)]
pub enum ContractError {
    #[error("{0}")]
    Std(#[from] StdError),

    #[error("{0}")]
    Overflow(#[from] OverflowError),

    #[error("{0}")]
    Payment(#[from] PaymentError),

    #[error("{0}")]
    Migrate(#[from] MigrateError),

    #[error("pool math: {0}")]
    Math(#[from] MathError),

    #[error("only the pool's LOOP token may be sent here")]
    WrongToken {},

    #[error("unauthorized")]
    Unauthorized {},

    #[error("only the PoCPS registry may invalidate stakes or report a device registered")]
    NotRegistry {},

    #[error("deadline {deadline} has passed")]
    DeadlinePassed { deadline: Timestamp },

    #[error("{behind} epoch boundaries are due; call AdvanceEpoch first")]
    EpochsDue { behind: u64 },

    #[error("no epoch boundary is due")]
    NothingToAdvance {},

    #[error("duration must be {min} to {max} epochs")]
    InvalidDuration { min: u64, max: u64 },

    #[error("rate must be positive and supply at least one micro-hour per epoch")]
    InvalidRate {},

    #[error("{needed} LOOP needed, {offered} sent")]
    InsufficientFunds { needed: Uint128, offered: Uint128 },

    #[error("the pool has no price yet: a liquidity provider must stake first")]
    NoPrice {},

    #[error("the stake would mint {minted} shares, below the staker's minimum {min}")]
    SharesBelowMinimum { minted: Uint128, min: Uint128 },

    #[error("the stake would pay {price} LOOP per device-hour, above the staker's maximum {max}")]
    PriceAboveMaximum { price: Decimal256, max: Decimal },

    #[error("stake {id} not found")]
    StakeNotFound { id: u64 },

    #[error("lease {id} not found")]
    LeaseNotFound { id: u64 },

    #[error("stake {id} does not supply epoch {epoch}")]
    NotSupplying { id: u64, epoch: u64 },

    #[error("stake {id} has {free} free micro-hours in epoch {epoch}, {wanted} wanted")]
    NotEnoughFreeHours {
        id: u64,
        epoch: u64,
        free: Uint128,
        wanted: Uint128,
    },

    #[error("stake {id} already carries the most leases allowed in epoch {epoch}")]
    TooManyLeases { id: u64, epoch: u64 },

    #[error("client key must be 32 bytes")]
    InvalidClientKey {},

    #[error("access record must be 1 to 1024 bytes")]
    InvalidAccess {},

    #[error("stake {id} can no longer be renewed: its last epoch is already traded")]
    RenewTooLate { id: u64 },

    #[error("the seller's deposit does not cover the maintenance burn of a longer stake")]
    DepositTooLow {},

    #[error("stake {id} is invalidated")]
    Invalidated { id: u64 },

    #[error("nothing to claim yet")]
    NothingToClaim {},

    #[error("epoch {epoch} is not final yet: passes may still prove it")]
    EpochNotFinal { epoch: u64 },

    #[error("epoch {epoch} is proven: its leases are paid for")]
    EpochProven { epoch: u64 },

    #[error("epoch {epoch} ended unproven and was settled: its leases are refunded")]
    EpochSettled { epoch: u64 },

    #[error("stake {id}'s pay for epoch {epoch} was released already")]
    PayReleased { id: u64, epoch: u64 },

    #[error("epoch {epoch} is not one of stake {id}'s")]
    EpochOutsideStake { id: u64, epoch: u64 },

    #[error("{owed} LOOP of rewards are owed, but the factory's emission for this epoch is spent")]
    EmissionExhausted { owed: Uint128 },

    #[error("lease {id} can no longer be cancelled")]
    CannotCancel { id: u64 },

    #[error("lease {id} is no standing order due for renewal now")]
    NotRenewable { id: u64 },

    #[error("a lease of {hours} micro-hours is below the pool's smallest, {min}")]
    LeaseBelowMinimum { hours: Uint128, min: Uint128 },

    #[error("the renewal costs {offer} LOOP, above the order's bound of {bound}")]
    RenewalAboveBound { offer: Uint128, bound: Uint128 },

    #[error("lease {id} is cancelled or refunded")]
    LeaseClosed { id: u64 },

    #[error("refund {refund} is below the minimum {min_refund}")]
    RefundBelowMinimum {
        refund: Uint128,
        min_refund: Uint128,
    },

    #[error("{got} is below the minimum {min}")]
    SlippageExceeded { got: Uint128, min: Uint128 },

    #[error("{held} shares held, {wanted} asked")]
    InsufficientShares { held: Uint128, wanted: Uint128 },

    #[error("no stake holds certificate {token_id}")]
    UnknownCertificate { token_id: String },

    #[error("reason must be 1 to 256 characters")]
    InvalidReason {},

    #[error("invalid ssh key: {reason}")]
    InvalidSshKey { reason: String },

    #[error("lease {id} was renewed by lease {renewed_by}: extend the order's latest lease")]
    NotLatestLease { id: u64, renewed_by: u64 },

    #[error("lease {id} is over")]
    LeaseOver { id: u64 },

    #[error("an order is extended by at least one renewal")]
    ZeroRenewals {},

    #[error("lease {id} is already completed")]
    AlreadyCompleted { id: u64 },

    #[error("lease {id} is not over yet")]
    LeaseNotOver { id: u64 },

    #[error("a dispute's reason must be 1 to {max} bytes")]
    InvalidDisputeReason { max: usize },

    #[error("lease {id} cannot be disputed before its epoch {epoch} starts")]
    LeaseNotStarted { id: u64, epoch: u64 },

    #[error("the dispute window of lease {id} has closed")]
    DisputeWindowClosed { id: u64 },

    #[error("lease {id} is already disputed")]
    AlreadyDisputed { id: u64 },

    #[error("only governance (the factory's owner) may resolve disputes")]
    NotGovernance {},

    #[error("lease {id} has no open dispute")]
    NoOpenDispute { id: u64 },

    #[error("refund {refund} is above the {paid} the lease paid")]
    RefundAboveLeasePaid { refund: Uint128, paid: Uint128 },

    #[error("a stake's rate {rate} is below the pool's smallest, {min} device-hours per hour")]
    RateBelowMinimum { rate: Decimal, min: Decimal },

    #[error(
        "a stake's rate {rate} is above what one device of the pool supplies, {max} device-hours per hour"
    )]
    RateAboveMaximum { rate: Decimal, max: Decimal },

    #[error("stake {id}'s device is not registered with the PoCPS registry: it supplies no hours")]
    DeviceNotVerified { id: u64 },

    #[error("a device key is a compressed secp256k1 key of 33 bytes")]
    InvalidDeviceKey {},

    #[error("device id {device_id} is not the id of the device key, {expected}")]
    DeviceKeyMismatch { device_id: String, expected: String },

    #[error("the device key did not sign this stake (staker, pool, chain and terms)")]
    InvalidDeviceSignature {},

    #[error("lease {id} was cancelled or refunded: it earns no rewards")]
    LeaseRewardForfeited { id: u64 },

    #[error("lease {id} is disputed: its rewards wait for governance's ruling")]
    LeaseDisputed { id: u64 },

    #[error(
        "the rewards of lease {id} are due once its epoch {epoch} is final and its dispute window closed"
    )]
    LeaseRewardNotDue { id: u64, epoch: u64 },

    #[error("epoch {epoch} is not proven: its leases earn no rewards")]
    EpochNotProven { epoch: u64 },

    #[error("a claim names 1 to {max} distinct leases")]
    InvalidLeaseList { max: u32 },

    #[error("a renewal adds 1 to {max} epochs")]
    InvalidRenewal { max: u32 },

    #[error("stake {id} may be renewed by others up to epoch {until}, not to {new_end}")]
    BeyondAutoRenew { id: u64, until: u64, new_end: u64 },

    #[error("a standing renewal ends after the stake's end {end} and at most at epoch {longest}")]
    InvalidAutoRenew { end: u64, longest: u64 },

    #[error("stake {id} is a liquidity provider's: it has no deposit")]
    NotASeller { id: u64 },

    #[error("stake {id} is finished")]
    StakeFinished { id: u64 },

    #[error("stake {id} ends at epoch {end_epoch} already: an exit would give up nothing")]
    ExitTooLate { id: u64, end_epoch: u64 },
}
