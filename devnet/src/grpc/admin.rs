//! loopin.devnet.v1.Admin (dev only): AdvanceTime and Fund, served only with `admin = true`.

use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};

use tonic::Status;
use tonic::codegen::{BoxFuture, http};
use tonic::server::NamedService;

use loopin_devnet_admin::{
    ADVANCE_TIME, AdvanceTimeRequest, AdvanceTimeResponse, FUND, FundRequest, FundResponse, SERVICE,
};

use crate::node::Node;

use super::status::address;
use super::unary::{HttpResponse, unary, unimplemented_http};

/// loopin.devnet.v1.Admin: AdvanceTime and Fund. Served only with `admin = true`.
#[derive(Clone)]
pub struct AdminService(pub(super) Arc<Node>);

impl NamedService for AdminService {
    const NAME: &'static str = SERVICE;
}

impl tonic::codegen::Service<http::Request<tonic::body::Body>> for AdminService {
    type Response = HttpResponse;
    type Error = Infallible;
    type Future = BoxFuture<HttpResponse, Infallible>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<tonic::body::Body>) -> Self::Future {
        let node = self.0.clone();
        match req.uri().path() {
            ADVANCE_TIME => unary(req, move |r: AdvanceTimeRequest| async move {
                node.with_chain(move |chain| chain.advance_time(r.seconds))
                    .await?;
                let header = node.produce_block().await?;
                Ok(AdvanceTimeResponse {
                    height: header.height,
                    time_unix_nanos: header.time_nanos,
                })
            }),
            FUND => unary(req, move |r: FundRequest| async move {
                let addr = address(&node, &r.address)?;
                let amount: u128 = r
                    .amount
                    .parse()
                    .map_err(|_| Status::invalid_argument("amount must be an integer"))?;
                node.with_chain(move |chain| chain.fund(&addr, amount))
                    .await?
                    .map_err(|e| Status::invalid_argument(e.log))?;
                Ok(FundResponse {})
            }),
            _ => unimplemented_http(),
        }
    }
}
