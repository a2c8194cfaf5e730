//! The PoCPS registry with the real factory, pair, LOOP token and stake certificates: verdicts
//! (Pass, Late, BadProof), disputes, slashing, the settlement of an invalidated stake and
//! verifiers' rewards, with real PoCPS proofs (`Params::TEST`, k256 device keys).

use cosmwasm_std::{HexBinary, Uint128};
use k256::ecdsa::SigningKey;
use loopin::factory;
use loopin::registry::{ChallengeStatus, DeviceStatus, ExecuteMsg, RegistrySettings, Verdict};
use loopin::stake_cert::{CertificateStatus, StakeMode};
use loopin_integration_tests::contract_error;
use loopin_integration_tests::protocol::{EPOCH, LOOP, RICH, attr, protocol_with_emission_cap};
use loopin_integration_tests::registry::{
    BOND, K, Net, REWARD, VERIFIERS, bad_proof, bonded_net, bonded_net_on, bonded_net_with,
    settings,
};
use loopin_pocps::sig::k256_sign;
use loopin_pocps_registry::ContractError;
use loopin_pool_math::HOUR;

#[test]
fn an_honest_device_passes_and_its_verifier_is_rewarded_within_the_cap() {
    let mut n = bonded_net();
    let alice = n.stake_device("alice", 1, StakeMode::LiquidityProvider, 11 * LOOP);
    let token_id = n.devices[alice].token_id.clone();
    assert_eq!(n.device(&token_id).status, DeviceStatus::Active);
    let before = n.p.balance_of("bob");
    let minted = n.supply().minted;

    for check in 1..=4u128 {
        let (id, d) = n.assigned("bob", &VERIFIERS);
        assert_eq!(d, alice, "the only device is drawn");
        n.pass("bob", id, d).unwrap();
        assert_eq!(n.challenge(id).status, ChallengeStatus::Passed);
        // Three checks per reward epoch are paid; the fourth is counted but not paid.
        let paid = check.min(3);
        assert_eq!(n.p.balance_of("bob"), before + paid * REWARD);
        assert_eq!(n.supply().minted, minted + Uint128::new(paid * REWARD));
    }
    assert_eq!(n.verifier("bob").valid_checks, 4);
    assert_eq!(n.device(&token_id).passes, 4);
    assert_eq!(n.certificate(&token_id), CertificateStatus::Active);
    let emission: factory::EmissionResponse =
        n.p.app
            .wrap()
            .query_wasm_smart(&n.factory, &factory::QueryMsg::Emission {})
            .unwrap();
    assert_eq!(emission.total_minted.u128(), 3 * REWARD);
    assert!(!n.p.stake_info(1).invalidated);
}

