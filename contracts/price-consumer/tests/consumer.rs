//! The price consumer: channel rules, storing and serving prices, refusing what it must.

mod common;

use common::*;
use cosmwasm_std::testing::{
    message_info, mock_ibc_channel_close_confirm, mock_ibc_channel_open_init,
    mock_ibc_channel_open_try,
};
use cosmwasm_std::{
    Addr, Binary, Decimal256, Env, IbcChannelConnectMsg, IbcChannelOpenMsg, IbcOrder, Timestamp,
    to_json_binary,
};
use cw_ownable::OwnershipError;
use loopin::price_feed::consumer::{
    ConfigResponse, DEFAULT_MAX_AGE_SECONDS, ExecuteMsg, PriceKey, PriceResponse,
};
use loopin::price_feed::settings::SettingsError;
use loopin::price_feed::{Ack, ChannelError, PRICE_VERSION, PacketError, PricePacket, Receipt};
use loopin_price_consumer::ContractError;
use loopin_price_consumer::contract::execute;
use loopin_price_consumer::ibc::{ibc_channel_close, ibc_channel_connect, ibc_channel_open};

/// The consumer at t = 5000 s, allowing `allowed` connections and the mock channels' port.
fn consumer(allowed: &[&str]) -> (Deps, Env, Addr) {
    instantiated(env_at(5_000), allowed, &[MOCK_PORT], None)
}

fn connect(deps: &mut Deps, env: &Env, channel: &str) {
    ibc_channel_open(
        deps.as_mut(),
        env.clone(),
        mock_ibc_channel_open_init(channel, IbcOrder::Unordered, PRICE_VERSION),
    )
    .unwrap();
    connect_ack(deps, env, channel);
}

fn packet(pool: &str, epoch: u64, height: u64) -> PricePacket {
    PricePacket {
        spot_price: Some(Decimal256::from_atomics(12_500_000u128, 0).unwrap()),
        twap: Some(Decimal256::from_atomics(13_750_000u128, 0).unwrap()),
        ..price_packet(pool, epoch, height, Timestamp::from_seconds(1_000 + height))
    }
}

#[test]
fn accepts_only_unordered_price_channels_on_allowed_connections() {
    let (mut deps, env, owner) = consumer(&["connection-0"]);
    let open = |deps: &mut Deps, msg| ibc_channel_open(deps.as_mut(), env.clone(), msg);
    assert_eq!(
        open(
            &mut deps,
            mock_ibc_channel_open_init("channel-5", IbcOrder::Ordered, PRICE_VERSION)
        ),
        Err(ContractError::Channel(ChannelError::Ordered {}))
    );
    assert_eq!(
        open(
            &mut deps,
            mock_ibc_channel_open_try("channel-5", IbcOrder::Unordered, "loopin-price-2")
        ),
        Err(ContractError::Channel(ChannelError::WrongVersion {
            version: "loopin-price-2".into()
        }))
    );
    // From the mock channels' port, its end channel-0.
    let mut ours = channel("channel-5", "connection-0", MOCK_PORT);
    ours.counterparty_endpoint.channel_id = "channel-0".into();
    assert_eq!(
        open(
            &mut deps,
            IbcChannelOpenMsg::new_try(ours.clone(), "ics20-1")
        ),
        Err(ContractError::Channel(
            ChannelError::WrongCounterpartyVersion {
                version: "ics20-1".into()
            }
        ))
    );
    // The mock channels are on connection-2, which is not allowed.
    assert_eq!(
        open(
            &mut deps,
            mock_ibc_channel_open_init("channel-5", IbcOrder::Unordered, PRICE_VERSION)
        ),
        Err(ContractError::Settings(
            SettingsError::ConnectionNotAllowed {
                connection_id: MOCK_CONNECTION.into()
            }
        ))
    );
    assert_eq!(
        open(&mut deps, IbcChannelOpenMsg::new_init(ours.clone())),
        Ok(None)
    );
    assert_eq!(
        ibc_channel_connect(
            deps.as_mut(),
            env.clone(),
            IbcChannelConnectMsg::new_ack(ours.clone(), "loopin-price-0")
        ),
        Err(ContractError::Channel(
            ChannelError::WrongCounterpartyVersion {
                version: "loopin-price-0".into()
            }
        ))
    );
    ibc_channel_connect(
        deps.as_mut(),
        env.clone(),
        IbcChannelConnectMsg::new_confirm(ours),
    )
    .unwrap();

    // Only the owner changes the list; any connection once it is lifted.
    let stranger = deps.api.addr_make("stranger");
    let set = |deps: &mut Deps, sender: &Addr, connections: Option<Vec<String>>| {
        execute(
            deps.as_mut(),
            env.clone(),
            message_info(sender, &[]),
            ExecuteMsg::SetAllowedConnections { connections },
        )
    };
    assert_eq!(
        set(&mut deps, &stranger, None),
        Err(ContractError::Ownership(OwnershipError::NotOwner))
    );
    set(&mut deps, &owner, None).unwrap();
    assert_eq!(
        config(&deps, &env),
        ConfigResponse {
            allowed_connections: None,
            allowed_counterparty_ports: Some(vec![MOCK_PORT.into()]),
            max_age_seconds: DEFAULT_MAX_AGE_SECONDS,
        }
    );
    connect(&mut deps, &env, "channel-6");
}

