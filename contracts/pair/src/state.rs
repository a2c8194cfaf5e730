//! Storage of the pair. Books are keyed by trading epoch; see `docs/pair.md`.

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{
    Addr, Decimal, Decimal256, Empty, HexBinary, SignedDecimal256, Storage, Timestamp, Uint128,
};
use cw_storage_plus::{Item, Map};
use loopin::pair::Dispute;
use loopin::pool::PoolParams;
use loopin::stake_cert::StakeMode;
use loopin_packed::{PackedItem, PackedMap};
use loopin_pool_math::MathError;
use loopin_pool_math::amm::Reserves;
use loopin_pool_math::capacity::EpochClock;
use loopin_pool_math::oracle::{PriceAccumulator, TimeWeighted, TimeWeightedRatio};

use crate::error::ContractError;

#[cw_serde]
pub struct Config {
    pub class: String,
    pub factory: Addr,
    pub token: Addr,
    pub stake_cert: Addr,
    pub params: PoolParams,
    pub clock: EpochClock,
    /// First epoch whose proof the pair asks of the registry's passes: 0 for a pair
    /// instantiated with proven epochs; for one migrated to them, the epoch after the migration
    /// (earlier epochs count proven, as nothing recorded their passes). Set once.
    /// `None` only in state written before the field (the migration sets it).
    #[serde(default)]
    pub proofs_from: Option<u64>,
}

impl Config {
    /// First epoch whose proof the pair asks of the registry's passes (`proofs_from`).
    pub fn proofs_from(&self) -> u64 {
        self.proofs_from.unwrap_or_default()
    }
}

#[cw_serde]
pub struct Pool {
    /// Last epoch whose boundary has been processed; the trading epoch is `epoch + 1`.
    pub epoch: u64,
    pub reserves: Reserves,
    pub total_shares: Uint128,
    /// Hours per epoch supplied to the trading epoch by provider stakes.
    pub provider_hours: Uint128,
    /// Hours per epoch of the seller stakes the next boundary's sale sells: those in the market
    /// for the epoch it trades (a seller registered during this epoch included).
    pub seller_hours: Uint128,
    /// LOOP owed to stakes (settled positions, seller proceeds, deposits), outside the reserves.
    pub escrow: Uint128,
    pub accumulator: PriceAccumulator,
    /// LOOP per liquidity share, time-weighted, and its value at the last boundary: deposits
    /// buy shares at no less than the average since the boundary and withdrawals are paid no
    /// more, so liquidity moved around a lease takes none of its revenue.
    #[serde(default)]
    pub share_value_twap: TimeWeightedRatio,
    #[serde(default)]
    pub share_value_mark: TimeWeightedRatio,
    /// The lowest LOOP per share of the epoch, which settlements were once paid at: read from
    /// state written then, never written (what it left in the pool went to whoever deposited
    /// just before the boundary; settlements are paid at spot).
    #[serde(default, serialize_with = "loopin_packed::write_none")]
    pub share_value_low: Option<Decimal256>,
    /// The time-weighted LOOP reserve of state written before `share_value_twap`: read, never
    /// written (settlements divided it by the shares of the instant, which a deposit dilutes).
    #[serde(default, serialize_with = "loopin_packed::write_none")]
    pub tokens_twap: Option<TimeWeighted>,
    #[serde(default, serialize_with = "loopin_packed::write_none")]
    pub epoch_mark: Option<TimeWeighted>,
    pub next_stake_id: u64,
    pub next_lease_id: u64,
    /// LOOP per share that clients' trades of the trading epoch's hours left in the LOOP
    /// reserve since the last boundary (leases' payments less cancellations' refunds, each
    /// divided by the shares of its instant; negative when refunds exceed payments). Final only
    /// at the boundary, when no lease of that epoch can be cancelled any more (`revenue.rs`).
    #[serde(default)]
    pub revenue_per_share: SignedDecimal256,
    /// What the last boundary's sellers' sale left of the epoch's revenue per share (it stays
    /// with the providers; the next boundary sets it anew). Registrations' sales once spent
    /// it during the epoch.
    #[serde(default)]
    pub budget_per_share: Decimal256,
}

