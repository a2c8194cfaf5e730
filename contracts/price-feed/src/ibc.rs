//! IBC entry points of the price feed: the channel handshake and close (subscriptions), and the
//! acknowledgements and timeouts of the packets `Publish` sends. The feed receives nothing.

#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{
    DepsMut, Empty, Env, IbcBasicResponse, IbcChannel, IbcChannelCloseMsg, IbcChannelConnectMsg,
    IbcChannelOpenMsg, IbcChannelOpenResponse, IbcPacketAckMsg, IbcPacketReceiveMsg,
    IbcPacketTimeoutMsg, IbcReceiveResponse, Never, Order, StdResult, Storage, from_json,
};
use loopin::price_feed::feed::{ChannelInfo, MAX_SUBSCRIBERS};
use loopin::price_feed::{Ack, check_channel, settings};

use crate::error::ContractError;
use crate::state::{ALLOWED_CONNECTIONS, ALLOWED_PORTS, CHANNELS, SUBSCRIBERS};

fn ensure_room(storage: &dyn Storage) -> Result<(), ContractError> {
    if SUBSCRIBERS
        .keys(storage, None, None, Order::Ascending)
        .count()
        >= MAX_SUBSCRIBERS
    {
        return Err(ContractError::TooManySubscribers {});
    }
    Ok(())
}

/// Only the owner's choice of subscribers: a channel on an allowed connection and, when the owner
/// names ports, from one of them. Anyone with a client of another chain here can make a
/// connection, and anyone on a permissionless chain a port, so without this any of them could
/// take every slot.
fn ensure_allowed(storage: &dyn Storage, channel: &IbcChannel) -> Result<(), ContractError> {
    let connections = ALLOWED_CONNECTIONS.may_load(storage)?.unwrap_or_default();
    let ports = ALLOWED_PORTS.may_load(storage)?.flatten();
    settings::ensure_allowed(
        Some(&connections),
        ports.as_deref(),
        &channel.connection_id,
        &channel.counterparty_endpoint.port_id,
    )?;
    Ok(())
}

/// Accepts unordered `loopin-price-1` channels on an allowed connection (and port) while there
/// is room for another subscriber.
#[cfg_attr(not(feature = "library"), entry_point)]
pub fn ibc_channel_open(
    deps: DepsMut,
    _env: Env,
    msg: IbcChannelOpenMsg,
) -> Result<IbcChannelOpenResponse, ContractError> {
    check_channel(msg.channel(), msg.counterparty_version())?;
    ensure_allowed(deps.storage, msg.channel())?;
    ensure_room(deps.storage)?;
    Ok(None)
}

/// Subscribes the channel: it receives every packet published from now on.
#[cfg_attr(not(feature = "library"), entry_point)]
pub fn ibc_channel_connect(
    deps: DepsMut,
    _env: Env,
    msg: IbcChannelConnectMsg,
) -> Result<IbcBasicResponse, ContractError> {
    let channel = msg.channel();
    check_channel(channel, msg.counterparty_version())?;
    ensure_allowed(deps.storage, channel)?;
    ensure_room(deps.storage)?;
    let id = channel.endpoint.channel_id.as_str();
    CHANNELS.save(
        deps.storage,
        id,
        &ChannelInfo {
            channel_id: id.to_string(),
            connection_id: channel.connection_id.clone(),
            counterparty_port: channel.counterparty_endpoint.port_id.clone(),
            counterparty_channel: channel.counterparty_endpoint.channel_id.clone(),
            open: true,
            sent: 0,
            delivered: 0,
            failed: 0,
            timed_out: 0,
        },
    )?;
    SUBSCRIBERS.save(deps.storage, id, &Empty {})?;
    Ok(IbcBasicResponse::new()
        .add_attribute("action", "channel_connect")
        .add_attribute("channel", id)
        .add_attribute("connection", &channel.connection_id))
}

/// Unsubscribes a channel: it gets no more packets and its slot is free; its record stays, with
/// `open: false`. Used by the close (either end's) and by the owner's eviction.
pub(crate) fn unsubscribe(storage: &mut dyn Storage, id: &str) -> StdResult<()> {
    SUBSCRIBERS.remove(storage, id);
    if let Some(mut info) = CHANNELS.may_load(storage, id)? {
        info.open = false;
        CHANNELS.save(storage, id, &info)?;
    }
    Ok(())
}

/// Whether a `CloseInit` on `id` is the owner's own eviction: `CloseChannel` unsubscribes the
/// channel (its record stays, `open: false`) and closes it in the same transaction, so its
/// callback finds a channel the feed connected and no longer serves. Every other channel the
/// feed knows is a subscriber, and one it does not know is still in its handshake.
fn is_eviction(storage: &dyn Storage, id: &str) -> StdResult<bool> {
    Ok(CHANNELS
        .may_load(storage, id)?
        .is_some_and(|info| !info.open)
        && !SUBSCRIBERS.has(storage, id))
}

