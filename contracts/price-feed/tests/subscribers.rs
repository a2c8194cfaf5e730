//! Who may take one of the feed's subscriber slots (issue 16, defect 8): only channels on the
//! connections the owner allows (and, when the owner names them, from the allowed ports), and the
//! owner can evict a subscriber to free its slot.

use cosmwasm_std::testing::{
    MockApi, MockQuerier, MockStorage, message_info, mock_dependencies, mock_env,
};
use cosmwasm_std::{
    Addr, CosmosMsg, Env, IbcChannel, IbcChannelCloseMsg, IbcChannelConnectMsg, IbcChannelOpenMsg,
    IbcEndpoint, IbcMsg, IbcOrder, Order, OwnedDeps, Response, from_json,
};
use cw_ownable::OwnershipError;
use loopin::price_feed::PRICE_VERSION;
use loopin::price_feed::feed::{
    ChannelInfo, ChannelsResponse, ExecuteMsg, InstantiateMsg, MAX_SUBSCRIBERS, QueryMsg,
};
use loopin::price_feed::settings::SettingsError;
use loopin_price_feed::ContractError;
use loopin_price_feed::contract::{execute, instantiate, query};
use loopin_price_feed::ibc::{ibc_channel_close, ibc_channel_connect, ibc_channel_open};
use loopin_price_feed::state::SUBSCRIBERS;

type Deps = OwnedDeps<MockStorage, MockApi, MockQuerier>;

/// The connection to the chain the feed serves, and the consumer's port there.
const TRUSTED: &str = "connection-0";
const CONSUMER: &str = "wasm.consumer";

struct Feed {
    deps: Deps,
    env: Env,
    owner: Addr,
}

/// A feed allowing `TRUSTED` and, when given, only `ports` at the other end.
fn feed(ports: Option<Vec<&str>>) -> Feed {
    let mut deps = mock_dependencies();
    let owner = deps.api.addr_make("owner");
    let env = mock_env();
    instantiate(
        deps.as_mut(),
        env.clone(),
        message_info(&owner, &[]),
        InstantiateMsg {
            owner: owner.to_string(),
            packet_timeout_seconds: 600,
            twap_window_seconds: 3_600,
            allowed_connections: vec![TRUSTED.into()],
            allowed_counterparty_ports: ports.map(|p| p.into_iter().map(String::from).collect()),
        },
    )
    .unwrap();
    Feed { deps, env, owner }
}

/// The feed's end `channel` of a price channel on `connection` to `port` on the other chain.
fn channel(channel: &str, connection: &str, port: &str) -> IbcChannel {
    IbcChannel::new(
        IbcEndpoint {
            port_id: "wasm.feed".into(),
            channel_id: channel.into(),
        },
        IbcEndpoint {
            port_id: port.into(),
            channel_id: format!("remote-{channel}"),
        },
        IbcOrder::Unordered,
        PRICE_VERSION,
        connection,
    )
}

impl Feed {
    /// The two steps of a handshake on this end (the counterparty started it: OpenTry, then
    /// OpenConfirm); the first refusal.
    fn handshake(&mut self, channel: &IbcChannel) -> Result<(), ContractError> {
        ibc_channel_open(
            self.deps.as_mut(),
            self.env.clone(),
            IbcChannelOpenMsg::new_try(channel.clone(), PRICE_VERSION),
        )?;
        ibc_channel_connect(
            self.deps.as_mut(),
            self.env.clone(),
            IbcChannelConnectMsg::new_confirm(channel.clone()),
        )?;
        Ok(())
    }

    fn execute(&mut self, sender: &Addr, msg: ExecuteMsg) -> Result<Response, ContractError> {
        execute(
            self.deps.as_mut(),
            self.env.clone(),
            message_info(sender, &[]),
            msg,
        )
    }

    fn channels(&self) -> Vec<ChannelInfo> {
        from_json::<ChannelsResponse>(
            query(
                self.deps.as_ref(),
                self.env.clone(),
                QueryMsg::Channels {
                    start_after: None,
                    limit: Some(100),
                },
            )
            .unwrap(),
        )
        .unwrap()
        .channels
    }

    fn subscribers(&self) -> Vec<String> {
        SUBSCRIBERS
            .keys(&self.deps.storage, None, None, Order::Ascending)
            .collect::<Result<_, _>>()
            .unwrap()
    }
}

fn info(channel: &str, connection: &str, port: &str, open: bool) -> ChannelInfo {
    ChannelInfo {
        channel_id: channel.into(),
        connection_id: connection.into(),
        counterparty_port: port.into(),
        counterparty_channel: format!("remote-{channel}"),
        open,
        sent: 0,
        delivered: 0,
        failed: 0,
        timed_out: 0,
    }
}