#[test]
fn a_bad_proof_invalidates_the_certificate_and_the_pair_settles_the_miner() {
    let mut n = bonded_net_with(RegistrySettings {
        max_rewarded_checks: 100,
        ..settings()
    });
    let alice = n.stake_device("alice", 1, StakeMode::LiquidityProvider, 101 * LOOP);
    // The seller pays the 1 LOOP fee and leaves a 1 LOOP deposit.
    let seller = n.stake_device("seller", 2, StakeMode::Seller, 10 * LOOP);
    assert_eq!(n.p.balance_of("seller"), RICH - 2 * LOOP);
    let seller_stake = n.p.stake_info(2);
    assert_eq!(seller_stake.deposit.u128(), LOOP);
    // Demand for sellers' hours: a client leases most of Alice's hour and the pool passes a
    // boundary, which sells the seller's first hour within the budget that lease left.
    let escrow = n.p.pool().escrow;
    n.p.fund_sellers("client", 1, 3 * HOUR / 4);
    assert_eq!(n.p.pool().trading_epoch, seller_stake.start_epoch);
    assert!(
        n.p.pool().escrow > escrow,
        "the seller's first hour was sold"
    );

    // A bad block in the seller's signed answer: proven on chain at once.
    let id = n.assigned_to("bob", &VERIFIERS, seller);
    let seed = n.seed(id);
    let (answer, openings) = n.devices[seller].answer_with(&seed, |o| o[1].blocks[7] ^= 1 << 9);
    let pool = n.p.pool();
    let burned = n.supply().burned;
    let bob = n.p.balance_of("bob");
    let res = n
        .submit("bob", id, bad_proof(answer, &openings, 1, Some(7)))
        .unwrap();
    assert_eq!(attr(&res, "outcome").unwrap(), "proven");
    let token_id = n.devices[seller].token_id.clone();
    assert_eq!(n.certificate(&token_id), CertificateStatus::Invalidated);
    assert_eq!(n.device(&token_id).status, DeviceStatus::Invalidated);
    assert!(n.p.stake_info(2).invalidated);
    assert_eq!(n.challenge(id).status, ChallengeStatus::Proven);
    // The seller gets nothing back: what the pool paid for its hour of the trading epoch, which
    // nobody leased, goes back to the pool's LOOP (fee included), and the rest of its deposit
    // and escrow is burned.
    assert_eq!(n.p.balance_of("seller"), RICH - 2 * LOOP);
    let after = n.p.pool();
    let returned: u128 = attr(&res, "returned_to_pool").unwrap().parse().unwrap();
    assert!(returned > 0);
    assert_eq!(
        after.reserves.tokens.u128(),
        pool.reserves.tokens.u128() + returned
    );
    assert_eq!(
        (pool.escrow - after.escrow).u128(),
        (n.supply().burned - burned).u128() + returned
    );
    // The exchange fee the pool paid on that hour came out of the deposit; the rest is burned.
    assert!(n.supply().burned > burned);
    assert_eq!(
        n.p.balance_of("bob"),
        bob + REWARD,
        "a valid check is rewarded"
    );
    // The device leaves the draw: every later challenge lands on Alice's device.
    let (id2, d2) = n.assigned("carol", &VERIFIERS);
    assert_eq!(d2, alice);
    n.pass("carol", id2, d2).unwrap();

    // Alice, a liquidity provider with a client's lease on her device, proves bad too: the
    // client is refunded in full out of her locked position and the rest is burned. (The epoch
    // the client's first lease bought is over first, so only this lease is refunded.)
    n.p.next_epoch();
    let client = n.p.balance_of("client");
    n.p.lease("client", 1, HOUR / 2, 1_000 * LOOP).unwrap();
    let client_paid = client - n.p.balance_of("client");
    assert!(client_paid > 0);
    let id = n.commit("dave");
    n.beacon(&VERIFIERS);
    n.exec("client", &ExecuteMsg::Assign { challenge_id: id })
        .unwrap();
    let seed = n.seed(id);
    let (answer, openings) = n.devices[alice].answer_with(&seed, |o| o[0].blocks[3] ^= 1);
    let pool = n.p.pool();
    let alice_stake = n.p.stake_info(1);
    let position = pool
        .reserves
        .tokens
        .multiply_ratio(alice_stake.shares, pool.total_shares);
    let burned = n.supply().burned;
    let alice_balance = n.p.balance_of("alice");
    n.submit(
        "dave",
        id,
        // The whole leaf re-checked (64 blocks x 4 rounds is within max_recheck_steps).
        bad_proof(answer, &openings, 0, None),
    )
    .unwrap();
    let alice_token = n.devices[alice].token_id.clone();
    assert_eq!(n.certificate(&alice_token), CertificateStatus::Invalidated);
    assert_eq!(n.p.balance_of("client"), client, "the client is made whole");
    assert_eq!(
        n.p.balance_of("alice"),
        alice_balance,
        "nothing returns to Alice"
    );
    assert_eq!(
        (n.supply().burned - burned).u128(),
        position.u128() - client_paid,
        "her position pays the refund, the rest is burned"
    );
    let after = n.p.pool();
    assert_eq!(
        (pool.reserves.tokens - after.reserves.tokens).u128(),
        position.u128()
    );
    assert_eq!(after.reserves.hours.u128(), 0, "no hours of failed devices");
}

