//! The chain: accounts and signatures (the ante handler), the mempool, blocks on a clock, and
//! the state every service reads.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use cosmos_sdk_proto::Any;
use cosmos_sdk_proto::cosmos::auth::v1beta1::BaseAccount;
use cosmos_sdk_proto::cosmos::bank::v1beta1::MsgSend;
use cosmos_sdk_proto::cosmos::base::abci::v1beta1::{TxMsgData, TxResponse};
use cosmos_sdk_proto::cosmos::crypto::secp256k1::PubKey;
use cosmos_sdk_proto::cosmos::tx::signing::v1beta1::SignMode;
use cosmos_sdk_proto::cosmos::tx::v1beta1::{AuthInfo, SignDoc, TxBody, TxRaw, mode_info};
use cosmos_sdk_proto::cosmwasm::wasm::v1 as wasmpb;
use cosmos_sdk_proto::tendermint::abci::{Event as AbciEvent, EventAttribute};
use cosmwasm_std::{Addr, BlockInfo, Coin, Event, Timestamp, Uint128};
use k256::ecdsa::signature::Verifier;
use prost::Message;
use ripemd::Ripemd160;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::address::{bech32_decode, bech32_encode};
use crate::bank;
use crate::config::Config;
use crate::exec::{Ctx, ExecError, GasMeter, MsgOutcome, Shared};
use crate::ibc::IbcTxMsg;
use crate::ibc::proof::Prover;
use crate::keys;
use crate::state::State;
use crate::store::Store;
use crate::wasm::Vm;

/// SDK gas per byte of a transaction (TxSizeCostPerByte).
const TX_SIZE_COST_PER_BYTE: u64 = 10;
/// SDK gas of a secp256k1 signature check (SigVerifyCostSecp256k1).
const SIG_VERIFY_COST: u64 = 1_000;
/// Largest memo accepted (MaxMemoCharacters).
const MAX_MEMO: usize = 256;
/// Address of the fee collector module account's bytes (ADR-028 style, fixed).
const FEE_COLLECTOR: &str = "fee_collector";

/// A committed block's header, as the devnet keeps it.
#[derive(Serialize, Deserialize, Clone, Debug, Default)]
pub struct Header {
    pub height: u64,
    /// Block time, nanoseconds since the Unix epoch.
    pub time_nanos: u64,
    pub app_hash: String,
    pub hash: String,
    pub last_hash: String,
    pub num_txs: u32,
}

/// A transaction's result as committed (what GetTx returns).
pub struct DeliverResult {
    pub response: TxResponse,
}

/// A decoded, signature-checkable transaction.
pub struct DecodedTx {
    pub raw: TxRaw,
    pub body: TxBody,
    pub auth: AuthInfo,
    pub signer: Vec<u8>,
    pub pubkey: Option<Vec<u8>>,
    pub sequence: u64,
    pub gas_limit: u64,
    pub fee: Vec<Coin>,
    pub msgs: Vec<ChainMsg>,
    /// Signed with SIGN_MODE_DIRECT; otherwise SIGN_MODE_UNSPECIFIED, which only a simulation
    /// takes (cosmjs simulates with it and an empty signature, as the SDK allows).
    pub direct: bool,
}

/// The messages the devnet executes.
pub enum ChainMsg {
    StoreCode(wasmpb::MsgStoreCode),
    Instantiate(wasmpb::MsgInstantiateContract),
    Execute(wasmpb::MsgExecuteContract),
    Migrate(wasmpb::MsgMigrateContract),
    Send(MsgSend),
    /// A client, connection, channel, packet or ICS-20 message (`devnet/src/ibc`).
    Ibc(Box<IbcTxMsg>),
}

