//! Starting and stopping a node: the block clock, the gRPC server and, when configured, the
//! CometBFT RPC and REST servers. [`start`] is the crate's entry point.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::chain::Chain;
use crate::config::Config;
use crate::error::StartError;
use crate::grpc;
use crate::node::Node;

/// A started devnet. [`NodeHandle::stop`] shuts it down and closes the store.
pub struct NodeHandle {
    pub grpc_addr: SocketAddr,
    /// The CometBFT RPC's address, when `rpc_addr` is configured.
    pub rpc_addr: Option<SocketAddr>,
    /// The REST API's address, when `rest_addr` is configured.
    pub rest_addr: Option<SocketAddr>,
    pub node: Arc<Node>,
    shutdown: Vec<oneshot::Sender<()>>,
    tasks: Vec<JoinHandle<()>>,
}

impl NodeHandle {
    /// `http://<addr>` of the gRPC endpoint.
    pub fn grpc_url(&self) -> String {
        format!("http://{}", self.grpc_addr)
    }

    /// `http://<addr>` of the CometBFT RPC, if served.
    pub fn rpc_url(&self) -> Option<String> {
        self.rpc_addr.map(|a| format!("http://{a}"))
    }

    /// `http://<addr>` of the REST API, if served.
    pub fn rest_url(&self) -> Option<String> {
        self.rest_addr.map(|a| format!("http://{a}"))
    }

    pub async fn stop(self) {
        for tx in self.shutdown {
            let _ = tx.send(());
        }
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

/// Opens the chain and starts the block clock, the gRPC server and the configured HTTP servers.
pub async fn start(config: Config) -> Result<NodeHandle, StartError> {
    let open_config = config.clone();
    let chain = tokio::task::spawn_blocking(move || Chain::open(open_config)).await??;
    let height = chain.header().height;
    let node = Arc::new(Node::new(chain, config.clone()));
    let listener = tokio::net::TcpListener::bind(&config.grpc_addr)
        .await
        .map_err(|source| StartError::Bind {
            what: "gRPC".to_string(),
            addr: config.grpc_addr.clone(),
            source,
        })?;
    let grpc_addr = listener.local_addr()?;
    // Bound before anything starts, so a taken port fails the start cleanly.
    let rpc_listener = match &config.rpc_addr {
        Some(addr) => Some(crate::http::bind(addr, "the CometBFT RPC").await?),
        None => None,
    };
    let rest_listener = match &config.rest_addr {
        Some(addr) => Some(crate::http::bind(addr, "the REST API").await?),
        None => None,
    };

    let (stop_blocks, blocks) = spawn_block_clock(node.clone(), config.block_time_ms);
    let (stop_grpc, server) = spawn_grpc(node.clone(), listener)?;
    let mut shutdown = vec![stop_blocks, stop_grpc];
    let mut tasks = vec![blocks, server];
    let rpc_addr = rpc_listener.map(|(listener, addr)| {
        let (stop, stopped) = oneshot::channel();
        let router = crate::rpc::router(crate::rpc::Rpc::new(node.clone(), addr));
        tasks.push(crate::http::spawn(
            listener,
            router,
            "CometBFT RPC",
            stopped,
        ));
        shutdown.push(stop);
        addr
    });
    let rest_addr = rest_listener.map(|(listener, addr)| {
        let (stop, stopped) = oneshot::channel();
        let router = crate::rest::router(node.clone());
        tasks.push(crate::http::spawn(listener, router, "REST", stopped));
        shutdown.push(stop);
        addr
    });
    tracing::info!(
        "devnet {} at height {height}, gRPC on {grpc_addr}, CometBFT RPC on {}, REST on {}",
        config.chain_id,
        rpc_addr.map_or("-".into(), |a| a.to_string()),
        rest_addr.map_or("-".into(), |a| a.to_string()),
    );
    Ok(NodeHandle {
        grpc_addr,
        rpc_addr,
        rest_addr,
        node,
        shutdown,
        tasks,
    })
}

/// Produces a block every `block_time_ms` until told to stop.
fn spawn_block_clock(node: Arc<Node>, block_time_ms: u64) -> (oneshot::Sender<()>, JoinHandle<()>) {
    let (stop_blocks, mut stopped_blocks) = oneshot::channel::<()>();
    let block_time = Duration::from_millis(block_time_ms.max(1));
    let blocks = tokio::spawn(async move {
        let mut interval = tokio::time::interval(block_time);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        interval.tick().await;
        loop {
            tokio::select! {
                _ = &mut stopped_blocks => break,
                _ = interval.tick() => {
                    if let Err(e) = node.produce_block().await {
                        tracing::error!("block production failed: {e}");
                    }
                }
            }
        }
    });
    (stop_blocks, blocks)
}

/// Serves the gRPC services on `listener` until told to stop.
fn spawn_grpc(
    node: Arc<Node>,
    listener: tokio::net::TcpListener,
) -> Result<(oneshot::Sender<()>, JoinHandle<()>), StartError> {
    let (stop_grpc, stopped_grpc) = oneshot::channel::<()>();
    let router = grpc::router(node)?;
    // TCP_NODELAY: without it, Nagle's algorithm and the client's delayed ACK hold every small
    // response back ~40 ms, which caps a client that waits for each answer at ~25 calls/s.
    let incoming = tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true));
    let server = tokio::spawn(async move {
        let shutdown = async {
            let _ = stopped_grpc.await;
        };
        if let Err(e) = router
            .serve_with_incoming_shutdown(incoming, shutdown)
            .await
        {
            tracing::error!("gRPC server failed: {e}");
        }
    });
    Ok((stop_grpc, server))
}
