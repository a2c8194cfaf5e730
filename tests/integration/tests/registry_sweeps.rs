//! Sweeps (issue 22, "challenges for all devices of a class fall in a window the beacon sets",
//! and the class's challenge rate): a class with `sweep_seconds` has each of its devices asked
//! its GEMM once per window, at the window's start, by a verifier the beacon draws for it; only
//! those sweeps prove its epochs, other challenges of its devices are timed only, a sweep gets
//! one GEMM try, and a drawn verifier that skips its sweep pays for it. So one card answering
//! for two identities is asked twice at one moment, late for one, and proves one epoch, not two.

use cosmwasm_std::Addr;
use loopin::pair;
use loopin::pool::{GemmClass, PoolParams};
use loopin::registry::{
    ChallengeStatus, DeviceStatus, ExecuteMsg, GemmPassMsg, QueryMsg, RegistrySettings,
    SweepDutiesResponse, SweepResponse, Verdict,
};
use loopin::stake_cert::StakeMode;
use loopin_integration_tests::protocol::{LOOP, attr, params, protocol_with};
use loopin_integration_tests::registry::appeals::{MORE, appeal_settings, drawn, name_of};
use loopin_integration_tests::registry::{
    BOND, Net, ROUND, VERIFIERS, bonded_net_on, challenge_key, settings,
};
use loopin_pocps_registry::ContractError;

/// One sweep per one-hour epoch.
const SWEEP: u64 = 3_600;
const CLASS: GemmClass = GemmClass {
    m: 64,
    k: 40,
    n: 24,
    rows: 64,
    deadline_ms: 1_500,
    sweep_seconds: SWEEP,
    max_missed_sweeps: 3,
};

/// Alice's `devices` identities in a class that sweeps, with bob, carol and dave bonded, on a
/// registry that allows appeals (a swept class needs them); the pool's epochs run until her
/// stakes are verified (a pass then counts).
fn swept_net(devices: u8) -> Net {
    swept_net_with(devices, appeal_settings())
}

fn swept_net_with(devices: u8, settings: RegistrySettings) -> Net {
    let p = protocol_with(
        PoolParams {
            gemm: Some(CLASS),
            ..params()
        },
        1_000 * LOOP,
    );
    let mut n = bonded_net_on(p, settings);
    for i in 1..=devices {
        n.stake_device("alice", i, StakeMode::LiquidityProvider, 11 * LOOP);
    }
    let first = n.p.stake_info(u64::from(devices)).verified_from.unwrap();
    while n.p.pool().clock_epoch < first {
        n.p.next_epoch();
    }
    n
}

fn now(n: &Net) -> u64 {
    n.p.app.block_info().time.seconds()
}

/// When the pool's epoch 0 began: sweep window w is the pool's epoch w.
fn pool_genesis(n: &Net) -> u64 {
    let config: pair::ConfigResponse =
        n.p.app
            .wrap()
            .query_wasm_smart(&n.p.pair, &pair::QueryMsg::Config {})
            .unwrap();
    config.genesis
}

fn window_start(n: &Net, window: u64) -> u64 {
    pool_genesis(n) + window * SWEEP
}

/// The first window that starts at least two beacon rounds from now.
fn next_window(n: &Net) -> u64 {
    (now(n) + 2 * ROUND - pool_genesis(n)).div_ceil(SWEEP)
}

/// Waits until two rounds before `window` starts, runs a beacon round there (its reveals in the
/// round before the window, final as it starts), and stops at the start, the pool's epochs
/// processed.
fn open_window(n: &mut Net, window: u64) {
    let at = window_start(n, window) - 2 * ROUND;
    let wait = at - now(n);
    n.later(wait);
    n.beacon(&VERIFIERS);
    n.later(0);
    assert_eq!(now(n), window_start(n, window));
}

fn draw_msg(n: &Net, d: usize, window: u64) -> ExecuteMsg {
    ExecuteMsg::DrawSweep {
        token_id: n.devices[d].token_id.clone(),
        window,
    }
}

/// A stranger draws device `d`'s sweep: (challenge id, the drawn verifier's name).
fn draw(n: &mut Net, d: usize, window: u64) -> (u64, &'static str) {
    let res = n.exec("client", &draw_msg(n, d, window)).unwrap();
    let id = attr(&res, "challenge_id").unwrap().parse().unwrap();
    (id, name_of(n, &attr(&res, "verifier").unwrap()))
}

