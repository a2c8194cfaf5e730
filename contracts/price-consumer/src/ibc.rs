//! IBC entry points of the price consumer: the channel handshake (version, order and the
//! allowed connections) and the price packets.

#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{
    DepsMut, Empty, Env, IbcBasicResponse, IbcChannel, IbcChannelCloseMsg, IbcChannelConnectMsg,
    IbcChannelOpenMsg, IbcChannelOpenResponse, IbcPacket, IbcPacketAckMsg, IbcPacketReceiveMsg,
    IbcPacketTimeoutMsg, IbcReceiveResponse, Never, Storage,
};
use loopin::price_feed::{Ack, PricePacket, Receipt, check_channel, settings};

use crate::error::ContractError;
use crate::state::{
    ALLOWED_CONNECTIONS, ALLOWED_PORTS, CHANNELS, CLASSES, ChannelEnd, PRICES, StoredPrice,
};

/// The channel's connection is allowed and its other end is an allowed port (the feed's). Both
/// are pinned at instantiation (`Unpinned` otherwise); either is open only if the owner set it
/// to `None` since, or, for the ports, if the consumer was migrated from a version without them.
/// The connection alone does not pin the feed: any contract on the LooPIN chain can open a
/// channel over it; the port alone does not either: a chain of an attacker's (a client it
/// controls) can name any port.
fn ensure_allowed(storage: &dyn Storage, end: &ChannelEnd) -> Result<(), ContractError> {
    let connections = ALLOWED_CONNECTIONS.load(storage)?;
    let ports = ALLOWED_PORTS.may_load(storage)?.flatten();
    settings::ensure_allowed(
        connections.as_deref(),
        ports.as_deref(),
        &end.connection_id,
        &end.counterparty_port,
    )?;
    Ok(())
}

fn end_of(channel: &IbcChannel) -> ChannelEnd {
    ChannelEnd {
        connection_id: channel.connection_id.clone(),
        counterparty_port: channel.counterparty_endpoint.port_id.clone(),
    }
}

fn check(
    storage: &dyn Storage,
    channel: &IbcChannel,
    counterparty_version: Option<&str>,
) -> Result<(), ContractError> {
    check_channel(channel, counterparty_version)?;
    ensure_allowed(storage, &end_of(channel))
}

/// Accepts unordered `loopin-price-1` channels on an allowed connection from an allowed port.
#[cfg_attr(not(feature = "library"), entry_point)]
pub fn ibc_channel_open(
    deps: DepsMut,
    _env: Env,
    msg: IbcChannelOpenMsg,
) -> Result<IbcChannelOpenResponse, ContractError> {
    check(deps.storage, msg.channel(), msg.counterparty_version())?;
    Ok(None)
}

/// Records the channel, its connection and the feed's port.
#[cfg_attr(not(feature = "library"), entry_point)]
pub fn ibc_channel_connect(
    deps: DepsMut,
    _env: Env,
    msg: IbcChannelConnectMsg,
) -> Result<IbcBasicResponse, ContractError> {
    let channel = msg.channel();
    check(deps.storage, channel, msg.counterparty_version())?;
    CHANNELS.save(deps.storage, &channel.endpoint.channel_id, &end_of(channel))?;
    Ok(IbcBasicResponse::new()
        .add_attribute("action", "channel_connect")
        .add_attribute("channel", &channel.endpoint.channel_id)
        .add_attribute("connection", &channel.connection_id))
}

/// Forgets the channel when the feed's end closed it (`CloseConfirm`); the prices it delivered
/// stay queryable (their age shows). A close started on this end (`CloseInit`) is refused
/// (`CloseRefused`): the consumer has no owner path that closes a channel, so such a close is
/// anyone's `MsgChannelCloseInit` on its port, which would cut it off from the feed. The owner
/// stops a channel's packets with the allowed connections and ports instead.
#[cfg_attr(not(feature = "library"), entry_point)]
pub fn ibc_channel_close(
    deps: DepsMut,
    _env: Env,
    msg: IbcChannelCloseMsg,
) -> Result<IbcBasicResponse, ContractError> {
    let channel = match msg {
        IbcChannelCloseMsg::CloseInit { channel } => {
            return Err(ContractError::CloseRefused {
                channel_id: channel.endpoint.channel_id,
            });
        }
        IbcChannelCloseMsg::CloseConfirm { channel } => channel,
    };
    let id = &channel.endpoint.channel_id;
    CHANNELS.remove(deps.storage, id);
    Ok(IbcBasicResponse::new()
        .add_attribute("action", "channel_close")
        .add_attribute("channel", id))
}

