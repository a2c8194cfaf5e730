//! The PoCPS registry with the real factory, pair, LOOP token and stake certificates: its
//! instantiation and migration, device registration (and a seller's bound on its first sale) and
//! verifier bonds, with real PoCPS encodings (`Params::TEST`, k256 device keys).

use cosmwasm_std::{Addr, HexBinary, Uint128, to_json_binary};
use cw_multi_test::Executor;
use cw_storage_plus::Map;
use k256::ecdsa::SigningKey;
use loopin::registry::{
    ChallengeStatus, CommitmentMsg, DeviceStatus, ExecuteMsg, InstantiateMsg, MigrateMsg,
    ReceiveMsg, RegistrySettings,
};
use loopin::stake_cert::{self, StakeMode};
use loopin_integration_tests::protocol::LOOP;
use loopin_integration_tests::registry::{
    BOND, ROUND, bonded_net, challenge_key, net, registry_contract, settings,
};
use loopin_pocps_registry::ContractError;
use loopin_pocps_registry::state::{VERIFIERS, Verifier};
use loopin_pool_math::HOUR;

#[test]
fn unregistered_and_unbonded_callers_are_refused() {
    let mut n = net();
    let d = n.encode_and_stake("alice", 1, StakeMode::LiquidityProvider, 11 * LOOP);
    let good = n.devices[d].register_msg();
    let ExecuteMsg::RegisterDevice {
        token_id,
        fingerprint,
        commitment,
        endpoint,
        ek_randomness,
        ..
    } = good.clone()
    else {
        unreachable!()
    };
    let register = |fingerprint: HexBinary, commitment: CommitmentMsg, randomness: &[u8]| {
        ExecuteMsg::RegisterDevice {
            token_id: token_id.clone(),
            fingerprint,
            commitment,
            endpoint: endpoint.clone(),
            ek_randomness: HexBinary::from(randomness),
        }
    };
    // Only the certificate's owner registers, with the certificate's own commitment.
    assert_eq!(
        n.refused("bob", &good),
        ContractError::NotCertificateOwner {}
    );
    let mut other = commitment.clone();
    other.root = HexBinary::from([0u8; 32]);
    assert_eq!(
        n.refused(
            "alice",
            &register(fingerprint.clone(), other, &ek_randomness)
        ),
        ContractError::CommitmentMismatch {}
    );
    assert_eq!(
        n.refused(
            "alice",
            &register(
                HexBinary::from([2u8; 32]),
                commitment.clone(),
                &ek_randomness
            )
        ),
        ContractError::FingerprintMismatch {}
    );
    // A commitment naming another device key than the one whose fingerprint is the device.
    let mut other_key = commitment.clone();
    other_key.pubkey = HexBinary::from(
        SigningKey::from_slice(&[0x55; 32])
            .unwrap()
            .verifying_key()
            .to_encoded_point(true)
            .as_bytes(),
    );
    assert_eq!(
        n.refused(
            "alice",
            &register(fingerprint.clone(), other_key, &ek_randomness)
        ),
        ContractError::FingerprintNotOfDeviceKey {}
    );
    assert_eq!(
        n.refused(
            "alice",
            &register(fingerprint.clone(), commitment.clone(), b"other")
        ),
        ContractError::EkMismatch {}
    );
    let mut absurd = commitment.clone();
    absurd.params.rounds = u32::MAX;
    assert_eq!(
        n.refused(
            "alice",
            &register(fingerprint.clone(), absurd, &ek_randomness)
        ),
        ContractError::InvalidParams {}
    );
    let unknown = ExecuteMsg::RegisterDevice {
        token_id: "h100-99".into(),
        fingerprint: fingerprint.clone(),
        commitment: commitment.clone(),
        endpoint: endpoint.clone(),
        ek_randomness: ek_randomness.clone(),
    };
    assert_eq!(
        n.refused("alice", &unknown),
        ContractError::UnknownCertificate {
            token_id: "h100-99".into()
        }
    );
    n.exec("alice", &good).unwrap();
    assert_eq!(
        n.refused("alice", &good),
        ContractError::AlreadyRegistered {
            token_id: token_id.clone()
        }
    );

    // Not a verifier: no entropy, no challenge.
    let hash = HexBinary::from([1u8; 32]);
    let not_verifier = ContractError::NotVerifier {
        address: n.addr("bob").to_string(),
    };
    assert_eq!(
        n.refused(
            "bob",
            &ExecuteMsg::Commit {
                secret_hash: hash.clone()
            }
        ),
        not_verifier
    );
    assert_eq!(
        n.refused("bob", &ExecuteMsg::CommitEntropy { hash: hash.clone() }),
        not_verifier
    );
    assert_eq!(
        n.refused(
            "bob",
            &ExecuteMsg::Unbond {
                amount: Uint128::new(1)
            }
        ),
        not_verifier
    );
    // A first bond below the minimum is refused: no dust verifiers.
    let dust = n
        .bond("bob", BOND - 1)
        .unwrap_err()
        .downcast::<ContractError>();
    assert_eq!(
        dust.unwrap(),
        ContractError::InsufficientBond {
            bonded: Uint128::new(BOND - 1),
            min: Uint128::new(BOND)
        }
    );
    // Bonded below the minimum after unbonding some.
    n.bond("bob", BOND).unwrap();
    n.exec(
        "bob",
        &ExecuteMsg::Unbond {
            amount: Uint128::new(1),
        },
    )
    .unwrap();
    assert_eq!(
        n.refused(
            "bob",
            &ExecuteMsg::Commit {
                secret_hash: hash.clone()
            }
        ),
        ContractError::InsufficientBond {
            bonded: Uint128::new(BOND - 1),
            min: Uint128::new(BOND)
        }
    );
    n.bond("bob", 1).unwrap();
    // Bonded, but provers would not know its requests: no key, no challenge.
    assert_eq!(
        n.refused(
            "bob",
            &ExecuteMsg::Commit {
                secret_hash: hash.clone()
            }
        ),
        ContractError::NoChallengeKey {}
    );
    n.set_key("bob", &challenge_key("bob", 0)).unwrap();
    n.exec(
        "bob",
        &ExecuteMsg::Commit {
            secret_hash: hash.clone(),
        },
    )
    .unwrap();
    // LOOP sent by hand is no bond; a hook from anything but the token is refused.
    let fake = ExecuteMsg::Receive(cw20::Cw20ReceiveMsg {
        sender: n.addr("bob").to_string(),
        amount: Uint128::new(BOND),
        msg: to_json_binary(&ReceiveMsg::Bond {}).unwrap(),
    });
    assert_eq!(n.refused("bob", &fake), ContractError::NotToken {});

    // Unbonding: no longer bonded for new challenges, withdrawable after the period only and
    // with no challenge open.
    let before = n.p.balance_of("bob");
    n.exec(
        "bob",
        &ExecuteMsg::Unbond {
            amount: Uint128::new(BOND),
        },
    )
    .unwrap();
    assert!(matches!(
        n.refused(
            "bob",
            &ExecuteMsg::Commit {
                secret_hash: HexBinary::from([9u8; 32])
            }
        ),
        ContractError::InsufficientBond { .. }
    ));
    assert!(matches!(
        n.refused("bob", &ExecuteMsg::WithdrawUnbonded {}),
        ContractError::ChallengesOpen { open: 1 }
    ));
    // The open challenge never finds a qualifying round: it lapses.
    n.wait(70 * ROUND);
    n.exec("client", &ExecuteMsg::Expire { challenge_id: 1 })
        .unwrap();
    assert_eq!(n.challenge(1).status, ChallengeStatus::Expired);
    assert!(matches!(
        n.refused("bob", &ExecuteMsg::WithdrawUnbonded {}),
        ContractError::NothingToWithdraw { .. }
    ));
    n.wait(7 * 86_400);
    n.exec("bob", &ExecuteMsg::WithdrawUnbonded {}).unwrap();
    // The bond, and the 1 unbonded earlier.
    assert_eq!(n.p.balance_of("bob"), before + BOND + 1);
    assert_eq!(n.verifier("bob").unbonding.u128(), 0);
}