/// The GEMM part device `d` signs for sweep `id` (try `gemm_try`), with an honest root.
fn gemm_part(n: &Net, id: u64, d: usize, gemm_try: u32) -> GemmPassMsg {
    let seed = n.gemm_seed(id, gemm_try);
    GemmPassMsg {
        gemm_try,
        ..n.signed_gemm_root(d, &CLASS, &seed, 900)
    }
}

fn sweep(n: &Net, d: usize, window: u64) -> SweepResponse {
    n.q(&QueryMsg::Sweep {
        token_id: n.devices[d].token_id.clone(),
        window,
    })
}

/// The current window's sweeps that drew `verifier`: (token id, window).
fn duties(n: &Net, verifier: &str) -> Vec<(String, u64)> {
    let res: SweepDutiesResponse = n.q(&QueryMsg::SweepDuties {
        verifier: n.addr(verifier).to_string(),
        start_after: None,
        limit: None,
    });
    res.duties
        .into_iter()
        .map(|d| (d.token_id, d.window))
        .collect()
}

#[test]
fn a_sweep_draws_one_verifier_per_device_and_window_asked_from_the_windows_start() {
    let mut n = swept_net(1);
    let w = next_window(&n);
    // Not before the window starts.
    assert_eq!(
        n.refused("client", &draw_msg(&n, 0, w)),
        ContractError::SweepNotOpen {
            opens_at: window_start(&n, w)
        }
    );
    open_window(&mut n, w);
    n.wait(7);
    let planned = sweep(&n, 0, w);
    let (id, verifier) = draw(&mut n, 0, w);
    // The query knew the draw before anyone made it, and the verifier finds it as its duty.
    assert_eq!(planned.verifier, Some(n.addr(verifier)));
    assert_eq!(planned.challenge_id, None);
    assert_eq!(
        duties(&n, verifier),
        vec![(n.devices[0].token_id.clone(), w)]
    );
    for other in VERIFIERS.into_iter().filter(|v| *v != verifier) {
        assert!(duties(&n, other).is_empty());
    }
    let c = n.challenge(id);
    assert_eq!(c.status, ChallengeStatus::Assigned);
    assert_eq!(c.sweep, Some(w));
    assert_eq!(c.target.as_deref(), Some(n.devices[0].token_id.as_str()));
    // Asked as of the window's start, whenever the draw landed; due a response time later.
    assert_eq!(c.assigned_at.unwrap().seconds(), window_start(&n, w));
    let answer_by = window_start(&n, w) + settings().response_seconds;
    assert_eq!(sweep(&n, 0, w).answer_by.unwrap().seconds(), answer_by);
    assert_eq!(sweep(&n, 0, w).challenge_id, Some(id));
    // Once per device and window.
    assert_eq!(
        n.refused("client", &draw_msg(&n, 0, w)),
        ContractError::SweepDrawn { challenge_id: id }
    );
}

#[test]
fn a_window_whose_answer_is_due_can_no_longer_be_drawn() {
    let mut n = swept_net(1);
    let w = next_window(&n);
    open_window(&mut n, w);
    n.wait(settings().response_seconds + 1);
    let until = window_start(&n, w) + settings().response_seconds;
    assert_eq!(
        n.refused("client", &draw_msg(&n, 0, w)),
        ContractError::SweepLapsed { until }
    );
}

#[test]
fn a_window_no_beacon_round_drew_goes_unswept() {
    let mut n = swept_net(1);
    let w = next_window(&n);
    let start = window_start(&n, w);
    n.later(start - now(&n));
    assert!(matches!(
        n.refused("client", &draw_msg(&n, 0, w)),
        ContractError::RandomnessPending { .. }
    ));
    // The round before the window and the two after it pass without the quorum.
    n.wait(2 * ROUND);
    assert_eq!(
        n.refused("client", &draw_msg(&n, 0, w)),
        ContractError::SweepUndrawable { window: w }
    );
    assert_eq!(sweep(&n, 0, w).verifier, None);
}

