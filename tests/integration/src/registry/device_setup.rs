//! Staking and registering devices on the test network ([`Net`]).

use cosmwasm_std::{Decimal, HexBinary};
use k256::ecdsa::SigningKey;
use loopin::stake_cert::{CertificateStatus, StakeMode};
use loopin_pocps::encode::{CpuEncoder, Encoder, Params, derive_ek};
use loopin_pocps::proof::{Commitment, Prover};
use loopin_pocps::sig::device_fingerprint;

use super::Net;
use super::device::Device;
use super::params::EK_RANDOMNESS;
use crate::protocol::{EPOCH, attr};

impl Net {
    /// Builds a device's encoding (P, root, key) and stakes it with its commitment's digest.
    pub fn encode_and_stake(
        &mut self,
        miner: &'static str,
        n: u8,
        mode: StakeMode,
        amount: u128,
    ) -> usize {
        self.encode_and_stake_for(miner, n, mode, amount, 10)
    }

    /// [`Self::encode_and_stake`] for a stake of `epochs` epochs.
    pub fn encode_and_stake_for(
        &mut self,
        miner: &'static str,
        n: u8,
        mode: StakeMode,
        amount: u128,
        epochs: u64,
    ) -> usize {
        self.encode_and_stake_with(miner, n, mode, amount, epochs, Params::TEST)
    }

    /// Encodes a P of `params` and stakes it (not registered).
    pub fn encode_and_stake_with(
        &mut self,
        miner: &'static str,
        n: u8,
        mode: StakeMode,
        amount: u128,
        epochs: u64,
        params: Params,
    ) -> usize {
        // The device is its key: its fingerprint (the certificate's device id) is the key's.
        let key = SigningKey::from_slice(&[n.wrapping_add(100); 32]).unwrap();
        let pubkey = loopin_pocps::sig::k256_pubkey(&key);
        let fingerprint = device_fingerprint(&pubkey);
        let ek = derive_ek(
            &fingerprint,
            self.addr(miner).as_str(),
            self.p.pair.as_str(),
            EK_RANDOMNESS,
        );
        let prover = Prover::new(CpuEncoder.encode(ek, &params), params);
        let commitment = Commitment {
            params,
            root: prover.tree.root(),
            ek,
            pubkey,
        };
        let stake = self.p.signed_stake(
            miner,
            &key,
            mode,
            Decimal::one(),
            epochs,
            HexBinary::from(commitment.digest()),
        );
        let res = self.p.send(miner, amount, &stake).unwrap();
        let token_id = attr(&res, "token_id").unwrap();
        self.devices.push(Device {
            miner,
            token_id,
            fingerprint,
            prover,
            key,
            commitment,
        });
        self.devices.len() - 1
    }

    pub fn stake_device(
        &mut self,
        miner: &'static str,
        n: u8,
        mode: StakeMode,
        amount: u128,
    ) -> usize {
        self.stake_device_for(miner, n, mode, amount, 10)
    }

    /// Stakes and registers a device for `epochs` epochs.
    pub fn stake_device_for(
        &mut self,
        miner: &'static str,
        n: u8,
        mode: StakeMode,
        amount: u128,
        epochs: u64,
    ) -> usize {
        let d = self.encode_and_stake_for(miner, n, mode, amount, epochs);
        let msg = self.devices[d].register_msg();
        self.exec(miner, &msg).unwrap();
        d
    }

    /// Processes the pool's epochs, then waits, until `seconds` before `time`.
    pub fn until_before(&mut self, time: u64, seconds: u64) {
        while self.p.app.block_info().time.seconds() + EPOCH + seconds < time {
            self.p.next_epoch();
        }
        let now = self.p.app.block_info().time.seconds();
        self.wait(time - seconds - now);
    }

    /// Processes the pool's epochs until device `d`'s certificate has expired.
    pub fn until_expired(&mut self, d: usize) {
        let token_id = self.devices[d].token_id.clone();
        for _ in 0..32 {
            if self.certificate(&token_id) == CertificateStatus::Expired {
                return;
            }
            self.p.next_epoch();
        }
        panic!("certificate {token_id} never expired");
    }
}
