//! Who may close the consumer's price channel: only the feed's end. Anyone on this chain may
//! submit `MsgChannelCloseInit` on the consumer's port, which runs the consumer's close callback
//! with `CloseInit`; the consumer has no owner path that closes channels, so it refuses every
//! `CloseInit` and a stranger cannot cut it off from the feed.

mod common;

use common::*;
use cosmwasm_std::testing::mock_env;
use cosmwasm_std::{Env, IbcChannel, IbcChannelCloseMsg};
use loopin::price_feed::{Ack, PricePacket, Receipt};
use loopin_price_consumer::ContractError;
use loopin_price_consumer::ibc::ibc_channel_close;

/// A consumer pinned to `FEED` over `LOOPIN`, its channel `channel-0` to the feed connected.
fn connected() -> (Deps, Env, IbcChannel) {
    let (mut deps, env, _) = instantiated(mock_env(), &[LOOPIN], &[FEED], None);
    let channel = channel("channel-0", LOOPIN, FEED);
    handshake(&mut deps, &env, &channel).unwrap();
    (deps, env, channel)
}

fn packet(epoch: u64, env: &Env) -> PricePacket {
    price_packet(POOL, epoch, 100 + epoch, env.block.time)
}

#[test]
fn a_stranger_cannot_close_the_consumers_channel_from_this_end() {
    let (mut deps, env, channel) = connected();
    assert_eq!(
        ibc_channel_close(
            deps.as_mut(),
            env.clone(),
            IbcChannelCloseMsg::CloseInit {
                channel: channel.clone()
            },
        ),
        Err(ContractError::CloseRefused {
            channel_id: "channel-0".into()
        })
    );
    assert_eq!(
        ContractError::CloseRefused {
            channel_id: "channel-0".into()
        }
        .to_string(),
        "channel channel-0 cannot be closed from the consumer's end, only from the feed's"
    );
    // Still connected: the feed's next packet is stored.
    assert_eq!(
        receive(&mut deps, &env, "channel-0", &packet(5, &env)),
        Receipt::Stored.ack()
    );
}

#[test]
fn the_feeds_end_closing_the_channel_is_accepted_and_later_packets_refused() {
    let (mut deps, env, channel) = connected();
    assert_eq!(
        receive(&mut deps, &env, "channel-0", &packet(5, &env)),
        Receipt::Stored.ack()
    );
    ibc_channel_close(
        deps.as_mut(),
        env.clone(),
        IbcChannelCloseMsg::CloseConfirm { channel },
    )
    .unwrap();
    assert_eq!(
        receive(&mut deps, &env, "channel-0", &packet(6, &env)),
        Ack::error("channel channel-0 is not connected")
    );
}