impl ChainMsg {
    fn decode(any: &Any) -> Result<Self, ExecError> {
        let bad = |e: prost::DecodeError| {
            ExecError::sdk(2, format!("{}: {e}: tx parse error", any.type_url))
        };
        Ok(match any.type_url.as_str() {
            "/cosmwasm.wasm.v1.MsgStoreCode" => {
                Self::StoreCode(Message::decode(&*any.value).map_err(bad)?)
            }
            "/cosmwasm.wasm.v1.MsgInstantiateContract" => {
                Self::Instantiate(Message::decode(&*any.value).map_err(bad)?)
            }
            "/cosmwasm.wasm.v1.MsgExecuteContract" => {
                Self::Execute(Message::decode(&*any.value).map_err(bad)?)
            }
            "/cosmwasm.wasm.v1.MsgMigrateContract" => {
                Self::Migrate(Message::decode(&*any.value).map_err(bad)?)
            }
            "/cosmos.bank.v1beta1.MsgSend" => {
                Self::Send(Message::decode(&*any.value).map_err(bad)?)
            }
            other => match IbcTxMsg::decode(any) {
                Some(Ok(msg)) => Self::Ibc(Box::new(msg)),
                Some(Err(e)) => return Err(bad(e)),
                None => {
                    return Err(ExecError::sdk(
                        2,
                        format!("unable to resolve type URL {other}: tx parse error"),
                    ));
                }
            },
        })
    }

    fn signer(&self) -> &str {
        match self {
            Self::StoreCode(m) => &m.sender,
            Self::Instantiate(m) => &m.sender,
            Self::Execute(m) => &m.sender,
            Self::Migrate(m) => &m.sender,
            Self::Send(m) => &m.from_address,
            Self::Ibc(m) => m.signer(),
        }
    }

    fn type_url(&self) -> &'static str {
        match self {
            Self::StoreCode(_) => "/cosmwasm.wasm.v1.MsgStoreCode",
            Self::Instantiate(_) => "/cosmwasm.wasm.v1.MsgInstantiateContract",
            Self::Execute(_) => "/cosmwasm.wasm.v1.MsgExecuteContract",
            Self::Migrate(_) => "/cosmwasm.wasm.v1.MsgMigrateContract",
            Self::Send(_) => "/cosmos.bank.v1beta1.MsgSend",
            Self::Ibc(m) => m.type_url(),
        }
    }
}

fn coins(protos: &[cosmos_sdk_proto::cosmos::base::v1beta1::Coin]) -> Result<Vec<Coin>, ExecError> {
    protos
        .iter()
        .map(|c| {
            let amount: u128 = c.amount.parse().map_err(|_| {
                ExecError::sdk(10, format!("{}{}: invalid coins", c.amount, c.denom))
            })?;
            if c.denom.is_empty() {
                return Err(ExecError::sdk(10, "empty denom: invalid coins"));
            }
            Ok(Coin::new(Uint128::new(amount), c.denom.clone()))
        })
        .collect()
}

/// The account address of a compressed secp256k1 public key.
pub fn pubkey_address(pubkey: &[u8]) -> Vec<u8> {
    Ripemd160::digest(Sha256::digest(pubkey)).to_vec()
}

fn now_nanos() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

pub fn tx_hash(bytes: &[u8]) -> String {
    hex::encode_upper(Sha256::digest(bytes))
}

fn abci_events(events: &[Event]) -> Vec<AbciEvent> {
    events
        .iter()
        .map(|e| AbciEvent {
            r#type: e.ty.clone(),
            attributes: e
                .attributes
                .iter()
                .map(|a| EventAttribute {
                    key: a.key.clone(),
                    value: a.value.clone(),
                    index: true,
                })
                .collect(),
        })
        .collect()
}

/// Whole seconds only, as the tx service's `timestamp` has it.
fn rfc3339(nanos: u64) -> String {
    crate::rfc3339::rfc3339_nanos(nanos - nanos % 1_000_000_000)
}

/// The whole chain. Not `Sync`: the node wraps it in a mutex.
pub struct Chain {
    pub config: Config,
    state: State,
    store: Store,
    vm: Arc<Vm>,
    header: Header,
    /// Offset added to the wall clock (fast-forward), nanoseconds.
    offset_nanos: u64,
    mempool: Vec<(String, Vec<u8>)>,
    /// Hashes of the mempool's transactions.
    mempool_hashes: HashSet<String>,
    /// Next sequence per account including the mempool (CheckTx state).
    check_sequences: HashMap<Vec<u8>, u64>,
    /// Signatures verified since the last block: tx hash -> (public key, account number).
    verified: HashMap<String, (Vec<u8>, u64)>,
    /// The key that proves this chain's IBC state to counterparties (docs/devnet.md, "IBC").
    ibc_signer: k256::ecdsa::SigningKey,
}

