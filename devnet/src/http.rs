//! What the CometBFT RPC and the REST API share: an HTTP/1 server (axum, the one tonic brings)
//! with CORS open to every origin, since browsers call both from the web app's own origin.

use std::net::SocketAddr;

use axum::Router;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::serve::ListenerExt;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tower_http::cors::{AllowHeaders, AllowOrigin, CorsLayer};

use crate::error::StartError;

/// The largest request body either server reads (a gzipped wasm upload of 800 KiB is ~1.1 MB
/// in base64 inside JSON; CometBFT's own default is 1 MB).
pub const MAX_BODY: usize = 8 * 1024 * 1024;

/// `Access-Control-Allow-Origin: *` on every answer, and preflights for any method the servers
/// serve with any request headers (`content-type: application/json`, `x-cosmos-block-height`).
pub fn cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::any())
        .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
        .allow_headers(AllowHeaders::mirror_request())
        .max_age(std::time::Duration::from_secs(600))
}

/// Binds `addr` (`what` names the server in the error).
pub async fn bind(addr: &str, what: &str) -> Result<(TcpListener, SocketAddr), StartError> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| StartError::Bind {
            what: what.to_string(),
            addr: addr.to_string(),
            source,
        })?;
    let local = listener.local_addr()?;
    Ok((listener, local))
}

/// Serves `router` (with CORS) until `stop` fires; in-flight requests finish first.
pub fn spawn(
    listener: TcpListener,
    router: Router,
    what: &'static str,
    stop: oneshot::Receiver<()>,
) -> JoinHandle<()> {
    // TCP_NODELAY, as on the gRPC server: small answers are not held back by Nagle's algorithm.
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    let app = router.layer(cors());
    tokio::spawn(async move {
        let shutdown = async {
            let _ = stop.await;
        };
        if let Err(e) = axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await
        {
            tracing::error!("{what} server failed: {e}");
        }
    })
}

/// A JSON answer with `status`.
pub fn json(status: StatusCode, value: &serde_json::Value) -> Response {
    let body = serde_json::to_string(value).unwrap_or_else(|_| "null".into());
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response()
}