#[test]
fn migrate_is_guarded_by_cw2() {
    let mut n = net();
    let code = n.p.app.store_code(registry_contract());
    let governance = n.addr("governance");
    let reg = n.reg.clone();
    n.p.app
        .migrate_contract(governance, reg, &MigrateMsg {}, code)
        .unwrap();
    // Another contract's code refuses to take the registry's state.
    let cert_code =
        n.p.app
            .store_code(loopin_integration_tests::stake_cert_contract());
    let governance = n.addr("governance");
    let reg = n.reg.clone();
    assert!(
        n.p.app
            .migrate_contract(governance, reg, &stake_cert::MigrateMsg {}, cert_code)
            .is_err()
    );
}

#[test]
fn settings_are_validated_at_instantiation() {
    let mut n = net();
    let code = n.p.app.store_code(registry_contract());
    let governance = n.addr("governance");
    let bad = [
        RegistrySettings {
            round_seconds: 0,
            ..settings()
        },
        RegistrySettings {
            unbonding_seconds: 600,
            ..settings()
        },
        RegistrySettings {
            dispute_seconds: u64::MAX,
            ..settings()
        },
        RegistrySettings {
            assign_window_rounds: u64::MAX,
            ..settings()
        },
        RegistrySettings {
            openings_per_round: 33,
            ..settings()
        },
        RegistrySettings {
            max_recheck_steps: 0,
            ..settings()
        },
        RegistrySettings {
            entropy_quorum: 0,
            ..settings()
        },
        RegistrySettings {
            min_bond: Uint128::zero(),
            ..settings()
        },
        RegistrySettings {
            skip_penalty_bps: 10_001,
            ..settings()
        },
        RegistrySettings {
            appeal_passes: 4,
            appeal_draw: 3,
            ..settings()
        },
        RegistrySettings {
            appeal_passes: 0,
            ..settings()
        },
        RegistrySettings {
            appeal_draw: 17,
            appeal_passes: 2,
            ..settings()
        },
        RegistrySettings {
            overturned_late_bps: 10_001,
            ..settings()
        },
        RegistrySettings {
            max_deadline_ms: 99,
            ..settings()
        },
        RegistrySettings {
            rtt_factor: 17,
            ..settings()
        },
        RegistrySettings {
            appeal_seconds: u64::MAX,
            ..settings()
        },
    ];
    for settings in bad {
        let result = n.p.app.instantiate_contract(
            code,
            governance.clone(),
            &InstantiateMsg {
                factory: n.factory.to_string(),
                settings: settings.clone(),
            },
            &[],
            "bad registry",
            None,
        );
        let err = result
            .expect_err("refused")
            .downcast::<ContractError>()
            .unwrap();
        assert!(
            matches!(err, ContractError::InvalidSettings { .. }),
            "{settings:?}: {err:?}"
        );
    }
}

