//! `loopin-deploy`: stores the LooPIN contracts, instantiates the factory (which creates the
//! LOOP token and the stake certificates) and the PoCPS registry, wires the registry into the
//! factory, sets the class parameters and creates the pools, all
//! from a TOML config, against any CosmWasm chain's gRPC endpoint. It writes the deployment
//! (addresses and code ids) and the chain-registry `chain.json` and `assetlist.json`.

pub mod admin_tx;
pub mod chain_registry;
mod deployment;
pub mod error;
pub mod ibc;
pub mod web;
pub mod windows;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use loopin::factory::{self, EmissionConfig, TokenInit};
use loopin::pool::PoolParams;
use loopin::registry::{self, RegistrySettings};
use loopin_chain_client::{ChainClient, ChainConfig, DEFAULT_HD_PATH, Key};
use serde::{Deserialize, Serialize};

pub use deployment::Deployment;
pub use error::DeployError;

/// The contracts every deployment stores, by artifact name (`<dir>/<name>.wasm`).
pub const CONTRACTS: [&str; 5] = [
    "loopin_token",
    "loopin_stake_cert",
    "loopin_pair",
    "loopin_factory",
    "loopin_pocps_registry",
];

/// Who signs the deployment.
#[derive(Serialize, Deserialize, Clone, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct Deployer {
    /// A BIP-39 mnemonic (prefer `key_file` outside tests).
    pub mnemonic: Option<String>,
    /// A key file: a mnemonic, or `hex:<private key>`.
    pub key_file: Option<PathBuf>,
    /// HD path for `mnemonic`.
    pub hd_path: Option<String>,
}

/// One resource class: its governance parameters and whether to open its pool now.
#[derive(Serialize, Deserialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct ClassConfig {
    pub name: String,
    pub params: PoolParams,
    #[serde(default = "yes")]
    pub create_pool: bool,
}

fn yes() -> bool {
    true
}

fn default_artifacts() -> PathBuf {
    PathBuf::from("artifacts")
}

/// The PoCPS registry: instantiate a new one with `settings`, or wire the existing `address`.
#[derive(Serialize, Deserialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct RegistryConfig {
    pub address: Option<String>,
    pub settings: Option<RegistrySettings>,
}

/// The whole deploy config (see `deploy/devnet.toml`).
#[derive(Serialize, Deserialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct DeployConfig {
    pub chain: ChainConfig,
    #[serde(default)]
    pub deployer: Deployer,
    /// Directory of the optimised `.wasm` artifacts.
    #[serde(default = "default_artifacts")]
    pub artifacts: PathBuf,
    /// Governance owner of the factory; the deployer if absent. Its changes that can reach
    /// value in a pool wait `min_delay` (docs/governance.md).
    pub owner: Option<String>,
    /// The wasm admin (who may migrate the code) of every contract: the factory, the registry,
    /// the IBC applications and what the factory creates (token, stake certificates, pairs). A
    /// multisig, never the deployer's key; absent: no admin, the contracts cannot be migrated.
    pub admin: Option<String>,
    /// Seconds a governance proposal waits before it can be executed; absent: the factory's
    /// default, two days. The devnet uses a minute.
    pub min_delay: Option<u64>,
    pub token: TokenInit,
    pub emission: EmissionConfig,
    /// The PoCPS registry (none: the factory has no registry, so nothing can invalidate).
    pub registry: Option<RegistryConfig>,
    #[serde(default)]
    pub classes: Vec<ClassConfig>,
    /// Where to write the deployment JSON.
    pub output: Option<PathBuf>,
    /// Where to write the chain-registry `chain.json`.
    pub chain_json: Option<PathBuf>,
    /// Where to write the chain-registry `assetlist.json` (the fee token and LOOP).
    #[serde(default)]
    pub assetlist: Option<PathBuf>,
    /// How the chain presents itself in `chain.json` and `assetlist.json`.
    #[serde(default)]
    pub chain_registry: Option<chain_registry::ChainRegistryInfo>,
}

/// The repository's `artifacts/` (or `$LOOPIN_ARTIFACTS`), checked to hold every contract
/// (`scripts/build-contracts.sh` builds them). For tests.
pub fn repository_artifacts() -> Result<PathBuf, DeployError> {
    let dir = std::env::var_os("LOOPIN_ARTIFACTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../artifacts"));
    for name in CONTRACTS {
        let path = dir.join(format!("{name}.wasm"));
        if !path.exists() {
            return Err(DeployError::MissingArtifact { path });
        }
    }
    Ok(dir)
}

