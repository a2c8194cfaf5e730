//! Verdicts on assigned challenges: the verifier's pass, late or bad-proof verdict (re-checked
//! on chain), the device's defence of a disputed opening, and finalization of an unanswered one.

use cosmwasm_std::{DepsMut, Empty, Env, HexBinary, MessageInfo, Response, Storage};
use loopin::pair;
use loopin::registry::{
    ChallengeStatus, DeviceStatus, GemmPassMsg, MAX_ATTEMPT, MAX_GEMM_TRIES, TranscriptMsg, Verdict,
};
use loopin_pocps::challenge::commit_secret;
use loopin_pocps::encode::ENCODING_VERSION;
use loopin_pocps::gemm;
use loopin_pocps::merkle::{Hash, leaf_hash, verify_path};
use loopin_pocps::proof::{
    Commitment, VerifyError, check_block, verify_opening_path, verify_round_digests,
};
use loopin_pocps::sig::SigVerifier;
use loopin_pocps::transcript::transcript_message;

use crate::appeal::{self, Finding, accuse, late_liability};
use crate::audit::extend_liability;
use crate::bonds::{load_verifier, slash};
use crate::challenge::{close, expect_status, leave_open, load_challenge};
use crate::device::invalidate_device;
use crate::error::ContractError;
use crate::judge::{self, HostVerifier, hash32};
use crate::key_rotation::current_key;
use crate::outgoing::execute_msg;
use crate::rewards::reward;
use crate::state::{
    CHALLENGES, CONFIG, Challenge, Config, DEVICES, DisputedLeaf, LATE_COUNT, LATE_ORDER, LATE_SEQ,
    LATE_VOTES, OPEN_DISPUTES, PassRecord,
};
use crate::sweep;

