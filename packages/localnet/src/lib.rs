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

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use loopin_chain_client::{ChainConfig, ChainQuerier};
use tokio::process::{Child, Command};

/// What can go wrong setting up or running a network.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    #[error(
        "no wasmd binary at {0} (scripts/tools.sh's ensure_wasmd builds it; LOOPIN_WASMD names another)"
    )]
    NoWasmd(PathBuf),
    #[error("{path}: {error}")]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("`wasmd {args}` failed ({status}): {stderr}")]
    Command {
        args: String,
        status: String,
        stderr: String,
    },
    #[error("{path}: {message}")]
    Format { path: PathBuf, message: String },
    #[error("validator {node} exited ({status}); its log ends: {log}")]
    Exited {
        node: usize,
        status: String,
        log: String,
    },
    #[error("no block {height} within {waited:?} (last seen {seen})")]
    NoBlocks {
        height: i64,
        seen: i64,
        waited: Duration,
    },
    #[error("{0}")]
    Spec(String),
}

pub type Result<T, E = NetError> = std::result::Result<T, E>;

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> NetError + '_ {
    move |error| NetError::Io {
        path: path.to_path_buf(),
        error,
    }
}

/// An account funded at genesis.
#[derive(Clone, Debug)]
pub struct Account {
    pub address: String,
    pub amount: u128,
}

/// A network to run.
#[derive(Clone, Debug)]
pub struct Spec {
    /// The wasmd binary; its bech32 prefix was fixed when it was built.
    pub wasmd: PathBuf,
    /// Node `i` keeps its state in `home/node{i}`.
    pub home: PathBuf,
    pub chain_id: String,
    /// The staking, fee and gas denom.
    pub denom: String,
    /// Number of validators (1 for tests, 4 for the distributed run), equal power.
    pub validators: usize,
    /// Node `i` listens on `base_port + 10 i` (RPC) and the four ports after it (P2P, gRPC, REST,
    /// ABCI).
    pub base_port: u16,
    /// CometBFT's `timeout_commit`.
    pub block_time_ms: u64,
    /// Every node's `minimum-gas-prices`, in `denom`.
    pub min_gas_price: f64,
    /// Accounts funded at genesis (validators fund their own).
    pub accounts: Vec<Account>,
}

/// A validator's listening ports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ports {
    pub rpc: u16,
    pub p2p: u16,
    pub grpc: u16,
    pub api: u16,
    pub abci: u16,
}

impl Spec {
    /// A one-validator network with fast blocks and the devnet's denom and gas price.
    pub fn single(wasmd: PathBuf, home: PathBuf, chain_id: &str, base_port: u16) -> Self {
        Self {
            wasmd,
            home,
            chain_id: chain_id.into(),
            denom: "uloop".into(),
            validators: 1,
            base_port,
            block_time_ms: 200,
            min_gas_price: 0.0025,
            accounts: Vec::new(),
        }
    }

    pub fn ports(&self, node: usize) -> Ports {
        let rpc = self.base_port + 10 * node as u16;
        Ports {
            rpc,
            p2p: rpc + 1,
            grpc: rpc + 2,
            api: rpc + 3,
            abci: rpc + 4,
        }
    }

    pub fn node_home(&self, node: usize) -> PathBuf {
        self.home.join(format!("node{node}"))
    }

    /// gRPC endpoint of node `i`.
    pub fn grpc_url(&self, node: usize) -> String {
        format!("http://127.0.0.1:{}", self.ports(node).grpc)
    }

    /// CometBFT RPC of node `i` (cosmjs, Hermes).
    pub fn rpc_url(&self, node: usize) -> String {
        format!("http://127.0.0.1:{}", self.ports(node).rpc)
    }

    /// REST (LCD) of node `i` (Keplr).
    pub fn api_url(&self, node: usize) -> String {
        format!("http://127.0.0.1:{}", self.ports(node).api)
    }

    /// A client config for node `i` paying the network's minimum gas price.
    pub fn chain_config(&self, node: usize, prefix: &str) -> ChainConfig {
        ChainConfig {
            grpc: self.grpc_url(node),
            chain_id: self.chain_id.clone(),
            prefix: prefix.into(),
            denom: self.denom.clone(),
            gas_price: self.min_gas_price,
            ..ChainConfig::default()
        }
    }

    fn check(&self) -> Result<()> {
        if !self.wasmd.is_file() {
            return Err(NetError::NoWasmd(self.wasmd.clone()));
        }
        if self.validators == 0 || self.validators > 32 {
            return Err(NetError::Spec(format!(
                "validators must be 1..=32, got {}",
                self.validators
            )));
        }
        if u32::from(self.base_port) + 10 * self.validators as u32 > u32::from(u16::MAX) {
            return Err(NetError::Spec(format!(
                "base port {} leaves no room for {} validators",
                self.base_port, self.validators
            )));
        }
        Ok(())
    }
}

/// The wasmd binary the scripts built (bech32 prefix `loopin`): `$LOOPIN_WASMD`, else the tool
/// cache's default path.
pub fn wasmd_path() -> PathBuf {
    wasmd_path_for("loopin")
}

/// The wasmd binary built with bech32 prefix `prefix` (`ensure_wasmd <prefix>`):
/// `$LOOPIN_WASMD` for `loopin`, `$LOOPIN_WASMD_<PREFIX>` for another, else the tool cache's.
pub fn wasmd_path_for(prefix: &str) -> PathBuf {
    let variable = if prefix == "loopin" {
        "LOOPIN_WASMD".to_string()
    } else {
        format!("LOOPIN_WASMD_{}", prefix.to_uppercase())
    };
    if let Some(path) = std::env::var_os(variable) {
        return path.into();
    }
    tools_cache().join(format!("wasmd-{WASMD_VERSION}-{prefix}/bin/wasmd"))
}

/// Hermes as `ensure_hermes` built it: `$LOOPIN_HERMES`, else the tool cache's.
pub fn hermes_path() -> PathBuf {
    if let Some(path) = std::env::var_os("LOOPIN_HERMES") {
        return path.into();
    }
    tools_cache().join(format!("hermes-{HERMES_VERSION}-debug/bin/hermes"))
}

/// The Hermes release the scripts install (scripts/tools.sh).
pub const HERMES_VERSION: &str = "1.10.5";

/// `$LOOPIN_TOOLS_CACHE`, else `$XDG_CACHE_HOME/loopin-tools`, else `~/.cache/loopin-tools`.
fn tools_cache() -> PathBuf {
    std::env::var_os("LOOPIN_TOOLS_CACHE")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("XDG_CACHE_HOME").map(|c| PathBuf::from(c).join("loopin-tools"))
        })
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/loopin-tools")
        })
}

/// The wasmd release the scripts build (scripts/tools.sh).
pub const WASMD_VERSION: &str = "v0.61.14";

/// Runs `wasmd args...` to completion and returns its stdout.
pub(crate) async fn wasmd(spec: &Spec, args: &[&str]) -> Result<String> {
    let output = Command::new(&spec.wasmd)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .await
        .map_err(io_err(&spec.wasmd))?;
    if !output.status.success() {
        return Err(NetError::Command {
            args: args.join(" "),
            status: output.status.to_string(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        });
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

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
