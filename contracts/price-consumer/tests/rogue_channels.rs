//! A consumer pinned to one feed (its port, over the connection to the LooPIN chain): a rogue
//! channel — another contract's port over the same connection, or the feed's port name claimed
//! over another connection — cannot open, and its packets cannot overwrite or sit beside the
//! feed's prices (issue 16, defect 8). Pinning is not optional: a consumer cannot be
//! instantiated without both.

mod common;

use common::*;
use cosmwasm_std::testing::{message_info, mock_dependencies, mock_env};
use cosmwasm_std::{Addr, Decimal256, Env, IbcChannelConnectMsg, Order, Storage, from_json};
use cw_ownable::OwnershipError;
use loopin::price_feed::consumer::{
    ConfigResponse, DEFAULT_MAX_AGE_SECONDS, ExecuteMsg, InstantiateMsg, PriceResponse,
};
use loopin::price_feed::settings::SettingsError;
use loopin::price_feed::{Ack, PRICE_VERSION, PricePacket, Receipt};
use loopin_price_consumer::ContractError;
use loopin_price_consumer::contract::{execute, instantiate};
use loopin_price_consumer::ibc::ibc_channel_connect;

/// A consumer pinned to `FEED` over `LOOPIN`, as loopin-deploy instantiates it.
fn pinned() -> (Deps, Env, Addr) {
    instantiated(mock_env(), &[LOOPIN], &[FEED], None)
}

fn packet(epoch: u64, spot: u128) -> PricePacket {
    let price = Some(Decimal256::from_atomics(spot, 0).unwrap());
    PricePacket {
        spot_price: price,
        twap: price,
        // Observed a little before this chain's block time: fresh.
        ..price_packet(
            POOL,
            epoch,
            100 + epoch,
            mock_env().block.time.minus_seconds(100).plus_seconds(epoch),
        )
    }
}

#[test]
fn a_rogue_channel_cannot_overwrite_or_pollute_the_pinned_feeds_prices() {
    let (mut deps, env, _) = pinned();
    handshake(&mut deps, &env, &channel("channel-0", LOOPIN, FEED)).unwrap();
    assert_eq!(
        receive(&mut deps, &env, "channel-0", &packet(5, 12)),
        Receipt::Stored.ack()
    );
    let genuine = PriceResponse {
        channel: "channel-0".into(),
        packet: packet(5, 12),
        received_at: env.block.time,
    };

    // Another contract on the LooPIN chain, over the same connection: refused at each step.
    let rogue = channel("channel-1", LOOPIN, "wasm.rogue");
    assert_eq!(
        handshake(&mut deps, &env, &rogue),
        Err(ContractError::Settings(
            SettingsError::CounterpartyPortNotAllowed {
                port_id: "wasm.rogue".into()
            }
        ))
    );
    assert_eq!(
        ibc_channel_connect(
            deps.as_mut(),
            env.clone(),
            IbcChannelConnectMsg::new_ack(rogue, PRICE_VERSION)
        ),
        Err(ContractError::Settings(
            SettingsError::CounterpartyPortNotAllowed {
                port_id: "wasm.rogue".into()
            }
        ))
    );
    // A chain of the attacker's (a client it controls) naming the feed's port: refused too.
    assert_eq!(
        handshake(&mut deps, &env, &channel("channel-2", "connection-9", FEED)),
        Err(ContractError::Settings(
            SettingsError::ConnectionNotAllowed {
                connection_id: "connection-9".into()
            }
        ))
    );
    // Another port over another connection — what an unpinned consumer accepted — the same.
    assert_eq!(
        handshake(
            &mut deps,
            &env,
            &channel("channel-3", "connection-9", "wasm.rogue")
        ),
        Err(ContractError::Settings(
            SettingsError::ConnectionNotAllowed {
                connection_id: "connection-9".into()
            }
        ))
    );

    // Its packets — a later epoch of the same pool at a price of 1 — are refused.
    for rogue in ["channel-1", "channel-2", "channel-3"] {
        assert_eq!(
            receive(&mut deps, &env, rogue, &packet(99, 1)),
            Ack::error(format!("channel {rogue} is not connected"))
        );
    }
    assert_eq!(prices(&deps, &env, None, 100), vec![genuine.clone()]);
    let price: PriceResponse = price(&deps, &env, "channel-0", POOL).unwrap();
    assert_eq!(price, genuine);
}

#[test]
fn packets_from_a_port_no_longer_allowed_are_refused() {
    let (mut deps, env, owner) = pinned();
    handshake(&mut deps, &env, &channel("channel-0", LOOPIN, FEED)).unwrap();
    receive(&mut deps, &env, "channel-0", &packet(5, 12));
    let stranger = deps.api.addr_make("stranger");
    let set = |ports: Option<Vec<String>>| ExecuteMsg::SetAllowedCounterpartyPorts { ports };
    assert_eq!(
        execute(
            deps.as_mut(),
            env.clone(),
            message_info(&stranger, &[]),
            set(None)
        ),
        Err(ContractError::Ownership(OwnershipError::NotOwner))
    );
    // The feed moved (a new feed contract): the old port's packets are refused.
    execute(
        deps.as_mut(),
        env.clone(),
        message_info(&owner, &[]),
        set(Some(vec!["wasm.feed2".into()])),
    )
    .unwrap();
    assert_eq!(
        config(&deps, &env),
        ConfigResponse {
            allowed_connections: Some(vec![LOOPIN.into()]),
            allowed_counterparty_ports: Some(vec!["wasm.feed2".into()]),
            max_age_seconds: DEFAULT_MAX_AGE_SECONDS,
        }
    );
    assert_eq!(
        receive(&mut deps, &env, "channel-0", &packet(6, 1)),
        Ack::error("counterparty port wasm.feed is not allowed")
    );
    assert_eq!(prices(&deps, &env, None, 100)[0].packet, packet(5, 12));
}

