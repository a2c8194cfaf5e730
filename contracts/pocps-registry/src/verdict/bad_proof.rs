//! A bad-proof verdict: the verifier claims the device's answer is wrong at one opening, and
//! the chain re-checks it. Proven, the device is invalidated at once; refuted, the verifier
//! loses its bond; a sound leaf whose path fails is disputed, and the device may defend it
//! ([`super::dispute`]).

use cosmwasm_std::{DepsMut, Empty, Env, Response};
use loopin::registry::{ChallengeStatus, OpeningMsg, SignedAnswer};
use loopin_pocps::encode::ENCODING_VERSION;
use loopin_pocps::merkle::leaf_hash;
use loopin_pocps::proof::{
    Commitment, Opening, VerifyError, check_block, verify_opening_path, verify_round_digests,
};

use super::assigned::Submitted;
use crate::appeal::{self, Finding};
use crate::bonds::slash;
use crate::challenge::{close, leave_open};
use crate::device::invalidate_device;
use crate::error::ContractError;
use crate::judge::{self, HostVerifier};
use crate::rewards::reward;
use crate::state::{CHALLENGES, Config, DisputedLeaf, OPEN_DISPUTES};

/// What a bad-proof verdict names: the device's signed answer, the index of the opening it
/// claims is bad, the opening's leaf, and the block to check in it (none: every block).
pub(super) type BadProofMsg = (SignedAnswer, u32, OpeningMsg, Option<u32>);

/// What the on-chain re-check of a bad-proof claim found.
enum Claim {
    /// Signed data is bad: the device's fault.
    Proven(String),
    /// Everything named checks out: the verifier's fault.
    Refuted,
    /// The signed leaf is sound but its path fails: the device may answer with a path.
    Disputed(u64, [u8; 32]),
}

/// `Submit` with a bad-proof verdict: re-checked on chain, then settled as proven, refuted or
/// disputed.
pub(super) fn submit_bad_proof(
    deps: DepsMut,
    env: &Env,
    s: Submitted,
    claimed: BadProofMsg,
) -> Result<Response, ContractError> {
    // Today's block check is the independent encoding's: under it, every block of a P
    // encoded before would look bad, and an honest device would be invalidated.
    if s.device.encoding != ENCODING_VERSION {
        return Err(ContractError::LegacyEncoding {
            token_id: s.target,
            encoding: s.device.encoding,
            current: ENCODING_VERSION,
        });
    }
    let opening = claimed.1;
    match recheck(&HostVerifier(deps.api), &s, claimed)? {
        Claim::Proven(failure) => proven(deps, env, s, failure),
        Claim::Refuted => refuted(deps, env, s),
        Claim::Disputed(index, leaf_hash) => disputed(deps, env, s, opening, (index, leaf_hash)),
    }
}

/// Re-checks the claim: the answer signed for this challenge (one of the wrong shape is proven
/// as it stands), then the named opening against what the device signed.
fn recheck(
    host: &HostVerifier,
    s: &Submitted,
    (answer, opening, leaf, block): BadProofMsg,
) -> Result<Claim, ContractError> {
    let (commitment, k) = (&s.commitment, s.config.settings.openings_per_round);
    let (leaves, signature) = judge::signed(&answer)?;
    match verify_round_digests(commitment, &s.seed, k, &leaves, &signature, host) {
        Err(VerifyError::BadSignature) => Err(ContractError::NotSignedForChallenge {}),
        Err(VerifyError::BadParams) => Err(ContractError::InvalidParams {}),
        // The device signed an answer of the wrong shape: proven as it stands.
        Err(err) => Ok(Claim::Proven(err.to_string())),
        Ok(()) => {
            let j = opening as usize;
            let Some(&(index, signed_hash)) = leaves.get(j) else {
                return Err(ContractError::InvalidClaim { k });
            };
            let o = judge::opening(&leaf)?;
            if o.index != index || leaf_hash(&o.blocks) != signed_hash {
                return Err(ContractError::LeafNotSigned {});
            }
            recheck_opening(&s.config, commitment, (j, &o, signed_hash), block)
        }
    }
}