impl Pool {
    pub fn trading_epoch(&self) -> u64 {
        self.epoch + 1
    }

    /// LOOP per liquidity share at spot; `None` while there are no shares.
    pub fn share_value(&self) -> Option<Decimal256> {
        (!self.total_shares.is_zero())
            .then(|| Decimal256::from_ratio(self.reserves.tokens, self.total_shares))
    }

    /// Records the share value that has held since the last observation, up to `now`, in the
    /// time-weighted average.
    pub fn observe_share_value(&mut self, now: u64) -> Result<(), MathError> {
        let value = self.share_value();
        self.share_value_twap = self.share_value_twap.advance(now, value)?;
        Ok(())
    }
}

#[cw_serde]
pub struct Stake {
    pub id: u64,
    pub owner: Addr,
    pub token_id: String,
    pub device_id: String,
    pub mode: StakeMode,
    pub rate: Decimal,
    pub hours_per_epoch: Uint128,
    pub start_epoch: u64,
    pub end_epoch: u64,
    /// Liquidity shares (providers), locked until the stake ends.
    pub shares: Uint128,
    /// Maintenance deposit (sellers).
    pub deposit: Uint128,
    /// What a seller registered before sellers' hours were sold at boundaries only was paid for
    /// its first epoch, sold when it registered. `None` for every stake registered since (its
    /// first epoch is sold at its boundary with every seller's).
    #[serde(default)]
    pub first_proceeds: Option<Uint128>,
    pub invalidated: bool,
    /// Seller proceeds have been paid for epochs before this one.
    pub paid_until: u64,
    pub finished: bool,
    /// Rewards earned but not minted yet: the factory's emission cap for the epoch was reached
    /// when the stake was claimed. Paid by later claims.
    #[serde(default)]
    pub rewards_owed: Uint128,
    /// Refunds paid to clients out of this stake's escrowed pay by resolved disputes, not yet
    /// netted off its claims.
    #[serde(default)]
    pub clawback: Uint128,
    /// Superseded by `disputed`: state written when an open dispute froze all pay from its
    /// epoch on. Read, never written.
    #[serde(default, serialize_with = "loopin_packed::write_none")]
    pub frozen_from: Option<u64>,
    /// What the leases under open disputes paid: the stake's pay held back for them, and no
    /// more.
    #[serde(default)]
    pub disputed: Uint128,
    /// Pay due to the stake but retained in escrow for its open disputes.
    #[serde(default)]
    pub retained: Uint128,
    /// The trading epoch in which the PoCPS registry registered the stake's device with the
    /// commitment it was staked with (`DeviceRegistered`); `None` until then. Leases need it,
    /// and rewards and a seller's pay count only the epochs from it on.
    #[serde(default)]
    pub verified_from: Option<u64>,
    /// Epochs of the stake that reached the class's passes (`PASSES`): what its rewards count.
    #[serde(default)]
    pub proven_epochs: u64,
    /// A provider's leased epochs before this one were looked at by its final claim for
    /// unproven ones to settle (the claim pages through them).
    #[serde(default)]
    pub settled_through: u64,
}

#[cw_serde]
pub struct Lease {
    pub id: u64,
    pub client: Addr,
    pub stake_id: u64,
    pub epoch: u64,
    pub hours: Uint128,
    pub paid: Uint128,
    pub client_key: HexBinary,
    pub access: Option<cosmwasm_std::Binary>,
    pub refunded: Uint128,
    pub cancelled: bool,
    /// Epochs a standing order still renews, and its budget (held in escrow).
    pub renewals_left: u32,
    pub budget: Uint128,
    /// The client's OpenSSH key, canonical (empty in leases bought before keys were asked).
    #[serde(default)]
    pub ssh_key: String,
    /// First lease of the standing order; 0 (state written before orders were tracked) means
    /// the lease's own id.
    #[serde(default)]
    pub order: u64,
    /// The lease that renewed this one.
    #[serde(default)]
    pub renewed_by: Option<u64>,
    /// The miner recorded the client's account removed.
    #[serde(default)]
    pub completed: bool,
    #[serde(default)]
    pub dispute: Option<Dispute>,
    /// A standing order's bound on a renewal's price (LOOP per device-hour) and the keeper
    /// allowed to renew it besides the client.
    #[serde(default)]
    pub max_renewal_price: Option<Decimal>,
    #[serde(default)]
    pub renewer: Option<Addr>,
}