impl Chain {
    /// Opens the chain at `config.home`, applying genesis on first start.
    pub fn open(config: Config) -> anyhow::Result<Self> {
        let home: PathBuf = config.home.clone();
        std::fs::create_dir_all(&home)?;
        let store = Store::open(&home.join("chain.redb"))?;
        let vm = Vm::new(
            &home.join("wasm-cache"),
            &config.prefix,
            &config.chain_id,
            Box::new(crate::router::Modules),
        )
        .map_err(|e| anyhow::anyhow!("wasm cache: {e}"))?;
        let state = State::from_committed(store.load_state()?);
        let ibc_signer =
            crate::ibc::proof::signer_key(config.ibc_signer_hex.as_deref(), &config.chain_id)
                .map_err(|e| anyhow::anyhow!(e))?;
        let mut chain = Self {
            config,
            state,
            store,
            vm: Arc::new(vm),
            header: Header::default(),
            offset_nanos: 0,
            mempool: Vec::new(),
            mempool_hashes: HashSet::new(),
            check_sequences: HashMap::new(),
            verified: HashMap::new(),
            ibc_signer,
        };
        match chain.state.get(&keys::meta("header")) {
            Some(bytes) => {
                chain.header = serde_json::from_slice(&bytes)?;
                let stored_chain_id = chain
                    .state
                    .get(&keys::meta("chain_id"))
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
                    .unwrap_or_default();
                anyhow::ensure!(
                    stored_chain_id == chain.config.chain_id,
                    "the store at {} belongs to chain {stored_chain_id}, not {}",
                    home.display(),
                    chain.config.chain_id
                );
                chain.offset_nanos = chain
                    .state
                    .get(&keys::meta("offset"))
                    .and_then(|b| b.try_into().ok())
                    .map(u64::from_be_bytes)
                    .unwrap_or(0);
            }
            None => chain.genesis()?,
        }
        Ok(chain)
    }

    fn genesis(&mut self) -> anyhow::Result<()> {
        self.state.set(
            &keys::meta("chain_id"),
            self.config.chain_id.clone().into_bytes(),
        );
        for account in self.config.accounts.clone() {
            let addr = bech32_decode(&self.config.prefix, &account.address)
                .map_err(|e| anyhow::anyhow!("genesis account: {e}"))?;
            bank::mint(
                &mut self.state,
                &addr,
                &self.config.denom,
                account.amount.into(),
            )
            .map_err(|e| anyhow::anyhow!("genesis: {e}"))?;
            self.ensure_account(&addr);
        }
        self.commit(Vec::new())?;
        Ok(())
    }

    pub fn header(&self) -> &Header {
        &self.header
    }

    pub fn vm(&self) -> &Arc<Vm> {
        &self.vm
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The state as of the last committed block (plus dev-only faucet and clock writes):
    /// read it with `ibc::store`'s accessors, for instance.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// The IBC signer key.
    pub fn ibc_signer(&self) -> &k256::ecdsa::SigningKey {
        &self.ibc_signer
    }

    /// Proofs of the IBC state at the latest committed block.
    pub fn ibc_prover(&self) -> Prover<'_> {
        Prover {
            key: &self.ibc_signer,
            chain_id: &self.config.chain_id,
            height: self.header.height,
            time_nanos: self.header.time_nanos,
        }
    }

    pub fn block_info(&self) -> BlockInfo {
        BlockInfo {
            height: self.header.height,
            time: Timestamp::from_nanos(self.header.time_nanos),
            chain_id: self.config.chain_id.clone(),
        }
    }

    /// Runs `f` with the state moved into a shared execution context.
    pub fn with_ctx<R>(
        &mut self,
        block: BlockInfo,
        tx_index: Option<u32>,
        gas_limit: u64,
        f: impl FnOnce(&Shared, &Arc<Vm>) -> R,
    ) -> (R, GasMeter) {
        let ctx: Shared = Rc::new(RefCell::new(Ctx {
            state: std::mem::take(&mut self.state),
            block,
            tx_index,
            gas: GasMeter::new(gas_limit),
            prefix: self.config.prefix.clone(),
        }));
        let result = f(&ctx, &self.vm);
        let mut c = ctx.borrow_mut();
        self.state = std::mem::take(&mut c.state);
        (result, c.gas)
    }

    /// Read-only access for queries: every layer opened inside is discarded.
    pub fn query<R>(&mut self, f: impl FnOnce(&Shared, &Arc<Vm>) -> R) -> R {
        let block = self.block_info();
        self.state.push();
        let (r, _) = self.with_ctx(block, None, u64::MAX, f);
        while self.state.depth() > 0 {
            self.state.discard();
        }
        r
    }

