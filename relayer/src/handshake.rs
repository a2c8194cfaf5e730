//! `create channel`: a new client on each chain, the connection handshake (ICS-03) and the
//! channel handshake (ICS-04) between two chains, each step carrying the proof of the
//! counterparty's end. The clients are the devnet's signature clients (docs/devnet.md, "IBC"):
//! each holds the other chain's IBC signer key, read from its validator set at creation.

use crate::chain::{IbcChain, Proof};
use crate::error::RelayError;
use crate::state::StateFile;
use cosmos_sdk_proto::Any;
use ibc_proto::ibc::core::channel::v1 as chanpb;
use ibc_proto::ibc::core::client::v1::MsgCreateClient;
use ibc_proto::ibc::core::commitment::v1::MerklePrefix;
use ibc_proto::ibc::core::connection::v1 as connpb;
use ibc_proto::ibc::lightclients::solomachine::v3 as solopb;
use loopin_chain_client::TxResult;

/// The channel to open.
#[derive(Clone, Debug)]
pub struct ChannelSpec {
    pub a_port: String,
    pub b_port: String,
    pub version: String,
}

/// The identifiers the handshake created.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenChannel {
    pub a_client: String,
    pub b_client: String,
    pub a_connection: String,
    pub b_connection: String,
    pub a_channel: String,
    pub b_channel: String,
}

fn attr(result: &TxResult, ty: &str, key: &str) -> Result<String, RelayError> {
    result
        .event_attr(ty, key)
        .map(str::to_string)
        .ok_or_else(|| RelayError::MissingEvent {
            txhash: result.txhash.clone(),
            ty: ty.to_string(),
            key: key.to_string(),
        })
}

fn prefix() -> Option<MerklePrefix> {
    Some(MerklePrefix {
        key_prefix: b"ibc".to_vec(),
    })
}

fn version() -> connpb::Version {
    connpb::Version {
        identifier: "1".into(),
        features: vec!["ORDER_ORDERED".into(), "ORDER_UNORDERED".into()],
    }
}

/// Creates on `host` a client of `tracked`; returns its id.
async fn create_client(
    host: &IbcChain,
    tracked: &IbcChain,
    state: &mut StateFile,
) -> Result<String, RelayError> {
    let (height, time) = tracked.latest().await?;
    let consensus = solopb::ConsensusState {
        public_key: Some(tracked.signer_key().await?),
        diversifier: tracked.id().to_string(),
        timestamp: time,
    };
    let client_state = solopb::ClientState {
        sequence: height,
        is_frozen: false,
        consensus_state: Some(consensus.clone()),
    };
    let msg = MsgCreateClient {
        client_state: Some(Any::from_msg(&client_state)?),
        consensus_state: Some(Any::from_msg(&consensus)?),
        signer: host.signer(),
    };
    let result = host.submit(vec![Any::from_msg(&msg)?], state).await?;
    attr(&result, "create_client", "client_id")
}

async fn connection_proof(chain: &IbcChain, id: &str) -> Result<Proof, RelayError> {
    Ok(chain
        .connection_end(id)
        .await?
        .ok_or_else(|| RelayError::NoConnection {
            chain: chain.id().to_string(),
            id: id.to_string(),
        })?
        .1)
}

async fn channel_end(
    chain: &IbcChain,
    port: &str,
    channel: &str,
) -> Result<(chanpb::Channel, Proof), RelayError> {
    chain
        .channel_end(port, channel)
        .await?
        .ok_or_else(|| RelayError::NoChannel {
            chain: chain.id().to_string(),
            port: port.to_string(),
            channel: channel.to_string(),
        })
}

/// Opens an UNORDERED channel between `a` and `b` over a new client pair and connection. Both
/// chains' cursors start at their current heights if they have none (no packet of this channel
/// can be older).
pub async fn create_channel(
    a: &IbcChain,
    b: &IbcChain,
    spec: &ChannelSpec,
    state: &mut StateFile,
) -> Result<OpenChannel, RelayError> {
    for chain in [a, b] {
        let (height, _) = chain.latest().await?;
        state.start_at(chain.id(), height)?;
    }
    let a_client = create_client(a, b, state).await?;
    let b_client = create_client(b, a, state).await?;

    let a_connection = connection_init(a, &a_client, &b_client, state).await?;
    let b_connection = connection_try(a, b, &a_client, &b_client, &a_connection, state).await?;
    connection_ack_confirm(a, b, &a_connection, &b_connection, state).await?;
    let a_channel = channel_init(a, spec, &a_connection, state).await?;
    let b_channel = channel_try(a, b, spec, &b_connection, &a_channel, state).await?;
    channel_ack_confirm(a, b, spec, &a_channel, &b_channel, state).await?;
    Ok(OpenChannel {
        a_client,
        b_client,
        a_connection,
        b_connection,
        a_channel,
        b_channel,
    })
}

/// ConnectionOpenInit on `a` (client `a_client`, counterparty client `b_client`): its connection.
async fn connection_init(
    a: &IbcChain,
    a_client: &str,
    b_client: &str,
    state: &mut StateFile,
) -> Result<String, RelayError> {
    let init = connpb::MsgConnectionOpenInit {
        client_id: a_client.to_string(),
        counterparty: Some(connpb::Counterparty {
            client_id: b_client.to_string(),
            connection_id: String::new(),
            prefix: prefix(),
        }),
        version: Some(version()),
        delay_period: 0,
        signer: a.signer(),
    };
    let result = a.submit(vec![Any::from_msg(&init)?], state).await?;
    attr(&result, "connection_open_init", "connection_id")
}