#[test]
fn a_sweeps_pass_proves_its_epoch_and_another_challenges_pass_does_not() {
    let mut n = swept_net(1);
    let w = next_window(&n);
    open_window(&mut n, w);
    let stake = 1;
    let epoch = n.p.pool().clock_epoch;
    // A challenge a verifier opened itself: timed only. Its GEMM is refused, its timed Pass
    // accepted but proves nothing.
    let (free, d) = n.assigned("bob", &["carol", "dave"]);
    let with_gemm = gemm_part(&n, free, d, 0);
    assert_eq!(
        contract_error(n.pass_with_gemm_part("bob", free, d, with_gemm)),
        ContractError::ThroughputOnlyInSweeps {}
    );
    let res = n.pass("bob", free, d).unwrap();
    assert_eq!(attr(&res, "proves_epoch").as_deref(), Some("false"));
    assert_eq!(attr(&res, "counted"), None);
    assert_eq!(n.epoch_proof(stake, epoch).passes, 0);
    // The sweep, drawn in the same epoch: without its GEMM it is refused; with it the epoch is
    // proven.
    let (id, verifier) = draw(&mut n, 0, w);
    n.drawn_secret(id);
    assert_eq!(
        contract_error(n.submit(verifier, id, timed_pass(&n, id, 0, None))),
        ContractError::ThroughputMissing {}
    );
    let part = gemm_part(&n, id, 0, 0);
    let res = n.pass_with_gemm_part(verifier, id, 0, part).unwrap();
    assert_eq!(attr(&res, "counted").as_deref(), Some("true"));
    assert_eq!(attr(&res, "epoch"), Some(epoch.to_string()));
    assert_eq!(n.challenge(id).status, ChallengeStatus::Passed);
}

#[test]
fn the_prover_is_told_which_open_challenges_carry_the_gemm_it_serves_one_for() {
    let mut n = swept_net(1);
    let w = next_window(&n);
    open_window(&mut n, w);
    let (free, _) = n.assigned("bob", &["carol", "dave"]);
    let (sweep, _) = draw(&mut n, 0, w);
    let carries: Vec<(u64, bool)> = n
        .assignments(&n.devices[0].token_id)
        .into_iter()
        .map(|a| (a.challenge_id, a.gemm))
        .collect();
    assert_eq!(carries, vec![(free, false), (sweep, true)]);
}

#[test]
fn a_sweep_gets_one_gemm_try() {
    let mut n = swept_net(1);
    let w = next_window(&n);
    open_window(&mut n, w);
    let (id, verifier) = draw(&mut n, 0, w);
    n.drawn_secret(id);
    let retry = gemm_part(&n, id, 0, 1);
    assert_eq!(
        contract_error(n.pass_with_gemm_part(verifier, id, 0, retry)),
        ContractError::SweepRetry { gemm_try: 1 }
    );
    assert_eq!(n.challenge(id).status, ChallengeStatus::Assigned);
}

#[test]
fn one_card_answering_two_identities_is_late_for_one_and_proves_one_epoch_not_two() {
    // Alice's two identities share one card: asked at the same moment, it computes one GEMM in
    // time and the other after it, past the deadline.
    let mut n = swept_net(2);
    let w = next_window(&n);
    open_window(&mut n, w);
    let epoch = n.p.pool().clock_epoch;
    let (first, v1) = draw(&mut n, 0, w);
    let (second, v2) = draw(&mut n, 1, w);
    n.drawn_secret(first);
    n.drawn_secret(second);
    let part = gemm_part(&n, first, 0, 0);
    n.pass_with_gemm_part(v1, first, 0, part).unwrap();
    // The second root came after the first's 900 ms and its own: over 1,500 ms.
    let mut late = gemm_part(&n, second, 1, 0);
    late.latency_ms = 1_800;
    assert_eq!(
        contract_error(n.pass_with_gemm_part(v2, second, 1, late)),
        ContractError::ThroughputOverDeadline {
            latency_ms: 1_800,
            deadline_ms: 1_500
        }
    );
    // Its verifier says so; it is no lateness vote, and no retry is asked.
    let res = n
        .submit(
            v2,
            second,
            Verdict::Late {
                latency_ms: Some(20),
                rtt_ms: 0,
                throughput: true,
            },
        )
        .unwrap();
    assert_eq!(attr(&res, "sweep"), Some(w.to_string()));
    assert_eq!(attr(&res, "late_votes"), None);
    assert_eq!(n.challenge(second).status, ChallengeStatus::Late);
    assert!(n.device(&n.devices[1].token_id).accusation.is_none());
    assert_eq!(n.epoch_proof(1, epoch).passes, 1);
    assert_eq!(n.epoch_proof(2, epoch).passes, 0);
}