/// Unsubscribes the channel when its counterparty closed it (`CloseConfirm`); its delivery
/// counts stay queryable. A close started on this end (`CloseInit`), which anyone may submit on
/// the feed's port, is refused (`CloseRefused`) unless it is the owner's eviction
/// (`CloseChannel`), which unsubscribed the channel already: a stranger cannot cut a subscriber
/// off.
#[cfg_attr(not(feature = "library"), entry_point)]
pub fn ibc_channel_close(
    deps: DepsMut,
    _env: Env,
    msg: IbcChannelCloseMsg,
) -> Result<IbcBasicResponse, ContractError> {
    let (id, initiated_here) = match &msg {
        IbcChannelCloseMsg::CloseInit { channel } => (channel.endpoint.channel_id.as_str(), true),
        IbcChannelCloseMsg::CloseConfirm { channel } => {
            (channel.endpoint.channel_id.as_str(), false)
        }
    };
    if initiated_here && !is_eviction(deps.storage, id)? {
        return Err(ContractError::CloseRefused {
            channel_id: id.to_string(),
        });
    }
    unsubscribe(deps.storage, id)?;
    Ok(IbcBasicResponse::new()
        .add_attribute("action", "channel_close")
        .add_attribute("channel", id)
        .add_attribute(
            "closed_by",
            if initiated_here {
                "owner"
            } else {
                "counterparty"
            },
        ))
}

/// The feed only sends: any packet gets an error acknowledgement and changes nothing.
#[cfg_attr(not(feature = "library"), entry_point)]
pub fn ibc_packet_receive(
    _deps: DepsMut,
    _env: Env,
    msg: IbcPacketReceiveMsg,
) -> Result<IbcReceiveResponse, Never> {
    let error = ContractError::SendOnly {}.to_string();
    Ok(IbcReceiveResponse::new(Ack::error(&error))
        .add_attribute("action", "receive")
        .add_attribute("channel", msg.packet.dest.channel_id)
        .add_attribute("error", error))
}

/// Adds one to a counter of a channel's record (a channel the feed never connected has none).
fn count(
    storage: &mut dyn Storage,
    channel: &str,
    counter: fn(&mut ChannelInfo) -> &mut u64,
) -> StdResult<()> {
    if let Some(mut info) = CHANNELS.may_load(storage, channel)? {
        *counter(&mut info) += 1;
        CHANNELS.save(storage, channel, &info)?;
    }
    Ok(())
}

/// Counts a success acknowledgement as delivered, an error one (or one that does not parse) as
/// failed. Malformed acknowledgements are counted, not refused, so the relayer's transaction
/// lands.
#[cfg_attr(not(feature = "library"), entry_point)]
pub fn ibc_packet_ack(
    deps: DepsMut,
    _env: Env,
    msg: IbcPacketAckMsg,
) -> Result<IbcBasicResponse, ContractError> {
    let channel = msg.original_packet.src.channel_id.as_str();
    let response = IbcBasicResponse::new()
        .add_attribute("action", "packet_ack")
        .add_attribute("channel", channel)
        .add_attribute("sequence", msg.original_packet.sequence.to_string());
    Ok(match from_json::<Ack>(&msg.acknowledgement.data) {
        Ok(Ack::Success(_)) => {
            count(deps.storage, channel, |info| &mut info.delivered)?;
            response.add_attribute("outcome", "delivered")
        }
        Ok(Ack::Error(error)) => {
            count(deps.storage, channel, |info| &mut info.failed)?;
            response
                .add_attribute("outcome", "failed")
                .add_attribute("error", error)
        }
        Err(_) => {
            count(deps.storage, channel, |info| &mut info.failed)?;
            response
                .add_attribute("outcome", "failed")
                .add_attribute("error", "malformed acknowledgement")
        }
    })
}

/// Counts the packet as timed out; a later epoch's packet replaces it.
#[cfg_attr(not(feature = "library"), entry_point)]
pub fn ibc_packet_timeout(
    deps: DepsMut,
    _env: Env,
    msg: IbcPacketTimeoutMsg,
) -> Result<IbcBasicResponse, ContractError> {
    let channel = msg.packet.src.channel_id.as_str();
    count(deps.storage, channel, |info| &mut info.timed_out)?;
    Ok(IbcBasicResponse::new()
        .add_attribute("action", "packet_timeout")
        .add_attribute("channel", channel)
        .add_attribute("sequence", msg.packet.sequence.to_string()))
}
