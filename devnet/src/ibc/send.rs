//! Sending a packet (ICS-04 `send_packet`): the channel must be OPEN, the commitment and the
//! packet are stored under the next sequence. No application is called here, so the transfer
//! module and contracts can send without importing the handlers that call them.

use cosmwasm_std::{Addr, Event, IbcTimeout};
use ibc_proto::ibc::core::channel::v1::{Channel, Order, Packet, State};
use ibc_proto::ibc::core::client::v1::Height;
use prost::Message;

use super::ends::{self, connection_id, expect_state};
use super::error::IbcError;
use super::host::Host;
use super::store::{self, Metered};
use super::{connection, paths};
use crate::exec::{ExecError, MsgOutcome};
use crate::wasm::WASM_PORT_PREFIX;

pub(super) fn height_text(h: Option<&Height>) -> String {
    let h = h.copied().unwrap_or_default();
    format!("{}-{}", h.revision_number, h.revision_height)
}

pub(super) fn timeout_height(p: &Packet) -> u64 {
    p.timeout_height.map_or(0, |h| h.revision_height)
}

pub(super) fn ordering_name(end: &Channel) -> &'static str {
    Order::try_from(end.ordering)
        .map(|o| o.as_str_name())
        .unwrap_or("ORDER_NONE_UNSPECIFIED")
}

/// A packet event with ibc-go's attributes; `with_data` adds `packet_data_hex`.
pub(super) fn event(kind: &str, p: &Packet, end: &Channel, with_data: bool) -> Event {
    let mut e = Event::new(kind);
    if with_data {
        e = e.add_attribute("packet_data_hex", hex::encode(&p.data));
    }
    e.add_attribute(
        "packet_timeout_height",
        height_text(p.timeout_height.as_ref()),
    )
    .add_attribute("packet_timeout_timestamp", p.timeout_timestamp.to_string())
    .add_attribute("packet_sequence", p.sequence.to_string())
    .add_attribute("packet_src_port", &p.source_port)
    .add_attribute("packet_src_channel", &p.source_channel)
    .add_attribute("packet_dst_port", &p.destination_port)
    .add_attribute("packet_dst_channel", &p.destination_channel)
    .add_attribute("packet_channel_ordering", ordering_name(end))
    .add_attribute(
        "packet_connection",
        end.connection_hops.first().cloned().unwrap_or_default(),
    )
}

/// The channel end, which must be OPEN.
pub fn open_channel(m: &Metered, port: &str, id: &str) -> Result<Channel, IbcError> {
    let end = ends::get(m, port, id)?;
    expect_state(port, id, &end, State::Open)?;
    Ok(end)
}

/// Sends `data` on our channel (port, id), which must be OPEN, with at least one timeout that
/// has not passed on the counterparty as far as our client knows. Returns the packet and the
/// `send_packet` event.
pub fn send(
    host: &Host,
    port: &str,
    id: &str,
    data: Vec<u8>,
    timeout_height: u64,
    timeout_timestamp: u64,
) -> Result<(Packet, Event), IbcError> {
    let m = host.m();
    let end = open_channel(&m, port, id)?;
    if timeout_height == 0 && timeout_timestamp == 0 {
        return Err(IbcError::InvalidPacket(
            "a packet needs a timeout height or a timeout timestamp".into(),
        ));
    }
    let conn = connection::get(&m, connection_id(&end)?)?;
    if let Some(client) = store::client(&m, &conn.client_id) {
        let latest_time = client.consensus_state.map_or(0, |c| c.timestamp);
        if timeout_height != 0 && client.sequence >= timeout_height {
            return Err(IbcError::PacketTimedOut(format!(
                "timeout height {timeout_height} already reached on the counterparty (height {})",
                client.sequence
            )));
        }
        if timeout_timestamp != 0 && latest_time >= timeout_timestamp {
            return Err(IbcError::PacketTimedOut(format!(
                "timeout timestamp {timeout_timestamp} already reached on the counterparty (time {latest_time})"
            )));
        }
    }
    let sequence = store::next_sequence_send(&m, port, id);
    store::set_next_sequence_send(&m, port, id, sequence + 1);
    let counterparty = end.counterparty.clone().unwrap_or_default();
    let packet = Packet {
        sequence,
        source_port: port.to_string(),
        source_channel: id.to_string(),
        destination_port: counterparty.port_id,
        destination_channel: counterparty.channel_id,
        data,
        timeout_height: (timeout_height != 0).then_some(Height {
            revision_number: 0,
            revision_height: timeout_height,
        }),
        timeout_timestamp,
    };
    store::set_sent(&m, &packet, paths::packet_commitment(&packet));
    let e = event("send_packet", &packet, &end, true);
    Ok((packet, e))
}

/// `IbcMsg::SendPacket` from a contract: on a channel of its own port. Answers wasmd's
/// `MsgIBCSendResponse { sequence }`.
pub fn send_from_contract(
    host: &Host,
    sender: &Addr,
    channel_id: &str,
    data: Vec<u8>,
    timeout: &IbcTimeout,
) -> Result<MsgOutcome, ExecError> {
    let port = format!("{}{sender}", WASM_PORT_PREFIX);
    if host.vm.ibc_port_of(host.ctx, sender.as_str()).as_deref() != Some(port.as_str()) {
        return Err(IbcError::PortUnauthorized {
            port,
            sender: sender.to_string(),
        }
        .into());
    }
    if timeout.block().is_some_and(|b| b.revision != 0) {
        return Err(
            IbcError::InvalidPacket("timeout revision must be 0 on the devnet".into()).into(),
        );
    }
    let (packet, e) = send(
        host,
        &port,
        channel_id,
        data,
        timeout.block().map_or(0, |b| b.height),
        timeout.timestamp().map_or(0, |t| t.nanos()),
    )?;
    let reply = cosmos_sdk_proto::cosmwasm::wasm::v1::MsgIbcSendResponse {
        sequence: packet.sequence,
    }
    .encode_to_vec();
    Ok(MsgOutcome {
        events: vec![e],
        data: Some(reply.clone().into()),
        msg_responses: vec![cosmwasm_std::MsgResponse {
            type_url: "/cosmwasm.wasm.v1.MsgIBCSendResponse".into(),
            value: reply.into(),
        }],
    })
}
