//! Connections (ICS-03): the INIT -> TRYOPEN -> OPEN handshake, each step verifying the
//! counterparty's connection end with its client. The counterparty's client and consensus
//! states are not verified (the signature client has nothing to check them against).

use cosmwasm_std::Event;
use ibc_proto::ibc::core::commitment::v1::MerklePrefix;
use ibc_proto::ibc::core::connection::v1::{
    ConnectionEnd, Counterparty, MsgConnectionOpenAck, MsgConnectionOpenConfirm,
    MsgConnectionOpenInit, MsgConnectionOpenTry, State, Version,
};
use prost::Message;

use super::error::IbcError;
use super::host::response;
use super::store::{self, Metered};
use super::{client, paths};
use crate::exec::MsgOutcome;

/// The one connection version: identifier "1" with both orderings (channels are refused
/// ORDERED later, as their own rule).
pub fn supported_version() -> Version {
    Version {
        identifier: "1".into(),
        features: vec!["ORDER_ORDERED".into(), "ORDER_UNORDERED".into()],
    }
}

/// This chain's commitment prefix, which counterparties name in their connection ends.
pub fn prefix() -> MerklePrefix {
    MerklePrefix {
        key_prefix: b"ibc".to_vec(),
    }
}

fn state_name(state: i32) -> String {
    State::try_from(state)
        .map(|s| s.as_str_name().to_string())
        .unwrap_or_else(|_| format!("state {state}"))
}

fn version_text(v: &Version) -> String {
    format!("{}[{}]", v.identifier, v.features.join(","))
}

/// A version this chain can agree to: ours, with a subset of our features including UNORDERED.
fn check_version(v: &Version) -> Result<(), IbcError> {
    let ours = supported_version();
    let ok = v.identifier == ours.identifier
        && v.features.iter().all(|f| ours.features.contains(f))
        && v.features.iter().any(|f| f == "ORDER_UNORDERED");
    if ok {
        Ok(())
    } else {
        Err(IbcError::ConnectionVersion(version_text(v)))
    }
}

/// ibc-go's pick: our version with the features both sides have, in our order.
fn pick_version(counterparty: &[Version]) -> Result<Version, IbcError> {
    let ours = supported_version();
    let theirs = counterparty
        .iter()
        .find(|v| v.identifier == ours.identifier)
        .ok_or_else(|| {
            IbcError::ConnectionVersion(
                counterparty
                    .iter()
                    .map(version_text)
                    .collect::<Vec<_>>()
                    .join(" "),
            )
        })?;
    let picked = Version {
        identifier: ours.identifier.clone(),
        features: ours
            .features
            .iter()
            .filter(|f| theirs.features.contains(f))
            .cloned()
            .collect(),
    };
    check_version(&picked)?;
    Ok(picked)
}

/// The connection, which must exist.
pub fn get(m: &Metered, id: &str) -> Result<ConnectionEnd, IbcError> {
    store::connection(m, id).ok_or_else(|| IbcError::ConnectionNotFound(id.into()))
}

/// The connection, which must be OPEN.
pub fn open(m: &Metered, id: &str) -> Result<ConnectionEnd, IbcError> {
    let end = get(m, id)?;
    expect_state(id, &end, State::Open)?;
    Ok(end)
}

fn expect_state(id: &str, end: &ConnectionEnd, expected: State) -> Result<(), IbcError> {
    if end.state != expected as i32 {
        return Err(IbcError::ConnectionState {
            id: id.into(),
            state: state_name(end.state),
            expected: expected.as_str_name(),
        });
    }
    Ok(())
}

fn event(kind: &str, id: &str, end: &ConnectionEnd) -> Event {
    let counterparty = end.counterparty.clone().unwrap_or_default();
    Event::new(kind)
        .add_attribute("connection_id", id)
        .add_attribute("client_id", &end.client_id)
        .add_attribute("counterparty_client_id", counterparty.client_id)
        .add_attribute("counterparty_connection_id", counterparty.connection_id)
}

