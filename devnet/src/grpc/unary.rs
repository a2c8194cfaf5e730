//! Hand-served unary services (cosmos-sdk-proto generates no server for wasm.v1.Query, and
//! the admin service is the devnet's own): one call decoded with prost and answered once.

use std::convert::Infallible;
use std::future::Future;
use std::marker::PhantomData;

use prost::Message;
use tonic::codegen::{BoxFuture, http};
use tonic::server::UnaryService;
use tonic::{Request, Response, Status};

/// One unary call: decodes the request with prost and runs `F` once.
pub(super) struct Once<F, Req>(Option<F>, PhantomData<fn(Req)>);

impl<F, Fut, Req, Resp> UnaryService<Req> for Once<F, Req>
where
    F: FnOnce(Req) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Resp, Status>> + Send + 'static,
    Req: Send + 'static,
    Resp: Send + 'static,
{
    type Response = Resp;
    type Future = BoxFuture<Response<Resp>, Status>;
    fn call(&mut self, request: Request<Req>) -> Self::Future {
        let f = self.0.take();
        Box::pin(async move {
            match f {
                Some(f) => f(request.into_inner()).await.map(Response::new),
                None => Err(Status::internal("unary handler reused")),
            }
        })
    }
}

pub(super) type HttpResponse = http::Response<tonic::body::Body>;

pub(super) fn unary<F, Fut, Req, Resp>(
    req: http::Request<tonic::body::Body>,
    f: F,
) -> BoxFuture<HttpResponse, Infallible>
where
    F: FnOnce(Req) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Resp, Status>> + Send + 'static,
    Req: Message + Default + Send + 'static,
    Resp: Message + Send + 'static,
{
    Box::pin(async move {
        let mut grpc = tonic::server::Grpc::new(tonic::codec::ProstCodec::<Resp, Req>::default());
        Ok(grpc.unary(Once(Some(f), PhantomData), req).await)
    })
}

pub(super) fn unimplemented_http() -> BoxFuture<HttpResponse, Infallible> {
    Box::pin(async move {
        let mut response = http::Response::new(tonic::body::Body::default());
        let headers = response.headers_mut();
        headers.insert(
            Status::GRPC_STATUS,
            (tonic::Code::Unimplemented as i32).into(),
        );
        headers.insert(
            http::header::CONTENT_TYPE,
            tonic::metadata::GRPC_CONTENT_TYPE,
        );
        Ok(response)
    })
}
