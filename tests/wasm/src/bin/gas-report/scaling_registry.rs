//! Scaling of the PoCPS registry: its executes and queries measured against n = 10, 1,000 and
//! 100,000 registered devices and n bonded, keyed verifiers, all made by real calls (the
//! factory, the pool and the stake certificates stood in for by the querier, as in
//! `registry.rs`).

use std::collections::HashMap;

use cosmwasm_std::{HexBinary, Response, Uint128, to_json_binary};
use loopin::pool::GemmClass;
use loopin::registry::{ExecuteMsg, InstantiateMsg, QueryMsg, ReceiveMsg};
use loopin::stake_cert::CertificateResponse;
use loopin_pocps::challenge::commit_secret;
use loopin_wasm_tests::{HarnessError, WasmContract};
use serde_json::Value;

use crate::registry_setup::{
    Device, ROUND, TOKEN_ID, Wiring, challenge_id, h100_gemm, set_key_msg, settings, verifier_key,
};
use crate::scaling_table::{Measured, Measurements, PAGE, Recorder, Table, thousands};

/// The class's sweep period (the h100 class's production hour).
const SWEEP: u64 = 3_600;
/// Any root: registration checks the commitment's digest, not the tree.
const ROOT: [u8; 32] = [7; 32];

/// The most verifiers generated: at 100,000 a draw (it reads every verifier) trapped out of
/// memory in this harness's 16 MiB instance, and its gas, about 8e11 VM gas (5.8M SDK gas),
/// is more than a block allows (docs/gas.md).
const MAX_VERIFIERS: u64 = 10_000;

/// A fresh registry holding `n` devices of one miner and `min(n, MAX_VERIFIERS)` verifiers,
/// and who acts on it.
struct Bench {
    c: WasmContract,
    n: u64,
    w: Wiring,
    certs: HashMap<String, CertificateResponse>,
    /// Two bonded verifiers that make the beacon's rounds (the quorum is 2).
    entropy: [String; 2],
    rounds: u8,
    rec: Recorder,
}

fn verifier(c: &WasmContract, i: u64) -> String {
    c.addr(&format!("verifier-{i}"))
}

fn bond(who: &str) -> ExecuteMsg {
    ExecuteMsg::Receive(cw20::Cw20ReceiveMsg {
        sender: who.to_string(),
        amount: Uint128::new(200_000_000),
        msg: to_json_binary(&ReceiveMsg::Bond {}).unwrap(),
    })
}

/// Verifier `i`'s `SetChallengeKey`, with a key of its own.
fn set_key(c: &WasmContract, who: &str, i: u64) -> ExecuteMsg {
    set_key_msg(&c.contract_addr(), who, &verifier_key(i))
}

/// Runs a set-up call, insisting that it succeeds.
fn setup(c: &mut WasmContract, sender: &str, msg: &ExecuteMsg) -> Result<Response, HarnessError> {
    let outcome = c.execute(sender, msg)?;
    Ok(outcome
        .result
        .unwrap_or_else(|e| panic!("registry set-up call failed: {e}")))
}

impl Bench {
    fn generate(n: u64) -> Result<Self, HarnessError> {
        let mut c = WasmContract::load("loopin_pocps_registry")?;
        let gemm = GemmClass {
            sweep_seconds: SWEEP,
            max_missed_sweeps: 3,
            ..h100_gemm()
        };
        let w = Wiring::with_gemm(&mut c, gemm)?;
        let init = InstantiateMsg {
            factory: w.factory.clone(),
            settings: settings(),
        };
        c.instantiate(&w.factory, &init)?
            .result
            .unwrap_or_else(|e| panic!("instantiate: {e}"));
        let entropy = [c.addr("entropy-1"), c.addr("entropy-2")];
        for who in &entropy {
            setup(&mut c, &w.token, &bond(who))?;
        }
        for i in 0..n.min(MAX_VERIFIERS) {
            let who = verifier(&c, i);
            setup(&mut c, &w.token, &bond(&who))?;
            let key = set_key(&c, &who, i);
            setup(&mut c, &who, &key)?;
        }
        let now = c.block().time;
        let devices: Vec<Device> = (0..n)
            .map(|i| Device::numbered(&w.miner, &w.pool, i))
            .collect();
        let certs: HashMap<String, CertificateResponse> = devices
            .iter()
            .map(|d| (d.token_id.clone(), d.certificate(ROOT, now)))
            .collect();
        w.certificates(&mut c, certs.clone())?;
        for device in &devices {
            setup(&mut c, &w.miner, &device.register(ROOT))?;
        }
        Ok(Self {
            c,
            n,
            w,
            certs,
            entropy,
            rounds: 0,
            rec: Recorder::new("pocps-registry", n),
        })
    }

