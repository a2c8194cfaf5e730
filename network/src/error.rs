//! The network's error type, [`NetworkError`]: what can stop an actor, a miner, a verifier agent
//! or the market scenario, and its [`Result`].
//!
//! A step that fails names who was doing what (the actor, the miner, the path) and keeps the
//! underlying error as its source, so that `{:#}` prints both.

use std::path::PathBuf;
use std::process::ExitStatus;

use loopin_chain_client::ClientError;
use loopin_prover::verifier::VerifierError;
use loopin_prover::wire::WireError;
use loopin_relayer::error::KeeperError;

/// What can go wrong running the network's participants.
#[derive(Debug, thiserror::Error)]
pub enum NetworkError {
    /// A query or a transaction outside the named steps.
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    /// A contract message that does not serialize (a cw20 hook).
    #[error(transparent)]
    Cosmwasm(#[from] Box<cosmwasm_std::StdError>),
    /// A transaction's attribute that is not a number.
    #[error(transparent)]
    ParseInt(#[from] std::num::ParseIntError),

    // Actors and the clock.
    #[error("connecting {name}")]
    Connect {
        name: String,
        #[source]
        source: Box<ClientError>,
    },
    #[error("no wasm attribute {key} in {txhash}")]
    NoWasmAttr { key: String, txhash: String },
    #[error("asking the node for the devnet's admin service")]
    DevnetProbe(#[source] Box<ClientError>),
    #[error("faucet for {to}")]
    Faucet {
        to: String,
        #[source]
        source: Box<ClientError>,
    },
    #[error("fee tokens for {to} from {from}")]
    FeeTokens {
        to: String,
        from: String,
        #[source]
        source: Box<ClientError>,
    },

    // Miners and their provers.
    #[error("prover config")]
    ProverConfig(#[source] toml::ser::Error),
    #[error("writing {}", .path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("removing {}", .path.display())]
    Remove {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A process (`what`: "loopin-prover init", "the prover of lp-long", "the epoch keeper")
    /// that did not start.
    #[error("starting {what}")]
    Spawn {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{what} failed ({status}): {stderr}")]
    CommandFailed {
        what: String,
        status: ExitStatus,
        stderr: String,
    },
    #[error("the prover of {miner} exited: {status}; {}:\n{tail}", .log.display())]
    ProverExited {
        miner: String,
        status: ExitStatus,
        log: PathBuf,
        /// The end of its log.
        tail: String,
    },
    #[error("the prover of {miner} is not listening on {addr}")]
    NotListening { miner: String, addr: String },
    #[error("commitment JSON")]
    CommitmentJson(#[source] serde_json::Error),
    /// The commitment the prover printed, or the registry holds, is not one.
    #[error("{0}")]
    Commitment(VerifierError),
    #[error("stake hook JSON")]
    StakeHookJson(#[source] serde_json::Error),
    #[error("loopin-prover stake-msg printed another hook")]
    OtherHook,
    #[error("device id")]
    DeviceId(#[source] cosmwasm_std::StdError),
    #[error("stake of {miner}")]
    Stake {
        miner: String,
        #[source]
        source: Box<NetworkError>,
    },
    #[error("device registration of {miner}")]
    DeviceRegistration {
        miner: String,
        #[source]
        source: Box<ClientError>,
    },

    // Verifier agents.
    #[error("bond of {verifier}")]
    Bond {
        verifier: String,
        #[source]
        source: Box<NetworkError>,
    },
    #[error("challenge key of {verifier}")]
    ChallengeKey {
        verifier: String,
        #[source]
        source: Box<ClientError>,
    },
    /// A device's commitment on chain that does not decode.
    #[error("{0}")]
    DeviceCommitment(WireError),
    /// A device's endpoint that is not a URL.
    #[error("{0}")]
    Target(VerifierError),

    // The market scenario and its report.
    #[error("no pool of class {class} in the deployment")]
    NoPool { class: String },
    #[error("the deployment has no PoCPS registry")]
    NoRegistry,
    #[error(
        "the bank ({bank}) holds {held} uLOOP, the scenario needs {needed}: deploy with --fund-loop {bank}={needed}"
    )]
    BankShort {
        bank: String,
        held: u128,
        needed: u128,
    },
    #[error("LOOP for {name}")]
    Loop {
        name: String,
        #[source]
        source: Box<NetworkError>,
    },
    #[error("passive liquidity")]
    PassiveLiquidity(#[source] Box<NetworkError>),
    /// The verifiers' challenge keys, derived from the height.
    #[error("challenge key")]
    ChallengeKeyBytes(#[source] k256::ecdsa::Error),
    /// Waiting for the epoch keeper to advance the pool.
    #[error(transparent)]
    Keeper(#[from] KeeperError),
    #[error("chart {}: {reason}", .path.display())]
    Chart { path: PathBuf, reason: String },
}

impl From<cosmwasm_std::StdError> for NetworkError {
    fn from(e: cosmwasm_std::StdError) -> Self {
        Self::Cosmwasm(Box::new(e))
    }
}

/// [`NetworkError`]'s result.
pub type Result<T, E = NetworkError> = std::result::Result<T, E>;
