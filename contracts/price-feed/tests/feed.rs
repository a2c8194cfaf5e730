//! The price feed against a mock pair (a querier answering the pair's `Config`, `Pool` and
//! `Twap` queries the way the pair does), and its packets delivered to the price consumer.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use cosmwasm_std::testing::{
    MockApi, MockQuerier, MockStorage, message_info, mock_dependencies, mock_env, mock_ibc_channel,
    mock_ibc_channel_close_confirm, mock_ibc_channel_connect_ack, mock_ibc_channel_open_init,
    mock_ibc_packet_ack, mock_ibc_packet_recv, mock_ibc_packet_timeout,
};
use cosmwasm_std::{
    Addr, Attribute, Binary, ContractResult, CosmosMsg, Decimal, Decimal256, Env, Event,
    IbcAcknowledgement, IbcChannelConnectMsg, IbcChannelOpenMsg, IbcMsg, IbcOrder, IbcTimeout,
    Order, OwnedDeps, QuerierResult, Response, SystemError, SystemResult, Timestamp, Uint128,
    WasmQuery, from_json, to_json_binary,
};
use cw_ownable::OwnershipError;
use loopin::pair::{self, PoolResponse, TwapResponse};
use loopin::pool::PoolParams;
use loopin::price_feed::feed::{
    ChannelInfo, ChannelsResponse, ConfigResponse, ExecuteMsg, InstantiateMsg, MAX_SUBSCRIBERS,
    PoolInfo, PublishedResponse, QueryMsg,
};
use loopin::price_feed::settings::SettingsError;
use loopin::price_feed::{
    Ack, ChannelError, PRICE_VERSION, PricePacket, Receipt, consumer as consumer_msg,
};
use loopin_pool_math::amm::Reserves;
use loopin_pool_math::economics::Economics;
use loopin_pool_math::oracle::PriceAccumulator;
use loopin_price_consumer::contract as consumer;
use loopin_price_consumer::ibc as consumer_ibc;
use loopin_price_feed::ContractError;
use loopin_price_feed::contract::{execute, instantiate, query};
use loopin_price_feed::ibc::{
    ibc_channel_close, ibc_channel_connect, ibc_channel_open, ibc_packet_ack, ibc_packet_receive,
    ibc_packet_timeout,
};
use loopin_price_feed::state::OBSERVATIONS;

const TIMEOUT: u64 = 600;
const WINDOW: u64 = 120;
/// 4 device-hours against 50 LOOP (in micro-units): 12.5 LOOP per hour.
const HOURS: u128 = 4_000_000;
const LOOP_50: u128 = 50_000_000;

/// What the mock pair answers, and the block time its `Twap` query advances the accumulator to.
struct MockPair {
    class: String,
    epoch: u64,
    clock_epoch: u64,
    reserves: Reserves,
    provider_hours: Uint128,
    seller_hours: Uint128,
    /// Accumulator as of the last change of the reserves.
    accumulator: PriceAccumulator,
}

impl MockPair {
    fn new(class: &str, epoch: u64, reserves: Reserves, since: u64) -> Self {
        Self {
            class: class.into(),
            epoch,
            clock_epoch: epoch,
            reserves,
            provider_hours: Uint128::new(3_000_000),
            seller_hours: Uint128::new(2_000_000),
            accumulator: PriceAccumulator::start(since),
        }
    }

    /// The reserves change at `now`: the accumulator takes the old price up to then.
    fn set_reserves(&mut self, now: u64, reserves: Reserves) {
        self.accumulator = self.accumulator.advance(now, &self.reserves).unwrap();
        self.reserves = reserves;
    }

