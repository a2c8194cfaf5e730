//! Scaling of the dissipative pair: every user-facing execute and query measured against a pair
//! holding n = 10, 1,000 and 100,000 other stakes, leases and liquidity positions
//! (`scaling_setup.rs`); with the stake certificates' (`scaling_stake_cert.rs`) and the
//! registry's (`scaling_registry.rs`), one report. Writes `bench/scaling.md`.
//!
//! Run: `LOOPIN_GAS_ONLY=scaling cargo run --profile service -p loopin-wasm-tests --bin
//! gas-report` with `artifacts/` built. `LOOPIN_SCALING_N=10,1000` measures other sizes;
//! `LOOPIN_SCALING_REPORT` writes elsewhere.

use std::path::PathBuf;

use cosmwasm_std::{Binary, Uint128};
use loopin::pair::{ExecuteMsg, QueryMsg, ReceiveMsg};
use loopin_pool_math::HOUR;
use loopin_wasm_tests::HarnessError;
use serde_json::Value;

use crate::scaling_setup::{
    Bench, EPOCH, GEN_LEASE_HOURS, GEN_LIQUIDITY, LOOP, PLENTY, PROBE_SEED, hook, lease_msg,
    stake_msg,
};
use crate::scaling_table::{COMMAND, Measured, Measurements, PAGE, Recorder, Table, sizes};

/// The calls made against one generated pair, in order.
struct Probe {
    bench: Bench,
    rec: Recorder,
}

impl Probe {
    fn exec(
        &mut self,
        call: &'static str,
        sender: &str,
        msg: &ExecuteMsg,
    ) -> Result<(), HarnessError> {
        let outcome = self.bench.pair.execute(sender, msg)?;
        self.rec.record(call, outcome);
        Ok(())
    }

    fn query(&mut self, call: &'static str, msg: &QueryMsg) -> Result<Value, HarnessError> {
        let outcome = self.bench.pair.query::<_, Value>(msg)?;
        Ok(self.rec.record(call, outcome))
    }

    /// The registry's pass for each of `stakes`, then the clock to the next boundary.
    fn prove_and_wait(&mut self, stakes: &[u64], measure: bool) -> Result<(), HarnessError> {
        let registry = self.bench.registry.clone();
        for (k, id) in stakes.iter().enumerate() {
            let proven = ExecuteMsg::DeviceProven {
                token_id: format!("h100-{id}"),
                challenged_at: self.bench.pair.block().time,
                verifier: Some(self.bench.pair.addr("verifier")),
                audit_until: Some(self.bench.pair.block().time),
            };
            if measure && k == 0 {
                self.exec(
                    "DeviceProven (from the registry, a pass)",
                    &registry,
                    &proven,
                )?;
            } else {
                self.bench.run(&registry, &proven)?;
            }
        }
        self.bench.pair.advance(EPOCH);
        Ok(())
    }
}