/// ConnectionOpenTry on `b`, with the proof of `a`'s `a_connection`: `b`'s connection.
async fn connection_try(
    a: &IbcChain,
    b: &IbcChain,
    a_client: &str,
    b_client: &str,
    a_connection: &str,
    state: &mut StateFile,
) -> Result<String, RelayError> {
    let proof = connection_proof(a, a_connection).await?;
    #[allow(deprecated)]
    let try_msg = connpb::MsgConnectionOpenTry {
        client_id: b_client.to_string(),
        counterparty: Some(connpb::Counterparty {
            client_id: a_client.to_string(),
            connection_id: a_connection.to_string(),
            prefix: prefix(),
        }),
        counterparty_versions: vec![version()],
        proof_init: proof.bytes,
        proof_height: Some(proof.height),
        signer: b.signer(),
        ..Default::default()
    };
    let result = b.submit(vec![Any::from_msg(&try_msg)?], state).await?;
    attr(&result, "connection_open_try", "connection_id")
}

/// ConnectionOpenAck on `a` and ConnectionOpenConfirm on `b`, each with the other's proof.
async fn connection_ack_confirm(
    a: &IbcChain,
    b: &IbcChain,
    a_connection: &str,
    b_connection: &str,
    state: &mut StateFile,
) -> Result<(), RelayError> {
    let proof = connection_proof(b, b_connection).await?;
    let ack = connpb::MsgConnectionOpenAck {
        connection_id: a_connection.to_string(),
        counterparty_connection_id: b_connection.to_string(),
        version: Some(version()),
        proof_try: proof.bytes,
        proof_height: Some(proof.height),
        signer: a.signer(),
        ..Default::default()
    };
    a.submit(vec![Any::from_msg(&ack)?], state).await?;

    let proof = connection_proof(a, a_connection).await?;
    let confirm = connpb::MsgConnectionOpenConfirm {
        connection_id: b_connection.to_string(),
        proof_ack: proof.bytes,
        proof_height: Some(proof.height),
        signer: b.signer(),
    };
    b.submit(vec![Any::from_msg(&confirm)?], state).await?;
    Ok(())
}

/// ChannelOpenInit on `a`'s port over `a_connection`: its channel.
async fn channel_init(
    a: &IbcChain,
    spec: &ChannelSpec,
    a_connection: &str,
    state: &mut StateFile,
) -> Result<String, RelayError> {
    let init = chanpb::MsgChannelOpenInit {
        port_id: spec.a_port.clone(),
        channel: Some(chanpb::Channel {
            state: chanpb::State::Init as i32,
            ordering: chanpb::Order::Unordered as i32,
            counterparty: Some(chanpb::Counterparty {
                port_id: spec.b_port.clone(),
                channel_id: String::new(),
            }),
            connection_hops: vec![a_connection.to_string()],
            version: spec.version.clone(),
            upgrade_sequence: 0,
        }),
        signer: a.signer(),
    };
    let result = a.submit(vec![Any::from_msg(&init)?], state).await?;
    attr(&result, "channel_open_init", "channel_id")
}

/// ChannelOpenTry on `b`'s port over `b_connection`, with the proof of `a`'s `a_channel` and
/// its version: `b`'s channel.
async fn channel_try(
    a: &IbcChain,
    b: &IbcChain,
    spec: &ChannelSpec,
    b_connection: &str,
    a_channel: &str,
    state: &mut StateFile,
) -> Result<String, RelayError> {
    let (a_end, proof) = channel_end(a, &spec.a_port, a_channel).await?;
    #[allow(deprecated)]
    let try_msg = chanpb::MsgChannelOpenTry {
        port_id: spec.b_port.clone(),
        channel: Some(chanpb::Channel {
            state: chanpb::State::Tryopen as i32,
            ordering: chanpb::Order::Unordered as i32,
            counterparty: Some(chanpb::Counterparty {
                port_id: spec.a_port.clone(),
                channel_id: a_channel.to_string(),
            }),
            connection_hops: vec![b_connection.to_string()],
            version: a_end.version.clone(),
            upgrade_sequence: 0,
        }),
        counterparty_version: a_end.version.clone(),
        proof_init: proof.bytes,
        proof_height: Some(proof.height),
        signer: b.signer(),
        ..Default::default()
    };
    let result = b.submit(vec![Any::from_msg(&try_msg)?], state).await?;
    attr(&result, "channel_open_try", "channel_id")
}

/// ChannelOpenAck on `a` and ChannelOpenConfirm on `b`, each with the other's proof.
async fn channel_ack_confirm(
    a: &IbcChain,
    b: &IbcChain,
    spec: &ChannelSpec,
    a_channel: &str,
    b_channel: &str,
    state: &mut StateFile,
) -> Result<(), RelayError> {
    let (b_end, proof) = channel_end(b, &spec.b_port, b_channel).await?;
    let ack = chanpb::MsgChannelOpenAck {
        port_id: spec.a_port.clone(),
        channel_id: a_channel.to_string(),
        counterparty_channel_id: b_channel.to_string(),
        counterparty_version: b_end.version.clone(),
        proof_try: proof.bytes,
        proof_height: Some(proof.height),
        signer: a.signer(),
    };
    a.submit(vec![Any::from_msg(&ack)?], state).await?;

    let (_, proof) = channel_end(a, &spec.a_port, a_channel).await?;
    let confirm = chanpb::MsgChannelOpenConfirm {
        port_id: spec.b_port.clone(),
        channel_id: b_channel.to_string(),
        proof_ack: proof.bytes,
        proof_height: Some(proof.height),
        signer: b.signer(),
    };
    b.submit(vec![Any::from_msg(&confirm)?], state).await?;
    Ok(())
}