    pub fn addr_string(&self, bytes: &[u8]) -> String {
        bech32_encode(&self.config.prefix, bytes).unwrap_or_default()
    }

    pub fn account(&self, addr: &[u8]) -> Option<BaseAccount> {
        self.state
            .get(&keys::account(addr))
            .and_then(|b| BaseAccount::decode(&*b).ok())
    }

    fn ensure_account(&mut self, addr: &[u8]) -> BaseAccount {
        if let Some(acc) = self.account(addr) {
            return acc;
        }
        let key = keys::meta("account_number");
        let number = self
            .state
            .get(&key)
            .and_then(|b| b.try_into().ok())
            .map(u64::from_be_bytes)
            .unwrap_or(0);
        self.state.set(&key, (number + 1).to_be_bytes().to_vec());
        let acc = BaseAccount {
            address: self.addr_string(addr),
            pub_key: None,
            account_number: number,
            sequence: 0,
        };
        self.state.set(&keys::account(addr), acc.encode_to_vec());
        acc
    }

    pub fn balance(&self, addr: &[u8], denom: &str) -> u128 {
        bank::balance(&self.state, addr, denom)
    }

    pub fn all_balances(&self, addr: &[u8]) -> Vec<(String, u128)> {
        bank::all_balances(&self.state, addr)
    }

    /// Dev-only: mints native tokens to `addr` (the faucet), effective at once.
    pub fn fund(&mut self, addr: &[u8], amount: u128) -> Result<(), ExecError> {
        let denom = self.config.denom.clone();
        bank::mint(&mut self.state, addr, &denom, amount)?;
        self.ensure_account(addr);
        Ok(())
    }

    /// Decodes and statelessly validates a transaction.
    pub fn decode_tx(&self, bytes: &[u8]) -> Result<DecodedTx, ExecError> {
        let parse = |what: &str, e: prost::DecodeError| {
            ExecError::sdk(2, format!("{what}: {e}: tx parse error"))
        };
        if bytes.is_empty() {
            return Err(ExecError::sdk(2, "tx bytes are empty: tx parse error"));
        }
        let raw = TxRaw::decode(bytes).map_err(|e| parse("tx", e))?;
        let body = TxBody::decode(&*raw.body_bytes).map_err(|e| parse("body", e))?;
        let auth = AuthInfo::decode(&*raw.auth_info_bytes).map_err(|e| parse("auth info", e))?;
        if body.messages.is_empty() {
            return Err(ExecError::sdk(
                18,
                "must contain at least one message: invalid request",
            ));
        }
        if body.memo.len() > MAX_MEMO {
            return Err(ExecError::sdk(
                12,
                format!(
                    "maximum number of characters is {MAX_MEMO} but received {} characters: memo too large",
                    body.memo.len()
                ),
            ));
        }
        if !body.extension_options.is_empty() || !body.non_critical_extension_options.is_empty() {
            return Err(ExecError::sdk(
                18,
                "extension options are not supported: invalid request",
            ));
        }
        let [signer_info] = auth.signer_infos.as_slice() else {
            return Err(ExecError::sdk(
                15,
                format!(
                    "the devnet takes exactly one signer, got {}: no signatures supplied",
                    auth.signer_infos.len()
                ),
            ));
        };
        let single_mode = match signer_info.mode_info.as_ref().and_then(|m| m.sum.as_ref()) {
            Some(mode_info::Sum::Single(s)) => Some(s.mode),
            _ => None,
        };
        let direct = single_mode == Some(SignMode::Direct as i32);
        if !direct && single_mode != Some(SignMode::Unspecified as i32) {
            return Err(only_direct());
        }
        let pubkey = match &signer_info.public_key {
            None => None,
            Some(any) if any.type_url == "/cosmos.crypto.secp256k1.PubKey" => Some(
                PubKey::decode(&*any.value)
                    .map_err(|e| ExecError::sdk(8, format!("{e}: invalid pubkey")))?
                    .key,
            ),
            Some(any) => {
                return Err(ExecError::sdk(
                    8,
                    format!("unsupported key type {}: invalid pubkey", any.type_url),
                ));
            }
        };
        let msgs = body
            .messages
            .iter()
            .map(ChainMsg::decode)
            .collect::<Result<Vec<_>, _>>()?;
        let signer = bech32_decode(&self.config.prefix, msgs[0].signer())
            .map_err(|e| ExecError::sdk(7, format!("{e}: invalid address")))?;
        if msgs.iter().any(|m| m.signer() != msgs[0].signer()) {
            return Err(ExecError::sdk(
                4,
                "every message must have the same signer on the devnet: unauthorized",
            ));
        }
        if let Some(pk) = &pubkey
            && pubkey_address(pk) != signer
        {
            return Err(ExecError::sdk(
                8,
                "pubKey does not match signer address: invalid pubkey",
            ));
        }
        let fee = auth.fee.clone().unwrap_or_default();
        Ok(DecodedTx {
            sequence: signer_info.sequence,
            gas_limit: fee.gas_limit,
            fee: coins(&fee.amount)?,
            raw,
            body,
            auth,
            signer,
            pubkey,
            msgs,
            direct,
        })
    }