/// Verifies that the counterparty stores `expected` as its connection `counterparty_id`.
fn verify_end(
    m: &Metered,
    client_id: &str,
    counterparty_id: &str,
    expected: &ConnectionEnd,
    proof: &[u8],
    height: Option<&ibc_proto::ibc::core::client::v1::Height>,
) -> Result<(), IbcError> {
    client::verify(
        m,
        client_id,
        height,
        proof,
        &paths::connection(counterparty_id),
        &expected.encode_to_vec(),
    )
    .map(|_| ())
}

fn counterparty_of(given: Option<&Counterparty>) -> Result<Counterparty, IbcError> {
    let c = given
        .cloned()
        .ok_or_else(|| IbcError::Invalid("no counterparty".into()))?;
    if !paths::valid_identifier(&c.client_id) {
        return Err(IbcError::Invalid(format!(
            "counterparty client id {:?}",
            c.client_id
        )));
    }
    Ok(c)
}

/// `MsgConnectionOpenInit`: a new connection in INIT on an existing client.
pub fn open_init(m: &Metered, msg: &MsgConnectionOpenInit) -> Result<MsgOutcome, IbcError> {
    store::client(m, &msg.client_id)
        .ok_or_else(|| IbcError::ClientNotFound(msg.client_id.clone()))?;
    let counterparty = counterparty_of(msg.counterparty.as_ref())?;
    if !counterparty.connection_id.is_empty() {
        return Err(IbcError::Invalid(
            "the counterparty connection id must be empty at OpenInit".into(),
        ));
    }
    let versions = match &msg.version {
        Some(v) => {
            check_version(v)?;
            vec![v.clone()]
        }
        None => vec![supported_version()],
    };
    let id = format!("connection-{}", store::next_id(m, "connection"));
    let end = ConnectionEnd {
        client_id: msg.client_id.clone(),
        versions,
        state: State::Init as i32,
        counterparty: Some(counterparty),
        delay_period: msg.delay_period,
    };
    store::set_connection(m, &id, &end);
    Ok(response(
        vec![event("connection_open_init", &id, &end)],
        "/ibc.core.connection.v1.MsgConnectionOpenInitResponse",
        Vec::new(),
    ))
}

/// `MsgConnectionOpenTry`: the counterparty's INIT end proven, a new connection in TRYOPEN.
pub fn open_try(m: &Metered, msg: &MsgConnectionOpenTry) -> Result<MsgOutcome, IbcError> {
    store::client(m, &msg.client_id)
        .ok_or_else(|| IbcError::ClientNotFound(msg.client_id.clone()))?;
    let counterparty = counterparty_of(msg.counterparty.as_ref())?;
    if !paths::valid_identifier(&counterparty.connection_id) {
        return Err(IbcError::Invalid(format!(
            "counterparty connection id {:?}",
            counterparty.connection_id
        )));
    }
    let expected = ConnectionEnd {
        client_id: counterparty.client_id.clone(),
        versions: msg.counterparty_versions.clone(),
        state: State::Init as i32,
        counterparty: Some(Counterparty {
            client_id: msg.client_id.clone(),
            connection_id: String::new(),
            prefix: Some(prefix()),
        }),
        delay_period: msg.delay_period,
    };
    verify_end(
        m,
        &msg.client_id,
        &counterparty.connection_id,
        &expected,
        &msg.proof_init,
        msg.proof_height.as_ref(),
    )?;
    let version = pick_version(&msg.counterparty_versions)?;
    let id = format!("connection-{}", store::next_id(m, "connection"));
    let end = ConnectionEnd {
        client_id: msg.client_id.clone(),
        versions: vec![version],
        state: State::Tryopen as i32,
        counterparty: Some(counterparty),
        delay_period: msg.delay_period,
    };
    store::set_connection(m, &id, &end);
    Ok(response(
        vec![event("connection_open_try", &id, &end)],
        "/ibc.core.connection.v1.MsgConnectionOpenTryResponse",
        Vec::new(),
    ))
}

