//! Rotating the key the device's answers are signed with (`loopin::device::KeyRotation`): the
//! registry's `RotateDeviceKey`, signed here by the key in use and the next one, where both
//! live (`storage::signing_key`, `storage::next_signing_key`). Once the registry has accepted
//! it, `storage::commit_signing_key` makes the next key the one the prover signs with. The
//! device key (`device.key`) stays its identity: its fingerprint, ek and P do not change.

use cosmwasm_std::HexBinary;
use k256::ecdsa::SigningKey;
use loopin::device::KeyRotation;
use loopin::registry::ExecuteMsg;
use loopin_pocps::sig::k256_sign;

use crate::auth::pubkey_bytes;
use crate::storage::StorageError;

/// Why a rotation cannot be made, or the key to serve with cannot be chosen.
#[derive(Debug, thiserror::Error)]
pub enum RotationError {
    /// No certificate or registry to rotate the key at.
    #[error("no certificate or registry: pass --token-id and --registry, or set them in [chain]")]
    NoTarget,
    /// The next key is the one in use.
    #[error("the next key is the current one")]
    SameKey,
    /// A key file could not be read or made.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The registry checks answers with a key none of the data dir's keys is.
    #[error(
        "the registry checks this device's answers with key {key}, which none of the keys in {} is",
        .dir.display()
    )]
    UnknownKey {
        /// The registry's key, hex.
        key: String,
        /// The data dir.
        dir: std::path::PathBuf,
    },
}

/// Where the rotation happens: the registry's chain and address, the device's certificate and
/// the device's rotations so far (the registry's `DeviceResponse::key_rotations`).
#[derive(Clone, Debug)]
pub struct RotationTarget {
    pub chain_id: String,
    pub registry: String,
    pub token_id: String,
    pub rotation: u32,
}

/// The registry's `RotateDeviceKey` from `current` (the key answers are signed with now) to
/// `next`, signed by both.
pub fn rotate_device_key(
    current: &SigningKey,
    next: &SigningKey,
    target: &RotationTarget,
) -> Result<ExecuteMsg, RotationError> {
    if target.token_id.is_empty() || target.registry.is_empty() {
        return Err(RotationError::NoTarget);
    }
    let new_key = pubkey_bytes(next);
    if new_key == pubkey_bytes(current) {
        return Err(RotationError::SameKey);
    }
    let message = KeyRotation {
        chain_id: &target.chain_id,
        registry: &target.registry,
        token_id: &target.token_id,
        new_key: &new_key,
        rotation: target.rotation,
    }
    .message();
    Ok(ExecuteMsg::RotateDeviceKey {
        token_id: target.token_id.clone(),
        new_key: HexBinary::from(new_key),
        current_key_signature: HexBinary::from(k256_sign(current, &message)),
        new_key_signature: HexBinary::from(k256_sign(next, &message)),
    })
}

/// [`rotate_device_key`] from the keys in `dir`: the one in use and the next one (created
/// there when absent).
pub fn rotation_from_dir(
    dir: &std::path::Path,
    target: &RotationTarget,
) -> Result<ExecuteMsg, RotationError> {
    let current = crate::storage::signing_key(dir)?;
    let next = crate::storage::next_signing_key(dir)?;
    rotate_device_key(&current, &next, target)
}

/// The key `serve` signs answers with, given the one the registry checks them with
/// (`registry_key`, from its Device query; `None`: not known, or never rotated): of the keys in
/// `dir` (`signing.key` or the device key, then `signing-next.key`, then the device key), the
/// one the registry names. So a rotation the registry accepted is followed at the next start even if
/// `rotate-key-commit` was not run, and one it did not accept is not. An error when the
/// registry names a key none of them is: every answer would fail its check.
pub fn serving_key(
    dir: &std::path::Path,
    registry_key: Option<&[u8]>,
) -> Result<SigningKey, RotationError> {
    let current = crate::storage::signing_key(dir)?;
    let Some(wanted) = registry_key else {
        return Ok(current);
    };
    if pubkey_bytes(&current) == wanted {
        return Ok(current);
    }
    if dir.join("signing-next.key").exists() {
        let next = crate::storage::next_signing_key(dir)?;
        if pubkey_bytes(&next) == wanted {
            crate::storage::commit_signing_key(dir)?;
            return Ok(next);
        }
    }
    // A registry with no rotation on record (a new deployment) checks with the device key.
    let device = crate::storage::device_key(dir)?;
    if pubkey_bytes(&device) == wanted {
        return Ok(device);
    }
    Err(RotationError::UnknownKey {
        key: hex::encode(wanted),
        dir: dir.to_path_buf(),
    })
}