#[test]
fn a_drawn_verifier_that_skips_its_sweep_pays_the_skip_penalty() {
    let mut n = swept_net(1);
    let w = next_window(&n);
    open_window(&mut n, w);
    let (id, verifier) = draw(&mut n, 0, w);
    assert_eq!(n.challenge(id).sweep, Some(w));
    assert_eq!(
        n.refused("client", &ExecuteMsg::Expire { challenge_id: id }),
        ContractError::NotLapsed {}
    );
    n.wait(settings().response_seconds + 1);
    let res = n
        .exec("client", &ExecuteMsg::Expire { challenge_id: id })
        .unwrap();
    // 1 % of its bond.
    assert_eq!(attr(&res, "penalty"), Some((BOND / 100).to_string()));
    assert_eq!(n.verifier(verifier).bonded.u128(), BOND - BOND / 100);
    assert_eq!(n.challenge(id).status, ChallengeStatus::Expired);
}

#[test]
fn a_sweep_drawn_with_less_than_half_its_time_left_costs_a_verifier_that_lets_it_lapse_nothing() {
    let mut n = swept_net(1);
    let w = next_window(&n);
    open_window(&mut n, w);
    // Drawn by someone who waited until 200 s of its 600 s were left.
    n.wait(settings().response_seconds - 200);
    let (id, verifier) = draw(&mut n, 0, w);
    n.wait(201);
    let res = n
        .exec("client", &ExecuteMsg::Expire { challenge_id: id })
        .unwrap();
    assert_eq!(attr(&res, "penalty"), None);
    assert_eq!(n.verifier(verifier).bonded.u128(), BOND);
}

#[test]
fn a_voided_sweep_pass_leaves_its_epoch_unproven_though_it_was_drawn_after_the_window_opened() {
    let mut n = swept_net(1);
    let w = next_window(&n);
    let start = window_start(&n, w);
    // No beacon round before the window: the round after its start draws it, so the sweep is
    // asked from that round's end, and counts in the epoch of the window's start.
    n.later(start - ROUND - now(&n));
    n.beacon(&VERIFIERS);
    n.later(0);
    let epoch = n.p.pool().clock_epoch;
    let (id, verifier) = draw(&mut n, 0, w);
    assert!(n.challenge(id).assigned_at.unwrap().seconds() > start);
    n.drawn_secret(id);
    let part = gemm_part(&n, id, 0, 0);
    n.pass_with_gemm_part(verifier, id, 0, part).unwrap();
    assert_eq!(n.epoch_proof(1, epoch).passes, 1);
    // An audit nobody answers voids the pass: the pool forgets it.
    let auditor = VERIFIERS.into_iter().find(|v| *v != verifier).unwrap();
    let audit = ExecuteMsg::Audit {
        challenge_id: id,
        round: 0,
        proof: None,
    };
    n.exec(auditor, &audit).unwrap();
    n.later(settings().dispute_seconds + 1);
    let finalize = ExecuteMsg::FinalizeAudit {
        challenge_id: id,
        auditor: n.addr(auditor).to_string(),
    };
    n.exec("client", &finalize).unwrap();
    assert_eq!(n.challenge(id).status, ChallengeStatus::Voided);
    assert_eq!(n.epoch_proof(1, epoch).passes, 0);
}

#[test]
fn a_swept_class_on_a_registry_without_appeals_registers_no_device() {
    let p = protocol_with(
        PoolParams {
            gemm: Some(CLASS),
            ..params()
        },
        1_000 * LOOP,
    );
    let mut n = bonded_net_on(p, settings());
    let d = n.encode_and_stake("alice", 1, StakeMode::LiquidityProvider, 11 * LOOP);
    let msg = n.devices[d].register_msg();
    assert_eq!(
        n.refused("alice", &msg),
        ContractError::SweepsWithoutAppeals {}
    );
}