#[test]
fn lateness_needs_a_quorum_of_independently_assigned_verifiers() {
    let mut n = bonded_net();
    let alice = n.stake_device("alice", 1, StakeMode::LiquidityProvider, 11 * LOOP);
    let token_id = n.devices[alice].token_id.clone();

    // Within the deadline is not late.
    let (id, _) = n.assigned("bob", &VERIFIERS);
    let err = n.refused(
        "bob",
        &ExecuteMsg::Submit {
            challenge_id: id,
            secret: HexBinary::from(n.secret(id).to_vec()),
            verdict: Verdict::Late {
                latency_ms: Some(100),
                rtt_ms: 0,
                throughput: false,
            },
            attempt: 0,
        },
    );
    assert_eq!(err, ContractError::NotLate { latency_ms: 100 });
    let res = n
        .submit(
            "bob",
            id,
            Verdict::Late {
                latency_ms: Some(250),
                rtt_ms: 0,
                throughput: false,
            },
        )
        .unwrap();
    assert_eq!(attr(&res, "late_votes").unwrap(), "1");
    // The same verifier again counts once: one verifier never slashes.
    let (id, _) = n.assigned("bob", &VERIFIERS);
    let res = n
        .submit(
            "bob",
            id,
            Verdict::Late {
                latency_ms: None,
                rtt_ms: 0,
                throughput: false,
            },
        )
        .unwrap();
    assert_eq!(attr(&res, "late_votes").unwrap(), "1");
    assert_eq!(n.certificate(&token_id), CertificateStatus::Active);
    assert_eq!(n.device(&token_id).status, DeviceStatus::Active);

    let (id, _) = n.assigned("carol", &VERIFIERS);
    n.submit(
        "carol",
        id,
        Verdict::Late {
            latency_ms: None,
            rtt_ms: 0,
            throughput: false,
        },
    )
    .unwrap();
    assert_eq!(n.certificate(&token_id), CertificateStatus::Active);
    // The third distinct verifier makes the quorum: the certificate is invalidated.
    let (id, _) = n.assigned("dave", &VERIFIERS);
    let res = n
        .submit(
            "dave",
            id,
            Verdict::Late {
                latency_ms: Some(5_000),
                rtt_ms: 0,
                throughput: false,
            },
        )
        .unwrap();
    assert_eq!(attr(&res, "late_votes").unwrap(), "3");
    assert_eq!(n.certificate(&token_id), CertificateStatus::Invalidated);
    assert_eq!(n.device(&token_id).status, DeviceStatus::Invalidated);
    assert!(n.p.stake_info(1).invalidated);
    // Lateness attestations earn nothing; no verifier was slashed.
    for v in VERIFIERS {
        let info = n.verifier(v);
        assert_eq!(info.bonded.u128(), BOND);
        assert!(!info.slashed);
        assert_eq!(info.valid_checks, 0);
    }
}

