//! The chain: accounts and signatures (the ante handler), the mempool, blocks on a clock, and
//! the state every service reads.
//!
//! | file | responsibility |
//! | --- | --- |
//! | `mod.rs` | the chain, its accounts and balances, blocks and commits |
//! | `tx.rs` | decoding and validating a transaction, its messages |
//! | `ante.rs` | fee, account, sequence and signature; CheckTx |
//! | `deliver.rs` | running a transaction's messages, its result and events; simulation |
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use cosmos_sdk_proto::cosmos::auth::v1beta1::BaseAccount;
use cosmos_sdk_proto::cosmos::base::abci::v1beta1::TxResponse;
use cosmwasm_std::{BlockInfo, Timestamp};
use prost::Message;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::address::{bech32_decode, bech32_encode};
use crate::bank;
use crate::config::Config;
use crate::error::ChainError;
use crate::exec::{Ctx, ExecError, GasMeter, Shared};
use crate::ibc::proof::Prover;
use crate::keys;
use crate::state::State;
use crate::store::Store;
use crate::wasm::Vm;

mod ante;
mod deliver;
mod tx;

pub use tx::{ChainMsg, DecodedTx, tx_hash};

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

fn now_nanos() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
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
    pub fn open(config: Config) -> Result<Self, ChainError> {
        let home: PathBuf = config.home.clone();
        std::fs::create_dir_all(&home)?;
        let store = Store::open(&home.join("chain.redb"))?;
        let vm = Vm::new(
            &home.join("wasm-cache"),
            &config.prefix,
            &config.chain_id,
            Box::new(crate::router::Modules),
        )
        .map_err(ChainError::WasmCache)?;
        let state = State::from_committed(store.load_state()?);
        let ibc_signer =
            crate::ibc::proof::signer_key(config.ibc_signer_hex.as_deref(), &config.chain_id)?;
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
                if stored_chain_id != chain.config.chain_id {
                    return Err(ChainError::OtherChain {
                        home,
                        stored: stored_chain_id,
                        configured: chain.config.chain_id,
                    });
                }
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

    fn genesis(&mut self) -> Result<(), ChainError> {
        self.state.set(
            &keys::meta("chain_id"),
            self.config.chain_id.clone().into_bytes(),
        );
        for account in self.config.accounts.clone() {
            let addr = bech32_decode(&self.config.prefix, &account.address).map_err(|error| {
                ChainError::GenesisAccount {
                    address: account.address.clone(),
                    error,
                }
            })?;
            bank::mint(
                &mut self.state,
                &addr,
                &self.config.denom,
                account.amount.into(),
            )
            .map_err(|error| ChainError::Genesis {
                address: account.address.clone(),
                error,
            })?;
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
    pub fn produce_block(&mut self) -> Result<Header, ChainError> {
        let txs = std::mem::take(&mut self.mempool);
        self.mempool_hashes.clear();
        self.check_sequences.clear();
        let mut results = Vec::with_capacity(txs.len());
        let time = self.next_time();
        for (index, (hash, bytes)) in txs.iter().enumerate() {
            let mut response = self.deliver(bytes, index as u32, false);
            response.timestamp = crate::rfc3339::rfc3339_seconds(time);
            results.push((hash.clone().into_bytes(), response.encode_to_vec()));
        }
        self.verified.clear();
        self.commit_at(results, time)
    }

    fn commit(&mut self, results: Vec<(Vec<u8>, Vec<u8>)>) -> Result<Header, ChainError> {
        let time = self.next_time();
        self.commit_at(results, time)
    }

    fn commit_at(
        &mut self,
        results: Vec<(Vec<u8>, Vec<u8>)>,
        time: u64,
    ) -> Result<Header, ChainError> {
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
