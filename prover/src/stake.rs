//! The device's consent to a stake: the Stake hook signed by the device key (`loopin::device`).
//!
//! The pair accepts a device only under the id of its key and only with that key's signature
//! over the stake's chain, pair, staker, commitment and terms, so the miner's stake is signed
//! here, where the device key lives (`storage::device_key`).

use cosmwasm_std::{Decimal, HexBinary, Timestamp, Uint128};
use k256::ecdsa::SigningKey;
use loopin::device::{StakeClaim, device_id};
use loopin::pair::ReceiveMsg;
use loopin::stake_cert::StakeMode;
use loopin_pocps::sig::k256_sign;

use crate::auth::pubkey_bytes;

/// Why a device's registration cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    /// No certificate to register the device under.
    #[error("no certificate: pass --token-id or set [chain] token_id")]
    NoCertificate,
    /// The ek randomness is not hex.
    #[error("identity.randomness (hex): {0}")]
    Randomness(cosmwasm_std::StdError),
}

/// A stake of this device, as the miner asks for it.
#[derive(Clone, Debug)]
pub struct StakeOffer {
    /// The chain's id (`env.block.chain_id` of the pair).
    pub chain_id: String,
    /// The pair (pool) address.
    pub pair: String,
    /// The account that sends the LOOP (the certificate's owner).
    pub staker: String,
    /// The PoCPS commitment's digest.
    pub commitment: HexBinary,
    pub mode: StakeMode,
    pub rate: Decimal,
    pub epochs: u64,
    pub max_liquidity: Option<Uint128>,
    /// A provider's bounds from its quote, outside the device's claim
    /// (`loopin::pair::ReceiveMsg::Stake`): the fewest shares, the most LOOP per device-hour,
    /// and the time after which the pair refuses the stake.
    pub min_shares: Option<Uint128>,
    pub max_price: Option<Decimal>,
    pub deadline: Option<Timestamp>,
}

/// The device's fingerprint: the hash of its compressed key (the registry's fingerprint and
/// the first input of ek).
pub fn fingerprint(key: &SigningKey) -> [u8; 32] {
    loopin::device::device_fingerprint(&pubkey_bytes(key))
}

/// The Stake hook for `offer`, naming the device by its key and signed by it.
pub fn signed_stake(key: &SigningKey, offer: &StakeOffer) -> ReceiveMsg {
    let pubkey = pubkey_bytes(key);
    let device_id = device_id(&pubkey);
    let claim = StakeClaim {
        chain_id: &offer.chain_id,
        pair: &offer.pair,
        device_id: &device_id,
        staker: &offer.staker,
        commitment: offer.commitment.as_slice(),
        mode: offer.mode,
        rate: offer.rate,
        epochs: offer.epochs,
    };
    let signature = k256_sign(key, &claim.message());
    ReceiveMsg::Stake {
        device_id,
        mode: offer.mode,
        rate: offer.rate,
        epochs: offer.epochs,
        commitment: offer.commitment.clone(),
        max_liquidity: offer.max_liquidity,
        device_key: HexBinary::from(pubkey),
        device_signature: HexBinary::from(signature),
        min_shares: offer.min_shares,
        max_price: offer.max_price,
        deadline: offer.deadline,
    }
}

/// The registry's `RegisterDevice` for certificate `token_id`: the device's fingerprint (its
/// key's), its commitment, the endpoint verifiers reach it at and the ek randomness it was
/// encoded with (hex). What the miner sends after its stake (docs/miner.md, step 4).
pub fn register_device(
    key: &SigningKey,
    commitment: &loopin_pocps::proof::Commitment,
    token_id: &str,
    endpoint: &str,
    randomness: &str,
) -> Result<loopin::registry::ExecuteMsg, RegisterError> {
    if token_id.is_empty() {
        return Err(RegisterError::NoCertificate);
    }
    let ek_randomness = HexBinary::from_hex(randomness).map_err(RegisterError::Randomness)?;
    Ok(loopin::registry::ExecuteMsg::RegisterDevice {
        token_id: token_id.to_string(),
        fingerprint: HexBinary::from(fingerprint(key)),
        commitment: commitment.into(),
        endpoint: endpoint.to_string(),
        ek_randomness,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use loopin_pocps::sig::{K256Verifier, SigVerifier};

    #[test]
    fn the_registration_names_the_device_by_its_key_with_its_commitment() {
        let key = SigningKey::from_slice(&[0x42; 32]).unwrap();
        let commitment = loopin_pocps::proof::Commitment {
            params: loopin_pocps::encode::Params::TEST,
            root: [3u8; 32],
            ek: 77,
            pubkey: pubkey_bytes(&key),
        };
        let msg =
            register_device(&key, &commitment, "h100-7", "http://10.0.0.1:7470", "0a0b").unwrap();
        let loopin::registry::ExecuteMsg::RegisterDevice {
            token_id,
            fingerprint: fp,
            commitment: sent,
            endpoint,
            ek_randomness,
        } = msg
        else {
            panic!("a registration")
        };
        assert_eq!(token_id, "h100-7");
        assert_eq!(fp.as_slice(), fingerprint(&key));
        assert_eq!(sent, loopin::registry::CommitmentMsg::from(&commitment));
        assert_eq!(endpoint, "http://10.0.0.1:7470");
        assert_eq!(ek_randomness.as_slice(), [0x0a, 0x0b]);
        // No certificate, or randomness that is not hex: a clear error, nothing printed.
        assert!(register_device(&key, &commitment, "", "e", "00").is_err());
        assert!(register_device(&key, &commitment, "h100-7", "e", "zz").is_err());
    }

    #[test]
    fn the_hook_names_the_device_by_its_key_and_carries_its_signature() {
        let key = SigningKey::from_slice(&[0x42; 32]).unwrap();
        let offer = StakeOffer {
            chain_id: "loopin-devnet-1".into(),
            pair: "pair".into(),
            staker: "miner".into(),
            commitment: HexBinary::from([9u8; 32]),
            mode: StakeMode::Seller,
            rate: Decimal::one(),
            epochs: 10,
            max_liquidity: None,
            min_shares: None,
            max_price: None,
            deadline: None,
        };
        let ReceiveMsg::Stake {
            device_id,
            device_key,
            device_signature,
            ..
        } = signed_stake(&key, &offer)
        else {
            panic!("a stake hook")
        };
        assert_eq!(device_id, hex::encode(fingerprint(&key)));
        let claim = StakeClaim {
            chain_id: "loopin-devnet-1",
            pair: "pair",
            device_id: &device_id,
            staker: "miner",
            commitment: &[9u8; 32],
            mode: StakeMode::Seller,
            rate: Decimal::one(),
            epochs: 10,
        };
        assert!(K256Verifier.verify(&claim.message(), &device_signature, &device_key));
    }
}