    fn answer(&self, now: u64, msg: &Binary) -> Binary {
        match from_json(msg).unwrap() {
            pair::QueryMsg::Config {} => to_json_binary(&pair::ConfigResponse {
                class: self.class.clone(),
                factory: Addr::unchecked("factory"),
                token: Addr::unchecked("token"),
                stake_cert: Addr::unchecked("stake-cert"),
                params: PoolParams {
                    economics: Economics {
                        alpha: Decimal::zero(),
                        beta: Decimal::zero(),
                        gamma: Decimal::one(),
                    },
                    exchange_fee: Decimal::permille(3),
                    epoch_seconds: 60,
                    min_epochs: 1,
                    max_epochs: 100,
                    seller_deposit: Uint128::zero(),
                    dispute_epochs: 0,
                    min_lease_hours: loopin::pool::DEFAULT_MIN_LEASE_HOURS.into(),
                    min_rate: loopin::pool::DEFAULT_MIN_RATE,
                    max_rate: loopin::pool::DEFAULT_MAX_RATE,
                    min_proof_bytes: loopin::pool::DEFAULT_MIN_PROOF_BYTES,
                    min_proof_rounds: loopin::pool::DEFAULT_MIN_PROOF_ROUNDS,
                    min_passes_per_epoch: loopin::pool::DEFAULT_MIN_PASSES_PER_EPOCH,
                    pass_grace_seconds: 0,
                    lateness_quorum: 0,
                    gemm: None,
                    incentives: None,
                },
                genesis: 0,
            }),
            pair::QueryMsg::Pool {} => to_json_binary(&PoolResponse {
                epoch: self.epoch,
                trading_epoch: self.epoch + 1,
                clock_epoch: self.clock_epoch,
                reserves: self.reserves,
                total_shares: Uint128::new(1_000),
                spot_price: self.reserves.spot_price().ok(),
                provider_hours: self.provider_hours,
                seller_hours: self.seller_hours,
                escrow: Uint128::zero(),
                accumulator: self.accumulator,
                lease_revenue: Default::default(),
                seller_budget: Uint128::zero(),
                dispute_bonds: Uint128::zero(),
            }),
            pair::QueryMsg::Twap { since } => {
                let accumulator = self.accumulator.advance(now, &self.reserves).unwrap();
                to_json_binary(&TwapResponse {
                    accumulator,
                    twap: since.map(|earlier| accumulator.twap_since(&earlier).unwrap()),
                })
            }
            other => panic!("the feed does not ask {other:?}"),
        }
        .unwrap()
    }
}

/// Block time and the pairs, shared with the querier.
#[derive(Default)]
struct Chain {
    now: u64,
    pairs: BTreeMap<String, MockPair>,
}

type Deps = OwnedDeps<MockStorage, MockApi, MockQuerier>;

struct Feed {
    deps: Deps,
    chain: Rc<RefCell<Chain>>,
    env: Env,
    owner: Addr,
}

impl Feed {
    fn new() -> Self {
        let mut deps = mock_dependencies();
        let chain = Rc::new(RefCell::new(Chain::default()));
        let shared = chain.clone();
        deps.querier
            .update_wasm(move |query: &WasmQuery| -> QuerierResult {
                let chain = shared.borrow();
                match query {
                    WasmQuery::Smart { contract_addr, msg } => match chain.pairs.get(contract_addr)
                    {
                        Some(pair) => {
                            SystemResult::Ok(ContractResult::Ok(pair.answer(chain.now, msg)))
                        }
                        None => SystemResult::Err(SystemError::NoSuchContract {
                            addr: contract_addr.clone(),
                        }),
                    },
                    other => panic!("unexpected query {other:?}"),
                }
            });
        let owner = deps.api.addr_make("owner");
        let mut feed = Self {
            deps,
            chain,
            env: mock_env(),
            owner,
        };
        feed.at(1_000, 100);
        instantiate(
            feed.deps.as_mut(),
            feed.env.clone(),
            message_info(&feed.owner, &[]),
            InstantiateMsg {
                owner: feed.owner.to_string(),
                packet_timeout_seconds: TIMEOUT,
                twap_window_seconds: WINDOW,
                // cosmwasm-std's mock channels are on connection-2.
                allowed_connections: vec!["connection-2".into()],
                allowed_counterparty_ports: None,
            },
        )
        .unwrap();
        feed
    }

