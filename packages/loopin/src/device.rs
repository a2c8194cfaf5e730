//! A device's identity and its claim on a stake.
//!
//! A device is its secp256k1 signing key (the key its PoCPS commitment names and its prover signs
//! answers with). Its id — the stake certificate's `device_id` and the registry's fingerprint in
//! hex — is [`device_id`], the hash of that key, so nobody can name a device without holding its
//! key. A Stake carries the key and its signature over a [`StakeClaim`]: the device's consent to
//! this stake, by this staker, in this pool, on this chain, with these terms.

use cosmwasm_std::{Decimal, HexBinary};
use sha2::{Digest, Sha256};

pub use loopin_pocps::sig::device_fingerprint;

use crate::stake_cert::StakeMode;

/// A device key: SEC1 compressed secp256k1 public key.
pub const DEVICE_KEY_LEN: usize = 33;
/// A device signature: compact r‖s.
pub const DEVICE_SIGNATURE_LEN: usize = 64;

/// The device id of the key `pubkey`: hex of [`device_fingerprint`] (64 characters).
pub fn device_id(pubkey: &[u8]) -> String {
    HexBinary::from(device_fingerprint(pubkey)).to_hex()
}

/// What a device signs to let `staker` stake it in the pair `pair` of chain `chain_id`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StakeClaim<'a> {
    pub chain_id: &'a str,
    pub pair: &'a str,
    pub device_id: &'a str,
    pub staker: &'a str,
    pub commitment: &'a [u8],
    pub mode: StakeMode,
    pub rate: Decimal,
    pub epochs: u64,
}

impl StakeClaim<'_> {
    /// The 32-byte hash the device signs (domain-separated, every field length-prefixed).
    pub fn message(&self) -> [u8; 32] {
        let mode: &[u8] = match self.mode {
            StakeMode::LiquidityProvider => b"liquidity_provider",
            StakeMode::Seller => b"seller",
        };
        let rate = self.rate.atomics().u128().to_le_bytes();
        let epochs = self.epochs.to_le_bytes();
        let mut h = Sha256::new();
        h.update(b"loopin-pair/stake-claim/v1");
        for part in [
            self.chain_id.as_bytes(),
            self.pair.as_bytes(),
            self.device_id.as_bytes(),
            self.staker.as_bytes(),
            self.commitment,
            mode,
            &rate,
            &epochs,
        ] {
            h.update((part.len() as u64).to_le_bytes());
            h.update(part);
        }
        h.finalize().into()
    }
}

/// What a device's current signing key and its new one both sign to rotate the key the
/// registry checks its answers with (`registry::ExecuteMsg::RotateDeviceKey`): the current one
/// proves the rotation is the device's, the new one that its holder has it. `rotation` is the
/// number of rotations before this one, so a rotation signed once cannot be replayed later
/// (back to a key since replaced, say).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KeyRotation<'a> {
    pub chain_id: &'a str,
    pub registry: &'a str,
    pub token_id: &'a str,
    /// The new key: SEC1 compressed (33 bytes).
    pub new_key: &'a [u8],
    pub rotation: u32,
}

impl KeyRotation<'_> {
    /// The 32-byte hash both keys sign (domain-separated, every field length-prefixed).
    pub fn message(&self) -> [u8; 32] {
        let rotation = self.rotation.to_le_bytes();
        let mut h = Sha256::new();
        h.update(b"loopin-registry/key-rotation/v1");
        for part in [
            self.chain_id.as_bytes(),
            self.registry.as_bytes(),
            self.token_id.as_bytes(),
            self.new_key,
            &rotation,
        ] {
            h.update((part.len() as u64).to_le_bytes());
            h.update(part);
        }
        h.finalize().into()
    }
}

/// A device's registration for a stake, for tests and devnets: its P encoded here at `params`
/// (small parameters only; a real device's P comes from `loopin-prover init`), the commitment
/// whose digest the stake carries, and the registry's `RegisterDevice` for the certificate the
/// stake minted.
pub struct Registration {
    pub commitment: loopin_pocps::proof::Commitment,
    pub randomness: Vec<u8>,
}

impl Registration {
    /// Encodes P for the device with compressed key `pubkey`, staked by `staker` in `pair`.
    pub fn encode(
        pubkey: &[u8],
        staker: &str,
        pair: &str,
        randomness: &[u8],
        params: loopin_pocps::encode::Params,
    ) -> Registration {
        use loopin_pocps::encode::{derive_ek, encode_lane};
        let ek = derive_ek(&device_fingerprint(pubkey), staker, pair, randomness);
        let blocks = (0..params.lanes)
            .flat_map(|lane| encode_lane(ek, lane, &params))
            .collect();
        let prover = loopin_pocps::proof::Prover::new(blocks, params);
        Registration {
            commitment: loopin_pocps::proof::Commitment {
                params,
                root: prover.tree.root(),
                ek,
                pubkey: pubkey.to_vec(),
            },
            randomness: randomness.to_vec(),
        }
    }

    /// What the stake commits to (the Stake hook's `commitment`).
    pub fn digest(&self) -> HexBinary {
        HexBinary::from(self.commitment.digest())
    }

    /// The registry's `RegisterDevice` for certificate `token_id`, served at `endpoint`.
    pub fn message(&self, token_id: &str, endpoint: &str) -> crate::registry::ExecuteMsg {
        crate::registry::ExecuteMsg::RegisterDevice {
            token_id: token_id.into(),
            fingerprint: HexBinary::from(device_fingerprint(&self.commitment.pubkey)),
            commitment: crate::registry::CommitmentMsg::from(&self.commitment),
            endpoint: endpoint.into(),
            ek_randomness: HexBinary::from(self.randomness.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim() -> StakeClaim<'static> {
        StakeClaim {
            chain_id: "loopin-1",
            pair: "pair",
            device_id: "ab",
            staker: "alice",
            commitment: &[9; 32],
            mode: StakeMode::Seller,
            rate: Decimal::one(),
            epochs: 10,
        }
    }

    #[test]
    fn every_field_changes_the_message() {
        let base = claim().message();
        let changed = [
            StakeClaim {
                chain_id: "loopin-2",
                ..claim()
            },
            StakeClaim {
                pair: "pair2",
                ..claim()
            },
            StakeClaim {
                device_id: "ac",
                ..claim()
            },
            StakeClaim {
                staker: "bob",
                ..claim()
            },
            StakeClaim {
                commitment: &[8; 32],
                ..claim()
            },
            StakeClaim {
                mode: StakeMode::LiquidityProvider,
                ..claim()
            },
            StakeClaim {
                rate: Decimal::percent(50),
                ..claim()
            },
            StakeClaim {
                epochs: 11,
                ..claim()
            },
            // Length prefixes: moving a byte from one field to the next is another message.
            StakeClaim {
                pair: "pai",
                device_id: "rab",
                ..claim()
            },
        ];
        for other in changed {
            assert_ne!(other.message(), base, "{other:?}");
        }
    }

    #[test]
    fn a_device_id_is_the_hex_of_its_keys_fingerprint() {
        let id = device_id(&[2; DEVICE_KEY_LEN]);
        assert_eq!(id.len(), 64);
        assert_eq!(id, HexBinary::from(device_fingerprint(&[2; 33])).to_hex());
        assert_ne!(id, device_id(&[3; DEVICE_KEY_LEN]));
    }
}