pub(crate) fn submit(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    id: u64,
    (secret, attempt): (HexBinary, u32),
    verdict: Verdict,
) -> Result<Response, ContractError> {
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
    let secret = hash32("secret", &secret)?;
    if challenge.appeal || challenge.sweep.is_some() {
        // Drawn, not committed: the secret is chosen now. Its seed is this challenge's alone
        // (the randomness binds the challenge id), and it is not entered among the committed
        // hashes: anyone could commit a hash seen in the mempool first and have the drawn
        // verifier's verdict refused until its time ran out.
        challenge.secret_hash = commit_secret(&secret);
    } else if commit_secret(&secret) != challenge.secret_hash {
        return Err(ContractError::WrongSecret {});
    }
    let device = DEVICES.load(deps.storage, &target)?;
    if device.status != DeviceStatus::Active {
        return Err(ContractError::DeviceNotActive { token_id: target });
    }
    let seed = judge::seed(&secret, &randomness, attempt);
    let mut commitment = judge::commitment(&device.commitment)?;
    // Answers are signed with the device's key of now (`RotateDeviceKey`); the commitment's
    // key stays its identity.
    commitment.pubkey = current_key(deps.storage, &device)?.0.to_vec();
    let k = config.settings.openings_per_round;
    let host = HostVerifier(deps.api);
    let response = Response::new()
        .add_attribute("action", "submit")
        .add_attribute("challenge_id", id.to_string())
        .add_attribute("verifier", &info.sender)
        .add_attribute("target", &target);

    match verdict {
        Verdict::Pass {
            answer,
            latency_ms,
            transcript,
            rtt_ms,
            gemm,
        } => {
            let deadline_ms = config.settings.deadline_for(rtt_ms);
            if latency_ms > deadline_ms {
                return Err(ContractError::LatencyOverDeadline {
                    latency_ms,
                    deadline_ms,
                });
            }
            // The transcript the device signed: what an audit checks a step of.
            let mut record =
                signed_transcript(&config, &commitment, &seed, &transcript, &host, &env)?;
            // The throughput part its class asks, signed for this challenge and in time.
            (record.gemm_root, record.gemm_seed) = signed_gemm(
                &config,
                (&device, &challenge),
                &commitment,
                (&secret, &randomness),
                gemm.as_ref(),
                rtt_ms,
                &host,
            )?
            .unzip();
            let (leaves, signature) = judge::signed(&answer)?;
            // Proof that the check was made: the device signed this challenge's answer.
            match verify_round_digests(&commitment, &seed, k, &leaves, &signature, &host) {
                Ok(()) => {}
                Err(VerifyError::BadSignature) => {
                    return Err(ContractError::NotSignedForChallenge {});
                }
                Err(err) => {
                    return Err(ContractError::InvalidPass {
                        reason: err.to_string(),
                    });
                }
            }
            let mut device = device;
            device.passes += 1;
            if challenge.sweep.is_some() {
                device.missed_sweeps = 0;
            }
            DEVICES.save(deps.storage, &target, &device)?;
            challenge.pass = Some(record);
            close(deps.storage, id, &mut challenge, ChallengeStatus::Passed)?;
            // Its verifier answers for the Pass as long as it can be audited.
            extend_liability(
                deps.storage,
                &info.sender,
                env.block.time.plus_seconds(
                    config
                        .settings
                        .audit_seconds
                        .saturating_add(config.settings.dispute_seconds),
                ),
            )?;
            let reward = reward(deps.storage, &config, &env, &info.sender)?;
            let response = response
                .add_attribute("verdict", "pass")
                .add_attribute("latency_ms", latency_ms.to_string())
                .add_attribute("deadline_ms", deadline_ms.to_string())
                .add_submessages(reward);
            // The pool counts the pass in the epoch the challenge was assigned in: only
            // epochs with the class's passes pay (a swept class's: its sweeps' only).
            let response = if sweep::proves_epoch(&device, &challenge) {
                response.add_message(execute_msg(
                    &device.pool,
                    &pair::ExecuteMsg::DeviceProven {
                        token_id: target.clone(),
                        challenged_at: sweep::challenged_at(
                            &config,
                            &device,
                            &challenge,
                            assigned_at,
                        ),
                        verifier: Some(info.sender.to_string()),
                    },
                )?)
            } else {
                response.add_attribute("proves_epoch", "false")
            };
            appeal::count(
                deps.storage,
                &config,
                env.block.time,
                id,
                &challenge,
                Finding::Pass,
                response,
            )
        }
        Verdict::Late {
            latency_ms,
            rtt_ms,
            throughput,
        } => {
            if throughput && sweep::gemm_asked(&device, &challenge).is_none() {
                return Err(sweep::not_asked(&device));
            }
            // A late throughput part is late whatever the timed part's latency.
            if let Some(latency_ms) = latency_ms
                && !throughput
                && latency_ms <= config.settings.deadline_for(rtt_ms)
            {
                return Err(ContractError::NotLate { latency_ms });
            }
            if let Some(window) = challenge.sweep {
                // Costs the device the window's proof and counts towards its class's failure
                // threshold; no vote (module doc of `sweep`).
                close(deps.storage, id, &mut challenge, ChallengeStatus::Late)?;
                let response = response
                    .add_attribute("verdict", "late")
                    .add_attribute("sweep", window.to_string());
                return sweep::missed(
                    deps.storage,
                    &config,
                    env.block.time,
                    (&target, window, &info.sender),
                    response,
                );
            }
            if challenge.appeal {
                // Counts towards the appeal it was drawn for, not as a new vote.
                close(deps.storage, id, &mut challenge, ChallengeStatus::Late)?;
                let response = response.add_attribute("verdict", "late");
                return appeal::count(
                    deps.storage,
                    &config,
                    env.block.time,
                    id,
                    &challenge,
                    Finding::Late,
                    response,
                );
            }
            let window = env.block.time.seconds() / config.settings.lateness_window_seconds;
            let mut count = LATE_COUNT
                .may_load(deps.storage, (&target, window))?
                .unwrap_or_default();
            // One vote per verifier and window: distinct, independently assigned verifiers.
            if !LATE_VOTES.has(deps.storage, (&target, window, &info.sender)) {
                LATE_VOTES.save(deps.storage, (&target, window, &info.sender), &Empty {})?;
                count = count.saturating_add(1);
                LATE_COUNT.save(deps.storage, (&target, window), &count)?;
                let seq = LATE_SEQ
                    .may_load(deps.storage, (&target, window))?
                    .unwrap_or_default();
                LATE_SEQ.save(deps.storage, (&target, window), &(seq + 1))?;
                LATE_ORDER.save(deps.storage, (&target, window, seq), &info.sender)?;
            }
            close(deps.storage, id, &mut challenge, ChallengeStatus::Late)?;
            let mut response = response
                .add_attribute("verdict", "late")
                .add_attribute(
                    "latency_ms",
                    latency_ms.map_or("none".to_string(), |l| l.to_string()),
                )
                .add_attribute("late_votes", count.to_string());
            if config.settings.appeal_seconds > 0 {
                // A vote an appeal overturns costs the voter: it stays slashable until then.
                extend_liability(
                    deps.storage,
                    &info.sender,
                    late_liability(&config, env.block.time),
                )?;
            }
            // A class may raise the registry's quorum, never lower it.
            let quorum = device.lateness_quorum.max(config.settings.lateness_quorum);
            if count >= quorum {
                match accuse(
                    deps.storage,
                    &config,
                    env.block.time,
                    &target,
                    window,
                    count,
                )? {
                    Some(msg) => {
                        response = response
                            .add_attribute("invalidated", &target)
                            .add_message(msg);
                    }
                    None => response = response.add_attribute("accused", &target),
                }
            }
            Ok(response)
        }
        Verdict::BadProof {
            answer,
            opening,
            leaf,
            block,
        } => {
            // Today's block check is the independent encoding's: under it, every block of a P
            // encoded before would look bad, and an honest device would be invalidated.
            if device.encoding != ENCODING_VERSION {
                return Err(ContractError::LegacyEncoding {
                    token_id: target,
                    encoding: device.encoding,
                    current: ENCODING_VERSION,
                });
            }
            let (leaves, signature) = judge::signed(&answer)?;
            let j = opening as usize;
            let claim =
                match verify_round_digests(&commitment, &seed, k, &leaves, &signature, &host) {
                    Err(VerifyError::BadSignature) => {
                        return Err(ContractError::NotSignedForChallenge {});
                    }
                    Err(VerifyError::BadParams) => return Err(ContractError::InvalidParams {}),
                    // The device signed an answer of the wrong shape: proven as it stands.
                    Err(err) => Claim::Proven(err.to_string()),
                    Ok(()) => {
                        let Some(&(index, signed_hash)) = leaves.get(j) else {
                            return Err(ContractError::InvalidClaim { k });
                        };
                        let o = judge::opening(&leaf)?;
                        if o.index != index || leaf_hash(&o.blocks) != signed_hash {
                            return Err(ContractError::LeafNotSigned {});
                        }
                        let m = commitment.params.blocks_per_leaf as usize;
                        if o.blocks.len() != m {
                            Claim::Proven(format!("opening {j} has the wrong number of blocks"))
                        } else {
                            let bad = match block {
                                Some(b) if (b as usize) < m => {
                                    !check_block(&commitment, &o, b as usize)
                                }
                                Some(_) => return Err(ContractError::InvalidClaim { k }),
                                None => {
                                    let steps = m as u64 * u64::from(commitment.params.rounds);
                                    if steps > config.settings.max_recheck_steps {
                                        return Err(ContractError::RecheckTooCostly {
                                            steps,
                                            max: config.settings.max_recheck_steps,
                                        });
                                    }
                                    !(0..m).all(|n| check_block(&commitment, &o, n))
                                }
                            };
                            if bad {
                                Claim::Proven(format!("opening {j}: a block is not its position's"))
                            } else if verify_opening_path(&commitment, &o) {
                                Claim::Refuted
                            } else {
                                Claim::Disputed(o.index, signed_hash)
                            }
                        }
                    }
                };
            match claim {
                Claim::Proven(failure) => {
                    // The device signed a bad answer: proven on chain, invalidated at once.
                    let msg =
                        invalidate_device(deps.storage, &target, &format!("pocps: {failure}"))?;
                    close(deps.storage, id, &mut challenge, ChallengeStatus::Proven)?;
                    let reward = reward(deps.storage, &config, &env, &info.sender)?;
                    Ok(response
                        .add_attribute("verdict", "bad_proof")
                        .add_attribute("outcome", "proven")
                        .add_attribute("failure", failure)
                        .add_attribute("invalidated", &target)
                        .add_message(msg)
                        .add_submessages(reward))
                }
                Claim::Refuted => {
                    // Refuted on chain: the verifier loses its bond.
                    close(deps.storage, id, &mut challenge, ChallengeStatus::Refuted)?;
                    let (slashed, burn) = slash(deps.storage, &config, &info.sender)?;
                    let response = response
                        .add_attribute("verdict", "bad_proof")
                        .add_attribute("outcome", "refuted")
                        .add_attribute("slashed", slashed)
                        .add_messages(burn);
                    // A refuted claim found nothing: for an appeal, as if it had lapsed.
                    appeal::count(
                        deps.storage,
                        &config,
                        env.block.time,
                        id,
                        &challenge,
                        Finding::Lapsed,
                        response,
                    )
                }
                Claim::Disputed(index, leaf_hash) => {
                    // A path is not signed: the device answers with its own.
                    let deadline = env.block.time.plus_seconds(config.settings.dispute_seconds);
                    leave_open(deps.storage, id, &challenge);
                    OPEN_DISPUTES.save(deps.storage, (&target, id), &Empty {})?;
                    challenge.status = ChallengeStatus::Disputed;
                    challenge.disputed = Some(DisputedLeaf {
                        index,
                        leaf_hash,
                        deadline,
                    });
                    CHALLENGES.save(deps.storage, id, &challenge)?;
                    Ok(response
                        .add_attribute("verdict", "bad_proof")
                        .add_attribute("outcome", "disputed")
                        .add_attribute("opening", j.to_string())
                        .add_attribute("deadline", deadline.seconds().to_string()))
                }
            }
        }
    }
}

