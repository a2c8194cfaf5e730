//! Verifiers' side: bonds, challenge keys, entropy rounds, challenges and verdicts.

use cosmwasm_std::{HexBinary, Uint128, to_json_binary};
use cw_multi_test::{AppResponse, Executor};
use k256::ecdsa::SigningKey;
use loopin::pool::GemmClass;
use loopin::registry::{
    ExecuteMsg, GemmPassMsg, OpeningMsg, ReceiveMsg, SignedAnswer, TranscriptMsg, Verdict,
};
use loopin::token;
use loopin_pocps::challenge::{commit_secret, round_seed};
use loopin_pocps::gemm;
use loopin_pocps::merkle::{Hash, Tree};
use loopin_pocps::proof::Opening;
use loopin_pocps::sig::{challenge_key_message, k256_sign};
use loopin_pocps::transcript::Transcript;
use loopin_pocps_registry::ContractError;
use std::sync::atomic::AtomicBool;

use super::{Net, ROUND};
use crate::protocol::attr;

/// An opening in full, as a bad-proof claim carries it.
/// A bad-proof verdict on opening `j` of `openings`, naming `block`.
pub fn bad_proof(
    answer: SignedAnswer,
    openings: &[Opening],
    j: usize,
    block: Option<u32>,
) -> Verdict {
    Verdict::BadProof {
        answer,
        opening: j as u32,
        leaf: OpeningMsg::from(&openings[j]),
        block,
    }
}

impl Net {
    /// Gives `who` LOOP from the client's balance (for actors the fixture does not fund).
    pub fn fund(&mut self, who: &str, amount: u128) {
        let (client, to, token) = (self.addr("client"), self.addr(who), self.p.token.clone());
        let transfer = token::ExecuteMsg::Transfer {
            recipient: to.to_string(),
            amount: Uint128::new(amount),
        };
        self.p
            .app
            .execute_contract(client, token, &transfer, &[])
            .unwrap();
    }

    pub fn bond(&mut self, who: &str, amount: u128) -> anyhow::Result<AppResponse> {
        let sender = self.addr(who);
        let send = token::ExecuteMsg::Send {
            contract: self.reg.to_string(),
            amount: Uint128::new(amount),
            msg: to_json_binary(&ReceiveMsg::Bond {}).unwrap(),
        };
        let token = self.p.token.clone();
        self.p.app.execute_contract(sender, token, &send, &[])
    }

    /// `SetChallengeKey` for `who` with `key`, its possession proven by `signer`.
    pub fn set_key_msg(&self, who: &str, key: &SigningKey, signer: &SigningKey) -> ExecuteMsg {
        let pubkey = key
            .verifying_key()
            .to_encoded_point(true)
            .as_bytes()
            .to_vec();
        let message = challenge_key_message(self.reg.as_str(), self.addr(who).as_str(), &pubkey);
        ExecuteMsg::SetChallengeKey {
            pubkey: HexBinary::from(pubkey),
            signature: HexBinary::from(k256_sign(signer, &message)),
        }
    }

    pub fn set_key(&mut self, who: &str, key: &SigningKey) -> anyhow::Result<AppResponse> {
        let msg = self.set_key_msg(who, key, key);
        self.exec(who, &msg)
    }

    /// One beacon round with contributions from `who`, then waits until it is final.
    pub fn beacon(&mut self, who: &[&str]) {
        self.nonce += 1;
        let secrets: Vec<[u8; 32]> = who
            .iter()
            .enumerate()
            .map(|(i, _)| [self.nonce.wrapping_mul(7).wrapping_add(i as u8); 32])
            .collect();
        for (name, secret) in who.iter().zip(&secrets) {
            let hash = HexBinary::from(commit_secret(secret));
            self.exec(name, &ExecuteMsg::CommitEntropy { hash })
                .unwrap();
        }
        self.wait(ROUND);
        for (name, secret) in who.iter().zip(&secrets) {
            let secret = HexBinary::from(secret.to_vec());
            self.exec(name, &ExecuteMsg::RevealEntropy { secret })
                .unwrap();
        }
        self.wait(ROUND);
    }

    /// Commits a fresh secret for `verifier`; returns the challenge id.
    pub fn commit(&mut self, verifier: &str) -> u64 {
        self.nonce += 1;
        let secret = [self.nonce ^ 0xA5; 32];
        let res = self
            .exec(
                verifier,
                &ExecuteMsg::Commit {
                    secret_hash: HexBinary::from(commit_secret(&secret)),
                },
            )
            .unwrap();
        let id: u64 = attr(&res, "challenge_id").unwrap().parse().unwrap();
        self.secrets.push((id, secret));
        id
    }

    /// Chooses the secret of a drawn challenge `id` (an appeal's or a sweep's): not committed,
    /// so its verifier picks it when it submits (never equal to a committed one, whose bytes
    /// are all alike).
    pub fn drawn_secret(&mut self, id: u64) -> [u8; 32] {
        self.nonce += 1;
        let mut secret = [0x5A; 32];
        secret[0] = self.nonce;
        secret[1] = 0x01;
        self.secrets.push((id, secret));
        secret
    }

    pub fn secret(&self, id: u64) -> [u8; 32] {
        self.secrets.iter().find(|(i, _)| *i == id).unwrap().1
    }

    /// Commit, a beacon round by the `entropy` verifiers, Assign: (id, target device index).
    pub fn assigned(&mut self, verifier: &str, entropy: &[&str]) -> (u64, usize) {
        let id = self.commit(verifier);
        self.beacon(entropy);
        self.exec("client", &ExecuteMsg::Assign { challenge_id: id })
            .unwrap();
        let target = self.challenge(id).target.unwrap();
        let d = self
            .devices
            .iter()
            .position(|d| d.token_id == target)
            .unwrap();
        (id, d)
    }