/// Every user-facing call of the pair, on fresh actors, against the generated state.
fn probe(bench: Bench) -> Result<Vec<Measured>, HarnessError> {
    let n = bench.n;
    let mut p = Probe {
        bench,
        rec: Recorder::new("pair", n),
    };
    let (token, registry, governance, keeper) = (
        p.bench.token.clone(),
        p.bench.registry.clone(),
        p.bench.governance.clone(),
        p.bench.keeper.clone(),
    );
    let addr = |p: &Probe, label: &str| p.bench.pair.addr(label);
    let (miner_a, miner_b) = (addr(&p, "probe-a"), addr(&p, "probe-b"));
    let (client, lp) = (addr(&p, "probe-client"), addr(&p, "probe-lp"));
    let (stake_a, stake_b) = (n + 1, n + 2);
    let (lease_cancelled, order, renewal) = (n + 1, n + 2, n + 3);
    let middle = n.div_ceil(2);

    // Stakes: one measured, one to renew and to carry a standing order.
    let msg = hook(
        &miner_a,
        PLENTY,
        &stake_msg(&p.bench.pair, &miner_a, PROBE_SEED + 1),
    );
    p.exec("Stake (provider, matches the price)", &token, &msg)?;
    let registered = ExecuteMsg::DeviceRegistered {
        token_id: format!("h100-{stake_a}"),
    };
    p.exec(
        "DeviceRegistered (from the registry)",
        &registry,
        &registered,
    )?;
    let msg = hook(
        &miner_b,
        PLENTY,
        &stake_msg(&p.bench.pair, &miner_b, PROBE_SEED + 2),
    );
    p.bench.run(&token, &msg)?;
    let registered = ExecuteMsg::DeviceRegistered {
        token_id: format!("h100-{stake_b}"),
    };
    p.bench.run(&registry, &registered)?;

    // Queries, with every stake, lease and position in place.
    p.query("query Config", &QueryMsg::Config {})?;
    p.query("query Pool", &QueryMsg::Pool {})?;
    let hours = Uint128::new(HOUR / 2);
    p.query("query SimulateLease", &QueryMsg::SimulateLease { hours })?;
    p.query("query SimulateSell", &QueryMsg::SimulateSell { hours })?;
    p.query("query Twap", &QueryMsg::Twap { since: None })?;
    let stake = QueryMsg::Stake { stake_id: middle };
    p.query("query Stake (a generated one)", &stake)?;
    let lease = QueryMsg::Lease { lease_id: middle };
    p.query("query Lease (a generated one)", &lease)?;
    let crowd_miner = p.bench.crowd_miner.clone();
    let page = |owner: &str, start_after: Option<u64>| QueryMsg::StakesByOwner {
        owner: owner.to_string(),
        start_after,
        limit: Some(PAGE),
    };
    let last_start = (n > u64::from(PAGE)).then(|| n - u64::from(PAGE));
    let first = page(&crowd_miner, None);
    let answer = p.query("query StakesByOwner (owner of all n: first page)", &first)?;
    assert_eq!(
        answer["stakes"].as_array().map(Vec::len),
        Some(PAGE as usize)
    );
    let last = page(&crowd_miner, last_start);
    let answer = p.query("query StakesByOwner (owner of all n: last page)", &last)?;
    assert_eq!(
        answer["stakes"].as_array().map(Vec::len),
        Some(PAGE as usize)
    );
    p.query(
        "query StakesByOwner (owner of 1 among n)",
        &page(&miner_a, None),
    )?;
    let crowd_client = p.bench.crowd_client.clone();
    let page = |client: &str, start_after: Option<u64>| QueryMsg::LeasesByClient {
        client: client.to_string(),
        start_after,
        limit: Some(PAGE),
    };
    let answer = p.query(
        "query LeasesByClient (client of all n: first page)",
        &page(&crowd_client, None),
    )?;
    assert_eq!(
        answer["leases"].as_array().map(Vec::len),
        Some(PAGE as usize)
    );
    let answer = p.query(
        "query LeasesByClient (client of all n: last page)",
        &page(&crowd_client, last_start),
    )?;
    assert_eq!(
        answer["leases"].as_array().map(Vec::len),
        Some(PAGE as usize)
    );
    let by_stake = QueryMsg::LeasesByStake {
        stake_id: middle,
        epoch: 1,
    };
    p.query("query LeasesByStake (a generated stake)", &by_stake)?;
    let proof = QueryMsg::EpochProof {
        stake_id: middle,
        epoch: 1,
    };
    p.query("query EpochProof", &proof)?;
    let position = QueryMsg::Liquidity {
        owner: p.bench.lp(middle),
    };
    p.query("query Liquidity (one of n positions)", &position)?;

    // Leases: one bought and sold back, one standing order.
    let msg = hook(&client, PLENTY, &lease_msg(stake_a, HOUR / 2, None, None));
    p.exec("Lease (LOOP -> hours swap)", &token, &msg)?;
    let cancel = ExecuteMsg::CancelLease {
        lease_id: lease_cancelled,
        min_refund: Uint128::zero(),
        deadline: None,
    };
    p.exec("CancelLease (hours -> LOOP swap)", &client, &cancel)?;
    let standing = lease_msg(stake_b, HOUR / 4, Some(3), Some(keeper.clone()));
    p.bench.run(&token, &hook(&client, 100 * LOOP, &standing))?;
    let extend = ReceiveMsg::Extend {
        lease_id: order,
        renewals: 2,
    };
    let extend = hook(&client, 10 * LOOP, &extend);
    p.exec("Extend (standing order)", &token, &extend)?;
    let access = ExecuteMsg::PostAccess {
        lease_id: order,
        ciphertext: Binary::from(vec![0x5a; 256]),
    };
    p.exec("PostAccess (256 bytes)", &miner_b, &access)?;

    // Liquidity in and half of it out.
    let provide = ReceiveMsg::ProvideLiquidity {
        min_shares: Uint128::zero(),
        deadline: None,
    };
    p.exec("ProvideLiquidity", &token, &hook(&lp, 10 * LOOP, &provide))?;
    let position = QueryMsg::Liquidity { owner: lp.clone() };
    let answer = p.query("query Liquidity (the new position)", &position)?;
    let shares: u128 = answer["shares"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("shares");
    let withdraw = ExecuteMsg::WithdrawLiquidity {
        shares: Uint128::new(shares / 2),
        min_out: Uint128::zero(),
        deadline: None,
    };
    p.exec("WithdrawLiquidity (half a position)", &lp, &withdraw)?;
    let renew = ExecuteMsg::Renew {
        stake_id: stake_b,
        epochs: None,
    };
    p.exec("Renew", &miner_b, &renew)?;

    // Boundaries: 1 with every stake active, 3 with the n generated ones (and stake a) ending.
    let advance = ExecuteMsg::AdvanceEpoch {
        max_epochs: Some(1),
    };
    p.prove_and_wait(&[stake_a, stake_b], true)?;
    p.exec("AdvanceEpoch (every stake active)", &keeper, &advance)?;
    let renew_lease = ExecuteMsg::RenewLease { lease_id: order };
    p.exec("RenewLease (standing order)", &keeper, &renew_lease)?;
    let dispute = ReceiveMsg::Dispute {
        lease_id: order,
        reason: "no access".into(),
    };
    p.exec(
        "Dispute (bonded)",
        &token,
        &hook(&client, 10 * LOOP, &dispute),
    )?;
    let resolve = ExecuteMsg::ResolveDispute {
        lease_id: order,
        refund: Uint128::new(LOOP),
    };
    p.exec(
        "ResolveDispute (refund from provider shares)",
        &governance,
        &resolve,
    )?;
    p.prove_and_wait(&[stake_a, stake_b], false)?;
    p.bench.run(&keeper, &advance)?;
    let complete = ExecuteMsg::CompleteLease { lease_id: order };
    p.exec("CompleteLease", &miner_b, &complete)?;
    p.prove_and_wait(&[stake_a, stake_b], false)?;
    p.exec("AdvanceEpoch (n + 1 stakes ending)", &keeper, &advance)?;
    p.prove_and_wait(&[stake_b], false)?;
    p.bench.run(&keeper, &advance)?;

    // The ended stake claimed; the order closed; the renewed stake invalidated.
    let claimable = QueryMsg::Claimable { stake_id: stake_a };
    p.query("query Claimable (an ended stake)", &claimable)?;
    let claim = ExecuteMsg::Claim { stake_id: stake_a };
    p.exec("Claim (settled provider + rewards)", &miner_a, &claim)?;
    let close = ExecuteMsg::CloseOrder { lease_id: renewal };
    p.exec("CloseOrder (standing order)", &client, &close)?;
    // The rewards of the renewal (delivered in a proven epoch) and of the probe's liquidity,
    // which has earned three epochs among the n positions.
    let rewards = QueryMsg::LeaseRewards { lease_id: renewal };
    p.query("query LeaseRewards", &rewards)?;
    let claim = ExecuteMsg::ClaimLeaseRewards {
        lease_ids: vec![renewal],
    };
    p.exec("ClaimLeaseRewards (client, 1 lease)", &client, &claim)?;
    let rewards = QueryMsg::LiquidityRewards { owner: lp.clone() };
    p.query("query LiquidityRewards (one of n + 1 positions)", &rewards)?;
    let claim = ExecuteMsg::ClaimLiquidityRewards {};
    p.exec(
        "ClaimLiquidityRewards (one of n + 1 positions)",
        &lp,
        &claim,
    )?;
    let invalidate = ExecuteMsg::Invalidate {
        token_id: format!("h100-{stake_b}"),
        reason: "bad openings".into(),
    };
    p.exec(
        "Invalidate (provider, leases refunded)",
        &registry,
        &invalidate,
    )?;
    Ok(p.rec.rows)
}

/// Why a call's gas may differ with n: the page it reads, or what else it touches.
fn reason(call: &str) -> Option<&'static str> {
    Some(match call {
        c if c.contains("StakesByOwner") || c.contains("LeasesByClient") => {
            "Paged: at most `limit` (here 10) index steps and record loads, whatever the owner holds."
        }
        c if c.starts_with("AdvanceEpoch") => {
            "Paged by `max_epochs` (here 1): per boundary it reads and writes aggregates keyed by \
             epoch, never a stake."
        }
        c if c.contains("LeasesByStake") || c.starts_with("Invalidate") => {
            "Bounded by the stake's leases in one epoch (at most MAX_LEASES_PER_EPOCH = 32)."
        }
        c if c.starts_with("Claim (") => {
            "Bounded by SETTLE_PAGE (4) unproven epochs and CLAIM_PAGE (64) seller epochs."
        }
        _ => return None,
    })
}

