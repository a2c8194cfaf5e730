//! The wasm module: stores code, instantiates and executes contracts in cosmwasm-vm with gas
//! metering, dispatches their messages and submessages with replies, and answers their queries.
//! What a contract sends or asks beyond the wasm module (bank, IBC) goes through the chain's
//! [`Router`], so this module never names the modules that call it.
//!
//! Gas follows wasmd's model in Cosmos SDK gas units: wasm execution costs VM gas / 140,000, every
//! contract instance costs 60,000, storage reads and writes cost what the SDK's KV store charges
//! (read 1,000 + 3/byte, write 2,000 + 30/byte, delete 1,000, iterator step 30 + 3/byte) and an
//! upload costs 3 per byte.
//!
//! | file | responsibility |
//! | --- | --- |
//! | `mod.rs` | the VM, its settings, the records it keeps, the [`Router`] it calls out through |
//! | `backend.rs` | one instance's address API, metered storage and querier |
//! | `instance.rs` | making an instance and running one entry point, gas charged |
//! | `code.rs` | uploads: inflate, check, compile, store |
//! | `contract.rs` | instantiate, execute, migrate, admin changes, and wasm messages |
//! | `response.rs` | a contract's response: events, submessages and replies |
//! | `query.rs` | smart, raw and info queries |

use std::collections::{HashMap, HashSet};
use std::path::Path;

use cosmwasm_std::{
    Addr, Binary, Checksum, ContractResult, CosmosMsg, Empty, QueryRequest, SystemResult,
};
use cosmwasm_vm::{Cache, CacheOptions, Size, VmError};
use serde::{Deserialize, Serialize};
use std::sync::{Arc, Mutex};

use crate::address::{bech32_encode, canonical};
use crate::exec::{ExecError, MsgOutcome, Shared};
use crate::keys;

mod backend;
mod code;
mod contract;
mod instance;
mod query;
mod response;

pub use backend::{Api, ChainQuerier, ContractStorage};
pub use code::MAX_WASM_SIZE;

/// Gas limit of a smart query served over gRPC (wasmd's default), SDK gas.
pub const QUERY_GAS_LIMIT: u64 = 3_000_000;
/// Capabilities of a wasmd 0.5x chain (CosmWasm 2.2), as scripts/build-contracts.sh checks.
pub const CAPABILITIES: &str = "iterator,staking,stargate,cosmwasm_1_1,cosmwasm_1_2,cosmwasm_1_3,cosmwasm_1_4,cosmwasm_2_0,cosmwasm_2_1,cosmwasm_2_2";
/// How deep contracts may call each other.
const MAX_DEPTH: usize = 10;
/// The IBC port prefix of a contract that exports the IBC entry points: `wasm.{address}`.
pub const WASM_PORT_PREFIX: &str = "wasm.";

/// A contract instance on the devnet's backend.
pub type ContractInstance = cosmwasm_vm::Instance<Api, ContractStorage, ChainQuerier>;

/// Stored code: its checksum and uploader.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct CodeInfo {
    pub checksum: String,
    pub creator: String,
}

/// A contract instance's metadata.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct ContractMeta {
    pub code_id: u64,
    pub creator: String,
    pub admin: Option<String>,
    pub label: String,
    pub created_height: u64,
}

/// The compiled-module cache and the chain's wasm settings.
pub struct Vm {
    cache: Cache<Api, ContractStorage, ChainQuerier>,
    /// Codes pinned in the cache's in-memory module cache (see [`Vm::ensure_module`]).
    pinned: Mutex<HashSet<Checksum>>,
    /// Whether a code exports the IBC entry points (static analysis, once per code).
    ibc_codes: Mutex<HashMap<Checksum, bool>>,
    prefix: String,
    chain_id: String,
    /// Where messages and queries the VM does not answer itself go.
    router: Box<dyn Router>,
}

/// Dispatches what contracts send and ask, the way cw-multi-test's `CosmosRouter` does: the
/// chain's implementation (`crate::router`) hands bank messages to the bank, wasm messages back
/// to the [`Vm`] and IBC messages to the IBC host. The VM calls every submessage and every
/// contract query through it.
pub trait Router: Send + Sync {
    /// Runs `msg`, sent by `sender`, at contract call depth `depth`.
    fn execute(
        &self,
        vm: &Arc<Vm>,
        ctx: &Shared,
        sender: &Addr,
        msg: CosmosMsg,
        depth: usize,
    ) -> Result<MsgOutcome, ExecError>;

    /// Answers `request`, asked by the contract `caller`, within `gas_limit` VM gas: the answer
    /// and the VM gas it used.
    fn query(
        &self,
        vm: &Arc<Vm>,
        ctx: &Shared,
        caller: &Addr,
        request: &QueryRequest<Empty>,
        gas_limit: u64,
        depth: usize,
    ) -> (SystemResult<ContractResult<Binary>>, u64);
}

impl Vm {
    /// Opens the module cache under `dir` (compiled modules persist there); `router` dispatches
    /// what contracts send and ask.
    pub fn new(
        dir: &Path,
        prefix: &str,
        chain_id: &str,
        router: Box<dyn Router>,
    ) -> Result<Self, VmError> {
        let capabilities: HashSet<String> = CAPABILITIES.split(',').map(str::to_string).collect();
        let options = CacheOptions::new(dir, capabilities, Size::mebi(256), Size::mebi(32));
        // SAFETY: the cache directory is the devnet's own, written only by this cache.
        let cache = unsafe { Cache::new(options) }?;
        Ok(Self {
            cache,
            pinned: Mutex::new(HashSet::new()),
            ibc_codes: Mutex::new(HashMap::new()),
            prefix: prefix.to_string(),
            chain_id: chain_id.to_string(),
            router,
        })
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    pub fn addr(&self, bytes: &[u8]) -> Result<Addr, ExecError> {
        bech32_encode(&self.prefix, bytes)
            .map(Addr::unchecked)
            .map_err(|e| ExecError::sdk(7, e.to_string()))
    }

    pub fn canonical(&self, addr: &str) -> Result<Vec<u8>, ExecError> {
        canonical(&self.prefix, addr)
    }

    fn checksum_of(&self, ctx: &Shared, code_id: u64) -> Result<Checksum, ExecError> {
        let info: CodeInfo = ctx
            .borrow()
            .state
            .get(&keys::code(code_id))
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or_else(|| ExecError::wasm(8, format!("code id {code_id}: not found")))?;
        Checksum::from_hex(&info.checksum).map_err(|e| ExecError::wasm(14, e.to_string()))
    }

    pub fn contract_meta(&self, ctx: &Shared, addr: &[u8]) -> Option<ContractMeta> {
        ctx.borrow()
            .state
            .get(&keys::contract(addr))
            .and_then(|b| serde_json::from_slice(&b).ok())
    }

    pub fn chain_id(&self) -> &str {
        &self.chain_id
    }
}