    /// `Assign` by a stranger: the target drawn and the ended devices pruned on the way, or
    /// the registry's refusal.
    pub fn try_assign(&mut self, id: u64) -> Result<(String, Vec<String>), ContractError> {
        match self.exec("client", &ExecuteMsg::Assign { challenge_id: id }) {
            Ok(res) => Ok((
                attr(&res, "target").unwrap(),
                attr(&res, "pruned")
                    .map(|p| p.split(',').map(String::from).collect())
                    .unwrap_or_default(),
            )),
            Err(err) => Err(err.downcast().unwrap()),
        }
    }

    /// The seed the verifier of challenge `id` sends to the prover.
    pub fn seed(&self, id: u64) -> Hash {
        let randomness = self.challenge(id).randomness.unwrap();
        round_seed(&self.secret(id), randomness.as_slice(), 0, &[0u8; 32])
    }

    pub fn submit(
        &mut self,
        verifier: &str,
        id: u64,
        verdict: Verdict,
    ) -> anyhow::Result<AppResponse> {
        let secret = HexBinary::from(self.secret(id).to_vec());
        self.exec(
            verifier,
            &ExecuteMsg::Submit {
                challenge_id: id,
                secret,
                verdict,
                attempt: 0,
            },
        )
    }

    pub fn pass(&mut self, verifier: &str, id: u64, d: usize) -> anyhow::Result<AppResponse> {
        let chain = self.devices[d].chain(&self.seed(id));
        self.pass_with(verifier, id, d, &chain)
    }

    /// The honest transcript of challenge `id` by device `d`, signed as a Pass records it.
    pub fn transcript(&self, id: u64, d: usize) -> TranscriptMsg {
        let seed = self.seed(id);
        self.devices[d].sign_transcript(&seed, &self.devices[d].chain(&seed))
    }

    /// A Pass of challenge `id` to device `d` recording the transcript `chain`, which the
    /// device signed (honest or not).
    pub fn pass_with(
        &mut self,
        verifier: &str,
        id: u64,
        d: usize,
        chain: &Transcript,
    ) -> anyhow::Result<AppResponse> {
        let seed = self.seed(id);
        let answer = self.devices[d].answer(&seed);
        let transcript = self.devices[d].sign_transcript(&seed, chain);
        self.submit(
            verifier,
            id,
            Verdict::Pass {
                answer,
                latency_ms: 20,
                transcript,
                rtt_ms: 0,
                gemm: None,
            },
        )
    }

    /// Challenges by `verifier` until one lands on device `want`; others pass honestly.
    pub fn assigned_to(&mut self, verifier: &str, entropy: &[&str], want: usize) -> u64 {
        for _ in 0..32 {
            let (id, d) = self.assigned(verifier, entropy);
            if d == want {
                return id;
            }
            self.pass(verifier, id, d).unwrap();
        }
        panic!("device {want} never drawn");
    }
}

impl Net {
    /// The GEMM seed of challenge `id`'s try `gemm_try`: from its verifier's secret and its
    /// randomness.
    pub fn gemm_seed(&self, id: u64, gemm_try: u32) -> Hash {
        let randomness = self.challenge(id).randomness.unwrap();
        gemm::challenge_seed(&self.secret(id), randomness.as_slice(), gemm_try)
    }

    /// The honest row root of `class`'s GEMM with `seed`, signed by device `d`.
    pub fn signed_gemm_root(
        &self,
        d: usize,
        class: &GemmClass,
        seed: &Hash,
        latency_ms: u64,
    ) -> GemmPassMsg {
        let leaves = gemm::leaves(seed, class.shape(), &AtomicBool::new(false)).unwrap();
        self.sign_gemm_root(d, class, seed, &Tree::new(leaves).root(), latency_ms)
    }

    /// `root` (honest or not) signed by device `d` as its answer to `class`'s GEMM with `seed`.
    pub fn sign_gemm_root(
        &self,
        d: usize,
        class: &GemmClass,
        seed: &Hash,
        root: &Hash,
        latency_ms: u64,
    ) -> GemmPassMsg {
        let signature = k256_sign(
            &self.devices[d].key,
            &gemm::message(seed, class.shape(), root),
        );
        GemmPassMsg {
            row_root: HexBinary::from(root.to_vec()),
            signature: HexBinary::from(signature),
            latency_ms,
            gemm_try: 0,
        }
    }

    /// A Pass of challenge `id` to device `d` whose class asks `class`, with the honest GEMM part.
    pub fn pass_with_gemm(
        &mut self,
        verifier: &str,
        id: u64,
        d: usize,
        class: &GemmClass,
    ) -> anyhow::Result<AppResponse> {
        let gemm = self.signed_gemm_root(d, class, &self.gemm_seed(id, 0), 900);
        self.pass_with_gemm_part(verifier, id, d, gemm)
    }

    /// A Pass of challenge `id` to device `d` with an honest timed part and `gemm` (honest or not).
    pub fn pass_with_gemm_part(
        &mut self,
        verifier: &str,
        id: u64,
        d: usize,
        gemm: GemmPassMsg,
    ) -> anyhow::Result<AppResponse> {
        let seed = self.seed(id);
        let verdict = Verdict::Pass {
            answer: self.devices[d].answer(&seed),
            latency_ms: 20,
            transcript: self.transcript(id, d),
            rtt_ms: 0,
            gemm: Some(gemm),
        };
        self.submit(verifier, id, verdict)
    }
}