impl Lease {
    /// The standing order this lease belongs to.
    pub fn order(&self) -> u64 {
        if self.order == 0 { self.id } else { self.order }
    }
}

/// The hot records (every call loads the config and the pool; trades a stake and a lease) are
/// stored packed (`loopin_packed`): their JSON was most of each call's gas.
pub const CONFIG: PackedItem<Config> = PackedItem::new("config");
pub const POOL: PackedItem<Pool> = PackedItem::new("pool");
/// LOOP of open disputes' bonds, held by the pair outside the reserves and the escrow until
/// governance rules. Kept apart from the pool so that opening a dispute reads and writes no
/// pool state. (A pair migrated from one that held them in `Pool::escrow` moves them here.)
pub const DISPUTE_BONDS: Item<Uint128> = Item::new("dispute_bonds");
pub const STAKES: PackedMap<u64, Stake> = PackedMap::new("stakes");
/// (owner, stake id).
pub const STAKES_BY_OWNER: Map<(&Addr, u64), Empty> = Map::new("stakes_by_owner");
/// (client, lease id).
pub const LEASES_BY_CLIENT: Map<(&Addr, u64), Empty> = Map::new("leases_by_client");
/// Liquidity shares of passive providers (stake shares live on their stakes).
pub const LIQUIDITY: Map<&Addr, Uint128> = Map::new("liquidity");
/// Certificate token id -> stake id.
pub const STAKE_BY_TOKEN: Map<&str, u64> = Map::new("stake_by_token");
pub const LEASES: PackedMap<u64, Lease> = PackedMap::new("leases");
/// (stake, epoch, lease) for refunds on invalidation.
pub const STAKE_LEASES: Map<(u64, u64, u64), Empty> = Map::new("stake_leases");
/// (stake, lease) -> the lease's epoch, for every open dispute. Lease ids grow with their
/// epochs, so a stake's first entry holds its earliest disputed epoch.
pub const OPEN_DISPUTES: Map<(u64, u64), u64> = Map::new("open_disputes");
/// (stake, epoch) -> micro-hours leased.
pub const LEASED: Map<(u64, u64), Uint128> = Map::new("leased");
/// (stake, epoch) -> number of leases.
pub const LEASE_COUNT: Map<(u64, u64), u32> = Map::new("lease_count");
/// Trading epoch -> provider hours per epoch that stop being supplied there.
pub const PROVIDER_HOURS_ENDING: Map<u64, Uint128> = Map::new("provider_hours_ending");
/// Trading epoch -> seller hours per epoch that stop being supplied there.
pub const SELLER_HOURS_ENDING: Map<u64, Uint128> = Map::new("seller_hours_ending");
/// End epoch -> shares of provider stakes ending there, settled at the boundary it is traded.
pub const SHARES_ENDING: Map<u64, Uint128> = Map::new("shares_ending");
/// The pool's LOOP and shares at a settlement: a settled stake is paid
/// `shares * tokens / total_shares`, rounded down.
#[cw_serde]
pub struct Settlement {
    pub tokens: Uint128,
    pub total_shares: Uint128,
}

impl Settlement {
    pub fn payout(&self, shares: Uint128) -> Result<Uint128, loopin_pool_math::MathError> {
        Ok(shares.checked_multiply_ratio(self.tokens, self.total_shares)?)
    }
}

