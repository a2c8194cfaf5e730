//! Messages of the dissipative pair (`contracts/pair`). The model is in `docs/pair.md`.

use cosmwasm_schema::{QueryResponses, cw_serde};
use cosmwasm_std::{Addr, Binary, Decimal, Decimal256, HexBinary, Int128, Timestamp, Uint128};
use cw20::Cw20ReceiveMsg;
use loopin_pool_math::amm::Reserves;
use loopin_pool_math::oracle::PriceAccumulator;

mod audit;
pub use audit::AuditEvent;

use crate::pool::PoolParams;
use crate::stake_cert::StakeMode;

/// Length of a client's X25519 public key.
pub const CLIENT_KEY_LEN: usize = 32;
/// Leases one stake may carry in one epoch; bounds the refunds an invalidation pays.
pub const MAX_LEASES_PER_EPOCH: u32 = 32;
/// Largest encrypted access record a miner may post.
pub const MAX_ACCESS_LEN: usize = 1024;
/// Longest reason a client may give for a dispute.
pub const MAX_DISPUTE_REASON_LEN: usize = 256;
/// A dispute's bond is the disputed lease's price divided by this, rounded up (at least 1).
pub const DISPUTE_BOND_DIVISOR: u128 = 10;
/// Most epochs one `Renew` adds.
pub const MAX_RENEW_EPOCHS: u32 = 64;
/// A renewal by anyone but the owner (within its `SetAutoRenew`) leaves the stake ending at most
/// this many epochs after the trading epoch: the owner's commitment never runs further ahead of
/// now, so withdrawing the instruction takes effect within as many epochs.
pub const AUTO_RENEW_AHEAD: u64 = 3;
/// Epochs an exited stake's last pay waits after its end when the registry's lateness window
/// and appeal cannot be read (no registry contract answers): a day of hourly epochs.
pub const DEFAULT_EXIT_HOLD_EPOCHS: u64 = 24;
/// Most leases one `ClaimLeaseRewards` pays.
pub const MAX_CLAIMED_LEASES: usize = 32;

