//! PoCPS registry appeals and sweeps: the Late verdict that reaches the quorum and accuses, the
//! owner's Appeal, DrawAppeal, and DrawSweep (the device's class sweeps), whose sortitions read
//! every verifier entry once; measured with 10, 100 and 1,000 bonded verifiers, to show what
//! grows with the verifier set.

use std::collections::HashMap;

use cosmwasm_std::{HexBinary, Uint128, to_json_binary};
use loopin::pool::GemmClass;
use loopin::registry::{ExecuteMsg, InstantiateMsg, ReceiveMsg, RegistrySettings, Verdict};
use loopin_pocps::challenge::commit_secret;
use loopin_wasm_tests::{HarnessError, WasmContract};

use crate::registry_setup::{
    Device, ROUND, TOKEN_ID, Wiring, challenge_id, h100_gemm, set_key_msg, settings, verifier_key,
};
use crate::report::{Report, exec, query};

const NAME: &str = "pocps-registry";
const ACCUSE: &str = "Submit Late (reaches the quorum: accuses)";
const APPEAL: &str = "Appeal";
/// Bonded verifiers of each run.
const SIZES: [usize; 3] = [10, 100, 1_000];

fn draw_call(verifiers: usize) -> String {
    format!("DrawAppeal ({verifiers} bonded verifiers, 3 drawn)")
}

fn sweep_call(verifiers: usize) -> String {
    format!("DrawSweep ({verifiers} bonded verifiers, 1 drawn)")
}

/// The class's sweep period here: the h100 class's production hour.
const SWEEP: u64 = 3_600;

/// Runs `msg` without a row in the report (set-up), insisting that it succeeds.
fn setup<M: serde::Serialize>(
    c: &mut WasmContract,
    sender: &str,
    msg: &M,
) -> Result<cosmwasm_std::Response, HarnessError> {
    let outcome = c.execute(sender, msg)?;
    Ok(outcome
        .result
        .unwrap_or_else(|e| panic!("set-up call failed: {e}")))
}

/// One beacon round with the two entropy contributors, left final.
fn beacon(c: &mut WasmContract, entropy: &[String; 2], n: u8) -> Result<(), HarnessError> {
    let secrets = [[n; 32], [n.wrapping_add(100); 32]];
    for (who, secret) in entropy.iter().zip(&secrets) {
        let hash = HexBinary::from(commit_secret(secret));
        setup(c, who, &ExecuteMsg::CommitEntropy { hash })?;
    }
    c.advance(ROUND);
    for (who, secret) in entropy.iter().zip(&secrets) {
        let secret = HexBinary::from(secret.to_vec());
        setup(c, who, &ExecuteMsg::RevealEntropy { secret })?;
    }
    c.advance(ROUND);
    Ok(())
}

pub fn scenario(report: &mut Report) -> Result<(), HarnessError> {
    for verifiers in SIZES {
        run(report, verifiers)?;
    }
    let draws: Vec<u64> = SIZES
        .iter()
        .map(|&n| report.gas(NAME, &draw_call(n)).unwrap_or(0))
        .collect();
    let per_verifier = draws[2].saturating_sub(draws[1]) / (SIZES[2] - SIZES[1]) as u64;
    report.note(format!(
        "PoCPS appeals: DrawAppeal reads every verifier entry once (the weighted sortition needs \
         each bond): {} VM gas with {} bonded verifiers, {} with {}, {} with {}, about \
         {per_verifier} per verifier entry. The appellant pays it, once per appeal; every entry \
         is a verifier that bonded at least `min_bond`.",
        draws[0], SIZES[0], draws[1], SIZES[1], draws[2], SIZES[2],
    ));
    let sweeps: Vec<u64> = SIZES
        .iter()
        .map(|&n| report.gas(NAME, &sweep_call(n)).unwrap_or(0))
        .collect();
    let per_verifier = sweeps[2].saturating_sub(sweeps[1]) / (SIZES[2] - SIZES[1]) as u64;
    report.note(format!(
        "PoCPS sweeps: DrawSweep draws one verifier by the same sortition, so it reads every \
         verifier entry once too: {} VM gas with {} bonded verifiers, {} with {}, {} with {}, \
         about {per_verifier} per entry. Paid once per device and window, by whoever draws it \
         (the drawn verifier, with its verdict).",
        sweeps[0], SIZES[0], sweeps[1], SIZES[1], sweeps[2], SIZES[2],
    ));
    Ok(())
}

