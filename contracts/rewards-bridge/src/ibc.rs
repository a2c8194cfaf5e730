//! IBC entry points of the bridge: cw20-ics20's handshake (unordered `ics20-1` channels only),
//! packets, acknowledgements and timeouts; the channel close is the bridge's own (`lib.rs`).

#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{
    DepsMut, Env, IbcBasicResponse, IbcChannelCloseMsg, IbcChannelConnectMsg, IbcChannelOpenMsg,
    IbcChannelOpenResponse, IbcPacketAckMsg, IbcPacketReceiveMsg, IbcPacketTimeoutMsg,
    IbcReceiveResponse, Never, Order, Storage,
};
use cw20_ics20::ibc as ics20;
use cw20_ics20::state::CHANNEL_STATE;

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

/// Refuses to close a channel from this end; accepts the counterparty's close only once nothing
/// is escrowed for the channel (see `lib.rs`).
#[cfg_attr(not(feature = "library"), entry_point)]
pub fn ibc_channel_close(
    deps: DepsMut,
    _env: Env,
    msg: IbcChannelCloseMsg,
) -> Result<IbcBasicResponse, ContractError> {
    match msg {
        IbcChannelCloseMsg::CloseInit { .. } => Err(ContractError::CloseRefused {}),
        IbcChannelCloseMsg::CloseConfirm { channel } => {
            let id = channel.endpoint.channel_id;
            ensure_nothing_escrowed(deps.storage, &id)?;
            Ok(IbcBasicResponse::new()
                .add_attribute("action", "channel_close")
                .add_attribute("channel", id))
        }
    }
}

/// Refuses while any denom has a non-zero outstanding balance on the channel (cw20-ics20's
/// escrow accounting, `CHANNEL_STATE`): closing would strand it.
fn ensure_nothing_escrowed(storage: &dyn Storage, channel_id: &str) -> Result<(), ContractError> {
    for item in CHANNEL_STATE
        .prefix(channel_id)
        .range(storage, None, None, Order::Ascending)
    {
        let (denom, state) = item.map_err(cw20_ics20::ContractError::from)?;
        if !state.outstanding.is_zero() {
            return Err(ContractError::CloseWithEscrow {
                channel_id: channel_id.to_string(),
                denom,
                outstanding: state.outstanding,
            });
        }
    }
    Ok(())
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
