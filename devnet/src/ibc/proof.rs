//! Proofs: the devnet's IBC signer key signs what is in its committed state (an ICS-06 solo
//! machine's scheme), and a client verifies such signatures with the counterparty's key.
//!
//! A proof is the proto encoding of `solomachine.v3.TimestampedSignatureData { signature_data,
//! timestamp }`: `signature_data` is a 64-byte compact (r || s, low s) ECDSA secp256k1
//! signature, SHA-256, over the proto encoding of `solomachine.v3.SignBytes { sequence: proof
//! height, timestamp: that block's time in ns, diversifier: the signing chain's id, path: the
//! ICS-24 path, data: the value (empty to prove absence) }`.

use cosmos_sdk_proto::Any;
use cosmos_sdk_proto::cosmos::crypto::secp256k1::PubKey;
use ibc_proto::ibc::core::client::v1::Height;
use ibc_proto::ibc::lightclients::solomachine::v3::{SignBytes, TimestampedSignatureData};
use k256::ecdsa::signature::{Signer, Verifier};
use k256::ecdsa::{Signature, SigningKey, VerifyingKey};
use prost::Message;
use sha2::{Digest, Sha256};

/// Type URL of a secp256k1 public key.
pub const PUBKEY_TYPE_URL: &str = "/cosmos.crypto.secp256k1.PubKey";

/// Why a signer key, a public key or a proof was refused (the reason an [`IbcError`] carries).
///
/// [`IbcError`]: super::error::IbcError
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProofError {
    #[error("ibc_signer_hex: {0}")]
    SignerHex(hex::FromHexError),
    #[error("ibc_signer_hex: {0} bytes, expected 32")]
    SignerLength(usize),
    #[error("ibc_signer_hex: not a secp256k1 key: {0}")]
    SignerKey(String),
    #[error("public key type {0} is not {PUBKEY_TYPE_URL}")]
    PublicKeyType(String),
    #[error("public key: {0}")]
    PublicKey(prost::DecodeError),
    #[error("public key: not a secp256k1 point")]
    NotAPoint,
    #[error("undecodable proof: {0}")]
    Undecodable(prost::DecodeError),
    #[error("the signature is not 64 bytes of r || s")]
    SignatureLength,
    #[error("the signature's s is not low")]
    HighS,
    #[error("signature verification failed")]
    Verification,
}

/// The signer key of the config (`ibc_signer_hex`, 32-byte secret in hex) or, without one, the
/// development key `sha256("loopin-devnet ibc signer" || chain_id)`.
pub fn signer_key(secret_hex: Option<&str>, chain_id: &str) -> Result<SigningKey, ProofError> {
    let secret: Vec<u8> = match secret_hex {
        Some(hex_text) => hex::decode(hex_text.trim())
            .map_err(ProofError::SignerHex)
            .and_then(|b| {
                if b.len() == 32 {
                    Ok(b)
                } else {
                    Err(ProofError::SignerLength(b.len()))
                }
            })?,
        None => {
            let mut hasher = Sha256::new();
            hasher.update(b"loopin-devnet ibc signer");
            hasher.update(chain_id.as_bytes());
            hasher.finalize().to_vec()
        }
    };
    SigningKey::from_slice(&secret).map_err(|e| ProofError::SignerKey(e.to_string()))
}

/// A compressed public key as the `Any` a client and the validator set carry.
pub fn public_key_any(key: &VerifyingKey) -> Any {
    Any {
        type_url: PUBKEY_TYPE_URL.into(),
        value: PubKey {
            key: key.to_encoded_point(true).as_bytes().to_vec(),
        }
        .encode_to_vec(),
    }
}

/// The public key in an `Any`, if it is a valid compressed or uncompressed secp256k1 key.
pub fn public_key_from_any(any: &Any) -> Result<VerifyingKey, ProofError> {
    if any.type_url != PUBKEY_TYPE_URL {
        return Err(ProofError::PublicKeyType(any.type_url.clone()));
    }
    let key = PubKey::decode(&*any.value).map_err(ProofError::PublicKey)?;
    VerifyingKey::from_sec1_bytes(&key.key).map_err(|_| ProofError::NotAPoint)
}

fn sign_bytes(height: u64, timestamp: u64, diversifier: &str, path: &str, data: &[u8]) -> Vec<u8> {
    SignBytes {
        sequence: height,
        timestamp,
        diversifier: diversifier.to_string(),
        path: path.as_bytes().to_vec(),
        data: data.to_vec(),
    }
    .encode_to_vec()
}

