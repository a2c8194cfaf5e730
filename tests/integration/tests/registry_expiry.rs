//! The PoCPS registry with the real factory, pair, LOOP token and stake certificates: expiry. A
//! certificate that ends frees its device's fingerprint and takes it out of the draw, but not
//! while a challenge on it is open.

use loopin::registry::{ChallengeStatus, DeviceStatus, ExecuteMsg, RegistrySettings};
use loopin::stake_cert::{CertificateStatus, StakeMode};
use loopin_integration_tests::protocol::{EPOCH, LOOP, attr};
use loopin_integration_tests::registry::{
    REWARD, ROUND, VERIFIERS, bad_proof, bonded_net, bonded_net_with, settings,
};
use loopin_pocps_registry::ContractError;

fn prune(token_id: &str) -> ExecuteMsg {
    ExecuteMsg::Prune {
        token_id: token_id.into(),
    }
}

#[test]
fn an_expired_device_registers_again_and_leaves_the_draw() {
    let mut n = bonded_net();
    let old = n.stake_device_for("alice", 1, StakeMode::LiquidityProvider, 11 * LOOP, 3);
    let other = n.stake_device("seller", 2, StakeMode::LiquidityProvider, 11 * LOOP);
    let old_token = n.devices[old].token_id.clone();
    n.until_expired(old);
    assert_eq!(
        n.certificate(&n.devices[other].token_id),
        CertificateStatus::Active
    );

    // The same GPU (same fingerprint) staked again under a new certificate registers.
    let new = n.encode_and_stake_for("alice", 1, StakeMode::LiquidityProvider, 12 * LOOP, 3);
    let new_token = n.devices[new].token_id.clone();
    assert_ne!(new_token, old_token);
    let msg = n.devices[new].register_msg();
    let res = n.exec("alice", &msg).unwrap();
    assert_eq!(attr(&res, "released"), Some(old_token.clone()));
    assert_eq!(n.device(&new_token).status, DeviceStatus::Active);
    assert_eq!(n.device(&old_token).status, DeviceStatus::Expired);
    assert_eq!(
        n.listed(),
        n.tokens(&[other, new]),
        "the old entry left the draw"
    );

    // Pruning is refused, changing nothing, for a device already out, one whose certificate
    // runs, and one never registered.
    let msg = prune(&old_token);
    let err = n.refused("client", &msg);
    assert_eq!(
        err,
        ContractError::DeviceNotActive {
            token_id: old_token.clone()
        }
    );
    let msg = prune(&new_token);
    let err = n.refused("client", &msg);
    assert_eq!(
        err,
        ContractError::CertificateStillActive {
            token_id: new_token.clone(),
            expiry: n.expiry(&new_token),
        }
    );
    let msg = prune("h100-99");
    let err = n.refused("client", &msg);
    assert_eq!(
        err,
        ContractError::UnknownDevice {
            token_id: "h100-99".into()
        }
    );

    // Every draw lands on a live device.
    for v in VERIFIERS {
        let (id, d) = n.assigned(v, &VERIFIERS);
        assert!(d == new || d == other, "drew device {d}");
        n.pass(v, id, d).unwrap();
    }
}

#[test]
fn expired_devices_do_not_clog_assignment() {
    let mut n = bonded_net();
    let expired: Vec<usize> = (10..25u8)
        .map(|f| n.stake_device_for("alice", f, StakeMode::LiquidityProvider, 11 * LOOP, 3))
        .collect();
    let live = n.stake_device_for("seller", 2, StakeMode::LiquidityProvider, 11 * LOOP, 20);
    n.until_expired(expired[0]);
    for &d in &expired {
        assert_eq!(
            n.certificate(&n.devices[d].token_id),
            CertificateStatus::Expired
        );
    }

    // Fifteen expired entries and one live device: every verifier's challenge is assigned, at
    // the first Assign, to the live device; the expired ones it draws on the way leave the draw.
    let live_token = n.devices[live].token_id.clone();
    let mut listed = n.listed();
    assert_eq!(listed.len(), 16);
    for _ in 0..2 {
        for v in VERIFIERS {
            let id = n.commit(v);
            n.beacon(&VERIFIERS);
            let (target, pruned) = n.try_assign(id).unwrap_or_else(|e| panic!("{v}: {e:?}"));
            assert_eq!(target, live_token, "{v}'s challenge {id}");
            for token_id in &pruned {
                assert_eq!(n.device(token_id).status, DeviceStatus::Expired);
            }
            listed.retain(|t| !pruned.contains(t));
            assert_eq!(n.listed(), listed);
            n.pass(v, id, live).unwrap();
        }
    }
    assert!(listed.len() < 16, "Assign pruned some");

    // Anyone prunes the rest: only the live device is left in the draw.
    for token_id in n.listed() {
        if token_id != live_token {
            let res = n.exec("client", &prune(&token_id)).unwrap();
            assert_eq!(attr(&res, "status").as_deref(), Some("Expired"));
        }
    }
    assert_eq!(n.listed(), vec![live_token]);
    for &d in &expired {
        assert_eq!(
            n.device(&n.devices[d].token_id).status,
            DeviceStatus::Expired
        );
    }
}

