//! What every service of this folder shares: the answer type, an address argument checked, and
//! the answer for a method the devnet does not serve.

use tonic::{Response, Status};

use crate::address::bech32_decode;
use crate::node::Node;

/// A unary method's answer.
pub(super) type Rpc<T> = Result<Response<T>, Status>;

/// `addr`'s bytes, which must be bech32 with the chain's prefix (`INVALID_ARGUMENT` otherwise).
pub(super) fn address(node: &Node, addr: &str) -> Result<Vec<u8>, Status> {
    bech32_decode(&node.config.prefix, addr)
        .map_err(|e| Status::invalid_argument(format!("invalid address: {e}")))
}

/// `UNIMPLEMENTED`, naming what is not served.
pub(super) fn unimplemented<T>(what: &str) -> Rpc<T> {
    Err(Status::unimplemented(format!(
        "{what} is not served by the devnet"
    )))
}
