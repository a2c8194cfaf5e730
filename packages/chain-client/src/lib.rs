//! `loopin-chain-client`: the chain client every LooPIN service uses, over Cosmos gRPC with
//! cosmrs and tonic. It works against the devnet and against any CosmWasm chain.
//!
//! - keys from a BIP-39 mnemonic (BIP-32 path `m/44'/118'/0'/0/0` by default) or a key file;
//! - transactions signed with SIGN_MODE_DIRECT, gas simulated and multiplied by an adjustment,
//!   fees from the configured gas price;
//! - sequences tracked locally (so several transactions can be in one block) and refreshed and
//!   retried when the chain reports a mismatch;
//! - confirmation by polling `GetTx` until the transaction is in a block;
//! - typed smart queries (JSON in, `T: DeserializeOwned` out), raw queries, balances.

use std::time::Duration;

use bip32::{DerivationPath, Language, Mnemonic, XPrv};
use cosmrs::crypto::secp256k1::SigningKey;
use cosmrs::proto::cosmos::auth::v1beta1 as authpb;
use cosmrs::proto::cosmos::bank::v1beta1 as bankpb;
use cosmrs::proto::cosmos::base::abci::v1beta1::TxResponse;
use cosmrs::proto::cosmos::base::tendermint::v1beta1 as tmpb;
use cosmrs::proto::cosmos::tx::v1beta1 as txpb;
use cosmrs::proto::cosmwasm::wasm::v1 as wasmpb;
use cosmrs::tx::{Body, Fee, Msg, SignDoc, SignerInfo};
use cosmrs::{AccountId, Any, Coin, Denom};
use prost::Message;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::sync::Mutex;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint};

pub use cosmrs;

pub mod adr036;
pub use adr036::{Adr036Error, verify_arbitrary};
pub mod fee_market;
use fee_market::FeeMarket;

/// How long a connection to a node may take to open.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Results per tx search page: CometBFT's cap.
pub const TX_SEARCH_PAGE: u64 = 100;

/// Pages read of one block at most (1,000,000 transactions; a 21 MB block holds far fewer).
pub const TX_SEARCH_MAX_PAGES: u64 = 10_000;

/// The default Cosmos HD path.
pub const DEFAULT_HD_PATH: &str = "m/44'/118'/0'/0/0";

/// What can go wrong talking to the chain.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("transport: {0}")]
    Transport(#[from] tonic::transport::Error),
    #[error("gRPC {}: {}", .0.code(), .0.message())]
    Status(Box<tonic::Status>),
    /// The chain ran the transaction in simulation and refused it (its answer): nothing was
    /// broadcast.
    #[error("simulation refused: {}", .0.message())]
    Simulation(Box<tonic::Status>),
    #[error("the endpoint serves chain {got}, expected {expected}")]
    ChainIdMismatch { expected: String, got: String },
    #[error("key: {0}")]
    Key(String),
    #[error("config: {0}")]
    Config(String),
    #[error("tx {txhash} rejected (codespace {codespace}, code {code}): {log}")]
    CheckTx {
        txhash: String,
        codespace: String,
        code: u32,
        log: String,
    },
    #[error("tx {txhash} failed at height {height} (codespace {codespace}, code {code}): {log}")]
    DeliverTx {
        txhash: String,
        height: i64,
        codespace: String,
        code: u32,
        log: String,
        gas_wanted: i64,
        gas_used: i64,
    },
    #[error("tx {txhash} not confirmed within {waited:?}")]
    Timeout { txhash: String, waited: Duration },
    #[error("account {0} not found on chain (fund it first)")]
    NoAccount(String),
    #[error("building the tx: {0}")]
    Tx(String),
    #[error("decoding: {0}")]
    Decode(String),
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
    #[error("event {ty}.{key} missing from tx {txhash}")]
    MissingEvent {
        txhash: String,
        ty: String,
        key: String,
    },
}

impl From<tonic::Status> for ClientError {
    fn from(status: tonic::Status) -> Self {
        Self::Status(Box::new(status))
    }
}

impl ClientError {
    /// The ABCI code of a rejected or failed transaction.
    pub fn tx_code(&self) -> Option<u32> {
        match self {
            Self::CheckTx { code, .. } | Self::DeliverTx { code, .. } => Some(*code),
            _ => None,
        }
    }
}

pub type Result<T, E = ClientError> = std::result::Result<T, E>;