#[test]
fn an_attacker_cannot_fill_the_subscriber_slots_from_other_connections_or_ports() {
    let mut feed = feed(Some(vec![CONSUMER]));
    // Every slot tried from a connection the owner did not allow (any chain that has a client
    // here can make one), and from a port of its own over the trusted connection.
    for n in 0..MAX_SUBSCRIBERS {
        let id = format!("channel-{n}");
        assert_eq!(
            feed.handshake(&channel(&id, "connection-9", CONSUMER)),
            Err(ContractError::Settings(
                SettingsError::ConnectionNotAllowed {
                    connection_id: "connection-9".into()
                }
            ))
        );
        let id = format!("channel-{}", MAX_SUBSCRIBERS + n);
        assert_eq!(
            feed.handshake(&channel(&id, TRUSTED, "wasm.attacker")),
            Err(ContractError::Settings(
                SettingsError::CounterpartyPortNotAllowed {
                    port_id: "wasm.attacker".into()
                }
            ))
        );
    }
    // The step the feed starts (OpenInit) and a connect whose open was accepted earlier are
    // checked too.
    assert_eq!(
        ibc_channel_open(
            feed.deps.as_mut(),
            feed.env.clone(),
            IbcChannelOpenMsg::new_init(channel("channel-90", "connection-9", CONSUMER)),
        ),
        Err(ContractError::Settings(
            SettingsError::ConnectionNotAllowed {
                connection_id: "connection-9".into()
            }
        ))
    );
    assert_eq!(
        ibc_channel_connect(
            feed.deps.as_mut(),
            feed.env.clone(),
            IbcChannelConnectMsg::new_ack(
                channel("channel-91", TRUSTED, "wasm.attacker"),
                PRICE_VERSION
            ),
        ),
        Err(ContractError::Settings(
            SettingsError::CounterpartyPortNotAllowed {
                port_id: "wasm.attacker".into()
            }
        ))
    );
    assert_eq!(feed.channels(), vec![]);
    assert_eq!(feed.subscribers(), Vec::<String>::new());

    // The consumer the owner allows subscribes.
    feed.handshake(&channel("channel-99", TRUSTED, CONSUMER))
        .unwrap();
    assert_eq!(
        feed.channels(),
        vec![info("channel-99", TRUSTED, CONSUMER, true)]
    );
    assert_eq!(feed.subscribers(), vec!["channel-99".to_string()]);
}

#[test]
fn an_empty_allow_list_accepts_no_subscriber_until_the_owner_adds_a_connection() {
    let mut feed = feed(None);
    let owner = feed.owner.clone();
    let stranger = feed.deps.api.addr_make("stranger");
    let set = |connections: &[&str]| ExecuteMsg::SetAllowedConnections {
        connections: connections.iter().map(|c| c.to_string()).collect(),
    };
    assert_eq!(
        feed.execute(&stranger, set(&["connection-9"])),
        Err(ContractError::Ownership(OwnershipError::NotOwner))
    );
    feed.execute(&owner, set(&[])).unwrap();
    assert_eq!(
        feed.handshake(&channel("channel-0", TRUSTED, CONSUMER)),
        Err(ContractError::Settings(
            SettingsError::ConnectionNotAllowed {
                connection_id: TRUSTED.into()
            }
        ))
    );
    feed.execute(&owner, set(&["connection-3", TRUSTED]))
        .unwrap();
    feed.handshake(&channel("channel-0", TRUSTED, CONSUMER))
        .unwrap();
    assert_eq!(feed.subscribers(), vec!["channel-0".to_string()]);
}

