//! Channels (ICS-04 handshake and closing): INIT -> TRYOPEN -> OPEN -> CLOSED, each step
//! verifying the counterparty's channel end, the port's application consulted at every step.
//! UNORDERED channels only.

use cosmwasm_std::{Addr, Event};
use ibc_proto::ibc::core::channel::v1::{
    Channel, Counterparty, MsgChannelCloseConfirm, MsgChannelCloseInit, MsgChannelOpenAck,
    MsgChannelOpenConfirm, MsgChannelOpenInit, MsgChannelOpenInitResponse, MsgChannelOpenTry,
    MsgChannelOpenTryResponse, Order, State,
};
use prost::Message;

use super::app;
use super::error::IbcError;
use super::host::{Host, response};
use super::store::{self, Metered};
use super::{client, connection, paths};
use crate::exec::{ExecError, MsgOutcome};

pub use super::ends::{connection_id, expect_state, get, state_name};

fn unordered(end: &Channel) -> Result<(), IbcError> {
    if end.ordering == Order::Unordered as i32 {
        Ok(())
    } else {
        Err(IbcError::Ordered)
    }
}

fn event(kind: &str, port: &str, channel: &str, end: &Channel) -> Event {
    let counterparty = end.counterparty.clone().unwrap_or_default();
    Event::new(kind)
        .add_attribute("port_id", port)
        .add_attribute("channel_id", channel)
        .add_attribute("counterparty_port_id", counterparty.port_id)
        .add_attribute("counterparty_channel_id", counterparty.channel_id)
        .add_attribute(
            "connection_id",
            end.connection_hops.first().cloned().unwrap_or_default(),
        )
        .add_attribute("version", &end.version)
}

/// Verifies that the counterparty of `end` stores `expected` as its channel end.
fn verify_counterparty(
    m: &Metered,
    client_id: &str,
    counterparty: &Counterparty,
    expected: &Channel,
    proof: &[u8],
    height: Option<&ibc_proto::ibc::core::client::v1::Height>,
) -> Result<(), IbcError> {
    client::verify(
        m,
        client_id,
        height,
        proof,
        &paths::channel(&counterparty.port_id, &counterparty.channel_id),
        &expected.encode_to_vec(),
    )
    .map(|_| ())
}

fn new_channel_id(m: &Metered) -> String {
    format!("channel-{}", store::next_id(m, "channel"))
}

/// `MsgChannelOpenInit`: a new channel in INIT on an existing connection; the port's application
/// accepts it and may choose the version.
pub fn open_init(host: &Host, msg: &MsgChannelOpenInit) -> Result<MsgOutcome, ExecError> {
    let m = host.m();
    let mut end = msg
        .channel
        .clone()
        .ok_or_else(|| IbcError::Invalid("no channel".into()))?;
    unordered(&end)?;
    let counterparty = end.counterparty.clone().unwrap_or_default();
    if !paths::valid_identifier(&counterparty.port_id) || !counterparty.channel_id.is_empty() {
        return Err(IbcError::Invalid(
            "the counterparty needs a port and no channel id at OpenInit".into(),
        )
        .into());
    }
    connection::get(&m, connection_id(&end)?)?;
    let app = app::bound(host, &msg.port_id)?;
    let id = new_channel_id(&m);
    end.state = State::Init as i32;
    end.upgrade_sequence = 0;
    let version = app::on_open_init(
        host,
        &app,
        app::ibc_channel(&msg.port_id, &id, &end, &end.version),
    )?;
    end.version = version.clone();
    store::set_channel(&m, &msg.port_id, &id, &end);
    store::set_next_sequence_send(&m, &msg.port_id, &id, 1);
    Ok(response(
        vec![event("channel_open_init", &msg.port_id, &id, &end)],
        "/ibc.core.channel.v1.MsgChannelOpenInitResponse",
        MsgChannelOpenInitResponse {
            channel_id: id.clone(),
            version,
        }
        .encode_to_vec(),
    ))
}

