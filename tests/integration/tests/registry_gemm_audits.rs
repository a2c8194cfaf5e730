//! Audits of a Pass's GEMM (issue 22, "passes are checkable", for the throughput part): a Pass
//! on a device whose class asks a GEMM records the device-signed row root and the seed it
//! answers; any bonded verifier may ask for one row of C as committed, at cells the beacon draws
//! after the audit opens, and the chain recomputes those entries from the seed. A device that signed a root it never computed loses the
//! pass and its certificate, whether it shows its committed row or shows nothing; the verifier
//! that passed it, which checks sampled rows only, pays the skip penalty, not its whole bond; an
//! honest pass survives, and the auditor pays for the answer.

use cosmwasm_std::{Binary, HexBinary};
use loopin::pool::{GemmClass, PoolParams};
use loopin::registry::{
    ChallengeStatus, DeviceAuditsResponse, DeviceStatus, ExecuteMsg, GEMM_DRAW_ROUNDS, GemmCells,
    GemmProofMsg, GemmRowMsg, QueryMsg, RegistrySettings, StepProofMsg, Verdict,
};
use loopin::stake_cert::{CertificateStatus, StakeMode};
use loopin_integration_tests::protocol::{LOOP, Protocol, attr, params, protocol_with};
use loopin_integration_tests::registry::appeals::{
    MORE, accused_net_on, appeal_drawn, appeal_settings, name_of,
};
use loopin_integration_tests::registry::{
    BOND, Net, ROUND, VERIFIERS, bonded_net, bonded_net_on, settings,
};
use loopin_pocps::gemm::{self, Shape};
use loopin_pocps::merkle::{Hash, Tree};
use loopin_pocps_registry::ContractError;

const CLASS: GemmClass = GemmClass {
    m: 64,
    k: 40,
    n: 24,
    rows: 64,
    deadline_ms: 1_500,
    sweep_seconds: 0,
    max_missed_sweeps: 0,
};
const SHAPE: Shape = Shape {
    m: 64,
    k: 40,
    n: 24,
};

/// A C the device committed: its entries, row-major, and their row tree.
struct Committed {
    c: Vec<i32>,
    tree: Tree,
}

impl Committed {
    fn new(c: Vec<i32>) -> Committed {
        let tree = gemm::commit(&c, SHAPE);
        Committed { c, tree }
    }

    /// The true product for `seed`.
    fn honest(seed: &Hash) -> Committed {
        let (a, bt) = gemm::inputs(seed, SHAPE);
        Committed::new(gemm::product(&a, &bt, SHAPE))
    }

    /// Row `i` as the device shows it, with its path.
    fn row(&self, i: u64) -> GemmRowMsg {
        let n = SHAPE.n as usize;
        let row = &self.c[i as usize * n..(i as usize + 1) * n];
        GemmRowMsg::new(row, &self.tree.path(i as usize))
    }
}

/// The protocol with a pool whose class asks `CLASS`.
fn gemm_protocol() -> Protocol {
    protocol_with(
        PoolParams {
            gemm: Some(CLASS),
            ..params()
        },
        1_000 * LOOP,
    )
}

/// The pool's epochs until alice's stake (stake 1) is verified: a pass then counts.
fn until_verified(n: &mut Net) {
    let first = n.p.stake_info(1).verified_from.unwrap();
    while n.p.pool().clock_epoch < first {
        n.p.next_epoch();
    }
}