fn tx_err(e: impl std::fmt::Display) -> ClientError {
    ClientError::Tx(e.to_string())
}

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

/// A secp256k1 signing key and its address.
pub struct Key {
    signing: SigningKey,
    /// SHA-256 of a domain tag and the private key: the root of [`Key::derive_secret`].
    derivation_root: [u8; 32],
    pub address: AccountId,
}

impl Key {
    /// From a BIP-39 mnemonic at `path` (e.g. [`DEFAULT_HD_PATH`]).
    pub fn from_mnemonic(phrase: &str, path: &str, prefix: &str) -> Result<Self> {
        let mnemonic = Mnemonic::new(phrase.trim(), Language::English)
            .map_err(|e| ClientError::Key(format!("mnemonic: {e}")))?;
        let path: DerivationPath = path
            .parse()
            .map_err(|e| ClientError::Key(format!("derivation path: {e}")))?;
        let seed = mnemonic.to_seed("");
        let xprv = XPrv::derive_from_path(seed, &path)
            .map_err(|e| ClientError::Key(format!("derivation: {e}")))?;
        Self::from_bytes(&xprv.private_key().to_bytes(), prefix)
    }

    /// From 32 raw private-key bytes.
    pub fn from_bytes(bytes: &[u8], prefix: &str) -> Result<Self> {
        let signing = SigningKey::from_slice(bytes)
            .map_err(|e| ClientError::Key(format!("private key: {e}")))?;
        let address = signing
            .public_key()
            .account_id(prefix)
            .map_err(|e| ClientError::Key(e.to_string()))?;
        let derivation_root = Sha256::new()
            .chain_update(b"loopin/key-derivation/v1")
            .chain_update(bytes)
            .finalize()
            .into();
        Ok(Self {
            signing,
            derivation_root,
            address,
        })
    }

    /// A 32-byte secret for `purpose` derived from the private key: the same account always
    /// gets the same secret for a purpose, different purposes get unrelated secrets, and none of
    /// them reveals the key (e.g. the X25519 key a client receives lease access details with).
    pub fn derive_secret(&self, purpose: &str) -> [u8; 32] {
        Sha256::new()
            .chain_update(self.derivation_root)
            .chain_update((purpose.len() as u64).to_be_bytes())
            .chain_update(purpose.as_bytes())
            .finalize()
            .into()
    }

    /// Development key `n`: the mnemonic of 32 bytes of `n`, at [`DEFAULT_HD_PATH`]. For tests
    /// and devnets only, never for real funds (`loopin-deploy dev-key n` prints it).
    pub fn development(n: u8, prefix: &str) -> Result<Self> {
        Self::from_mnemonic(&Self::development_mnemonic(n), DEFAULT_HD_PATH, prefix)
    }

    /// The mnemonic of development key `n`.
    pub fn development_mnemonic(n: u8) -> String {
        Self::mnemonic_from_entropy([n; 32])
    }

    /// A BIP-39 mnemonic from 32 bytes of entropy (tests and dev accounts).
    pub fn mnemonic_from_entropy(entropy: [u8; 32]) -> String {
        Mnemonic::from_entropy(entropy, Language::English)
            .phrase()
            .to_string()
    }

    /// A key file: either a mnemonic phrase, or `hex:<64 hex digits>` for a raw private key.
    /// Surrounding whitespace and `#` comment lines are ignored.
    pub fn from_file(path: &std::path::Path, prefix: &str) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ClientError::Key(format!("{}: {e}", path.display())))?;
        let content: String = text
            .lines()
            .filter(|l| !l.trim_start().starts_with('#'))
            .collect::<Vec<_>>()
            .join(" ");
        let content = content.trim();
        match content.strip_prefix("hex:") {
            Some(hex_key) => {
                let bytes = hex::decode(hex_key.trim())
                    .map_err(|e| ClientError::Key(format!("hex key: {e}")))?;
                Self::from_bytes(&bytes, prefix)
            }
            None => Self::from_mnemonic(content, DEFAULT_HD_PATH, prefix),
        }
    }
}

/// A confirmed transaction.
#[derive(Debug, Clone)]
pub struct TxResult {
    pub txhash: String,
    pub height: i64,
    pub gas_wanted: i64,
    pub gas_used: i64,
    pub response: TxResponse,
}