#[cw_serde]
pub enum ExecuteMsg {
    /// LOOP sent with a [`ReceiveMsg`] (cw20 `Send`).
    Receive(Cw20ReceiveMsg),
    /// Processes due epoch boundaries, at most `max_epochs` (default 16) of them. Anyone.
    AdvanceEpoch { max_epochs: Option<u32> },
    /// Extends a stake by `epochs` (default 1, at most [`MAX_RENEW_EPOCHS`]), before its last
    /// epoch is traded, within the class's `max_epochs` (a seller's deposit must cover the
    /// longer stake's maintenance: `TopUp`). Its owner, or anyone when the new end is within
    /// the owner's standing instruction (`SetAutoRenew`) and at most [`AUTO_RENEW_AHEAD`]
    /// epochs after the trading epoch: a keeper keeps it rolling without the miner's
    /// signature each epoch.
    Renew {
        stake_id: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        epochs: Option<u32>,
    },
    /// The owner's standing instruction to renew its stake: anyone may renew it up to epoch
    /// `until_epoch` (after its end, at most `max_epochs` after its start); `None` withdraws
    /// it. Its owner only.
    SetAutoRenew {
        stake_id: u64,
        until_epoch: Option<u64>,
    },
    /// Ends a stake early: it still supplies the epoch being delivered and the trading epoch
    /// (clients may have leased their hours) and ends at the next epoch (a seller's stake not
    /// started yet keeps its first); its certificate's expiry moves there. It forfeits the
    /// maintenance of the epochs it gives up (the class's `beta` per device-hour), burned out
    /// of its last pay (a seller's deposit, a provider's settlement) after what its clients are
    /// owed (unproven epochs' refunds, disputes, clawbacks). That last pay waits, past the
    /// end's dispute window, for the registry's lateness window and appeal (or
    /// [`DEFAULT_EXIT_HOLD_EPOCHS`]): a failure found after the exit still invalidates the
    /// stake and seizes it. Withdraws its `SetAutoRenew`. Its owner only; refused when it ends
    /// by then anyway (`ExitTooLate`).
    Exit { stake_id: u64 },
    /// Pays what a stake has earned so far: settled liquidity, released seller proceeds, the
    /// deposit and rewards at the end. Its owner only.
    Claim { stake_id: u64 },
    /// Sells a lease's hours back before its epoch starts. Its client only.
    CancelLease {
        lease_id: u64,
        min_refund: Uint128,
        deadline: Option<Timestamp>,
    },
    /// Buys the next epoch of a standing order: the same hours on the same device, from the
    /// order's budget, within the order's price bounds, while the lease's epoch is being
    /// delivered. The order's client or the renewer it named only: whoever picks the moment of
    /// a purchase could otherwise sandwich it.
    RenewLease { lease_id: u64 },
    /// Ends a standing order and refunds what is left of its budget. Its client only.
    CloseOrder { lease_id: u64 },
    /// Posts the lease's access details, encrypted to the client's key. The device's miner only.
    PostAccess { lease_id: u64, ciphertext: Binary },
    /// Records that the miner has ended the client's sessions and removed its account: after
    /// the lease's epoch, or once the lease was cancelled or the device invalidated. The device's
    /// miner only; once per lease.
    CompleteLease { lease_id: u64 },
    /// Resolves a dispute: `refund` (at most what the lease paid) goes back to the client out of
    /// the serving stake's held pay, as far as it goes, and what the lease paid is no longer
    /// retained from the stake's pay. The bond goes back to the client when `refund` is above
    /// zero and is burned when it is zero. The factory's owner (governance) only.
    ResolveDispute { lease_id: u64, refund: Uint128 },
    /// Invalidates the stake behind a certificate after a failed PoCPS challenge. The registry
    /// only.
    Invalidate { token_id: String, reason: String },
    /// Reports that the registry registered the device of certificate `token_id` with the
    /// commitment it was staked with: its hours may be leased and its epochs earn rewards from
    /// the first epoch whose sale is still to come (a provider's: the trading epoch of this
    /// report; a seller's: the one after it, sold at the next boundary with every seller's at
    /// one price), or the stake's first. The registry only (it sends this from
    /// `RegisterDevice`); a second report changes nothing.
    DeviceRegistered { token_id: String },
    /// Reports that the registry accepted an on-time, valid pass of a challenge to the device
    /// of certificate `token_id` assigned at `challenged_at` and checked by `verifier`: one pass
    /// for the stake's epoch containing that time, if no pass of that verifier counted in it
    /// already. An epoch with the class's `min_passes_per_epoch` (from as many distinct
    /// verifiers) is *proven*;
    /// only proven epochs pay (docs/pair.md, "Proven epochs"). A report for an epoch outside
    /// the stake's registered epochs, or one already final, counts nothing. The registry only
    /// (it sends this from `Submit` with a `Pass`).
    DeviceProven {
        token_id: String,
        challenged_at: Timestamp,
        /// `None` from a registry older than the field: counted as one verifier, the registry.
        #[serde(default)]
        verifier: Option<String>,
        /// The last time an audit may open on the pass (the registry's `audit_seconds` after
        /// it): the epoch's pay is held until then when the pool's own hold ends sooner, so
        /// nothing is paid for a pass that can still be voided. `None` from a registry older
        /// than the field: no hold beyond the pool's.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        audit_until: Option<Timestamp>,
    },
    /// What an audit did to a pass the registry reported (`DeviceProven`), by `verifier` at
    /// `challenged_at` on the device of `token_id` (docs/pair.md, "Proven epochs"):
    /// - [`AuditEvent::Opened`]: its first audit opened. While a counted pass has an open
    ///   audit, its epoch's pay (a seller's proceeds, the stake's rewards, its leases'
    ///   rewards) is held, since the audit may void it.
    /// - [`AuditEvent::Cleared`]: its last open audit was decided with the pass standing (or
    ///   closed before its void): what its opening held is released.
    /// - [`AuditEvent::Voided`]: it no longer counts towards its epoch, which may so end
    ///   unproven.
    ///
    /// Changes nothing for a pass never counted, or once the epoch's pay was released (a seller
    /// paid for it, a finished stake); a clearing releases only what an opening held. The
    /// registry only (it sends this from `Audit`, an audit's decision and `FinalizeAudit`).
    /// Also read under its former name, `device_proof_voided`, which carried only voids.
    #[serde(alias = "device_proof_voided")]
    DeviceProofAudit {
        token_id: String,
        challenged_at: Timestamp,
        verifier: String,
        /// `voided` when absent (the message's former form).
        #[serde(default)]
        event: AuditEvent,
    },
    /// Settles a stake's epoch that ended unproven (fewer passes than the class asks): every
    /// lease of it is refunded to its client out of what the stake holds (a lease under an
    /// open dispute is left to governance), and for a seller the pool gets back what it paid
    /// for the epoch's hours. Anyone (a client, its app, a keeper). Refused for an epoch not
    /// the stake's, not ended, proven, settled already, or whose pay was released.
    SettleUnproven { stake_id: u64, epoch: u64 },
    /// Burns `shares` of the sender's liquidity for LOOP, less the exchange fee (burned).
    WithdrawLiquidity {
        shares: Uint128,
        min_out: Uint128,
        deadline: Option<Timestamp>,
    },
    /// Pays the rewards of delivered leases (the class's `incentives`): to the sender, the
    /// client's reward of each lease it bought and the utilisation reward of each lease its
    /// stake served (both, for a lease of its own). A lease's rewards are due once its epoch is
    /// proven, final and past the dispute window, and it was neither cancelled nor refunded and
    /// has no open dispute; a stake invalidated since earns no utilisation reward. 1 to
    /// [`MAX_CLAIMED_LEASES`] distinct leases, refused as a whole if one is not due. Minted
    /// within the factory's emission left this epoch; the rest stays owed on the lease. The
    /// lease's client or the serving stake's owner only.
    ClaimLeaseRewards { lease_ids: Vec<u64> },
    /// Pays the sender's passive liquidity rewards accrued so far (the class's
    /// `incentives.liquidity_per_epoch`, shared among the shares held through each epoch),
    /// within the factory's emission left this epoch; the rest stays owed. Anyone with
    /// liquidity rewards.
    ClaimLiquidityRewards {},
}