/// Alice's device in a pool whose class asks `CLASS`, drawn to Bob, who passes it with the root
/// of `commit(gemm seed)` signed by the device; the challenge id, the device, the pool epoch and
/// what the device committed.
fn passed_by_bob(
    settings: RegistrySettings,
    commit: impl Fn(&Hash) -> Committed,
) -> (Net, u64, usize, u64, Committed) {
    let p = gemm_protocol();
    let mut n = bonded_net_on(p, settings);
    let alice = n.stake_device("alice", 1, StakeMode::LiquidityProvider, 11 * LOOP);
    until_verified(&mut n);
    let (id, d) = n.assigned("bob", &VERIFIERS);
    assert_eq!(d, alice);
    let seed = n.gemm_seed(id, 0);
    let committed = commit(&seed);
    let part = n.sign_gemm_root(d, &CLASS, &seed, &committed.tree.root(), 900);
    let res = n.pass_with_gemm_part("bob", id, d, part).unwrap();
    assert_eq!(attr(&res, "counted").as_deref(), Some("true"));
    let epoch = n.p.pool().clock_epoch;
    (n, id, d, epoch, committed)
}

/// What a device with no GPU signs: a C it never computed.
fn nothing_computed(_: &Hash) -> Committed {
    Committed::new(vec![0; (SHAPE.m * SHAPE.n) as usize])
}

/// An audit of challenge `id`'s GEMM whose cells the beacon draws.
fn audit(id: u64) -> ExecuteMsg {
    ExecuteMsg::AuditGemm {
        challenge_id: id,
        proof: None,
    }
}

/// An audit with the committed `row` of an auditor that holds it, at cells it names.
fn prove(id: u64, row: u64, cols: &[u32], committed: GemmRowMsg) -> ExecuteMsg {
    ExecuteMsg::AuditGemm {
        challenge_id: id,
        proof: Some(GemmProofMsg {
            cells: GemmCells {
                row,
                cols: cols.to_vec(),
            },
            row: committed,
        }),
    }
}

fn answer(n: &Net, id: u64, auditor: &str, row: GemmRowMsg) -> ExecuteMsg {
    ExecuteMsg::AnswerGemmAudit {
        challenge_id: id,
        auditor: n.addr(auditor).to_string(),
        row,
    }
}

fn finalize(n: &Net, id: u64, auditor: &str) -> ExecuteMsg {
    ExecuteMsg::FinalizeAudit {
        challenge_id: id,
        auditor: n.addr(auditor).to_string(),
    }
}

fn device_audits(n: &Net, token_id: &str) -> DeviceAuditsResponse {
    n.q(&QueryMsg::DeviceAudits {
        token_id: token_id.to_string(),
        start_after: None,
        limit: None,
    })
}

/// The cells of the device's first open GEMM audit, as it reads them.
fn drawn(n: &Net, token_id: &str) -> Option<GemmCells> {
    device_audits(n, token_id).audits[0]
        .gemm
        .as_ref()
        .expect("an audit of the GEMM")
        .cells
        .clone()
}

/// Opens `auditor`'s audit and lets a beacon round without it draw the cells.
fn audited(n: &mut Net, id: u64, auditor: &str, token_id: &str) -> GemmCells {
    n.exec(auditor, &audit(id)).unwrap();
    assert_eq!(
        drawn(n, token_id),
        None,
        "not drawn before a round is final"
    );
    let contributors: Vec<&str> = ["bob", "dave", "carol"]
        .into_iter()
        .filter(|v| *v != auditor)
        .take(2)
        .collect();
    n.beacon(&contributors);
    drawn(n, token_id).expect("drawn by the round after the audit")
}

