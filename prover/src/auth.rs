//! Who may challenge: verifier signatures over challenge headers, assignments (a trait: a static
//! allowlist here, the chain later), freshness and replay protection, per-verifier rate limiting.
//!
//! Everything here runs before any proof work and is cheap: an unassigned key is refused with one
//! map lookup, before its signature is even checked.

use k256::ecdsa::{SigningKey, VerifyingKey};
use loopin_pocps::gemm::Shape;
use loopin_pocps::merkle::Hash;
use loopin_pocps::sig::{K256Verifier, SigVerifier, k256_sign};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Which call a signed header authorises (part of the signed message).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Timed challenge + round openings.
    Challenge = 1,
    /// Throughput (GEMM) commitment.
    Throughput = 2,
    /// Throughput (GEMM) row openings.
    ThroughputOpen = 3,
    /// Timed challenge, phase 2 (transcript and openings).
    ChallengeOpen = 4,
}

impl Kind {
    /// Whether a call of this kind starts a computation (and a session), rather than opening
    /// one a verifier already holds.
    pub fn starts_work(self) -> bool {
        matches!(self, Kind::Challenge | Kind::Throughput)
    }
}

/// A signed header, as carried by the proto `Auth` message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// Verifier public key (SEC1).
    pub verifier_pubkey: Vec<u8>,
    /// Nonce (served once).
    pub nonce: u64,
    /// Verifier clock, ms since the epoch.
    pub issued_at_ms: u64,
    /// Compact signature.
    pub signature: Vec<u8>,
}

/// The message a verifier signs: binds the call kind, the prover (its root), the verifier, the nonce,
/// the time and the request body (see `body_*`).
pub fn header_message(
    kind: Kind,
    prover_root: &Hash,
    verifier_pubkey: &[u8],
    nonce: u64,
    issued_at_ms: u64,
    body: &Hash,
) -> Hash {
    Sha256::new()
        .chain_update(b"loopin-prover/auth/v1")
        .chain_update([kind as u8])
        .chain_update(prover_root)
        .chain_update((verifier_pubkey.len() as u64).to_le_bytes())
        .chain_update(verifier_pubkey)
        .chain_update(nonce.to_le_bytes())
        .chain_update(issued_at_ms.to_le_bytes())
        .chain_update(body)
        .finalize()
        .into()
}

/// Body hash of a Challenge.
pub fn body_challenge(seed: &[u8], chain_rounds: u32, spots: u32, openings: u32) -> Hash {
    Sha256::new()
        .chain_update((seed.len() as u64).to_le_bytes())
        .chain_update(seed)
        .chain_update(chain_rounds.to_le_bytes())
        .chain_update(spots.to_le_bytes())
        .chain_update(openings.to_le_bytes())
        .finalize()
        .into()
}

/// Body hash of a ChallengeOpen request.
pub fn body_challenge_open(session: &[u8], nonce: &[u8]) -> Hash {
    Sha256::new()
        .chain_update((session.len() as u64).to_le_bytes())
        .chain_update(session)
        .chain_update((nonce.len() as u64).to_le_bytes())
        .chain_update(nonce)
        .finalize()
        .into()
}

/// Body hash of a Throughput (GEMM) request.
pub fn body_throughput(seed: &[u8], shape: Shape) -> Hash {
    Sha256::new()
        .chain_update((seed.len() as u64).to_le_bytes())
        .chain_update(seed)
        .chain_update(shape.m.to_le_bytes())
        .chain_update(shape.k.to_le_bytes())
        .chain_update(shape.n.to_le_bytes())
        .finalize()
        .into()
}

/// Body hash of a ThroughputOpen request.
pub fn body_open(session: &[u8], indices: &[u64]) -> Hash {
    let mut h = Sha256::new();
    h.update((session.len() as u64).to_le_bytes());
    h.update(session);
    for i in indices {
        h.update(i.to_le_bytes());
    }
    h.finalize().into()
}

