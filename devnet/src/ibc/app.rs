//! The applications behind the ports: an IBC-enabled contract owns `wasm.{address}` (its
//! `ibc_*` entry points are called), the native ICS-20 module owns `transfer`.

use std::sync::Arc;

use cosmwasm_std::{
    Addr, Binary, ContractResult, Event, IbcAcknowledgement, IbcChannel, IbcChannelCloseMsg,
    IbcChannelConnectMsg, IbcChannelOpenMsg, IbcEndpoint, IbcOrder, IbcPacket, IbcPacketAckMsg,
    IbcPacketReceiveMsg, IbcPacketTimeoutMsg, IbcQuery, IbcTimeout, IbcTimeoutBlock, Response,
    StdAck, SystemError, SystemResult, Timestamp,
};
use cosmwasm_vm::{
    call_ibc_channel_close, call_ibc_channel_connect, call_ibc_channel_open, call_ibc_packet_ack,
    call_ibc_packet_receive, call_ibc_packet_timeout,
};
use ibc_proto::ibc::core::channel::v1::{Channel, Order, Packet};

use super::error::IbcError;
use super::host::Host;
use super::{store, transfer};
use crate::exec::{ExecError, Shared};
use crate::wasm::{ContractInstance, Vm};

pub use super::transfer::TRANSFER_PORT;
pub use crate::wasm::WASM_PORT_PREFIX;

/// Who owns a port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum App {
    Contract(Addr),
    Transfer,
}

/// The application bound to `port`.
pub fn bound(host: &Host, port: &str) -> Result<App, IbcError> {
    if port == TRANSFER_PORT {
        return Ok(App::Transfer);
    }
    if let Some(address) = port.strip_prefix(WASM_PORT_PREFIX)
        && host.vm.ibc_port_of(host.ctx, address).as_deref() == Some(port)
    {
        return Ok(App::Contract(Addr::unchecked(address)));
    }
    Err(IbcError::PortNotBound(port.to_string()))
}

fn order(ordering: i32) -> IbcOrder {
    if ordering == Order::Ordered as i32 {
        IbcOrder::Ordered
    } else {
        IbcOrder::Unordered
    }
}

/// A channel end as the contract API describes it, with `version`.
pub fn ibc_channel(port: &str, channel_id: &str, end: &Channel, version: &str) -> IbcChannel {
    let counterparty = end.counterparty.clone().unwrap_or_default();
    IbcChannel::new(
        IbcEndpoint {
            port_id: port.to_string(),
            channel_id: channel_id.to_string(),
        },
        IbcEndpoint {
            port_id: counterparty.port_id,
            channel_id: counterparty.channel_id,
        },
        order(end.ordering),
        version,
        end.connection_hops.first().cloned().unwrap_or_default(),
    )
}