#[test]
fn a_pass_of_a_gemm_root_nobody_computed_is_proven_bad_the_device_invalidated_the_verifier_penalised()
 {
    let (mut n, id, d, epoch, committed) = passed_by_bob(settings(), nothing_computed);
    let token_id = n.devices[d].token_id.clone();
    assert!(n.epoch_proof(1, epoch).proven, "the pass counted, for now");
    let pass = n.challenge(id).pass.unwrap();
    assert_eq!(
        pass.gemm_seed.as_ref().unwrap().as_slice(),
        n.gemm_seed(id, 0)
    );
    // Neither the Pass's verifier nor the device's owner may audit it.
    for who in ["bob", "alice"] {
        assert_eq!(n.refused(who, &audit(id)), ContractError::OwnAudit {});
    }
    // Carol audits; the device may not answer before the beacon draws the cells.
    let res = n.exec("carol", &audit(id)).unwrap();
    assert_eq!(attr(&res, "outcome").as_deref(), Some("open"));
    let early = n.refused("alice", &answer(&n, id, "carol", committed.row(0)));
    assert!(
        matches!(early, ContractError::RandomnessPending { .. }),
        "{early:?}"
    );
    n.beacon(&["bob", "dave"]);
    // The device finds what recomputing the row needs: the cells, the seed, the shape, its root.
    let listed = device_audits(&n, &token_id);
    let asked = listed.audits[0].gemm.clone().expect("an audit of the GEMM");
    let cells = asked.cells.expect("drawn");
    assert_eq!(cells.cols.len(), 4);
    assert_eq!(asked.seed.as_slice(), n.gemm_seed(id, 0));
    assert_eq!((asked.m, asked.k, asked.n), (64, 40, 24));
    assert_eq!(asked.root.as_slice(), committed.tree.root());
    // A GEMM audit is not answered with a step.
    let err = n.refused(
        "alice",
        &ExecuteMsg::AnswerAudit {
            challenge_id: id,
            auditor: n.addr("carol").to_string(),
            proof: StepProofMsg::from_transcript(&n.devices[d].chain(&n.seed(id)), 0).unwrap(),
        },
    );
    assert_eq!(err, ContractError::WrongAuditKind { id, gemm: true });
    // All the pair holds is what it committed: showing it proves the device's fault.
    let res = n
        .exec("alice", &answer(&n, id, "carol", committed.row(cells.row)))
        .unwrap();
    assert_eq!(attr(&res, "outcome").as_deref(), Some("bad_entry"));
    let col = cells.cols[0];
    let truth = loopin_pocps::gemm_audit::entry(&n.gemm_seed(id, 0), SHAPE, cells.row, col);
    assert_ne!(truth, 0, "this cell of the product is not 0");
    assert_eq!(
        attr(&res, "fault"),
        Some(format!(
            "C[{}][{col}] is committed as 0, A·B gives {truth}",
            cells.row
        ))
    );
    // The pass is void, the device invalidated, the epoch unproven. Bob checked sampled rows
    // and could have missed a wrong one: he pays the skip penalty (1 %), not his bond.
    assert_eq!(n.challenge(id).status, ChallengeStatus::Voided);
    let bob = n.verifier("bob");
    let penalty = BOND * u128::from(settings().skip_penalty_bps) / 10_000;
    assert_eq!(attr(&res, "penalty"), Some(penalty.to_string()));
    assert!(!bob.slashed);
    assert_eq!(bob.bonded.u128(), BOND - penalty);
    assert_eq!(n.device(&token_id).status, DeviceStatus::Invalidated);
    assert_eq!(n.certificate(&token_id), CertificateStatus::Invalidated);
    let proof = n.epoch_proof(1, epoch);
    assert_eq!((proof.passes, proof.proven), (0, false));
    assert_eq!(n.p.stake_info(1).proven_epochs, 0);
    // Carol's audit was a valid check; her bond is whole and she is free.
    let carol = n.verifier("carol");
    assert_eq!((carol.valid_checks, carol.bonded.u128()), (1, BOND));
    assert_eq!(carol.open_challenges, 0);
}