/// `MsgChannelOpenTry`: the counterparty's INIT end proven, a new channel in TRYOPEN.
pub fn open_try(host: &Host, msg: &MsgChannelOpenTry) -> Result<MsgOutcome, ExecError> {
    let m = host.m();
    let mut end = msg
        .channel
        .clone()
        .ok_or_else(|| IbcError::Invalid("no channel".into()))?;
    unordered(&end)?;
    let counterparty = end.counterparty.clone().unwrap_or_default();
    if !paths::valid_identifier(&counterparty.port_id)
        || !paths::valid_identifier(&counterparty.channel_id)
    {
        return Err(
            IbcError::Invalid("the counterparty needs a port and a channel id".into()).into(),
        );
    }
    let connection_id = connection_id(&end)?.to_string();
    let conn = connection::open(&m, &connection_id)?;
    let app = app::bound(host, &msg.port_id)?;
    let expected = Channel {
        state: State::Init as i32,
        ordering: end.ordering,
        counterparty: Some(Counterparty {
            port_id: msg.port_id.clone(),
            channel_id: String::new(),
        }),
        connection_hops: vec![conn.counterparty.clone().unwrap_or_default().connection_id],
        version: msg.counterparty_version.clone(),
        upgrade_sequence: 0,
    };
    verify_counterparty(
        &m,
        &conn.client_id,
        &counterparty,
        &expected,
        &msg.proof_init,
        msg.proof_height.as_ref(),
    )?;
    let id = new_channel_id(&m);
    end.state = State::Tryopen as i32;
    end.upgrade_sequence = 0;
    let version = app::on_open_try(
        host,
        &app,
        app::ibc_channel(&msg.port_id, &id, &end, &msg.counterparty_version),
        &msg.counterparty_version,
    )?;
    end.version = version.clone();
    store::set_channel(&m, &msg.port_id, &id, &end);
    store::set_next_sequence_send(&m, &msg.port_id, &id, 1);
    Ok(response(
        vec![event("channel_open_try", &msg.port_id, &id, &end)],
        "/ibc.core.channel.v1.MsgChannelOpenTryResponse",
        MsgChannelOpenTryResponse {
            version,
            channel_id: id.clone(),
        }
        .encode_to_vec(),
    ))
}

/// `MsgChannelOpenAck`: our INIT channel opens once the counterparty's TRYOPEN end is proven;
/// the application's `ibc_channel_connect` (OpenAck) runs.
pub fn open_ack(host: &Host, msg: &MsgChannelOpenAck) -> Result<MsgOutcome, ExecError> {
    let m = host.m();
    let (port, id) = (&msg.port_id, &msg.channel_id);
    let mut end = get(&m, port, id)?;
    expect_state(port, id, &end, State::Init)?;
    if !paths::valid_identifier(&msg.counterparty_channel_id) {
        return Err(IbcError::Invalid(format!(
            "counterparty channel id {:?}",
            msg.counterparty_channel_id
        ))
        .into());
    }
    let conn = connection::open(&m, connection_id(&end)?)?;
    let app = app::bound(host, port)?;
    let mut counterparty = end.counterparty.clone().unwrap_or_default();
    counterparty.channel_id = msg.counterparty_channel_id.clone();
    let expected = Channel {
        state: State::Tryopen as i32,
        ordering: end.ordering,
        counterparty: Some(Counterparty {
            port_id: port.clone(),
            channel_id: id.clone(),
        }),
        connection_hops: vec![conn.counterparty.clone().unwrap_or_default().connection_id],
        version: msg.counterparty_version.clone(),
        upgrade_sequence: 0,
    };
    verify_counterparty(
        &m,
        &conn.client_id,
        &counterparty,
        &expected,
        &msg.proof_try,
        msg.proof_height.as_ref(),
    )?;
    let proposed = end.version.clone();
    end.state = State::Open as i32;
    end.counterparty = Some(counterparty);
    end.version = msg.counterparty_version.clone();
    store::set_channel(&m, port, id, &end);
    let mut events = vec![event("channel_open_ack", port, id, &end)];
    events.extend(app::on_connect(
        host,
        &app,
        app::ibc_channel(port, id, &end, &proposed),
        Some(&msg.counterparty_version),
    )?);
    Ok(response(
        events,
        "/ibc.core.channel.v1.MsgChannelOpenAckResponse",
        Vec::new(),
    ))
}

/// `MsgChannelOpenConfirm`: our TRYOPEN channel opens once the counterparty's end is proven
/// OPEN; the application's `ibc_channel_connect` (OpenConfirm) runs.
pub fn open_confirm(host: &Host, msg: &MsgChannelOpenConfirm) -> Result<MsgOutcome, ExecError> {
    let m = host.m();
    let (port, id) = (&msg.port_id, &msg.channel_id);
    let mut end = get(&m, port, id)?;
    expect_state(port, id, &end, State::Tryopen)?;
    let conn = connection::open(&m, connection_id(&end)?)?;
    let app = app::bound(host, port)?;
    let counterparty = end.counterparty.clone().unwrap_or_default();
    let expected = Channel {
        state: State::Open as i32,
        ordering: end.ordering,
        counterparty: Some(Counterparty {
            port_id: port.clone(),
            channel_id: id.clone(),
        }),
        connection_hops: vec![conn.counterparty.clone().unwrap_or_default().connection_id],
        version: end.version.clone(),
        upgrade_sequence: 0,
    };
    verify_counterparty(
        &m,
        &conn.client_id,
        &counterparty,
        &expected,
        &msg.proof_ack,
        msg.proof_height.as_ref(),
    )?;
    end.state = State::Open as i32;
    store::set_channel(&m, port, id, &end);
    let mut events = vec![event("channel_open_confirm", port, id, &end)];
    events.extend(app::on_connect(
        host,
        &app,
        app::ibc_channel(port, id, &end, &end.version),
        None,
    )?);
    Ok(response(
        events,
        "/ibc.core.channel.v1.MsgChannelOpenConfirmResponse",
        Vec::new(),
    ))
}