/// A packet as the contract API describes it.
pub fn ibc_packet(p: &Packet) -> IbcPacket {
    let block = p
        .timeout_height
        .filter(|h| h.revision_number != 0 || h.revision_height != 0)
        .map(|h| IbcTimeoutBlock {
            revision: h.revision_number,
            height: h.revision_height,
        });
    let timestamp = (p.timeout_timestamp != 0).then(|| Timestamp::from_nanos(p.timeout_timestamp));
    let timeout = match (block, timestamp) {
        (Some(b), Some(t)) => IbcTimeout::with_both(b, t),
        (Some(b), None) => IbcTimeout::with_block(b),
        (None, Some(t)) => IbcTimeout::with_timestamp(t),
        // A packet without a timeout (never sent by ibc-go, refused by this host's send).
        (None, None) => serde_json::from_str(r#"{"block":null,"timestamp":null}"#)
            .unwrap_or_else(|_| IbcTimeout::with_timestamp(Timestamp::from_nanos(0))),
    };
    IbcPacket::new(
        Binary::from(p.data.clone()),
        IbcEndpoint {
            port_id: p.source_port.clone(),
            channel_id: p.source_channel.clone(),
        },
        IbcEndpoint {
            port_id: p.destination_port.clone(),
            channel_id: p.destination_channel.clone(),
        },
        p.sequence,
        timeout,
    )
}

fn as_response(
    messages: Vec<cosmwasm_std::SubMsg>,
    attributes: Vec<cosmwasm_std::Attribute>,
    events: Vec<Event>,
) -> Response {
    let mut response = Response::new();
    response.messages = messages;
    response.attributes = attributes;
    response.events = events;
    response
}

/// Runs a contract's IBC callback that answers an `IbcBasicResponse`: its messages are
/// dispatched and its events returned, as for `execute`.
fn basic(
    host: &Host,
    contract: &Addr,
    call: impl FnOnce(
        &mut ContractInstance,
        &cosmwasm_std::Env,
    ) -> cosmwasm_vm::VmResult<
        cosmwasm_std::ContractResult<cosmwasm_std::IbcBasicResponse>,
    >,
) -> Result<Vec<Event>, ExecError> {
    let r = host.vm.call_entry(host.ctx, contract, host.depth, call)?;
    let response = as_response(r.messages, r.attributes, r.events);
    let (events, _) = host
        .vm
        .handle_response(host.ctx, contract, None, response, host.depth)?;
    Ok(events)
}

/// OpenInit: the application accepts the channel and may pick its version (else `version`).
pub fn on_open_init(host: &Host, app: &App, channel: IbcChannel) -> Result<String, ExecError> {
    match app {
        App::Contract(contract) => {
            let proposed = channel.version.clone();
            let msg = IbcChannelOpenMsg::new_init(channel);
            let answer = host
                .vm
                .call_entry(host.ctx, contract, host.depth, |i, env| {
                    call_ibc_channel_open(i, env, &msg)
                })?;
            Ok(answer.map(|a| a.version).unwrap_or(proposed))
        }
        App::Transfer => Ok(transfer::check_open(&channel, None)?),
    }
}

/// OpenTry: as OpenInit, with the counterparty's version (the channel carries it too, as
/// wasmd passes it).
pub fn on_open_try(
    host: &Host,
    app: &App,
    channel: IbcChannel,
    counterparty_version: &str,
) -> Result<String, ExecError> {
    match app {
        App::Contract(contract) => {
            let msg = IbcChannelOpenMsg::new_try(channel, counterparty_version);
            let answer = host
                .vm
                .call_entry(host.ctx, contract, host.depth, |i, env| {
                    call_ibc_channel_open(i, env, &msg)
                })?;
            Ok(answer
                .map(|a| a.version)
                .unwrap_or_else(|| counterparty_version.to_string()))
        }
        App::Transfer => Ok(transfer::check_open(&channel, Some(counterparty_version))?),
    }
}

/// OpenAck (with the counterparty's version) or OpenConfirm: the channel is open.
pub fn on_connect(
    host: &Host,
    app: &App,
    channel: IbcChannel,
    counterparty_version: Option<&str>,
) -> Result<Vec<Event>, ExecError> {
    match app {
        App::Contract(contract) => {
            let msg = match counterparty_version {
                Some(v) => IbcChannelConnectMsg::new_ack(channel, v),
                None => IbcChannelConnectMsg::new_confirm(channel),
            };
            basic(host, contract, |i, env| {
                call_ibc_channel_connect(i, env, &msg)
            })
        }
        App::Transfer => {
            if let Some(v) = counterparty_version {
                transfer::check_open(&channel, Some(v))?;
            }
            Ok(Vec::new())
        }
    }
}

/// CloseInit (`init`) or CloseConfirm. A contract may refuse; ICS-20 refuses to be closed.
pub fn on_close(
    host: &Host,
    app: &App,
    channel: IbcChannel,
    init: bool,
) -> Result<Vec<Event>, ExecError> {
    match app {
        App::Contract(contract) => {
            let msg = if init {
                IbcChannelCloseMsg::new_init(channel)
            } else {
                IbcChannelCloseMsg::new_confirm(channel)
            };
            basic(host, contract, |i, env| {
                call_ibc_channel_close(i, env, &msg)
            })
        }
        App::Transfer if init => {
            Err(IbcError::Transfer("ICS-20 channels cannot be closed by a user".into()).into())
        }
        App::Transfer => Ok(Vec::new()),
    }
}

/// The error acknowledgement `{"error":"<message>"}`.
pub fn error_ack(message: &str) -> Vec<u8> {
    StdAck::error(message).to_binary().to_vec()
}

/// Delivers a received packet in its own state layer. On success the application's writes stay
/// and its acknowledgement (if it wrote one now; a submessage reply's data replaces it) is
/// returned; on an application error its
/// writes are dropped and the acknowledgement is `{"error":"<message>"}` (wasmd 2.x behaviour).
/// Running out of gas fails the transaction.
pub fn on_recv(
    host: &Host,
    app: &App,
    packet: &Packet,
    relayer: &Addr,
) -> Result<(Vec<Event>, Option<Vec<u8>>), ExecError> {
    host.ctx.borrow_mut().state.push();
    let result = match app {
        App::Contract(contract) => {
            let msg = IbcPacketReceiveMsg::new(ibc_packet(packet), relayer.clone());
            host.vm
                .call_entry(host.ctx, contract, host.depth, |i, env| {
                    call_ibc_packet_receive(i, env, &msg)
                })
                .and_then(|r| {
                    let ack = r.acknowledgement.map(|a| a.to_vec());
                    let response = as_response(r.messages, r.attributes, r.events);
                    // As in wasmd, data a submessage's reply sets replaces the acknowledgement
                    // (cw20-ics20 turns a failed payout into an error acknowledgement so).
                    host.vm
                        .handle_response(host.ctx, contract, None, response, host.depth)
                        .map(|(events, data)| {
                            (events, ack.map(|ack| data.map_or(ack, |d| d.to_vec())))
                        })
                })
        }
        App::Transfer => transfer::on_recv(host, packet)
            .map(|events| (events, Some(transfer::success_ack())))
            .map_err(|e| ExecError::new("transfer", 1, e.to_string())),
    };
    match result {
        Ok(outcome) => {
            host.ctx.borrow_mut().state.merge();
            Ok(outcome)
        }
        Err(e) => {
            host.ctx.borrow_mut().state.discard();
            if e.is_out_of_gas() {
                return Err(e);
            }
            Ok((Vec::new(), Some(error_ack(&e.log))))
        }
    }
}

/// An acknowledgement of a packet this chain sent. An application error fails the transaction.
pub fn on_ack(
    host: &Host,
    app: &App,
    packet: &Packet,
    ack: &[u8],
    relayer: &Addr,
) -> Result<Vec<Event>, ExecError> {
    match app {
        App::Contract(contract) => {
            let msg = IbcPacketAckMsg::new(
                IbcAcknowledgement::new(ack.to_vec()),
                ibc_packet(packet),
                relayer.clone(),
            );
            basic(host, contract, |i, env| call_ibc_packet_ack(i, env, &msg))
        }
        App::Transfer => transfer::on_ack(host, packet, ack),
    }
}

/// A timeout of a packet this chain sent.
pub fn on_timeout(
    host: &Host,
    app: &App,
    packet: &Packet,
    relayer: &Addr,
) -> Result<Vec<Event>, ExecError> {
    match app {
        App::Contract(contract) => {
            let msg = IbcPacketTimeoutMsg::new(ibc_packet(packet), relayer.clone());
            basic(host, contract, |i, env| {
                call_ibc_packet_timeout(i, env, &msg)
            })
        }
        App::Transfer => transfer::on_timeout(host, packet),
    }
}

/// A contract's `IbcQuery`: its port (`PortId`), the OPEN channels of a port (`ListChannels`,
/// its own by default) and one OPEN channel (`Channel`), as wasmd answers them.
pub fn query(
    vm: &Arc<Vm>,
    ctx: &Shared,
    caller: &Addr,
    query: &IbcQuery,
) -> SystemResult<ContractResult<Binary>> {
    let open = |end: &Channel| end.state == ibc_proto::ibc::core::channel::v1::State::Open as i32;
    let own_port = || format!("{WASM_PORT_PREFIX}{caller}");
    let answer = match query {
        IbcQuery::PortId {} => match vm.ibc_port_of(ctx, caller.as_str()) {
            Some(port_id) => serde_json::json!({ "port_id": port_id }),
            None => {
                return SystemResult::Ok(ContractResult::Err(format!("{caller} has no IBC port")));
            }
        },
        #[allow(deprecated)]
        IbcQuery::ListChannels { port_id } => {
            let port = port_id.clone().unwrap_or_else(own_port);
            let channels: Vec<IbcChannel> = store::channels(&ctx.borrow().state)
                .into_iter()
                .filter(|(p, _, end)| *p == port && open(end))
                .map(|(p, id, end)| ibc_channel(&p, &id, &end, &end.version))
                .collect();
            serde_json::json!({ "channels": channels })
        }
        IbcQuery::Channel {
            channel_id,
            port_id,
        } => {
            let port = port_id.clone().unwrap_or_else(own_port);
            let channel = store::channel(&ctx.borrow().state, &port, channel_id)
                .filter(open)
                .map(|end| ibc_channel(&port, channel_id, &end, &end.version));
            serde_json::json!({ "channel": channel })
        }
        other => {
            return SystemResult::Err(SystemError::UnsupportedRequest {
                kind: format!("{other:?}").chars().take(64).collect(),
            });
        }
    };
    SystemResult::Ok(ContractResult::Ok(Binary::from(
        serde_json::to_vec(&answer).unwrap_or_default(),
    )))
}