impl TxResult {
    /// The first value of attribute `key` in an event of type `ty`.
    pub fn event_attr(&self, ty: &str, key: &str) -> Option<&str> {
        self.response
            .events
            .iter()
            .filter(|e| e.r#type == ty)
            .flat_map(|e| e.attributes.iter())
            .find(|a| a.key == key)
            .map(|a| a.value.as_str())
    }

    fn require_attr(&self, ty: &str, key: &str) -> Result<&str> {
        self.event_attr(ty, key)
            .ok_or_else(|| ClientError::MissingEvent {
                txhash: self.txhash.clone(),
                ty: ty.into(),
                key: key.into(),
            })
    }
}

#[derive(Clone, Copy, Debug)]
struct AccountState {
    number: u64,
    sequence: u64,
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

/// `bytes` gzipped at the best level, unless they already are (gzip's magic number).
pub fn gzip(bytes: Vec<u8>) -> Result<Vec<u8>> {
    use std::io::Write;
    if bytes.starts_with(&[0x1f, 0x8b]) {
        return Ok(bytes);
    }
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder
        .write_all(&bytes)
        .and_then(|_| encoder.finish())
        .map_err(|e| ClientError::Tx(format!("gzip: {e}")))
}

/// `bytes` inflated if they are gzipped (at most wasmd's 800 KiB upload limit), `None` if not.
fn gunzip(bytes: &[u8]) -> Result<Option<Vec<u8>>> {
    use std::io::Read;
    if !bytes.starts_with(&[0x1f, 0x8b]) {
        return Ok(None);
    }
    const LIMIT: u64 = 800 * 1024;
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(bytes)
        .take(LIMIT + 1)
        .read_to_end(&mut out)
        .map_err(|e| ClientError::Tx(format!("gunzip: {e}")))?;
    if out.len() as u64 > LIMIT {
        return Err(ClientError::Tx(format!(
            "the inflated wasm is over {LIMIT} bytes"
        )));
    }
    Ok(Some(out))
}

/// A read-only connection to one chain: queries, no key (provers and watchers).
#[derive(Clone)]
pub struct ChainQuerier {
    pub config: ChainConfig,
    channel: Channel,
}

impl ChainQuerier {
    /// Connects and checks the endpoint serves `config.chain_id` (GetNodeInfo).
    pub async fn connect(config: ChainConfig) -> Result<Self> {
        let channel = endpoint(&config)?.connect().await?;
        let info = tmpb::service_client::ServiceClient::new(channel.clone())
            .get_node_info(tmpb::GetNodeInfoRequest {})
            .await?
            .into_inner();
        let network = info
            .default_node_info
            .map(|n| n.network)
            .unwrap_or_default();
        if network != config.chain_id {
            return Err(ClientError::ChainIdMismatch {
                expected: config.chain_id,
                got: network,
            });
        }
        Ok(Self { config, channel })
    }

    pub fn channel(&self) -> Channel {
        self.channel.clone()
    }

    /// (account number, sequence) of `address`, `None` if the chain has no such account.
    /// Asks `AccountInfo` (SDK 0.47+), which answers for every account type (vesting and module
    /// accounts included); a chain without it is asked `Account`, decoded as a `BaseAccount`.
    pub async fn account_of(&self, address: &str) -> Result<Option<(u64, u64)>> {
        let mut auth = authpb::query_client::QueryClient::new(self.channel.clone());
        let answer = auth
            .account_info(authpb::QueryAccountInfoRequest {
                address: address.to_string(),
            })
            .await;
        match answer {
            Ok(r) => {
                let info = r
                    .into_inner()
                    .info
                    .ok_or_else(|| ClientError::Decode("empty account info".into()))?;
                return Ok(Some((info.account_number, info.sequence)));
            }
            Err(status) if status.code() == tonic::Code::NotFound => return Ok(None),
            Err(status) if status.code() == tonic::Code::Unimplemented => {}
            Err(status) => return Err(status.into()),
        }
        let answer = auth
            .account(authpb::QueryAccountRequest {
                address: address.to_string(),
            })
            .await;
        let any = match answer {
            Ok(r) => r.into_inner().account,
            Err(status) if status.code() == tonic::Code::NotFound => return Ok(None),
            Err(status) => return Err(status.into()),
        };
        let any = any.ok_or_else(|| ClientError::Decode("empty account".into()))?;
        let account = authpb::BaseAccount::decode(&*any.value)
            .map_err(|e| ClientError::Decode(format!("account: {e}")))?;
        Ok(Some((account.account_number, account.sequence)))
    }

