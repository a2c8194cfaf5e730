//! Packet events of committed transactions, with ibc-go's attribute names (`send_packet`,
//! `write_acknowledgement`: `packet_sequence`, `packet_src_port`, ..., `packet_data_hex`,
//! `packet_ack_hex`).

use cosmos_sdk_proto::cosmos::base::abci::v1beta1::TxResponse;
use cosmos_sdk_proto::tendermint::abci::Event;
use ibc_proto::ibc::core::channel::v1::Packet;
use ibc_proto::ibc::core::client::v1::Height;

/// What a block says about packets.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BlockPackets {
    /// Packets sent from this chain.
    pub sent: Vec<Packet>,
    /// Packets received here whose acknowledgement was written, with the acknowledgement.
    pub acknowledged: Vec<(Packet, Vec<u8>)>,
}

fn attr<'a>(event: &'a Event, key: &str) -> Option<&'a str> {
    event
        .attributes
        .iter()
        .find(|a| a.key == key)
        .map(|a| a.value.as_str())
}

/// `"{revision}-{height}"` as ibc-go writes `packet_timeout_height`.
fn parse_height(text: &str) -> Option<Height> {
    let (revision, height) = text.split_once('-')?;
    Some(Height {
        revision_number: revision.parse().ok()?,
        revision_height: height.parse().ok()?,
    })
}

/// The packet an event describes; `None` (logged) for a malformed one.
fn packet(event: &Event) -> Option<Packet> {
    let parse = || -> Option<Packet> {
        let timeout_height = parse_height(attr(event, "packet_timeout_height")?)?;
        Some(Packet {
            sequence: attr(event, "packet_sequence")?.parse().ok()?,
            source_port: attr(event, "packet_src_port")?.to_string(),
            source_channel: attr(event, "packet_src_channel")?.to_string(),
            destination_port: attr(event, "packet_dst_port")?.to_string(),
            destination_channel: attr(event, "packet_dst_channel")?.to_string(),
            data: hex::decode(attr(event, "packet_data_hex")?).ok()?,
            timeout_height: (timeout_height != Height::default()).then_some(timeout_height),
            timeout_timestamp: attr(event, "packet_timeout_timestamp")?.parse().ok()?,
        })
    };
    let packet = parse();
    if packet.is_none() {
        tracing::warn!(event = event.r#type, "a malformed packet event is skipped");
    }
    packet
}

/// The packet events of a block's successful transactions, in order.
pub fn block_packets(txs: &[TxResponse]) -> BlockPackets {
    let mut found = BlockPackets::default();
    for event in txs
        .iter()
        .filter(|tx| tx.code == 0)
        .flat_map(|tx| &tx.events)
    {
        match event.r#type.as_str() {
            "send_packet" => found.sent.extend(packet(event)),
            "write_acknowledgement" => {
                let ack = attr(event, "packet_ack_hex").and_then(|h| hex::decode(h).ok());
                if let (Some(packet), Some(ack)) = (packet(event), ack) {
                    found.acknowledged.push((packet, ack));
                }
            }
            _ => {}
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmos_sdk_proto::tendermint::abci::EventAttribute;

    fn event(ty: &str, attrs: &[(&str, &str)]) -> Event {
        Event {
            r#type: ty.into(),
            attributes: attrs
                .iter()
                .map(|(k, v)| EventAttribute {
                    key: (*k).into(),
                    value: (*v).into(),
                    index: true,
                })
                .collect(),
        }
    }

    fn packet_attrs(sequence: &str) -> Vec<(&str, &str)> {
        vec![
            ("packet_sequence", sequence),
            ("packet_src_port", "wasm.feed"),
            ("packet_src_channel", "channel-0"),
            ("packet_dst_port", "wasm.consumer"),
            ("packet_dst_channel", "channel-3"),
            ("packet_data_hex", "7b7d"),
            ("packet_timeout_height", "0-0"),
            ("packet_timeout_timestamp", "1700000000000000000"),
        ]
    }

    #[test]
    fn sends_and_acks_of_successful_txs_are_found() {
        let mut ack = packet_attrs("2");
        ack.push(("packet_ack_hex", "01"));
        let ok = TxResponse {
            events: vec![
                event("send_packet", &packet_attrs("1")),
                event("write_acknowledgement", &ack),
                event("message", &[("action", "x")]),
            ],
            ..Default::default()
        };
        let failed = TxResponse {
            code: 5,
            events: vec![event("send_packet", &packet_attrs("9"))],
            ..Default::default()
        };
        let found = block_packets(&[ok, failed]);
        assert_eq!(found.sent.len(), 1);
        let sent = &found.sent[0];
        assert_eq!(sent.sequence, 1);
        assert_eq!(sent.data, b"{}");
        assert_eq!(sent.timeout_height, None);
        assert_eq!(sent.timeout_timestamp, 1_700_000_000_000_000_000);
        assert_eq!(found.acknowledged.len(), 1);
        assert_eq!(found.acknowledged[0].0.sequence, 2);
        assert_eq!(found.acknowledged[0].1, vec![1]);
    }

    #[test]
    fn malformed_events_are_skipped() {
        let mut bad_hex = packet_attrs("1");
        bad_hex[5] = ("packet_data_hex", "zz");
        let mut bad_height = packet_attrs("2");
        bad_height[6] = ("packet_timeout_height", "12");
        let mut no_sequence = packet_attrs("3");
        no_sequence.remove(0);
        let mut timeout = packet_attrs("4");
        timeout[6] = ("packet_timeout_height", "0-40");
        let tx = TxResponse {
            events: vec![
                event("send_packet", &bad_hex),
                event("send_packet", &bad_height),
                event("send_packet", &no_sequence),
                event("send_packet", &timeout),
                event("write_acknowledgement", &packet_attrs("5")),
            ],
            ..Default::default()
        };
        let found = block_packets(&[tx]);
        assert_eq!(found.sent.len(), 1);
        assert_eq!(
            found.sent[0].timeout_height,
            Some(Height {
                revision_number: 0,
                revision_height: 40
            })
        );
        assert!(
            found.acknowledged.is_empty(),
            "an ack event without its ack"
        );
    }
}
