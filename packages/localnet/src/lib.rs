//! `loopin-localnet`: a local network of real wasmd validators on loopback, for the tests and the
//! main job (docs/real-chains.md).
//!
//! - [`Spec`] says what to run: the wasmd binary (`scripts/tools.sh`'s `ensure_wasmd` builds it
//!   from its Go module), a home directory, the chain id, denom, number of validators, ports and
//!   block time, and the accounts funded at genesis;
//! - [`init`] writes the genesis (wasmd's own `init`, `keys add`, `genesis gentx` and
//!   `collect-gentxs`, as its local scripts do) and each node's configs, once per home;
//! - [`Network::start`] starts every validator as a child process and waits for blocks; a node can
//!   be killed and restarted while the others go on, and a restart of the whole network resumes
//!   its state;
//! - [`Outage`] kills one validator at a planned time, restarts it, and records what the others
//!   did meanwhile and when it caught up (the main job's 4-validator run).

mod config;
mod genesis;
mod outage;

pub use outage::{Outage, OutageRecord};
mod error;
mod spec;
mod tools;

pub use error::{NetError, Result};
pub use spec::{Account, Ports, Spec};
pub use tools::{hermes_path, wasmd_path, wasmd_path_for};

use error::io_err;

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use loopin_chain_client::ChainQuerier;
use tokio::process::{Child, Command};

/// Written once the genesis and every node's configs are in place.
const READY_MARK: &str = "localnet.json";

/// Written before anything else: the home is a network's, even half-written.
const STARTED_MARK: &str = "localnet.init";

/// Writes the network's genesis and configs under `spec.home`, unless an earlier run did (then
/// the network resumes its state). Returns whether it wrote them.
pub async fn init(spec: &Spec) -> Result<bool> {
    spec.check()?;
    let mark = spec.home.join(READY_MARK);
    if mark.exists() {
        return Ok(false);
    }
    // A half-written home of an earlier init (it left STARTED_MARK) is started again; any other
    // non-empty directory is not ours to delete.
    let started = spec.home.join(STARTED_MARK);
    if spec.home.exists() {
        let empty = std::fs::read_dir(&spec.home)
            .map_err(io_err(&spec.home))?
            .next()
            .is_none();
        if !empty && !started.exists() {
            return Err(NetError::Spec(format!(
                "{} is not empty and holds no network: choose another home",
                spec.home.display()
            )));
        }
        std::fs::remove_dir_all(&spec.home).map_err(io_err(&spec.home))?;
    }
    std::fs::create_dir_all(&spec.home).map_err(io_err(&spec.home))?;
    std::fs::write(&started, b"").map_err(io_err(&started))?;
    genesis::write(spec).await?;
    let peers = config::peers(spec).await?;
    for node in 0..spec.validators {
        config::write(spec, node, &peers)?;
    }
    let summary = serde_json::json!({
        "chain_id": spec.chain_id,
        "validators": spec.validators,
        "base_port": spec.base_port,
        "wasmd": spec.wasmd,
    });
    std::fs::write(&mark, summary.to_string()).map_err(io_err(&mark))?;
    Ok(true)
}

/// A running network: one child process per validator.
pub struct Network {
    pub spec: Spec,
    nodes: Vec<Option<Child>>,
}

impl Network {
    /// Initialises `spec.home` if needed, starts every validator and waits for the first block.
    pub async fn start(spec: Spec) -> Result<Self> {
        init(&spec).await?;
        let mut network = Self {
            nodes: (0..spec.validators).map(|_| None).collect(),
            spec,
        };
        for node in 0..network.spec.validators {
            network.start_node(node)?;
        }
        let (height, _) = network.height(Duration::from_secs(90)).await?;
        network
            .wait_height(height + 1, Duration::from_secs(60))
            .await?;
        Ok(network)
    }

    /// Starts validator `node` (a no-op while it runs); its output goes to `node{i}/node.log`.
    pub fn start_node(&mut self, node: usize) -> Result<()> {
        if self.nodes[node].is_some() {
            return Ok(());
        }
        let home = self.spec.node_home(node);
        let log_path = home.join("node.log");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .map_err(io_err(&log_path))?;
        let err = log.try_clone().map_err(io_err(&log_path))?;
        let child = Command::new(&self.spec.wasmd)
            .arg("start")
            .arg("--home")
            .arg(&home)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(err)
            .kill_on_drop(true)
            .spawn()
            .map_err(io_err(&self.spec.wasmd))?;
        self.nodes[node] = Some(child);
        Ok(())
    }

    /// Kills validator `node` at once (SIGKILL, as a crash would) and waits for it to exit.
    pub async fn kill_node(&mut self, node: usize) {
        if let Some(mut child) = self.nodes[node].take() {
            let _ = child.kill().await;
        }
    }

    /// Whether validator `node` runs.
    pub fn is_running(&self, node: usize) -> bool {
        self.nodes[node].is_some()
    }

    /// Stops every validator (SIGTERM, then SIGKILL after 10 s); the state stays for a restart.
    pub async fn stop(mut self) {
        for child in self.nodes.iter_mut().flatten() {
            if let Some(pid) = child.id() {
                let _ = Command::new("kill")
                    .arg("-TERM")
                    .arg(pid.to_string())
                    .status()
                    .await;
            }
        }
        for slot in &mut self.nodes {
            if let Some(mut child) = slot.take()
                && tokio::time::timeout(Duration::from_secs(10), child.wait())
                    .await
                    .is_err()
            {
                let _ = child.kill().await;
            }
        }
    }

    /// The first running node's latest (height, Unix time), waiting up to `within` for one to
    /// serve; fails at once with its log when a node has exited.
    pub async fn height(&mut self, within: Duration) -> Result<(i64, i64)> {
        let start = Instant::now();
        loop {
            self.check_alive()?;
            for node in 0..self.spec.validators {
                if self.nodes[node].is_none() {
                    continue;
                }
                let config = self.spec.chain_config(node, "loopin");
                if let Ok(querier) = ChainQuerier::connect(config).await
                    && let Ok(block) = querier.latest_block().await
                    && block.0 > 0
                {
                    return Ok(block);
                }
            }
            if start.elapsed() > within {
                return Err(NetError::NoBlocks {
                    height: 1,
                    seen: 0,
                    waited: start.elapsed(),
                });
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Waits until the network reaches `height`.
    pub async fn wait_height(&mut self, height: i64, within: Duration) -> Result<i64> {
        let start = Instant::now();
        let mut seen = 0;
        loop {
            if let Ok((h, _)) = self.height(Duration::from_secs(5)).await {
                seen = h;
                if h >= height {
                    return Ok(h);
                }
            }
            if start.elapsed() > within {
                return Err(NetError::NoBlocks {
                    height,
                    seen,
                    waited: start.elapsed(),
                });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn check_alive(&mut self) -> Result<()> {
        for node in 0..self.nodes.len() {
            if let Some(child) = &mut self.nodes[node]
                && let Ok(Some(status)) = child.try_wait()
            {
                self.nodes[node] = None;
                return Err(NetError::Exited {
                    node,
                    status: status.to_string(),
                    log: log_tail(&self.spec.node_home(node).join("node.log")),
                });
            }
        }
        Ok(())
    }
}

/// The last lines of a log, for an error message.
fn log_tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(15)..].join("\n")
}