impl DeployConfig {
    /// Reads a config, refusing one whose classes and registry disagree on their windows
    /// ([`windows::check`]).
    pub fn from_toml(text: &str) -> Result<Self, DeployError> {
        let config: Self = toml::from_str(text)?;
        if let Some(settings) = config.registry.as_ref().and_then(|r| r.settings.as_ref()) {
            for class in &config.classes {
                windows::check(&class.name, &class.params, settings)?;
            }
        }
        Ok(config)
    }

    /// The shipped `deploy/devnet.toml` for an in-process devnet (tests): pointed at `chain`,
    /// signed by development key `deployer`, the repository's artifacts, `holders` given LOOP,
    /// nothing written to disk.
    pub fn devnet(
        chain: &ChainConfig,
        deployer: u8,
        holders: &[(String, u128)],
    ) -> Result<Self, DeployError> {
        let mut config = Self::from_toml(include_str!("../devnet.toml"))?;
        config.chain = chain.clone();
        config.deployer = Deployer {
            mnemonic: Some(Key::development_mnemonic(deployer)),
            key_file: None,
            hd_path: None,
        };
        config.artifacts = repository_artifacts()?;
        config.output = None;
        config.chain_json = None;
        config.token.initial_balances = holders
            .iter()
            .map(|(address, amount)| cw20::Cw20Coin {
                address: address.clone(),
                amount: (*amount).into(),
            })
            .collect();
        Ok(config)
    }

    /// The deployer's key from the config.
    pub fn key(&self) -> Result<Key, DeployError> {
        let prefix = &self.chain.prefix;
        match (&self.deployer.mnemonic, &self.deployer.key_file) {
            (Some(m), _) => Ok(Key::from_mnemonic(
                m,
                self.deployer.hd_path.as_deref().unwrap_or(DEFAULT_HD_PATH),
                prefix,
            )?),
            (None, Some(path)) => Ok(Key::from_file(path, prefix)?),
            (None, None) => Err(DeployError::NoDeployerKey),
        }
    }
}

pub(crate) fn read_wasm(dir: &Path, name: &str) -> Result<Vec<u8>, DeployError> {
    let path = dir.join(format!("{name}.wasm"));
    std::fs::read(&path).map_err(|source| DeployError::ReadWasm { path, source })
}

/// Gas used by each step of a deployment, by step.
type GasUsed = BTreeMap<String, i64>;

/// Runs the deployment with `client` (whose key is the deployer).
pub async fn deploy(
    config: &DeployConfig,
    client: &ChainClient,
) -> Result<Deployment, DeployError> {
    let mut gas_used = GasUsed::new();
    let (code_ids, checksums) = store_contracts(config, client, &mut gas_used).await?;
    let deployer = client.address().to_string();
    let owner = config.owner.clone().unwrap_or_else(|| deployer.clone());
    log_admin(config.admin.as_deref(), &deployer);
    let factory_addr =
        instantiate_factory(config, client, &code_ids, &owner, &mut gas_used).await?;
    let wired: factory::ConfigResponse = client
        .query_smart(&factory_addr, &factory::QueryMsg::Config {})
        .await?;
    let owner_signs = owner == deployer;
    if !owner_signs && (config.registry.is_some() || !config.classes.is_empty()) {
        tracing::warn!(
            "the owner {owner} is not the deployer: class parameters and the registry are left to governance"
        );
    }
    let registry = pocps_registry(config, client, &code_ids, &factory_addr, &mut gas_used).await?;
    // Before the first pool these take effect at once; afterwards they are proposals.
    if owner_signs {
        configure_factory(
            config,
            client,
            &factory_addr,
            registry.as_deref(),
            &mut gas_used,
        )
        .await?;
    }
    let pools = create_pools(config, client, &factory_addr, &mut gas_used).await?;
    Ok(Deployment {
        chain_id: config.chain.chain_id.clone(),
        code_ids,
        checksums,
        factory: factory_addr,
        token: wired.token.to_string(),
        stake_cert: wired.stake_cert.to_string(),
        registry,
        pools,
        gas_used,
    })
}