/// `MsgConnectionOpenAck`: our INIT connection opens once the counterparty's TRYOPEN end is
/// proven with the version it picked.
pub fn open_ack(m: &Metered, msg: &MsgConnectionOpenAck) -> Result<MsgOutcome, IbcError> {
    let id = &msg.connection_id;
    let mut end = get(m, id)?;
    expect_state(id, &end, State::Init)?;
    let version = msg
        .version
        .clone()
        .ok_or_else(|| IbcError::Invalid("no version".into()))?;
    check_version(&version)?;
    if !end.versions.contains(&version) {
        return Err(IbcError::ConnectionVersion(format!(
            "{} was not proposed",
            version_text(&version)
        )));
    }
    if !paths::valid_identifier(&msg.counterparty_connection_id) {
        return Err(IbcError::Invalid(format!(
            "counterparty connection id {:?}",
            msg.counterparty_connection_id
        )));
    }
    let mut counterparty = end.counterparty.clone().unwrap_or_default();
    let expected = ConnectionEnd {
        client_id: counterparty.client_id.clone(),
        versions: vec![version.clone()],
        state: State::Tryopen as i32,
        counterparty: Some(Counterparty {
            client_id: end.client_id.clone(),
            connection_id: id.clone(),
            prefix: Some(prefix()),
        }),
        delay_period: end.delay_period,
    };
    verify_end(
        m,
        &end.client_id,
        &msg.counterparty_connection_id,
        &expected,
        &msg.proof_try,
        msg.proof_height.as_ref(),
    )?;
    counterparty.connection_id = msg.counterparty_connection_id.clone();
    end.state = State::Open as i32;
    end.versions = vec![version];
    end.counterparty = Some(counterparty);
    store::set_connection(m, id, &end);
    Ok(response(
        vec![event("connection_open_ack", id, &end)],
        "/ibc.core.connection.v1.MsgConnectionOpenAckResponse",
        Vec::new(),
    ))
}

/// `MsgConnectionOpenConfirm`: our TRYOPEN connection opens once the counterparty's end is
/// proven OPEN.
pub fn open_confirm(m: &Metered, msg: &MsgConnectionOpenConfirm) -> Result<MsgOutcome, IbcError> {
    let id = &msg.connection_id;
    let mut end = get(m, id)?;
    expect_state(id, &end, State::Tryopen)?;
    let counterparty = end.counterparty.clone().unwrap_or_default();
    let expected = ConnectionEnd {
        client_id: counterparty.client_id.clone(),
        versions: end.versions.clone(),
        state: State::Open as i32,
        counterparty: Some(Counterparty {
            client_id: end.client_id.clone(),
            connection_id: id.clone(),
            prefix: Some(prefix()),
        }),
        delay_period: end.delay_period,
    };
    verify_end(
        m,
        &end.client_id,
        &counterparty.connection_id,
        &expected,
        &msg.proof_ack,
        msg.proof_height.as_ref(),
    )?;
    end.state = State::Open as i32;
    store::set_connection(m, id, &end);
    Ok(response(
        vec![event("connection_open_confirm", id, &end)],
        "/ibc.core.connection.v1.MsgConnectionOpenConfirmResponse",
        Vec::new(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert_eq!(
            pick_version(&[supported_version()]).unwrap(),
            supported_version()
        );
        let unordered = Version {
            identifier: "1".into(),
            features: vec!["ORDER_UNORDERED".into()],
        };
        assert_eq!(
            pick_version(std::slice::from_ref(&unordered)).unwrap(),
            unordered
        );
        let ordered_only = Version {
            identifier: "1".into(),
            features: vec!["ORDER_ORDERED".into()],
        };
        assert!(pick_version(std::slice::from_ref(&ordered_only)).is_err());
        assert!(check_version(&ordered_only).is_err());
        assert!(
            check_version(&Version {
                identifier: "2".into(),
                features: vec!["ORDER_UNORDERED".into()]
            })
            .is_err()
        );
    }
}