    fn at(&mut self, seconds: u64, height: u64) {
        self.env.block.time = Timestamp::from_seconds(seconds);
        self.env.block.height = height;
        self.chain.borrow_mut().now = seconds;
    }

    fn addr(&self, name: &str) -> Addr {
        self.deps.api.addr_make(name)
    }

    /// A pair answering queries, added by the owner.
    fn add_pair(&mut self, name: &str, pair: MockPair) -> Addr {
        let addr = self.addr(name);
        self.chain.borrow_mut().pairs.insert(addr.to_string(), pair);
        let owner = self.owner.clone();
        self.execute(
            &owner,
            ExecuteMsg::AddPool {
                pair: addr.to_string(),
            },
        )
        .unwrap();
        addr
    }

    fn pair(&self, addr: &Addr) -> std::cell::RefMut<'_, MockPair> {
        std::cell::RefMut::map(self.chain.borrow_mut(), |chain| {
            chain.pairs.get_mut(addr.as_str()).unwrap()
        })
    }

    fn execute(&mut self, sender: &Addr, msg: ExecuteMsg) -> Result<Response, ContractError> {
        execute(
            self.deps.as_mut(),
            self.env.clone(),
            message_info(sender, &[]),
            msg,
        )
    }

    fn publish(&mut self) -> Result<Response, ContractError> {
        let anyone = self.addr("keeper");
        self.execute(&anyone, ExecuteMsg::Publish {})
    }

    fn query<T: serde::de::DeserializeOwned>(&self, msg: QueryMsg) -> T {
        from_json(query(self.deps.as_ref(), self.env.clone(), msg).unwrap()).unwrap()
    }

    fn connect(&mut self, channel: &str) {
        let env = self.env.clone();
        ibc_channel_open(
            self.deps.as_mut(),
            env.clone(),
            mock_ibc_channel_open_init(channel, IbcOrder::Unordered, PRICE_VERSION),
        )
        .unwrap();
        ibc_channel_connect(
            self.deps.as_mut(),
            env,
            mock_ibc_channel_connect_ack(channel, IbcOrder::Unordered, PRICE_VERSION),
        )
        .unwrap();
    }

    fn channels(&self) -> Vec<ChannelInfo> {
        self.query::<ChannelsResponse>(QueryMsg::Channels {
            start_after: None,
            limit: None,
        })
        .channels
    }

    fn published(&self, pair: &Addr) -> PublishedResponse {
        self.query(QueryMsg::Published {
            pool: pair.to_string(),
        })
    }
}

/// The packets a response sends, as (channel, packet, timeout).
fn sent(response: &Response) -> Vec<(String, PricePacket, IbcTimeout)> {
    response
        .messages
        .iter()
        .map(|sub| match &sub.msg {
            CosmosMsg::Ibc(IbcMsg::SendPacket {
                channel_id,
                data,
                timeout,
            }) => (
                channel_id.clone(),
                from_json(data).unwrap(),
                timeout.clone(),
            ),
            other => panic!("unexpected message {other:?}"),
        })
        .collect()
}

fn attribute<'a>(attributes: &'a [Attribute], key: &str) -> &'a str {
    &attributes
        .iter()
        .find(|attr| attr.key == key)
        .unwrap()
        .value
}

fn channel_info(id: &str, open: bool, counts: [u64; 4]) -> ChannelInfo {
    let [sent, delivered, failed, timed_out] = counts;
    ChannelInfo {
        channel_id: id.into(),
        connection_id: "connection-2".into(),
        counterparty_port: "their_port".into(),
        counterparty_channel: "channel-7".into(),
        open,
        sent,
        delivered,
        failed,
        timed_out,
    }
}

/// Block times of a pair's recorded observations.
fn times(feed: &Feed, pair: &Addr) -> Vec<u64> {
    OBSERVATIONS
        .prefix(pair)
        .keys(&feed.deps.storage, None, None, Order::Ascending)
        .collect::<Result<_, _>>()
        .unwrap()
}