    /// The latest block's height and time (Unix seconds).
    pub async fn latest_block(&self) -> Result<(i64, i64)> {
        let block = tmpb::service_client::ServiceClient::new(self.channel.clone())
            .get_latest_block(tmpb::GetLatestBlockRequest {})
            .await?
            .into_inner();
        let header = block
            .sdk_block
            .and_then(|b| b.header)
            .ok_or_else(|| ClientError::Decode("block without header".into()))?;
        Ok((header.height, header.time.map(|t| t.seconds).unwrap_or(0)))
    }

    /// Native balance of `address` in `denom`.
    pub async fn balance(&self, address: &str, denom: &str) -> Result<u128> {
        let coin = bankpb::query_client::QueryClient::new(self.channel.clone())
            .balance(bankpb::QueryBalanceRequest {
                address: address.to_string(),
                denom: denom.to_string(),
            })
            .await?
            .into_inner()
            .balance
            .unwrap_or_default();
        coin.amount
            .parse()
            .map_err(|e| ClientError::Decode(format!("amount {}: {e}", coin.amount)))
    }

    /// Every transaction result of block `height`, in block order, read page by page: CometBFT
    /// caps a search page at 100 results whatever the limit asked, so one page of a full block
    /// would silently miss the rest.
    pub async fn txs_at(&self, height: u64) -> Result<Vec<TxResponse>> {
        let query = format!("tx.height={height}");
        let mut service = txpb::service_client::ServiceClient::new(self.channel.clone());
        let mut all: Vec<TxResponse> = Vec::new();
        for page in 1.. {
            #[allow(deprecated)]
            let request = txpb::GetTxsEventRequest {
                events: Vec::new(),
                query: query.clone(),
                page,
                limit: TX_SEARCH_PAGE,
                order_by: txpb::OrderBy::Asc as i32,
                pagination: None,
            };
            let response = service.get_txs_event(request).await?.into_inner();
            let read = response.tx_responses.len() as u64;
            all.extend(response.tx_responses);
            // A short page is the last, whatever `total` claims; a node that keeps sending full
            // pages past what any block can hold is refused rather than followed.
            if read < TX_SEARCH_PAGE || all.len() as u64 >= response.total {
                break;
            }
            if page >= TX_SEARCH_MAX_PAGES {
                return Err(ClientError::Decode(format!(
                    "block {height}: the node listed more than {} transactions",
                    TX_SEARCH_PAGE * TX_SEARCH_MAX_PAGES
                )));
            }
        }
        Ok(all)
    }

    /// Broadcasts transaction bytes signed elsewhere (BROADCAST_MODE_SYNC) and returns the CheckTx response.
    pub async fn broadcast_raw(&self, tx_bytes: Vec<u8>) -> Result<TxResponse> {
        let response = txpb::service_client::ServiceClient::new(self.channel.clone())
            .broadcast_tx(txpb::BroadcastTxRequest {
                tx_bytes,
                mode: txpb::BroadcastMode::Sync as i32,
            })
            .await?
            .into_inner()
            .tx_response
            .ok_or_else(|| ClientError::Decode("empty broadcast response".into()))?;
        Ok(response)
    }

    /// A smart query, its answer decoded as `T`.
    pub async fn query_smart<M: Serialize, T: DeserializeOwned>(
        &self,
        contract: &str,
        msg: &M,
    ) -> Result<T> {
        let data = wasmpb::query_client::QueryClient::new(self.channel.clone())
            .smart_contract_state(wasmpb::QuerySmartContractStateRequest {
                address: contract.to_string(),
                query_data: serde_json::to_vec(msg)?,
            })
            .await?
            .into_inner()
            .data;
        Ok(serde_json::from_slice(&data)?)
    }

    /// A raw storage read (empty when absent).
    pub async fn query_raw(&self, contract: &str, key: &[u8]) -> Result<Vec<u8>> {
        Ok(wasmpb::query_client::QueryClient::new(self.channel.clone())
            .raw_contract_state(wasmpb::QueryRawContractStateRequest {
                address: contract.to_string(),
                query_data: key.to_vec(),
            })
            .await?
            .into_inner()
            .data)
    }