/// End epoch -> the settlement of the provider stakes ending there.
pub const SHARE_VALUE: Map<u64, Settlement> = Map::new("share_value");
/// Trading epoch -> LOOP per micro-hour paid to sellers for it.
pub const SELLER_PRICE: Map<u64, Decimal256> = Map::new("seller_price");
/// (stake id, epoch) -> on-time, valid passes of challenges assigned to its device in the epoch,
/// one per distinct verifier.
pub const PASSES: Map<(u64, u64), u32> = Map::new("passes");
/// (stake id, epoch, verifier) of every pass counted in `PASSES`.
pub const PASS_VERIFIERS: Map<(u64, u64, &Addr), Empty> = Map::new("pass_verifiers");
/// (stake id, epoch, verifier) -> the assignment time of the pass counted in `PASS_VERIFIERS`:
/// only the void of that very pass un-counts it.
pub const PASS_AT: Map<(u64, u64, &Addr), Timestamp> = Map::new("pass_at");
/// Lease id -> what is still owed of its rewards (`loopin::pool::Incentives`) once a claim
/// paid some of them; absent: none claimed yet.
pub const LEASE_REWARDS_LEFT: Map<u64, loopin::pool::LeaseReward> = Map::new("lease_rewards_left");
/// (stake id, epoch) of every unproven epoch settled: its leases refunded, a seller's proceeds
/// of it taken back.
pub const UNPROVEN_SETTLED: Map<(u64, u64), Empty> = Map::new("unproven_settled");

/// Adds `amount` to the per-epoch total of `epoch` in `map` (`SHARES_ENDING` and the like).
pub(crate) fn add(
    storage: &mut dyn Storage,
    map: &Map<u64, Uint128>,
    epoch: u64,
    amount: Uint128,
) -> Result<(), ContractError> {
    let total = map
        .may_load(storage, epoch)?
        .unwrap_or_default()
        .checked_add(amount)?;
    map.save(storage, epoch, &total)?;
    Ok(())
}

/// Takes `amount` from the per-epoch total of `epoch` in `map`, removing a total that reaches zero.
pub(crate) fn sub(
    storage: &mut dyn Storage,
    map: &Map<u64, Uint128>,
    epoch: u64,
    amount: Uint128,
) -> Result<(), ContractError> {
    let total = map
        .may_load(storage, epoch)?
        .unwrap_or_default()
        .checked_sub(amount)?;
    if total.is_zero() {
        map.remove(storage, epoch);
    } else {
        map.save(storage, epoch, &total)?;
    }
    Ok(())
}

