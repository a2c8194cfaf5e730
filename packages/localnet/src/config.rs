//! Each node's `config.toml`, `app.toml` and `client.toml`: loopback ports of its own, fast
//! blocks, the kv tx indexer, gRPC and REST on, CORS open for a browser, the minimum gas price,
//! and every other validator as a persistent peer.

use std::path::Path;

use toml::{Table, Value};

use crate::error::{NetError, Result, io_err};
use crate::spec::Spec;
use crate::tools::wasmd;

/// `id@host:port` of every validator, for `persistent_peers`.
pub(crate) async fn peers(spec: &Spec) -> Result<Vec<String>> {
    let mut peers = Vec::new();
    for node in 0..spec.validators {
        let id = wasmd(
            spec,
            &[
                "comet",
                "show-node-id",
                "--home",
                &spec.node_home(node).to_string_lossy(),
            ],
        )
        .await?;
        peers.push(format!("{}@127.0.0.1:{}", id.trim(), spec.ports(node).p2p));
    }
    Ok(peers)
}

pub(crate) fn write(spec: &Spec, node: usize, peers: &[String]) -> Result<()> {
    let home = spec.node_home(node);
    let ports = spec.ports(node);
    let others: Vec<&str> = peers
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != node)
        .map(|(_, p)| p.as_str())
        .collect();

    edit(&home.join("config/config.toml"), |c| {
        c.insert("proxy_app".into(), tcp(ports.abci));
        set(c, "rpc", "laddr", tcp(ports.rpc));
        set(
            c,
            "rpc",
            "cors_allowed_origins",
            Value::Array(vec!["*".into()]),
        );
        set(c, "rpc", "pprof_laddr", "".into());
        set(c, "p2p", "laddr", tcp(ports.p2p));
        set(c, "p2p", "persistent_peers", others.join(",").into());
        set(c, "p2p", "addr_book_strict", false.into());
        set(c, "p2p", "allow_duplicate_ip", true.into());
        set(c, "p2p", "pex", false.into());
        let commit = format!("{}ms", spec.block_time_ms);
        set(c, "consensus", "timeout_commit", commit.into());
        set(c, "consensus", "timeout_propose", "1s".into());
        set(c, "tx_index", "indexer", "kv".into());
        set(c, "instrumentation", "prometheus", false.into());
    })?;
    edit(&home.join("config/app.toml"), |c| {
        let price = format!("{}{}", spec.min_gas_price, spec.denom);
        c.insert("minimum-gas-prices".into(), price.into());
        set(c, "api", "enable", true.into());
        set(c, "api", "address", tcp(ports.api));
        set(c, "api", "enabled-unsafe-cors", true.into());
        set(c, "grpc", "enable", true.into());
        set(
            c,
            "grpc",
            "address",
            format!("127.0.0.1:{}", ports.grpc).into(),
        );
        set(c, "telemetry", "enabled", false.into());
    })?;
    edit(&home.join("config/client.toml"), |c| {
        c.insert("chain-id".into(), spec.chain_id.clone().into());
        c.insert("keyring-backend".into(), "test".into());
        c.insert("node".into(), tcp(ports.rpc));
    })
}

fn tcp(port: u16) -> Value {
    format!("tcp://127.0.0.1:{port}").into()
}

fn set(config: &mut Table, section: &str, key: &str, value: Value) {
    let table = config
        .entry(section)
        .or_insert_with(|| Value::Table(Table::new()));
    if let Value::Table(table) = table {
        table.insert(key.into(), value);
    }
}

fn edit(path: &Path, change: impl FnOnce(&mut Table)) -> Result<()> {
    let text = std::fs::read_to_string(path).map_err(io_err(path))?;
    let mut config: Table = text
        .parse()
        .map_err(|e: toml::de::Error| NetError::Format {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
    change(&mut config);
    let text = toml::to_string(&config).map_err(|e| NetError::Format {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    std::fs::write(path, text).map_err(io_err(path))
}