#[test]
fn a_gemm_audit_nobody_answers_voids_the_pass_and_invalidates_the_device_where_no_appeal_is_allowed()
 {
    let (mut n, id, d, epoch, _) = passed_by_bob(settings(), nothing_computed);
    let token_id = n.devices[d].token_id.clone();
    let cells = audited(&mut n, id, "carol", &token_id);
    let finalize = finalize(&n, id, "carol");
    assert_eq!(n.refused("client", &finalize), ContractError::NotLapsed {});
    n.later(settings().dispute_seconds + ROUND + 1);
    // Too late to answer now, even with the true row.
    let honest = Committed::honest(&n.gemm_seed(id, 0));
    let err = n.refused("alice", &answer(&n, id, "carol", honest.row(cells.row)));
    assert!(matches!(err, ContractError::AuditLapsed { .. }), "{err:?}");
    let minted_before = n.verifier("carol").valid_checks;
    let res = n.exec("client", &finalize).unwrap();
    assert_eq!(attr(&res, "outcome").as_deref(), Some("unanswered"));
    assert_eq!(attr(&res, "accused"), Some(token_id.clone()));
    assert_eq!(n.challenge(id).status, ChallengeStatus::Voided);
    // Only the device can show a row (it alone holds C's row tree): Bob, who could not have
    // answered, keeps his whole bond. The device signed a root it cannot back; these settings
    // allow no appeal, so the accusation invalidates it at once (with appeals, it may keep its
    // certificate by passing fresh challenges). A silence the device chose pays no reward.
    let bob = n.verifier("bob");
    assert_eq!((bob.slashed, bob.bonded.u128()), (false, BOND));
    assert_eq!(n.device(&token_id).status, DeviceStatus::Invalidated);
    assert_eq!(n.epoch_proof(1, epoch).passes, 0);
    assert_eq!(n.verifier("carol").valid_checks, minted_before);
    assert_eq!(n.verifier("carol").open_challenges, 0);
    assert!(device_audits(&n, &token_id).audits.is_empty());
}

#[test]
fn a_gemm_audit_whose_cells_no_round_drew_closes_without_effect_and_may_be_opened_again() {
    let (mut n, id, d, epoch, _) = passed_by_bob(settings(), nothing_computed);
    let token_id = n.devices[d].token_id.clone();
    n.exec("carol", &audit(id)).unwrap();
    // No beacon round reaches the quorum within the rounds that may draw the cells; past the
    // window one does, too late to count (the device could not have answered it in time): the
    // audit closes with nobody blamed.
    n.later(settings().dispute_seconds + (GEMM_DRAW_ROUNDS + 1) * ROUND + 1);
    n.beacon(&["bob", "dave"]);
    assert_eq!(drawn(&n, &token_id), None, "a late round draws nothing");
    let res = n.exec("client", &finalize(&n, id, "carol")).unwrap();
    assert_eq!(attr(&res, "outcome").as_deref(), Some("undrawn"));
    assert_eq!(n.challenge(id).status, ChallengeStatus::Passed);
    assert_eq!(n.device(&token_id).status, DeviceStatus::Active);
    assert!(n.epoch_proof(1, epoch).proven);
    assert_eq!(n.verifier("carol").open_challenges, 0);
    // Carol audits again, and this time a round draws the cells.
    n.exec("carol", &audit(id)).unwrap();
    n.beacon(&["bob", "dave"]);
    assert!(drawn(&n, &token_id).is_some());
}