/// Re-checks opening `j` (signed as `signed_hash`): its blocks (`block`, or all of them if the
/// re-check is not too costly), then its path in the committed tree.
fn recheck_opening(
    config: &Config,
    commitment: &Commitment,
    (j, o, signed_hash): (usize, &Opening, [u8; 32]),
    block: Option<u32>,
) -> Result<Claim, ContractError> {
    let k = config.settings.openings_per_round;
    let m = commitment.params.blocks_per_leaf as usize;
    if o.blocks.len() != m {
        return Ok(Claim::Proven(format!(
            "opening {j} has the wrong number of blocks"
        )));
    }
    let bad = match block {
        Some(b) if (b as usize) < m => !check_block(commitment, o, b as usize),
        Some(_) => return Err(ContractError::InvalidClaim { k }),
        None => {
            let steps = m as u64 * u64::from(commitment.params.rounds);
            if steps > config.settings.max_recheck_steps {
                return Err(ContractError::RecheckTooCostly {
                    steps,
                    max: config.settings.max_recheck_steps,
                });
            }
            !(0..m).all(|n| check_block(commitment, o, n))
        }
    };
    Ok(if bad {
        Claim::Proven(format!("opening {j}: a block is not its position's"))
    } else if verify_opening_path(commitment, o) {
        Claim::Refuted
    } else {
        Claim::Disputed(o.index, signed_hash)
    })
}

/// The device signed a bad answer: proven on chain, invalidated at once, and the verifier
/// paid its reward.
fn proven(
    deps: DepsMut,
    env: &Env,
    mut s: Submitted,
    failure: String,
) -> Result<Response, ContractError> {
    let msg = invalidate_device(deps.storage, &s.target, &format!("pocps: {failure}"))?;
    close(
        deps.storage,
        s.id,
        &mut s.challenge,
        ChallengeStatus::Proven,
    )?;
    let reward = reward(deps.storage, &s.config, env, &s.verifier)?;
    Ok(s.response
        .add_attribute("verdict", "bad_proof")
        .add_attribute("outcome", "proven")
        .add_attribute("failure", failure)
        .add_attribute("invalidated", &s.target)
        .add_message(msg)
        .add_submessages(reward))
}

/// Refuted on chain: the verifier loses its bond. A refuted claim found nothing: for an
/// appeal, as if it had lapsed.
fn refuted(deps: DepsMut, env: &Env, mut s: Submitted) -> Result<Response, ContractError> {
    close(
        deps.storage,
        s.id,
        &mut s.challenge,
        ChallengeStatus::Refuted,
    )?;
    let (slashed, burn) = slash(deps.storage, &s.config, &s.verifier)?;
    let response = s
        .response
        .add_attribute("verdict", "bad_proof")
        .add_attribute("outcome", "refuted")
        .add_attribute("slashed", slashed)
        .add_messages(burn);
    appeal::count(
        deps.storage,
        &s.config,
        env.block.time,
        s.id,
        &s.challenge,
        Finding::Lapsed,
        response,
    )
}

/// A path is not signed: the challenge is disputed, and the device answers with its own path
/// within `dispute_seconds`.
fn disputed(
    deps: DepsMut,
    env: &Env,
    mut s: Submitted,
    opening: u32,
    (index, leaf_hash): (u64, [u8; 32]),
) -> Result<Response, ContractError> {
    let deadline = env
        .block
        .time
        .plus_seconds(s.config.settings.dispute_seconds);
    leave_open(deps.storage, s.id, &s.challenge);
    OPEN_DISPUTES.save(deps.storage, (&s.target, s.id), &Empty {})?;
    s.challenge.status = ChallengeStatus::Disputed;
    s.challenge.disputed = Some(DisputedLeaf {
        index,
        leaf_hash,
        deadline,
    });
    CHALLENGES.save(deps.storage, s.id, &s.challenge)?;
    Ok(s.response
        .add_attribute("verdict", "bad_proof")
        .add_attribute("outcome", "disputed")
        .add_attribute("opening", opening.to_string())
        .add_attribute("deadline", deadline.seconds().to_string()))
}