/// A seller's registration through the registry sells nothing at once: the device is active,
/// the pool's reserves and escrow are as they were, and the seller's hours join at the next
/// boundary, with every seller's. In a pool clients have paid nothing to, that sale pays
/// nothing (the pool buys sellers' hours only with what clients paid it), yet the hours are
/// listed and a client can lease them; what the client pays stays with the providers.
#[test]
fn a_sellers_registration_sells_nothing_and_its_hours_join_at_the_next_boundary() {
    let mut n = net();
    n.stake_device("alice", 1, StakeMode::LiquidityProvider, 11 * LOOP);
    let d = n.encode_and_stake("seller", 2, StakeMode::Seller, 10 * LOOP);
    assert_eq!(n.p.pool().seller_budget, Uint128::zero());
    let hours = n.p.stake_info(2).hours_per_epoch;
    let pool = n.p.pool();
    let msg = n.devices[d].register_msg();
    n.exec("seller", &msg).unwrap();
    let token_id = n.devices[d].token_id.clone();
    assert_eq!(n.device(&token_id).status, DeviceStatus::Active);
    let first = n.p.stake_info(2).verified_from.expect("registered");
    assert_eq!(first, pool.trading_epoch + 1);
    let registered = n.p.pool();
    assert_eq!(
        (registered.reserves, registered.escrow),
        (pool.reserves, pool.escrow)
    );
    assert_eq!(registered.seller_hours, hours);

    n.p.next_epoch();
    let after = n.p.pool();
    assert_eq!(after.trading_epoch, first);
    assert_eq!(after.escrow, pool.escrow);
    assert_eq!(
        after.reserves.hours,
        n.p.stake_info(1).hours_per_epoch + hours
    );
    // A client can lease it; what the client pays stays with the providers.
    let tokens = after.reserves.tokens;
    n.p.lease("client", 2, HOUR / 2, 1_000 * LOOP).unwrap();
    assert!(n.p.pool().reserves.tokens > tokens);
}