    fn required_fee(&self, gas_limit: u64) -> u128 {
        let price = self.config.min_gas_price;
        (gas_limit as f64 * price).ceil() as u128
    }

    /// Checks the tx's one signature over its `SignDoc` (this chain's id, `account_number`) with
    /// `pubkey`. A tx whose signature CheckTx verified with the same key and account number is
    /// not verified again in DeliverTx: the hash covers the body, auth info and signature, so
    /// the answer cannot differ.
    fn verify_signature(
        &mut self,
        tx: &DecodedTx,
        hash: &str,
        pubkey: &[u8],
        account_number: u64,
    ) -> Result<(), ExecError> {
        if self
            .verified
            .get(hash)
            .is_some_and(|(key, number)| key == pubkey && *number == account_number)
        {
            return Ok(());
        }
        let doc = SignDoc {
            body_bytes: tx.raw.body_bytes.clone(),
            auth_info_bytes: tx.raw.auth_info_bytes.clone(),
            chain_id: self.config.chain_id.clone(),
            account_number,
        };
        let valid = tx.raw.signatures.len() == 1
            && k256::ecdsa::VerifyingKey::from_sec1_bytes(pubkey)
                .ok()
                .zip(k256::ecdsa::Signature::from_slice(&tx.raw.signatures[0]).ok())
                .is_some_and(|(key, sig)| {
                    sig.normalize_s().is_none() && key.verify(&doc.encode_to_vec(), &sig).is_ok()
                });
        if !valid {
            return Err(ExecError::sdk(
                4,
                format!(
                    "signature verification failed; please verify account number ({account_number}) and chain-id ({}): unauthorized",
                    self.config.chain_id
                ),
            ));
        }
        self.verified
            .insert(hash.to_string(), (pubkey.to_vec(), account_number));
        Ok(())
    }