/// Stores every contract of [`CONTRACTS`]: their code ids and checksums, by name.
async fn store_contracts(
    config: &DeployConfig,
    client: &ChainClient,
    gas_used: &mut GasUsed,
) -> Result<(BTreeMap<String, u64>, BTreeMap<String, String>), DeployError> {
    let mut code_ids = BTreeMap::new();
    let mut checksums = BTreeMap::new();
    for name in CONTRACTS {
        let wasm = read_wasm(&config.artifacts, name)?;
        let checksum = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&wasm));
        let (id, tx) = client
            .store_code(wasm)
            .await
            .map_err(|source| DeployError::Store {
                name: name.to_string(),
                source: Box::new(source),
            })?;
        tracing::info!(
            "stored {name} as code {id}, checksum {checksum} (gas {})",
            tx.gas_used
        );
        checksums.insert(name.to_string(), checksum);
        gas_used.insert(format!("store {name}"), tx.gas_used);
        code_ids.insert(name.to_string(), id);
    }
    Ok((code_ids, checksums))
}

/// Logs who the contracts' wasm admin will be, warning when it is the deployer's key.
fn log_admin(admin: Option<&str>, deployer: &str) {
    match admin {
        None => tracing::info!("no wasm admin: the contracts cannot be migrated"),
        Some(admin) if admin == deployer => tracing::warn!(
            "the deployer {deployer} is the wasm admin: its key can migrate every contract to any code; use a multisig"
        ),
        Some(admin) => tracing::info!("wasm admin of every contract: {admin}"),
    }
}

/// Instantiates the factory (which creates the token and the stake certificates) owned by
/// `owner`: its address.
async fn instantiate_factory(
    config: &DeployConfig,
    client: &ChainClient,
    code_ids: &BTreeMap<String, u64>,
    owner: &str,
    gas_used: &mut GasUsed,
) -> Result<String, DeployError> {
    let msg = factory::InstantiateMsg {
        owner: owner.to_string(),
        token_code_id: code_ids["loopin_token"],
        token: config.token.clone(),
        stake_cert_code_id: code_ids["loopin_stake_cert"],
        pair_code_id: code_ids["loopin_pair"],
        emission: config.emission.clone(),
        admin: config.admin.clone(),
        min_delay: config.min_delay,
    };
    let (factory_addr, tx) = client
        .instantiate(
            code_ids["loopin_factory"],
            &msg,
            "LooPIN factory",
            config.admin.as_deref(),
            &[],
        )
        .await
        .map_err(|source| DeployError::Instantiate {
            contract: "the factory",
            source: Box::new(source),
        })?;
    gas_used.insert("instantiate factory".into(), tx.gas_used);
    Ok(factory_addr)
}

/// The config's PoCPS registry: the existing address, or a new one instantiated with its
/// settings; none without a `[registry]`.
async fn pocps_registry(
    config: &DeployConfig,
    client: &ChainClient,
    code_ids: &BTreeMap<String, u64>,
    factory_addr: &str,
    gas_used: &mut GasUsed,
) -> Result<Option<String>, DeployError> {
    Ok(match &config.registry {
        None => None,
        Some(RegistryConfig {
            address: Some(address),
            settings: None,
        }) => Some(address.clone()),
        Some(RegistryConfig {
            address: None,
            settings: Some(settings),
        }) => {
            let msg = registry::InstantiateMsg {
                factory: factory_addr.to_string(),
                settings: settings.clone(),
            };
            let (address, tx) = client
                .instantiate(
                    code_ids["loopin_pocps_registry"],
                    &msg,
                    "LooPIN PoCPS registry",
                    config.admin.as_deref(),
                    &[],
                )
                .await
                .map_err(|source| DeployError::Instantiate {
                    contract: "the registry",
                    source: Box::new(source),
                })?;
            gas_used.insert("instantiate registry".into(), tx.gas_used);
            Some(address)
        }
        Some(_) => return Err(DeployError::RegistryConfig),
    })
}