/// A feed at t = 1000 s with the h100 pair in epoch 5 (12.5 LOOP/h since t = 940 s).
fn feed_with_pool() -> (Feed, Addr) {
    let mut feed = Feed::new();
    let pair = feed.add_pair(
        "pair-h100",
        MockPair::new("h100", 5, Reserves::new(HOURS, LOOP_50), 940),
    );
    (feed, pair)
}

#[test]
fn refuses_ordered_channels_and_other_versions() {
    let mut feed = Feed::new();
    let env = feed.env.clone();
    let open = |feed: &mut Feed, msg| ibc_channel_open(feed.deps.as_mut(), env.clone(), msg);
    assert_eq!(
        open(
            &mut feed,
            mock_ibc_channel_open_init("channel-0", IbcOrder::Ordered, PRICE_VERSION)
        ),
        Err(ContractError::Channel(ChannelError::Ordered {}))
    );
    assert_eq!(
        open(
            &mut feed,
            mock_ibc_channel_open_init("channel-0", IbcOrder::Unordered, "ics20-1")
        ),
        Err(ContractError::Channel(ChannelError::WrongVersion {
            version: "ics20-1".into()
        }))
    );
    let ours = mock_ibc_channel("channel-0", IbcOrder::Unordered, PRICE_VERSION);
    assert_eq!(
        open(
            &mut feed,
            IbcChannelOpenMsg::new_try(ours.clone(), "loopin-price-2")
        ),
        Err(ContractError::Channel(
            ChannelError::WrongCounterpartyVersion {
                version: "loopin-price-2".into()
            }
        ))
    );
    assert_eq!(
        ibc_channel_connect(
            feed.deps.as_mut(),
            env.clone(),
            IbcChannelConnectMsg::new_ack(ours.clone(), "")
        ),
        Err(ContractError::Channel(
            ChannelError::WrongCounterpartyVersion { version: "".into() }
        ))
    );
    assert_eq!(
        open(&mut feed, IbcChannelOpenMsg::new_try(ours, PRICE_VERSION)),
        Ok(None)
    );
    assert_eq!(feed.channels(), vec![]);
}

#[test]
fn publishes_one_packet_per_pool_and_channel() {
    let (mut feed, pair) = feed_with_pool();
    feed.connect("channel-0");
    feed.connect("channel-1");

    let response = feed.publish().unwrap();
    let first = PricePacket {
        pool: pair.to_string(),
        class: "h100".into(),
        spot_price: Some(Decimal256::from_atomics(12_500_000u128, 0).unwrap()),
        // No earlier observation: the spot price, over no window.
        twap: Some(Decimal256::from_atomics(12_500_000u128, 0).unwrap()),
        twap_window_seconds: 0,
        reserves: Reserves::new(HOURS, LOOP_50),
        capacity: Uint128::new(5_000_000),
        epoch: 5,
        height: 100,
        time: Timestamp::from_seconds(1_000),
    };
    let timeout = IbcTimeout::with_timestamp(Timestamp::from_seconds(1_600));
    assert_eq!(
        sent(&response),
        vec![
            ("channel-0".into(), first.clone(), timeout.clone()),
            ("channel-1".into(), first.clone(), timeout),
        ]
    );
    assert_eq!(
        response.events,
        vec![
            Event::new("loopin_price")
                .add_attribute("pool", pair.as_str())
                .add_attribute("class", "h100")
                .add_attribute("epoch", "5")
                .add_attribute("spot_price", "12500000")
                .add_attribute("twap", "12500000")
                .add_attribute("twap_window_seconds", "0")
        ]
    );
    assert_eq!(attribute(&response.attributes, "pools"), "1");
    assert_eq!(attribute(&response.attributes, "packets"), "2");
    assert_eq!(
        feed.published(&pair),
        PublishedResponse {
            packet: first,
            channels: 2
        }
    );

    // Halfway through the epoch the price rises to 15 LOOP/h; at the next boundary the TWAP
    // since the last publish is (12.5 · 30 + 15 · 30) / 60 = 13.75.
    feed.pair(&pair)
        .set_reserves(1_030, Reserves::new(HOURS, 60_000_000));
    feed.at(1_060, 112);
    feed.pair(&pair).epoch = 6;
    feed.pair(&pair).clock_epoch = 6;
    let response = feed.publish().unwrap();
    let packets = sent(&response);
    assert_eq!(packets.len(), 2);
    let second = &packets[0].1;
    assert_eq!(
        second.spot_price,
        Some(Decimal256::from_atomics(15_000_000u128, 0).unwrap())
    );
    assert_eq!(
        second.twap,
        Some(Decimal256::from_atomics(13_750_000u128, 0).unwrap())
    );
    assert_eq!(second.twap_window_seconds, 60);
    assert_eq!((second.epoch, second.height), (6, 112));
    assert_eq!(second.time, Timestamp::from_seconds(1_060));
    assert_eq!(
        feed.channels(),
        vec![
            channel_info("channel-0", true, [2, 0, 0, 0]),
            channel_info("channel-1", true, [2, 0, 0, 0]),
        ]
    );
}