    /// The ante handler: fee, account, sequence and signature. Writes (fee, sequence, public
    /// key) go to the state's current layer. `expected` overrides the stored sequence (CheckTx).
    /// `checked` is the tx's hash when fee and signature are checked (CheckTx, DeliverTx), `None`
    /// when simulating.
    fn ante(
        &mut self,
        tx: &DecodedTx,
        tx_len: usize,
        checked: Option<&str>,
        expected: Option<u64>,
        meter: &mut GasMeter,
    ) -> Result<(), ExecError> {
        if checked.is_some() && !tx.direct {
            return Err(only_direct());
        }
        if tx.body.timeout_height != 0 && tx.body.timeout_height < self.header.height + 1 {
            return Err(ExecError::sdk(
                30,
                format!(
                    "block height: {}, timeout height: {}: tx timeout height",
                    self.header.height + 1,
                    tx.body.timeout_height
                ),
            ));
        }
        if tx.gas_limit > self.config.max_tx_gas {
            return Err(ExecError::sdk(
                18,
                format!(
                    "gas limit {} above the block maximum {}: invalid request",
                    tx.gas_limit, self.config.max_tx_gas
                ),
            ));
        }
        let denom = self.config.denom.clone();
        let required = self.required_fee(tx.gas_limit);
        let paid: u128 = tx
            .fee
            .iter()
            .filter(|c| c.denom == denom)
            .map(|c| c.amount.u128())
            .sum();
        if checked.is_some() && paid < required {
            return Err(ExecError::sdk(
                13,
                format!(
                    "insufficient fees; got: {paid}{denom} required: {required}{denom}: insufficient fee"
                ),
            ));
        }
        meter.consume(TX_SIZE_COST_PER_BYTE * tx_len as u64)?;
        let mut account = self.account(&tx.signer).ok_or_else(|| {
            ExecError::sdk(
                9,
                format!(
                    "account {} not found: unknown address",
                    self.addr_string(&tx.signer)
                ),
            )
        })?;
        let stored_key = account
            .pub_key
            .as_ref()
            .and_then(|any| PubKey::decode(&*any.value).ok())
            .map(|pk| pk.key);
        let pubkey = match (&stored_key, &tx.pubkey) {
            (Some(stored), Some(given)) if stored != given => {
                return Err(ExecError::sdk(
                    8,
                    "pubKey does not match the account's: invalid pubkey",
                ));
            }
            (Some(stored), _) => stored.clone(),
            (None, Some(given)) => given.clone(),
            (None, None) => {
                return Err(ExecError::sdk(
                    8,
                    "pubkey on account is not set: invalid pubkey",
                ));
            }
        };
        let expected_seq = expected.unwrap_or(account.sequence);
        if tx.sequence != expected_seq {
            return Err(ExecError::sdk(
                32,
                format!(
                    "account sequence mismatch, expected {expected_seq}, got {}: incorrect account sequence",
                    tx.sequence
                ),
            ));
        }
        meter.consume(SIG_VERIFY_COST)?;
        if let Some(hash) = checked {
            self.verify_signature(tx, hash, &pubkey, account.account_number)?;
        }
        if paid > 0 {
            let collector = pubkey_address(FEE_COLLECTOR.as_bytes());
            for coin in &tx.fee {
                bank::transfer(
                    &mut self.state,
                    &tx.signer,
                    &collector,
                    &coin.denom,
                    coin.amount.u128(),
                    &account.address,
                )
                .map_err(|e| {
                    ExecError::sdk(
                        5,
                        format!(
                            "{}: insufficient funds",
                            e.log.trim_end_matches(": insufficient funds")
                        ),
                    )
                })?;
            }
        }
        account.sequence += 1;
        if stored_key.is_none() {
            account.pub_key = Some(Any {
                type_url: "/cosmos.crypto.secp256k1.PubKey".into(),
                value: PubKey { key: pubkey }.encode_to_vec(),
            });
        }
        self.state
            .set(&keys::account(&tx.signer), account.encode_to_vec());
        Ok(())
    }

    /// CheckTx: admits a transaction to the mempool or says why not. Returns its hash.
    pub fn check_tx(&mut self, bytes: Vec<u8>) -> Result<String, ExecError> {
        let hash = tx_hash(&bytes);
        if self.mempool_hashes.contains(&hash) {
            return Err(ExecError::sdk(19, "tx already in mempool"));
        }
        if let Ok(Some(_)) = self.store.tx(hash.as_bytes()) {
            return Err(ExecError::sdk(19, "tx already exists in cache"));
        }
        let tx = self.decode_tx(&bytes)?;
        let expected = self.check_sequences.get(&tx.signer).copied();
        let mut meter = GasMeter::new(tx.gas_limit);
        self.state.push();
        let result = self.ante(&tx, bytes.len(), Some(&hash), expected, &mut meter);
        self.state.discard();
        result?;
        self.check_sequences
            .insert(tx.signer.clone(), tx.sequence + 1);
        self.mempool_hashes.insert(hash.clone());
        self.mempool.push((hash.clone(), bytes));
        Ok(hash)
    }

