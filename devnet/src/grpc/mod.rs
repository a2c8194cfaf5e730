//! The Cosmos gRPC subset, on the standard protos: tx, auth, bank, tendermint (the
//! cosmos-sdk-proto server traits) and cosmwasm.wasm.v1 Query plus the dev-only admin service
//! (served by hand over the prost types: cosmos-sdk-proto generates wasm clients only).
//! Each service is its own type; the CometBFT RPC (`crate::rpc`) and the REST API (`crate::rest`)
//! call the same services in process through [`routes`].
//!
//! | file | service |
//! | --- | --- |
//! | `tx.rs` | cosmos.tx.v1beta1.Service |
//! | `auth.rs` | cosmos.auth.v1beta1.Query |
//! | `bank.rs` | cosmos.bank.v1beta1.Query |
//! | `tendermint.rs` | cosmos.base.tendermint.v1beta1.Service |
//! | `wasm.rs` | cosmwasm.wasm.v1.Query (hand-served, `unary.rs`) |
//! | `ibc_query.rs` | ibc.core.{channel,connection,client}.v1.Query |
//! | `admin.rs` | loopin.devnet.v1.Admin (dev only, hand-served) |

// tonic's service traits return `Result<_, Status>`; the helpers follow them.
#![allow(clippy::result_large_err)]

use std::sync::Arc;

use cosmos_sdk_proto::cosmos::auth::v1beta1 as authpb;
use cosmos_sdk_proto::cosmos::bank::v1beta1 as bankpb;
use cosmos_sdk_proto::cosmos::base::tendermint::v1beta1 as tmpb;
use cosmos_sdk_proto::cosmos::tx::v1beta1 as txpb;
use tonic::service::Routes;
use tonic::transport::server::Router;

use ibc_proto::ibc::core::channel::v1 as chanpb;
use ibc_proto::ibc::core::client::v1 as clientpb;
use ibc_proto::ibc::core::connection::v1 as connpb;

use crate::error::StartError;
use crate::node::Node;

mod admin;
mod auth;
mod bank;
mod ibc_query;
mod status;
mod tendermint;
mod tx;
mod unary;
mod wasm;

pub use admin::AdminService;
pub use auth::AuthService;
pub use bank::BankService;
pub use ibc_query::{ChannelQuery, ClientQuery, ConnectionQuery};
pub use tendermint::TendermintService;
pub use tx::TxService;
pub use wasm::WasmQueryService;

/// Every service, routed by gRPC path: what [`router`] serves over the network and what the
/// CometBFT RPC's `abci_query` and the REST API call in process (`crate::local_grpc`).
pub fn routes(node: Arc<Node>) -> Routes {
    let mut routes = Routes::default()
        .add_service(txpb::service_server::ServiceServer::new(TxService(
            node.clone(),
        )))
        .add_service(authpb::query_server::QueryServer::new(AuthService(
            node.clone(),
        )))
        .add_service(bankpb::query_server::QueryServer::new(BankService(
            node.clone(),
        )))
        .add_service(tmpb::service_server::ServiceServer::new(TendermintService(
            node.clone(),
        )))
        .add_service(WasmQueryService(node.clone()))
        .add_service(chanpb::query_server::QueryServer::new(ChannelQuery(
            node.clone(),
        )))
        .add_service(connpb::query_server::QueryServer::new(ConnectionQuery(
            node.clone(),
        )))
        .add_service(clientpb::query_server::QueryServer::new(ClientQuery(
            node.clone(),
        )));
    if node.config.admin {
        routes = routes.add_service(AdminService(node));
    }
    routes
}

/// Every service on one router, over TLS when the config names a certificate and key.
pub fn router(node: Arc<Node>) -> Result<Router, StartError> {
    let mut server = tonic::transport::Server::builder();
    match (&node.config.tls_cert, &node.config.tls_key) {
        (Some(cert), Some(key)) => {
            let read = |p: &std::path::PathBuf| {
                std::fs::read(p).map_err(|error| StartError::TlsFile {
                    path: p.clone(),
                    error,
                })
            };
            let identity = tonic::transport::Identity::from_pem(read(cert)?, read(key)?);
            server =
                server.tls_config(tonic::transport::ServerTlsConfig::new().identity(identity))?;
        }
        (None, None) => {}
        _ => return Err(StartError::TlsHalf),
    }
    Ok(server.add_routes(routes(node)))
}
