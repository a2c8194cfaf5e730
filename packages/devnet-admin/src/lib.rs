//! `loopin.devnet.v1.Admin`, the devnet's dev-only admin service: a clock fast-forward and a
//! faucet. Served by `loopin-devnet` only when its config says `admin = true` (never on a real
//! chain), called through `loopin_chain_client::devnet`. The messages are protobuf, declared
//! here with prost's derive: this crate is the protocol's one owner.

use prost::Message;

/// The service's gRPC name.
pub const SERVICE: &str = "loopin.devnet.v1.Admin";
/// `AdvanceTime`'s gRPC path.
pub const ADVANCE_TIME: &str = "/loopin.devnet.v1.Admin/AdvanceTime";
/// `Fund`'s gRPC path.
pub const FUND: &str = "/loopin.devnet.v1.Admin/Fund";

/// `AdvanceTime`: moves the clock `seconds` forward and seals a block.
#[derive(Clone, PartialEq, Message)]
pub struct AdvanceTimeRequest {
    /// How far to move the clock, in seconds.
    #[prost(uint64, tag = "1")]
    pub seconds: u64,
}

/// The block sealed after the jump.
#[derive(Clone, PartialEq, Message)]
pub struct AdvanceTimeResponse {
    /// Its height.
    #[prost(uint64, tag = "1")]
    pub height: u64,
    /// Its time, in nanoseconds since the Unix epoch.
    #[prost(uint64, tag = "2")]
    pub time_unix_nanos: u64,
}

/// `Fund`: the faucet, minting the chain's native denom.
#[derive(Clone, PartialEq, Message)]
pub struct FundRequest {
    /// Who receives it (bech32 with the chain's prefix).
    #[prost(string, tag = "1")]
    pub address: String,
    /// How much, in the smallest unit, as a decimal string.
    #[prost(string, tag = "2")]
    pub amount: String,
}

/// `Fund`'s empty answer.
#[derive(Clone, PartialEq, Message)]
pub struct FundResponse {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wire_format_is_the_services_protobuf() {
        // Field 1, varint 90; field 2, varint 1.
        let response = AdvanceTimeResponse {
            height: 90,
            time_unix_nanos: 1,
        };
        assert_eq!(response.encode_to_vec(), vec![0x08, 90, 0x10, 1]);
        let fund = FundRequest {
            address: "a".into(),
            amount: "5".into(),
        };
        assert_eq!(fund.encode_to_vec(), vec![0x0a, 1, b'a', 0x12, 1, b'5']);
        assert_eq!(
            AdvanceTimeRequest::decode(&[0x08, 60][..]).unwrap(),
            AdvanceTimeRequest { seconds: 60 }
        );
        assert!(ADVANCE_TIME.starts_with(&format!("/{SERVICE}/")));
        assert!(FUND.starts_with(&format!("/{SERVICE}/")));
    }
}