    fn exec(
        &mut self,
        call: &'static str,
        sender: &str,
        msg: &ExecuteMsg,
    ) -> Result<Response, HarnessError> {
        let outcome = self.c.execute(sender, msg)?;
        Ok(self.rec.record(call, outcome))
    }

    fn query(&mut self, call: &'static str, msg: &QueryMsg) -> Result<Value, HarnessError> {
        let outcome = self.c.query::<_, Value>(msg)?;
        Ok(self.rec.record(call, outcome))
    }

    /// One beacon round by the two contributors, left final; the first of each kind of call
    /// measured when `measure`.
    fn beacon(&mut self, measure: bool) -> Result<(), HarnessError> {
        self.rounds += 1;
        let secrets = [[self.rounds; 32], [self.rounds.wrapping_add(100); 32]];
        let commits = secrets.map(|secret| ExecuteMsg::CommitEntropy {
            hash: HexBinary::from(commit_secret(&secret)),
        });
        self.contribute("CommitEntropy", &commits, measure)?;
        self.c.advance(ROUND);
        let reveals = secrets.map(|secret| ExecuteMsg::RevealEntropy {
            secret: HexBinary::from(secret.to_vec()),
        });
        self.contribute("RevealEntropy", &reveals, measure)?;
        self.c.advance(ROUND);
        Ok(())
    }

    /// Each entropy contributor sends its message; the first is measured as `call` when
    /// `measure`.
    fn contribute(
        &mut self,
        call: &'static str,
        msgs: &[ExecuteMsg; 2],
        measure: bool,
    ) -> Result<(), HarnessError> {
        for (i, (who, msg)) in self.entropy.clone().iter().zip(msgs).enumerate() {
            if measure && i == 0 {
                self.exec(call, who, msg)?;
            } else {
                setup(&mut self.c, who, msg)?;
            }
        }
        Ok(())
    }
}