/// What LOOP sent to the pair is for.
#[cw_serde]
pub enum ReceiveMsg {
    /// Stakes a device. The LOOP pays the staking fee and, for a liquidity provider, the LOOP
    /// side of its first epoch (up to `max_liquidity`) or, for a seller, the maintenance deposit.
    /// The rest is refunded. A seller's hours are sold only once the registry has registered
    /// its device ([`ExecuteMsg::DeviceRegistered`]).
    ///
    /// The device is its key: `device_id` must be `loopin::device::device_id(device_key)` (the
    /// hash of the compressed secp256k1 key its PoCPS commitment names), and `device_signature`
    /// that key's signature over the `loopin::device::StakeClaim` of this stake (chain id, pair,
    /// device id, staker, commitment, mode, rate, epochs). Nobody can stake a device without its
    /// key, and a signature does not serve another staker, pool, chain or terms.
    ///
    /// A provider's stake is a trade at the pool's price of the moment it executes, so the
    /// staker bounds it, as a client bounds a lease, by the quote it saw: `max_price`,
    /// `min_shares` and `deadline`, outside the device's claim (the device consents to the
    /// terms, not to a price). Whoever sees the stake pending can lease hours just before it,
    /// raising the price its hours match, and cancel them right after, selling them back into
    /// the pool the stake deepened at that price: the provider pays more LOOP for shares worth
    /// less and the lessee keeps much of the difference (docs/pair.md, "Threats"). A floor on
    /// the shares does not stop that: a pumped price mints the provider *more* shares
    /// (`h·S/x`, `x` lowered), so the bound is on the price, `max_price`. `max_liquidity` (or
    /// the LOOP sent) caps the same price for the hours the rate gives, but only if the staker
    /// sends no more than its quote needs; `max_price` holds whatever is sent. The reverse
    /// order (hours sold back just before, bought back after) lowers the price and mints fewer
    /// shares: `min_shares` refuses it. Leasing every hour, so that the stake sets the price
    /// with all it brings, is not possible: the curve never sells its last hour. All three
    /// `None` (older clients): bounded by `max_liquidity` and the LOOP sent only.
    Stake {
        device_id: String,
        mode: StakeMode,
        rate: Decimal,
        epochs: u64,
        commitment: HexBinary,
        max_liquidity: Option<Uint128>,
        /// The device's compressed SEC1 public key (33 bytes).
        device_key: HexBinary,
        /// The device key's compact signature (r‖s, 64 bytes) over the stake claim.
        device_signature: HexBinary,
        /// A liquidity provider's floor on the shares minted to it (`SharesBelowMinimum`
        /// otherwise): the price pushed *down* before the stake (hours sold back) mints fewer
        /// shares for its hours, and, when it sets the price, LOOP per share raised mints fewer
        /// for its LOOP. Not read for a seller (it mints none).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min_shares: Option<Uint128>,
        /// The most LOOP (smallest unit) per device-hour a liquidity provider's stake pays:
        /// the pool's spot price it matches, or, when the pool lists no hours, the price its
        /// deposit sets (the pool's LOOP, its own included, per its hours);
        /// `PriceAboveMaximum` otherwise. Not read for a seller.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_price: Option<Decimal>,
        /// The stake is refused after this time (`DeadlinePassed`), as a lease is.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        deadline: Option<Timestamp>,
    },
    /// Adds LOOP liquidity, which funds the sellers' sales and earns from leases. Shares are
    /// minted at the pool's LOOP per share; at least `min_shares`.
    ProvideLiquidity {
        min_shares: Uint128,
        deadline: Option<Timestamp>,
    },
    /// Leases `hours` micro-hours of the trading epoch on a stake's device. The LOOP sent is the
    /// most the client pays; the rest is refunded, or, with `renewals`, kept as the budget of a
    /// standing order renewed epoch by epoch (`RenewLease`) for a longer job.
    Lease {
        stake_id: u64,
        hours: Uint128,
        /// X25519 public key the access details are encrypted to.
        client_key: HexBinary,
        /// OpenSSH public key the miner installs for the client (`loopin::access`); stored in
        /// canonical form.
        ssh_key: String,
        deadline: Option<Timestamp>,
        renewals: Option<u32>,
        /// The most a renewal of this standing order pays, in LOOP (smallest unit) per
        /// device-hour, fee included. Whatever it is, a renewal never spends more than the
        /// budget left divided by the renewals left.
        #[serde(default)]
        max_renewal_price: Option<Decimal>,
        /// Who besides the client may renew the order (`RenewLease`): a keeper the client
        /// trusts with the timing of its purchases. None: the client only.
        #[serde(default)]
        renewer: Option<String>,
    },
    /// Disputes a lease whose epoch has started, before the pool's dispute window after it
    /// closes, with a bond of [`DISPUTE_BOND_DIVISOR`]-th of what the lease paid (rounded up;
    /// LOOP sent above it is refunded). What the lease paid is retained from the serving stake's
    /// pay until governance rules. The lease's client only; once per lease.
    Dispute { lease_id: u64, reason: String },
    /// Adds `renewals` epochs to the standing order whose latest lease is `lease_id`; the LOOP
    /// sent joins its budget. The lease's client only, while the lease is not over.
    Extend { lease_id: u64, renewals: u32 },
    /// Adds the LOOP sent to a seller's maintenance deposit, so that a longer stake (`Renew`)
    /// is covered; returned at its end less the maintenance burn, as the deposit is. The
    /// stake's owner only, until it is finished.
    TopUp { stake_id: u64 },
}