#[test]
fn a_class_whose_sweeps_could_overlap_registers_no_device() {
    // The response time after the three rounds that may draw a window outlasts the hour.
    let s = RegistrySettings {
        response_seconds: 3_500,
        ..settings()
    };
    let p = protocol_with(
        PoolParams {
            gemm: Some(CLASS),
            ..params()
        },
        1_000 * LOOP,
    );
    let mut n = bonded_net_on(p, s);
    let d = n.encode_and_stake("alice", 1, StakeMode::LiquidityProvider, 11 * LOOP);
    let msg = n.devices[d].register_msg();
    assert_eq!(
        n.refused("alice", &msg),
        ContractError::SweepTooShort {
            sweep_seconds: SWEEP,
            least: 3 * ROUND + 3_500
        }
    );
}

#[test]
fn no_owner_is_drawn_for_its_own_device_and_nobody_who_bonds_once_the_drawing_round_began() {
    let mut n = swept_net(2);
    // Alice, who owns both identities, is a bonded verifier too.
    n.fund("alice", BOND);
    n.bond("alice", BOND).unwrap();
    n.set_key("alice", &challenge_key("alice", 0)).unwrap();
    let w = next_window(&n);
    open_window(&mut n, w);
    // Erin bonds thirty times anyone's bond once the round whose reveals drew the window has
    // begun (she could have seen the beacon): she is in none of this window's draws.
    let big = 30 * BOND;
    n.fund("erin", big);
    n.bond("erin", big).unwrap();
    n.set_key("erin", &challenge_key("erin", 0)).unwrap();
    for d in 0..2 {
        let drawn: Addr = sweep(&n, d, w).verifier.unwrap();
        assert_ne!(drawn, n.addr("erin"));
        assert_ne!(drawn, n.addr("alice"));
    }
    // The next window's draw comes from a round that began after her bond: her weight counts.
    let next = w + 1;
    open_window(&mut n, next);
    let drawn: Vec<Addr> = (0..2)
        .map(|d| sweep(&n, d, next).verifier.unwrap())
        .collect();
    assert!(drawn.contains(&n.addr("erin")), "{drawn:?}");
    assert!(!drawn.contains(&n.addr("alice")));
}

/// Opens `window`, draws device `d`'s sweep and has its verifier find it late: what the
/// registry answered, and the verifier.
fn late_sweep(n: &mut Net, d: usize, window: u64) -> (cw_multi_test::AppResponse, &'static str) {
    open_window(n, window);
    let (id, verifier) = draw(n, d, window);
    n.drawn_secret(id);
    let late = Verdict::Late {
        latency_ms: None,
        rtt_ms: 0,
        throughput: true,
    };
    (n.submit(verifier, id, late).unwrap(), verifier)
}

/// Opens `window`, draws device `d`'s sweep and has its verifier pass it.
fn passed_sweep(n: &mut Net, d: usize, window: u64) {
    open_window(n, window);
    let (id, verifier) = draw(n, d, window);
    n.drawn_secret(id);
    let part = gemm_part(n, id, d, 0);
    n.pass_with_gemm_part(verifier, id, d, part).unwrap();
}

#[test]
fn failing_the_classs_threshold_of_sweeps_in_a_row_accuses_and_a_passed_sweep_starts_it_again() {
    let mut n = swept_net_with(1, appeal_settings());
    // Twice the minimum bond: the skip penalty below leaves its verifier in the beacon.
    for v in VERIFIERS {
        n.bond(v, BOND).unwrap();
    }
    let token_id = n.devices[0].token_id.clone();
    let w = next_window(&n);
    // Two late sweeps, then a passed one: the count starts again.
    for (i, window) in [w, w + 1].into_iter().enumerate() {
        let (res, _) = late_sweep(&mut n, 0, window);
        assert_eq!(attr(&res, "missed_sweeps"), Some((i + 1).to_string()));
    }
    passed_sweep(&mut n, 0, w + 2);
    assert_eq!(n.device(&token_id).missed_sweeps, 0);
    // A sweep its verifier skipped is not the device's failure.
    open_window(&mut n, w + 3);
    let (skipped, _) = draw(&mut n, 0, w + 3);
    n.wait(settings().response_seconds + 1);
    n.exec(
        "client",
        &ExecuteMsg::Expire {
            challenge_id: skipped,
        },
    )
    .unwrap();
    assert_eq!(n.device(&token_id).missed_sweeps, 0);
    // Three in a row (the class's max_missed_sweeps): accused, under the streak's own window
    // (its first missed sweep's).
    for window in [w + 4, w + 5] {
        let (res, _) = late_sweep(&mut n, 0, window);
        assert_eq!(attr(&res, "accused"), None);
    }
    let (res, _) = late_sweep(&mut n, 0, w + 6);
    assert_eq!(attr(&res, "accused"), Some(token_id.clone()));
    let device = n.device(&token_id);
    let accusation = device.accusation.unwrap();
    assert_eq!(accusation.votes, 3);
    assert_eq!(accusation.window, (1 << 62) | (w + 4));
    assert_eq!(device.missed_sweeps, 0);
    assert_eq!(device.status, DeviceStatus::Active);
}