#[test]
fn a_device_that_missed_a_gemm_audit_is_accused_and_keeps_its_certificate_by_appealing() {
    // With appeals: the device was offline through the answer window, say. It is accused, not
    // invalidated, and the verifiers an appeal draws find its GEMM right: the accusation drops.
    // A late vote cast in the same window is not the accusation's: it is not penalised.
    let p = gemm_protocol();
    let (mut n, token_id) = accused_net_on(bonded_net_on(p, appeal_settings()), &MORE);
    until_verified(&mut n);
    let (id, d) = n.assigned("bob", &["dave", "erin"]);
    n.pass_with_gemm("bob", id, d, &CLASS).unwrap();
    let (late, _) = n.assigned("frank", &["dave", "erin"]);
    n.submit(
        "frank",
        late,
        Verdict::Late {
            latency_ms: None,
            rtt_ms: 0,
            throughput: false,
        },
    )
    .unwrap();
    audited(&mut n, id, "carol", &token_id);
    n.later(appeal_settings().dispute_seconds + ROUND + 1);
    let (bob_before, frank_before) = (n.verifier("bob").bonded, n.verifier("frank").bonded);
    let res = n.exec("client", &finalize(&n, id, "carol")).unwrap();
    assert_eq!(attr(&res, "accused"), Some(token_id.clone()));
    assert_eq!(n.challenge(id).status, ChallengeStatus::Voided);
    assert_eq!(n.verifier("bob").bonded, bob_before, "bob could not answer");
    let accusation = n.device(&token_id).accusation.expect("accused");
    assert_eq!(accusation.votes, 0, "by an audit, not by votes");
    assert_eq!(n.device(&token_id).status, DeviceStatus::Active);
    // The drawn verifiers (never the auditor) pass it, each with the device-signed root for its
    // own seed.
    let mut outcome = None;
    for (address, id) in appeal_drawn(&mut n, &token_id) {
        assert_ne!(
            address,
            n.addr("carol").as_str(),
            "the auditor is not drawn"
        );
        let who = name_of(&n, &address);
        n.drawn_secret(id);
        let res = n.pass_with_gemm(who, id, 0, &CLASS).unwrap();
        outcome = outcome.or(attr(&res, "appeal"));
    }
    assert_eq!(outcome.as_deref(), Some("upheld"));
    assert_eq!(n.device(&token_id).accusation, None);
    assert_eq!(n.device(&token_id).status, DeviceStatus::Active);
    assert_eq!(
        n.verifier("frank").bonded,
        frank_before,
        "not the accusation's voter"
    );
}

#[test]
fn steps_a_cheater_can_answer_do_not_use_up_the_audits_of_its_gemm() {
    // The pair's friends fill the step audits (a device holds P, so its steps are right).
    let p = gemm_protocol();
    let (mut n, token_id) = accused_net_on(bonded_net_on(p, settings()), &MORE);
    until_verified(&mut n);
    let (id, d) = n.assigned("bob", &["dave", "erin"]);
    let seed = n.gemm_seed(id, 0);
    let part = n.sign_gemm_root(d, &CLASS, &seed, &nothing_computed(&seed).tree.root(), 900);
    n.pass_with_gemm_part("bob", id, d, part).unwrap();
    for (round, friend) in ["carol", "dave", "erin", "frank"].into_iter().enumerate() {
        n.exec(
            friend,
            &ExecuteMsg::Audit {
                challenge_id: id,
                round: round as u32,
                proof: None,
            },
        )
        .unwrap();
    }
    let full = n.refused(
        "grace",
        &ExecuteMsg::Audit {
            challenge_id: id,
            round: 9,
            proof: None,
        },
    );
    assert!(
        matches!(full, ContractError::TooManyAudits { .. }),
        "{full:?}"
    );
    // The GEMM's audits have limits of their own: an honest auditor still opens one, and the
    // cells are the beacon's, not the friends' choice.
    let res = n.exec("grace", &audit(id)).unwrap();
    assert_eq!(attr(&res, "outcome").as_deref(), Some("open"));
    assert_eq!(device_audits(&n, &token_id).audits.len(), 5);
}

