//! Why a pass over the device's audits stopped, and why the device does not answer an audit.

use loopin_chain_client::ClientError;
use loopin_pocps::merkle::Hash;

/// Why a pass over the device's audits stopped.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("reading the device's audits: {0}")]
    Chain(#[from] ClientError),
    #[error("recomputing a step: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// Why the device does not answer an audit itself.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum NotAnswered {
    #[error("a field of the audit has the wrong length")]
    Malformed,
    #[error("the recomputed transcript is not the one the device signed (P changed?)")]
    NotSigned,
    #[error("step {round} is outside the transcript's {rounds} reads")]
    OutOfRange { round: u32, rounds: u32 },
    #[error("the device signed a bad step: {0} (answering would prove its own fault)")]
    OwnFault(String),
    #[error("the step does not check: {0}")]
    Unchecked(String),
    #[error("the audit's cells are not drawn yet")]
    NotDrawn,
}

pub(crate) fn hash32(bytes: &[u8]) -> Result<Hash, NotAnswered> {
    bytes.try_into().map_err(|_| NotAnswered::Malformed)
}
