//! Addresses: bech32 with the chain's prefix over raw bytes, and wasmd's contract addresses.

use ripemd::Ripemd160;
use sha2::{Digest, Sha256};

use crate::exec::ExecError;

/// Why an address could not be encoded or decoded (the texts are the SDK's).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    /// The prefix is not a valid bech32 human-readable part.
    #[error("{0}")]
    Prefix(bech32::primitives::hrp::Error),
    /// The bytes cannot be encoded (too long for bech32).
    #[error("{0}")]
    Encode(String),
    /// Not bech32 at all.
    #[error("{address}: {reason}")]
    Decode { address: String, reason: String },
    #[error("{address}: invalid Bech32 prefix; expected {expected}, got {got}")]
    WrongPrefix {
        address: String,
        expected: String,
        got: String,
    },
    #[error("{0}: invalid address length")]
    Length(String),
    #[error("{0}: address must be lower case")]
    Case(String),
}

/// `bytes` as a bech32 address with `prefix`.
pub fn bech32_encode(prefix: &str, bytes: &[u8]) -> Result<String, AddressError> {
    let hrp = bech32::Hrp::parse(prefix).map_err(AddressError::Prefix)?;
    bech32::encode::<bech32::Bech32>(hrp, bytes).map_err(|e| AddressError::Encode(e.to_string()))
}

/// The bytes of `address`, which must be lower-case bech32 with `prefix` and 1 to 255 bytes.
pub fn bech32_decode(prefix: &str, address: &str) -> Result<Vec<u8>, AddressError> {
    let (hrp, data) = bech32::decode(address).map_err(|e| AddressError::Decode {
        address: address.to_string(),
        reason: e.to_string(),
    })?;
    if hrp.as_str() != prefix {
        return Err(AddressError::WrongPrefix {
            address: address.to_string(),
            expected: prefix.to_string(),
            got: hrp.as_str().to_string(),
        });
    }
    if data.is_empty() || data.len() > 255 {
        return Err(AddressError::Length(address.to_string()));
    }
    if address.to_lowercase() != address {
        return Err(AddressError::Case(address.to_string()));
    }
    Ok(data)
}

/// wasmd's classic contract address: ADR-028 module address of (code id, instance id).
pub fn contract_address(code_id: u64, instance_id: u64) -> Vec<u8> {
    let mut key = b"wasm\0".to_vec();
    key.extend_from_slice(&code_id.to_be_bytes());
    key.extend_from_slice(&instance_id.to_be_bytes());
    let typ = Sha256::digest(b"module");
    let mut hasher = Sha256::new();
    hasher.update(typ);
    hasher.update(&key);
    hasher.finalize().to_vec()
}

/// The raw bytes of `addr`, which must be bech32 with `prefix`: an SDK error (code 7,
/// invalid address) otherwise.
pub fn canonical(prefix: &str, addr: &str) -> Result<Vec<u8>, ExecError> {
    bech32_decode(prefix, addr).map_err(|e| ExecError::sdk(7, format!("{e}: invalid address")))
}

/// The account address of a compressed secp256k1 public key.
pub fn pubkey_address(pubkey: &[u8]) -> Vec<u8> {
    Ripemd160::digest(Sha256::digest(pubkey)).to_vec()
}