/// A pair's config for unit tests: the test contracts' addresses, hour-long epochs.
#[cfg(test)]
pub(crate) fn config(params: PoolParams, genesis: u64, proofs_from: Option<u64>) -> Config {
    Config {
        class: "h100".into(),
        factory: Addr::unchecked("factory"),
        token: Addr::unchecked("token"),
        stake_cert: Addr::unchecked("stake-cert"),
        params,
        clock: EpochClock {
            genesis,
            length: 3600,
        },
        proofs_from,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::from_json;

    /// A lease and a stake as an earlier version stored them still load, with the new fields
    /// at their defaults: a migration needs no rewrite of the books.
    #[test]
    fn state_written_before_disputes_still_loads() {
        let lease: Lease = from_json(
            br#"{"id":7,"client":"client","stake_id":2,"epoch":3,"hours":"500000",
                "paid":"5000000","client_key":"0101","access":null,"refunded":"0",
                "cancelled":false,"renewals_left":0,"budget":"0"}"#,
        )
        .unwrap();
        assert_eq!(lease.ssh_key, "");
        assert_eq!((lease.order, lease.order()), (0, 7));
        assert_eq!(lease.renewed_by, None);
        assert!(!lease.completed);
        assert_eq!(lease.dispute, None);

        let stake: Stake = from_json(
            br#"{"id":2,"owner":"miner","token_id":"h100-2","device_id":"gpu","mode":"seller",
                "rate":"1","hours_per_epoch":"1000000","start_epoch":1,"end_epoch":4,
                "shares":"0","deposit":"1000000","first_proceeds":"10","invalidated":false,
                "paid_until":1,"finished":false}"#,
        )
        .unwrap();
        assert_eq!(stake.clawback, Uint128::zero());
        assert_eq!(stake.frozen_from, None);
        assert_eq!(stake.rewards_owed, Uint128::zero());
    }

    /// A pool written before the per-share TWAP loads; its LOOP TWAP is dropped on the next
    /// save, and the per-share TWAP starts at the pool's next update.
    #[test]
    fn a_pool_written_with_the_loop_twap_still_loads() {
        let pool: Pool = from_json(
            br#"{"epoch":4,"reserves":{"hours":"1000000","tokens":"10000000"},
                "total_shares":"3162277","provider_hours":"1000000","seller_hours":"0",
                "escrow":"0","accumulator":{"time":100,"cumulative":"0"},
                "tokens_twap":{"time":100,"cumulative":"5"},
                "epoch_mark":{"time":90,"cumulative":"0"},"next_stake_id":2,"next_lease_id":1}"#,
        )
        .unwrap();
        assert_eq!(pool.share_value_twap, TimeWeightedRatio::default());
        assert!(pool.tokens_twap.is_some());
        let saved: Pool = loopin_packed::decode(&loopin_packed::encode(&pool).unwrap()).unwrap();
        assert_eq!((saved.tokens_twap, saved.epoch_mark), (None, None));
        let twap = pool
            .share_value_twap
            .advance(200, pool.share_value())
            .unwrap();
        assert_eq!(twap, TimeWeightedRatio::start(200));
    }

    /// Every packed record round-trips: no field of them (or of the types inside) is left out
    /// of a packed encoding, which would shift every field after it. State written as JSON by
    /// earlier versions loads through the same items.
    #[test]
    fn packed_records_round_trip_and_json_state_still_loads() {
        use loopin_packed::{decode, encode};
        let legacy_lease = br#"{"id":2,"client":"cosmwasm1jj87","stake_id":1,"epoch":1,
            "hours":"100000","paid":"1173111","client_key":"0101","access":null,"refunded":"0",
            "cancelled":false,"renewals_left":0,"budget":"0","ssh_key":"ssh-ed25519 AAAA",
            "order":2,"renewed_by":null,"completed":false,"dispute":null,
            "max_renewal_price":"0.5","renewer":"cosmwasm1keeper"}"#;
        let lease: Lease = decode(legacy_lease).unwrap();
        assert_eq!(lease.max_renewal_price, Some(Decimal::percent(50)));
        assert_eq!(decode::<Lease>(&encode(&lease).unwrap()).unwrap(), lease);

        let legacy_stake = br#"{"id":2,"owner":"miner","token_id":"h100-2","device_id":"gpu",
            "mode":"seller","rate":"1","hours_per_epoch":"1000000","start_epoch":1,
            "end_epoch":4,"shares":"0","deposit":"1000000","first_proceeds":"10",
            "invalidated":false,"paid_until":1,"finished":false,"frozen_from":3}"#;
        let mut stake: Stake = decode(legacy_stake).unwrap();
        assert_eq!(stake.frozen_from, Some(3));
        let saved = decode::<Stake>(&encode(&stake).unwrap()).unwrap();
        stake.frozen_from = None;
        assert_eq!(
            saved, stake,
            "the same, less what is read and never written"
        );

        let legacy_pool = br#"{"epoch":4,"reserves":{"hours":"1000000","tokens":"10000000"},
            "total_shares":"3162277","provider_hours":"1000000","seller_hours":"0",
            "escrow":"0","accumulator":{"time":100,"cumulative":"0"},
            "tokens_twap":{"time":100,"cumulative":"5"},"next_stake_id":2,
            "next_lease_id":1,"revenue_per_share":"-0.25"}"#;
        let mut pool: Pool = decode(legacy_pool).unwrap();
        let saved = decode::<Pool>(&encode(&pool).unwrap()).unwrap();
        pool.tokens_twap = None;
        assert_eq!(saved, pool);

        let params = |gemm| PoolParams {
            gemm,
            ..from_json::<PoolParams>(
                br#"{"economics":{"alpha":"1","beta":"0.1","gamma":"0.5"},
                    "exchange_fee":"0.003","epoch_seconds":3600,"min_epochs":3,
                    "max_epochs":200,"seller_deposit":"1000000"}"#,
            )
            .unwrap()
        };
        let gemm = from_json::<loopin::pool::GemmClass>(
            br#"{"m":64,"k":64,"n":64,"rows":8,"deadline_ms":100}"#,
        )
        .unwrap();
        for params in [params(None), params(Some(gemm))] {
            let config = config(params, 1, Some(0));
            let packed = encode(&config).unwrap();
            assert!(packed.len() < cosmwasm_std::to_json_vec(&config).unwrap().len() / 2);
            assert_eq!(decode::<Config>(&packed).unwrap(), config);
        }
    }
}