#[test]
fn publishing_twice_in_one_epoch_sends_nothing_the_second_time() {
    let (mut feed, pair) = feed_with_pool();
    feed.connect("channel-0");
    assert_eq!(sent(&feed.publish().unwrap()).len(), 1);
    let published = feed.published(&pair);

    feed.at(1_030, 106);
    assert_eq!(feed.publish(), Err(ContractError::NothingToPublish {}));
    assert_eq!(feed.published(&pair), published);
    assert_eq!(
        feed.channels(),
        vec![channel_info("channel-0", true, [1, 0, 0, 0])]
    );

    feed.pair(&pair).epoch = 6;
    feed.pair(&pair).clock_epoch = 6;
    let response = feed.publish().unwrap();
    assert_eq!(sent(&response)[0].1.epoch, 6);
}

#[test]
fn a_pool_with_boundaries_due_waits_until_it_is_advanced() {
    let (mut feed, pair) = feed_with_pool();
    let other = feed.add_pair(
        "pair-a100",
        MockPair::new("a100", 2, Reserves::new(HOURS, LOOP_50), 940),
    );
    feed.connect("channel-0");
    feed.pair(&pair).clock_epoch = 6;

    let response = feed.publish().unwrap();
    let packets = sent(&response);
    assert_eq!(packets.len(), 1);
    assert_eq!(packets[0].1.pool, other.to_string());
    assert_eq!(attribute(&response.attributes, "lagging"), pair.as_str());

    // Only the lagging pool is left: nothing to publish until the keeper advances it.
    feed.at(1_010, 102);
    assert_eq!(feed.publish(), Err(ContractError::NothingToPublish {}));
    feed.pair(&pair).epoch = 6;
    let packets = sent(&feed.publish().unwrap());
    assert_eq!(packets.len(), 1);
    assert_eq!(
        (packets[0].1.pool.as_str(), packets[0].1.epoch),
        (pair.as_str(), 6)
    );
}

#[test]
fn the_twap_starts_at_the_oldest_observation_within_the_window() {
    let (mut feed, pair) = feed_with_pool();
    let publish_at = |feed: &mut Feed, seconds: u64, epoch: u64| {
        feed.at(seconds, seconds / 10);
        feed.pair(&pair).epoch = epoch;
        feed.pair(&pair).clock_epoch = epoch;
        feed.publish().unwrap();
        feed.published(&pair).packet.twap_window_seconds
    };
    // Epochs of 60 s, a window of 120 s. No channel is needed to observe.
    assert_eq!(publish_at(&mut feed, 1_000, 5), 0);
    assert_eq!(publish_at(&mut feed, 1_060, 6), 60);
    assert_eq!(publish_at(&mut feed, 1_120, 7), 120);
    assert_eq!(times(&feed, &pair), vec![1_000, 1_060, 1_120]);
    // From 1,060 on; 1,000 is pruned.
    assert_eq!(publish_at(&mut feed, 1_180, 8), 120);
    assert_eq!(times(&feed, &pair), vec![1_060, 1_120, 1_180]);
    // After a long pause every observation is older than the window: the TWAP runs from the
    // previous publish, and only that one is kept.
    assert_eq!(publish_at(&mut feed, 2_000, 9), 820);
    assert_eq!(times(&feed, &pair), vec![1_180, 2_000]);
    // The price never moved: the TWAP is the spot price.
    let packet = feed.published(&pair).packet;
    assert_eq!(packet.twap, packet.spot_price);
}