#[test]
fn stores_prices_per_channel_and_pool_and_serves_them_in_pages() {
    let (mut deps, env, _) = consumer(&[MOCK_CONNECTION]);
    connect(&mut deps, &env, "channel-5");
    connect(&mut deps, &env, "channel-6");
    let (ack, response) = receive_raw(
        &mut deps,
        &env,
        "channel-5",
        to_json_binary(&packet("pair-b", 7, 120)).unwrap(),
    );
    assert_eq!(ack, Receipt::Stored.ack());
    let attributes: Vec<(&str, &str)> = response
        .attributes
        .iter()
        .map(|attr| (attr.key.as_str(), attr.value.as_str()))
        .collect();
    assert_eq!(
        attributes,
        vec![
            ("action", "receive_price"),
            ("channel", "channel-5"),
            ("pool", "pair-b"),
            ("epoch", "7"),
            ("height", "120"),
            ("outcome", "stored"),
        ]
    );
    assert_eq!(
        receive(&mut deps, &env, "channel-5", &packet("pair-a", 3, 40)),
        Receipt::Stored.ack()
    );
    assert_eq!(
        receive(&mut deps, &env, "channel-6", &packet("pair-a", 9, 200)),
        Receipt::Stored.ack()
    );

    assert_eq!(
        price(&deps, &env, "channel-5", "pair-b"),
        Ok(PriceResponse {
            channel: "channel-5".into(),
            packet: packet("pair-b", 7, 120),
            received_at: Timestamp::from_seconds(5_000),
        })
    );
    assert_eq!(
        price(&deps, &env, "channel-7", "pair-b"),
        Err(ContractError::PriceNotFound {
            channel: "channel-7".into(),
            pool: "pair-b".into()
        })
    );
    let first = prices(&deps, &env, None, 2);
    let keys: Vec<_> = first
        .iter()
        .map(|p| (p.channel.as_str(), p.packet.pool.as_str(), p.packet.epoch))
        .collect();
    assert_eq!(
        keys,
        vec![("channel-5", "pair-a", 3), ("channel-5", "pair-b", 7)]
    );
    let rest = prices(
        &deps,
        &env,
        Some(PriceKey {
            channel: "channel-5".into(),
            pool: "pair-b".into(),
        }),
        2,
    );
    assert_eq!(rest.len(), 1);
    assert_eq!(
        (rest[0].channel.as_str(), rest[0].packet.epoch),
        ("channel-6", 9)
    );
}

#[test]
fn malformed_packets_get_an_error_ack_and_change_nothing() {
    let (mut deps, env, _) = consumer(&[MOCK_CONNECTION]);
    connect(&mut deps, &env, "channel-5");
    let (ack, response) = receive_raw(
        &mut deps,
        &env,
        "channel-5",
        Binary::from(b"not json".to_vec()),
    );
    let Ack::Error(message) = ack else {
        panic!("an error acknowledgement");
    };
    assert!(message.starts_with("malformed price packet: "), "{message}");
    assert!(
        response
            .attributes
            .iter()
            .any(|attr| attr.key == "outcome" && attr.value == "refused")
    );

    let mut bad = packet("pair-a", 1, 1);
    bad.class = "H100".into();
    assert_eq!(
        receive(&mut deps, &env, "channel-5", &bad),
        Ack::error("invalid class H100 in price packet")
    );
    bad = packet("", 1, 1);
    assert_eq!(
        receive(&mut deps, &env, "channel-5", &bad),
        Ack::error(PacketError::InvalidPool {}.to_string())
    );
    // A channel that never connected.
    assert_eq!(
        receive(&mut deps, &env, "channel-9", &packet("pair-a", 1, 1)),
        Ack::error("channel channel-9 is not connected")
    );
    assert_eq!(prices(&deps, &env, None, 30), vec![]);
}