#[test]
fn a_verifier_claiming_bad_openings_on_a_valid_proof_loses_its_bond() {
    let mut n = bonded_net();
    let alice = n.stake_device("alice", 1, StakeMode::LiquidityProvider, 11 * LOOP);
    let token_id = n.devices[alice].token_id.clone();
    let (id, d) = n.assigned("bob", &VERIFIERS);
    let (answer, openings) = n.devices[d].answer_with(&n.seed(id), |_| {});
    let burned = n.supply().burned;
    let res = n
        .submit("bob", id, bad_proof(answer, &openings, 2, Some(6)))
        .unwrap();
    assert_eq!(attr(&res, "outcome").unwrap(), "refuted");
    assert_eq!(n.challenge(id).status, ChallengeStatus::Refuted);
    let bob = n.verifier("bob");
    assert!(bob.slashed);
    assert_eq!(bob.bonded.u128() + bob.unbonding.u128(), 0);
    assert_eq!(
        (n.supply().burned - burned).u128(),
        BOND,
        "the bond is burned"
    );
    assert_eq!(n.certificate(&token_id), CertificateStatus::Active);
    assert_eq!(n.device(&token_id).status, DeviceStatus::Active);
    // A slashed verifier can do nothing more, and cannot bond again.
    let err = n.refused(
        "bob",
        &ExecuteMsg::Commit {
            secret_hash: HexBinary::from([3u8; 32]),
        },
    );
    assert_eq!(err, ContractError::VerifierSlashed {});
    let err: ContractError = contract_error(n.bond("bob", BOND));
    assert_eq!(err, ContractError::VerifierSlashed {});

    // A forged block (not signed by the device) proves nothing and changes nothing.
    n.bond("client", BOND).unwrap();
    let (id, _) = n.assigned("carol", &["carol", "dave", "client"]);
    let seed = n.seed(id);
    let (answer, mut openings) = n.devices[alice].answer_with(&seed, |_| {});
    openings[0].blocks[1] ^= 1;
    let err = n.refused(
        "carol",
        &ExecuteMsg::Submit {
            challenge_id: id,
            secret: HexBinary::from(n.secret(id).to_vec()),
            verdict: bad_proof(answer.clone(), &openings, 0, Some(1)),
            attempt: 0,
        },
    );
    assert_eq!(err, ContractError::LeafNotSigned {});
    // Neither is a signature made by anyone but the device.
    let mut forged = answer;
    forged.signature = HexBinary::from(k256_sign(
        &SigningKey::from_slice(&[1u8; 32]).unwrap(),
        &[0u8; 32],
    ));
    let (_, honest_openings) = n.devices[alice].answer_with(&seed, |_| {});
    let err = n.refused(
        "carol",
        &ExecuteMsg::Submit {
            challenge_id: id,
            secret: HexBinary::from(n.secret(id).to_vec()),
            verdict: bad_proof(forged, &honest_openings, 0, Some(1)),
            attempt: 0,
        },
    );
    assert_eq!(err, ContractError::NotSignedForChallenge {});

    // A tampered (unsigned) Merkle path is disputed; the device answers with its path and the
    // verifier is slashed.
    let (answer, mut openings) = n.devices[alice].answer_with(&seed, |_| {});
    openings[4].path[2] = [0u8; 32];
    let res = n
        .submit("carol", id, bad_proof(answer, &openings, 4, Some(0)))
        .unwrap();
    assert_eq!(attr(&res, "outcome").unwrap(), "disputed");
    assert_eq!(n.challenge(id).status, ChallengeStatus::Disputed);
    let opening = n.devices[alice].prover.open(&seed, K).swap_remove(4);
    let path: Vec<HexBinary> = opening.path.into_iter().map(HexBinary::from).collect();
    let err = n.refused(
        "bob",
        &ExecuteMsg::Defend {
            challenge_id: id,
            path: path.clone(),
        },
    );
    assert_eq!(err, ContractError::NotDeviceOwner {});
    let mut wrong = path.clone();
    wrong[0] = HexBinary::from([1u8; 32]);
    let err = n.refused(
        "alice",
        &ExecuteMsg::Defend {
            challenge_id: id,
            path: wrong,
        },
    );
    assert_eq!(err, ContractError::InvalidPath {});
    n.exec(
        "alice",
        &ExecuteMsg::Defend {
            challenge_id: id,
            path,
        },
    )
    .unwrap();
    assert_eq!(n.challenge(id).status, ChallengeStatus::Refuted);
    assert!(n.verifier("carol").slashed);
    assert_eq!(n.certificate(&token_id), CertificateStatus::Active);
}