/// Checks a packet and stores it, with its pool under its class, if it is newer than the
/// channel's price of its pool. Writes only once every check has passed, so a refused packet
/// changes nothing.
fn receive(
    deps: DepsMut,
    env: &Env,
    packet: &IbcPacket,
) -> Result<(Receipt, PricePacket), ContractError> {
    let channel = packet.dest.channel_id.as_str();
    let end =
        CHANNELS
            .may_load(deps.storage, channel)?
            .ok_or_else(|| ContractError::UnknownChannel {
                channel: channel.to_string(),
            })?;
    ensure_allowed(deps.storage, &end)?;
    let price = PricePacket::decode(&packet.data)?;
    let pool = price.pool.as_str();
    let key = (channel, pool);
    let stored = PRICES.may_load(deps.storage, key)?;
    if let Some(stored) = &stored
        && !price.is_newer_than(&stored.packet)
    {
        return Ok((Receipt::Ignored, price));
    }
    PRICES.save(
        deps.storage,
        key,
        &StoredPrice {
            packet: price.clone(),
            received_at: env.block.time,
        },
    )?;
    // A pair's class never changes, but the index follows the packet should a feed say so.
    if let Some(stored) = stored
        && stored.packet.class != price.class
    {
        CLASSES.remove(deps.storage, (channel, &stored.packet.class, pool));
    }
    CLASSES.save(deps.storage, (channel, &price.class, pool), &Empty {})?;
    Ok((Receipt::Stored, price))
}

/// Stores a price packet (success acknowledgement with result "stored"), ignores a stale or
/// replayed one (result "ignored"), and answers anything else with an error acknowledgement,
/// state unchanged.
#[cfg_attr(not(feature = "library"), entry_point)]
pub fn ibc_packet_receive(
    deps: DepsMut,
    env: Env,
    msg: IbcPacketReceiveMsg,
) -> Result<IbcReceiveResponse, Never> {
    let channel = msg.packet.dest.channel_id.clone();
    Ok(match receive(deps, &env, &msg.packet) {
        Ok((receipt, price)) => {
            let outcome = match receipt {
                Receipt::Stored => "stored",
                Receipt::Ignored => "ignored",
            };
            IbcReceiveResponse::new(receipt.ack())
                .add_attribute("action", "receive_price")
                .add_attribute("channel", channel)
                .add_attribute("pool", price.pool)
                .add_attribute("epoch", price.epoch.to_string())
                .add_attribute("height", price.height.to_string())
                .add_attribute("outcome", outcome)
        }
        Err(err) => IbcReceiveResponse::new(Ack::error(err.to_string()))
            .add_attribute("action", "receive_price")
            .add_attribute("channel", channel)
            .add_attribute("outcome", "refused")
            .add_attribute("error", err.to_string()),
    })
}

/// The consumer sends no packets, so there is nothing to acknowledge.
#[cfg_attr(not(feature = "library"), entry_point)]
pub fn ibc_packet_ack(
    _deps: DepsMut,
    _env: Env,
    _msg: IbcPacketAckMsg,
) -> Result<IbcBasicResponse, ContractError> {
    Ok(IbcBasicResponse::new().add_attribute("action", "packet_ack"))
}

/// The consumer sends no packets, so none can time out.
#[cfg_attr(not(feature = "library"), entry_point)]
pub fn ibc_packet_timeout(
    _deps: DepsMut,
    _env: Env,
    _msg: IbcPacketTimeoutMsg,
) -> Result<IbcBasicResponse, ContractError> {
    Ok(IbcBasicResponse::new().add_attribute("action", "packet_timeout"))
}