/// As the factory's owner: wires `registry` into the factory and sets every class's parameters.
async fn configure_factory(
    config: &DeployConfig,
    client: &ChainClient,
    factory_addr: &str,
    registry: Option<&str>,
    gas_used: &mut GasUsed,
) -> Result<(), DeployError> {
    if let Some(registry) = registry {
        let tx = client
            .execute(
                factory_addr,
                &factory::ExecuteMsg::SetRegistry {
                    registry: registry.to_string(),
                },
                &[],
            )
            .await
            .map_err(|source| DeployError::SetRegistry {
                registry: registry.to_string(),
                source: Box::new(source),
            })?;
        gas_used.insert("set registry".into(), tx.gas_used);
    }
    for class in &config.classes {
        let tx = client
            .execute(
                factory_addr,
                &factory::ExecuteMsg::SetClassParams {
                    class: class.name.clone(),
                    params: Box::new(class.params.clone()),
                },
                &[],
            )
            .await
            .map_err(|source| DeployError::SetClassParams {
                class: class.name.clone(),
                source: Box::new(source),
            })?;
        gas_used.insert(format!("set class {}", class.name), tx.gas_used);
    }
    Ok(())
}

/// Creates the pool of every class with `create_pool`: pair address by class.
async fn create_pools(
    config: &DeployConfig,
    client: &ChainClient,
    factory_addr: &str,
    gas_used: &mut GasUsed,
) -> Result<BTreeMap<String, String>, DeployError> {
    let mut pools = BTreeMap::new();
    for class in config.classes.iter().filter(|c| c.create_pool) {
        let tx = client
            .execute(
                factory_addr,
                &factory::ExecuteMsg::CreatePool {
                    class: class.name.clone(),
                },
                &[],
            )
            .await
            .map_err(|source| DeployError::CreatePool {
                class: class.name.clone(),
                source: Box::new(source),
            })?;
        gas_used.insert(format!("create pool {}", class.name), tx.gas_used);
        let pool: factory::PoolResponse = client
            .query_smart(
                factory_addr,
                &factory::QueryMsg::Pool {
                    class: class.name.clone(),
                },
            )
            .await?;
        pools.insert(class.name.clone(), pool.pair.to_string());
    }
    Ok(pools)
}

/// The chain-registry `chain.json` for the chain in `chain`, with the config's defaults.
pub fn chain_json(chain: &ChainConfig) -> serde_json::Value {
    chain_registry::ChainRegistryInfo::default().chain_json(chain)
}

/// What an account holding `held` lacks of `target` (`loopin-deploy send --top-up`).
pub fn lacking(held: u128, target: u128) -> u128 {
    target.saturating_sub(held)
}

/// Writes `text` to `path`.
fn write(path: &Path, text: &str) -> Result<(), DeployError> {
    std::fs::write(path, text).map_err(|source| DeployError::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// Loads the config, connects, deploys and writes the outputs.
pub async fn run(config: &DeployConfig) -> Result<Deployment, DeployError> {
    let key = config.key()?;
    let client = ChainClient::connect(config.chain.clone(), key)
        .await
        .map_err(|source| DeployError::Connect {
            grpc: config.chain.grpc.clone(),
            source: Box::new(source),
        })?;
    let deployment = deploy(config, &client).await?;
    if let Some(path) = &config.output {
        write(path, &serde_json::to_string_pretty(&deployment)?)?;
    }
    let info = config.chain_registry.clone().unwrap_or_default();
    if let Some(path) = &config.chain_json {
        let json = info.chain_json(&config.chain);
        write(path, &serde_json::to_string_pretty(&json)?)?;
    }
    if let Some(path) = &config.assetlist {
        let json = info.assetlist_json(&config.chain, &config.token, &deployment);
        write(path, &serde_json::to_string_pretty(&json)?)?;
    }
    Ok(deployment)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_top_up_sends_only_what_is_lacking() {
        assert_eq!(lacking(0, 100), 100);
        assert_eq!(lacking(40, 100), 60);
        assert_eq!(lacking(100, 100), 0);
        assert_eq!(lacking(250, 100), 0, "never a negative send");
    }

    #[test]
    fn the_devnet_config_parses() {
        let config = DeployConfig::from_toml(include_str!("../devnet.toml")).unwrap();
        assert_eq!(config.chain.chain_id, "loopin-devnet-1");
        assert_eq!(config.classes[0].params.min_epochs, 3);
        assert_eq!(config.classes[0].params.dispute_epochs, 2);
        let registry = config.registry.clone().unwrap();
        assert!(registry.address.is_none());
        assert_eq!(registry.settings.unwrap().min_rounds, 4);
        assert_eq!(
            config.admin, None,
            "the devnet's contracts have no wasm admin"
        );
        assert_eq!(config.min_delay, Some(60));
        let json = chain_json(&config.chain);
        assert_eq!(json["bech32_prefix"], "loopin");
    }
}