#[test]
fn an_unanswered_bad_path_claim_invalidates_after_the_dispute_window() {
    let mut n = bonded_net();
    let alice = n.stake_device("alice", 1, StakeMode::LiquidityProvider, 11 * LOOP);
    let token_id = n.devices[alice].token_id.clone();
    let (id, _) = n.assigned("bob", &VERIFIERS);
    // The device serves a leaf that is not under its committed root (it lost that data): the
    // blocks chain correctly (regenerated) but no path leads to the root.
    let seed = n.seed(id);
    let (answer, openings) = n.devices[alice].answer_with(&seed, |o| {
        o[3].path[0] = [7u8; 32];
    });
    let res = n
        .submit("bob", id, bad_proof(answer, &openings, 3, None))
        .unwrap();
    assert_eq!(attr(&res, "outcome").unwrap(), "disputed");
    let err = n.refused("dave", &ExecuteMsg::Finalize { challenge_id: id });
    assert_eq!(err, ContractError::NotLapsed {});
    n.wait(3_601);
    let err = n.refused(
        "alice",
        &ExecuteMsg::Defend {
            challenge_id: id,
            path: vec![],
        },
    );
    assert_eq!(err, ContractError::ChallengeLapsed {});
    n.exec("dave", &ExecuteMsg::Finalize { challenge_id: id })
        .unwrap();
    assert_eq!(n.challenge(id).status, ChallengeStatus::Proven);
    assert_eq!(n.certificate(&token_id), CertificateStatus::Invalidated);
    assert!(!n.verifier("bob").slashed);
}

#[test]
fn a_claim_is_re_checked_within_the_step_budget() {
    let mut n = bonded_net_with(RegistrySettings {
        max_recheck_steps: 100,
        ..settings()
    });
    let alice = n.stake_device("alice", 1, StakeMode::LiquidityProvider, 11 * LOOP);
    let (id, _) = n.assigned("bob", &VERIFIERS);
    let seed = n.seed(id);
    let (answer, openings) = n.devices[alice].answer_with(&seed, |o| o[5].blocks[40] ^= 1);
    let secret = HexBinary::from(n.secret(id).to_vec());
    let submit = |verdict: Verdict| ExecuteMsg::Submit {
        challenge_id: id,
        secret: secret.clone(),
        verdict,
        attempt: 0,
    };
    // A whole leaf is 64 blocks x 4 rounds = 256 steps, over the budget of 100.
    let whole = submit(bad_proof(answer.clone(), &openings, 5, None));
    assert_eq!(
        n.refused("bob", &whole),
        ContractError::RecheckTooCostly {
            steps: 256,
            max: 100
        }
    );
    for (j, block) in [(5, 64), (8, 0)] {
        let mut verdict = bad_proof(answer.clone(), &openings, 5, Some(block));
        if let Verdict::BadProof { opening, .. } = &mut verdict {
            *opening = j;
        }
        assert_eq!(
            n.refused("bob", &submit(verdict)),
            ContractError::InvalidClaim { k: K }
        );
    }
    // The bad block itself (4 steps) proves it.
    let res = n
        .submit("bob", id, bad_proof(answer, &openings, 5, Some(40)))
        .unwrap();
    assert_eq!(attr(&res, "outcome").unwrap(), "proven");
    let token_id = n.devices[alice].token_id.clone();
    assert_eq!(n.certificate(&token_id), CertificateStatus::Invalidated);
}

// ---------------------------------------------------------------------------------------------
// Rewards: only what the factory minted counts against the registry's caps.

fn emission(n: &Net) -> factory::EmissionResponse {
    n.p.app
        .wrap()
        .query_wasm_smart(&n.factory, &factory::QueryMsg::Emission {})
        .unwrap()
}