/// The zero-hardware miner: a commitment to a P of one 16-byte block proves no memory and no
/// GPU, and used to register (only `is_valid` and the registry's `min_rounds` were checked). Its
/// class asks for 16 KiB at 4 rounds by default; a class may ask for more rounds, and the
/// registry's own `min_rounds` still applies. Each refusal changes nothing, and the pool never
/// hears of the device, so its stake supplies and earns nothing.
#[test]
fn a_commitment_below_its_class_does_not_register() {
    use loopin_integration_tests::protocol::{params, protocol_with};
    use loopin_pocps::encode::Params;
    let tiny = Params {
        lanes: 1,
        blocks_per_lane: 1,
        rounds: 4,
        blocks_per_leaf: 1,
    };
    assert!(tiny.is_valid());
    let mut n = net();
    let d = n.encode_and_stake_with(
        "carol",
        3,
        StakeMode::LiquidityProvider,
        11 * LOOP,
        10,
        tiny,
    );
    let msg = n.devices[d].register_msg();
    assert_eq!(
        n.refused("carol", &msg),
        ContractError::CommitmentBelowClass {
            bytes: 16,
            min_bytes: 16 * 1024,
            rounds: 4,
            min_rounds: 4
        }
    );
    let stake = n.p.stake_info(1);
    assert_eq!(stake.verified_from, None, "the pool never heard of it");

    // A class that asks for 8 rounds refuses the test set's 4, however large P is.
    let class = loopin::pool::PoolParams {
        min_proof_rounds: 8,
        ..params()
    };
    let mut n =
        loopin_integration_tests::registry::net_on(protocol_with(class, 1_000 * LOOP), settings());
    let d = n.encode_and_stake("alice", 1, StakeMode::LiquidityProvider, 11 * LOOP);
    let msg = n.devices[d].register_msg();
    assert_eq!(
        n.refused("alice", &msg),
        ContractError::CommitmentBelowClass {
            bytes: 16 * 1024,
            min_bytes: 16 * 1024,
            rounds: 4,
            min_rounds: 8
        }
    );
    // The test set meets the default class.
    let mut n = net();
    let d = n.encode_and_stake("alice", 1, StakeMode::LiquidityProvider, 11 * LOOP);
    let msg = n.devices[d].register_msg();
    n.exec("alice", &msg)
        .expect("a commitment meeting its class registers");
}

#[test]
fn a_verifier_stored_as_json_by_earlier_code_keeps_its_bond_and_is_packed_on_its_next_save() {
    let mut n = bonded_net();
    let (bob, reg) = (n.addr("bob"), n.reg.clone());
    let before = n.verifier("bob");
    let packed_key = VERIFIERS.key(&bob);
    let json = Map::<&Addr, Verifier>::new("verifiers");
    {
        // Earlier code stored verifiers as cw-storage-plus JSON.
        let mut storage = n.p.app.contract_storage_mut(&reg);
        let verifier = VERIFIERS.load(storage.as_ref(), &bob).unwrap();
        json.save(storage.as_mut(), &bob, &verifier).unwrap();
        let raw = storage.get(&packed_key).unwrap();
        assert_eq!(raw.first(), Some(&b'{'));
    }
    // Read as before, and every path that reads it works: unbonding part of the bond.
    assert_eq!(n.verifier("bob"), before);
    n.exec(
        "bob",
        &ExecuteMsg::Unbond {
            amount: Uint128::new(1),
        },
    )
    .unwrap();
    let after = n.verifier("bob");
    assert_eq!(after.bonded.u128(), before.bonded.u128() - 1);
    assert_eq!(after.unbonding.u128(), before.unbonding.u128() + 1);
    // Saved packed now: a version byte, not JSON.
    let storage = n.p.app.contract_storage(&reg);
    assert_eq!(storage.get(&packed_key).unwrap().first(), Some(&0));
}