#[test]
fn an_appeal_of_missed_sweeps_asks_the_gemm_again_and_a_device_that_answers_keeps_its_certificate()
{
    let mut n = swept_net_with(1, appeal_settings());
    for v in MORE {
        n.fund(v, 2 * BOND);
        n.bond(v, 2 * BOND).unwrap();
        n.set_key(v, &challenge_key(v, 0)).unwrap();
    }
    let token_id = n.devices[0].token_id.clone();
    let w = next_window(&n);
    let mut reporters = vec![];
    for window in w..w + 3 {
        let (_, verifier) = late_sweep(&mut n, 0, window);
        reporters.push(n.addr(verifier).to_string());
    }
    assert!(n.device(&token_id).accusation.is_some());
    // Accused, it misses the next sweep too: the streak goes on counting (no second
    // accusation), until the appeal is decided.
    let (res, _) = late_sweep(&mut n, 0, w + 3);
    assert_eq!(attr(&res, "accused"), None);
    assert_eq!(n.device(&token_id).missed_sweeps, 1);
    n.exec(
        "alice",
        &ExecuteMsg::Appeal {
            token_id: token_id.clone(),
        },
    )
    .unwrap();
    n.beacon(&VERIFIERS);
    let res = n
        .exec(
            "client",
            &ExecuteMsg::DrawAppeal {
                token_id: token_id.clone(),
            },
        )
        .unwrap();
    let drawn = drawn(&res);
    assert_eq!(drawn.len(), 3);
    // Whoever reported the missed sweeps sits on no jury of the appeal they brought.
    for (address, _) in &drawn {
        assert!(
            !reporters.contains(address),
            "{address} reported a missed sweep"
        );
    }
    let mut outcome = None;
    for (address, id) in drawn.into_iter().take(2) {
        let verifier = name_of(&n, &address);
        n.drawn_secret(id);
        // The appeal re-asks what accused the device: a Pass without the GEMM is refused.
        assert_eq!(
            contract_error(n.submit(verifier, id, timed_pass(&n, id, 0, None))),
            ContractError::ThroughputMissing {}
        );
        let part = gemm_part(&n, id, 0, 0);
        let res = n.pass_with_gemm_part(verifier, id, 0, part).unwrap();
        outcome = attr(&res, "appeal");
    }
    assert_eq!(outcome.as_deref(), Some("upheld"));
    let device = n.device(&token_id);
    assert!(device.accusation.is_none());
    // What it missed before is judged: the streak starts again.
    assert_eq!(device.missed_sweeps, 0);
}

#[test]
fn a_class_without_sweeps_has_none_to_draw() {
    let p = protocol_with(params(), 1_000 * LOOP);
    let mut n = bonded_net_on(p, settings());
    let d = n.stake_device("alice", 1, StakeMode::LiquidityProvider, 11 * LOOP);
    assert_eq!(
        n.refused("client", &draw_msg(&n, d, 1)),
        ContractError::NoSweeps {
            token_id: n.devices[d].token_id.clone()
        }
    );
}

/// A Pass of `id` on device `d` with an honest timed part and `gemm`, as a message's verdict.
fn timed_pass(n: &Net, id: u64, d: usize, gemm: Option<GemmPassMsg>) -> Verdict {
    let seed = n.seed(id);
    Verdict::Pass {
        answer: n.devices[d].answer(&seed),
        latency_ms: 20,
        transcript: n.transcript(id, d),
        rtt_ms: 0,
        gemm,
    }
}

fn contract_error(res: anyhow::Result<cw_multi_test::AppResponse>) -> ContractError {
    loopin_integration_tests::contract_error(res)
}
