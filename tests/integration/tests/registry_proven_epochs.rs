//! Proven epochs with the real registry (issue 22, "fail closed"): a verifier's accepted pass
//! proves the pool epoch its challenge was assigned in, and only proven epochs earn; a device
//! that answers no challenge (garbage, nothing, "not assigned": the verifier agent submits
//! `Late { latency_ms: None }` for each, `prover/tests/e2e.rs`) earns nothing and is invalidated
//! by a quorum of verifiers.

use loopin::factory;
use loopin::pair::{ExecuteMsg as PairMsg, QueryMsg as PairQuery};
use loopin::registry::{DeviceStatus, RegistrySettings, Verdict};
use loopin::stake_cert::{CertificateStatus, StakeMode};
use loopin_integration_tests::contract_error;
use loopin_integration_tests::protocol::{LOOP, attr};
use loopin_integration_tests::registry::{Net, VERIFIERS, bonded_net, bonded_net_with, settings};
use loopin_pair::ContractError as PairError;

fn total_minted(n: &Net) -> u128 {
    let emission: factory::EmissionResponse =
        n.p.app
            .wrap()
            .query_wasm_smart(&n.factory, &factory::QueryMsg::Emission {})
            .unwrap();
    emission.total_minted.u128()
}

#[test]
fn a_pass_proves_the_epoch_its_challenge_was_assigned_in_and_only_proven_epochs_earn_rewards() {
    let mut n = bonded_net();
    let alice = n.stake_device("alice", 1, StakeMode::LiquidityProvider, 11 * LOOP);
    let stake = n.p.stake_info(1);
    let first = stake.verified_from.unwrap();
    // Bob challenges the device in every other epoch of its stake, and it passes each time.
    let mut passed = vec![];
    for i in 0..stake.end_epoch + 1 {
        let epoch = n.p.pool().clock_epoch;
        if i % 2 == 0 && (first..stake.end_epoch).contains(&epoch) {
            let (id, d) = n.assigned("bob", &VERIFIERS);
            assert_eq!(d, alice);
            let res = n.pass("bob", id, d).unwrap();
            // The registry reported it to the pool, which counted it in the epoch it was
            // assigned in.
            let epoch = n.p.pool().clock_epoch;
            assert_eq!(attr(&res, "counted").as_deref(), Some("true"));
            assert_eq!(attr(&res, "epoch"), Some(epoch.to_string()));
            passed.push(epoch);
        }
        n.p.next_epoch();
    }
    passed.dedup();
    assert!(passed.len() >= 3, "passes in epochs {passed:?}");
    for epoch in first..stake.end_epoch {
        let proof = n.epoch_proof(1, epoch);
        assert!(proof.is_final);
        assert_eq!(proof.proven, passed.contains(&epoch), "epoch {epoch}");
    }
    let proven = passed.len() as u128;
    assert_eq!(n.p.stake_info(1).proven_epochs as u128, proven);
    while n.p.pool().epoch < stake.end_epoch + 1 {
        n.p.next_epoch();
    }
    // Paid once no audit can void a pass any more, a day after the last
    // (`registry_audit_holds`).
    n.later(settings().audit_seconds);
    // Alice's rewards: (gamma - beta) = 0.4 LOOP per device-hour of each proven epoch only
    // (with every epoch counted she would have had 4 LOOP).
    let owner = n.addr("alice");
    let res = n.p.exec(&owner, &PairMsg::Claim { stake_id: 1 }).unwrap();
    assert_eq!(
        attr(&res, "rewards"),
        Some((proven * 4 * LOOP / 10).to_string())
    );
    assert!(proven < 10);
}

#[test]
fn a_device_that_answers_no_challenge_earns_nothing_and_a_quorum_of_verifiers_invalidates_it() {
    let mut n = bonded_net();
    let d = n.stake_device("alice", 1, StakeMode::LiquidityProvider, 11 * LOOP);
    let token_id = n.devices[d].token_id.clone();
    let minted = total_minted(&n);
    // Each of three verifiers is drawn to it and gets no valid answer in time.
    for (i, verifier) in VERIFIERS.into_iter().enumerate() {
        let (id, drawn) = n.assigned(verifier, &VERIFIERS);
        assert_eq!(drawn, d);
        let epoch = n.p.pool().clock_epoch;
        n.submit(
            verifier,
            id,
            Verdict::Late {
                latency_ms: None,
                rtt_ms: 0,
                throughput: false,
            },
        )
        .unwrap();
        // Nothing proved its epoch.
        assert_eq!(n.epoch_proof(1, epoch).passes, 0);
        if i + 1 < VERIFIERS.len() {
            n.p.next_epoch();
        }
    }
    assert_eq!(n.device(&token_id).status, DeviceStatus::Invalidated);
    assert_eq!(n.certificate(&token_id), CertificateStatus::Invalidated);
    let stake = n.p.stake_info(1);
    assert!(stake.invalidated);
    assert_eq!(stake.proven_epochs, 0);
    // It can claim nothing, and nothing was minted: no reward to it, none for lateness votes.
    let owner = n.addr("alice");
    let err: PairError = contract_error(n.p.exec(&owner, &PairMsg::Claim { stake_id: 1 }));
    assert_eq!(err, PairError::Invalidated { id: 1 });
    assert_eq!(total_minted(&n), minted);
}