fn run(report: &mut Report, verifiers: usize) -> Result<(), HarnessError> {
    let mut c = WasmContract::load("loopin_pocps_registry")?;
    // The class sweeps, as the production classes do: the accusation below comes from a timed
    // challenge, and the device's first sweep is drawn at the end.
    let w = Wiring::with_gemm(
        &mut c,
        GemmClass {
            sweep_seconds: SWEEP,
            max_missed_sweeps: 3,
            ..h100_gemm()
        },
    )?;
    let (factory_addr, token, pool, miner) = (
        w.factory.clone(),
        w.token.clone(),
        w.pool.clone(),
        w.miner.clone(),
    );
    let s = RegistrySettings {
        lateness_quorum: 2,
        ..settings()
    };
    c.instantiate(
        &factory_addr,
        &InstantiateMsg {
            factory: factory_addr.clone(),
            settings: s,
        },
    )?
    .result
    .unwrap_or_else(|e| panic!("instantiate: {e}"));

    // The verifiers, bonded and keyed; the first two accuse. Two more contribute entropy.
    let entropy = [c.addr("entropy-1"), c.addr("entropy-2")];
    let all: Vec<String> = (0..verifiers)
        .map(|i| c.addr(&format!("verifier-{i}")))
        .collect();
    for who in entropy.iter().chain(&all) {
        let bond = ExecuteMsg::Receive(cw20::Cw20ReceiveMsg {
            sender: who.clone(),
            amount: Uint128::new(200_000_000),
            msg: to_json_binary(&ReceiveMsg::Bond {}).unwrap(),
        });
        setup(&mut c, &token, &bond)?;
    }
    for (i, who) in all.iter().enumerate() {
        let msg = set_key_msg(&c.contract_addr(), who, &verifier_key(i as u64));
        setup(&mut c, who, &msg)?;
    }
    let accusers = [all[0].clone(), all[1].clone()];
    let secrets = [[0x61u8; 32], [0x62u8; 32]];
    let mut ids = vec![];
    for (who, secret) in accusers.iter().zip(&secrets) {
        let msg = ExecuteMsg::Commit {
            secret_hash: HexBinary::from(commit_secret(secret)),
        };
        let res = setup(&mut c, who, &msg)?;
        ids.push(challenge_id(&res));
    }
    c.advance(ROUND);
    beacon(&mut c, &entropy, 1)?;

    // The device (production-80g; no opening is checked here, so any root).
    let device = Device::new(&miner, &pool);
    let root = [7u8; 32];
    let token_id = TOKEN_ID.to_string();
    let now = c.block().time;
    w.certificates(
        &mut c,
        HashMap::from([(token_id.clone(), device.certificate(root, now))]),
    )?;
    setup(&mut c, &miner, &device.register(root))?;
    for &id in &ids {
        setup(
            &mut c,
            &accusers[0],
            &ExecuteMsg::Assign { challenge_id: id },
        )?;
    }

    // Two Late votes: the second accuses.
    let late = |id: u64, secret: &[u8; 32]| ExecuteMsg::Submit {
        challenge_id: id,
        secret: HexBinary::from(secret.to_vec()),
        verdict: Verdict::Late {
            latency_ms: None,
            rtt_ms: 0,
            throughput: false,
        },
        attempt: 0,
    };
    setup(&mut c, &accusers[0], &late(ids[0], &secrets[0]))?;
    let res = exec(
        report,
        &mut c,
        NAME,
        &format!("{ACCUSE} ({verifiers} verifiers)"),
        &accusers[1],
        &late(ids[1], &secrets[1]),
        true,
    )?;
    assert!(res.attributes.iter().any(|a| a.key == "accused"));
    let appeal = ExecuteMsg::Appeal {
        token_id: token_id.clone(),
    };
    exec(
        report,
        &mut c,
        NAME,
        &format!("{APPEAL} ({verifiers} verifiers)"),
        &miner,
        &appeal,
        true,
    )?;
    c.advance(ROUND);
    beacon(&mut c, &entropy, 2)?;
    let res = exec(
        report,
        &mut c,
        NAME,
        &draw_call(verifiers),
        &miner,
        &ExecuteMsg::DrawAppeal { token_id },
        true,
    )?;
    let drawn = res.attributes.iter().filter(|a| a.key == "drawn").count();
    assert_eq!(drawn, 3, "three drawn of {verifiers}");

    // The device's sweep of the next window (its pool's next epoch; the querier's pool began
    // at time 0): the round before it drawing, final as it opens.
    let now = c.block().time.seconds();
    let window = (now + 2 * ROUND) / SWEEP + 1;
    let start = window * SWEEP;
    c.advance(start - 2 * ROUND - now);
    beacon(&mut c, &entropy, 3)?;
    let res = exec(
        report,
        &mut c,
        NAME,
        &sweep_call(verifiers),
        &miner,
        &ExecuteMsg::DrawSweep {
            token_id: TOKEN_ID.to_string(),
            window,
        },
        true,
    )?;
    assert!(res.attributes.iter().any(|a| a.key == "verifier"));
    // What a verifier polls: its duties over a page of devices (one device here: the verifier
    // entries loaded once and one draw).
    let drawn = res
        .attributes
        .iter()
        .find(|a| a.key == "verifier")
        .map(|a| a.value.clone())
        .unwrap_or_default();
    query(
        report,
        &mut c,
        NAME,
        &format!("SweepDuties (query, 1 device, {verifiers} bonded verifiers)"),
        &loopin::registry::QueryMsg::SweepDuties {
            verifier: drawn,
            start_after: None,
            limit: None,
        },
    )?;
    Ok(())
}
