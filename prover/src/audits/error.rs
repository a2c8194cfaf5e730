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
    /// Answering needs the registry and the device's certificate.
    #[error("chain.audit_key_file needs chain.registry and chain.token_id")]
    NoRegistry,
    /// The key that signs the answers could not be read.
    #[error("chain.audit_key_file: {0}")]
    Key(ClientError),
    /// The node could not be reached.
    #[error("chain {node}: {error}")]
    Connect {
        /// The node's gRPC endpoint.
        node: String,
        error: ClientError,
    },
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
