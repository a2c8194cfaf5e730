//! Staked devices: a GPU's PoCPS encoding, key and commitment, staked and registered.

use cosmwasm_std::HexBinary;
use k256::ecdsa::SigningKey;
use loopin::registry::{CommitmentMsg, ExecuteMsg, SignedAnswer, TranscriptMsg};
use loopin_pocps::merkle::Hash;
use loopin_pocps::proof::{Commitment, Opening, Prover, round_message};
use loopin_pocps::sig::k256_sign;
use loopin_pocps::timed::run_chain;
use loopin_pocps::transcript::{Transcript, transcript_message};

use super::params::{CHAIN, EK_RANDOMNESS, K};

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
