//! Unary gRPC calls in process: the CometBFT RPC's `abci_query` and the REST API run the very
//! services the gRPC server serves ([`crate::grpc::routes`]), through tonic's client over the
//! routes themselves (no socket), so one implementation answers all three.
//!
//! The Cosmos SDK does the same: an ABCI query's path is the gRPC method's full name and its
//! data the protobuf request, routed to the app's gRPC query router.

// tonic answers `Result<_, Status>`; so do these helpers.
#![allow(clippy::result_large_err)]

use std::sync::Arc;

use prost::Message;
use prost::bytes::{Buf, BufMut};
use tonic::Status;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::codegen::http::uri::PathAndQuery;
use tonic::service::Routes;

use crate::node::Node;

/// The largest request or response one call carries (a simulated wasm upload fits).
const MAX_MESSAGE: usize = 16 * 1024 * 1024;

/// The gRPC services of one node, callable in process.
#[derive(Clone)]
pub struct LocalGrpc {
    routes: Routes,
}

impl LocalGrpc {
    pub fn new(node: Arc<Node>) -> Self {
        Self {
            routes: crate::grpc::routes(node).prepare(),
        }
    }

    /// Calls the unary method at `path` (`/package.Service/Method`) with an encoded request and
    /// returns the encoded response. A path no service serves is `UNIMPLEMENTED` with an empty
    /// message, as tonic's router answers it.
    pub async fn call(&self, path: &str, request: Vec<u8>) -> Result<Vec<u8>, Status> {
        let path = PathAndQuery::try_from(path)
            .map_err(|e| Status::invalid_argument(format!("invalid method path {path:?}: {e}")))?;
        let mut grpc = tonic::client::Grpc::new(self.routes.clone())
            .max_decoding_message_size(MAX_MESSAGE)
            .max_encoding_message_size(MAX_MESSAGE);
        grpc.ready()
            .await
            .map_err(|e| Status::unavailable(format!("service not ready: {e}")))?;
        grpc.unary(tonic::Request::new(request), path, RawCodec)
            .await
            .map(tonic::Response::into_inner)
    }

    /// [`LocalGrpc::call`] with prost messages.
    pub async fn unary<Req: Message, Resp: Message + Default>(
        &self,
        path: &str,
        request: &Req,
    ) -> Result<Resp, Status> {
        let bytes = self.call(path, request.encode_to_vec()).await?;
        Resp::decode(bytes.as_slice())
            .map_err(|e| Status::internal(format!("decoding the response of {path}: {e}")))
    }
}

/// Passes the messages' bytes through: requests arrive encoded, responses leave encoded.
#[derive(Clone, Copy, Default)]
struct RawCodec;

impl Codec for RawCodec {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = RawCodec;
    type Decoder = RawCodec;

    fn encoder(&mut self) -> Self::Encoder {
        RawCodec
    }

    fn decoder(&mut self) -> Self::Decoder {
        RawCodec
    }
}

impl Encoder for RawCodec {
    type Item = Vec<u8>;
    type Error = Status;

    fn encode(&mut self, item: Vec<u8>, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put_slice(&item);
        Ok(())
    }
}

impl Decoder for RawCodec {
    type Item = Vec<u8>;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Vec<u8>>, Status> {
        let mut out = vec![0; src.remaining()];
        src.copy_to_slice(&mut out);
        Ok(Some(out))
    }
}
