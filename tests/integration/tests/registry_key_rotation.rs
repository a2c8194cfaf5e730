//! Rotating a device's key with proof of the old one (issue 19): the registry checks the
//! device's answers with the new key from then on, its identity (fingerprint, ek, P) unchanged;
//! refused, changing nothing, without both keys' signatures over this rotation, for anyone but
//! the device's owner, while a challenge on it is open, for a replayed rotation, and back to a
//! key an earlier rotation retired.

use cosmwasm_std::HexBinary;
use k256::ecdsa::SigningKey;
use loopin::device::KeyRotation;
use loopin::registry::ExecuteMsg;
use loopin::stake_cert::StakeMode;
use loopin_integration_tests::protocol::{LOOP, attr};
use loopin_integration_tests::registry::{Net, VERIFIERS, bonded_net};
use loopin_pocps::sig::{k256_pubkey, k256_sign};
use loopin_pocps_registry::ContractError;

fn key(seed: u8) -> SigningKey {
    SigningKey::from_slice(&[seed; 32]).unwrap()
}

/// Device `d`'s rotation to `new`, signed by `current` and `new` for rotation number
/// `rotation`.
fn rotation_msg(
    n: &Net,
    d: usize,
    current: &SigningKey,
    new: &SigningKey,
    rotation: u32,
) -> ExecuteMsg {
    let token_id = n.devices[d].token_id.clone();
    let new_key = k256_pubkey(new);
    let chain_id = n.p.app.block_info().chain_id;
    let message = KeyRotation {
        chain_id: &chain_id,
        registry: n.reg.as_str(),
        token_id: &token_id,
        new_key: &new_key,
        rotation,
    }
    .message();
    ExecuteMsg::RotateDeviceKey {
        token_id,
        new_key: HexBinary::from(new_key),
        current_key_signature: HexBinary::from(k256_sign(current, &message)),
        new_key_signature: HexBinary::from(k256_sign(new, &message)),
    }
}

fn device_of(n: &Net, d: usize) -> loopin::registry::DeviceResponse {
    n.device(&n.devices[d].token_id)
}

#[test]
fn a_device_rotates_its_key_with_proof_of_the_old_and_answers_with_the_new() {
    let mut n = bonded_net();
    let d = n.stake_device("alice", 1, StakeMode::LiquidityProvider, 11 * LOOP);
    let old = n.devices[d].key.clone();
    let commitment = n.device(&n.devices[d].token_id).commitment;
    let msg = rotation_msg(&n, d, &old, &key(40), 0);
    let res = n.exec("alice", &msg).unwrap();
    assert_eq!(attr(&res, "rotations").as_deref(), Some("1"));
    let device = n.device(&n.devices[d].token_id);
    assert_eq!(
        device.signing_key,
        Some(HexBinary::from(k256_pubkey(&key(40))))
    );
    assert_eq!(device.key_rotations, 1);
    // Its identity is unchanged: the same commitment (the old key in it), the same P.
    assert_eq!(device.commitment, commitment);
    // An answer signed with the old key is no longer the device's; one with the new key passes.
    let (id, drawn) = n.assigned("bob", &VERIFIERS);
    assert_eq!(drawn, d);
    let err = contract_error_of(n.pass("bob", id, d));
    assert_eq!(err, ContractError::NotSignedForChallenge {});
    n.devices[d].key = key(40);
    n.pass("bob", id, d).unwrap();
    // And again, to a third key: the second rotation is signed for rotation number 1.
    let msg = rotation_msg(&n, d, &key(40), &key(41), 1);
    n.exec("alice", &msg).unwrap();
    n.devices[d].key = key(41);
    let (id, _) = n.assigned("carol", &VERIFIERS);
    n.pass("carol", id, d).unwrap();
}

fn contract_error_of(result: anyhow::Result<cw_multi_test::AppResponse>) -> ContractError {
    loopin_integration_tests::contract_error(result)
}