#[test]
fn the_owner_evicts_a_subscriber_and_its_slot_is_free_at_once() {
    // Any port over the trusted connection: a permissionless chain there lets anyone deploy a
    // contract and take every slot.
    let mut feed = feed(None);
    for n in 0..MAX_SUBSCRIBERS {
        feed.handshake(&channel(&format!("channel-{n}"), TRUSTED, "wasm.attacker"))
            .unwrap();
    }
    let consumer = channel("channel-50", TRUSTED, CONSUMER);
    assert_eq!(
        feed.handshake(&consumer),
        Err(ContractError::TooManySubscribers {})
    );

    // Only the owner evicts, and only a subscriber.
    let stranger = feed.deps.api.addr_make("stranger");
    let evict = |id: &str| ExecuteMsg::CloseChannel {
        channel_id: id.into(),
    };
    assert_eq!(
        feed.execute(&stranger, evict("channel-0")),
        Err(ContractError::Ownership(OwnershipError::NotOwner))
    );
    let owner = feed.owner.clone();
    assert_eq!(
        feed.execute(&owner, evict("channel-77")),
        Err(ContractError::NotSubscribed {
            channel_id: "channel-77".into()
        })
    );
    assert_eq!(feed.subscribers().len(), MAX_SUBSCRIBERS);

    let response = feed.execute(&owner, evict("channel-0")).unwrap();
    assert_eq!(
        response
            .messages
            .iter()
            .map(|m| m.msg.clone())
            .collect::<Vec<_>>(),
        vec![CosmosMsg::Ibc(IbcMsg::CloseChannel {
            channel_id: "channel-0".into()
        })]
    );
    assert_eq!(
        feed.channels()[0],
        info("channel-0", TRUSTED, "wasm.attacker", false)
    );
    assert_eq!(feed.subscribers().len(), MAX_SUBSCRIBERS - 1);
    assert!(!feed.subscribers().contains(&"channel-0".to_string()));
    // Evicting it twice is refused; the chain's close callback (CloseInit, from the message
    // above) changes nothing more.
    assert_eq!(
        feed.execute(&owner, evict("channel-0")),
        Err(ContractError::NotSubscribed {
            channel_id: "channel-0".into()
        })
    );
    ibc_channel_close(
        feed.deps.as_mut(),
        feed.env.clone(),
        IbcChannelCloseMsg::CloseInit {
            channel: channel("channel-0", TRUSTED, "wasm.attacker"),
        },
    )
    .unwrap();
    assert_eq!(
        feed.channels()[0],
        info("channel-0", TRUSTED, "wasm.attacker", false)
    );

    // The freed slot is the consumer's; pinning the port keeps the attacker from taking the
    // next one.
    feed.handshake(&consumer).unwrap();
    assert_eq!(feed.subscribers().len(), MAX_SUBSCRIBERS);
    assert!(feed.subscribers().contains(&"channel-50".to_string()));
    feed.execute(
        &owner,
        ExecuteMsg::SetAllowedCounterpartyPorts {
            ports: Some(vec![CONSUMER.into()]),
        },
    )
    .unwrap();
    feed.execute(&owner, evict("channel-1")).unwrap();
    assert_eq!(
        feed.handshake(&channel("channel-60", TRUSTED, "wasm.attacker")),
        Err(ContractError::Settings(
            SettingsError::CounterpartyPortNotAllowed {
                port_id: "wasm.attacker".into()
            }
        ))
    );
    assert_eq!(feed.subscribers().len(), MAX_SUBSCRIBERS - 1);
}

#[test]
fn a_stranger_cannot_close_a_subscribers_channel_from_the_feeds_end() {
    let mut feed = feed(Some(vec![CONSUMER]));
    let consumer = channel("channel-0", TRUSTED, CONSUMER);
    feed.handshake(&consumer).unwrap();

    // Anyone may submit MsgChannelCloseInit on the feed's port: the chain then runs the feed's
    // close callback. Refused, so the consumer keeps receiving prices.
    let close_init = |feed: &mut Feed, channel: &IbcChannel| {
        ibc_channel_close(
            feed.deps.as_mut(),
            feed.env.clone(),
            IbcChannelCloseMsg::CloseInit {
                channel: channel.clone(),
            },
        )
    };
    assert_eq!(
        close_init(&mut feed, &consumer),
        Err(ContractError::CloseRefused {
            channel_id: "channel-0".into()
        })
    );
    assert_eq!(
        close_init(&mut feed, &consumer).unwrap_err().to_string(),
        "channel channel-0 is closed from the feed's end only by its owner's CloseChannel"
    );
    assert_eq!(
        feed.channels(),
        vec![info("channel-0", TRUSTED, CONSUMER, true)]
    );
    assert_eq!(feed.subscribers(), vec!["channel-0".to_string()]);
    // A channel still in its handshake (never connected) is not the feed's to close either: a
    // stranger closing it would abort a subscriber's handshake.
    let opening = channel("channel-1", TRUSTED, CONSUMER);
    ibc_channel_open(
        feed.deps.as_mut(),
        feed.env.clone(),
        IbcChannelOpenMsg::new_try(opening.clone(), PRICE_VERSION),
    )
    .unwrap();
    assert_eq!(
        close_init(&mut feed, &opening),
        Err(ContractError::CloseRefused {
            channel_id: "channel-1".into()
        })
    );

    // The consumer closing its end (CloseConfirm here) unsubscribes the channel.
    ibc_channel_close(
        feed.deps.as_mut(),
        feed.env.clone(),
        IbcChannelCloseMsg::CloseConfirm {
            channel: consumer.clone(),
        },
    )
    .unwrap();
    assert_eq!(
        feed.channels(),
        vec![info("channel-0", TRUSTED, CONSUMER, false)]
    );
    assert_eq!(feed.subscribers(), Vec::<String>::new());
}
