//! The bridge's messages (`loopin::rewards_bridge`) have exactly cw20-ics20's JSON: the same
//! schema (names, fields, types, required and optional; only the docs differ), and the entry
//! points' conversions keep every field.

use cosmwasm_schema::schema_for;
use cosmwasm_std::{Binary, IbcEndpoint, Uint128, to_json_string};
use cw20::Cw20ReceiveMsg;
use cw20_ics20::msg as theirs;
use loopin_rewards_bridge::msg::{self as ours, *};
use serde_json::Value;

/// A schema without its prose: `description` and `title` keys dropped at every depth.
fn shape(mut schema: Value) -> Value {
    fn strip(v: &mut Value) {
        match v {
            Value::Object(map) => {
                map.remove("description");
                map.remove("title");
                map.values_mut().for_each(strip);
            }
            Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut schema);
    schema
}

macro_rules! same_schema {
    ($($ours:ty => $theirs:ty),* $(,)?) => {$(
        assert_eq!(
            shape(serde_json::to_value(schema_for!($ours)).unwrap()),
            shape(serde_json::to_value(schema_for!($theirs)).unwrap()),
            "{} differs from cw20-ics20's {}",
            stringify!($ours),
            stringify!($theirs),
        );
    )*};
}

#[test]
fn every_message_has_cw20_ics20s_schema() {
    same_schema! {
        InstantiateMsg => theirs::InitMsg,
        AllowMsg => theirs::AllowMsg,
        ExecuteMsg => theirs::ExecuteMsg,
        TransferMsg => theirs::TransferMsg,
        QueryMsg => theirs::QueryMsg,
        MigrateMsg => theirs::MigrateMsg,
        PortResponse => theirs::PortResponse,
        ListChannelsResponse => theirs::ListChannelsResponse,
        ChannelResponse => theirs::ChannelResponse,
        ChannelInfo => cw20_ics20::state::ChannelInfo,
        Amount => cw20_ics20::amount::Amount,
        ConfigResponse => theirs::ConfigResponse,
        AdminResponse => cw_controllers::AdminResponse,
        AllowedResponse => theirs::AllowedResponse,
        ListAllowedResponse => theirs::ListAllowedResponse,
        AllowedInfo => theirs::AllowedInfo,
        Ics20Packet => cw20_ics20::ibc::Ics20Packet,
        Ics20Ack => cw20_ics20::ibc::Ics20Ack,
    }
    assert_eq!(ICS20_VERSION, cw20_ics20::ibc::ICS20_VERSION);
    assert_eq!(ICS20_ORDERING, cw20_ics20::ibc::ICS20_ORDERING);
}

fn transfer() -> TransferMsg {
    TransferMsg {
        channel: "channel-0".into(),
        remote_address: "osmo1remote".into(),
        timeout: Some(600),
        memo: Some("rewards".into()),
    }
}

#[test]
fn conversions_keep_every_field() {
    let allow = AllowMsg {
        contract: "loopin1token".into(),
        gas_limit: Some(7),
    };
    let init = InstantiateMsg {
        default_timeout: 600,
        gov_contract: "loopin1gov".into(),
        allowlist: vec![allow.clone()],
        default_gas_limit: Some(9),
    };
    let json = |a: String, b: String| assert_eq!(a, b);
    json(
        to_json_string(&init).unwrap(),
        to_json_string(&ours::ics20_instantiate(init)).unwrap(),
    );
    let executes = [
        ExecuteMsg::Receive(Cw20ReceiveMsg {
            sender: "loopin1alice".into(),
            amount: Uint128::new(5),
            msg: Binary::from(b"{}"),
        }),
        ExecuteMsg::Transfer(transfer()),
        ExecuteMsg::Allow(allow),
        ExecuteMsg::UpdateAdmin {
            admin: "loopin1new".into(),
        },
    ];
    for msg in executes {
        json(
            to_json_string(&msg).unwrap(),
            to_json_string(&ours::ics20_execute(msg)).unwrap(),
        );
    }
    let queries = [
        QueryMsg::Port {},
        QueryMsg::ListChannels {},
        QueryMsg::Channel { id: "c".into() },
        QueryMsg::Config {},
        QueryMsg::Admin {},
        QueryMsg::Allowed {
            contract: "t".into(),
        },
        QueryMsg::ListAllowed {
            start_after: Some("a".into()),
            limit: Some(3),
        },
    ];
    for msg in queries {
        json(
            to_json_string(&msg).unwrap(),
            to_json_string(&ours::ics20_query(msg)).unwrap(),
        );
    }
    let migrate = MigrateMsg {
        default_gas_limit: Some(1),
    };
    json(
        to_json_string(&migrate).unwrap(),
        to_json_string(&ours::ics20_migrate(migrate)).unwrap(),
    );
}

#[test]
fn packets_read_both_ways() {
    let packet = Ics20Packet {
        amount: Uint128::new(1_500_000),
        denom: cw20_denom("loopin1token"),
        receiver: "osmo1remote".into(),
        sender: "loopin1alice".into(),
        memo: None,
    };
    let text = to_json_string(&packet).unwrap();
    assert!(!text.contains("memo"), "{text}");
    let theirs: cw20_ics20::ibc::Ics20Packet = cosmwasm_std::from_json(&text).unwrap();
    assert_eq!(to_json_string(&theirs).unwrap(), text);
    let channel = ChannelInfo {
        id: "channel-0".into(),
        counterparty_endpoint: IbcEndpoint {
            port_id: "transfer".into(),
            channel_id: "channel-9".into(),
        },
        connection_id: "connection-0".into(),
    };
    let theirs: cw20_ics20::state::ChannelInfo =
        cosmwasm_std::from_json(to_json_string(&channel).unwrap()).unwrap();
    assert_eq!(theirs.counterparty_endpoint, channel.counterparty_endpoint);
    let ack: Ics20Ack = cosmwasm_std::from_json(r#"{"result":"MQ=="}"#).unwrap();
    assert_eq!(ack, Ics20Ack::Result(Binary::from(b"1")));
}
