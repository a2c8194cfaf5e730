//! PoCPS registry: bonds, the entropy beacon, registration and assignment, and the on-chain
//! re-check of a round at production parameters (production-80g: r = 1000 Sloth rounds per
//! block, 1 KiB leaves of 64 blocks, a 26-level tree, k = 8 openings).
//!
//! The factory and the stake-certificate contract are stood in for by the querier. The device's
//! tree is sparse: it holds exactly the leaves the challenges open, each a correctly chained leaf
//! of P, so every check the contract makes is the real one.

use std::collections::HashMap;

use cosmwasm_std::{HexBinary, Uint128, to_json_binary};
use k256::ecdsa::SigningKey;
use loopin::registry::{
    BeaconRoundResponse, ChallengeResponse, ExecuteMsg, GemmCells, GemmPassMsg, GemmProofMsg,
    GemmRowMsg, InstantiateMsg, OpeningMsg, QueryMsg, ReceiveMsg, SignedAnswer, StepProofMsg,
    TranscriptMsg, Verdict,
};
use loopin_pocps::challenge::{commit_secret, indices, round_seed};
use loopin_pocps::encode::{Params, block_input, encode_block};
use loopin_pocps::merkle::{Hash, leaf_hash, node_hash};
use loopin_pocps::proof::{Opening, position_place, round_message};
use loopin_pocps::sig::k256_sign;
use loopin_pocps::timed::{next_state, position};
use loopin_pocps::transcript::{Transcript, transcript_message};
use loopin_wasm_tests::{HarnessError, WasmContract};

use crate::registry_setup::{
    CHAIN_ROUNDS, Device, K, PRODUCTION, ROUND, TOKEN_ID, Wiring, challenge_id,
    challenge_randomness, h100_gemm, rotate_key_msg, set_key_msg, settings,
};
use crate::report::{Report, exec, query};

const NAME: &str = "pocps-registry";
const PASS: &str = "Submit Pass (signed digests of 8 openings, the h100 class's GEMM root)";
const ONE_BLOCK: &str = "Submit BadProof refuted: re-check 1 block";
const WHOLE_LEAF: &str = "Submit BadProof refuted: re-check a whole 64-block leaf";
/// The step of a production timed chain the audit names.
const AUDITED: u32 = 12_345;
const AUDIT_OPEN: &str = "Audit (open, step of a 20,000-read transcript)";
const AUDIT_SOUND: &str = "AnswerAudit sound (2 steps, 15-level paths, 1 block re-checked)";
/// The row of the h100 class's C (2^21 × 16384) a GEMM audit names, and its columns (the most
/// one audit may name).
const AUDITED_ROW: u64 = 1_234_567;
const AUDITED_COLS: [u32; 4] = [0, 5, 9_999, 16_383];
const GEMM_AUDIT_OPEN: &str = "AuditGemm (open; the beacon draws a row of the h100 class's C)";
const GEMM_AUDIT_PROVEN: &str = "AuditGemm proven: a 16,384-entry row, 21-level path, 4 entries recomputed (k = 16,384), the last wrong";

/// A row root of the h100 class's C whose audited row is right at the audited columns but the
/// last (what the chain recomputes), with that row's entries and path: the rest of C is never
/// read. Judging a right row (an answer) does the same work and finds no fault.
fn h100_audited_root(seed: &Hash) -> (Hash, Vec<i32>, Vec<Hash>) {
    let shape = h100_gemm().shape();
    let mut row = vec![0i32; shape.n as usize];
    for col in AUDITED_COLS {
        row[col as usize] = loopin_pocps::gemm_audit::entry(seed, shape, AUDITED_ROW, col);
    }
    row[AUDITED_COLS[3] as usize] += 1;
    let leaf = loopin_pocps::gemm::row_leaf(AUDITED_ROW, &row);
    let depth = shape.m.trailing_zeros() as usize;
    let tree = Sparse::new(depth, &HashMap::from([(AUDITED_ROW, leaf)]));
    (tree.root(), row, tree.path(AUDITED_ROW))
}

