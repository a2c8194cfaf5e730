//! Staked devices: a GPU's PoCPS encoding, key and commitment, staked and registered.

use cosmwasm_std::{Decimal, HexBinary};
use k256::ecdsa::SigningKey;
use loopin::registry::{CommitmentMsg, ExecuteMsg, SignedAnswer, TranscriptMsg};
use loopin::stake_cert::{CertificateStatus, StakeMode};
use loopin_pocps::encode::{CpuEncoder, Encoder, Params, derive_ek};
use loopin_pocps::merkle::Hash;
use loopin_pocps::proof::{Commitment, Opening, Prover, round_message};
use loopin_pocps::sig::{device_fingerprint, k256_sign};
use loopin_pocps::timed::run_chain;
use loopin_pocps::transcript::{Transcript, transcript_message};

use super::{CHAIN, EK_RANDOMNESS, K, Net};
use crate::protocol::{EPOCH, attr};

/// A staked GPU: its encoding, key and commitment.
pub struct Device {
    pub miner: &'static str,
    pub token_id: String,
    pub fingerprint: [u8; 32],
    pub prover: Prover,
    pub key: SigningKey,
    pub commitment: Commitment,
}

impl Device {
    pub fn commitment_msg(&self) -> CommitmentMsg {
        CommitmentMsg::from(&self.commitment)
    }

    pub fn register_msg(&self) -> ExecuteMsg {
        ExecuteMsg::RegisterDevice {
            token_id: self.token_id.clone(),
            fingerprint: HexBinary::from(self.fingerprint),
            commitment: self.commitment_msg(),
            endpoint: format!("https://{}.example:7443", self.miner),
            ek_randomness: HexBinary::from(EK_RANDOMNESS),
        }
    }

    /// The device's signed answer to a seed and its openings, with `tamper` applied to the
    /// openings before signing.
    pub fn answer_with(
        &self,
        seed: &Hash,
        tamper: impl FnOnce(&mut Vec<Opening>),
    ) -> (SignedAnswer, Vec<Opening>) {
        let mut openings = self.prover.open(seed, K);
        tamper(&mut openings);
        let signature = k256_sign(&self.key, &round_message(&self.commitment, seed, &openings));
        let answer = SignedAnswer::from_openings(&openings, &signature);
        (answer, openings)
    }

    pub fn answer(&self, seed: &Hash) -> SignedAnswer {
        self.answer_with(seed, |_| {}).0
    }

    /// The honest timed chain of [`CHAIN`] reads from `seed`.
    pub fn chain(&self, seed: &Hash) -> Transcript {
        Transcript::new(seed, &run_chain(&self.prover, seed, CHAIN).0)
    }

    /// A transcript of `blocks` read from `seed`, signed by the device as a Pass records it.
    pub fn sign_transcript(&self, seed: &Hash, t: &Transcript) -> TranscriptMsg {
        let signed = t.signed();
        let message = transcript_message(
            &self.commitment.root,
            seed,
            signed.rounds,
            &signed.final_state,
            &signed.root,
        );
        TranscriptMsg::new(&signed, &k256_sign(&self.key, &message))
    }
}

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
