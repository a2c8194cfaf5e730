//! Packets (ICS-04): sending (commitment and the packet stored, `send_packet`), receiving
//! (proof of the counterparty's commitment, a receipt so a packet is delivered once, the
//! application's acknowledgement written), acknowledging and timing out (proof of the
//! counterparty's acknowledgement, or of its missing receipt after the timeout).

use cosmwasm_std::{Addr, Event, IbcTimeout};
use ibc_proto::ibc::core::channel::v1::{
    Channel, MsgAcknowledgement, MsgAcknowledgementResponse, MsgRecvPacket, MsgRecvPacketResponse,
    MsgTimeout, MsgTimeoutResponse, Order, Packet, ResponseResultType, State,
};
use ibc_proto::ibc::core::client::v1::Height;
use prost::Message;

use super::app::{self, App};
use super::channel::{self, connection_id, expect_state};
use super::error::IbcError;
use super::store::{self, Metered};
use super::{Host, client, connection, paths, proof, response};
use crate::exec::{ExecError, MsgOutcome};

fn height_text(h: Option<&Height>) -> String {
    let h = h.copied().unwrap_or_default();
    format!("{}-{}", h.revision_number, h.revision_height)
}

fn timeout_height(p: &Packet) -> u64 {
    p.timeout_height.map_or(0, |h| h.revision_height)
}

fn ordering_name(end: &Channel) -> &'static str {
    Order::try_from(end.ordering)
        .map(|o| o.as_str_name())
        .unwrap_or("ORDER_NONE_UNSPECIFIED")
}