/// Signs `data` at `path` as of block `height` with time `timestamp` (ns) of chain
/// `diversifier`. Empty `data` proves that nothing is stored at `path`.
pub fn sign(
    key: &SigningKey,
    diversifier: &str,
    height: u64,
    timestamp: u64,
    path: &str,
    data: &[u8],
) -> Vec<u8> {
    let signature: Signature = key.sign(&sign_bytes(height, timestamp, diversifier, path, data));
    let signature = signature.normalize_s().unwrap_or(signature);
    TimestampedSignatureData {
        signature_data: signature.to_bytes().to_vec(),
        timestamp,
    }
    .encode_to_vec()
}

/// A chain's proofs as of its latest committed block.
pub struct Prover<'a> {
    pub key: &'a SigningKey,
    pub chain_id: &'a str,
    pub height: u64,
    pub time_nanos: u64,
}

impl Prover<'_> {
    pub fn prove(&self, path: &str, data: &[u8]) -> Vec<u8> {
        sign(
            self.key,
            self.chain_id,
            self.height,
            self.time_nanos,
            path,
            data,
        )
    }

    pub fn height(&self) -> Height {
        Height {
            revision_number: 0,
            revision_height: self.height,
        }
    }
}

/// The timestamp a proof claims (what a timeout is judged by), unverified.
pub fn timestamp(proof: &[u8]) -> Result<u64, ProofError> {
    TimestampedSignatureData::decode(proof)
        .map(|p| p.timestamp)
        .map_err(ProofError::Undecodable)
}

/// Checks that `proof` is `key`'s signature of `data` at `path`, block `height` of chain
/// `diversifier`. Returns the proof's timestamp.
pub fn verify(
    key: &VerifyingKey,
    diversifier: &str,
    height: u64,
    proof: &[u8],
    path: &str,
    data: &[u8],
) -> Result<u64, ProofError> {
    let proof = TimestampedSignatureData::decode(proof).map_err(ProofError::Undecodable)?;
    let signature =
        Signature::from_slice(&proof.signature_data).map_err(|_| ProofError::SignatureLength)?;
    if signature.normalize_s().is_some() {
        return Err(ProofError::HighS);
    }
    key.verify(
        &sign_bytes(height, proof.timestamp, diversifier, path, data),
        &signature,
    )
    .map_err(|_| ProofError::Verification)?;
    Ok(proof.timestamp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_proof_verifies_only_for_what_was_signed() {
        let key = signer_key(None, "chain-a").unwrap();
        let public = *key.verifying_key();
        let proof = sign(&key, "chain-a", 5, 77, "connections/connection-0", b"end");
        assert_eq!(
            verify(
                &public,
                "chain-a",
                5,
                &proof,
                "connections/connection-0",
                b"end"
            ),
            Ok(77)
        );
        let fails = |d: &str, h: u64, p: &str, data: &[u8]| {
            verify(&public, d, h, &proof, p, data).unwrap_err()
        };
        assert_eq!(
            fails("chain-b", 5, "connections/connection-0", b"end").to_string(),
            "signature verification failed"
        );
        fails("chain-a", 6, "connections/connection-0", b"end");
        fails("chain-a", 5, "connections/connection-1", b"end");
        fails("chain-a", 5, "connections/connection-0", b"");
        let other = signer_key(None, "chain-b").unwrap();
        assert!(
            verify(
                other.verifying_key(),
                "chain-a",
                5,
                &proof,
                "connections/connection-0",
                b"end"
            )
            .is_err()
        );
        assert!(verify(&public, "chain-a", 5, b"\xff\xff", "p", b"").is_err());
    }

    #[test]
    fn configured_and_derived_keys() {
        let derived = signer_key(None, "x").unwrap();
        let hex_secret = hex::encode(derived.to_bytes());
        assert_eq!(
            signer_key(Some(&hex_secret), "other").unwrap().to_bytes(),
            derived.to_bytes()
        );
        assert!(
            signer_key(Some("abcd"), "x")
                .unwrap_err()
                .to_string()
                .contains("2 bytes")
        );
        assert!(signer_key(Some("zz"), "x").is_err());
        assert!(signer_key(Some(&"00".repeat(32)), "x").is_err());
        let any = public_key_any(derived.verifying_key());
        assert_eq!(&public_key_from_any(&any).unwrap(), derived.verifying_key());
    }
}