#[cw_serde]
#[derive(QueryResponses)]
pub enum QueryMsg {
    #[returns(ConfigResponse)]
    Config {},
    /// Reserves, shares, epochs, capacity and the price accumulator.
    #[returns(PoolResponse)]
    Pool {},
    #[returns(StakeResponse)]
    Stake { stake_id: u64 },
    #[returns(LeaseResponse)]
    Lease { lease_id: u64 },
    /// What a lease of `hours` costs now.
    #[returns(loopin_pool_math::amm::Swap)]
    SimulateLease { hours: Uint128 },
    /// What selling `hours` back (a cancellation) pays now, along the curve.
    #[returns(loopin_pool_math::amm::Swap)]
    SimulateSell { hours: Uint128 },
    /// Stakes of one owner, by id.
    #[returns(StakesResponse)]
    StakesByOwner {
        owner: String,
        start_after: Option<u64>,
        limit: Option<u32>,
    },
    /// Leases of one client, by id.
    #[returns(LeasesResponse)]
    LeasesByClient {
        client: String,
        start_after: Option<u64>,
        limit: Option<u32>,
    },
    /// Leases on one stake in one epoch (what its miner must serve).
    #[returns(LeasesResponse)]
    LeasesByStake { stake_id: u64, epoch: u64 },
    /// Open disputes on one stake, by lease id.
    #[returns(LeasesResponse)]
    Disputes {
        stake_id: u64,
        start_after: Option<u64>,
        limit: Option<u32>,
    },
    /// The passes a stake's device has for `epoch` and whether that epoch is proven.
    #[returns(EpochProofResponse)]
    EpochProof { stake_id: u64, epoch: u64 },
    /// What Claim would pay a stake now.
    #[returns(ClaimableResponse)]
    Claimable { stake_id: u64 },
    /// A liquidity provider's shares and what withdrawing them pays now, before the exit fee
    /// (LOOP per share at spot, never above its average this epoch).
    #[returns(LiquidityResponse)]
    Liquidity { owner: String },
    /// The accumulator as of now; with `since`, the TWAP over the window.
    #[returns(TwapResponse)]
    Twap { since: Option<PriceAccumulator> },
    /// A lease's rewards still owed, to its client and to the serving stake's owner, and
    /// whether a claim would pay them now.
    #[returns(LeaseRewardsResponse)]
    LeaseRewards { lease_id: u64 },
    /// A passive liquidity provider's rewards: accrued and unpaid, and its shares earning now
    /// or from the next epoch on.
    #[returns(LiquidityRewardsResponse)]
    LiquidityRewards { owner: String },
    /// Standing renewal instructions (`SetAutoRenew`), by stake id: what a keeper renews.
    #[returns(AutoRenewalsResponse)]
    AutoRenewals {
        start_after: Option<u64>,
        limit: Option<u32>,
    },
}