#[test]
fn unknown_fields_are_ignored_so_a_feed_may_add_some() {
    let (mut deps, env, _) = consumer(&[MOCK_CONNECTION]);
    connect(&mut deps, &env, "channel-5");
    let mut json = packet_json(&packet("pair-a", 1, 1));
    json.insert_str(json.len() - 1, r#","volume":"42""#);
    let (ack, _) = receive_raw(
        &mut deps,
        &env,
        "channel-5",
        Binary::from(json.into_bytes()),
    );
    assert_eq!(ack, Receipt::Stored.ack());
    assert_eq!(
        price(&deps, &env, "channel-5", "pair-a").unwrap().packet,
        packet("pair-a", 1, 1)
    );
}

/// A packet's JSON as a string.
fn packet_json(packet: &PricePacket) -> String {
    String::from_utf8(to_json_binary(packet).unwrap().to_vec()).unwrap()
}

#[test]
fn stale_and_replayed_packets_are_acknowledged_and_ignored() {
    let (mut deps, env, _) = consumer(&[MOCK_CONNECTION]);
    connect(&mut deps, &env, "channel-5");
    let current = packet("pair-a", 7, 120);
    assert_eq!(
        receive(&mut deps, &env, "channel-5", &current),
        Receipt::Stored.ack()
    );
    // Replayed, an older epoch, the same epoch seen earlier.
    for stale in [
        current.clone(),
        packet("pair-a", 6, 500),
        packet("pair-a", 7, 110),
    ] {
        let (ack, response) = receive_raw(
            &mut deps,
            &env,
            "channel-5",
            to_json_binary(&stale).unwrap(),
        );
        assert_eq!(ack, Receipt::Ignored.ack());
        assert!(
            response
                .attributes
                .iter()
                .any(|attr| attr.key == "outcome" && attr.value == "ignored")
        );
        assert_eq!(
            price(&deps, &env, "channel-5", "pair-a").unwrap().packet,
            current
        );
    }
    // The same epoch observed later replaces it.
    let later = packet("pair-a", 7, 130);
    assert_eq!(
        receive(&mut deps, &env, "channel-5", &later),
        Receipt::Stored.ack()
    );
    assert_eq!(
        price(&deps, &env, "channel-5", "pair-a").unwrap().packet,
        later
    );
}

#[test]
fn packets_on_a_closed_or_disallowed_channel_are_refused() {
    let (mut deps, env, owner) = consumer(&[MOCK_CONNECTION]);
    connect(&mut deps, &env, "channel-5");
    connect(&mut deps, &env, "channel-6");
    // The owner narrows the allowed connections: channels on others get error acks.
    execute(
        deps.as_mut(),
        env.clone(),
        message_info(&owner, &[]),
        ExecuteMsg::SetAllowedConnections {
            connections: Some(vec!["connection-0".into()]),
        },
    )
    .unwrap();
    assert_eq!(
        receive(&mut deps, &env, "channel-5", &packet("pair-a", 1, 1)),
        Ack::error("connection connection-2 is not allowed")
    );
    // The feed closed its end of channel-6 (CloseConfirm here; a close from this end is
    // refused, tests/channel_close.rs).
    ibc_channel_close(
        deps.as_mut(),
        env.clone(),
        mock_ibc_channel_close_confirm("channel-6", IbcOrder::Unordered, PRICE_VERSION),
    )
    .unwrap();
    assert_eq!(
        receive(&mut deps, &env, "channel-6", &packet("pair-a", 1, 1)),
        Ack::error("channel channel-6 is not connected")
    );
    assert_eq!(prices(&deps, &env, None, 30), vec![]);
}