    /// Runs a transaction's messages in `ctx`, each in its own layer.
    fn run_msgs(ctx: &Shared, vm: &Arc<Vm>, tx: &DecodedTx) -> Result<MsgOutcome, ExecError> {
        let mut all = MsgOutcome::default();
        for msg in &tx.msgs {
            let sender = Addr::unchecked(msg.signer());
            all.events.push(
                Event::new("message")
                    .add_attribute("action", msg.type_url())
                    .add_attribute("sender", sender.as_str())
                    .add_attribute(
                        "module",
                        match msg {
                            ChainMsg::Send(_) => "bank",
                            ChainMsg::Ibc(m) => m.module(),
                            _ => "wasm",
                        },
                    ),
            );
            let outcome = match msg {
                ChainMsg::StoreCode(m) => {
                    let (id, checksum) = vm.store_code(ctx, &sender, &m.wasm_byte_code)?;
                    let response = wasmpb::MsgStoreCodeResponse {
                        code_id: id,
                        checksum: checksum.as_slice().to_vec(),
                    }
                    .encode_to_vec();
                    MsgOutcome {
                        events: vec![
                            Event::new("store_code")
                                .add_attribute("code_checksum", checksum.to_hex())
                                .add_attribute("code_id", id.to_string()),
                        ],
                        data: None,
                        msg_responses: vec![cosmwasm_std::MsgResponse {
                            type_url: "/cosmwasm.wasm.v1.MsgStoreCodeResponse".into(),
                            value: response.into(),
                        }],
                    }
                }
                ChainMsg::Instantiate(m) => {
                    let admin = (!m.admin.is_empty()).then(|| m.admin.clone());
                    vm.instantiate(
                        ctx,
                        &sender,
                        m.code_id,
                        admin,
                        &m.label,
                        &m.msg,
                        &coins(&m.funds)?,
                        0,
                    )?
                    .1
                }
                ChainMsg::Execute(m) => vm.execute(
                    ctx,
                    &sender,
                    &Addr::unchecked(m.contract.clone()),
                    &m.msg,
                    &coins(&m.funds)?,
                    0,
                )?,
                ChainMsg::Migrate(m) => vm.migrate(
                    ctx,
                    &sender,
                    &Addr::unchecked(m.contract.clone()),
                    m.code_id,
                    &m.msg,
                    0,
                )?,
                ChainMsg::Ibc(m) => crate::ibc::execute(ctx, vm, m)?,
                ChainMsg::Send(m) => {
                    vm.canonical(&m.to_address)?;
                    let events = crate::bank::send_coins(
                        ctx,
                        vm.prefix(),
                        &sender,
                        &Addr::unchecked(m.to_address.clone()),
                        &coins(&m.amount)?,
                    )?;
                    MsgOutcome {
                        events,
                        data: None,
                        msg_responses: vec![cosmwasm_std::MsgResponse {
                            type_url: "/cosmos.bank.v1beta1.MsgSendResponse".into(),
                            value: Default::default(),
                        }],
                    }
                }
            };
            all.events.extend(outcome.events);
            all.msg_responses.extend(outcome.msg_responses);
        }
        Ok(all)
    }

    /// Executes a transaction against the current state (DeliverTx when `simulate` is false).
    /// Returns the ABCI-style result. Ante writes persist even when a message fails; message
    /// writes only when all succeed.
    fn deliver(&mut self, bytes: &[u8], tx_index: u32, simulate: bool) -> TxResponse {
        let hash = tx_hash(bytes);
        // The transaction as it was sent (a `TxRaw`, which decodes as a `Tx`), failed or not:
        // CometBFT's RPC serves these bytes, whose SHA-256 is the hash.
        let mut response = TxResponse {
            txhash: hash.clone(),
            height: (self.header.height + 1) as i64,
            tx: Some(Any {
                type_url: "/cosmos.tx.v1beta1.Tx".into(),
                value: bytes.to_vec(),
            }),
            ..TxResponse::default()
        };
        let tx = match self.decode_tx(bytes) {
            Ok(tx) => tx,
            Err(e) => return fail(response, e),
        };
        let gas_limit = if simulate { u64::MAX / 2 } else { tx.gas_limit };
        response.gas_wanted = tx.gas_limit as i64;
        let mut meter = GasMeter::new(gas_limit);
        let expected = if simulate {
            self.check_sequences.get(&tx.signer).copied()
        } else {
            None
        };
        let checked = (!simulate).then_some(hash.as_str());
        if let Err(e) = self.ante(&tx, bytes.len(), checked, expected, &mut meter) {
            response.gas_used = meter.used as i64;
            return fail(response, e);
        }
        let mut block = self.block_info();
        block.height += 1;
        if !simulate {
            block.time = Timestamp::from_nanos(self.next_time());
        }
        let used_before = meter.used;
        self.state.push();
        let (result, after) = self.with_ctx(block, Some(tx_index), gas_limit, |ctx, vm| {
            ctx.borrow_mut().gas.used = used_before;
            Self::run_msgs(ctx, vm, &tx)
        });
        response.gas_used = after.used.min(after.limit) as i64;
        match result {
            Ok(outcome) => {
                self.state.merge();
                response.events = abci_events(&outcome.events);
                response.data = hex::encode_upper(
                    TxMsgData {
                        #[allow(deprecated)]
                        data: vec![],
                        msg_responses: outcome
                            .msg_responses
                            .iter()
                            .map(|r| Any {
                                type_url: r.type_url.clone(),
                                value: r.value.to_vec(),
                            })
                            .collect(),
                    }
                    .encode_to_vec(),
                );
                response
            }
            Err(e) => {
                self.state.discard();
                fail(response, e)
            }
        }
    }

