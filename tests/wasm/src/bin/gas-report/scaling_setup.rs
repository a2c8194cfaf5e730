//! The scaling scenario's pair and the state it is measured against: `n` provider stakes (one
//! owner), `n` leases (one client) and `n` passive liquidity positions (one owner each), all made
//! by real execute calls in one block, as a chain would have them (`scaling.rs`).

use cosmwasm_std::{HexBinary, Uint128};
use loopin::pair::{ExecuteMsg, ReceiveMsg};
use loopin::pool::PairInstantiateMsg;
use loopin_pool_math::HOUR;
use loopin_wasm_tests::{HarnessError, WasmContract};

use crate::pair::stand_in_factory;
pub(crate) use crate::pair::{EPOCH, LOOP, SSH_KEY, hook, stake_msg};

/// A generated lease: the smallest a rate-1 stake's lease may be (its hour over its 32 slots), so
/// that `n` of them move the pool's price little.
pub const GEN_LEASE_HOURS: u128 = HOUR / 32;
/// A generated liquidity position: 0.1 LOOP, about 1 % of what a stake brings.
pub const GEN_LIQUIDITY: u128 = LOOP / 10;
/// LOOP sent with a stake or a lease that matches the price: far more than it costs, the rest is
/// refunded (the price drifts with `n`; the calls are the same at every `n`).
pub const PLENTY: u128 = 1_000 * LOOP;
/// Device key seeds of the probe's own stakes, apart from the generated ones.
pub const PROBE_SEED: u32 = 0x8000_0000;

/// A lease of `hours` on `stake_id`; with `renewals`, a standing order renewable by `renewer`.
pub fn lease_msg(
    stake_id: u64,
    hours: u128,
    renewals: Option<u32>,
    renewer: Option<String>,
) -> ReceiveMsg {
    ReceiveMsg::Lease {
        stake_id,
        hours: Uint128::new(hours),
        client_key: HexBinary::from([1u8; 32]),
        ssh_key: SSH_KEY.into(),
        deadline: None,
        renewals,
        max_renewal_price: None,
        renewer,
    }
}

/// A pair holding the generated state, and who acts on it.
pub struct Bench {
    pub pair: WasmContract,
    pub n: u64,
    pub token: String,
    pub registry: String,
    pub governance: String,
    pub keeper: String,
    /// Owner of every generated stake, and client of every generated lease.
    pub crowd_miner: String,
    pub crowd_client: String,
}

impl Bench {
    /// Executes `msg` from `sender`, which must succeed (generation is not measured).
    pub fn run(&mut self, sender: &str, msg: &ExecuteMsg) -> Result<(), HarnessError> {
        let outcome = self.pair.execute(sender, msg)?;
        if let Err(err) = outcome.result {
            panic!("scaling set-up at n = {}: {msg:?} failed: {err}", self.n);
        }
        Ok(())
    }

    /// A liquidity provider's address for generated position `i`.
    pub fn lp(&self, i: u64) -> String {
        self.pair.addr(&format!("lp-{i}"))
    }

    /// A fresh pair (h100 class of the gas report) with `n` stakes 1..=n, each registered and
    /// carrying one lease (ids 1..=n), and `n` liquidity positions, made by real calls.
    pub fn generate(n: u64) -> Result<Self, HarnessError> {
        let mut pair = WasmContract::load("loopin_pair")?;
        let factory = pair.addr("factory");
        let (registry, governance) = stand_in_factory(&mut pair)?;
        let instantiate = PairInstantiateMsg {
            class: "h100".into(),
            factory: factory.clone(),
            token: pair.addr("token"),
            stake_cert: pair.addr("stake-cert"),
            params: crate::pair::params(),
        };
        pair.instantiate(&factory, &instantiate)?.unwrap();
        let mut bench = Bench {
            token: pair.addr("token"),
            keeper: pair.addr("keeper"),
            crowd_miner: pair.addr("crowd-miner"),
            crowd_client: pair.addr("crowd-client"),
            registry,
            governance,
            n,
            pair,
        };
        let (token, registry) = (bench.token.clone(), bench.registry.clone());
        let (miner, client) = (bench.crowd_miner.clone(), bench.crowd_client.clone());
        for i in 1..=n {
            // The first stake sets the price with 10 LOOP for its hour; the others match it.
            let amount = if i == 1 { 11 * LOOP } else { PLENTY };
            let seed = u32::try_from(i).expect("fewer stakes than seeds");
            let stake = hook(&miner, amount, &stake_msg(&bench.pair, &miner, seed));
            bench.run(&token, &stake)?;
            let registered = ExecuteMsg::DeviceRegistered {
                token_id: format!("h100-{i}"),
            };
            bench.run(&registry, &registered)?;
            let lease = lease_msg(i, GEN_LEASE_HOURS, None, None);
            bench.run(&token, &hook(&client, 10 * LOOP, &lease))?;
            let provide = ReceiveMsg::ProvideLiquidity {
                min_shares: Uint128::zero(),
                deadline: None,
            };
            let lp = bench.lp(i);
            bench.run(&token, &hook(&lp, GEN_LIQUIDITY, &provide))?;
        }
        Ok(bench)
    }
}