/// Device-epochs proven, out of all, when verifiers run as many challenges in each epoch as there
/// are devices and every device passes, with assignments comparing `choices` drawn devices.
fn coverage(choices: u32) -> (usize, usize) {
    const DEVICES: u8 = 6;
    const EPOCHS: u64 = 6;
    let mut n = bonded_net_with(RegistrySettings {
        assign_choices: choices,
        ..settings()
    });
    let owners = ["alice", "seller", "client"];
    for i in 0..DEVICES {
        n.stake_device(
            owners[usize::from(i) % 3],
            i + 1,
            StakeMode::LiquidityProvider,
            11 * LOOP,
        );
    }
    let first = n.p.stake_info(1).start_epoch;
    while n.p.pool().clock_epoch < first {
        n.p.next_epoch();
    }
    for _ in 0..EPOCHS {
        for c in 0..usize::from(DEVICES) {
            let verifier = VERIFIERS[c % VERIFIERS.len()];
            let (id, d) = n.assigned(verifier, &VERIFIERS);
            n.pass(verifier, id, d).unwrap();
        }
        // On to the start of the next epoch (the challenges took part of this one).
        let config: loopin::pair::ConfigResponse =
            n.p.app
                .wrap()
                .query_wasm_smart(&n.p.pair, &PairQuery::Config {})
                .unwrap();
        let next = n.p.pool().clock_epoch + 1;
        let start = config.genesis + next * config.params.epoch_seconds;
        n.p.app.update_block(|block| {
            block.time = cosmwasm_std::Timestamp::from_seconds(start);
            block.height += 1;
        });
        let keeper = n.addr("dave");
        n.p.exec(&keeper, &PairMsg::AdvanceEpoch { max_epochs: None })
            .unwrap();
    }
    let mut proven = 0;
    for stake_id in 1..=u64::from(DEVICES) {
        for epoch in first..first + EPOCHS {
            proven += usize::from(n.epoch_proof(stake_id, epoch).proven);
        }
    }
    (proven, usize::from(DEVICES) * EPOCHS as usize)
}

#[test]
fn preferring_the_longest_unassigned_device_proves_every_epoch_a_uniform_draw_does_not() {
    // A uniform draw leaves about (5/6)^6, a third, of the device-epochs without a challenge;
    // preferring the device assigned longest ago among distinct drawn ones reaches
    // nearly every one comparing four, every one comparing eight (the devnet's setting).
    let (uniform, total) = coverage(1);
    let (four, _) = coverage(4);
    let (eight, _) = coverage(8);
    println!(
        "device-epochs proven: uniform {uniform}/{total}, best of 4 {four}, best of 8 {eight}"
    );
    assert!(uniform < four && four <= eight, "{uniform} {four} {eight}");
    assert!(uniform * 10 < total * 8, "uniform {uniform}/{total}");
    assert_eq!(eight, total);
}

/// A challenge its verifier lets lapse gives the device its place in the queue back: skipping
/// a device's challenge does not push it behind the others (the skipper pays its penalty).
#[test]
fn a_lapsed_assignment_gives_the_device_its_place_back() {
    let mut n = bonded_net();
    let d = n.stake_device("alice", 1, StakeMode::LiquidityProvider, 11 * LOOP);
    let token_id = n.devices[d].token_id.clone();
    let last = |n: &Net| {
        loopin_pocps_registry::state::LAST_ASSIGNED
            .query(&n.p.app.wrap(), n.reg.clone(), &token_id)
            .unwrap()
    };
    // Passed once: its place is that assignment.
    let (id, _) = n.assigned("bob", &VERIFIERS);
    n.pass("bob", id, d).unwrap();
    let passed_at = last(&n);
    assert!(passed_at.is_some());
    // Assigned again, and the verifier lets it lapse.
    let (id, _) = n.assigned("carol", &VERIFIERS);
    assert_ne!(last(&n), passed_at);
    n.wait(settings().response_seconds + 1);
    n.exec(
        "client",
        &loopin::registry::ExecuteMsg::Expire { challenge_id: id },
    )
    .unwrap();
    assert_eq!(last(&n), passed_at);
}