#[cw_serde]
pub struct AutoRenewal {
    pub stake_id: u64,
    /// Anyone may renew the stake up to this end epoch (and no further than
    /// [`AUTO_RENEW_AHEAD`] epochs after the trading epoch).
    pub until_epoch: u64,
    /// The stake's end epoch now.
    pub end_epoch: u64,
    /// An invalidated or finished stake is renewed no more.
    pub renewable: bool,
}

#[cw_serde]
pub struct AutoRenewalsResponse {
    pub renewals: Vec<AutoRenewal>,
}

#[cw_serde]
pub struct ConfigResponse {
    pub class: String,
    pub factory: Addr,
    pub token: Addr,
    pub stake_cert: Addr,
    pub params: PoolParams,
    pub genesis: u64,
}

#[cw_serde]
pub struct PoolResponse {
    /// Last epoch whose boundary has been processed.
    pub epoch: u64,
    /// Epoch whose hours are being traded (`epoch + 1`).
    pub trading_epoch: u64,
    /// Epoch by block time; above `epoch` when boundaries are due.
    pub clock_epoch: u64,
    pub reserves: Reserves,
    pub total_shares: Uint128,
    /// Spot price in LOOP's smallest unit per device-hour: the LOOP reserve over the hours
    /// reserve (micro-hours) times 1e6. None while a reserve is empty.
    pub spot_price: Option<Decimal256>,
    /// Hours per epoch of liquidity-provider stakes in the trading epoch.
    pub provider_hours: Uint128,
    /// Hours per epoch of seller stakes in the trading epoch.
    pub seller_hours: Uint128,
    /// LOOP held for settled positions and seller proceeds, not in the reserves.
    pub escrow: Uint128,
    pub accumulator: PriceAccumulator,
    /// What clients' leases of the trading epoch's hours left in the LOOP reserve, less
    /// cancellations' refunds (negative when refunds exceed payments); what is positive of it
    /// funds the sellers' sales once the epoch starts. (Absent from pairs before it: zero.)
    #[serde(default)]
    pub lease_revenue: Int128,
    /// What sellers' sales may still take out of the LOOP reserve this epoch (fee included):
    /// the last epoch's lease revenue, less the sales made since.
    #[serde(default)]
    pub seller_budget: Uint128,
    /// LOOP of open disputes' bonds, held outside the reserves and the escrow until governance
    /// rules. (Absent from pairs before it: zero; their bonds are in `escrow`.)
    #[serde(default)]
    pub dispute_bonds: Uint128,
}