/// The attack this refusal stops: a consumer instantiated without allowed connections or ports
/// accepted a channel from any contract's port over any connection and stored its "prices".
/// Instantiating it so is refused, whether the lists are absent from the message, `null` or
/// empty, and nothing is stored.
#[test]
fn instantiating_without_pins_is_refused_and_nothing_is_stored() {
    let connections = || Some(vec![LOOPIN.to_string()]);
    let ports = || Some(vec![FEED.to_string()]);
    let cases = [
        (
            None,
            None,
            "allowed_connections and allowed_counterparty_ports",
        ),
        (None, ports(), "allowed_connections"),
        (connections(), None, "allowed_counterparty_ports"),
        (Some(vec![]), ports(), "allowed_connections"),
        (connections(), Some(vec![]), "allowed_counterparty_ports"),
        (
            Some(vec![]),
            Some(vec![]),
            "allowed_connections and allowed_counterparty_ports",
        ),
    ];
    for (allowed_connections, allowed_counterparty_ports, missing) in cases {
        let mut deps = mock_dependencies();
        let env = mock_env();
        let owner = deps.api.addr_make("owner");
        let msg = InstantiateMsg {
            owner: owner.to_string(),
            allowed_connections,
            allowed_counterparty_ports,
            max_age_seconds: None,
        };
        assert_eq!(
            instantiate(deps.as_mut(), env.clone(), message_info(&owner, &[]), msg),
            Err(ContractError::Settings(SettingsError::Unpinned { missing }))
        );
        assert_eq!(deps.storage.range(None, None, Order::Ascending).count(), 0);
        // The rogue's handshake finds no consumer to accept it.
        let rogue = channel("channel-1", "connection-9", "wasm.rogue");
        assert!(handshake(&mut deps, &env, &rogue).is_err());
        assert_eq!(deps.storage.range(None, None, Order::Ascending).count(), 0);
    }

    // A message of a client that predates pinning, without the fields, still parses and gets
    // the same typed refusal, with what to name.
    let mut deps = mock_dependencies();
    let owner = deps.api.addr_make("owner");
    let msg: InstantiateMsg = from_json(format!(r#"{{"owner":"{owner}"}}"#)).unwrap();
    let err = instantiate(deps.as_mut(), mock_env(), message_info(&owner, &[]), msg).unwrap_err();
    assert_eq!(
        err,
        ContractError::Settings(SettingsError::Unpinned {
            missing: "allowed_connections and allowed_counterparty_ports"
        })
    );
    assert_eq!(
        err.to_string(),
        "the consumer must be pinned to its feed: allowed_connections and \
         allowed_counterparty_ports missing or empty; name the feed's connection \
         (allowed_connections) and its port wasm.<feed address> (allowed_counterparty_ports)"
    );
    assert_eq!(deps.storage.range(None, None, Order::Ascending).count(), 0);
}

/// Opening a pinned consumer to any connection and port stays possible, as the owner's
/// deliberate choice: a stranger cannot, and until the owner does the rogue channel is refused.
#[test]
fn only_the_owner_can_open_a_pinned_consumer_to_any_channel() {
    let (mut deps, env, owner) = pinned();
    let rogue = channel("channel-1", "connection-9", "wasm.rogue");
    assert_eq!(
        handshake(&mut deps, &env, &rogue),
        Err(ContractError::Settings(
            SettingsError::ConnectionNotAllowed {
                connection_id: "connection-9".into()
            }
        ))
    );
    let stranger = deps.api.addr_make("stranger");
    let open = [
        ExecuteMsg::SetAllowedConnections { connections: None },
        ExecuteMsg::SetAllowedCounterpartyPorts { ports: None },
    ];
    for msg in open.clone() {
        assert_eq!(
            execute(
                deps.as_mut(),
                env.clone(),
                message_info(&stranger, &[]),
                msg
            ),
            Err(ContractError::Ownership(OwnershipError::NotOwner))
        );
    }
    assert_eq!(
        handshake(&mut deps, &env, &rogue),
        Err(ContractError::Settings(
            SettingsError::ConnectionNotAllowed {
                connection_id: "connection-9".into()
            }
        ))
    );
    for msg in open {
        execute(deps.as_mut(), env.clone(), message_info(&owner, &[]), msg).unwrap();
    }
    assert_eq!(
        config(&deps, &env),
        ConfigResponse {
            allowed_connections: None,
            allowed_counterparty_ports: None,
            max_age_seconds: DEFAULT_MAX_AGE_SECONDS,
        }
    );
    handshake(&mut deps, &env, &rogue).unwrap();
}