#[test]
fn an_honest_gemm_pass_survives_an_audit_and_the_auditor_pays_the_device() {
    let (mut n, id, d, epoch, committed) = passed_by_bob(settings(), Committed::honest);
    let token_id = n.devices[d].token_id.clone();
    // An auditor holding the rows cannot prove a right row wrong, at any column.
    for (row, cols) in [(0u64, vec![0u32, 23]), (63, vec![5, 6, 7, 8])] {
        let err = n.refused("carol", &prove(id, row, &cols, committed.row(row)));
        assert_eq!(err, ContractError::GemmRowSound { row });
    }
    let cells = audited(&mut n, id, "carol", &token_id);
    // Only the committed row answers it: not another row's entries, not a changed row.
    let other = (cells.row + 1) % 64;
    let err = n.refused("alice", &answer(&n, id, "carol", committed.row(other)));
    assert!(matches!(err, ContractError::BadGemmRow { .. }), "{err:?}");
    let mut changed = committed.row(cells.row);
    let mut bytes = changed.entries.to_vec();
    bytes[8] ^= 1;
    changed.entries = Binary::from(bytes);
    let err = n.refused("alice", &answer(&n, id, "carol", changed));
    assert!(matches!(err, ContractError::BadGemmRow { .. }), "{err:?}");
    // Anyone may show it; the fee, 1 % of Carol's bond, goes to the device's owner, even when
    // the Pass's verifier sends the row (it could only have copied the device's answer).
    let before = n.p.balance_of("alice");
    let res = n
        .exec("bob", &answer(&n, id, "carol", committed.row(cells.row)))
        .unwrap();
    assert_eq!(attr(&res, "outcome").as_deref(), Some("sound"));
    assert_eq!(attr(&res, "paid_to"), Some(n.addr("alice").to_string()));
    let fee = BOND / 100;
    assert_eq!(n.p.balance_of("alice"), before + fee);
    let carol = n.verifier("carol");
    assert_eq!(
        (carol.bonded.u128(), carol.open_challenges),
        (BOND - fee, 0)
    );
    // The pass stands: Bob keeps his bond, the epoch stays proven.
    assert_eq!(n.challenge(id).status, ChallengeStatus::Passed);
    assert!(!n.verifier("bob").slashed);
    assert!(n.epoch_proof(1, epoch).proven);
    assert!(device_audits(&n, &token_id).audits.is_empty());
    // A step audit of the same Pass is not answered with a row.
    n.exec(
        "dave",
        &ExecuteMsg::Audit {
            challenge_id: id,
            round: 1,
            proof: None,
        },
    )
    .unwrap();
    let err = n.refused("alice", &answer(&n, id, "dave", committed.row(1)));
    assert_eq!(err, ContractError::WrongAuditKind { id, gemm: false });
}

#[test]
fn an_auditor_holding_a_row_with_one_wrong_entry_proves_it_at_once() {
    // The forger computed every entry but one.
    let forge = |seed: &Hash| {
        let mut c = Committed::honest(seed).c;
        c[12 * 24 + 7] += 1;
        Committed::new(c)
    };
    let (mut n, id, d, _, committed) = passed_by_bob(settings(), forge);
    // At the other columns the row is right: no proof there.
    let err = n.refused("dave", &prove(id, 12, &[6, 8], committed.row(12)));
    assert_eq!(err, ContractError::GemmRowSound { row: 12 });
    let res = n
        .exec("dave", &prove(id, 12, &[6, 7], committed.row(12)))
        .unwrap();
    assert_eq!(attr(&res, "outcome").as_deref(), Some("bad_entry"));
    assert_eq!(n.challenge(id).status, ChallengeStatus::Voided);
    assert!(!n.verifier("bob").slashed);
    assert!(n.verifier("bob").bonded.u128() < BOND, "penalised");
    let token_id = n.devices[d].token_id.clone();
    assert_eq!(n.device(&token_id).status, DeviceStatus::Invalidated);
    assert_eq!(n.verifier("dave").valid_checks, 1);
}