#[test]
fn a_reward_the_factory_refused_does_not_use_up_the_verifiers_cap() {
    // The factory mints one reward per (one-hour) emission epoch; the registry pays a verifier
    // two checks per ten-hour reward epoch.
    let mut n = bonded_net_on(
        protocol_with_emission_cap(REWARD),
        RegistrySettings {
            max_rewarded_checks: 2,
            reward_epoch_seconds: 10 * EPOCH,
            ..settings()
        },
    );
    let alice = n.stake_device("alice", 1, StakeMode::LiquidityProvider, 11 * LOOP);
    let before = n.p.balance_of("bob");

    // First check: minted.
    let (id, d) = n.assigned("bob", &VERIFIERS);
    assert_eq!(d, alice);
    let res = n.pass("bob", id, d).unwrap();
    assert_eq!(attr(&res, "reward_unpaid"), None);
    assert_eq!(n.p.balance_of("bob"), before + REWARD);
    let first = emission(&n);
    assert_eq!(first.remaining_this_epoch, Uint128::zero());

    // Second check, same emission epoch: the factory refuses; the verdict stands, unpaid.
    let (id, d) = n.assigned("bob", &VERIFIERS);
    let res = n.pass("bob", id, d).unwrap();
    assert_eq!(n.challenge(id).status, ChallengeStatus::Passed);
    assert_eq!(attr(&res, "action").as_deref(), Some("submit"));
    assert!(
        attr(&res, "error").is_some_and(|e| e.contains("emission cap reached")),
        "{res:?}"
    );
    assert_eq!(n.p.balance_of("bob"), before + REWARD);
    assert_eq!(n.verifier("bob").valid_checks, 2);

    // The next emission epoch, the same reward epoch: the refused mint did not use up Bob's
    // two paid checks, so this one is paid.
    n.wait(EPOCH);
    let (id, d) = n.assigned("bob", &VERIFIERS);
    n.pass("bob", id, d).unwrap();
    assert!(emission(&n).epoch > first.epoch);
    assert_eq!(n.p.balance_of("bob"), before + 2 * REWARD);

    // A third paid check in the reward epoch is over the registry's cap: not even asked for.
    n.wait(EPOCH);
    let (id, d) = n.assigned("bob", &VERIFIERS);
    let res = n.pass("bob", id, d).unwrap();
    assert_eq!(attr(&res, "error"), None);
    assert_eq!(n.p.balance_of("bob"), before + 2 * REWARD);
    assert_eq!(emission(&n).total_minted.u128(), 2 * REWARD);
    assert_eq!(n.verifier("bob").valid_checks, 4);
}

/// A device registered before the encoding of independent blocks (its stored record has no
/// `encoding`, as every record written by the registry before it) committed to chained blocks,
/// which today's block check would find bad everywhere. A bad-proof claim against it would
/// invalidate an honest device and reward the claimant; it is refused instead, and nothing
/// changes.
#[test]
fn a_bad_proof_claim_cannot_judge_a_device_of_the_earlier_encoding() {
    use cosmwasm_std::{from_json, to_json_vec};
    use loopin_pocps_registry::state::{DEVICES, Device};
    let mut n = bonded_net();
    let alice = n.stake_device("alice", 1, StakeMode::LiquidityProvider, 11 * LOOP);
    let token_id = n.devices[alice].token_id.clone();
    // Rewrite the device's record as the registry stored it before the field existed.
    let key = DEVICES.key(token_id.as_str());
    let reg = n.reg.clone();
    {
        let mut storage = n.p.app.contract_storage_mut(&reg);
        let stored: Device = loopin_packed::decode(&storage.get(&key).unwrap()).unwrap();
        assert_eq!(stored.encoding, loopin_pocps::encode::ENCODING_VERSION);
        let json = String::from_utf8(to_json_vec(&stored).unwrap()).unwrap();
        let legacy = json.replace(",\"encoding\":2", "");
        assert_ne!(legacy, json);
        assert_eq!(from_json::<Device>(legacy.as_bytes()).unwrap().encoding, 1);
        storage.set(&key, legacy.as_bytes());
    }
    let (id, d) = n.assigned("bob", &VERIFIERS);
    assert_eq!(d, alice);
    let (answer, openings) = n.devices[d].answer_with(&n.seed(id), |o| o[2].blocks[6] ^= 1);
    let claim = ExecuteMsg::Submit {
        challenge_id: id,
        secret: HexBinary::from(n.secret(id).to_vec()),
        verdict: bad_proof(answer, &openings, 2, Some(6)),
        attempt: 0,
    };
    assert_eq!(
        n.refused("bob", &claim),
        ContractError::LegacyEncoding {
            token_id: token_id.clone(),
            encoding: 1,
            current: 2
        }
    );
    assert_eq!(n.device(&token_id).status, DeviceStatus::Active);
    assert_eq!(n.certificate(&token_id), CertificateStatus::Active);
}