#[cw_serde]
pub struct StakeResponse {
    pub id: u64,
    pub owner: Addr,
    pub token_id: String,
    pub device_id: String,
    pub mode: StakeMode,
    pub rate: Decimal,
    pub hours_per_epoch: Uint128,
    /// First trading epoch supplied.
    pub start_epoch: u64,
    /// First epoch no longer supplied.
    pub end_epoch: u64,
    pub shares: Uint128,
    pub deposit: Uint128,
    pub invalidated: bool,
    /// Seller proceeds are paid for epochs before this one.
    pub paid_until: u64,
    pub finished: bool,
    /// Rewards earned but not minted yet (the factory's emission cap was reached); claimable.
    pub rewards_owed: Uint128,
    /// Refunds granted to clients by resolved disputes, still to be taken from the stake's pay.
    pub clawback: Uint128,
    /// What the leases under open disputes paid: retained from the stake's pay, and no more.
    pub disputed: Uint128,
    /// Pay due to the stake but retained in escrow for its open disputes.
    pub retained: Uint128,
    /// The trading epoch from which the PoCPS registry has the stake's device registered;
    /// `None`: not registered, so its hours cannot be leased and it earns no rewards.
    #[serde(default)]
    pub verified_from: Option<u64>,
    /// Epochs proven by the registry's passes (or before proofs were recorded, see
    /// `EpochProofResponse::legacy`): the epochs that earn rewards.
    #[serde(default)]
    pub proven_epochs: u64,
}

#[cw_serde]
pub struct EpochProofResponse {
    pub stake_id: u64,
    pub epoch: u64,
    /// On-time, valid passes of challenges assigned to the device during the epoch, one per
    /// distinct verifier.
    pub passes: u32,
    /// Passes the class asks of an epoch (`PoolParams::min_passes_per_epoch`).
    pub required: u32,
    /// No pass can be added any more: the epoch has ended.
    pub is_final: bool,
    /// Earlier than the pair recorded passes (it was migrated to it after): counted proven.
    pub legacy: bool,
    /// Proven: enough passes, or legacy.
    pub proven: bool,
    /// Unproven and settled: its leases refunded, a seller's proceeds of it not paid.
    pub settled: bool,
}

