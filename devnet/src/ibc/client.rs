//! Signature clients (ICS-06 solo machine v3 states): created permissionlessly with the
//! counterparty's IBC signer key (trusted on creation, as every IBC client is), they verify the
//! counterparty's proofs. No updates and no misbehaviour: a client keeps its key for good.

use cosmos_sdk_proto::Any;
use cosmwasm_std::Event;
use ibc_proto::ibc::core::client::v1::{Height, MsgCreateClient, MsgCreateClientResponse};
use ibc_proto::ibc::lightclients::solomachine::v3::{ClientState, ConsensusState};
use prost::Message;

use super::error::IbcError;
use super::proof;
use super::store::{self, Metered};
use crate::exec::MsgOutcome;

/// The client type, the prefix of every client id.
pub const CLIENT_TYPE: &str = "06-solomachine";
pub const CLIENT_STATE_TYPE_URL: &str = "/ibc.lightclients.solomachine.v3.ClientState";
pub const CONSENSUS_STATE_TYPE_URL: &str = "/ibc.lightclients.solomachine.v3.ConsensusState";
/// SDK gas of one proof verification (a secp256k1 signature check, as the ante handler's).
pub const VERIFY_GAS: u64 = 1_000;

/// The client state as an `Any`.
pub fn client_state_any(state: &ClientState) -> Any {
    Any {
        type_url: CLIENT_STATE_TYPE_URL.into(),
        value: state.encode_to_vec(),
    }
}

fn consensus(state: &ClientState) -> Result<&ConsensusState, IbcError> {
    state
        .consensus_state
        .as_ref()
        .ok_or_else(|| IbcError::InvalidClient("the client state has no consensus state".into()))
}

/// Checks a client state a `MsgCreateClient` brings: a secp256k1 key, a diversifier, not frozen.
fn check(state: &ClientState) -> Result<(), IbcError> {
    if state.is_frozen {
        return Err(IbcError::InvalidClient(
            "a new client cannot be frozen".into(),
        ));
    }
    let consensus = consensus(state)?;
    let key = consensus
        .public_key
        .as_ref()
        .ok_or_else(|| IbcError::InvalidClient("the consensus state has no public key".into()))?;
    proof::public_key_from_any(key).map_err(|e| IbcError::InvalidClient(e.to_string()))?;
    if consensus.diversifier.is_empty() {
        return Err(IbcError::InvalidClient(
            "the diversifier (the counterparty's chain id) is empty".into(),
        ));
    }
    Ok(())
}

/// `MsgCreateClient`: a new `06-solomachine-{n}` client.
pub fn create(m: &Metered, msg: &MsgCreateClient) -> Result<MsgOutcome, IbcError> {
    let any = msg
        .client_state
        .as_ref()
        .ok_or_else(|| IbcError::Invalid("MsgCreateClient without a client state".into()))?;
    if any.type_url != CLIENT_STATE_TYPE_URL {
        return Err(IbcError::InvalidClient(format!(
            "client state type {} is not {CLIENT_STATE_TYPE_URL}",
            any.type_url
        )));
    }
    let mut state = ClientState::decode(&*any.value)
        .map_err(|e| IbcError::InvalidClient(format!("client state: {e}")))?;
    if let Some(any) = &msg.consensus_state {
        if any.type_url != CONSENSUS_STATE_TYPE_URL {
            return Err(IbcError::InvalidClient(format!(
                "consensus state type {} is not {CONSENSUS_STATE_TYPE_URL}",
                any.type_url
            )));
        }
        let given = ConsensusState::decode(&*any.value)
            .map_err(|e| IbcError::InvalidClient(format!("consensus state: {e}")))?;
        match &state.consensus_state {
            None => state.consensus_state = Some(given),
            Some(inner) if *inner == given => {}
            Some(_) => {
                return Err(IbcError::InvalidClient(
                    "the consensus state differs from the client state's".into(),
                ));
            }
        }
    }
    check(&state)?;
    let id = format!("{CLIENT_TYPE}-{}", store::next_id(m, "client"));
    store::set_client(m, &id, &state);
    Ok(MsgOutcome {
        events: vec![
            Event::new("create_client")
                .add_attribute("client_id", &id)
                .add_attribute("client_type", CLIENT_TYPE)
                .add_attribute("consensus_height", format!("0-{}", state.sequence)),
        ],
        data: None,
        msg_responses: vec![cosmwasm_std::MsgResponse {
            type_url: "/ibc.core.client.v1.MsgCreateClientResponse".into(),
            value: MsgCreateClientResponse {}.encode_to_vec().into(),
        }],
    })
}

/// Checks that `proof` proves `data` (empty: absence) at `path` on the chain client `client_id`
/// tracks, at `height`. The client keeps the greatest height and timestamp it has seen. Returns
/// the proof's timestamp (the counterparty's block time at `height`).
pub fn verify(
    m: &Metered,
    client_id: &str,
    height: Option<&Height>,
    proof: &[u8],
    path: &str,
    data: &[u8],
) -> Result<u64, IbcError> {
    let mut state =
        store::client(m, client_id).ok_or_else(|| IbcError::ClientNotFound(client_id.into()))?;
    if state.is_frozen {
        return Err(IbcError::ClientFrozen(client_id.into()));
    }
    let height = proof_height(height)?;
    let invalid = |reason: proof::ProofError| IbcError::InvalidProof {
        path: path.to_string(),
        height,
        reason: reason.to_string(),
    };
    let consensus = consensus(&state)?;
    let key = consensus
        .public_key
        .as_ref()
        .ok_or_else(|| IbcError::InvalidClient("the consensus state has no public key".into()))
        .and_then(|k| {
            proof::public_key_from_any(k).map_err(|e| IbcError::InvalidClient(e.to_string()))
        })?;
    {
        let mut c = m.0.borrow_mut();
        c.gas.used = c.gas.used.saturating_add(VERIFY_GAS);
    }
    let timestamp =
        proof::verify(&key, &consensus.diversifier, height, proof, path, data).map_err(invalid)?;
    let latest_time = consensus.timestamp;
    if height > state.sequence || timestamp > latest_time {
        state.sequence = state.sequence.max(height);
        if let Some(c) = state.consensus_state.as_mut() {
            c.timestamp = latest_time.max(timestamp);
        }
        store::set_client(m, client_id, &state);
    }
    Ok(timestamp)
}

/// A proof height: revision 0 and a positive height.
pub fn proof_height(height: Option<&Height>) -> Result<u64, IbcError> {
    match height {
        Some(h) if h.revision_number == 0 && h.revision_height > 0 => Ok(h.revision_height),
        Some(h) => Err(IbcError::Invalid(format!(
            "proof height {}-{} (the devnet uses revision 0 and heights from 1)",
            h.revision_number, h.revision_height
        ))),
        None => Err(IbcError::Invalid("no proof height".into())),
    }
}
