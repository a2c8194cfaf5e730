use cosmwasm_std::{StdError, Uint128};
use cw_utils::PaymentError;
use loopin::migrate::MigrateError;
use thiserror::Error;

/// Errors of the PoCPS registry. Every refusal changes nothing.
#[derive(Error, Debug, PartialEq)]
pub enum ContractError {
    #[error("{0}")]
    Std(#[from] StdError),

    #[error("{0}")]
    Payment(#[from] PaymentError),

    #[error("{0}")]
    Migrate(#[from] MigrateError),

    #[error("invalid settings: {reason}")]
    InvalidSettings { reason: String },

    #[error("only the LOOP token may send a hook")]
    NotToken {},

    #[error("amount must be positive")]
    ZeroAmount {},

    #[error("{field} must be {expected} bytes")]
    BadLength { field: String, expected: usize },

    #[error("endpoint must be 1 to 256 characters")]
    InvalidEndpoint {},

    #[error("certificate {token_id} is unknown")]
    UnknownCertificate { token_id: String },

    #[error("only the certificate's owner may register its device")]
    NotCertificateOwner {},

    #[error("certificate {token_id} is not active")]
    CertificateNotActive { token_id: String },

    #[error("the certificate's device id must be the hex fingerprint")]
    FingerprintMismatch {},

    #[error("the fingerprint must be the one of the commitment's device key")]
    FingerprintNotOfDeviceKey {},

    #[error("the commitment's digest is not the one on the certificate")]
    CommitmentMismatch {},

    #[error("ek is not derive_ek(fingerprint, miner, pool, randomness)")]
    EkMismatch {},

    #[error("PoCPS parameters are out of bounds or below the required rounds")]
    InvalidParams {},

    #[error(
        "the commitment's P of {bytes} bytes at {rounds} Sloth rounds is below its class's {min_bytes} bytes at {min_rounds} rounds"
    )]
    CommitmentBelowClass {
        bytes: u64,
        min_bytes: u64,
        rounds: u32,
        min_rounds: u32,
    },

    #[error("certificate {token_id} already has a device")]
    AlreadyRegistered { token_id: String },

    #[error("fingerprint already backs certificate {token_id}")]
    FingerprintInUse { token_id: String },

    #[error("device {token_id} is not registered")]
    UnknownDevice { token_id: String },

    #[error("device {token_id} is not active")]
    DeviceNotActive { token_id: String },

    #[error(
        "device {token_id} registered encoding version {encoding}, which bad-proof claims cannot judge (version {current})"
    )]
    LegacyEncoding {
        token_id: String,
        encoding: u32,
        current: u32,
    },

    #[error("{address} is not a verifier")]
    NotVerifier { address: String },

    #[error("bond {bonded} is below the minimum {min}")]
    InsufficientBond { bonded: Uint128, min: Uint128 },

    #[error("verifier was slashed")]
    VerifierSlashed {},

    #[error("a challenge key is a 33-byte compressed secp256k1 public key")]
    InvalidChallengeKey {},

    #[error("the signature does not prove possession of the challenge key")]
    ChallengeKeyNotProven {},

    #[error("this challenge key belongs to another verifier")]
    ChallengeKeyTaken {},

    #[error("register a challenge key first (SetChallengeKey): provers serve only known keys")]
    NoChallengeKey {},

    #[error("cannot unbond {requested}: {bonded} bonded")]
    UnbondTooLarge { requested: Uint128, bonded: Uint128 },

    #[error("nothing to withdraw before {release_at} s")]
    NothingToWithdraw { release_at: u64 },

    #[error("{open} challenges are still open")]
    ChallengesOpen { open: u32 },

    #[error("too many open challenges (at most {max})")]
    TooManyChallenges { max: u32 },

    #[error("entropy already committed in round {round}")]
    EntropyAlreadyCommitted { round: u64 },

    #[error("no entropy committed in the previous round")]
    NoEntropyCommitted {},

    #[error("secret does not match its commitment")]
    WrongSecret {},

    #[error("this secret hash was already used")]
    SecretReused {},

    #[error("challenge {id} is unknown")]
    UnknownChallenge { id: u64 },

    #[error("challenge is {status}, not {expected}")]
    WrongStatus { status: String, expected: String },

    #[error("no final beacon round with the entropy quorum after round {round} yet")]
    RandomnessPending { round: u64 },

    #[error("the challenge's time is over")]
    ChallengeLapsed {},

    #[error("the challenge's time is not over")]
    NotLapsed {},

    #[error("no eligible device to assign")]
    NoEligibleTarget {},

    #[error("only the challenge's verifier may submit")]
    NotChallenger {},

    #[error("the answer is not signed by the device for this challenge")]
    NotSignedForChallenge {},

    #[error("the answer is malformed: {reason}")]
    MalformedAnswer { reason: String },

    #[error("a pass needs a valid signed answer: {reason}")]
    InvalidPass { reason: String },

    #[error("latency {latency_ms} ms is over the {deadline_ms} ms deadline: submit Late")]
    LatencyOverDeadline { latency_ms: u64, deadline_ms: u64 },

    #[error("latency {latency_ms} ms is within the deadline: not late")]
    NotLate { latency_ms: u64 },

    #[error("try {attempt} of a challenge: at most 1 (a retry after a refusal)")]
    BadAttempt { attempt: u32 },

    #[error("GEMM try {gemm_try}: at most 2 (retries after a busy card)")]
    BadGemmTry { gemm_try: u32 },

    #[error("the device's class asks a GEMM throughput part: the Pass must carry its signed root")]
    ThroughputMissing {},

    #[error("the device's class asks no GEMM throughput part")]
    ThroughputNotAsked {},

    #[error("GEMM root after {latency_ms} ms, over its deadline of {deadline_ms} ms")]
    ThroughputOverDeadline { latency_ms: u64, deadline_ms: u64 },

    #[error("a bad-proof claim names an opening below {k} and a block of it")]
    InvalidClaim { k: u32 },

    #[error("the claimed leaf is not the one the device signed")]
    LeafNotSigned {},

    #[error("re-checking {steps} Sloth steps is over the {max} allowed: name one block")]
    RecheckTooCostly { steps: u64, max: u64 },

    #[error("only the device's owner may defend it")]
    NotDeviceOwner {},

    #[error("the new device key is the current one")]
    SameDeviceKey {},

    #[error(
        "device key {key} was retired by an earlier rotation of this device; rotate to a new key"
    )]
    RetiredDeviceKey { key: String },

    #[error("the {key} key's signature over the key rotation does not verify")]
    InvalidRotationSignature { key: String },

    #[error("the path does not lead the disputed leaf to the root")]
    InvalidPath {},

    #[error("certificate {token_id} is active until {expiry} s: its device stays in the draw")]
    CertificateStillActive { token_id: String, expiry: u64 },

    #[error("challenge {challenge_id} on device {token_id} is still open")]
    DeviceChallenged { token_id: String, challenge_id: u64 },

    #[error("reward reply carries no valid payload")]
    BadReplyPayload {},

    #[error("unknown reply id {id}")]
    UnknownReply { id: u64 },

    #[error("a Pass's chain of {rounds} reads is below the {min} the registry asks")]
    ChainTooShort { rounds: u32, min: u32 },

    #[error("challenge {id} recorded no transcript: nothing to audit")]
    NotAuditable { id: u64 },

    #[error("the audit window of challenge {id} closed at {until}")]
    AuditWindowClosed { id: u64, until: u64 },

    #[error("step {round} is outside the transcript's {rounds} reads")]
    StepOutOfRange { round: u32, rounds: u32 },

    #[error("step {round} is right: an audit with a proof must show a bad step")]
    StepSound { round: u32 },

    #[error("the audit asks for step {expected}, not {got}")]
    WrongStep { expected: u32, got: u32 },

    #[error("the audit of challenge {id} is of {}: answer it with {}", if *.gemm { "its GEMM" } else { "a step" }, if *.gemm { "AnswerGemmAudit" } else { "AnswerAudit" })]
    WrongAuditKind { id: u64, gemm: bool },

    #[error("the Pass of challenge {id} carries no GEMM root to audit")]
    NoGemmToAudit { id: u64 },

    #[error("GEMM audit cells: {reason}")]
    BadGemmCells { reason: String },

    #[error("the row shown is not the committed one: {reason}")]
    BadGemmRow { reason: String },

    #[error(
        "row {row} is right at the named columns: an audit with a proof must show a wrong entry"
    )]
    GemmRowSound { row: u64 },

    #[error("the opened steps are not the signed transcript's: {reason}")]
    BadStepProof { reason: String },

    #[error("the audit's time to answer ended at {deadline}")]
    AuditLapsed { deadline: u64 },

    #[error("the Pass's verifier and the device's owner answer audits, they do not open them")]
    OwnAudit {},

    #[error("the sender already audited challenge {id}")]
    AlreadyAudited { id: u64 },

    #[error("a Pass has at most {open} audits open and {total} in all")]
    TooManyAudits { open: u32, total: u32 },

    #[error("no open audit of challenge {id} by {auditor}")]
    NoOpenAudit { id: u64, auditor: String },

    #[error("a Pass of this verifier can be audited until {until} s: nothing is withdrawn before")]
    StillLiable { until: u64 },

    #[error("device {token_id} is accused of lateness: it stays until the accusation is decided")]
    DeviceAccused { token_id: String },

    #[error("device {token_id} is not accused of lateness")]
    NotAccused { token_id: String },

    #[error("device {token_id} has an appeal in progress")]
    AppealPending { token_id: String },

    #[error("device {token_id} has no appeal to draw")]
    NoAppeal { token_id: String },

    #[error("the time to appeal (or to draw the appeal) ended at {until} s")]
    AppealLapsed { until: u64 },

    #[error("the device may still appeal until {until} s")]
    AppealWindowOpen { until: u64 },

    #[error("an accusation may be appealed {max} times")]
    TooManyAppeals { max: u32 },

    #[error("{eligible} verifiers may be drawn; the draw needs {needed}")]
    TooFewVerifiers { eligible: u32, needed: u32 },

    #[error("device {token_id}'s class has no sweeps")]
    NoSweeps { token_id: String },

    #[error("the sweep's window opens at {opens_at} s")]
    SweepNotOpen { opens_at: u64 },

    #[error("the sweep's answer was due by {until} s: too late to draw it")]
    SweepLapsed { until: u64 },

    #[error("the sweep of this window is drawn already: challenge {challenge_id}")]
    SweepDrawn { challenge_id: u64 },

    #[error(
        "no beacon round that may draw window {window}'s sweep reached the quorum: it goes unswept"
    )]
    SweepUndrawable { window: u64 },

    #[error(
        "a sweep's GEMM is asked once: try {gemm_try} is a retry, and a card busy with another identity's is not excused"
    )]
    SweepRetry { gemm_try: u32 },

    #[error("the device's class asks its GEMM in sweeps only: this challenge carries none")]
    ThroughputOnlyInSweeps {},

    #[error(
        "the class sweeps every {sweep_seconds} s: shorter than the {least} s its draw rounds and response time take, so its sweeps could overlap"
    )]
    SweepTooShort { sweep_seconds: u64, least: u64 },

    #[error(
        "the class sweeps, and this registry allows no appeal: missed sweeps would invalidate on the drawn verifiers' word alone"
    )]
    SweepsWithoutAppeals {},
}
