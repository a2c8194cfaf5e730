//! The unsigned transactions' error type, [`AdminTxError`]: an address, a message or a flag that
//! does not fit, or a chain that would refuse the transaction.

use loopin_chain_client::ClientError;
use loopin_chain_client::cosmrs::proto::prost::DecodeError;

/// Why an unsigned transaction was not built.
#[derive(Debug, thiserror::Error)]
pub enum AdminTxError {
    /// `what` ("sender", "contract", "new admin") is not bech32 at all.
    #[error("{what} {text:?} is not a bech32 address: {reason}")]
    NotBech32 {
        what: String,
        text: String,
        reason: String,
    },
    #[error(
        "{what} {text} is not an address of this chain: its prefix is {prefix:?}, the chain's {chain_prefix:?}"
    )]
    OtherChain {
        what: String,
        text: String,
        prefix: String,
        chain_prefix: String,
    },
    /// The `what` ("migrate", "execute") message is not a JSON object.
    #[error("the {what} message must be a JSON object, not {msg}")]
    NotObject {
        what: &'static str,
        msg: serde_json::Value,
    },
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    /// cosmrs could not encode the message as an `Any`.
    #[error("encoding the message: {0}")]
    Encode(String),
    #[error("denom {denom:?}: {reason}")]
    Denom { denom: String, reason: String },
    #[error("fee denom: {reason}")]
    FeeDenom { denom: String, reason: String },
    #[error("the sender's multisig key: {0}")]
    MultisigKey(DecodeError),
    /// The transaction's body could not be encoded.
    #[error("{0}")]
    Body(String),
    /// The chain refused the simulation: its message.
    #[error("{0}")]
    SimulationRefused(String),
    #[error("simulating the transaction from {sender} (give --gas to skip the simulation)")]
    Simulate {
        sender: String,
        #[source]
        source: Box<AdminTxError>,
    },
    #[error("looking up the sender {sender}")]
    LookupSender {
        sender: String,
        #[source]
        source: Box<ClientError>,
    },
    #[error("the sender {sender} has no account on {chain_id}: send it the fees first")]
    NoAccount { sender: String, chain_id: String },
    #[error("no contract {contract} on {chain_id} (the chain answered: {answer})")]
    NoContract {
        contract: String,
        chain_id: String,
        answer: String,
    },
    #[error("querying the contract {contract}")]
    QueryContract {
        contract: String,
        #[source]
        source: Box<ClientError>,
    },
    #[error(
        "{contract}'s wasm admin is {admin}, not the sender {sender}: the chain would refuse the transaction"
    )]
    NotAdmin {
        contract: String,
        admin: String,
        sender: String,
    },
    #[error("no code {code_id} on {chain_id} (the chain answered: {answer})")]
    NoCode {
        code_id: u64,
        chain_id: String,
        answer: String,
    },
    /// The code query failed otherwise: the gRPC status, as tonic prints it.
    #[error("querying code {code_id}: {status}")]
    QueryCode { code_id: u64, status: String },
    #[error("{new_admin} is already {contract}'s wasm admin")]
    AlreadyAdmin { new_admin: String, contract: String },
    /// `--msg @FILE` could not be read.
    #[error("reading {path}")]
    ReadMsg {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the message is not JSON")]
    MsgNotJson(#[source] serde_json::Error),
}
