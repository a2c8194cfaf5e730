//! Which chain to reach and how to pay for gas: [`ChainConfig`], the command-line flags that
//! fill it ([`ChainArgs`], feature `cli`), and the gRPC [`endpoint`] it names.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint};

use crate::{ClientError, Result};

/// How long a connection to a node may take to open.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Which chain to talk to and how to pay for gas.
#[derive(Serialize, Deserialize, Clone, Debug)]
#[serde(default, deny_unknown_fields)]
pub struct ChainConfig {
    /// gRPC endpoint, e.g. `http://127.0.0.1:9090`; `https://` connects over TLS, checked
    /// against Mozilla's roots (and `ca_file` where set).
    pub grpc: String,
    /// A PEM file of extra certificate authorities for an `https://` endpoint (a private node's
    /// own CA).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<std::path::PathBuf>,
    pub chain_id: String,
    /// Bech32 account prefix.
    pub prefix: String,
    /// Fee denom.
    pub denom: String,
    /// Fee per unit of gas, in `denom`.
    pub gas_price: f64,
    /// Simulated gas is multiplied by this.
    pub gas_adjustment: f64,
    /// How long to wait for a transaction to be included.
    pub confirm_timeout_ms: u64,
    /// How often to poll `GetTx` while waiting.
    pub poll_interval_ms: u64,
}

impl Default for ChainConfig {
    fn default() -> Self {
        Self {
            grpc: "http://127.0.0.1:9090".into(),
            ca_file: None,
            chain_id: "loopin-devnet-1".into(),
            prefix: "loopin".into(),
            denom: "uloop".into(),
            gas_price: 0.0025,
            gas_adjustment: 1.3,
            confirm_timeout_ms: 30_000,
            poll_interval_ms: 100,
        }
    }
}

/// The flags (and environment variables) with which a command reaches any Cosmos chain: the
/// endpoint, chain id, address prefix, fee denom and gas price, none of them fixed to the devnet.
#[cfg(feature = "cli")]
#[derive(clap::Args, Clone, Debug)]
pub struct ChainArgs {
    /// The chain's gRPC endpoint (`https://` for TLS).
    #[arg(
        long,
        env = "LOOPIN_GRPC",
        default_value = "http://127.0.0.1:9090",
        global = true
    )]
    pub grpc: String,
    /// The chain's id (checked against the node's).
    #[arg(
        long,
        env = "LOOPIN_CHAIN_ID",
        default_value = "loopin-devnet-1",
        global = true
    )]
    pub chain_id: String,
    /// Bech32 account prefix.
    #[arg(long, env = "LOOPIN_PREFIX", default_value = "loopin", global = true)]
    pub prefix: String,
    /// Fee denom.
    #[arg(long, env = "LOOPIN_DENOM", default_value = "uloop", global = true)]
    pub denom: String,
    /// Fee per unit of gas, in the fee denom (at least the node's minimum gas price).
    #[arg(
        long,
        env = "LOOPIN_GAS_PRICE",
        default_value_t = 0.0025,
        global = true
    )]
    pub gas_price: f64,
    /// Simulated gas is multiplied by this.
    #[arg(
        long,
        env = "LOOPIN_GAS_ADJUSTMENT",
        default_value_t = 1.3,
        global = true
    )]
    pub gas_adjustment: f64,
    /// Extra certificate authorities (PEM) for an `https://` endpoint.
    #[arg(long, env = "LOOPIN_CA_FILE", global = true)]
    pub ca_file: Option<std::path::PathBuf>,
}

#[cfg(feature = "cli")]
impl ChainArgs {
    pub fn config(&self) -> ChainConfig {
        ChainConfig {
            grpc: self.grpc.clone(),
            ca_file: self.ca_file.clone(),
            chain_id: self.chain_id.clone(),
            prefix: self.prefix.clone(),
            denom: self.denom.clone(),
            gas_price: self.gas_price,
            gas_adjustment: self.gas_adjustment,
            ..ChainConfig::default()
        }
    }
}

/// The gRPC endpoint of `config`: TLS for `https://` (webpki roots plus `ca_file`).
pub fn endpoint(config: &ChainConfig) -> Result<Endpoint> {
    // A node that does not answer the TCP handshake (down, firewalled) fails the connection in
    // seconds instead of the kernel's two minutes of SYN retries. No HTTP/2 keepalive: Go gRPC
    // servers (wasmd) close connections that ping more often than every five minutes.
    let endpoint = Channel::from_shared(config.grpc.clone())
        .map_err(|e| ClientError::Config(format!("endpoint {}: {e}", config.grpc)))?
        .connect_timeout(CONNECT_TIMEOUT);
    if !config.grpc.starts_with("https://") {
        if config.ca_file.is_some() {
            return Err(ClientError::Config(format!(
                "ca_file is set but {} is not an https:// endpoint",
                config.grpc
            )));
        }
        return Ok(endpoint);
    }
    let mut tls = ClientTlsConfig::new().with_webpki_roots();
    if let Some(path) = &config.ca_file {
        let pem = std::fs::read(path)
            .map_err(|e| ClientError::Config(format!("ca_file {}: {e}", path.display())))?;
        tls = tls.ca_certificate(Certificate::from_pem(pem));
    }
    Ok(endpoint.tls_config(tls)?)
}

#[cfg(all(test, feature = "cli"))]
mod tests {
    #[test]
    fn every_chain_setting_comes_from_flags_none_is_fixed_to_the_devnet() {
        use clap::Parser;
        #[derive(Parser)]
        struct Cli {
            #[command(flatten)]
            chain: super::ChainArgs,
        }
        let cli = Cli::parse_from([
            "x",
            "--grpc",
            "https://grpc.example.org:443",
            "--chain-id",
            "osmo-test-5",
            "--prefix",
            "osmo",
            "--denom",
            "uosmo",
            "--gas-price",
            "0.025",
            "--ca-file",
            "/etc/ca.pem",
        ]);
        let config = cli.chain.config();
        assert_eq!(config.grpc, "https://grpc.example.org:443");
        assert_eq!(config.chain_id, "osmo-test-5");
        assert_eq!(config.prefix, "osmo");
        assert_eq!(config.denom, "uosmo");
        assert_eq!(config.gas_price, 0.025);
        assert_eq!(
            config.ca_file.as_deref(),
            Some(std::path::Path::new("/etc/ca.pem"))
        );
        // A CA file that is not there is a config error naming it, before any connection.
        let err = super::endpoint(&config).expect_err("no such CA file");
        assert!(
            matches!(err, crate::ClientError::Config(ref m) if m.contains("/etc/ca.pem")),
            "{err}"
        );
    }
}