    /// Simulates a transaction on the current state without keeping anything.
    pub fn simulate(&mut self, bytes: &[u8]) -> Result<TxResponse, ExecError> {
        self.state.push();
        let response = self.deliver(bytes, 0, true);
        while self.state.depth() > 0 {
            self.state.discard();
        }
        if response.code != 0 {
            let codespace = match response.codespace.as_str() {
                "wasm" => "wasm",
                crate::ibc::error::CODESPACE => crate::ibc::error::CODESPACE,
                _ => "sdk",
            };
            return Err(ExecError::new(codespace, response.code, response.raw_log));
        }
        Ok(response)
    }

    fn next_time(&self) -> u64 {
        (now_nanos().saturating_add(self.offset_nanos)).max(self.header.time_nanos + 1_000_000)
    }

    /// Dev-only: moves the clock forward by `seconds` (epochs pass at once).
    pub fn advance_time(&mut self, seconds: u64) {
        self.offset_nanos = self
            .offset_nanos
            .saturating_add(seconds.saturating_mul(1_000_000_000));
        self.state.set(
            &keys::meta("offset"),
            self.offset_nanos.to_be_bytes().to_vec(),
        );
    }

    /// Produces one block with every mempool transaction, persists it and returns its header.
    pub fn produce_block(&mut self) -> anyhow::Result<Header> {
        let txs = std::mem::take(&mut self.mempool);
        self.mempool_hashes.clear();
        self.check_sequences.clear();
        let mut results = Vec::with_capacity(txs.len());
        let time = self.next_time();
        for (index, (hash, bytes)) in txs.iter().enumerate() {
            let mut response = self.deliver(bytes, index as u32, false);
            response.timestamp = rfc3339(time);
            results.push((hash.clone().into_bytes(), response.encode_to_vec()));
        }
        self.verified.clear();
        self.commit_at(results, time)
    }

    fn commit(&mut self, results: Vec<(Vec<u8>, Vec<u8>)>) -> anyhow::Result<Header> {
        let time = self.next_time();
        self.commit_at(results, time)
    }

    fn commit_at(&mut self, results: Vec<(Vec<u8>, Vec<u8>)>, time: u64) -> anyhow::Result<Header> {
        let mut header = Header {
            height: self.header.height + 1,
            time_nanos: time,
            last_hash: self.header.hash.clone(),
            num_txs: results.len() as u32,
            ..Header::default()
        };
        // The app hash chains the previous one with this block's writes.
        let mut writes = self.state.take_dirty();
        let mut hasher = Sha256::new();
        hasher.update(self.header.app_hash.as_bytes());
        for (k, v) in &writes {
            hasher.update((k.len() as u64).to_be_bytes());
            hasher.update(k);
            match v {
                Some(v) => {
                    hasher.update([1]);
                    hasher.update((v.len() as u64).to_be_bytes());
                    hasher.update(v);
                }
                None => hasher.update([0]),
            }
        }
        header.app_hash = hex::encode_upper(hasher.finalize());
        header.hash = hex::encode_upper(Sha256::digest(serde_json::to_vec(&header)?));
        let header_bytes = serde_json::to_vec(&header)?;
        writes.insert(keys::meta("header"), Some(header_bytes.clone()));
        self.state.set(&keys::meta("header"), header_bytes.clone());
        self.state.take_dirty();
        self.store
            .commit_block(&writes, header.height, &header_bytes, &results)?;
        self.header = header.clone();
        Ok(header)
    }

    pub fn mempool_len(&self) -> usize {
        self.mempool.len()
    }

    pub fn home(&self) -> &Path {
        &self.config.home
    }
}

fn only_direct() -> ExecError {
    ExecError::sdk(18, "only SIGN_MODE_DIRECT is supported: invalid request")
}

fn fail(mut response: TxResponse, e: ExecError) -> TxResponse {
    response.code = e.code;
    response.codespace = e.codespace.to_string();
    response.raw_log = e.log;
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_formats() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(
            rfc3339(1_700_000_000 * 1_000_000_000),
            "2023-11-14T22:13:20Z"
        );
    }
}
