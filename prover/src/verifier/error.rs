//! Why the verifier could not read a commitment, reach a prover or get its openings.

use crate::wire::WireError;

/// What went wrong on the verifier's side of a challenge (never a verdict by itself: a phase
/// that fails records its reason in the verdict).
#[derive(Debug, thiserror::Error)]
pub enum VerifierError {
    /// A commitment file's root is not 32 bytes of hex.
    #[error("root must be 32 bytes of hex")]
    CommitmentRoot,
    /// A commitment file's ek is not 16 bytes of hex.
    #[error("ek must be 16 bytes of hex")]
    CommitmentEk,
    /// A commitment file's device key is not hex.
    #[error("device_pubkey: {0}")]
    DevicePubkey(hex::FromHexError),
    /// The prover's endpoint is not a URI.
    #[error("bad endpoint {endpoint}: {error}")]
    Endpoint {
        endpoint: String,
        error: tonic::transport::Error,
    },
    /// The prover did not open its committed chain in time.
    #[error("no opening within {0} s")]
    NoOpening(u64),
    /// The prover refused to open its committed chain.
    #[error("{code:?}: {message}")]
    OpenRefused { code: tonic::Code, message: String },
    /// The prover did not open the GEMM rows in time.
    #[error("no rows within {0} s")]
    NoRows(u64),
    /// The prover refused to open the GEMM rows.
    #[error("open refused: {code:?}: {message}")]
    RowsRefused { code: tonic::Code, message: String },
    /// An opening's bytes do not decode.
    #[error(transparent)]
    Wire(#[from] WireError),
}
