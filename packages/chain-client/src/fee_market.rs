//! The gas price of a chain with a fee market (`x/feemarket`, as Osmosis, Neutron and the Hub
//! run it: `feemarket.feemarket.v1.Query/GasPrice`), where the minimum price moves with block
//! usage and a transaction paying the configured price would be refused when blocks are full.
//! A chain without the module (wasmd, the devnet) answers `Unimplemented`; the client then pays
//! its configured price and stops asking.

use crate::{ClientError, Result};
use prost::Message;
use tonic::transport::Channel;

/// `GasPriceRequest`: the price in `denom`.
#[derive(Clone, PartialEq, Message)]
struct GasPriceRequest {
    #[prost(string, tag = "1")]
    denom: String,
}

/// The SDK's `DecCoin`: an amount with 18 decimals, written as an integer string on the wire.
#[derive(Clone, PartialEq, Message)]
struct DecCoin {
    #[prost(string, tag = "1")]
    denom: String,
    #[prost(string, tag = "2")]
    amount: String,
}

#[derive(Clone, PartialEq, Message)]
struct GasPriceResponse {
    #[prost(message, optional, tag = "1")]
    price: Option<DecCoin>,
}

const PATH: &str = "/feemarket.feemarket.v1.Query/GasPrice";

/// What the client knows of the chain's fee market.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FeeMarket {
    /// Not asked yet.
    Unknown,
    /// The chain answered that it has none: the configured price is the price.
    Absent,
    /// The chain has one: asked before every transaction.
    Present,
}

/// The fee market's current gas price in `denom`; `None` when the chain has no fee market.
pub async fn gas_price(channel: Channel, denom: &str) -> Result<Option<f64>> {
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready()
        .await
        .map_err(|e| tonic::Status::unavailable(e.to_string()))?;
    let codec = tonic::codec::ProstCodec::<GasPriceRequest, GasPriceResponse>::default();
    let path = tonic::codegen::http::uri::PathAndQuery::from_static(PATH);
    let request = GasPriceRequest {
        denom: denom.to_string(),
    };
    match grpc.unary(tonic::Request::new(request), path, codec).await {
        Ok(answer) => {
            let price = answer.into_inner().price.ok_or_else(|| {
                ClientError::Config(format!("the fee market gave no gas price in {denom}"))
            })?;
            if price.denom != denom {
                return Err(ClientError::Config(format!(
                    "asked the fee market's gas price in {denom}, got one in {}",
                    price.denom
                )));
            }
            parse_dec(&price.amount).map(Some).ok_or_else(|| {
                ClientError::Config(format!(
                    "the fee market's gas price {:?} is not a decimal",
                    price.amount
                ))
            })
        }
        Err(status) if status.code() == tonic::Code::Unimplemented => Ok(None),
        Err(status) => Err(status.into()),
    }
}

/// The most a fee market may ask over the configured price before the client refuses to pay:
/// the price comes from the node, and a dishonest or compromised endpoint must not be able to
/// drain the signer's fee tokens through it.
pub const MAX_MARKET_MULTIPLE: f64 = 10.0;

/// The price a transaction pays: the configured one, or the market's where it is higher (a fee
/// below the market's is refused; the configured one is the operator's floor), never more than
/// [`MAX_MARKET_MULTIPLE`] times the configured one: above it, an error and nothing signed.
pub(crate) fn price_to_pay(configured: f64, market: Option<f64>) -> Result<f64> {
    let Some(market) = market else {
        return Ok(configured);
    };
    if market > configured * MAX_MARKET_MULTIPLE {
        return Err(ClientError::Config(format!(
            "the fee market asks {market} per gas, more than {MAX_MARKET_MULTIPLE}x the configured \
             gas price {configured}: raise gas_price to pay it"
        )));
    }
    Ok(market.max(configured))
}

/// An SDK `LegacyDec` as gRPC carries it (the integer of 10^-18 units, `"2500000000000000"` for
/// 0.0025), or written with a point (`"0.0025"`) as its JSON and some nodes do. Not negative.
pub(crate) fn parse_dec(amount: &str) -> Option<f64> {
    if amount.is_empty() || !amount.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    if amount.contains('.') {
        return amount.parse().ok();
    }
    let units: u128 = amount.parse().ok()?;
    Some(units as f64 / 1e18)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_higher_of_the_configured_and_the_market_price_is_paid() {
        assert_eq!(price_to_pay(0.0025, None).unwrap(), 0.0025, "no fee market");
        assert_eq!(
            price_to_pay(0.0025, Some(0.01)).unwrap(),
            0.01,
            "full blocks"
        );
        assert_eq!(
            price_to_pay(0.0025, Some(0.001)).unwrap(),
            0.0025,
            "the floor"
        );
    }

    #[test]
    fn a_node_asking_more_than_ten_times_the_configured_price_is_refused() {
        assert_eq!(
            price_to_pay(0.0025, Some(0.025)).unwrap(),
            0.025,
            "10x is paid"
        );
        let err = price_to_pay(0.0025, Some(0.0251)).unwrap_err().to_string();
        assert!(err.contains("raise gas_price"), "{err}");
        assert!(price_to_pay(0.0025, Some(1e9)).is_err(), "a drain attempt");
    }

    #[test]
    fn a_dec_is_read_as_the_wire_and_json_write_it() {
        assert_eq!(parse_dec("2500000000000000"), Some(0.0025));
        assert_eq!(parse_dec("0.0025"), Some(0.0025));
        assert_eq!(parse_dec("1000000000000000000"), Some(1.0));
        for bad in ["", "-1", "1e3", "0x10", "abc"] {
            assert_eq!(parse_dec(bad), None, "{bad}");
        }
    }
}
