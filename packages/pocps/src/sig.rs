//! Signature checking behind a trait: the contract uses the host's secp256k1_verify, services use k256.

/// Verifies a secp256k1 ECDSA signature (64-byte compact r||s) over a 32-byte message hash.
pub trait SigVerifier {
    /// True when `sig` is a valid signature of `msg_hash` by `pubkey` (SEC1 bytes).
    fn verify(&self, msg_hash: &[u8; 32], sig: &[u8], pubkey: &[u8]) -> bool;
}

/// k256 implementation.
#[cfg(feature = "k256")]
pub struct K256Verifier;

#[cfg(feature = "k256")]
impl SigVerifier for K256Verifier {
    fn verify(&self, msg_hash: &[u8; 32], sig: &[u8], pubkey: &[u8]) -> bool {
        use k256::ecdsa::{Signature, VerifyingKey, signature::hazmat::PrehashVerifier};
        let (Ok(vk), Ok(s)) = (
            VerifyingKey::from_sec1_bytes(pubkey),
            Signature::from_slice(sig),
        ) else {
            return false;
        };
        vk.verify_prehash(msg_hash, &s).is_ok()
    }
}

/// Sign a message hash with k256 (prover side).
#[cfg(feature = "k256")]
pub fn k256_sign(key: &k256::ecdsa::SigningKey, msg_hash: &[u8; 32]) -> Vec<u8> {
    use k256::ecdsa::{Signature, signature::hazmat::PrehashSigner};
    let s: Signature = key
        .sign_prehash(msg_hash)
        .expect("32-byte prehash is accepted");
    s.to_bytes().to_vec()
}

/// A k256 key's public key as SEC1 compressed bytes (33), the form commitments carry.
#[cfg(feature = "k256")]
pub fn k256_pubkey(key: &k256::ecdsa::SigningKey) -> Vec<u8> {
    key.verifying_key()
        .to_encoded_point(true)
        .as_bytes()
        .to_vec()
}

/// The message a verifier signs with its challenge key to register it with the registry
/// `registry` for its account `verifier`: proof of possession, so nobody can claim another's key.
pub fn challenge_key_message(registry: &str, verifier: &str, pubkey: &[u8]) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(b"loopin-registry/challenge-key/v1");
    for part in [registry.as_bytes(), verifier.as_bytes(), pubkey] {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part);
    }
    h.finalize().into()
}

/// A device's fingerprint: the hash of its signing key (SEC1 bytes as given; the pair accepts
/// compressed keys only, so one key has one fingerprint). The stake certificate's device id is
/// its hex, and `derive_ek` takes it as the identity: only the key's holder can sign a stake of
/// the device (the pair's device claim) or answer challenges as it.
pub fn device_fingerprint(pubkey: &[u8]) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(b"loopin-pocps/device-fingerprint/v1");
    h.update((pubkey.len() as u64).to_le_bytes());
    h.update(pubkey);
    h.finalize().into()
}