/// Sign a header (verifier side).
pub fn sign_header(
    key: &SigningKey,
    kind: Kind,
    prover_root: &Hash,
    nonce: u64,
    issued_at_ms: u64,
    body: &Hash,
) -> Header {
    let pk = pubkey_bytes(key);
    let msg = header_message(kind, prover_root, &pk, nonce, issued_at_ms, body);
    Header {
        signature: k256_sign(key, &msg),
        verifier_pubkey: pk,
        nonce,
        issued_at_ms,
    }
}

/// SEC1 compressed public key.
pub fn pubkey_bytes(key: &SigningKey) -> Vec<u8> {
    loopin_pocps::sig::k256_pubkey(key)
}

/// A fresh key from OS randomness.
pub fn random_key() -> SigningKey {
    loop {
        let mut b = [0u8; 32];
        if getrandom::getrandom(&mut b).is_ok()
            && let Ok(k) = SigningKey::from_slice(&b)
        {
            return k;
        }
    }
}

/// 32 random bytes.
pub fn random_bytes() -> [u8; 32] {
    let mut b = [0u8; 32];
    // A failing OS RNG leaves no safe fallback: hash the time and a counter instead of panicking.
    if getrandom::getrandom(&mut b).is_err() {
        let t = now_ms().to_le_bytes();
        b = Sha256::digest(t).into();
    }
    b
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// A verifier's assignment to this prover.
#[derive(Clone, Debug, PartialEq)]
pub struct Assignment {
    /// Challenges per second allowed (sustained).
    pub rate_per_s: f64,
    /// Burst allowed.
    pub burst: f64,
    /// Its open challenges on this device, by answer-by time (Unix seconds): one GEMM each, so
    /// an assigned verifier cannot keep the card busy. `None`: no limit (a static allowlist).
    pub gemm_tickets: Option<Vec<u64>>,
}

/// Source of assignments: which verifier keys may challenge this prover right now.
/// Production reads bonded verifiers' assignments from the chain; tests use [`StaticAllowlist`].
pub trait Assignments: Send + Sync {
    /// The assignment of `verifier_pubkey`, if any. Must be cheap (called before any other check).
    fn assignment(&self, verifier_pubkey: &[u8]) -> Option<Assignment>;
}

/// A fixed set of verifier keys with one rate each.
#[derive(Clone, Debug, Default)]
pub struct StaticAllowlist {
    keys: HashMap<Vec<u8>, Assignment>,
}

impl StaticAllowlist {
    /// Allow these keys (SEC1 bytes), each at `rate_per_s` with `burst`.
    pub fn new(keys: impl IntoIterator<Item = Vec<u8>>, rate_per_s: f64, burst: f64) -> Self {
        StaticAllowlist {
            keys: keys
                .into_iter()
                .map(|k| {
                    (
                        k,
                        Assignment {
                            rate_per_s,
                            burst,
                            gemm_tickets: None,
                        },
                    )
                })
                .collect(),
        }
    }
    /// Number of keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }
    /// No keys.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

impl Assignments for StaticAllowlist {
    fn assignment(&self, verifier_pubkey: &[u8]) -> Option<Assignment> {
        self.keys.get(verifier_pubkey).cloned()
    }
}

/// Why a header was refused (mapped to gRPC codes by the service).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Malformed header.
    #[error("malformed auth header: {0}")]
    Malformed(&'static str),
    /// Key not assigned to this prover.
    #[error("verifier not assigned to this prover")]
    Unassigned,
    /// Issued too long ago or in the future.
    #[error("challenge not fresh (issued_at outside the window)")]
    Stale,
    /// Bad signature.
    #[error("bad verifier signature")]
    BadSignature,
    /// Nonce already used.
    #[error("nonce already used")]
    Replay,
    /// Over the verifier's rate.
    #[error("rate limit exceeded for this verifier")]
    RateLimited,
}

struct Bucket {
    tokens: f64,
    last: Instant,
}

struct Seen {
    set: HashSet<(Vec<u8>, u64)>,
    order: VecDeque<(Instant, Vec<u8>, u64)>,
}

/// The gate every signed request goes through.
pub struct Gate {
    assignments: Box<dyn Assignments>,
    window: Duration,
    buckets: Mutex<HashMap<Vec<u8>, Bucket>>,
    seen: Mutex<Seen>,
}

impl Gate {
    /// `window`: accepted clock difference either way; nonces are remembered for twice that.
    pub fn new(assignments: Box<dyn Assignments>, window: Duration) -> Gate {
        Gate {
            assignments,
            window,
            buckets: Mutex::new(HashMap::new()),
            seen: Mutex::new(Seen {
                set: HashSet::new(),
                order: VecDeque::new(),
            }),
        }
    }

    /// The current assignment of `verifier_pubkey` (after [`Gate::check`] admitted it).
    pub fn assignment(&self, verifier_pubkey: &[u8]) -> Option<Assignment> {
        self.assignments.assignment(verifier_pubkey)
    }

    /// Check a header: assignment, shape, freshness, signature, replay, rate, in that order (cheapest
    /// first; the rate bucket is charged only for authenticated requests, so a forger using an
    /// assigned verifier's public key cannot drain that verifier's budget).
    pub fn check(
        &self,
        kind: Kind,
        prover_root: &Hash,
        h: &Header,
        body: &Hash,
    ) -> Result<(), Refusal> {
        if h.verifier_pubkey.len() != 33 && h.verifier_pubkey.len() != 65 {
            return Err(Refusal::Malformed("verifier_pubkey must be 33 or 65 bytes"));
        }
        let a = self
            .assignments
            .assignment(&h.verifier_pubkey)
            .ok_or(Refusal::Unassigned)?;
        if h.signature.len() != 64 {
            return Err(Refusal::Malformed("signature must be 64 bytes"));
        }
        let now = now_ms();
        let w = self.window.as_millis() as u64;
        if h.issued_at_ms.saturating_add(w) < now || h.issued_at_ms > now.saturating_add(w) {
            return Err(Refusal::Stale);
        }
        let msg = header_message(
            kind,
            prover_root,
            &h.verifier_pubkey,
            h.nonce,
            h.issued_at_ms,
            body,
        );
        if VerifyingKey::from_sec1_bytes(&h.verifier_pubkey).is_err()
            || !K256Verifier.verify(&msg, &h.signature, &h.verifier_pubkey)
        {
            return Err(Refusal::BadSignature);
        }
        {
            let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
            let t = Instant::now();
            while let Some((at, _, _)) = seen.order.front() {
                if t.duration_since(*at) > 2 * self.window {
                    if let Some((_, k, n)) = seen.order.pop_front() {
                        seen.set.remove(&(k, n));
                    }
                } else {
                    break;
                }
            }
            let id = (h.verifier_pubkey.clone(), h.nonce);
            if seen.set.contains(&id) {
                return Err(Refusal::Replay);
            }
            // Rate first, so refused requests do not fill the replay cache. Only the calls that
            // start work are charged: a phase-2 call continues a session the first call paid
            // for, and each session is opened once.
            if kind.starts_work() {
                self.take_token(&h.verifier_pubkey, &a)?;
            }
            seen.set.insert(id.clone());
            seen.order.push_back((t, id.0, id.1));
        }
        Ok(())
    }

    fn take_token(&self, key: &[u8], a: &Assignment) -> Result<(), Refusal> {
        let mut b = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let e = b.entry(key.to_vec()).or_insert(Bucket {
            tokens: a.burst,
            last: now,
        });
        let dt = now.duration_since(e.last).as_secs_f64();
        e.tokens = (e.tokens + dt * a.rate_per_s).min(a.burst);
        e.last = now;
        if e.tokens >= 1.0 {
            e.tokens -= 1.0;
            Ok(())
        } else {
            Err(Refusal::RateLimited)
        }
    }
}