/// A transcript of a production chain whose audited step is right: an audit checks one step
/// (its block and its link to the next state), so the other reads need not be.
fn production_transcript(ek: u128, seed: &Hash) -> Transcript {
    let total = PRODUCTION.leaves() * u64::from(PRODUCTION.blocks_per_leaf);
    let mut blocks = vec![0u128; CHAIN_ROUNDS as usize];
    let mut state = *seed;
    for b in &blocks[..AUDITED as usize] {
        state = next_state(&state, *b);
    }
    let (lane, i) = position_place(&PRODUCTION, position(&state, total));
    blocks[AUDITED as usize] = encode_block(block_input(ek, lane, i), PRODUCTION.rounds);
    Transcript::new(seed, &blocks)
}

/// Blocks of leaf `leaf` of P (each block the encoding of its own input).
fn leaf_blocks(ek: u128, p: &Params, leaf: u64) -> Vec<u128> {
    let per_lane = u64::from(p.blocks_per_lane / p.blocks_per_leaf);
    let lane = (leaf / per_lane) as u32;
    let first = (leaf % per_lane) as u32 * p.blocks_per_leaf;
    (0..p.blocks_per_leaf)
        .map(|n| encode_block(block_input(ek, lane, first + n), p.rounds))
        .collect()
}

/// A sparse Merkle tree of `depth` levels holding only some leaves (the rest are zero digests).
struct Sparse {
    levels: Vec<HashMap<u64, Hash>>,
    zero: Vec<Hash>,
}

impl Sparse {
    fn new(depth: usize, leaves: &HashMap<u64, Hash>) -> Sparse {
        let mut zero = vec![[0u8; 32]];
        let mut levels = vec![leaves.clone()];
        for l in 0..depth {
            let below = &levels[l];
            let mut up = HashMap::new();
            for &i in below.keys() {
                let parent = i >> 1;
                let left = *below.get(&(parent << 1)).unwrap_or(&zero[l]);
                let right = *below.get(&((parent << 1) | 1)).unwrap_or(&zero[l]);
                up.insert(parent, node_hash(&left, &right));
            }
            zero.push(node_hash(&zero[l], &zero[l]));
            levels.push(up);
        }
        Sparse { levels, zero }
    }

    fn root(&self) -> Hash {
        self.levels.last().unwrap()[&0]
    }

    fn path(&self, leaf: u64) -> Vec<Hash> {
        (0..self.levels.len() - 1)
            .map(|l| {
                *self.levels[l]
                    .get(&((leaf >> l) ^ 1))
                    .unwrap_or(&self.zero[l])
            })
            .collect()
    }
}

