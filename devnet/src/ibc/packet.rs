//! Packets (ICS-04; sending is `send.rs`'s): receiving
//! (proof of the counterparty's commitment, a receipt so a packet is delivered once, the
//! application's acknowledgement written), acknowledging and timing out (proof of the
//! counterparty's acknowledgement, or of its missing receipt after the timeout).

use cosmwasm_std::{Addr, Event};
use ibc_proto::ibc::core::channel::v1::{
    Channel, MsgAcknowledgement, MsgAcknowledgementResponse, MsgRecvPacket, MsgRecvPacketResponse,
    MsgTimeout, MsgTimeoutResponse, Packet, ResponseResultType,
};
use prost::Message;

use super::app::{self, App};
use super::channel::connection_id;
use super::error::IbcError;
use super::host::{Host, response};
use super::send::{event, open_channel, timeout_height};
use super::store::{self, Metered};
use super::{client, connection, paths, proof};
use crate::exec::{ExecError, MsgOutcome};

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
            reason: reason.to_string(),
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