#[cw_serde]
pub struct LeaseResponse {
    pub id: u64,
    pub client: Addr,
    pub stake_id: u64,
    pub epoch: u64,
    pub hours: Uint128,
    /// LOOP paid, fee included.
    pub paid: Uint128,
    pub client_key: HexBinary,
    /// The client's OpenSSH public key, canonical.
    pub ssh_key: String,
    pub access: Option<Binary>,
    pub refunded: Uint128,
    pub cancelled: bool,
    /// Epochs a standing order still renews, and the LOOP left to pay for them.
    pub renewals_left: u32,
    pub budget: Uint128,
    /// The order's bound on a renewal's price, LOOP per device-hour, and who besides the client
    /// may renew it.
    pub max_renewal_price: Option<Decimal>,
    pub renewer: Option<Addr>,
    /// First lease of the standing order this one belongs to (its own id for a single lease):
    /// one account serves the whole order.
    pub order: u64,
    /// The lease that renewed this one, if any.
    pub renewed_by: Option<u64>,
    /// The miner recorded the account removed.
    pub completed: bool,
    pub dispute: Option<Dispute>,
}

/// A client's dispute of a lease.
#[cw_serde]
pub struct Dispute {
    pub reason: String,
    pub opened_at: Timestamp,
    /// LOOP bonded by the client (0 for disputes opened before bonds).
    #[serde(default)]
    pub bond: Uint128,
    /// Set when governance resolved it: the refund granted (possibly zero) and what the
    /// stake's held pay could cover of it.
    pub resolution: Option<DisputeResolution>,
}

#[cw_serde]
pub struct DisputeResolution {
    pub refund: Uint128,
    pub paid: Uint128,
}

#[cw_serde]
pub struct ClaimableResponse {
    pub payout: Uint128,
    /// Rewards the claim mints now, within the factory's emission left this epoch.
    pub rewards: Uint128,
    /// Rewards that stay owed after the claim, paid by a later claim.
    pub rewards_owed: Uint128,
    /// A seller's maintenance burn taken from its deposit.
    pub burned: Uint128,
    pub finished: bool,
}

#[cw_serde]
pub struct StakesResponse {
    pub stakes: Vec<StakeResponse>,
}

#[cw_serde]
pub struct LeasesResponse {
    pub leases: Vec<LeaseResponse>,
}

#[cw_serde]
pub struct LiquidityResponse {
    pub shares: Uint128,
    pub value: Uint128,
}

#[cw_serde]
pub struct LeaseRewardsResponse {
    pub lease_id: u64,
    /// The client's reward still owed (all of it until a claim paid some).
    pub client: Uint128,
    /// The serving stake's owner's utilisation reward still owed.
    pub miner: Uint128,
    /// Why a claim would not pay them now (not yet due, forfeited); `None` when it would.
    pub not_due: Option<String>,
}

#[cw_serde]
pub struct LiquidityRewardsResponse {
    /// Rewards accrued up to the last processed boundary and not paid yet.
    pub owed: Uint128,
    /// Shares held since before the last boundary: they share this epoch's reward.
    pub earning_shares: Uint128,
    /// Shares provided during this epoch: they earn from the next epoch on.
    pub waiting_shares: Uint128,
    /// What the pool shares among passive liquidity per epoch, and the shares earning it now.
    pub per_epoch: Uint128,
    pub total_earning_shares: Uint128,
}

#[cw_serde]
pub struct TwapResponse {
    pub accumulator: PriceAccumulator,
    pub twap: Option<Decimal256>,
}

#[cw_serde]
pub struct MigrateMsg {}