pub fn scenario(report: &mut Report) -> Result<(), HarnessError> {
    let mut c = WasmContract::load("loopin_pocps_registry")?;
    let w = Wiring::new(&mut c)?;
    let (factory_addr, token, pool, miner) = (
        w.factory.clone(),
        w.token.clone(),
        w.pool.clone(),
        w.miner.clone(),
    );
    let outcome = c.instantiate(
        &factory_addr,
        &InstantiateMsg {
            factory: factory_addr.clone(),
            settings: settings(),
        },
    )?;
    report.record(NAME, "instantiate", outcome).unwrap();

    // Two entropy contributors and four checkers, one per verdict measured.
    let entropy = [c.addr("entropy-1"), c.addr("entropy-2")];
    let checkers: Vec<String> = (0..4).map(|i| c.addr(&format!("checker-{i}"))).collect();
    for (n, who) in entropy.iter().chain(&checkers).enumerate() {
        let msg = ExecuteMsg::Receive(cw20::Cw20ReceiveMsg {
            sender: who.clone(),
            amount: Uint128::new(100_000_000),
            msg: to_json_binary(&ReceiveMsg::Bond {}).unwrap(),
        });
        let call = if n == 0 {
            "Receive Bond"
        } else {
            "Receive Bond (again)"
        };
        exec(report, &mut c, NAME, call, &token, &msg, true)?;
    }

    // Every checker registers the key it signs prover requests with (proof of possession).
    for (i, who) in checkers.iter().enumerate() {
        let key = SigningKey::from_slice(&[0x50 + i as u8; 32]).unwrap();
        let call = if i == 0 {
            "SetChallengeKey"
        } else {
            "SetChallengeKey (again)"
        };
        let msg = set_key_msg(&c.contract_addr(), who, &key);
        exec(report, &mut c, NAME, call, who, &msg, true)?;
    }

    // Every checker commits its secret before the beacon round its randomness comes from.
    let secrets: Vec<Hash> = (0..4u8).map(|i| [0x40 + i; 32]).collect();
    let mut ids = vec![];
    for (i, (who, secret)) in checkers.iter().zip(&secrets).enumerate() {
        let call = if i == 0 { "Commit" } else { "Commit (again)" };
        let res = exec(
            report,
            &mut c,
            NAME,
            call,
            who,
            &ExecuteMsg::Commit {
                secret_hash: HexBinary::from(commit_secret(secret)),
            },
            true,
        )?;
        ids.push(challenge_id(&res));
    }
    c.advance(ROUND);
    let entropy_secrets = [[0x11u8; 32], [0x22u8; 32]];
    for (who, secret) in entropy.iter().zip(&entropy_secrets) {
        exec(
            report,
            &mut c,
            NAME,
            "CommitEntropy",
            who,
            &ExecuteMsg::CommitEntropy {
                hash: HexBinary::from(commit_secret(secret)),
            },
            true,
        )?;
    }
    c.advance(ROUND);
    for (who, secret) in entropy.iter().zip(&entropy_secrets) {
        exec(
            report,
            &mut c,
            NAME,
            "RevealEntropy",
            who,
            &ExecuteMsg::RevealEntropy {
                secret: HexBinary::from(secret.to_vec()),
            },
            true,
        )?;
    }
    let round = 2;
    c.advance(ROUND);
    let beacon: BeaconRoundResponse = c.query(&QueryMsg::BeaconRound { round })?.unwrap();
    assert!(beacon.is_final && beacon.contributors == 2);

    // The device: its tree holds the leaves every challenge will open; its fingerprint is its
    // key's.
    let device = Device::new(&miner, &pool);
    let ek = device.ek;
    let seeds: Vec<Hash> = ids
        .iter()
        .zip(&secrets)
        .map(|(&id, secret)| {
            round_seed(
                secret,
                &challenge_randomness(beacon.value.as_slice(), id),
                0,
                &[0u8; 32],
            )
        })
        .collect();
    // Opening 0 of challenges 1-3 is re-checked: those leaves are real chained leaves of P and
    // sit in the tree. The other openings are only hashed into the signed message.
    let mut blocks: HashMap<u64, Vec<u128>> = HashMap::new();
    for seed in &seeds[1..] {
        let leaf = indices(seed, K, PRODUCTION.leaves())[0];
        blocks
            .entry(leaf)
            .or_insert_with(|| leaf_blocks(ek, &PRODUCTION, leaf));
    }
    let hashes = blocks.iter().map(|(&i, b)| (i, leaf_hash(b))).collect();
    let tree = Sparse::new(PRODUCTION.depth(), &hashes);
    let commitment = device.commitment(tree.root());
    let token_id = TOKEN_ID.to_string();
    let now = c.block().time;
    w.certificates(
        &mut c,
        HashMap::from([(token_id.clone(), device.certificate(tree.root(), now))]),
    )?;
    exec(
        report,
        &mut c,
        NAME,
        "RegisterDevice (production-80g)",
        &miner,
        &device.register(tree.root()),
        true,
    )?;
    // The device's key rotated twice (a retired key never comes back); its answers below are
    // signed by the third.
    let next = SigningKey::from_slice(&[0x5a; 32]).expect("a valid secp256k1 key");
    let third = SigningKey::from_slice(&[0x5b; 32]).expect("a valid secp256k1 key");
    let (chain_id, registry) = (c.block().chain_id.clone(), c.contract_addr());
    for (rotation, from, to, call) in [
        (0, &device.key, &next, "RotateDeviceKey"),
        (1, &next, &third, "RotateDeviceKey (again)"),
    ] {
        let msg = rotate_key_msg(&chain_id, &registry, &token_id, from, to, rotation);
        exec(report, &mut c, NAME, call, &miner, &msg, true)?;
    }
    let key = &third;
    for (i, &id) in ids.iter().enumerate() {
        let call = if i == 0 { "Assign" } else { "Assign (again)" };
        exec(
            report,
            &mut c,
            NAME,
            call,
            &checkers[0],
            &ExecuteMsg::Assign { challenge_id: id },
            true,
        )?;
    }
    query(
        report,
        &mut c,
        NAME,
        "Challenge (query)",
        &QueryMsg::Challenge {
            challenge_id: ids[0],
        },
    )?;
    let assigned: ChallengeResponse = c
        .query(&QueryMsg::Challenge {
            challenge_id: ids[0],
        })?
        .unwrap();
    assert_eq!(assigned.target.as_deref(), Some(token_id.as_str()));
    // What the device's prover polls: its open assignments (all four challenges).
    query(
        report,
        &mut c,
        NAME,
        "Assignments (query, 4 open)",
        &QueryMsg::Assignments {
            token_id: token_id.clone(),
            start_after: None,
            limit: None,
        },
    )?;

    // The device's signed answers; the last one carries a bad last block in opening 0.
    let answer = |n: usize, bad: bool| {
        let mut openings: Vec<Opening> = indices(&seeds[n], K, PRODUCTION.leaves())
            .into_iter()
            .map(|leaf| Opening {
                index: leaf,
                blocks: blocks
                    .get(&leaf)
                    .cloned()
                    .unwrap_or_else(|| vec![leaf as u128; 64]),
                path: tree.path(leaf),
            })
            .collect();
        if bad {
            openings[0].blocks[63] ^= 1 << 20;
        }
        let signature = k256_sign(key, &round_message(&commitment, &seeds[n], &openings));
        (SignedAnswer::from_openings(&openings, &signature), openings)
    };
    let bad_proof = |n: usize, bad: bool, block: Option<u32>| {
        let (answer, openings) = answer(n, bad);
        Verdict::BadProof {
            answer,
            opening: 0,
            leaf: OpeningMsg::from(&openings[0]),
            block,
        }
    };
    let chain = production_transcript(ek, &seeds[0]);
    let signed = chain.signed();
    let transcript = TranscriptMsg::new(
        &signed,
        &k256_sign(
            key,
            &transcript_message(
                &commitment.root,
                &seeds[0],
                signed.rounds,
                &signed.final_state,
                &signed.root,
            ),
        ),
    );
    // The class's GEMM root, signed by the device for this challenge (the registry checks the
    // signature, the seed, the shape and the deadline; an audit checks a row).
    let gemm_seed = loopin_pocps::gemm::challenge_seed(
        &secrets[0],
        &challenge_randomness(beacon.value.as_slice(), ids[0]),
        0,
    );
    let (gemm_root, gemm_row, gemm_path) = h100_audited_root(&gemm_seed);
    let gemm = GemmPassMsg {
        row_root: HexBinary::from(gemm_root.to_vec()),
        signature: HexBinary::from(k256_sign(
            key,
            &loopin_pocps::gemm::message(&gemm_seed, h100_gemm().shape(), &gemm_root),
        )),
        latency_ms: 900,
        gemm_try: 0,
    };
    let verdicts = [
        (
            PASS,
            Verdict::Pass {
                answer: answer(0, false).0,
                latency_ms: 40,
                transcript,
                rtt_ms: 50,
                gemm: Some(gemm),
            },
            None,
        ),
        (ONE_BLOCK, bad_proof(1, false, Some(63)), Some("refuted")),
        (WHOLE_LEAF, bad_proof(2, false, None), Some("refuted")),
        (
            "Submit BadProof proven: re-check 1 block (bad)",
            bad_proof(3, true, Some(63)),
            Some("proven"),
        ),
    ];
    for (n, (call, verdict, outcome)) in verdicts.into_iter().enumerate() {
        let res = exec(
            report,
            &mut c,
            NAME,
            call,
            &checkers[n],
            &ExecuteMsg::Submit {
                challenge_id: ids[n],
                secret: HexBinary::from(secrets[n].to_vec()),
                verdict,
                attempt: 0,
            },
            true,
        )?;
        if let Some(expected) = outcome {
            let got = res.attributes.iter().find(|a| a.key == "outcome").unwrap();
            assert_eq!(got.value, expected, "{call}");
        }
    }
    // An audit of the Pass's transcript, by the verifier whose claim was proven (the refuted
    // ones were slashed), answered with the step: judged right.
    exec(
        report,
        &mut c,
        NAME,
        AUDIT_OPEN,
        &checkers[3],
        &ExecuteMsg::Audit {
            challenge_id: ids[0],
            round: AUDITED,
            proof: None,
        },
        true,
    )?;
    let res = exec(
        report,
        &mut c,
        NAME,
        AUDIT_SOUND,
        &checkers[0],
        &ExecuteMsg::AnswerAudit {
            challenge_id: ids[0],
            auditor: checkers[3].clone(),
            proof: StepProofMsg::from_transcript(&chain, AUDITED).unwrap(),
        },
        true,
    )?;
    let got = res.attributes.iter().find(|a| a.key == "outcome").unwrap();
    assert_eq!(got.value, "sound");
    // Audits of the Pass's GEMM by the entropy contributors (bonded, and neither the Pass's
    // verifier nor the device's owner): one open (the beacon will draw its cells), and one by an
    // auditor holding the committed row, judged at once: the chain recomputes the four named
    // entries from the seed and finds the last wrong.
    exec(
        report,
        &mut c,
        NAME,
        GEMM_AUDIT_OPEN,
        &entropy[0],
        &ExecuteMsg::AuditGemm {
            challenge_id: ids[0],
            proof: None,
        },
        true,
    )?;
    let res = exec(
        report,
        &mut c,
        NAME,
        GEMM_AUDIT_PROVEN,
        &entropy[1],
        &ExecuteMsg::AuditGemm {
            challenge_id: ids[0],
            proof: Some(GemmProofMsg {
                cells: GemmCells {
                    row: AUDITED_ROW,
                    cols: AUDITED_COLS.to_vec(),
                },
                row: GemmRowMsg::new(&gemm_row, &gemm_path),
            }),
        },
        true,
    )?;
    let got = res.attributes.iter().find(|a| a.key == "outcome").unwrap();
    assert_eq!(got.value, "bad_entry");
    let pass = report.gas(NAME, PASS).unwrap();
    let one = report.gas(NAME, ONE_BLOCK).unwrap();
    let leaf = report.gas(NAME, WHOLE_LEAF).unwrap();
    let per_block = leaf.saturating_sub(one) / 63;
    report.note(format!(
        "PoCPS registry at production-80g (r = 1000 Sloth rounds per block, 64-block leaves, \
         26-level paths, k = 8): a Pass (the device's signature over the 8 signed leaf digests) \
         and the device-signed transcript root it records, costs {pass} VM gas; re-checking one named block of a signed opening (1000 fast Sloth \
         steps, the leaf hash and its path) {one} ({:.2}e9, target <= 1e9); a whole 64-block leaf \
         {leaf} ({:.2}e9); each further block about {per_block}. Re-checking all 8 openings, as \
         `verify_round` does, would be about {:.1}e9 (8 whole leaves, extrapolated), so the \
         registry re-checks the one block a claim names (`max_recheck_steps` = 1000 in \
         production; a verifier knows the failing block from its off-chain check).",
        one as f64 / 1e9,
        leaf as f64 / 1e9,
        (pass + 8 * leaf.saturating_sub(pass)) as f64 / 1e9,
    ));
    for call in [
        "instantiate",
        "Receive Bond",
        "SetChallengeKey",
        "Commit",
        "CommitEntropy",
        "RevealEntropy",
        "RegisterDevice (production-80g)",
        "Assign",
        "Challenge (query)",
        "Assignments (query, 4 open)",
        PASS,
        ONE_BLOCK,
        WHOLE_LEAF,
        "Submit BadProof proven: re-check 1 block (bad)",
        AUDIT_OPEN,
        AUDIT_SOUND,
        GEMM_AUDIT_OPEN,
        GEMM_AUDIT_PROVEN,
    ] {
        eprintln!(
            "| {NAME} | {call} | {} |",
            report.gas(NAME, call).unwrap_or(0)
        );
    }
    Ok(())
}
