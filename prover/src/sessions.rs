//! Sessions between the two calls of a two-phase challenge (timed: `Challenge` then
//! `ChallengeOpen`; throughput: `Throughput` then `ThroughputOpen`): few, short-lived, owned by the
//! verifier that opened them, and opened once.

use loopin_pocps::merkle::{Hash, Tree};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What phase 1 left for phase 2.
pub enum Pending {
    /// A timed chain: its transcript, opened at the spots the verifier's nonce picks.
    Timed {
        /// Challenge seed.
        seed: Hash,
        /// The reads of the chain.
        transcript: Vec<u128>,
        /// Spot openings s.
        spots: u32,
        /// Round openings k.
        openings: u32,
    },
    /// A GEMM throughput commitment: its seed and shape (the opened rows are recomputed from
    /// them) and the tree of its row leaves. Nothing of C is kept.
    Throughput {
        /// GEMM seed.
        seed: Hash,
        /// Shape of the product.
        shape: loopin_pocps::gemm::Shape,
        /// Tree over the row leaves.
        tree: Tree,
    },
}

struct Session {
    verifier: Vec<u8>,
    pending: Pending,
    created: Instant,
}

/// Why a session could not be opened.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    /// As many sessions as allowed are open.
    #[error("too many open sessions")]
    Full,
    /// This verifier holds as many sessions as one verifier may (so no verifier can hold every
    /// session and shut the others out).
    #[error("too many open sessions for this verifier")]
    VerifierFull,
    /// No session of this id for this verifier (never opened, expired, opened already, or
    /// another verifier's).
    #[error("no such session for this verifier")]
    NotFound,
}

/// The open sessions.
pub struct Sessions {
    map: Mutex<HashMap<[u8; 16], Session>>,
    max: usize,
    per_verifier: usize,
    ttl: Duration,
}

impl Sessions {
    /// At most `max` sessions, `per_verifier` of them one verifier's, each kept `ttl`.
    pub fn new(max: usize, per_verifier: usize, ttl: Duration) -> Sessions {
        Sessions {
            map: Mutex::new(HashMap::new()),
            max,
            per_verifier,
            ttl,
        }
    }

    fn purged(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 16], Session>> {
        let mut m = self.map.lock().unwrap_or_else(|e| e.into_inner());
        let ttl = self.ttl;
        m.retain(|_, v| v.created.elapsed() < ttl);
        m
    }

    fn room(&self, m: &HashMap<[u8; 16], Session>, verifier: &[u8]) -> Result<(), SessionError> {
        if m.len() >= self.max {
            return Err(SessionError::Full);
        }
        if m.values().filter(|s| s.verifier == verifier).count() >= self.per_verifier {
            return Err(SessionError::VerifierFull);
        }
        Ok(())
    }

    /// Whether `verifier` could open another session now (checked before the work of phase 1).
    pub fn has_room(&self, verifier: &[u8]) -> bool {
        self.room(&self.purged(), verifier).is_ok()
    }

    /// Opens a session for `verifier`; its id is random.
    pub fn insert(&self, verifier: Vec<u8>, pending: Pending) -> Result<[u8; 16], SessionError> {
        let mut m = self.purged();
        self.room(&m, &verifier)?;
        let mut id = [0u8; 16];
        id.copy_from_slice(&crate::auth::random_bytes()[..16]);
        m.insert(
            id,
            Session {
                verifier,
                pending,
                created: Instant::now(),
            },
        );
        Ok(id)
    }

    /// Takes `verifier`'s session `id` out, if `check` accepts what it holds; a refused request
    /// leaves the session as it was.
    pub fn take<E: From<SessionError>>(
        &self,
        id: &[u8; 16],
        verifier: &[u8],
        check: impl FnOnce(&Pending) -> Result<(), E>,
    ) -> Result<Pending, E> {
        let mut m = self.purged();
        match m.get(id) {
            Some(s) if s.verifier == verifier => check(&s.pending)?,
            _ => return Err(SessionError::NotFound.into()),
        }
        m.remove(id)
            .map(|s| s.pending)
            .ok_or_else(|| SessionError::NotFound.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timed() -> Pending {
        Pending::Timed {
            seed: [0; 32],
            transcript: vec![1, 2, 3],
            spots: 1,
            openings: 0,
        }
    }

    #[test]
    fn one_verifier_cannot_hold_every_session() {
        let s = Sessions::new(8, 2, Duration::from_secs(30));
        let (a, b) = (b"verifier-a".to_vec(), b"verifier-b".to_vec());
        for _ in 0..2 {
            s.insert(a.clone(), timed()).expect("within its share");
        }
        assert!(!s.has_room(&a));
        assert_eq!(
            s.insert(a.clone(), timed()),
            Err(SessionError::VerifierFull)
        );
        assert!(s.has_room(&b));
        let id = s
            .insert(b.clone(), timed())
            .expect("another verifier still gets one");
        // Opening one frees its place.
        assert!(s.take::<SessionError>(&id, &b, |_| Ok(())).is_ok());
        assert_eq!(
            s.take::<SessionError>(&id, &b, |_| Ok(())).err(),
            Some(SessionError::NotFound),
            "opened once"
        );
    }

    #[test]
    fn a_refused_open_leaves_the_session_and_another_verifier_cannot_take_it() {
        let s = Sessions::new(8, 2, Duration::from_secs(30));
        let id = s.insert(b"a".to_vec(), timed()).unwrap();
        assert_eq!(
            s.take::<SessionError>(&id, b"b", |_| Ok(())).err(),
            Some(SessionError::NotFound)
        );
        assert_eq!(
            s.take(&id, b"a", |_| Err(SessionError::Full)).err(),
            Some(SessionError::Full)
        );
        assert!(s.take::<SessionError>(&id, b"a", |_| Ok(())).is_ok());
    }
}