/// The device-signed transcript of a Pass, checked: long enough and signed by the device for
/// this challenge's seed.
fn signed_transcript(
    config: &Config,
    commitment: &Commitment,
    seed: &Hash,
    t: &TranscriptMsg,
    host: &HostVerifier,
    env: &Env,
) -> Result<PassRecord, ContractError> {
    if t.rounds < config.settings.min_chain_rounds {
        return Err(ContractError::ChainTooShort {
            rounds: t.rounds,
            min: config.settings.min_chain_rounds,
        });
    }
    let final_state = hash32("final_state", &t.final_state)?;
    let root = hash32("transcript root", &t.root)?;
    let message = transcript_message(&commitment.root, seed, t.rounds, &final_state, &root);
    if !host.verify(&message, &t.signature, &commitment.pubkey) {
        return Err(ContractError::NotSignedForChallenge {});
    }
    Ok(PassRecord {
        seed: *seed,
        rounds: t.rounds,
        final_state,
        root,
        passed_at: env.block.time,
        gemm_root: None,
        gemm_seed: None,
    })
}

/// The GEMM root of a Pass and the seed it answers, checked against the device's class: present
/// exactly when the class asks one of this challenge (`sweep::gemm_asked`), within its
/// deadline, at the first try for a sweep, and signed by the device for this challenge's GEMM
/// seed.
fn signed_gemm(
    config: &Config,
    (device, challenge): (&crate::state::Device, &Challenge),
    commitment: &Commitment,
    (secret, randomness): (&Hash, &Hash),
    gemm: Option<&GemmPassMsg>,
    rtt_ms: u64,
    host: &HostVerifier,
) -> Result<Option<(Hash, Hash)>, ContractError> {
    let (class, part) = match (sweep::gemm_asked(device, challenge), gemm) {
        (None, None) => return Ok(None),
        (None, Some(_)) => return Err(sweep::not_asked(device)),
        (Some(_), None) => return Err(ContractError::ThroughputMissing {}),
        (Some(class), Some(part)) => (class, part),
    };
    let deadline_ms = config
        .settings
        .throughput_deadline_for(class.deadline_ms, rtt_ms);
    if part.latency_ms > deadline_ms {
        return Err(ContractError::ThroughputOverDeadline {
            latency_ms: part.latency_ms,
            deadline_ms,
        });
    }
    if challenge.sweep.is_some() && part.gemm_try > 0 {
        return Err(ContractError::SweepRetry {
            gemm_try: part.gemm_try,
        });
    }
    if part.gemm_try >= MAX_GEMM_TRIES {
        return Err(ContractError::BadGemmTry {
            gemm_try: part.gemm_try,
        });
    }
    let root = hash32("GEMM row root", &part.row_root)?;
    let seed = gemm::challenge_seed(secret, randomness, part.gemm_try);
    let message = gemm::message(&seed, class.shape(), &root);
    if !host.verify(&message, &part.signature, &commitment.pubkey) {
        return Err(ContractError::NotSignedForChallenge {});
    }
    Ok(Some((root, seed)))
}