/// The calls measured on a registry of n devices and n verifiers.
fn probe(mut b: Bench) -> Result<Vec<Measured>, HarnessError> {
    let (token, miner, pool) = (b.w.token.clone(), b.w.miner.clone(), b.w.pool.clone());
    // A verifier joins.
    let newcomer = b.c.addr("newcomer");
    b.exec("Receive Bond (a new verifier)", &token, &bond(&newcomer))?;
    let key = set_key(&b.c, &newcomer, b.n + 1);
    b.exec("SetChallengeKey (the new verifier)", &newcomer, &key)?;
    // A device joins.
    let device = Device::numbered(&miner, &pool, b.n);
    let now = b.c.block().time;
    b.certs
        .insert(device.token_id.clone(), device.certificate(ROOT, now));
    b.w.certificates(&mut b.c, b.certs.clone())?;
    b.exec(
        "RegisterDevice (a new device)",
        &miner,
        &device.register(ROOT),
    )?;

    // A generated verifier opens a challenge; the beacon draws its target among n + 1 devices.
    let checker = verifier(&b.c, 0);
    let commit = ExecuteMsg::Commit {
        secret_hash: HexBinary::from(commit_secret(&[0x61; 32])),
    };
    let id = challenge_id(&b.exec("Commit", &checker, &commit)?);
    b.c.advance(ROUND);
    b.beacon(true)?;
    let assign = ExecuteMsg::Assign { challenge_id: id };
    b.exec("Assign (draws among the devices)", &checker, &assign)?;
    let challenge = b.query("query Challenge", &QueryMsg::Challenge { challenge_id: id })?;
    let target = challenge["target"]
        .as_str()
        .expect("the challenge is assigned")
        .to_string();
    b.query(
        "query Assignments (the drawn device)",
        &QueryMsg::Assignments {
            token_id: target,
            start_after: None,
            limit: Some(PAGE),
        },
    )?;
    b.query(
        "query Device",
        &QueryMsg::Device {
            token_id: TOKEN_ID.into(),
        },
    )?;
    b.query(
        "query Verifier",
        &QueryMsg::Verifier {
            address: checker.clone(),
        },
    )?;
    let devices = b.query(
        "query Devices (page)",
        &QueryMsg::Devices {
            start_after: Some(TOKEN_ID.into()),
            limit: Some(PAGE),
        },
    )?;
    let listed = devices["devices"].as_array().map(Vec::len);
    assert_eq!(
        listed,
        Some((PAGE as usize).min(b.n as usize)),
        "n = {}",
        b.n
    );
    b.query("query Beacon", &QueryMsg::Beacon {})?;

    // The first device's sweep of the next window: the round before it drawing, final as it
    // opens (as in `registry_appeals.rs`).
    let now = b.c.block().time.seconds();
    let window = (now + 2 * ROUND) / SWEEP + 1;
    b.c.advance(window * SWEEP - 2 * ROUND - now);
    b.beacon(false)?;
    let sweep = ExecuteMsg::DrawSweep {
        token_id: TOKEN_ID.into(),
        window,
    };
    let drawn = b.exec("DrawSweep (reads every verifier)", &miner, &sweep)?;
    let drawn = drawn
        .attributes
        .iter()
        .find(|a| a.key == "verifier")
        .map(|a| a.value.clone())
        .expect("a verifier is drawn");
    b.query(
        "query Sweep (reads every verifier)",
        &QueryMsg::Sweep {
            token_id: TOKEN_ID.into(),
            window,
        },
    )?;
    b.query(
        "query SweepDuties (a page of devices, reads every verifier)",
        &QueryMsg::SweepDuties {
            verifier: drawn,
            start_after: None,
            limit: Some(PAGE),
        },
    )?;
    let unbond = ExecuteMsg::Unbond {
        amount: Uint128::new(1),
    };
    let other = verifier(&b.c, 1);
    b.exec("Unbond (a generated verifier)", &other, &unbond)?;
    Ok(b.rec.rows)
}

/// Why a call's gas may differ with n.
fn reason(call: &str) -> Option<&'static str> {
    Some(match call {
        c if c.contains("reads every verifier") => {
            "**Finding:** grows with the verifier set (here up to 10,000): the bond-weighted \
             sortition reads every verifier entry and hashes it once per draw, bounded only by \
             the bond each entry needs. A SweepDuties page of the agents' default 30 devices \
             passes wasmd's 3M SDK-gas query limit from about 2,800 verifiers (docs/gas.md)."
        }
        c if c.contains("page") => "Paged: at most `limit` (here 10) entries.",
        _ => return None,
    })
}

/// The registry's columns, one per size, and the time each took.
pub fn measure(sizes: &[u64]) -> Result<Measurements, HarnessError> {
    Measurements::run("pocps-registry", sizes, Bench::generate, probe)
}

/// The registry's table.
pub fn table<'a>(sizes: &'a [u64], measured: &'a Measurements) -> Table<'a> {
    Table {
        title: "PoCPS registry",
        description: format!(
            "Each column is a fresh `loopin_pocps_registry.wasm` holding *n* devices of one \
             miner at production-80g (`RegisterDevice`), of a class that sweeps hourly, and \
             *n* bonded verifiers with challenge keys (`Receive Bond`, `SetChallengeKey`), but \
             at most {}: with 100,000 verifiers a draw trapped out of memory in \
             this harness (a finding, docs/gas.md). The \
             factory, the pool and the stake certificates are answered by the querier. Then a \
             verifier and a device join, a generated verifier's challenge is committed, a \
             beacon round made and the challenge assigned, the queries asked, the first \
             device's sweep drawn and a verifier unbonds. Paged queries ask for {PAGE} entries.",
            thousands(MAX_VERIFIERS)
        ),
        sizes,
        columns: &measured.columns,
        reason,
        timings: &measured.timings,
    }
}
