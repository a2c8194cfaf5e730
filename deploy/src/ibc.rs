//! LooPIN's IBC applications: the price feed and the rewards bridge on the LooPIN chain, and the
//! price consumer on another chain. Kept apart from [`crate::deploy`]: they are only useful
//! where a relayer connects a second chain (docs/relayer.md).

use crate::error::DeployError;
use crate::{Deployment, read_wasm};
use loopin::price_feed::{consumer, feed};
use loopin::rewards_bridge::{AllowMsg, InstantiateMsg};
use loopin_chain_client::ChainClient;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Settings of the LooPIN-side applications.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IbcSettings {
    /// A price packet not received this long after it was sent times out.
    pub packet_timeout_seconds: u64,
    /// Span of the TWAP in a price packet.
    pub twap_window_seconds: u64,
    /// Default lifetime of a rewards transfer (the sender may choose another).
    pub transfer_timeout_seconds: u64,
    /// Connections (on the LooPIN chain) the price feed's subscribers may use; the feed refuses
    /// a channel on any other. Default: [`FIRST_CONNECTION`].
    pub feed_connections: Vec<String>,
    /// The wasm admin of the feed and the bridge (the bridge escrows LOOP): a multisig, never
    /// the deployer's key. Default: none, they cannot be migrated.
    pub admin: Option<String>,
}

/// The connection `loopin-relayer create channel` makes first on a chain that has none, which is
/// the price channel's on both chains when it is opened first (as `scripts/run.sh` and the
/// relayer's tests do). Elsewhere, name the connection: the feed's `SetAllowedConnections`, the
/// consumer's `SetAllowedConnections` (owner) change it later.
pub const FIRST_CONNECTION: &str = "connection-0";

impl Default for IbcSettings {
    fn default() -> Self {
        Self {
            packet_timeout_seconds: 600,
            twap_window_seconds: 3_600,
            transfer_timeout_seconds: 600,
            feed_connections: vec![FIRST_CONNECTION.to_string()],
            admin: None,
        }
    }
}

/// The applications on the LooPIN chain.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IbcApps {
    /// Publishes every pool of the deployment.
    pub price_feed: String,
    /// Bridges LOOP (the deployment's token) over ICS-20.
    pub rewards_bridge: String,
}

impl IbcApps {
    /// The contracts' IBC ports (`wasm.<address>`).
    pub fn price_feed_port(&self) -> String {
        format!("wasm.{}", self.price_feed)
    }

    pub fn rewards_bridge_port(&self) -> String {
        format!("wasm.{}", self.rewards_bridge)
    }
}

async fn store(client: &ChainClient, artifacts: &Path, name: &str) -> Result<u64, DeployError> {
    let (code_id, _) = client
        .store_code(read_wasm(artifacts, name)?)
        .await
        .map_err(|source| DeployError::Store {
            name: name.to_string(),
            source: Box::new(source),
        })?;
    Ok(code_id)
}

/// Deploys the price feed (with every pool of `deployment`) and the rewards bridge (LOOP on its
/// allowlist) on the LooPIN chain; `client`'s key owns both.
pub async fn deploy_ibc_apps(
    client: &ChainClient,
    artifacts: &Path,
    deployment: &Deployment,
    settings: &IbcSettings,
) -> Result<IbcApps, DeployError> {
    let owner = client.address().to_string();
    let code_id = store(client, artifacts, "loopin_price_feed").await?;
    let init = feed::InstantiateMsg {
        owner: owner.clone(),
        packet_timeout_seconds: settings.packet_timeout_seconds,
        twap_window_seconds: settings.twap_window_seconds,
        allowed_connections: settings.feed_connections.clone(),
        // The consumer is not deployed yet: `pin_price_consumer` names its port.
        allowed_counterparty_ports: None,
    };
    let (price_feed, _) = client
        .instantiate(
            code_id,
            &init,
            "LooPIN price feed",
            settings.admin.as_deref(),
            &[],
        )
        .await
        .map_err(|source| DeployError::Instantiate {
            contract: "the price feed",
            source: Box::new(source),
        })?;
    for pair in deployment.pools.values() {
        client
            .execute(
                &price_feed,
                &feed::ExecuteMsg::AddPool { pair: pair.clone() },
                &[],
            )
            .await
            .map_err(|source| DeployError::AddPoolToFeed {
                pair: pair.clone(),
                source: Box::new(source),
            })?;
    }
    let code_id = store(client, artifacts, "loopin_rewards_bridge").await?;
    let init = InstantiateMsg {
        default_timeout: settings.transfer_timeout_seconds,
        gov_contract: owner.clone(),
        allowlist: vec![AllowMsg {
            contract: deployment.token.clone(),
            gas_limit: None,
        }],
        default_gas_limit: None,
    };
    let (rewards_bridge, _) = client
        .instantiate(
            code_id,
            &init,
            "LooPIN rewards bridge",
            settings.admin.as_deref(),
            &[],
        )
        .await
        .map_err(|source| DeployError::Instantiate {
            contract: "the rewards bridge",
            source: Box::new(source),
        })?;
    Ok(IbcApps {
        price_feed,
        rewards_bridge,
    })
}

/// Deploys the price consumer on another chain, pinned to the feed: it accepts price channels
/// only from `feed_port` (the feed's `wasm.<address>`, [`IbcApps::price_feed_port`]) over one of
/// `connections` (that chain's connections to the LooPIN chain); `client`'s key owns it and
/// `admin` (none: no one) may migrate it.
pub async fn deploy_price_consumer(
    client: &ChainClient,
    artifacts: &Path,
    feed_port: &str,
    connections: Vec<String>,
    admin: Option<&str>,
) -> Result<String, DeployError> {
    let owner = client.address().to_string();
    let code_id = store(client, artifacts, "loopin_price_consumer").await?;
    let init = consumer::InstantiateMsg {
        owner: owner.clone(),
        allowed_connections: Some(connections),
        allowed_counterparty_ports: Some(vec![feed_port.to_string()]),
        max_age_seconds: None,
    };
    let (address, _) = client
        .instantiate(code_id, &init, "LooPIN price consumer", admin, &[])
        .await
        .map_err(|source| DeployError::Instantiate {
            contract: "the price consumer",
            source: Box::new(source),
        })?;
    Ok(address)
}

/// Lets only the consumer's port (`wasm.<consumer>`) subscribe to the feed, over the feed's
/// allowed connections; `client` is the feed's owner.
pub async fn pin_price_consumer(
    client: &ChainClient,
    apps: &IbcApps,
    consumer: &str,
) -> Result<(), DeployError> {
    client
        .execute(
            &apps.price_feed,
            &feed::ExecuteMsg::SetAllowedCounterpartyPorts {
                ports: Some(vec![format!("wasm.{consumer}")]),
            },
            &[],
        )
        .await
        .map_err(|source| DeployError::PinConsumer {
            consumer: consumer.to_string(),
            source: Box::new(source),
        })?;
    Ok(())
}