#[test]
fn a_closed_channel_gets_no_packets() {
    let (mut feed, pair) = feed_with_pool();
    feed.connect("channel-0");
    feed.connect("channel-1");
    let env = feed.env.clone();
    // The subscriber closed its end; the feed's callback is CloseConfirm.
    ibc_channel_close(
        feed.deps.as_mut(),
        env,
        mock_ibc_channel_close_confirm("channel-0", IbcOrder::Unordered, PRICE_VERSION),
    )
    .unwrap();

    let response = feed.publish().unwrap();
    let channels: Vec<_> = sent(&response).into_iter().map(|(c, _, _)| c).collect();
    assert_eq!(channels, vec!["channel-1".to_string()]);
    assert_eq!(feed.published(&pair).channels, 1);
    assert_eq!(
        feed.channels(),
        vec![
            channel_info("channel-0", false, [0, 0, 0, 0]),
            channel_info("channel-1", true, [1, 0, 0, 0]),
        ]
    );
}

#[test]
fn acknowledgements_and_timeouts_are_counted_per_channel() {
    let (mut feed, _) = feed_with_pool();
    feed.connect("channel-0");
    feed.connect("channel-1");
    let packet = sent(&feed.publish().unwrap())[0].1.clone();
    let env = feed.env.clone();
    let ack = |feed: &mut Feed, channel: &str, data: Binary| {
        ibc_packet_ack(
            feed.deps.as_mut(),
            env.clone(),
            mock_ibc_packet_ack(channel, &packet, IbcAcknowledgement::new(data)).unwrap(),
        )
        .unwrap()
    };
    let response = ack(&mut feed, "channel-0", Receipt::Stored.ack().to_binary());
    assert_eq!(attribute(&response.attributes, "outcome"), "delivered");
    let response = ack(&mut feed, "channel-1", Ack::error("kaputt").to_binary());
    assert_eq!(attribute(&response.attributes, "outcome"), "failed");
    assert_eq!(attribute(&response.attributes, "error"), "kaputt");
    let response = ack(&mut feed, "channel-1", Binary::from(b"\x01".to_vec()));
    assert_eq!(
        attribute(&response.attributes, "error"),
        "malformed acknowledgement"
    );
    ibc_packet_timeout(
        feed.deps.as_mut(),
        feed.env.clone(),
        mock_ibc_packet_timeout("channel-0", &packet).unwrap(),
    )
    .unwrap();
    // A channel the feed never connected counts nothing and refuses nothing.
    ack(&mut feed, "channel-9", Receipt::Stored.ack().to_binary());

    assert_eq!(
        feed.channels(),
        vec![
            channel_info("channel-0", true, [1, 1, 0, 1]),
            channel_info("channel-1", true, [1, 0, 2, 0]),
        ]
    );
}

#[test]
fn received_packets_get_an_error_acknowledgement() {
    let mut feed = Feed::new();
    let response = ibc_packet_receive(
        feed.deps.as_mut(),
        feed.env.clone(),
        mock_ibc_packet_recv("channel-0", &"hello").unwrap(),
    )
    .unwrap();
    assert_eq!(
        response.acknowledgement,
        Some(Binary::from(
            br#"{"error":"the price feed only sends packets"}"#.to_vec()
        ))
    );
}