pub fn scenario() -> Result<(), HarnessError> {
    let sizes = sizes();
    let measured = Measurements::run("pair", &sizes, Bench::generate, probe)?;
    let certs = crate::scaling_stake_cert::measure(&sizes)?;
    let registry = crate::scaling_registry::measure(&sizes)?;
    let pair = Table {
        title: "The dissipative pair",
        description: format!(
            "Each column is a fresh `loopin_pair.wasm` in cosmwasm-vm holding *n* provider \
             stakes (rate 1, 3 epochs, one owner), each registered and leased once \
             ({GEN_LEASE_HOURS} micro-hours, one client), and *n* passive liquidity positions \
             ({GEN_LIQUIDITY} LOOP units, one owner each): 4n real execute calls (signed Stake, \
             DeviceRegistered, Lease, ProvideLiquidity), all in epoch 0. Then the same calls, \
             by actors of their own, are measured on it: stakes, leases and a standing order, \
             liquidity, four boundaries (the third ends the n generated stakes), a claim, and \
             queries. Paged queries ask for {PAGE} entries."
        ),
        sizes: &sizes,
        columns: &measured.columns,
        reason,
        timings: &measured.timings,
    };
    let certs = crate::scaling_stake_cert::table(&sizes, &certs);
    let registry = crate::scaling_registry::table(&sizes, &registry);
    let markdown = format!(
        "# Scaling: gas against the size of the state\n\nProduced by `{COMMAND}` (needs \
         `artifacts/` built). Gas is the VM's (`Outcome.gas.total()`), every state made by real \
         calls to the compiled contract.\n\n{}\n{}\n{}",
        pair.render(),
        certs.render(),
        registry.render()
    );
    print!("{markdown}");
    let out = std::env::var_os("LOOPIN_SCALING_REPORT")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../bench/scaling.md")
        });
    std::fs::write(&out, markdown).map_err(|source| HarnessError::MissingArtifact {
        path: out.display().to_string(),
        source,
    })?;
    eprintln!("wrote {}", out.display());
    Ok(())
}
