//! ICS-24 paths (what a proof names) and the commitments stored under them.

use ibc_proto::ibc::core::channel::v1::Packet;
use sha2::{Digest, Sha256};

pub fn client_state(client_id: &str) -> String {
    format!("clients/{client_id}/clientState")
}

pub fn connection(connection_id: &str) -> String {
    format!("connections/{connection_id}")
}

pub fn channel(port: &str, channel: &str) -> String {
    format!("channelEnds/ports/{port}/channels/{channel}")
}

pub fn commitment(port: &str, channel: &str, sequence: u64) -> String {
    format!("commitments/ports/{port}/channels/{channel}/sequences/{sequence}")
}

pub fn receipt(port: &str, channel: &str, sequence: u64) -> String {
    format!("receipts/ports/{port}/channels/{channel}/sequences/{sequence}")
}

pub fn ack(port: &str, channel: &str, sequence: u64) -> String {
    format!("acks/ports/{port}/channels/{channel}/sequences/{sequence}")
}

/// The value of a receipt: a received packet's receipt is one byte, 1.
pub const RECEIPT: &[u8] = &[1];

/// ibc-go's packet commitment: sha256(timeout timestamp || timeout revision number || timeout
/// revision height || sha256(data)), the integers 8 bytes big-endian.
pub fn packet_commitment(packet: &Packet) -> Vec<u8> {
    let height = packet.timeout_height.unwrap_or_default();
    let mut hasher = Sha256::new();
    hasher.update(packet.timeout_timestamp.to_be_bytes());
    hasher.update(height.revision_number.to_be_bytes());
    hasher.update(height.revision_height.to_be_bytes());
    hasher.update(Sha256::digest(&packet.data));
    hasher.finalize().to_vec()
}

/// The commitment of an acknowledgement: sha256 of its bytes.
pub fn ack_commitment(ack: &[u8]) -> Vec<u8> {
    Sha256::digest(ack).to_vec()
}

/// Whether `id` is a valid ICS-24 identifier (port, channel, connection, client): 2 to 128 of
/// `a-z A-Z 0-9 . _ + - # [ ] < >`. In particular it holds no `/`, so the store's keys and the
/// paths above cannot be confused.
pub fn valid_identifier(id: &str) -> bool {
    (2..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".-_+#[]<>".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ibc_proto::ibc::core::client::v1::Height;

    #[test]
    fn commitment_hashes_the_timeout_and_the_data_hash() {
        let packet = Packet {
            sequence: 1,
            data: b"hello".to_vec(),
            timeout_height: Some(Height {
                revision_number: 0,
                revision_height: 7,
            }),
            timeout_timestamp: 9,
            ..Packet::default()
        };
        let mut preimage = Vec::new();
        preimage.extend_from_slice(&9u64.to_be_bytes());
        preimage.extend_from_slice(&0u64.to_be_bytes());
        preimage.extend_from_slice(&7u64.to_be_bytes());
        preimage.extend_from_slice(&Sha256::digest(b"hello"));
        assert_eq!(
            packet_commitment(&packet),
            Sha256::digest(&preimage).to_vec()
        );
        assert_eq!(
            commitment("transfer", "channel-0", 3),
            "commitments/ports/transfer/channels/channel-0/sequences/3"
        );
    }

    #[test]
    fn identifiers() {
        assert!(valid_identifier("channel-0"));
        assert!(valid_identifier("wasm.loopin1abc"));
        assert!(!valid_identifier("a/b"));
        assert!(!valid_identifier("x"));
        assert!(!valid_identifier(""));
    }
}
