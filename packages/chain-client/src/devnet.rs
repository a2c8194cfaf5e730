//! The devnet's dev-only admin service (`loopin.devnet.v1.Admin`): clock fast-forward and faucet.
//! Absent on real chains.

use prost::Message;
use tonic::transport::Channel;

use loopin_devnet_admin::{ADVANCE_TIME, AdvanceTimeRequest, FUND, FundRequest, FundResponse};

pub use loopin_devnet_admin::AdvanceTimeResponse;

use crate::Result;

async fn unary<Req, Resp>(channel: Channel, path: &'static str, req: Req) -> Result<Resp>
where
    Req: Message + Send + Sync + 'static,
    Resp: Message + Default + Send + Sync + 'static,
{
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready()
        .await
        .map_err(|e| tonic::Status::unavailable(e.to_string()))?;
    let codec = tonic::codec::ProstCodec::<Req, Resp>::default();
    let path = tonic::codegen::http::uri::PathAndQuery::from_static(path);
    Ok(grpc
        .unary(tonic::Request::new(req), path, codec)
        .await?
        .into_inner())
}

/// Moves the devnet's clock forward by `seconds` and seals a block.
pub async fn advance_time(channel: Channel, seconds: u64) -> Result<AdvanceTimeResponse> {
    unary(channel, ADVANCE_TIME, AdvanceTimeRequest { seconds }).await
}

/// Mints the fee denom to `address` (the devnet faucet).
pub async fn fund(channel: Channel, address: &str, amount: u128) -> Result<()> {
    unary::<_, FundResponse>(
        channel,
        FUND,
        FundRequest {
            address: address.to_string(),
            amount: amount.to_string(),
        },
    )
    .await
    .map(|_| ())
}
