//! IBC between two in-process devnets, relayed by hand in the test over the gRPC API a relayer
//! uses: signature clients, the connection and channel handshakes, the price feed's packets to
//! the price consumer (receive, acknowledgement, refused forgeries and replays, timeout), and
//! ICS-20 transfers (vouchers, an error acknowledgement and its refund, the way back).

mod common;

use cosmos_sdk_proto::Any;
use cosmos_sdk_proto::cosmos::base::tendermint::v1beta1 as tmpb;
use cosmos_sdk_proto::cosmos::tx::v1beta1 as txpb;
use cosmos_sdk_proto::tendermint::abci::Event as AbciEvent;
use ibc_proto::ibc::applications::transfer::v1::MsgTransfer;
use ibc_proto::ibc::core::channel::v1 as chanpb;
use ibc_proto::ibc::core::client::v1::{Height, MsgCreateClient};
use ibc_proto::ibc::core::commitment::v1::MerklePrefix;
use ibc_proto::ibc::core::connection::v1 as connpb;
use ibc_proto::ibc::lightclients::solomachine::v3 as solopb;
use loopin::pair;
use loopin::price_feed::feed::{self, ChannelsResponse};
use loopin::price_feed::{PRICE_VERSION, PricePacket, consumer};
use loopin_chain_client::{ChainClient, ChainConfig, ClientError, TxResult, devnet};
use loopin_deploy::{DeployConfig, repository_artifacts};
use loopin_devnet::ibc::{paths, proof, transfer};
use loopin_devnet::{Config, NodeHandle};
use sha2::{Digest, Sha256};

use common::*;

/// One devnet with a relayer (key 1) and users (keys 2 and 3), all funded.
struct Side {
    id: String,
    node: NodeHandle,
    relayer: ChainClient,
    user: ChainClient,
    other_user: ChainClient,
}

async fn side(chain_id: &str) -> Side {
    let config = Config {
        chain_id: chain_id.into(),
        ..common::config(fresh_home(chain_id), &[1, 2, 3])
    };
    let node = loopin_devnet::start(config).await.expect("devnet");
    let chain = ChainConfig {
        chain_id: chain_id.into(),
        ..chain_config(&node)
    };
    let connect = |n| ChainClient::connect(chain.clone(), key(n));
    Side {
        id: chain_id.into(),
        relayer: connect(1).await.expect("connect"),
        user: connect(2).await.expect("connect"),
        other_user: connect(3).await.expect("connect"),
        node,
    }
}

impl Side {
    fn chain_config(&self) -> ChainConfig {
        ChainConfig {
            chain_id: self.id.clone(),
            ..chain_config(&self.node)
        }
    }

    fn channels(&self) -> chanpb::query_client::QueryClient<tonic::transport::Channel> {
        chanpb::query_client::QueryClient::new(self.relayer.channel())
    }

    /// Height and time (ns) of the latest block.
    async fn latest(&self) -> (u64, u64) {
        let block = tmpb::service_client::ServiceClient::new(self.relayer.channel())
            .get_latest_block(tmpb::GetLatestBlockRequest {})
            .await
            .expect("latest block")
            .into_inner();
        let header = block.sdk_block.and_then(|b| b.header).expect("header");
        let time = header.time.expect("time");
        (
            header.height as u64,
            time.seconds as u64 * 1_000_000_000 + time.nanos as u64,
        )
    }

    /// The IBC signer's public key, from the validator set.
    async fn signer_key(&self) -> Any {
        let set = tmpb::service_client::ServiceClient::new(self.relayer.channel())
            .get_latest_validator_set(tmpb::GetLatestValidatorSetRequest { pagination: None })
            .await
            .expect("validator set")
            .into_inner();
        assert_eq!(set.validators.len(), 1);
        set.validators[0].pub_key.clone().expect("validator key")
    }

    async fn relay(&self, msg: Any) -> Result<TxResult, ClientError> {
        self.relayer.send(vec![msg], "").await
    }

    async fn connection_proof(&self, id: &str) -> (Vec<u8>, Option<Height>) {
        let r = connpb::query_client::QueryClient::new(self.relayer.channel())
            .connection(connpb::QueryConnectionRequest {
                connection_id: id.into(),
            })
            .await
            .expect("connection")
            .into_inner();
        (r.proof, r.proof_height)
    }

    async fn channel_end(&self, port: &str, channel: &str) -> chanpb::QueryChannelResponse {
        self.channels()
            .channel(chanpb::QueryChannelRequest {
                port_id: port.into(),
                channel_id: channel.into(),
            })
            .await
            .expect("channel")
            .into_inner()
    }

    async fn balance(&self, address: &str, denom: &str) -> u128 {
        self.relayer.balance(address, denom).await.expect("balance")
    }
}

fn any<M: prost::Name>(msg: &M) -> Any {
    Any::from_msg(msg).expect("any")
}