/// What the on-chain re-check of a bad-proof claim found.
enum Claim {
    /// Signed data is bad: the device's fault.
    Proven(String),
    /// Everything named checks out: the verifier's fault.
    Refuted,
    /// The signed leaf is sound but its path fails: the device may answer with a path.
    Disputed(u64, [u8; 32]),
}

pub(crate) fn defend(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    id: u64,
    path: Vec<HexBinary>,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let (mut challenge, target, disputed) = load_disputed(deps.storage, id)?;
    let device = DEVICES.load(deps.storage, &target)?;
    if device.owner != info.sender {
        return Err(ContractError::NotDeviceOwner {});
    }
    if env.block.time > disputed.deadline {
        return Err(ContractError::ChallengeLapsed {});
    }
    let commitment = judge::commitment(&device.commitment)?;
    if path.len() != commitment.params.depth() {
        return Err(ContractError::InvalidPath {});
    }
    let path = path
        .iter()
        .map(|h| hash32("path", h))
        .collect::<Result<Vec<_>, _>>()?;
    if !verify_path(&commitment.root, disputed.leaf_hash, disputed.index, &path) {
        return Err(ContractError::InvalidPath {});
    }
    let verifier = challenge.verifier.clone();
    close(deps.storage, id, &mut challenge, ChallengeStatus::Refuted)?;
    let (slashed, burn) = slash(deps.storage, &config, &verifier)?;
    let response = Response::new()
        .add_attribute("action", "defend")
        .add_attribute("challenge_id", id.to_string())
        .add_attribute("target", &target)
        .add_attribute("verifier", verifier)
        .add_attribute("slashed", slashed)
        .add_messages(burn);
    appeal::count(
        deps.storage,
        &config,
        env.block.time,
        id,
        &challenge,
        Finding::Lapsed,
        response,
    )
}

