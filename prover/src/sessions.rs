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
    /// A throughput batch: its outputs and their tree.
    Throughput {
        /// Batch width W.
        width: u64,
        /// The W outputs.
        outputs: Vec<u128>,
        /// Tree over their leaf hashes.
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
    /// No session of this id for this verifier (never opened, expired, opened already, or
    /// another verifier's).
    #[error("no such session for this verifier")]
    NotFound,
}

/// The open sessions.
pub struct Sessions {
    map: Mutex<HashMap<[u8; 16], Session>>,
    max: usize,
    ttl: Duration,
}

impl Sessions {
    /// At most `max` sessions, each kept `ttl`.
    pub fn new(max: usize, ttl: Duration) -> Sessions {
        Sessions {
            map: Mutex::new(HashMap::new()),
            max,
            ttl,
        }
    }

    fn purged(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 16], Session>> {
        let mut m = self.map.lock().unwrap_or_else(|e| e.into_inner());
        let ttl = self.ttl;
        m.retain(|_, v| v.created.elapsed() < ttl);
        m
    }

    /// Whether another session could be opened now (checked before the work of phase 1).
    pub fn has_room(&self) -> bool {
        self.purged().len() < self.max
    }

    /// Opens a session for `verifier`; its id is random.
    pub fn insert(&self, verifier: Vec<u8>, pending: Pending) -> Result<[u8; 16], SessionError> {
        let mut m = self.purged();
        if m.len() >= self.max {
            return Err(SessionError::Full);
        }
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