#[test]
fn an_open_challenge_keeps_an_expired_device_until_it_closes() {
    let mut n = bonded_net_with(RegistrySettings {
        max_rewarded_checks: 100,
        ..settings()
    });
    let alice = n.stake_device_for("alice", 1, StakeMode::LiquidityProvider, 11 * LOOP, 3);
    let alice_token = n.devices[alice].token_id.clone();

    // Alice's device, the only one, is drawn just before its certificate expires.
    let expiry = n.expiry(&alice_token);
    n.until_before(expiry, 3 * ROUND);
    let (id, d) = n.assigned("bob", &VERIFIERS);
    assert_eq!(d, alice);
    let seller = n.stake_device_for("seller", 2, StakeMode::LiquidityProvider, 11 * LOOP, 3);
    let seller_token = n.devices[seller].token_id.clone();
    assert!(n.expiry(&seller_token) > expiry + EPOCH);
    n.wait(2 * ROUND);
    assert_eq!(n.certificate(&alice_token), CertificateStatus::Expired);

    // Expired, but Bob's check is still open: pruning is refused and the verdict still lands.
    let msg = prune(&alice_token);
    let err = n.refused("client", &msg);
    assert_eq!(
        err,
        ContractError::DeviceChallenged {
            token_id: alice_token.clone(),
            challenge_id: id,
        }
    );
    let bob = n.p.balance_of("bob");
    n.pass("bob", id, alice).unwrap();
    assert_eq!(n.p.balance_of("bob"), bob + REWARD);
    let res = n.exec("client", &prune(&alice_token)).unwrap();
    assert_eq!(attr(&res, "status").as_deref(), Some("Expired"));
    assert_eq!(n.listed(), vec![seller_token.clone()]);

    // The seller's device, the only one left, is claimed against just before its expiry with a
    // path that does not reach its root: a dispute keeps it until the dispute is settled.
    let expiry = n.expiry(&seller_token);
    n.until_before(expiry, 3 * ROUND);
    let (id, d) = n.assigned("carol", &VERIFIERS);
    assert_eq!(d, seller);
    let seed = n.seed(id);
    let (answer, openings) = n.devices[seller].answer_with(&seed, |o| o[3].path[0] = [7u8; 32]);
    let res = n
        .submit("carol", id, bad_proof(answer, &openings, 3, None))
        .unwrap();
    assert_eq!(attr(&res, "outcome").as_deref(), Some("disputed"));
    n.wait(2 * ROUND);
    assert_eq!(n.certificate(&seller_token), CertificateStatus::Expired);
    let msg = prune(&seller_token);
    let err = n.refused("client", &msg);
    assert_eq!(
        err,
        ContractError::DeviceChallenged {
            token_id: seller_token.clone(),
            challenge_id: id,
        }
    );
    // Unanswered: the claim is finalized and the device invalidated, not merely expired.
    n.wait(3_601);
    n.exec("dave", &ExecuteMsg::Finalize { challenge_id: id })
        .unwrap();
    assert_eq!(n.challenge(id).status, ChallengeStatus::Proven);
    assert_eq!(n.device(&seller_token).status, DeviceStatus::Invalidated);
    assert!(n.listed().is_empty());
    let msg = prune(&seller_token);
    let err = n.refused("client", &msg);
    assert_eq!(
        err,
        ContractError::DeviceNotActive {
            token_id: seller_token
        }
    );
}

#[test]
fn a_device_whose_pass_has_an_open_audit_is_not_pruned_out_of_it() {
    // Pruned while audited, a device could not be invalidated by what the audit shows: a
    // cheater would prune itself out of its audits the moment its certificate ended.
    let mut n = bonded_net();
    let d = n.stake_device_for("alice", 1, StakeMode::LiquidityProvider, 11 * LOOP, 3);
    let token_id = n.devices[d].token_id.clone();
    let (id, drawn) = n.assigned("bob", &VERIFIERS);
    assert_eq!(drawn, d);
    n.pass("bob", id, d).unwrap();
    let audit = ExecuteMsg::Audit {
        challenge_id: id,
        round: 0,
        proof: None,
    };
    n.exec("carol", &audit).unwrap();
    n.until_expired(d);
    assert_eq!(
        n.refused("client", &prune(&token_id)),
        ContractError::DeviceChallenged {
            token_id: token_id.clone(),
            challenge_id: id
        }
    );
    // Decided (here nobody answered it in time), the audit no longer holds the device.
    n.exec(
        "client",
        &ExecuteMsg::FinalizeAudit {
            challenge_id: id,
            auditor: n.addr("carol").to_string(),
        },
    )
    .unwrap();
    n.exec("client", &prune(&token_id)).unwrap();
    assert_eq!(n.device(&token_id).status, DeviceStatus::Expired);
}