/// A packet event with ibc-go's attributes; `with_data` adds `packet_data_hex`.
fn event(kind: &str, p: &Packet, end: &Channel, with_data: bool) -> Event {
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
    let end = channel::get(m, port, id)?;
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
    let port = format!("{}{sender}", app::WASM_PORT_PREFIX);
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

fn packet_of(packet: Option<&Packet>) -> Result<Packet, IbcError> {
    let p = packet
        .cloned()
        .ok_or_else(|| IbcError::Invalid("no packet".into()))?;
    let ids = [
        &p.source_port,
        &p.source_channel,
        &p.destination_port,
        &p.destination_channel,
    ];
    if ids.iter().any(|id| !paths::valid_identifier(id)) {
        return Err(IbcError::InvalidPacket(
            "invalid port or channel identifier".into(),
        ));
    }
    if p.sequence == 0 {
        return Err(IbcError::InvalidPacket("sequence 0".into()));
    }
    if p.timeout_height.is_some_and(|h| h.revision_number != 0) {
        return Err(IbcError::InvalidPacket(
            "timeout revision must be 0 on the devnet".into(),
        ));
    }
    Ok(p)
}

/// Checks that the packet's other end is `end`'s counterparty.
fn check_counterparty(
    end: &Channel,
    other_port: &str,
    other_channel: &str,
    which: &str,
) -> Result<(), IbcError> {
    let cp = end.counterparty.clone().unwrap_or_default();
    if cp.port_id != other_port || cp.channel_id != other_channel {
        return Err(IbcError::InvalidPacket(format!(
            "packet {which} {other_port}/{other_channel} is not the channel's counterparty {}/{}",
            cp.port_id, cp.channel_id
        )));
    }
    Ok(())
}

/// Our sent packet's commitment, which must still exist and match `packet`.
fn check_commitment(m: &Metered, p: &Packet) -> Result<(), IbcError> {
    let (port, channel, sequence) = (p.source_port.clone(), p.source_channel.clone(), p.sequence);
    match store::commitment(m, &port, &channel, sequence) {
        None => Err(IbcError::CommitmentNotFound {
            port,
            channel,
            sequence,
        }),
        Some(c) if c != paths::packet_commitment(p) => Err(IbcError::CommitmentMismatch {
            port,
            channel,
            sequence,
        }),
        Some(_) => Ok(()),
    }
}

fn result_response(type_url: &str, value: Vec<u8>, events: Vec<Event>) -> MsgOutcome {
    response(events, type_url, value)
}

/// `MsgRecvPacket`.
pub fn recv(host: &Host, msg: &MsgRecvPacket) -> Result<MsgOutcome, ExecError> {
    let m = host.m();
    let p = packet_of(msg.packet.as_ref())?;
    let (port, id, seq) = (&p.destination_port, &p.destination_channel, p.sequence);
    let end = open_channel(&m, port, id)?;
    check_counterparty(&end, &p.source_port, &p.source_channel, "source")?;
    let conn = connection::open(&m, connection_id(&end)?)?;
    let (height, time) = {
        let block = &host.ctx.borrow().block;
        (block.height, block.time.nanos())
    };
    let th = timeout_height(&p);
    if th != 0 && height >= th {
        return Err(IbcError::PacketTimedOut(format!(
            "timeout height {th} reached (block height {height})"
        ))
        .into());
    }
    if p.timeout_timestamp != 0 && time >= p.timeout_timestamp {
        return Err(IbcError::PacketTimedOut(format!(
            "timeout timestamp {} reached (block time {time})",
            p.timeout_timestamp
        ))
        .into());
    }
    client::verify(
        &m,
        &conn.client_id,
        msg.proof_height.as_ref(),
        &msg.proof_commitment,
        &paths::commitment(&p.source_port, &p.source_channel, seq),
        &paths::packet_commitment(&p),
    )?;
    if store::has_receipt(&m, port, id, seq) {
        return Err(IbcError::AlreadyReceived {
            port: port.clone(),
            channel: id.clone(),
            sequence: seq,
        }
        .into());
    }
    store::set_receipt(&m, port, id, seq);
    let app: App = app::bound(host, port)?;
    let mut events = vec![event("recv_packet", &p, &end, true)];
    let relayer = Addr::unchecked(msg.signer.clone());
    let (app_events, ack) = app::on_recv(host, &app, &p, &relayer)?;
    events.extend(app_events);
    if let Some(ack) = ack {
        if ack.is_empty() {
            return Err(IbcError::InvalidPacket(
                "the application wrote an empty acknowledgement".into(),
            )
            .into());
        }
        store::set_ack(&m, port, id, seq, paths::ack_commitment(&ack));
        events.push(
            event("write_acknowledgement", &p, &end, true)
                .add_attribute("packet_ack_hex", hex::encode(&ack)),
        );
    }
    Ok(result_response(
        "/ibc.core.channel.v1.MsgRecvPacketResponse",
        MsgRecvPacketResponse {
            result: ResponseResultType::Success as i32,
        }
        .encode_to_vec(),
        events,
    ))
}

/// `MsgAcknowledgement`.
pub fn acknowledge(host: &Host, msg: &MsgAcknowledgement) -> Result<MsgOutcome, ExecError> {
    let m = host.m();
    let p = packet_of(msg.packet.as_ref())?;
    let (port, id, seq) = (&p.source_port, &p.source_channel, p.sequence);
    let end = open_channel(&m, port, id)?;
    check_counterparty(
        &end,
        &p.destination_port,
        &p.destination_channel,
        "destination",
    )?;
    let conn = connection::open(&m, connection_id(&end)?)?;
    check_commitment(&m, &p)?;
    if msg.acknowledgement.is_empty() {
        return Err(IbcError::Invalid("empty acknowledgement".into()).into());
    }
    client::verify(
        &m,
        &conn.client_id,
        msg.proof_height.as_ref(),
        &msg.proof_acked,
        &paths::ack(&p.destination_port, &p.destination_channel, seq),
        &paths::ack_commitment(&msg.acknowledgement),
    )?;
    store::delete_sent(&m, port, id, seq);
    let app = app::bound(host, port)?;
    let mut events = vec![event("acknowledge_packet", &p, &end, false)];
    let relayer = Addr::unchecked(msg.signer.clone());
    events.extend(app::on_ack(host, &app, &p, &msg.acknowledgement, &relayer)?);
    Ok(result_response(
        "/ibc.core.channel.v1.MsgAcknowledgementResponse",
        MsgAcknowledgementResponse {
            result: ResponseResultType::Success as i32,
        }
        .encode_to_vec(),
        events,
    ))
}

/// `MsgTimeout`: the counterparty, at a height or time past the packet's timeout, proves it has
/// no receipt of it.
pub fn timeout(host: &Host, msg: &MsgTimeout) -> Result<MsgOutcome, ExecError> {
    let m = host.m();
    let p = packet_of(msg.packet.as_ref())?;
    let (port, id, seq) = (&p.source_port, &p.source_channel, p.sequence);
    let end = open_channel(&m, port, id)?;
    check_counterparty(
        &end,
        &p.destination_port,
        &p.destination_channel,
        "destination",
    )?;
    let conn = connection::open(&m, connection_id(&end)?)?;
    check_commitment(&m, &p)?;
    let proof_height = client::proof_height(msg.proof_height.as_ref())?;
    let path = paths::receipt(&p.destination_port, &p.destination_channel, seq);
    let proof_time =
        proof::timestamp(&msg.proof_unreceived).map_err(|reason| IbcError::InvalidProof {
            path: path.clone(),
            height: proof_height,
            reason,
        })?;
    let th = timeout_height(&p);
    let timed_out = (th != 0 && proof_height >= th)
        || (p.timeout_timestamp != 0 && proof_time >= p.timeout_timestamp);
    if !timed_out {
        return Err(IbcError::NotTimedOut(format!(
            "the proof is of counterparty height {proof_height}, time {proof_time}; the packet times out at height {th}, time {}",
            p.timeout_timestamp
        ))
        .into());
    }
    client::verify(
        &m,
        &conn.client_id,
        msg.proof_height.as_ref(),
        &msg.proof_unreceived,
        &path,
        &[],
    )?;
    store::delete_sent(&m, port, id, seq);
    let app = app::bound(host, port)?;
    let mut events = vec![event("timeout_packet", &p, &end, false)];
    let relayer = Addr::unchecked(msg.signer.clone());
    events.extend(app::on_timeout(host, &app, &p, &relayer)?);
    Ok(result_response(
        "/ibc.core.channel.v1.MsgTimeoutResponse",
        MsgTimeoutResponse {
            result: ResponseResultType::Success as i32,
        }
        .encode_to_vec(),
        events,
    ))
}
