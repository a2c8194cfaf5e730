//! What the price consumer's tests share: a pinned consumer, price packets, delivering them,
//! channels and the queries.

// Each file under tests/ is its own crate and uses a subset of these.
#![allow(dead_code)]

use cosmwasm_std::testing::{
    MockApi, MockQuerier, MockStorage, message_info, mock_dependencies, mock_env,
    mock_ibc_channel_connect_ack, mock_ibc_packet_recv,
};
use cosmwasm_std::{
    Addr, Binary, Decimal256, Env, IbcChannel, IbcChannelConnectMsg, IbcChannelOpenMsg,
    IbcEndpoint, IbcOrder, OwnedDeps, Response, Timestamp, Uint128, from_json, to_json_binary,
};
use loopin::price_feed::consumer::{
    ConfigResponse, InstantiateMsg, PriceKey, PriceResponse, PricesResponse, QueryMsg,
};
use loopin::price_feed::{Ack, PRICE_VERSION, PricePacket};
use loopin_pool_math::amm::Reserves;
use loopin_price_consumer::ContractError;
use loopin_price_consumer::contract::{instantiate, query};
use loopin_price_consumer::ibc::{ibc_channel_connect, ibc_channel_open, ibc_packet_receive};

pub type Deps = OwnedDeps<MockStorage, MockApi, MockQuerier>;

/// The connection and the counterparty port of `cosmwasm_std::testing::mock_ibc_channel`'s
/// channels (the `mock_ibc_channel_*` messages).
pub const MOCK_CONNECTION: &str = "connection-2";
pub const MOCK_PORT: &str = "their_port";

/// The connection to the LooPIN chain and the feed's port there.
pub const LOOPIN: &str = "connection-0";
pub const FEED: &str = "wasm.feed";

pub const POOL: &str = "loopin1pair";

/// `mock_env()` at `seconds`.
pub fn env_at(seconds: u64) -> Env {
    let mut env = mock_env();
    env.block.time = Timestamp::from_seconds(seconds);
    env
}

/// `owner`'s message pinning the consumer to `connections` and `ports`.
pub fn instantiate_msg(
    owner: &Addr,
    connections: &[&str],
    ports: &[&str],
    max_age_seconds: Option<u64>,
) -> InstantiateMsg {
    InstantiateMsg {
        owner: owner.to_string(),
        allowed_connections: Some(connections.iter().map(|c| c.to_string()).collect()),
        allowed_counterparty_ports: Some(ports.iter().map(|p| p.to_string()).collect()),
        max_age_seconds,
    }
}

/// A consumer instantiated at `env` by "owner" with `instantiate_msg`; its deps, env and owner.
pub fn instantiated(
    env: Env,
    connections: &[&str],
    ports: &[&str],
    max_age_seconds: Option<u64>,
) -> (Deps, Env, Addr) {
    let mut deps = mock_dependencies();
    let owner = deps.api.addr_make("owner");
    instantiate(
        deps.as_mut(),
        env.clone(),
        message_info(&owner, &[]),
        instantiate_msg(&owner, connections, ports, max_age_seconds),
    )
    .unwrap();
    (deps, env, owner)
}

/// Connects the mock channel `channel` (on `MOCK_CONNECTION` from `MOCK_PORT`) by its OpenAck.
pub fn connect_ack(deps: &mut Deps, env: &Env, channel: &str) {
    ibc_channel_connect(
        deps.as_mut(),
        env.clone(),
        mock_ibc_channel_connect_ack(channel, IbcOrder::Unordered, PRICE_VERSION),
    )
    .unwrap();
}

/// The consumer's end `id` of an unordered price channel on `connection` from `port`.
pub fn channel(id: &str, connection: &str, port: &str) -> IbcChannel {
    IbcChannel::new(
        IbcEndpoint {
            port_id: "wasm.consumer".into(),
            channel_id: id.into(),
        },
        IbcEndpoint {
            port_id: port.into(),
            channel_id: "channel-7".into(),
        },
        IbcOrder::Unordered,
        PRICE_VERSION,
        connection,
    )
}

/// OpenTry and OpenConfirm on this end; the first refusal.
pub fn handshake(deps: &mut Deps, env: &Env, channel: &IbcChannel) -> Result<(), ContractError> {
    ibc_channel_open(
        deps.as_mut(),
        env.clone(),
        IbcChannelOpenMsg::new_try(channel.clone(), PRICE_VERSION),
    )?;
    ibc_channel_connect(
        deps.as_mut(),
        env.clone(),
        IbcChannelConnectMsg::new_confirm(channel.clone()),
    )?;
    Ok(())
}

/// `pool`'s price packet of class h100, with a spot price and a TWAP of 12.5, of `epoch`,
/// observed at `height` and `time`.
pub fn price_packet(pool: &str, epoch: u64, height: u64, time: Timestamp) -> PricePacket {
    PricePacket {
        pool: pool.into(),
        class: "h100".into(),
        spot_price: Some(Decimal256::percent(1_250)),
        twap: Some(Decimal256::percent(1_250)),
        twap_window_seconds: 60,
        reserves: Reserves::new(4_000_000, 50_000_000),
        capacity: Uint128::new(5_000_000),
        epoch,
        height,
        time,
    }
}

/// Delivers raw packet data on `channel`; returns the acknowledgement and the response.
pub fn receive_raw(deps: &mut Deps, env: &Env, channel: &str, data: Binary) -> (Ack, Response) {
    let mut msg = mock_ibc_packet_recv(channel, &()).unwrap();
    msg.packet.data = data;
    let response = ibc_packet_receive(deps.as_mut(), env.clone(), msg).unwrap();
    let ack = from_json(response.acknowledgement.as_ref().unwrap()).unwrap();
    let mut plain = Response::new();
    plain.attributes = response.attributes;
    (ack, plain)
}

/// Delivers `packet` on `channel`; returns the acknowledgement.
pub fn receive(deps: &mut Deps, env: &Env, channel: &str, packet: &PricePacket) -> Ack {
    receive_raw(deps, env, channel, to_json_binary(packet).unwrap()).0
}

pub fn price(
    deps: &Deps,
    env: &Env,
    channel: &str,
    pool: &str,
) -> Result<PriceResponse, ContractError> {
    query(
        deps.as_ref(),
        env.clone(),
        QueryMsg::Price {
            channel: channel.into(),
            pool: pool.into(),
        },
    )
    .map(|data| from_json(data).unwrap())
}

pub fn prices(
    deps: &Deps,
    env: &Env,
    start_after: Option<PriceKey>,
    limit: u32,
) -> Vec<PriceResponse> {
    from_json::<PricesResponse>(
        query(
            deps.as_ref(),
            env.clone(),
            QueryMsg::Prices {
                start_after,
                limit: Some(limit),
            },
        )
        .unwrap(),
    )
    .unwrap()
    .prices
}

pub fn config(deps: &Deps, env: &Env) -> ConfigResponse {
    from_json(query(deps.as_ref(), env.clone(), QueryMsg::Config {}).unwrap()).unwrap()
}