/// Closes an open (or opening) channel: state CLOSED, then the application's
/// `ibc_channel_close` (CloseInit), which may refuse.
fn close(host: &Host, port: &str, id: &str) -> Result<Vec<Event>, ExecError> {
    let m = host.m();
    let mut end = get(&m, port, id)?;
    if end.state == State::Closed as i32 {
        return Err(IbcError::ChannelState {
            port: port.into(),
            channel: id.into(),
            state: state_name(end.state),
            expected: "not STATE_CLOSED",
        }
        .into());
    }
    connection::open(&m, connection_id(&end)?)?;
    let app = app::bound(host, port)?;
    end.state = State::Closed as i32;
    store::set_channel(&m, port, id, &end);
    let mut events = vec![event("channel_close_init", port, id, &end)];
    events.extend(app::on_close(
        host,
        &app,
        app::ibc_channel(port, id, &end, &end.version),
        true,
    )?);
    Ok(events)
}

/// `MsgChannelCloseInit`.
pub fn close_init(host: &Host, msg: &MsgChannelCloseInit) -> Result<MsgOutcome, ExecError> {
    let events = close(host, &msg.port_id, &msg.channel_id)?;
    Ok(response(
        events,
        "/ibc.core.channel.v1.MsgChannelCloseInitResponse",
        Vec::new(),
    ))
}

/// `IbcMsg::CloseChannel` from a contract: its own port's channel.
pub fn close_from_contract(
    host: &Host,
    sender: &Addr,
    channel_id: &str,
) -> Result<MsgOutcome, ExecError> {
    let port = format!("{}{sender}", app::WASM_PORT_PREFIX);
    if host.vm.ibc_port_of(host.ctx, sender.as_str()).as_deref() != Some(port.as_str()) {
        return Err(IbcError::PortUnauthorized {
            port,
            sender: sender.to_string(),
        }
        .into());
    }
    let events = close(host, &port, channel_id)?;
    Ok(MsgOutcome {
        events,
        ..MsgOutcome::default()
    })
}

/// `MsgChannelCloseConfirm`: the counterparty's end proven CLOSED, ours closes too and the
/// application's `ibc_channel_close` (CloseConfirm) runs.
pub fn close_confirm(host: &Host, msg: &MsgChannelCloseConfirm) -> Result<MsgOutcome, ExecError> {
    let m = host.m();
    let (port, id) = (&msg.port_id, &msg.channel_id);
    let mut end = get(&m, port, id)?;
    if end.state == State::Closed as i32 {
        return Err(IbcError::ChannelState {
            port: port.clone(),
            channel: id.clone(),
            state: state_name(end.state),
            expected: "not STATE_CLOSED",
        }
        .into());
    }
    let conn = connection::open(&m, connection_id(&end)?)?;
    let app = app::bound(host, port)?;
    let counterparty = end.counterparty.clone().unwrap_or_default();
    let expected = Channel {
        state: State::Closed as i32,
        ordering: end.ordering,
        counterparty: Some(Counterparty {
            port_id: port.clone(),
            channel_id: id.clone(),
        }),
        connection_hops: vec![conn.counterparty.clone().unwrap_or_default().connection_id],
        version: end.version.clone(),
        upgrade_sequence: 0,
    };
    verify_counterparty(
        &m,
        &conn.client_id,
        &counterparty,
        &expected,
        &msg.proof_init,
        msg.proof_height.as_ref(),
    )?;
    end.state = State::Closed as i32;
    store::set_channel(&m, port, id, &end);
    let mut events = vec![event("channel_close_confirm", port, id, &end)];
    events.extend(app::on_close(
        host,
        &app,
        app::ibc_channel(port, id, &end, &end.version),
        false,
    )?);
    Ok(response(
        events,
        "/ibc.core.channel.v1.MsgChannelCloseConfirmResponse",
        Vec::new(),
    ))
}