#[test]
fn malformed_gemm_audits_and_answers_are_refused_and_change_nothing() {
    let (mut n, id, _, _, committed) = passed_by_bob(settings(), Committed::honest);
    let cells = |e: ContractError| match e {
        ContractError::BadGemmCells { reason } => reason,
        other => panic!("{other:?}"),
    };
    let row = || committed.row(0);
    let e = n.refused("carol", &prove(id, 0, &[], row()));
    assert_eq!(cells(e), "an audit names 1..=4 columns, got 0");
    let e = n.refused("carol", &prove(id, 0, &[0, 1, 2, 3, 4], row()));
    assert_eq!(cells(e), "an audit names 1..=4 columns, got 5");
    let e = n.refused("carol", &prove(id, 0, &[3, 3], row()));
    assert_eq!(cells(e), "column 3 is named twice");
    let e = n.refused("carol", &prove(id, 64, &[0], row()));
    assert_eq!(cells(e), "cell (64, 0) is outside C's 64 x 24");
    let e = n.refused("carol", &prove(id, 0, &[24], row()));
    assert_eq!(cells(e), "cell (0, 24) is outside C's 64 x 24");
    // Rows that are not rows: entries not 4 bytes each, a path too long, a hash too short.
    let mut ragged = committed.row(2);
    ragged.entries = Binary::from(vec![1u8, 2, 3]);
    let e = n.refused("carol", &prove(id, 2, &[0], ragged));
    assert!(matches!(e, ContractError::BadGemmRow { .. }), "{e:?}");
    let mut long = committed.row(2);
    long.path = vec![HexBinary::from([0u8; 32]); 25];
    let e = n.refused("carol", &prove(id, 2, &[0], long));
    assert!(matches!(e, ContractError::BadGemmRow { .. }), "{e:?}");
    let mut short = committed.row(2);
    short.path[0] = HexBinary::from([0u8; 31]);
    let e = n.refused("carol", &prove(id, 2, &[0], short));
    assert!(matches!(e, ContractError::BadLength { .. }), "{e:?}");
    // An answer to an audit nobody opened.
    let e = n.refused("alice", &answer(&n, id, "carol", committed.row(2)));
    assert!(matches!(e, ContractError::NoOpenAudit { .. }), "{e:?}");
    // Nothing was opened by any of it.
    assert!(n.challenge(id).audits.is_empty());
    assert_eq!(n.verifier("carol").open_challenges, 0);
}

#[test]
fn a_pass_of_a_class_without_a_gemm_has_nothing_to_audit_there() {
    let mut n = bonded_net();
    n.stake_device("alice", 1, StakeMode::LiquidityProvider, 11 * LOOP);
    let (id, d) = n.assigned("bob", &VERIFIERS);
    n.pass("bob", id, d).unwrap();
    assert_eq!(n.challenge(id).pass.unwrap().gemm_seed, None);
    assert_eq!(
        n.refused("carol", &audit(id)),
        ContractError::NoGemmToAudit { id }
    );
}

#[test]
fn a_gemm_fault_of_a_device_past_its_certificate_costs_the_verifier_nothing_and_pays_nothing() {
    // The miner signs one wrong entry, lets its certificate end and prunes the device; an
    // accomplice then proves the entry wrong. Nothing can be taken from the device now, so the
    // proof may not take the honest verifier's penalty either, nor mint the accomplice a reward.
    let forge = |seed: &Hash| {
        let mut c = Committed::honest(seed).c;
        c[12 * 24 + 7] += 1;
        Committed::new(c)
    };
    let (mut n, id, d, _, committed) = passed_by_bob(settings(), forge);
    let token_id = n.devices[d].token_id.clone();
    n.until_expired(d);
    n.exec(
        "client",
        &ExecuteMsg::Prune {
            token_id: token_id.clone(),
        },
    )
    .unwrap();
    assert_eq!(n.device(&token_id).status, DeviceStatus::Expired);
    let res = n
        .exec("dave", &prove(id, 12, &[7], committed.row(12)))
        .unwrap();
    assert_eq!(attr(&res, "outcome").as_deref(), Some("bad_entry"));
    assert_eq!(attr(&res, "penalty").as_deref(), Some("0"));
    assert_eq!(attr(&res, "invalidated"), None);
    assert_eq!(n.challenge(id).status, ChallengeStatus::Voided);
    assert_eq!(n.verifier("bob").bonded.u128(), BOND);
    assert_eq!(n.verifier("dave").valid_checks, 0, "no reward");
}
