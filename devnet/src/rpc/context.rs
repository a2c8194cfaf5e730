//! What every method reads: the node, its gRPC services in process and the transaction index.

use std::net::SocketAddr;
use std::sync::Arc;

use super::index::TxIndex;
use super::jsonrpc::RpcError;
use crate::local_grpc::LocalGrpc;
use crate::node::Node;

/// What every method reads: the node, its gRPC services in process and the tx index.
pub struct Rpc {
    pub node: Arc<Node>,
    pub grpc: LocalGrpc,
    pub index: tokio::sync::Mutex<TxIndex>,
    /// Where this server listens (`node_info.other.rpc_address`).
    pub addr: SocketAddr,
}

impl Rpc {
    pub fn new(node: Arc<Node>, addr: SocketAddr) -> Arc<Self> {
        Arc::new(Self {
            grpc: LocalGrpc::new(node.clone()),
            node,
            index: tokio::sync::Mutex::new(TxIndex::default()),
            addr,
        })
    }
}

/// A chain failure as the internal error (-32603) a method answers.
pub(crate) fn chain_error(e: impl std::fmt::Display) -> RpcError {
    RpcError::internal(e.to_string())
}