pub(crate) fn finalize(deps: DepsMut, env: Env, id: u64) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let (mut challenge, target, disputed) = load_disputed(deps.storage, id)?;
    if env.block.time <= disputed.deadline {
        return Err(ContractError::NotLapsed {});
    }
    let device = DEVICES.load(deps.storage, &target)?;
    let verifier = challenge.verifier.clone();
    close(deps.storage, id, &mut challenge, ChallengeStatus::Proven)?;
    let mut response = Response::new()
        .add_attribute("action", "finalize")
        .add_attribute("challenge_id", id.to_string())
        .add_attribute("target", &target);
    // Another verdict may have invalidated the device meanwhile.
    if device.status == DeviceStatus::Active {
        let msg = invalidate_device(
            deps.storage,
            &target,
            "pocps: opening not in the committed tree (unanswered)",
        )?;
        response = response
            .add_attribute("invalidated", &target)
            .add_message(msg);
    }
    let reward = reward(deps.storage, &config, &env, &verifier)?;
    Ok(response.add_submessages(reward))
}

/// Challenge `id`, which must be disputed, with its target device and the disputed claim.
fn load_disputed(
    storage: &dyn Storage,
    id: u64,
) -> Result<(Challenge, String, DisputedLeaf), ContractError> {
    let challenge = load_challenge(storage, id)?;
    expect_status(&challenge, ChallengeStatus::Disputed)?;
    let (Some(target), Some(disputed)) = (challenge.target.clone(), challenge.disputed.clone())
    else {
        return Err(ContractError::WrongStatus {
            status: "undisputed".into(),
            expected: "Disputed".into(),
        });
    };
    Ok((challenge, target, disputed))
}