#[test]
fn a_rotation_is_refused_with_a_typed_error_and_changes_nothing() {
    let mut n = bonded_net();
    let d = n.stake_device("alice", 1, StakeMode::LiquidityProvider, 11 * LOOP);
    let token_id = n.devices[d].token_id.clone();
    let old = n.devices[d].key.clone();
    let good = rotation_msg(&n, d, &old, &key(40), 0);
    let mut cases: Vec<(&str, ExecuteMsg, ContractError)> = vec![
        ("bob", good.clone(), ContractError::NotDeviceOwner {}),
        (
            // The current key's signature made by another key: no proof of the old key.
            "alice",
            rotation_msg(&n, d, &key(40), &key(40), 0),
            ContractError::InvalidRotationSignature {
                key: "current".into(),
            },
        ),
        (
            // The new key's signature missing (the old key's in its place).
            "alice",
            match rotation_msg(&n, d, &old, &key(40), 0) {
                ExecuteMsg::RotateDeviceKey {
                    token_id,
                    new_key,
                    current_key_signature,
                    ..
                } => ExecuteMsg::RotateDeviceKey {
                    token_id,
                    new_key,
                    new_key_signature: current_key_signature.clone(),
                    current_key_signature,
                },
                _ => unreachable!(),
            },
            ContractError::InvalidRotationSignature { key: "new".into() },
        ),
        (
            // Signed for another rotation number.
            "alice",
            rotation_msg(&n, d, &old, &key(40), 1),
            ContractError::InvalidRotationSignature {
                key: "current".into(),
            },
        ),
        (
            "alice",
            rotation_msg(&n, d, &old, &old, 0),
            ContractError::SameDeviceKey {},
        ),
        (
            "alice",
            ExecuteMsg::RotateDeviceKey {
                token_id: "h100-99".into(),
                new_key: HexBinary::from(k256_pubkey(&key(40))),
                current_key_signature: HexBinary::from([0u8; 64]),
                new_key_signature: HexBinary::from([0u8; 64]),
            },
            ContractError::UnknownDevice {
                token_id: "h100-99".into(),
            },
        ),
    ];
    if let ExecuteMsg::RotateDeviceKey {
        current_key_signature,
        new_key_signature,
        ..
    } = &good
    {
        cases.push((
            "alice",
            ExecuteMsg::RotateDeviceKey {
                token_id: token_id.clone(),
                new_key: HexBinary::from([2u8; 20]),
                current_key_signature: current_key_signature.clone(),
                new_key_signature: new_key_signature.clone(),
            },
            ContractError::BadLength {
                field: "new_key".into(),
                expected: 33,
            },
        ));
    }
    for (who, msg, expected) in cases {
        let before = device_of(&n, d);
        assert_eq!(n.refused(who, &msg), expected, "{who} {msg:?}");
        assert_eq!(device_of(&n, d), before);
    }
    // While a challenge on it is open its answer is signed with the current key: refused.
    let (id, drawn) = n.assigned("bob", &VERIFIERS);
    assert_eq!(drawn, d);
    assert_eq!(
        n.refused("alice", &good),
        ContractError::DeviceChallenged {
            token_id: token_id.clone(),
            challenge_id: id,
        }
    );
    n.pass("bob", id, d).unwrap();
    // Rotated to a new key, the device cannot go back to the key it retired (thought leaked:
    // a restored backup must not bring it back), with every signature right.
    n.exec("alice", &good).unwrap();
    let before = device_of(&n, d);
    let back = rotation_msg(&n, d, &key(40), &old, 1);
    assert_eq!(
        n.refused("alice", &back),
        ContractError::RetiredDeviceKey {
            key: HexBinary::from(k256_pubkey(&old)).to_hex()
        }
    );
    assert_eq!(device_of(&n, d), before);
    // Nor, after a second rotation, to the one before.
    n.exec("alice", &rotation_msg(&n, d, &key(40), &key(41), 1))
        .unwrap();
    let before = device_of(&n, d);
    for retired in [&old, &key(40)] {
        assert_eq!(
            n.refused("alice", &rotation_msg(&n, d, &key(41), retired, 2)),
            ContractError::RetiredDeviceKey {
                key: HexBinary::from(k256_pubkey(retired)).to_hex()
            }
        );
    }
    // The first rotation replayed would bring back the key it installed, retired since.
    assert_eq!(
        n.refused("alice", &good),
        ContractError::RetiredDeviceKey {
            key: HexBinary::from(k256_pubkey(&key(40))).to_hex()
        }
    );
    // A rotation to a fresh key signed for an earlier rotation number is not this rotation's.
    assert_eq!(
        n.refused("alice", &rotation_msg(&n, d, &key(41), &key(42), 1)),
        ContractError::InvalidRotationSignature {
            key: "current".into()
        }
    );
    assert_eq!(device_of(&n, d), before);
}

#[test]
fn a_rotation_holds_for_the_device_under_its_next_certificate() {
    // Found by an attacker's review: kept per certificate, the rotation lapsed when the GPU was
    // staked again, and the registry checked its answers with the retired key (a thief of that
    // key could sign a bad answer and have the new stake seized).
    let mut n = bonded_net();
    let old = n.stake_device_for("alice", 1, StakeMode::LiquidityProvider, 11 * LOOP, 3);
    // A second device keeps the draw going after the first one's certificate ends.
    n.stake_device("seller", 2, StakeMode::LiquidityProvider, 11 * LOOP);
    let device_key = n.devices[old].key.clone();
    let msg = rotation_msg(&n, old, &device_key, &key(40), 0);
    n.exec("alice", &msg).unwrap();
    n.until_expired(old);
    // The same GPU (same identity: a stake is still signed by its device key) staked again.
    let new = n.encode_and_stake_for("alice", 1, StakeMode::LiquidityProvider, 12 * LOOP, 3);
    let msg = n.devices[new].register_msg();
    n.exec("alice", &msg).unwrap();
    let device = n.device(&n.devices[new].token_id);
    assert_eq!(
        device.signing_key,
        Some(HexBinary::from(k256_pubkey(&key(40))))
    );
    assert_eq!(device.key_rotations, 1);
    // Its answers are checked with the rotated key: the retired key's are refused.
    let id = n.assigned_to("bob", &VERIFIERS, new);
    let err = contract_error_of(n.pass("bob", id, new));
    assert_eq!(err, ContractError::NotSignedForChallenge {});
    n.devices[new].key = key(40);
    n.pass("bob", id, new).unwrap();
}
