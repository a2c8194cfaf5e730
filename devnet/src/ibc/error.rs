//! Why an IBC message was refused: one variant per rule, each with its ABCI code in the `ibc`
//! codespace (the table in docs/devnet.md, "IBC").

use crate::exec::ExecError;

/// The codespace of every IBC error.
pub const CODESPACE: &str = "ibc";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IbcError {
    /// A malformed or incomplete message.
    #[error("{0}: invalid message")]
    Invalid(String),
    #[error("client {0} not found")]
    ClientNotFound(String),
    /// A client state or consensus state that is not a usable signature client.
    #[error("invalid client: {0}")]
    InvalidClient(String),
    #[error("client {0} is frozen")]
    ClientFrozen(String),
    /// A proof that does not verify against the client.
    #[error("invalid proof of {path} at height {height}: {reason}")]
    InvalidProof {
        path: String,
        height: u64,
        reason: String,
    },
    #[error("connection {0} not found")]
    ConnectionNotFound(String),
    #[error("connection {id} is {state}, expected {expected}")]
    ConnectionState {
        id: String,
        state: String,
        expected: &'static str,
    },
    #[error("connection version {0} is not supported (identifier \"1\" with ORDER_UNORDERED)")]
    ConnectionVersion(String),
    #[error("channel {port}/{channel} not found")]
    ChannelNotFound { port: String, channel: String },
    #[error("channel {port}/{channel} is {state}, expected {expected}")]
    ChannelState {
        port: String,
        channel: String,
        state: String,
        expected: &'static str,
    },
    #[error("ordered channels are not supported on the devnet (UNORDERED only)")]
    Ordered,
    #[error("port {0} is not bound to a module or an IBC-enabled contract")]
    PortNotBound(String),
    #[error("port {port} does not belong to {sender}")]
    PortUnauthorized { port: String, sender: String },
    /// A packet that does not belong where it is relayed, or has no timeout.
    #[error("invalid packet: {0}")]
    InvalidPacket(String),
    #[error("packet timed out: {0}")]
    PacketTimedOut(String),
    #[error("packet already received: {port}/{channel} sequence {sequence}")]
    AlreadyReceived {
        port: String,
        channel: String,
        sequence: u64,
    },
    #[error(
        "packet commitment not found: {port}/{channel} sequence {sequence} (already acknowledged or timed out, or never sent)"
    )]
    CommitmentNotFound {
        port: String,
        channel: String,
        sequence: u64,
    },
    #[error(
        "packet commitment mismatch: {port}/{channel} sequence {sequence} was sent with other data or timeout"
    )]
    CommitmentMismatch {
        port: String,
        channel: String,
        sequence: u64,
    },
    #[error("packet has not timed out: {0}")]
    NotTimedOut(String),
    #[error("{0}: not supported on the devnet")]
    Unsupported(String),
    #[error("invalid channel version: {0}")]
    ChannelVersion(String),
    /// ICS-20 refusals of a `MsgTransfer`, a channel or a close.
    #[error("transfer: {0}")]
    Transfer(String),
}

impl IbcError {
    pub fn code(&self) -> u32 {
        match self {
            Self::Invalid(_) => 1,
            Self::ClientNotFound(_) => 2,
            Self::InvalidClient(_) => 3,
            Self::ClientFrozen(_) => 4,
            Self::InvalidProof { .. } => 5,
            Self::ConnectionNotFound(_) => 6,
            Self::ConnectionState { .. } => 7,
            Self::ConnectionVersion(_) => 8,
            Self::ChannelNotFound { .. } => 9,
            Self::ChannelState { .. } => 10,
            Self::Ordered => 11,
            Self::PortNotBound(_) => 12,
            Self::PortUnauthorized { .. } => 13,
            Self::InvalidPacket(_) => 14,
            Self::PacketTimedOut(_) => 15,
            Self::AlreadyReceived { .. } => 16,
            Self::CommitmentNotFound { .. } => 17,
            Self::CommitmentMismatch { .. } => 18,
            Self::NotTimedOut(_) => 19,
            Self::Unsupported(_) => 20,
            Self::ChannelVersion(_) => 21,
            Self::Transfer(_) => 22,
        }
    }
}

impl From<IbcError> for ExecError {
    fn from(e: IbcError) -> Self {
        ExecError::new(CODESPACE, e.code(), e.to_string())
    }
}