/// Follows a rotation the registry accepted while `state` serves: when the key the registry
/// names (`registry_key`, `None`: never rotated or not known) is not the one `state` signs
/// with, switches to it ([`serving_key`]: committing `signing-next.key` if that is the one) and
/// says so (`Ok(true)`). An error when it is none of the keys in `dir`: `state` keeps its key.
pub fn follow_registry_key(
    state: &crate::state::ProverState,
    dir: &std::path::Path,
    registry_key: Option<&[u8]>,
) -> Result<bool, RotationError> {
    let Some(wanted) = registry_key else {
        return Ok(false);
    };
    if state.signing_pubkey() == wanted {
        return Ok(false);
    }
    state.set_signer(serving_key(dir, Some(wanted))?);
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use loopin_pocps::sig::{K256Verifier, SigVerifier};

    fn target(rotation: u32) -> RotationTarget {
        RotationTarget {
            chain_id: "loopin-1".into(),
            registry: "wasm1registry".into(),
            token_id: "h100-7".into(),
            rotation,
        }
    }

    #[test]
    fn both_keys_sign_this_rotation_and_no_other() {
        let (current, next) = (
            SigningKey::from_slice(&[0x42; 32]).unwrap(),
            SigningKey::from_slice(&[0x43; 32]).unwrap(),
        );
        let ExecuteMsg::RotateDeviceKey {
            token_id,
            new_key,
            current_key_signature,
            new_key_signature,
        } = rotate_device_key(&current, &next, &target(2)).unwrap()
        else {
            panic!("not a rotation");
        };
        assert_eq!(token_id, "h100-7");
        assert_eq!(new_key.as_slice(), pubkey_bytes(&next).as_slice());
        let message = |rotation| {
            KeyRotation {
                chain_id: "loopin-1",
                registry: "wasm1registry",
                token_id: "h100-7",
                new_key: new_key.as_slice(),
                rotation,
            }
            .message()
        };
        let old = pubkey_bytes(&current);
        assert!(K256Verifier.verify(&message(2), &current_key_signature, &old));
        assert!(K256Verifier.verify(&message(2), &new_key_signature, &new_key));
        // Signed for rotation 2, it is no rotation 3's.
        assert!(!K256Verifier.verify(&message(3), &current_key_signature, &old));
    }

    #[test]
    fn a_committed_rotation_signs_answers_with_the_next_key_and_keeps_the_identity() {
        let dir = tempfile::tempdir().unwrap();
        let device = crate::storage::device_key(dir.path()).unwrap();
        let msg = rotation_from_dir(dir.path(), &target(0)).unwrap();
        let ExecuteMsg::RotateDeviceKey { new_key, .. } = msg else {
            panic!("not a rotation");
        };
        // Until committed, answers are signed with the device key; a second message names the
        // same next key.
        let signer = crate::storage::signing_key(dir.path()).unwrap();
        assert_eq!(pubkey_bytes(&signer), pubkey_bytes(&device));
        let again = rotation_from_dir(dir.path(), &target(0)).unwrap();
        assert!(matches!(again, ExecuteMsg::RotateDeviceKey { new_key: k, .. } if k == new_key));
        crate::storage::commit_signing_key(dir.path()).unwrap();
        let signer = crate::storage::signing_key(dir.path()).unwrap();
        assert_eq!(pubkey_bytes(&signer).as_slice(), new_key.as_slice());
        assert_eq!(
            pubkey_bytes(&crate::storage::device_key(dir.path()).unwrap()),
            pubkey_bytes(&device),
            "the device key, its identity, is unchanged"
        );
        // Nothing left to commit.
        assert!(crate::storage::commit_signing_key(dir.path()).is_err());
    }

    #[test]
    fn serve_signs_with_the_key_the_registry_names() {
        let dir = tempfile::tempdir().unwrap();
        let device = crate::storage::device_key(dir.path()).unwrap();
        // Never rotated: the device key.
        let key = serving_key(dir.path(), None).unwrap();
        assert_eq!(pubkey_bytes(&key), pubkey_bytes(&device));
        let same = pubkey_bytes(&device);
        assert_eq!(
            pubkey_bytes(&serving_key(dir.path(), Some(&same)).unwrap()),
            same
        );
        // A rotation the registry accepted but not committed here: followed, and committed.
        let ExecuteMsg::RotateDeviceKey { new_key, .. } =
            rotation_from_dir(dir.path(), &target(0)).unwrap()
        else {
            panic!("not a rotation");
        };
        let key = serving_key(dir.path(), Some(new_key.as_slice())).unwrap();
        assert_eq!(pubkey_bytes(&key).as_slice(), new_key.as_slice());
        assert!(!dir.path().join("signing-next.key").exists());
        // A key the registry names that is not here: refused.
        let stranger = pubkey_bytes(&SigningKey::from_slice(&[0x44; 32]).unwrap());
        assert!(serving_key(dir.path(), Some(&stranger)).is_err());
    }

    #[test]
    fn a_serving_prover_follows_the_rotation_the_registry_accepted_and_no_other() {
        use crate::backend::CpuBackend;
        use loopin_pocps::encode::{Params, derive_ek};
        let dir = tempfile::tempdir().unwrap();
        let ek = derive_ek(b"rotation", "miner", "pool", b"r");
        crate::storage::init(
            dir.path(),
            ek,
            &Params::TEST,
            &CpuBackend,
            1,
            &mut |_, _| true,
        )
        .unwrap();
        let device = crate::storage::device_key(dir.path()).unwrap();
        let state = crate::state::ProverState::from_loaded(
            crate::storage::load(dir.path()).unwrap(),
            device.clone(),
        );
        let old = pubkey_bytes(&device);
        // Not rotated, or the registry names the key in use: nothing changes.
        assert_eq!(
            follow_registry_key(&state, dir.path(), None).ok(),
            Some(false)
        );
        assert_eq!(
            follow_registry_key(&state, dir.path(), Some(&old)).ok(),
            Some(false)
        );
        // A key the registry names that is not here: refused, the state keeps its key.
        let stranger = pubkey_bytes(&SigningKey::from_slice(&[0x44; 32]).unwrap());
        assert!(follow_registry_key(&state, dir.path(), Some(&stranger)).is_err());
        assert_eq!(state.signing_pubkey(), old);
        // The rotation lands: the next answer is signed with the new key, and it is committed.
        let ExecuteMsg::RotateDeviceKey { new_key, .. } =
            rotation_from_dir(dir.path(), &target(0)).unwrap()
        else {
            panic!("not a rotation");
        };
        assert_eq!(
            follow_registry_key(&state, dir.path(), Some(new_key.as_slice())).ok(),
            Some(true)
        );
        assert_eq!(state.signing_pubkey().as_slice(), new_key.as_slice());
        let msg = [7u8; 32];
        assert!(K256Verifier.verify(&msg, &state.sign(&msg), new_key.as_slice()));
        assert!(!K256Verifier.verify(&msg, &state.sign(&msg), &old));
        assert!(!dir.path().join("signing-next.key").exists());
        assert_eq!(
            state.commitment.pubkey, old,
            "the identity stays the device key"
        );
        // Followed once: the next poll changes nothing.
        assert_eq!(
            follow_registry_key(&state, dir.path(), Some(new_key.as_slice())).ok(),
            Some(false)
        );
        // A registry with no rotation on record (redeployed) checks with the device key: followed.
        assert_eq!(
            follow_registry_key(&state, dir.path(), Some(&old)).ok(),
            Some(true)
        );
        assert_eq!(state.signing_pubkey(), old);
        assert!(K256Verifier.verify(&msg, &state.sign(&msg), &old));
    }

    #[test]
    fn a_rotation_to_the_same_key_or_without_a_certificate_is_refused() {
        let key = SigningKey::from_slice(&[0x42; 32]).unwrap();
        let other = SigningKey::from_slice(&[0x43; 32]).unwrap();
        assert!(rotate_device_key(&key, &key, &target(0)).is_err());
        let mut no_cert = target(0);
        no_cert.token_id.clear();
        assert!(rotate_device_key(&key, &other, &no_cert).is_err());
    }
}