/// The gRPC status message of a refused transaction (refused at simulation).
fn refusal(result: Result<TxResult, ClientError>) -> String {
    match result {
        Err(ClientError::Simulation(s)) => s.message().to_string(),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn attr<'a>(event: &'a AbciEvent, key: &str) -> &'a str {
    event
        .attributes
        .iter()
        .find(|a| a.key == key)
        .map(|a| a.value.as_str())
        .unwrap_or_else(|| panic!("{} without {key}", event.r#type))
}

/// The packets of a transaction's events of type `kind` (`send_packet`, ...).
fn packets(events: &[AbciEvent], kind: &str) -> Vec<chanpb::Packet> {
    events
        .iter()
        .filter(|e| e.r#type == kind)
        .map(|e| {
            let (rev, height) = attr(e, "packet_timeout_height")
                .split_once('-')
                .expect("rev-height");
            let height: u64 = height.parse().unwrap();
            assert_eq!(rev, "0");
            chanpb::Packet {
                sequence: attr(e, "packet_sequence").parse().unwrap(),
                source_port: attr(e, "packet_src_port").into(),
                source_channel: attr(e, "packet_src_channel").into(),
                destination_port: attr(e, "packet_dst_port").into(),
                destination_channel: attr(e, "packet_dst_channel").into(),
                data: hex::decode(attr(e, "packet_data_hex")).unwrap(),
                timeout_height: (height != 0).then_some(Height {
                    revision_number: 0,
                    revision_height: height,
                }),
                timeout_timestamp: attr(e, "packet_timeout_timestamp").parse().unwrap(),
            }
        })
        .collect()
}

fn event<'a>(result: &'a TxResult, kind: &str) -> &'a AbciEvent {
    result
        .response
        .events
        .iter()
        .find(|e| e.r#type == kind)
        .unwrap_or_else(|| panic!("no {kind} event in {}", result.txhash))
}

/// Creates on `host` a client of `tracked` with the key its validator set shows.
async fn create_client(host: &Side, tracked: &Side) -> String {
    let (height, time) = tracked.latest().await;
    let consensus = solopb::ConsensusState {
        public_key: Some(tracked.signer_key().await),
        diversifier: tracked.id.clone(),
        timestamp: time,
    };
    let client_state = solopb::ClientState {
        sequence: height,
        is_frozen: false,
        consensus_state: Some(consensus.clone()),
    };
    let result = host
        .relay(any(&MsgCreateClient {
            client_state: Some(any(&client_state)),
            consensus_state: Some(any(&consensus)),
            signer: host.relayer.address().to_string(),
        }))
        .await
        .expect("create client");
    result
        .event_attr("create_client", "client_id")
        .expect("client id")
        .to_string()
}

fn prefix() -> Option<MerklePrefix> {
    Some(MerklePrefix {
        key_prefix: b"ibc".to_vec(),
    })
}

fn version() -> connpb::Version {
    connpb::Version {
        identifier: "1".into(),
        features: vec!["ORDER_ORDERED".into(), "ORDER_UNORDERED".into()],
    }
}

/// Clients both ways and an open connection; returns (a's connection, b's connection).
async fn connect(a: &Side, b: &Side) -> (String, String) {
    let a_client = create_client(a, b).await;
    let b_client = create_client(b, a).await;
    assert_eq!(
        (a_client.as_str(), b_client.as_str()),
        ("06-solomachine-0", "06-solomachine-0")
    );
    let init = a
        .relay(any(&connpb::MsgConnectionOpenInit {
            client_id: a_client.clone(),
            counterparty: Some(connpb::Counterparty {
                client_id: b_client.clone(),
                connection_id: String::new(),
                prefix: prefix(),
            }),
            version: Some(version()),
            delay_period: 0,
            signer: a.relayer.address().to_string(),
        }))
        .await
        .expect("open init");
    let e = event(&init, "connection_open_init");
    assert_eq!(attr(e, "client_id"), a_client);
    assert_eq!(attr(e, "counterparty_client_id"), b_client);
    let a_conn = attr(e, "connection_id").to_string();

    let (proof, proof_height) = a.connection_proof(&a_conn).await;
    #[allow(deprecated)]
    let try_msg = connpb::MsgConnectionOpenTry {
        client_id: b_client.clone(),
        counterparty: Some(connpb::Counterparty {
            client_id: a_client.clone(),
            connection_id: a_conn.clone(),
            prefix: prefix(),
        }),
        counterparty_versions: vec![version()],
        proof_init: proof,
        proof_height,
        signer: b.relayer.address().to_string(),
        ..Default::default()
    };
    let tried = b.relay(any(&try_msg)).await.expect("open try");
    let b_conn = tried
        .event_attr("connection_open_try", "connection_id")
        .unwrap()
        .to_string();

    let (proof, proof_height) = b.connection_proof(&b_conn).await;
    a.relay(any(&connpb::MsgConnectionOpenAck {
        connection_id: a_conn.clone(),
        counterparty_connection_id: b_conn.clone(),
        version: Some(version()),
        proof_try: proof,
        proof_height,
        signer: a.relayer.address().to_string(),
        ..Default::default()
    }))
    .await
    .expect("open ack");

    let (proof, proof_height) = a.connection_proof(&a_conn).await;
    b.relay(any(&connpb::MsgConnectionOpenConfirm {
        connection_id: b_conn.clone(),
        proof_ack: proof,
        proof_height,
        signer: b.relayer.address().to_string(),
    }))
    .await
    .expect("open confirm");
    (a_conn, b_conn)
}

fn unordered(
    port: &str,
    counterparty_channel: &str,
    connection: &str,
    version: &str,
    state: chanpb::State,
) -> chanpb::Channel {
    chanpb::Channel {
        state: state as i32,
        ordering: chanpb::Order::Unordered as i32,
        counterparty: Some(chanpb::Counterparty {
            port_id: port.into(),
            channel_id: counterparty_channel.into(),
        }),
        connection_hops: vec![connection.into()],
        version: version.into(),
        upgrade_sequence: 0,
    }
}

/// The four-step channel handshake, initiated by `a`; returns (a's channel, b's channel).
async fn open_channel(
    a: &Side,
    a_port: &str,
    a_conn: &str,
    b: &Side,
    b_port: &str,
    b_conn: &str,
    version: &str,
) -> (String, String) {
    let init = a
        .relay(any(&chanpb::MsgChannelOpenInit {
            port_id: a_port.into(),
            channel: Some(unordered(b_port, "", a_conn, version, chanpb::State::Init)),
            signer: a.relayer.address().to_string(),
        }))
        .await
        .expect("channel open init");
    let a_channel = init
        .event_attr("channel_open_init", "channel_id")
        .unwrap()
        .to_string();

    let a_end = a.channel_end(a_port, &a_channel).await;
    let a_version = a_end.channel.unwrap().version;
    #[allow(deprecated)]
    let try_msg = chanpb::MsgChannelOpenTry {
        port_id: b_port.into(),
        channel: Some(unordered(
            a_port,
            &a_channel,
            b_conn,
            &a_version,
            chanpb::State::Tryopen,
        )),
        counterparty_version: a_version.clone(),
        proof_init: a_end.proof,
        proof_height: a_end.proof_height,
        signer: b.relayer.address().to_string(),
        ..Default::default()
    };
    let tried = b.relay(any(&try_msg)).await.expect("channel open try");
    let e = event(&tried, "channel_open_try");
    assert_eq!(attr(e, "port_id"), b_port);
    assert_eq!(attr(e, "counterparty_port_id"), a_port);
    assert_eq!(attr(e, "counterparty_channel_id"), a_channel);
    assert_eq!(attr(e, "connection_id"), b_conn);
    let b_channel = attr(e, "channel_id").to_string();

    let b_end = b.channel_end(b_port, &b_channel).await;
    a.relay(any(&chanpb::MsgChannelOpenAck {
        port_id: a_port.into(),
        channel_id: a_channel.clone(),
        counterparty_channel_id: b_channel.clone(),
        counterparty_version: b_end.channel.unwrap().version,
        proof_try: b_end.proof,
        proof_height: b_end.proof_height,
        signer: a.relayer.address().to_string(),
    }))
    .await
    .expect("channel open ack");

    let a_end = a.channel_end(a_port, &a_channel).await;
    b.relay(any(&chanpb::MsgChannelOpenConfirm {
        port_id: b_port.into(),
        channel_id: b_channel.clone(),
        proof_ack: a_end.proof,
        proof_height: a_end.proof_height,
        signer: b.relayer.address().to_string(),
    }))
    .await
    .expect("channel open confirm");
    (a_channel, b_channel)
}

fn recv_msg(packet: &chanpb::Packet, proof: Vec<u8>, height: Option<Height>, to: &Side) -> Any {
    any(&chanpb::MsgRecvPacket {
        packet: Some(packet.clone()),
        proof_commitment: proof,
        proof_height: height,
        signer: to.relayer.address().to_string(),
    })
}

/// Relays `packet` from `from` to `to`; returns the receiving transaction.
async fn recv(from: &Side, to: &Side, packet: &chanpb::Packet) -> Result<TxResult, ClientError> {
    let r = from
        .channels()
        .packet_commitment(chanpb::QueryPacketCommitmentRequest {
            port_id: packet.source_port.clone(),
            channel_id: packet.source_channel.clone(),
            sequence: packet.sequence,
        })
        .await
        .expect("commitment")
        .into_inner();
    assert_eq!(r.commitment, paths::packet_commitment(packet));
    to.relay(recv_msg(packet, r.proof, r.proof_height, to))
        .await
}

/// Relays the acknowledgement written on `to` back to `from`.
async fn ack(
    from: &Side,
    to: &Side,
    packet: &chanpb::Packet,
    ack: &[u8],
) -> Result<TxResult, ClientError> {
    let r = to
        .channels()
        .packet_acknowledgement(chanpb::QueryPacketAcknowledgementRequest {
            port_id: packet.destination_port.clone(),
            channel_id: packet.destination_channel.clone(),
            sequence: packet.sequence,
        })
        .await
        .expect("acknowledgement")
        .into_inner();
    assert_eq!(r.acknowledgement, Sha256::digest(ack).to_vec());
    from.relay(any(&chanpb::MsgAcknowledgement {
        packet: Some(packet.clone()),
        acknowledgement: ack.to_vec(),
        proof_acked: r.proof,
        proof_height: r.proof_height,
        signer: from.relayer.address().to_string(),
    }))
    .await
}

/// Times `packet` out on `from` with `to`'s proof that it has no receipt.
async fn timeout(from: &Side, to: &Side, packet: &chanpb::Packet) -> Result<TxResult, ClientError> {
    let r = to
        .channels()
        .packet_receipt(chanpb::QueryPacketReceiptRequest {
            port_id: packet.destination_port.clone(),
            channel_id: packet.destination_channel.clone(),
            sequence: packet.sequence,
        })
        .await
        .expect("receipt")
        .into_inner();
    assert!(!r.received);
    from.relay(any(&chanpb::MsgTimeout {
        packet: Some(packet.clone()),
        proof_unreceived: r.proof,
        proof_height: r.proof_height,
        next_sequence_recv: 0,
        signer: from.relayer.address().to_string(),
    }))
    .await
}

/// The acknowledgement a receiving transaction wrote.
fn written_ack(result: &TxResult) -> Vec<u8> {
    hex::decode(attr(
        event(result, "write_acknowledgement"),
        "packet_ack_hex",
    ))
    .unwrap()
}

async fn unreceived(side: &Side, port: &str, channel: &str, sequences: Vec<u64>) -> Vec<u64> {
    side.channels()
        .unreceived_packets(chanpb::QueryUnreceivedPacketsRequest {
            port_id: port.into(),
            channel_id: channel.into(),
            packet_commitment_sequences: sequences,
        })
        .await
        .expect("unreceived packets")
        .into_inner()
        .sequences
}

async fn unacked(side: &Side, port: &str, channel: &str, sequences: Vec<u64>) -> Vec<u64> {
    side.channels()
        .unreceived_acks(chanpb::QueryUnreceivedAcksRequest {
            port_id: port.into(),
            channel_id: channel.into(),
            packet_ack_sequences: sequences,
        })
        .await
        .expect("unreceived acks")
        .into_inner()
        .sequences
}

async fn feed_channel(a: &Side, feed: &str) -> loopin::price_feed::feed::ChannelInfo {
    let answer: ChannelsResponse = a
        .relayer
        .query_smart(
            feed,
            &feed::QueryMsg::Channels {
                start_after: None,
                limit: None,
            },
        )
        .await
        .expect("feed channels");
    assert_eq!(answer.channels.len(), 1);
    answer.channels[0].clone()
}

async fn store_and_instantiate<M: serde::Serialize>(
    client: &ChainClient,
    artifact: &str,
    msg: &M,
) -> String {
    let wasm = std::fs::read(
        repository_artifacts()
            .expect("artifacts")
            .join(format!("{artifact}.wasm")),
    )
    .expect("artifact (scripts/build-contracts.sh)");
    let (code_id, _) = client.store_code(wasm).await.expect("store");
    let admin = client.address().to_string();
    client
        .instantiate(code_id, msg, artifact, Some(&admin), &[])
        .await
        .expect("instantiate")
        .0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn price_packets_flow_from_the_feed_to_the_consumer_and_time_out() {
    let a = side("loopin-a").await;
    let b = side("loopin-b").await;

    // A: the protocol (a pool to publish) and the feed; B: the consumer, pinned to the feed.
    let deployment = loopin_deploy::deploy(
        &DeployConfig::devnet(&a.chain_config(), 1, &[]).expect("deploy config"),
        &a.relayer,
    )
    .await
    .expect("deploy");
    let pool = deployment.pools["h100"].clone();
    let owner = a.relayer.address().to_string();
    let feed = store_and_instantiate(
        &a.relayer,
        "loopin_price_feed",
        &feed::InstantiateMsg {
            owner: owner.clone(),
            packet_timeout_seconds: 600,
            twap_window_seconds: 3_600,
            allowed_connections: vec!["connection-0".into()],
            allowed_counterparty_ports: None,
        },
    )
    .await;
    a.relayer
        .execute(
            &feed,
            &feed::ExecuteMsg::AddPool { pair: pool.clone() },
            &[],
        )
        .await
        .expect("add pool");
    // Pinned to the feed: its port over connection-0 (an unpinned consumer is refused).
    let feed_port = format!("wasm.{feed}");
    let consumer = store_and_instantiate(
        &b.relayer,
        "loopin_price_consumer",
        &consumer::InstantiateMsg {
            owner: b.relayer.address().to_string(),
            allowed_connections: Some(vec!["connection-0".into()]),
            allowed_counterparty_ports: Some(vec![feed_port.clone()]),
            max_age_seconds: None,
        },
    )
    .await;
    let consumer_port = format!("wasm.{consumer}");
    assert_eq!(
        a.relayer.contract_info(&feed).await.unwrap().ibc_port_id,
        feed_port
    );
    assert_eq!(
        a.relayer.contract_info(&pool).await.unwrap().ibc_port_id,
        ""
    );

    // 1. Clients, connection, channel.
    let (a_conn, b_conn) = connect(&a, &b).await;
    assert_eq!(
        (a_conn.as_str(), b_conn.as_str()),
        ("connection-0", "connection-0")
    );
    let (a_ch, b_ch) = open_channel(
        &a,
        &feed_port,
        &a_conn,
        &b,
        &consumer_port,
        &b_conn,
        PRICE_VERSION,
    )
    .await;
    assert_eq!((a_ch.as_str(), b_ch.as_str()), ("channel-0", "channel-0"));
    for (side, port, channel, cp_port, cp_channel) in [
        (&a, &feed_port, &a_ch, &consumer_port, &b_ch),
        (&b, &consumer_port, &b_ch, &feed_port, &a_ch),
    ] {
        let end = side.channel_end(port, channel).await.channel.unwrap();
        assert_eq!(end.state, chanpb::State::Open as i32);
        assert_eq!(end.version, PRICE_VERSION);
        let cp = end.counterparty.unwrap();
        assert_eq!((&cp.port_id, &cp.channel_id), (cp_port, cp_channel));
    }
    let subscribed = feed_channel(&a, &feed).await;
    assert!(subscribed.open);
    assert_eq!(subscribed.counterparty_port, consumer_port);
    assert_eq!(subscribed.connection_id, "connection-0");
    // A channel with the wrong version is refused by the contract and changes nothing.
    let wrong = a
        .relay(any(&chanpb::MsgChannelOpenInit {
            port_id: feed_port.clone(),
            channel: Some(unordered(
                &consumer_port,
                "",
                &a_conn,
                "ics20-1",
                chanpb::State::Init,
            )),
            signer: a.relayer.address().to_string(),
        }))
        .await;
    assert_eq!(
        refusal(wrong),
        "codespace wasm code 5: channel version must be loopin-price-1, not ics20-1"
    );
    let ordered = a
        .relay(any(&chanpb::MsgChannelOpenInit {
            port_id: feed_port.clone(),
            channel: Some(chanpb::Channel {
                ordering: chanpb::Order::Ordered as i32,
                ..unordered(
                    &consumer_port,
                    "",
                    &a_conn,
                    PRICE_VERSION,
                    chanpb::State::Init,
                )
            }),
            signer: a.relayer.address().to_string(),
        }))
        .await;
    assert_eq!(
        refusal(ordered),
        "codespace ibc code 11: ordered channels are not supported on the devnet (UNORDERED only)"
    );

    // 2. A published price packet, found by the block's events (GetTxsEvent).
    let published = a
        .user
        .execute(&feed, &feed::ExecuteMsg::Publish {}, &[])
        .await
        .expect("publish");
    let block = txpb::service_client::ServiceClient::new(a.relayer.channel())
        .get_txs_event(txpb::GetTxsEventRequest {
            query: format!("tx.height={}", published.height),
            ..Default::default()
        })
        .await
        .expect("txs of the block")
        .into_inner();
    let tx = block
        .tx_responses
        .iter()
        .find(|r| r.txhash == published.txhash)
        .expect("the publish tx in its block");
    let sent = packets(&tx.events, "send_packet");
    assert_eq!(sent.len(), 1);
    let packet = sent[0].clone();
    assert_eq!(packet.sequence, 1);
    assert_eq!(
        (packet.source_port.as_str(), packet.source_channel.as_str()),
        (feed_port.as_str(), "channel-0")
    );
    assert_eq!(
        (
            packet.destination_port.as_str(),
            packet.destination_channel.as_str()
        ),
        (consumer_port.as_str(), "channel-0")
    );
    let price = PricePacket::decode(&packet.data).expect("a price packet");
    assert_eq!(price.pool, pool);
    assert_eq!(price.class, "h100");
    assert_eq!(packet.timeout_height, None);
    assert_eq!(
        packet.timeout_timestamp,
        price.time.nanos() + 600 * 1_000_000_000
    );
    assert_eq!(
        unreceived(&b, &consumer_port, &b_ch, vec![1]).await,
        vec![1]
    );

    // 3. A proof signed by another key, or altered data, is refused and changes nothing.
    let (height, time) = a.latest().await;
    let forger = k256::ecdsa::SigningKey::from_slice(&[7; 32]).unwrap();
    let path = paths::commitment(&feed_port, &a_ch, 1);
    let forged = proof::sign(
        &forger,
        &a.id,
        height,
        time,
        &path,
        &paths::packet_commitment(&packet),
    );
    let proof_height = Some(Height {
        revision_number: 0,
        revision_height: height,
    });
    assert_eq!(
        refusal(b.relay(recv_msg(&packet, forged, proof_height, &b)).await),
        format!(
            "codespace ibc code 5: invalid proof of {path} at height {height}: signature verification failed"
        )
    );
    let mut altered = packet.clone();
    altered.data = String::from_utf8(packet.data.clone())
        .unwrap()
        .replace("\"h100\"", "\"h200\"")
        .into_bytes();
    assert_ne!(altered.data, packet.data);
    let genuine = a
        .channels()
        .packet_commitment(chanpb::QueryPacketCommitmentRequest {
            port_id: feed_port.clone(),
            channel_id: a_ch.clone(),
            sequence: 1,
        })
        .await
        .unwrap()
        .into_inner();
    let refused = b
        .relay(recv_msg(
            &altered,
            genuine.proof.clone(),
            genuine.proof_height,
            &b,
        ))
        .await;
    let proven_at = genuine.proof_height.unwrap().revision_height;
    assert_eq!(
        refusal(refused),
        format!(
            "codespace ibc code 5: invalid proof of {path} at height {proven_at}: signature verification failed"
        )
    );
    assert_eq!(
        unreceived(&b, &consumer_port, &b_ch, vec![1]).await,
        vec![1]
    );
    let none: Result<consumer::PriceResponse, _> = b
        .relayer
        .query_smart(
            &consumer,
            &consumer::QueryMsg::Price {
                channel: b_ch.clone(),
                pool: pool.clone(),
            },
        )
        .await;
    assert!(none.is_err(), "no price before the genuine packet");

    // The genuine packet: stored by the consumer, acknowledged "stored".
    let received = recv(&a, &b, &packet).await.expect("recv");
    assert_eq!(
        packets(&received.response.events, "recv_packet"),
        vec![packet.clone()]
    );
    let acknowledgement = written_ack(&received);
    assert_eq!(acknowledgement, br#"{"result":"InN0b3JlZCI="}"#);
    assert_eq!(
        packets(&received.response.events, "write_acknowledgement"),
        vec![packet.clone()]
    );
    let stored: consumer::PriceResponse = b
        .relayer
        .query_smart(
            &consumer,
            &consumer::QueryMsg::Price {
                channel: b_ch.clone(),
                pool: pool.clone(),
            },
        )
        .await
        .expect("price");
    assert_eq!(stored.packet, price);
    assert_eq!(stored.channel, b_ch);
    assert!(
        unreceived(&b, &consumer_port, &b_ch, vec![1])
            .await
            .is_empty()
    );
    // Delivered once: a second delivery is refused.
    assert_eq!(
        refusal(recv(&a, &b, &packet).await),
        format!(
            "codespace ibc code 16: packet already received: {consumer_port}/{b_ch} sequence 1"
        )
    );

    // The acknowledgement reaches the feed.
    assert_eq!(unacked(&a, &feed_port, &a_ch, vec![1]).await, vec![1]);
    let acked = ack(&a, &b, &packet, &acknowledgement).await.expect("ack");
    assert_eq!(
        attr(event(&acked, "acknowledge_packet"), "packet_sequence"),
        "1"
    );
    assert_eq!(acked.event_attr("wasm", "outcome"), Some("delivered"));
    let counts = feed_channel(&a, &feed).await;
    assert_eq!(
        (
            counts.sent,
            counts.delivered,
            counts.failed,
            counts.timed_out
        ),
        (1, 1, 0, 0)
    );
    assert!(unacked(&a, &feed_port, &a_ch, vec![1]).await.is_empty());
    assert_eq!(
        refusal(ack(&a, &b, &packet, &acknowledgement).await),
        format!(
            "codespace ibc code 17: packet commitment not found: {feed_port}/{a_ch} sequence 1 (already acknowledged or timed out, or never sent)"
        )
    );

    // 4. The next epoch's packet is not relayed before its timeout.
    devnet::advance_time(a.relayer.channel(), 3_600)
        .await
        .expect("advance A");
    a.user
        .execute(
            &pool,
            &pair::ExecuteMsg::AdvanceEpoch { max_epochs: None },
            &[],
        )
        .await
        .expect("advance epoch");
    let published = a
        .user
        .execute(&feed, &feed::ExecuteMsg::Publish {}, &[])
        .await
        .expect("publish");
    let late = packets(&published.response.events, "send_packet")[0].clone();
    assert_eq!(late.sequence, 2);
    // Too early: B's clock has not reached the timeout.
    let early = timeout(&a, &b, &late).await;
    let message = refusal(early);
    assert!(
        message.starts_with(
            "codespace ibc code 19: packet has not timed out: the proof is of counterparty height"
        ),
        "{message}"
    );
    assert_eq!(unacked(&a, &feed_port, &a_ch, vec![2]).await, vec![2]);
    // B's clock passes the timeout (A's clock is an epoch ahead, plus the 600 s timeout).
    devnet::advance_time(b.relayer.channel(), 3_600 + 600 + 60)
        .await
        .expect("advance B");
    let message = refusal(recv(&a, &b, &late).await);
    assert!(
        message.starts_with(&format!(
            "codespace ibc code 15: packet timed out: timeout timestamp {} reached",
            late.timeout_timestamp
        )),
        "{message}"
    );
    let timed_out = timeout(&a, &b, &late).await.expect("timeout");
    let e = event(&timed_out, "timeout_packet");
    assert_eq!(attr(e, "packet_sequence"), "2");
    assert_eq!(attr(e, "packet_channel_ordering"), "ORDER_UNORDERED");
    assert_eq!(attr(e, "packet_connection"), "connection-0");
    assert_eq!(
        timed_out.event_attr("wasm", "action"),
        Some("packet_timeout")
    );
    let counts = feed_channel(&a, &feed).await;
    assert_eq!(
        (
            counts.sent,
            counts.delivered,
            counts.failed,
            counts.timed_out
        ),
        (2, 1, 0, 1)
    );
    assert!(unacked(&a, &feed_port, &a_ch, vec![1, 2]).await.is_empty());
    assert_eq!(
        unreceived(&b, &consumer_port, &b_ch, vec![1, 2]).await,
        vec![2]
    );

    a.node.stop().await;
    b.node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ics20_transfers_mint_vouchers_and_refund_error_acknowledgements() {
    let c = side("loopin-c").await;
    let d = side("loopin-d").await;
    let (c_conn, d_conn) = connect(&c, &d).await;
    let (c_ch, d_ch) =
        open_channel(&c, "transfer", &c_conn, &d, "transfer", &d_conn, "ics20-1").await;
    assert_eq!((c_ch.as_str(), d_ch.as_str()), ("channel-0", "channel-0"));
    let escrow =
        loopin_devnet::address::bech32_encode(PREFIX, &transfer::escrow_address("transfer", &c_ch))
            .unwrap();
    let voucher = transfer::voucher_denom("transfer/channel-0/uloop");
    let sender = c.user.address().to_string();
    let receiver = d.other_user.address().to_string();
    let (_, c_time) = c.latest().await;
    let transfer_msg = |amount: u128, to: &str| {
        any(&MsgTransfer {
            source_port: "transfer".into(),
            source_channel: c_ch.clone(),
            token: Some(cosmos_sdk_proto::cosmos::base::v1beta1::Coin {
                denom: DENOM.into(),
                amount: amount.to_string(),
            }),
            sender: sender.clone(),
            receiver: to.into(),
            timeout_height: None,
            timeout_timestamp: c_time + 3_600 * 1_000_000_000,
            memo: String::new(),
        })
    };

    // 5. A transfer mints the voucher on D; its success acknowledgement comes back.
    let sent = c
        .user
        .send(vec![transfer_msg(1_000, &receiver)], "")
        .await
        .expect("transfer");
    let packet = packets(&sent.response.events, "send_packet")[0].clone();
    assert_eq!(
        String::from_utf8(packet.data.clone()).unwrap(),
        format!(
            r#"{{"amount":"1000","denom":"uloop","receiver":"{receiver}","sender":"{sender}"}}"#
        )
    );
    assert_eq!(c.balance(&escrow, DENOM).await, 1_000);
    let received = recv(&c, &d, &packet).await.expect("recv");
    let acknowledgement = written_ack(&received);
    assert_eq!(acknowledgement, br#"{"result":"AQ=="}"#);
    assert_eq!(d.balance(&receiver, &voucher).await, 1_000);
    assert_eq!(
        received.event_attr("denomination_trace", "denom"),
        Some(voucher.as_str())
    );
    ack(&c, &d, &packet, &acknowledgement).await.expect("ack");
    assert_eq!(c.balance(&escrow, DENOM).await, 1_000);

    // An invalid receiver: an error acknowledgement, nothing minted, the sender refunded.
    let before = c.balance(&sender, DENOM).await;
    let sent = c
        .user
        .send(vec![transfer_msg(500, "not-an-address")], "")
        .await
        .expect("transfer");
    let fee = before - 500 - c.balance(&sender, DENOM).await;
    let packet = packets(&sent.response.events, "send_packet")[0].clone();
    assert_eq!(c.balance(&escrow, DENOM).await, 1_500);
    let received = recv(&c, &d, &packet).await.expect("recv");
    let acknowledgement = written_ack(&received);
    let text = String::from_utf8(acknowledgement.clone()).unwrap();
    assert!(
        text.starts_with(r#"{"error":"invalid receiver address not-an-address: "#),
        "{text}"
    );
    assert_eq!(d.balance(&receiver, &voucher).await, 1_000);
    let supply = loopin_devnet::bank::supply(d.node.node.chain().state(), &voucher);
    assert_eq!(supply, 1_000);
    let refunded = ack(&c, &d, &packet, &acknowledgement).await.expect("ack");
    assert_eq!(
        refunded.event_attr("fungible_token_packet", "success"),
        Some("false")
    );
    assert_eq!(c.balance(&escrow, DENOM).await, 1_000);
    assert_eq!(c.balance(&sender, DENOM).await, before - fee);

    // The voucher goes back: burnt on D, released from the escrow on C.
    let (_, d_time) = d.latest().await;
    let back = d
        .other_user
        .send(
            vec![any(&MsgTransfer {
                source_port: "transfer".into(),
                source_channel: d_ch.clone(),
                token: Some(cosmos_sdk_proto::cosmos::base::v1beta1::Coin {
                    denom: voucher.clone(),
                    amount: "400".into(),
                }),
                sender: receiver.clone(),
                receiver: sender.clone(),
                timeout_height: None,
                timeout_timestamp: d_time + 3_600 * 1_000_000_000,
                memo: "home".into(),
            })],
            "",
        )
        .await
        .expect("transfer back");
    let packet = packets(&back.response.events, "send_packet")[0].clone();
    assert_eq!(
        String::from_utf8(packet.data.clone()).unwrap(),
        format!(
            r#"{{"amount":"400","denom":"transfer/channel-0/uloop","memo":"home","receiver":"{sender}","sender":"{receiver}"}}"#
        )
    );
    assert_eq!(d.balance(&receiver, &voucher).await, 600);
    assert_eq!(
        loopin_devnet::bank::supply(d.node.node.chain().state(), &voucher),
        600
    );
    let before = c.balance(&sender, DENOM).await;
    let received = recv(&d, &c, &packet).await.expect("recv back");
    assert_eq!(written_ack(&received), br#"{"result":"AQ=="}"#);
    assert_eq!(c.balance(&sender, DENOM).await, before + 400);
    assert_eq!(c.balance(&escrow, DENOM).await, 600);

    c.node.stop().await;
    d.node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn malformed_ibc_messages_are_refused_with_typed_errors() {
    let a = side("loopin-e").await;
    let b = side("loopin-f").await;
    let signer = a.relayer.address().to_string();

    let undecodable = Any {
        type_url: "/ibc.core.channel.v1.MsgRecvPacket".into(),
        value: vec![0xff, 0xff, 0xff],
    };
    let message = refusal(a.relay(undecodable).await);
    assert!(
        message.starts_with("codespace sdk code 2: /ibc.core.channel.v1.MsgRecvPacket: "),
        "{message}"
    );
    let no_packet = any(&chanpb::MsgRecvPacket {
        signer: signer.clone(),
        ..Default::default()
    });
    assert_eq!(
        refusal(a.relay(no_packet).await),
        "codespace ibc code 1: no packet: invalid message"
    );
    let not_a_client = any(&MsgCreateClient {
        client_state: Some(Any {
            type_url: "/ibc.lightclients.tendermint.v1.ClientState".into(),
            value: vec![],
        }),
        consensus_state: None,
        signer: signer.clone(),
    });
    assert_eq!(
        refusal(a.relay(not_a_client).await),
        "codespace ibc code 3: invalid client: client state type /ibc.lightclients.tendermint.v1.ClientState is not /ibc.lightclients.solomachine.v3.ClientState"
    );
    let bad_key = any(&MsgCreateClient {
        client_state: Some(any(&solopb::ClientState {
            sequence: 1,
            is_frozen: false,
            consensus_state: Some(solopb::ConsensusState {
                public_key: Some(Any {
                    type_url: "/cosmos.crypto.secp256k1.PubKey".into(),
                    value: vec![10, 3, 1, 2, 3],
                }),
                diversifier: b.id.clone(),
                timestamp: 1,
            }),
        })),
        consensus_state: None,
        signer: signer.clone(),
    });
    assert_eq!(
        refusal(a.relay(bad_key).await),
        "codespace ibc code 3: invalid client: public key: not a secp256k1 point"
    );

    // A client and an INIT connection, then handshake steps with bad proofs and bad ports.
    let client = create_client(&a, &b).await;
    let init = a
        .relay(any(&connpb::MsgConnectionOpenInit {
            client_id: client.clone(),
            counterparty: Some(connpb::Counterparty {
                client_id: "06-solomachine-0".into(),
                connection_id: String::new(),
                prefix: prefix(),
            }),
            version: None,
            delay_period: 0,
            signer: signer.clone(),
        }))
        .await
        .expect("open init");
    let conn = init
        .event_attr("connection_open_init", "connection_id")
        .unwrap()
        .to_string();
    let garbage = any(&connpb::MsgConnectionOpenAck {
        connection_id: conn.clone(),
        counterparty_connection_id: "connection-0".into(),
        version: Some(version()),
        proof_try: vec![1, 2, 3],
        proof_height: Some(Height {
            revision_number: 0,
            revision_height: 5,
        }),
        signer: signer.clone(),
        ..Default::default()
    });
    let message = refusal(a.relay(garbage).await);
    assert!(
        message.starts_with(
            "codespace ibc code 5: invalid proof of connections/connection-0 at height 5: undecodable proof"
        ),
        "{message}"
    );
    let confirm_on_init = any(&connpb::MsgConnectionOpenConfirm {
        connection_id: conn.clone(),
        proof_ack: vec![],
        proof_height: None,
        signer: signer.clone(),
    });
    assert_eq!(
        refusal(a.relay(confirm_on_init).await),
        "codespace ibc code 7: connection connection-0 is STATE_INIT, expected STATE_TRYOPEN"
    );
    let unbound = any(&chanpb::MsgChannelOpenInit {
        port_id: "wasm.nobody".into(),
        channel: Some(unordered(
            "transfer",
            "",
            &conn,
            "ics20-1",
            chanpb::State::Init,
        )),
        signer: signer.clone(),
    });
    assert_eq!(
        refusal(a.relay(unbound).await),
        "codespace ibc code 12: port wasm.nobody is not bound to a module or an IBC-enabled contract"
    );
    let bad_version = any(&chanpb::MsgChannelOpenInit {
        port_id: "transfer".into(),
        channel: Some(unordered(
            "transfer",
            "",
            &conn,
            "ics20-2",
            chanpb::State::Init,
        )),
        signer: signer.clone(),
    });
    assert_eq!(
        refusal(a.relay(bad_version).await),
        "codespace ibc code 21: invalid channel version: ICS-20 channels use ics20-1, not ics20-2"
    );
    let no_channel = any(&MsgTransfer {
        source_port: "transfer".into(),
        source_channel: "channel-9".into(),
        token: Some(cosmos_sdk_proto::cosmos::base::v1beta1::Coin {
            denom: DENOM.into(),
            amount: "1".into(),
        }),
        sender: signer.clone(),
        receiver: "someone".into(),
        timeout_height: None,
        timeout_timestamp: u64::MAX,
        memo: String::new(),
    });
    assert_eq!(
        refusal(a.relay(no_channel).await),
        "codespace ibc code 9: channel transfer/channel-9 not found"
    );
    // Nothing of the refused messages was kept: one client, one connection, no channel.
    {
        let chain = a.node.node.chain();
        let state = chain.state();
        assert_eq!(loopin_devnet::ibc::store::clients(state).len(), 1);
        assert_eq!(loopin_devnet::ibc::store::connections(state).len(), 1);
        assert!(loopin_devnet::ibc::store::channels(state).is_empty());
    }

    a.node.stop().await;
    b.node.stop().await;
}