#[test]
fn open_channels_are_capped() {
    let mut feed = Feed::new();
    for n in 0..MAX_SUBSCRIBERS {
        feed.connect(&format!("channel-{n}"));
    }
    let env = feed.env.clone();
    assert_eq!(
        ibc_channel_open(
            feed.deps.as_mut(),
            env.clone(),
            mock_ibc_channel_open_init("channel-99", IbcOrder::Unordered, PRICE_VERSION),
        ),
        Err(ContractError::TooManySubscribers {})
    );
    // A closed channel (its subscriber closed it) makes room.
    ibc_channel_close(
        feed.deps.as_mut(),
        env,
        mock_ibc_channel_close_confirm("channel-3", IbcOrder::Unordered, PRICE_VERSION),
    )
    .unwrap();
    feed.connect("channel-99");
    assert_eq!(feed.channels().len(), MAX_SUBSCRIBERS + 1);
}

#[test]
fn only_the_owner_manages_pools_and_settings() {
    let (mut feed, pair) = feed_with_pool();
    let stranger = feed.addr("stranger");
    let owner = feed.owner.clone();
    let other = feed.addr("pair-a100");
    feed.chain.borrow_mut().pairs.insert(
        other.to_string(),
        MockPair::new("a100", 1, Reserves::new(HOURS, LOOP_50), 940),
    );
    let not_owner = Err(ContractError::Ownership(OwnershipError::NotOwner));
    assert_eq!(
        feed.execute(
            &stranger,
            ExecuteMsg::AddPool {
                pair: other.to_string()
            }
        ),
        not_owner
    );
    assert_eq!(
        feed.execute(
            &stranger,
            ExecuteMsg::RemovePool {
                pair: pair.to_string()
            }
        ),
        not_owner
    );
    assert_eq!(
        feed.execute(
            &stranger,
            ExecuteMsg::UpdateConfig {
                packet_timeout_seconds: Some(1),
                twap_window_seconds: None
            }
        ),
        not_owner
    );
    assert_eq!(
        feed.execute(
            &owner,
            ExecuteMsg::AddPool {
                pair: pair.to_string()
            }
        ),
        Err(ContractError::PoolExists {
            pair: pair.to_string()
        })
    );
    assert_eq!(
        feed.execute(
            &owner,
            ExecuteMsg::UpdateConfig {
                packet_timeout_seconds: Some(0),
                twap_window_seconds: None
            }
        ),
        Err(ContractError::Settings(SettingsError::ZeroTimeout {}))
    );
    assert_eq!(
        feed.query::<ConfigResponse>(QueryMsg::Config {}),
        ConfigResponse {
            packet_timeout_seconds: TIMEOUT,
            twap_window_seconds: WINDOW,
            pools: vec![PoolInfo {
                pair: pair.clone(),
                class: "h100".into()
            }],
            allowed_connections: vec!["connection-2".into()],
            allowed_counterparty_ports: None,
        }
    );

    feed.execute(
        &owner,
        ExecuteMsg::UpdateConfig {
            packet_timeout_seconds: Some(30),
            twap_window_seconds: Some(3_600),
        },
    )
    .unwrap();
    feed.connect("channel-0");
    assert_eq!(
        sent(&feed.publish().unwrap())[0].2,
        IbcTimeout::with_timestamp(Timestamp::from_seconds(1_030))
    );
    feed.execute(
        &owner,
        ExecuteMsg::RemovePool {
            pair: pair.to_string(),
        },
    )
    .unwrap();
    assert_eq!(
        query(
            feed.deps.as_ref(),
            feed.env.clone(),
            QueryMsg::Published {
                pool: pair.to_string()
            }
        ),
        Err(ContractError::NotPublished {
            pool: pair.to_string()
        })
    );
    assert_eq!(times(&feed, &pair), Vec::<u64>::new());
    assert_eq!(
        feed.execute(
            &owner,
            ExecuteMsg::RemovePool {
                pair: pair.to_string()
            }
        ),
        Err(ContractError::PoolNotFound {
            pair: pair.to_string()
        })
    );
    assert_eq!(feed.publish(), Err(ContractError::NothingToPublish {}));
}

