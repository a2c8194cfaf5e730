//! A Pass verdict: the device answered in time, with a transcript (and the GEMM its class asks)
//! it signed for this challenge; the pass counts towards its epoch and can be audited.

use cosmwasm_std::{Addr, CosmosMsg, Deps, DepsMut, Env, Response, Timestamp};
use loopin::pair;
use loopin::registry::{ChallengeStatus, GemmPassMsg, MAX_GEMM_TRIES, SignedAnswer, TranscriptMsg};
use loopin_pocps::gemm;
use loopin_pocps::merkle::Hash;
use loopin_pocps::proof::{Commitment, VerifyError, verify_round_digests};
use loopin_pocps::sig::SigVerifier;
use loopin_pocps::transcript::transcript_message;

use super::assigned::Submitted;
use crate::appeal::{self, Finding};
use crate::audit::extend_liability;
use crate::challenge::close;
use crate::error::ContractError;
use crate::judge::{self, HostVerifier, hash32};
use crate::outgoing::execute_msg;
use crate::rewards::reward;
use crate::state::{Challenge, Config, DEVICES, Device, PassRecord};
use crate::sweep;

/// What a Pass verdict carries: the device's signed answer, its signed transcript and its
/// throughput part, if any.
pub(super) type PassMsg = (SignedAnswer, TranscriptMsg, Option<GemmPassMsg>);

/// `Submit` with a Pass: the answer came within the deadline (for the round trip `rtt_ms`) and
/// everything it carries is the device's, signed for this challenge. The device gains a pass,
/// the verifier its reward and an audit's liability; the pool counts the pass.
pub(super) fn submit_pass(
    deps: DepsMut,
    env: &Env,
    s: Submitted,
    (answer, transcript, gemm): PassMsg,
    (latency_ms, rtt_ms): (u64, u64),
) -> Result<Response, ContractError> {
    let deadline_ms = s.config.settings.deadline_for(rtt_ms);
    if latency_ms > deadline_ms {
        return Err(ContractError::LatencyOverDeadline {
            latency_ms,
            deadline_ms,
        });
    }
    let record = checked_record(
        deps.as_ref(),
        env,
        &s,
        (&answer, &transcript, gemm.as_ref()),
        rtt_ms,
    )?;
    let Submitted {
        id,
        config,
        mut challenge,
        verifier,
        target,
        mut device,
        assigned_at,
        response,
        ..
    } = s;
    device.passes += 1;
    if challenge.sweep.is_some() {
        device.missed_sweeps = 0;
    }
    DEVICES.save(deps.storage, &target, &device)?;
    challenge.pass = Some(record);
    close(deps.storage, id, &mut challenge, ChallengeStatus::Passed)?;
    // Its verifier answers for the Pass as long as it can be audited.
    let audit_time = config.settings.audit_seconds;
    let audits_open = env.block.time.plus_seconds(audit_time);
    let audits_end = audits_open.plus_seconds(config.settings.dispute_seconds);
    extend_liability(deps.storage, &verifier, audits_end)?;
    let reward = reward(deps.storage, &config, env, &verifier)?;
    let response = response
        .add_attribute("verdict", "pass")
        .add_attribute("latency_ms", latency_ms.to_string())
        .add_attribute("deadline_ms", deadline_ms.to_string())
        .add_submessages(reward);
    // The pool counts the pass in the epoch the challenge was assigned in: only epochs with
    // the class's passes pay (a swept class's: its sweeps' only).
    let response = if sweep::proves_epoch(&device, &challenge) {
        let at = sweep::challenged_at(&config, &device, &challenge, assigned_at);
        response.add_message(proven(&device, &target, at, &verifier, audits_open)?)
    } else {
        response.add_attribute("proves_epoch", "false")
    };
    let now = env.block.time;
    appeal::count(
        deps.storage,
        &config,
        now,
        id,
        &challenge,
        Finding::Pass,
        response,
    )
}

/// What the Pass records, checked: the transcript the device signed (what an audit checks a
/// step of), the throughput part its class asks, signed for this challenge and in time, and
/// the answer the device signed for this challenge (proof that the check was made).
fn checked_record(
    deps: Deps,
    env: &Env,
    s: &Submitted,
    (answer, transcript, gemm): (&SignedAnswer, &TranscriptMsg, Option<&GemmPassMsg>),
    rtt_ms: u64,
) -> Result<PassRecord, ContractError> {
    let host = HostVerifier(deps.api);
    let (config, commitment) = (&s.config, &s.commitment);
    let mut record = signed_transcript(config, commitment, &s.seed, transcript, &host, env)?;
    (record.gemm_root, record.gemm_seed) = signed_gemm(
        config,
        (&s.device, &s.challenge),
        commitment,
        (&s.secret, &s.randomness),
        gemm,
        rtt_ms,
        &host,
    )?
    .unzip();
    let (leaves, signature) = judge::signed(answer)?;
    let k = config.settings.openings_per_round;
    match verify_round_digests(commitment, &s.seed, k, &leaves, &signature, &host) {
        Ok(()) => Ok(record),
        Err(VerifyError::BadSignature) => Err(ContractError::NotSignedForChallenge {}),
        Err(err) => Err(ContractError::InvalidPass {
            reason: err.to_string(),
        }),
    }
}

/// Tells the device's pool that `verifier`'s Pass proved it at `challenged_at`, and until when
/// an audit may open on the Pass (`audits_open`: the pool holds the epoch's pay until then).
fn proven(
    device: &Device,
    target: &str,
    challenged_at: Timestamp,
    verifier: &Addr,
    audits_open: Timestamp,
) -> Result<CosmosMsg, ContractError> {
    Ok(execute_msg(
        &device.pool,
        &pair::ExecuteMsg::DeviceProven {
            token_id: target.to_string(),
            challenged_at,
            verifier: Some(verifier.to_string()),
            audit_until: Some(audits_open),
        },
    )?)
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
    (device, challenge): (&Device, &Challenge),
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
