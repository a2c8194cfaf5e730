//! Addresses: bech32 with the chain's prefix over raw bytes, and wasmd's contract addresses.

use ripemd::Ripemd160;
use sha2::{Digest, Sha256};

use crate::exec::ExecError;

pub fn bech32_encode(prefix: &str, bytes: &[u8]) -> Result<String, String> {
    let hrp = bech32::Hrp::parse(prefix).map_err(|e| e.to_string())?;
    bech32::encode::<bech32::Bech32>(hrp, bytes).map_err(|e| e.to_string())
}

pub fn bech32_decode(prefix: &str, address: &str) -> Result<Vec<u8>, String> {
    let (hrp, data) = bech32::decode(address).map_err(|e| format!("{address}: {e}"))?;
    if hrp.as_str() != prefix {
        return Err(format!(
            "{address}: invalid Bech32 prefix; expected {prefix}, got {}",
            hrp.as_str()
        ));
    }
    if data.is_empty() || data.len() > 255 {
        return Err(format!("{address}: invalid address length"));
    }
    if address.to_lowercase() != address {
        return Err(format!("{address}: address must be lower case"));
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
