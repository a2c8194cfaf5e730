//! Who may close the consumer's price channel: only the feed's end. Anyone on this chain may
//! submit `MsgChannelCloseInit` on the consumer's port, which runs the consumer's close callback
//! with `CloseInit`; the consumer has no owner path that closes channels, so it refuses every
//! `CloseInit` and a stranger cannot cut it off from the feed.

use cosmwasm_std::testing::{
    MockApi, MockQuerier, MockStorage, message_info, mock_dependencies, mock_env,
    mock_ibc_packet_recv,
};
use cosmwasm_std::{
    Decimal256, Env, IbcChannel, IbcChannelCloseMsg, IbcChannelConnectMsg, IbcChannelOpenMsg,
    IbcEndpoint, IbcOrder, OwnedDeps, Uint128, from_json, to_json_binary,
};
use loopin::price_feed::consumer::InstantiateMsg;
use loopin::price_feed::{Ack, PRICE_VERSION, PricePacket, Receipt};
use loopin_pool_math::amm::Reserves;
use loopin_price_consumer::ContractError;
use loopin_price_consumer::contract::instantiate;
use loopin_price_consumer::ibc::{
    ibc_channel_close, ibc_channel_connect, ibc_channel_open, ibc_packet_receive,
};

type Deps = OwnedDeps<MockStorage, MockApi, MockQuerier>;

const LOOPIN: &str = "connection-0";
const FEED: &str = "wasm.feed";

/// A consumer pinned to `FEED` over `LOOPIN`, its channel `channel-0` to the feed connected.
fn connected() -> (Deps, Env, IbcChannel) {
    let mut deps = mock_dependencies();
    let env = mock_env();
    let owner = deps.api.addr_make("owner");
    instantiate(
        deps.as_mut(),
        env.clone(),
        message_info(&owner, &[]),
        InstantiateMsg {
            owner: owner.to_string(),
            allowed_connections: Some(vec![LOOPIN.into()]),
            allowed_counterparty_ports: Some(vec![FEED.into()]),
            max_age_seconds: None,
        },
    )
    .unwrap();
    let channel = IbcChannel::new(
        IbcEndpoint {
            port_id: "wasm.consumer".into(),
            channel_id: "channel-0".into(),
        },
        IbcEndpoint {
            port_id: FEED.into(),
            channel_id: "channel-7".into(),
        },
        IbcOrder::Unordered,
        PRICE_VERSION,
        LOOPIN,
    );
    ibc_channel_open(
        deps.as_mut(),
        env.clone(),
        IbcChannelOpenMsg::new_try(channel.clone(), PRICE_VERSION),
    )
    .unwrap();
    ibc_channel_connect(
        deps.as_mut(),
        env.clone(),
        IbcChannelConnectMsg::new_confirm(channel.clone()),
    )
    .unwrap();
    (deps, env, channel)
}

fn packet(epoch: u64, env: &Env) -> PricePacket {
    PricePacket {
        pool: "loopin1pair".into(),
        class: "h100".into(),
        spot_price: Some(Decimal256::percent(1_250)),
        twap: Some(Decimal256::percent(1_250)),
        twap_window_seconds: 60,
        reserves: Reserves::new(4_000_000, 50_000_000),
        capacity: Uint128::new(5_000_000),
        epoch,
        height: 100 + epoch,
        time: env.block.time,
    }
}

fn receive(deps: &mut Deps, env: &Env, packet: &PricePacket) -> Ack {
    let mut msg = mock_ibc_packet_recv("channel-0", &()).unwrap();
    msg.packet.data = to_json_binary(packet).unwrap();
    let response = ibc_packet_receive(deps.as_mut(), env.clone(), msg).unwrap();
    from_json(response.acknowledgement.unwrap()).unwrap()
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
        receive(&mut deps, &env, &packet(5, &env)),
        Receipt::Stored.ack()
    );
}

#[test]
fn the_feeds_end_closing_the_channel_is_accepted_and_later_packets_refused() {
    let (mut deps, env, channel) = connected();
    assert_eq!(
        receive(&mut deps, &env, &packet(5, &env)),
        Receipt::Stored.ack()
    );
    ibc_channel_close(
        deps.as_mut(),
        env.clone(),
        IbcChannelCloseMsg::CloseConfirm { channel },
    )
    .unwrap();
    assert_eq!(
        receive(&mut deps, &env, &packet(6, &env)),
        Ack::error("channel channel-0 is not connected")
    );
}