    /// A contract's metadata (code id, creator, admin, label).
    pub async fn contract_info(&self, contract: &str) -> Result<wasmpb::ContractInfo> {
        wasmpb::query_client::QueryClient::new(self.channel.clone())
            .contract_info(wasmpb::QueryContractInfoRequest {
                address: contract.to_string(),
            })
            .await?
            .into_inner()
            .contract_info
            .ok_or_else(|| ClientError::Decode("empty contract info".into()))
    }
}

/// A connection to one chain with one signing key. Queries go through its [`ChainQuerier`].
pub struct ChainClient {
    querier: ChainQuerier,
    key: Key,
    account: Mutex<Option<AccountState>>,
    fee_market: Mutex<FeeMarket>,
}

impl std::ops::Deref for ChainClient {
    type Target = ChainQuerier;
    fn deref(&self) -> &ChainQuerier {
        &self.querier
    }
}

/// The SDK's out-of-gas code (codespace `sdk`).
const OUT_OF_GAS: u32 = 11;

/// Attempts on a sequence mismatch before giving up.
const SEQUENCE_RETRIES: usize = 4;

fn sequence_mismatch(message: &str) -> bool {
    message.contains("account sequence mismatch")
}

/// The sequence a mismatch error says the chain expects (`account sequence mismatch, expected
/// 7, got 5`). The node's check state counts transactions still in its mempool, which a query of
/// the committed account does not: retrying with the queried sequence would fail again.
fn expected_sequence(message: &str) -> Option<u64> {
    let rest = &message[message.find("account sequence mismatch, expected ")?..];
    let digits: String = rest["account sequence mismatch, expected ".len()..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

impl ChainClient {
    /// Connects and checks the endpoint serves `config.chain_id` (GetNodeInfo).
    pub async fn connect(config: ChainConfig, key: Key) -> Result<Self> {
        Ok(Self::with_querier(
            ChainQuerier::connect(config).await?,
            key,
        ))
    }

    /// A signer over an existing connection.
    pub fn with_querier(querier: ChainQuerier, key: Key) -> Self {
        Self {
            querier,
            key,
            account: Mutex::new(None),
            fee_market: Mutex::new(FeeMarket::Unknown),
        }
    }

    /// The signer's address.
    pub fn address(&self) -> &AccountId {
        &self.key.address
    }

    async fn fetch_account(&self) -> Result<AccountState> {
        let (number, sequence) = self
            .account_of(self.key.address.as_ref())
            .await?
            .ok_or_else(|| ClientError::NoAccount(self.key.address.to_string()))?;
        Ok(AccountState { number, sequence })
    }

    fn sign(
        &self,
        msgs: &[Any],
        memo: &str,
        account: AccountState,
        gas_limit: u64,
        fee_amount: u128,
    ) -> Result<Vec<u8>> {
        let denom: Denom = self.config.denom.parse().map_err(tx_err)?;
        let fee = Fee::from_amount_and_gas(
            Coin {
                denom,
                amount: fee_amount,
            },
            gas_limit,
        );
        let body = Body::new(msgs.to_vec(), memo, 0u32);
        let auth_info =
            SignerInfo::single_direct(Some(self.key.signing.public_key()), account.sequence)
                .auth_info(fee);
        let chain_id = self.config.chain_id.parse().map_err(tx_err)?;
        let doc = SignDoc::new(&body, &auth_info, &chain_id, account.number).map_err(tx_err)?;
        let raw = doc.sign(&self.key.signing).map_err(tx_err)?;
        raw.to_bytes().map_err(tx_err)
    }

    /// Simulates `msgs` (signed with the current sequence) and returns the gas used.
    pub async fn simulate(&self, msgs: &[Any], memo: &str) -> Result<u64> {
        let account = self.current_account().await?;
        self.simulate_at(msgs, memo, account).await
    }

    async fn current_account(&self) -> Result<AccountState> {
        let mut guard = self.account.lock().await;
        match *guard {
            Some(a) => Ok(a),
            None => {
                let a = self.fetch_account().await?;
                *guard = Some(a);
                Ok(a)
            }
        }
    }

    /// The gas price to pay now: the configured one, or the chain's fee market's current price
    /// where it is higher (asked before every transaction on a chain that has one; a chain that
    /// answers it has none is not asked again).
    pub async fn gas_price_now(&self) -> Result<f64> {
        let mut market = self.fee_market.lock().await;
        if *market == FeeMarket::Absent {
            return Ok(self.config.gas_price);
        }
        match fee_market::gas_price(self.channel(), &self.config.denom).await? {
            None => {
                *market = FeeMarket::Absent;
                Ok(self.config.gas_price)
            }
            Some(price) => {
                *market = FeeMarket::Present;
                fee_market::price_to_pay(self.config.gas_price, Some(price))
            }
        }
    }

    /// The fee for `gas_limit` at `gas_price`.
    fn fee_for(gas_limit: u64, gas_price: f64) -> u128 {
        (gas_limit as f64 * gas_price).ceil() as u128
    }

    /// Simulates with a fee of one unit of the denom, not zero: the SDK deducts a non-zero fee
    /// (two balance writes), and a simulation without it came out ~16,000 gas short on wasmd,
    /// more than the adjustment covers for a small transaction (a bank send ran out of gas).
    /// Simulation skips the minimum-gas-price check, so one unit is accepted.
    async fn simulate_at(&self, msgs: &[Any], memo: &str, account: AccountState) -> Result<u64> {
        let tx_bytes = self.sign(msgs, memo, account, 0, 1)?;
        #[allow(deprecated)]
        let response = txpb::service_client::ServiceClient::new(self.channel.clone())
            .simulate(txpb::SimulateRequest { tx: None, tx_bytes })
            .await
            .map_err(|status| match status.code() {
                // What the SDK answers for a transaction its simulation refused (any failure
                // of the ante handler or a message): Unknown, with the chain's error.
                tonic::Code::Unknown => ClientError::Simulation(Box::new(status)),
                _ => ClientError::Status(Box::new(status)),
            })?
            .into_inner();
        Ok(response.gas_info.map(|g| g.gas_used).unwrap_or(0))
    }

    /// Signs and broadcasts `msgs` with simulated gas, retrying on sequence mismatches, and
    /// returns the hash once the chain has admitted the transaction to its mempool.
    pub async fn submit(&self, msgs: Vec<Any>, memo: &str) -> Result<String> {
        let mut guard = self.account.lock().await;
        let mut last_error = None;
        for _ in 0..SEQUENCE_RETRIES {
            let account = match *guard {
                Some(a) => a,
                None => self.fetch_account().await?,
            };
            *guard = Some(account);
            let gas = match self.simulate_at(&msgs, memo, account).await {
                Ok(gas) => gas,
                Err(ClientError::Simulation(s)) if sequence_mismatch(s.message()) => {
                    *guard = expected_sequence(s.message()).map(|sequence| AccountState {
                        sequence,
                        ..account
                    });
                    last_error = Some(ClientError::Simulation(s));
                    continue;
                }
                Err(e) => return Err(e),
            };
            let gas_limit = ((gas as f64) * self.config.gas_adjustment).ceil() as u64;
            let gas_limit = gas_limit.max(1);
            let fee = Self::fee_for(gas_limit, self.gas_price_now().await?);
            let bytes = self.sign(&msgs, memo, account, gas_limit, fee)?;
            let response = self.broadcast_raw(bytes).await?;
            if response.code == 0 {
                *guard = Some(AccountState {
                    // Saturating: a node may have named any sequence it liked.
                    sequence: account.sequence.saturating_add(1),
                    ..account
                });
                return Ok(response.txhash);
            }
            let error = ClientError::CheckTx {
                txhash: response.txhash,
                codespace: response.codespace,
                code: response.code,
                log: response.raw_log,
            };
            if error.tx_code() == Some(32) {
                *guard = match &error {
                    ClientError::CheckTx { log, .. } => expected_sequence(log),
                    _ => None,
                }
                .map(|sequence| AccountState {
                    sequence,
                    ..account
                });
                last_error = Some(error);
                continue;
            }
            return Err(error);
        }
        Err(last_error.unwrap_or_else(|| ClientError::Tx("sequence retries exhausted".into())))
    }

    /// Polls `GetTx` until the transaction is in a block.
    pub async fn wait_tx(&self, txhash: &str) -> Result<TxResult> {
        let start = std::time::Instant::now();
        let timeout = Duration::from_millis(self.config.confirm_timeout_ms);
        let mut client = txpb::service_client::ServiceClient::new(self.channel.clone());
        loop {
            match client
                .get_tx(txpb::GetTxRequest {
                    hash: txhash.to_string(),
                })
                .await
            {
                Ok(r) => {
                    let response = r
                        .into_inner()
                        .tx_response
                        .ok_or_else(|| ClientError::Decode("empty tx response".into()))?;
                    if response.code != 0 {
                        // The sequence may not have moved (failed ante): refresh it next time.
                        *self.account.lock().await = None;
                        return Err(ClientError::DeliverTx {
                            txhash: response.txhash,
                            height: response.height,
                            codespace: response.codespace,
                            code: response.code,
                            log: response.raw_log,
                            gas_wanted: response.gas_wanted,
                            gas_used: response.gas_used,
                        });
                    }
                    return Ok(TxResult {
                        txhash: response.txhash.clone(),
                        height: response.height,
                        gas_wanted: response.gas_wanted,
                        gas_used: response.gas_used,
                        response,
                    });
                }
                Err(s) if s.code() == tonic::Code::NotFound => {}
                Err(s) => return Err(s.into()),
            }
            if start.elapsed() > timeout {
                return Err(ClientError::Timeout {
                    txhash: txhash.to_string(),
                    waited: start.elapsed(),
                });
            }
            tokio::time::sleep(Duration::from_millis(self.config.poll_interval_ms)).await;
        }
    }

    /// Submits `msgs` and waits for the block: the full transaction path. A transaction that
    /// ran out of gas changed nothing; when the state moved between simulation and execution
    /// (another transaction in the same block), it is simulated and sent once more.
    pub async fn send(&self, msgs: Vec<Any>, memo: &str) -> Result<TxResult> {
        let hash = self.submit(msgs.clone(), memo).await?;
        match self.wait_tx(&hash).await {
            Err(ClientError::DeliverTx {
                code, codespace, ..
            }) if code == OUT_OF_GAS && codespace == "sdk" => {
                tracing::info!(txhash = %hash, "out of gas after simulation; simulating again");
                let hash = self.submit(msgs, memo).await?;
                self.wait_tx(&hash).await
            }
            other => other,
        }
    }

    fn sender(&self) -> AccountId {
        self.key.address.clone()
    }

    fn coins(&self, funds: &[(u128, &str)]) -> Result<Vec<Coin>> {
        funds
            .iter()
            .map(|(amount, denom)| {
                Ok(Coin {
                    denom: denom.parse().map_err(tx_err)?,
                    amount: *amount,
                })
            })
            .collect()
    }

    /// `MsgStoreCode` of `wasm`, gzipped as wasmd expects uploads (it inflates them; the
    /// transaction is a third of the size and pays for its bytes accordingly); returns the code
    /// id. Bytes already gzipped are sent as they are.
    ///
    /// The chain's checksum of the stored code (the `code_checksum` event, SHA-256 of the
    /// inflated wasm) must be the local one: a node that stored other bytes is an error.
    pub async fn store_code(&self, wasm: Vec<u8>) -> Result<(u64, TxResult)> {
        let local = hex::encode(Sha256::digest(gunzip(&wasm)?.as_deref().unwrap_or(&wasm)));
        let msg = cosmrs::cosmwasm::MsgStoreCode {
            sender: self.sender(),
            wasm_byte_code: gzip(wasm)?,
            instantiate_permission: None,
        }
        .to_any()
        .map_err(tx_err)?;
        let result = self.send(vec![msg], "").await?;
        let id = result
            .require_attr("store_code", "code_id")?
            .parse()
            .map_err(|e| ClientError::Decode(format!("code id: {e}")))?;
        let stored = result.require_attr("store_code", "code_checksum")?;
        if !stored.eq_ignore_ascii_case(&local) {
            return Err(ClientError::Decode(format!(
                "code {id} stored with checksum {stored}, the local wasm's is {local}"
            )));
        }
        Ok((id, result))
    }

    /// The `MsgInstantiateContract` as an `Any` (to batch several in one tx).
    pub fn instantiate_msg<M: Serialize>(
        &self,
        code_id: u64,
        msg: &M,
        label: &str,
        admin: Option<&str>,
        funds: &[(u128, &str)],
    ) -> Result<Any> {
        cosmrs::cosmwasm::MsgInstantiateContract {
            sender: self.sender(),
            admin: admin.map(|a| a.parse()).transpose().map_err(tx_err)?,
            code_id,
            label: Some(label.to_string()),
            msg: serde_json::to_vec(msg)?,
            funds: self.coins(funds)?,
        }
        .to_any()
        .map_err(tx_err)
    }

    /// `MsgInstantiateContract`; returns the new contract's address.
    pub async fn instantiate<M: Serialize>(
        &self,
        code_id: u64,
        msg: &M,
        label: &str,
        admin: Option<&str>,
        funds: &[(u128, &str)],
    ) -> Result<(String, TxResult)> {
        let any = self.instantiate_msg(code_id, msg, label, admin, funds)?;
        let result = self.send(vec![any], "").await?;
        let address = result
            .require_attr("instantiate", "_contract_address")?
            .to_string();
        Ok((address, result))
    }

    /// The `MsgExecuteContract` as an `Any` (to batch several in one tx).
    pub fn execute_msg<M: Serialize>(
        &self,
        contract: &str,
        msg: &M,
        funds: &[(u128, &str)],
    ) -> Result<Any> {
        cosmrs::cosmwasm::MsgExecuteContract {
            sender: self.sender(),
            contract: contract.parse().map_err(tx_err)?,
            msg: serde_json::to_vec(msg)?,
            funds: self.coins(funds)?,
        }
        .to_any()
        .map_err(tx_err)
    }

    /// `MsgExecuteContract`, confirmed.
    pub async fn execute<M: Serialize>(
        &self,
        contract: &str,
        msg: &M,
        funds: &[(u128, &str)],
    ) -> Result<TxResult> {
        let any = self.execute_msg(contract, msg, funds)?;
        self.send(vec![any], "").await
    }

    /// Bank `MsgSend` of the fee denom.
    pub async fn bank_send(&self, to: &str, amount: u128) -> Result<TxResult> {
        let msg = cosmrs::bank::MsgSend {
            from_address: self.sender(),
            to_address: to.parse().map_err(tx_err)?,
            amount: self.coins(&[(amount, self.config.denom.as_str())])?,
        }
        .to_any()
        .map_err(tx_err)?;
        self.send(vec![msg], "").await
    }
}

/// The devnet's dev-only admin service (`loopin.devnet.v1.Admin`); absent on real chains.
pub mod devnet {
    use super::*;

    #[derive(Clone, PartialEq, Message)]
    struct AdvanceTimeRequest {
        #[prost(uint64, tag = "1")]
        seconds: u64,
    }

    /// The block sealed after a fast-forward.
    #[derive(Clone, PartialEq, Message)]
    pub struct AdvanceTimeResponse {
        #[prost(uint64, tag = "1")]
        pub height: u64,
        #[prost(uint64, tag = "2")]
        pub time_unix_nanos: u64,
    }

    #[derive(Clone, PartialEq, Message)]
    struct FundRequest {
        #[prost(string, tag = "1")]
        address: String,
        #[prost(string, tag = "2")]
        amount: String,
    }

    #[derive(Clone, PartialEq, Message)]
    struct FundResponse {}

    async fn unary<Req, Resp>(channel: Channel, path: &'static str, req: Req) -> Result<Resp>
    where
        Req: Message + Send + Sync + 'static,
        Resp: Message + Default + Send + Sync + 'static,
    {
        let mut grpc = tonic::client::Grpc::new(channel);
        grpc.ready()
            .await
            .map_err(|e| tonic::Status::unavailable(e.to_string()))?;
        let codec = tonic::codec::ProstCodec::<Req, Resp>::default();
        let path = tonic::codegen::http::uri::PathAndQuery::from_static(path);
        Ok(grpc
            .unary(tonic::Request::new(req), path, codec)
            .await?
            .into_inner())
    }

    /// Moves the devnet's clock forward by `seconds` and seals a block.
    pub async fn advance_time(channel: Channel, seconds: u64) -> Result<AdvanceTimeResponse> {
        unary(
            channel,
            "/loopin.devnet.v1.Admin/AdvanceTime",
            AdvanceTimeRequest { seconds },
        )
        .await
    }

    /// Mints the fee denom to `address` (the devnet faucet).
    pub async fn fund(channel: Channel, address: &str, amount: u128) -> Result<()> {
        unary::<_, FundResponse>(
            channel,
            "/loopin.devnet.v1.Admin/Fund",
            FundRequest {
                address: address.to_string(),
                amount: amount.to_string(),
            },
        )
        .await
        .map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::expected_sequence;

    #[test]
    fn the_expected_sequence_is_read_from_the_sdk_mismatch_error() {
        let log = "account sequence mismatch, expected 7, got 5: incorrect account sequence";
        assert_eq!(expected_sequence(log), Some(7));
        let simulated = "codespace sdk code 32: account sequence mismatch, expected 12, got 9";
        assert_eq!(expected_sequence(simulated), Some(12));
        assert_eq!(expected_sequence("insufficient fees"), None);
        assert_eq!(
            expected_sequence("account sequence mismatch, expected x"),
            None
        );
    }

    #[cfg(feature = "cli")]
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
            matches!(err, super::ClientError::Config(ref m) if m.contains("/etc/ca.pem")),
            "{err}"
        );
    }
}
