//! IBC entry points of the bridge: cw20-ics20's handshake (unordered `ics20-1` channels only),
//! packets, acknowledgements and timeouts; the channel close is the bridge's own (`lib.rs`).

#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{
    DepsMut, Env, IbcBasicResponse, IbcChannelCloseMsg, IbcChannelConnectMsg, IbcChannelOpenMsg,
    IbcChannelOpenResponse, IbcPacketAckMsg, IbcPacketReceiveMsg, IbcPacketTimeoutMsg,
    IbcReceiveResponse, Never,
};
use cw20_ics20::ibc as ics20;

use crate::error::ContractError;

/// Accepts unordered channels of version `ics20-1` (and a counterparty of the same version).
#[cfg_attr(not(feature = "library"), entry_point)]
pub fn ibc_channel_open(
    deps: DepsMut,
    env: Env,
    msg: IbcChannelOpenMsg,
) -> Result<IbcChannelOpenResponse, ContractError> {
    Ok(ics20::ibc_channel_open(deps, env, msg)?)
}

/// Records the channel: from now on LOOP can be sent on it.
#[cfg_attr(not(feature = "library"), entry_point)]
pub fn ibc_channel_connect(
    deps: DepsMut,
    env: Env,
    msg: IbcChannelConnectMsg,
) -> Result<IbcBasicResponse, ContractError> {
    Ok(ics20::ibc_channel_connect(deps, env, msg)?)
}

/// Refuses to close a channel from this end; accepts the counterparty's close (see `lib.rs`).
#[cfg_attr(not(feature = "library"), entry_point)]
pub fn ibc_channel_close(
    _deps: DepsMut,
    _env: Env,
    msg: IbcChannelCloseMsg,
) -> Result<IbcBasicResponse, ContractError> {
    match msg {
        IbcChannelCloseMsg::CloseInit { .. } => Err(ContractError::CloseRefused {}),
        IbcChannelCloseMsg::CloseConfirm { channel } => Ok(IbcBasicResponse::new()
            .add_attribute("action", "channel_close")
            .add_attribute("channel", channel.endpoint.channel_id)),
    }
}

/// Vouchers of tokens this bridge sent, coming back: released from escrow to the receiver. Any
/// other packet gets an error acknowledgement; receiving never fails the transaction.
#[cfg_attr(not(feature = "library"), entry_point)]
pub fn ibc_packet_receive(
    deps: DepsMut,
    env: Env,
    msg: IbcPacketReceiveMsg,
) -> Result<IbcReceiveResponse, Never> {
    // cw20-ics20's error type here is uninhabited too.
    ics20::ibc_packet_receive(deps, env, msg).map_err(|never| match never {})
}

/// A success acknowledgement only emits events; an error acknowledgement refunds the sender.
#[cfg_attr(not(feature = "library"), entry_point)]
pub fn ibc_packet_ack(
    deps: DepsMut,
    env: Env,
    msg: IbcPacketAckMsg,
) -> Result<IbcBasicResponse, ContractError> {
    Ok(ics20::ibc_packet_ack(deps, env, msg)?)
}

/// A timed-out packet refunds the sender.
#[cfg_attr(not(feature = "library"), entry_point)]
pub fn ibc_packet_timeout(
    deps: DepsMut,
    env: Env,
    msg: IbcPacketTimeoutMsg,
) -> Result<IbcBasicResponse, ContractError> {
    Ok(ics20::ibc_packet_timeout(deps, env, msg)?)
}
