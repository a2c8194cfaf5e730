//! The one loader every verdict shares: the challenge assigned to the sender, within its
//! response time, its secret revealed and its device active, with what judging it needs.

use cosmwasm_std::{Addr, Deps, Env, HexBinary, MessageInfo, Response, Timestamp};
use loopin::registry::{ChallengeStatus, DeviceStatus, MAX_ATTEMPT};
use loopin_pocps::challenge::commit_secret;
use loopin_pocps::merkle::Hash;
use loopin_pocps::proof::Commitment;

use crate::bonds::load_verifier;
use crate::challenge::{expect_status, load_challenge};
use crate::error::ContractError;
use crate::judge::{self, hash32};
use crate::key_rotation::current_key;
use crate::state::{CONFIG, Challenge, Config, DEVICES, Device};

/// An assigned challenge its verifier submits a verdict on, loaded and checked once.
pub(super) struct Submitted {
    pub id: u64,
    pub config: Config,
    /// The challenge; a drawn one (appeal, sweep) holds the hash of the secret chosen now.
    pub challenge: Challenge,
    /// The challenge's verifier: the sender.
    pub verifier: Addr,
    /// The token id of the device challenged.
    pub target: String,
    pub device: Device,
    pub randomness: Hash,
    pub assigned_at: Timestamp,
    pub secret: Hash,
    /// The seed of the answer's attempt.
    pub seed: Hash,
    /// The device's commitment, with the key it signs answers with now.
    pub commitment: Commitment,
    /// What every verdict's response starts with.
    pub response: Response,
}

impl Submitted {
    /// Challenge `id` as its verifier (`info.sender`) may submit a verdict on it: assigned to
    /// it, the verifier not slashed, within the response time, `secret` the one committed (a
    /// drawn challenge's is chosen now), the device active.
    pub fn load(
        deps: Deps,
        env: &Env,
        info: &MessageInfo,
        id: u64,
        (secret, attempt): (HexBinary, u32),
    ) -> Result<Self, ContractError> {
        if attempt > MAX_ATTEMPT {
            return Err(ContractError::BadAttempt { attempt });
        }
        let config = CONFIG.load(deps.storage)?;
        let mut challenge = load_challenge(deps.storage, id)?;
        if challenge.verifier != info.sender {
            return Err(ContractError::NotChallenger {});
        }
        expect_status(&challenge, ChallengeStatus::Assigned)?;
        let verifier = load_verifier(deps.storage, &info.sender)?;
        if verifier.slashed {
            return Err(ContractError::VerifierSlashed {});
        }
        let (Some(target), Some(randomness), Some(assigned_at)) = (
            challenge.target.clone(),
            challenge.randomness,
            challenge.assigned_at,
        ) else {
            return Err(ContractError::WrongStatus {
                status: "unassigned".into(),
                expected: "Assigned".into(),
            });
        };
        if env.block.time > assigned_at.plus_seconds(config.settings.response_seconds) {
            return Err(ContractError::ChallengeLapsed {});
        }
        let secret = revealed(&mut challenge, &secret)?;
        let device = DEVICES.load(deps.storage, &target)?;
        if device.status != DeviceStatus::Active {
            return Err(ContractError::DeviceNotActive { token_id: target });
        }
        let seed = judge::seed(&secret, &randomness, attempt);
        let mut commitment = judge::commitment(&device.commitment)?;
        // Answers are signed with the device's key of now (`RotateDeviceKey`); the commitment's
        // key stays its identity.
        commitment.pubkey = current_key(deps.storage, &device)?.0.to_vec();
        let response = Response::new()
            .add_attribute("action", "submit")
            .add_attribute("challenge_id", id.to_string())
            .add_attribute("verifier", &info.sender)
            .add_attribute("target", &target);
        Ok(Self {
            id,
            config,
            challenge,
            verifier: info.sender.clone(),
            target,
            device,
            randomness,
            assigned_at,
            secret,
            seed,
            commitment,
            response,
        })
    }
}

/// The secret the verifier reveals: the one it committed the hash of, or, for a challenge
/// drawn rather than committed, any (its hash is recorded on the challenge now).
fn revealed(challenge: &mut Challenge, secret: &HexBinary) -> Result<Hash, ContractError> {
    let secret = hash32("secret", secret)?;
    if challenge.appeal || challenge.sweep.is_some() {
        // Drawn, not committed: the secret is chosen now. Its seed is this challenge's alone
        // (the randomness binds the challenge id), and it is not entered among the committed
        // hashes: anyone could commit a hash seen in the mempool first and have the drawn
        // verifier's verdict refused until its time ran out.
        challenge.secret_hash = commit_secret(&secret);
    } else if commit_secret(&secret) != challenge.secret_hash {
        return Err(ContractError::WrongSecret {});
    }
    Ok(secret)
}