/// Delivers `data` to the consumer on `channel`, returning its acknowledgement.
fn deliver(consumer: &mut Deps, env: &Env, channel: &str, data: &Binary) -> Binary {
    let mut msg = mock_ibc_packet_recv(channel, &()).unwrap();
    msg.packet.data = data.clone();
    consumer_ibc::ibc_packet_receive(consumer.as_mut(), env.clone(), msg)
        .unwrap()
        .acknowledgement
        .unwrap()
}

#[test]
fn a_published_price_reaches_the_consumer_and_its_acknowledgement_is_counted() {
    // The LooPIN chain: the feed with one pool and one subscriber.
    let (mut feed, pair) = feed_with_pool();
    feed.connect("channel-0");
    // The other chain: the consumer, its end of the channel being channel-5.
    let mut other = mock_dependencies();
    let mut other_env = mock_env();
    other_env.block.time = Timestamp::from_seconds(5_000);
    let admin = other.api.addr_make("admin");
    consumer::instantiate(
        other.as_mut(),
        other_env.clone(),
        message_info(&admin, &[]),
        consumer_msg::InstantiateMsg {
            owner: admin.to_string(),
            // Pinned, as it must be, to the mock channel's connection and counterparty port
            // (the feed's end here).
            allowed_connections: Some(vec!["connection-2".into()]),
            allowed_counterparty_ports: Some(vec!["their_port".into()]),
            max_age_seconds: None,
        },
    )
    .unwrap();
    consumer_ibc::ibc_channel_connect(
        other.as_mut(),
        other_env.clone(),
        mock_ibc_channel_connect_ack("channel-5", IbcOrder::Unordered, PRICE_VERSION),
    )
    .unwrap();

    // Epoch 5 is published and relayed.
    let response = feed.publish().unwrap();
    let CosmosMsg::Ibc(IbcMsg::SendPacket { data, .. }) = &response.messages[0].msg else {
        panic!("the feed sends a packet");
    };
    let expected: PricePacket = from_json(data).unwrap();
    let ack = deliver(&mut other, &other_env, "channel-5", data);
    assert_eq!(ack, Receipt::Stored.ack().to_binary());
    let price: consumer_msg::PriceResponse = from_json(
        consumer::query(
            other.as_ref(),
            other_env.clone(),
            consumer_msg::QueryMsg::Price {
                channel: "channel-5".into(),
                pool: pair.to_string(),
            },
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(
        price,
        consumer_msg::PriceResponse {
            channel: "channel-5".into(),
            packet: expected.clone(),
            received_at: Timestamp::from_seconds(5_000),
        }
    );
    assert_eq!(
        price.packet.spot_price,
        Some(Decimal256::from_atomics(12_500_000u128, 0).unwrap())
    );

    // The acknowledgement goes back to the feed and is counted.
    ibc_packet_ack(
        feed.deps.as_mut(),
        feed.env.clone(),
        mock_ibc_packet_ack("channel-0", &expected, IbcAcknowledgement::new(ack)).unwrap(),
    )
    .unwrap();
    // A relayer delivering the same bytes again: acknowledged, ignored, stored price unchanged.
    let replayed = deliver(&mut other, &other_env, "channel-5", data);
    assert_eq!(replayed, Receipt::Ignored.ack().to_binary());

    // Epoch 6's packet times out on its way.
    feed.at(1_060, 112);
    feed.pair(&pair).epoch = 6;
    feed.pair(&pair).clock_epoch = 6;
    let next = sent(&feed.publish().unwrap())[0].1.clone();
    ibc_packet_timeout(
        feed.deps.as_mut(),
        feed.env.clone(),
        mock_ibc_packet_timeout("channel-0", &next).unwrap(),
    )
    .unwrap();
    assert_eq!(
        feed.channels(),
        vec![channel_info("channel-0", true, [2, 1, 0, 1])]
    );
    let still: consumer_msg::PriceResponse = from_json(
        consumer::query(
            other.as_ref(),
            other_env,
            consumer_msg::QueryMsg::Price {
                channel: "channel-5".into(),
                pool: pair.to_string(),
            },
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(still.packet, expected);
}
