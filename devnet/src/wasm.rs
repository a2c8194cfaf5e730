//! The wasm module: stores code, instantiates and executes contracts in cosmwasm-vm with gas
//! metering, dispatches their messages (bank sends, wasm instantiate/execute/migrate) and
//! submessages with replies, and answers their queries.
//!
//! Gas follows wasmd's model in Cosmos SDK gas units: wasm execution costs VM gas / 140,000, every
//! contract instance costs 60,000, storage reads and writes cost what the SDK's KV store charges
//! (read 1,000 + 3/byte, write 2,000 + 30/byte, delete 1,000, iterator step 30 + 3/byte) and an
//! upload costs 3 per byte.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::rc::Rc;
use std::sync::{Arc, Mutex};

use cosmos_sdk_proto::cosmwasm::wasm::v1 as wasmpb;
use cosmwasm_std::{
    Addr, BankMsg, BankQuery, Binary, BlockInfo, Checksum, Coin, ContractResult, CosmosMsg, Empty,
    Env, Event, MessageInfo, MsgResponse, Order, QueryRequest, Record, Reply, ReplyOn, Response,
    SubMsg, SubMsgResponse, SubMsgResult, SystemError, SystemResult, TransactionInfo, WasmMsg,
    WasmQuery,
};
use cosmwasm_vm::{
    Backend, BackendApi, BackendError, BackendResult, Cache, CacheOptions, GasInfo,
    InstanceOptions, Querier, Size, Storage, VmError, call_execute, call_instantiate, call_migrate,
    call_query, call_reply,
};
use prost::Message;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::bank;
use crate::keys;
use crate::state::{State, prefix_end};

/// Gas limit of a smart query served over gRPC (wasmd's default), SDK gas.
pub const QUERY_GAS_LIMIT: u64 = 3_000_000;
/// Capabilities of a wasmd 0.5x chain (CosmWasm 2.2), as scripts/build-contracts.sh checks.
pub const CAPABILITIES: &str = "iterator,staking,stargate,cosmwasm_1_1,cosmwasm_1_2,cosmwasm_1_3,cosmwasm_1_4,cosmwasm_2_0,cosmwasm_2_1,cosmwasm_2_2";
/// How deep contracts may call each other.
const MAX_DEPTH: usize = 10;

// wasmd's and the SDK's gas model, shared with the gas report.
pub use loopin_sdk_gas::{COMPILE_COST_PER_BYTE, GAS_MULTIPLIER, INSTANCE_COST};
pub(crate) use loopin_sdk_gas::{
    DELETE_FLAT, ITER_FLAT, READ_FLAT, READ_PER_BYTE, WRITE_FLAT, WRITE_PER_BYTE, vm_gas,
};

/// What a failed message reports: an ABCI code in a codespace and a log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{log}")]
pub struct ExecError {
    pub codespace: &'static str,
    pub code: u32,
    pub log: String,
}

impl ExecError {
    pub fn new(codespace: &'static str, code: u32, log: impl Into<String>) -> Self {
        Self {
            codespace,
            code,
            log: log.into(),
        }
    }
    pub fn sdk(code: u32, log: impl Into<String>) -> Self {
        Self::new("sdk", code, log)
    }
    pub fn out_of_gas(limit: u64, used: u64) -> Self {
        Self::sdk(
            11,
            format!("out of gas; gasWanted: {limit}, gasUsed: {used}: out of gas"),
        )
    }
    pub fn wasm(code: u32, log: impl Into<String>) -> Self {
        Self::new("wasm", code, log)
    }
    pub fn is_out_of_gas(&self) -> bool {
        self.codespace == "sdk" && self.code == 11
    }
}

/// A transaction's gas meter, in SDK gas.
#[derive(Debug, Clone, Copy)]
pub struct GasMeter {
    pub limit: u64,
    pub used: u64,
}

impl GasMeter {
    pub fn new(limit: u64) -> Self {
        Self { limit, used: 0 }
    }
    pub fn remaining(&self) -> u64 {
        self.limit.saturating_sub(self.used)
    }
    pub fn consume(&mut self, amount: u64) -> Result<(), ExecError> {
        self.used = self.used.saturating_add(amount);
        if self.used > self.limit {
            return Err(ExecError::out_of_gas(self.limit, self.used));
        }
        Ok(())
    }
}

/// Everything a running transaction (or query) reads and writes.
pub struct Ctx {
    pub state: State,
    pub block: BlockInfo,
    pub tx_index: Option<u32>,
    pub gas: GasMeter,
    pub prefix: String,
}

pub type Shared = Rc<RefCell<Ctx>>;

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

// ---------------------------------------------------------------------------------------------
// Addresses

/// Bech32 with the chain's prefix, over raw address bytes.
#[derive(Clone)]
pub struct Api {
    prefix: String,
}

pub fn bech32_encode(prefix: &str, bytes: &[u8]) -> Result<String, String> {
    let hrp = bech32::Hrp::parse(prefix).map_err(|e| e.to_string())?;
    bech32::encode::<bech32::Bech32>(hrp, bytes).map_err(|e| e.to_string())
}

pub fn bech32_decode(prefix: &str, address: &str) -> Result<Vec<u8>, String> {
    let (hrp, data) = bech32::decode(address).map_err(|e| format!("{address}: {e}"))?;
    if hrp.as_str() != prefix {
        return Err(format!(
            "{address}: invalid Bech32 prefix; expected {prefix}, got {}",
            hrp.as_str()
        ));
    }
    if data.is_empty() || data.len() > 255 {
        return Err(format!("{address}: invalid address length"));
    }
    if address.to_lowercase() != address {
        return Err(format!("{address}: address must be lower case"));
    }
    Ok(data)
}

/// wasmd's classic contract address: ADR-028 module address of (code id, instance id).
pub fn contract_address(code_id: u64, instance_id: u64) -> Vec<u8> {
    let mut key = b"wasm\0".to_vec();
    key.extend_from_slice(&code_id.to_be_bytes());
    key.extend_from_slice(&instance_id.to_be_bytes());
    let typ = Sha256::digest(b"module");
    let mut hasher = Sha256::new();
    hasher.update(typ);
    hasher.update(&key);
    hasher.finalize().to_vec()
}

impl BackendApi for Api {
    fn addr_validate(&self, input: &str) -> BackendResult<()> {
        let result = bech32_decode(&self.prefix, input)
            .map(|_| ())
            .map_err(BackendError::user_err);
        (result, GasInfo::with_cost(0))
    }
    fn addr_canonicalize(&self, human: &str) -> BackendResult<Vec<u8>> {
        (
            bech32_decode(&self.prefix, human).map_err(BackendError::user_err),
            GasInfo::with_cost(0),
        )
    }
    fn addr_humanize(&self, canonical: &[u8]) -> BackendResult<String> {
        (
            bech32_encode(&self.prefix, canonical).map_err(BackendError::user_err),
            GasInfo::with_cost(0),
        )
    }
}

// ---------------------------------------------------------------------------------------------
// Contract storage and querier

/// One contract's view of the state: its own prefix, metered, read-only in queries.
pub struct ContractStorage {
    ctx: Shared,
    prefix: Vec<u8>,
    read_only: bool,
    iterators: Vec<std::vec::IntoIter<Record>>,
}

impl Storage for ContractStorage {
    fn get(&self, key: &[u8]) -> BackendResult<Option<Vec<u8>>> {
        let full = [self.prefix.as_slice(), key].concat();
        let value = self.ctx.borrow().state.get(&full);
        let bytes = key.len() + value.as_ref().map_or(0, Vec::len);
        let cost = vm_gas(READ_FLAT + READ_PER_BYTE * bytes as u64);
        (Ok(value), GasInfo::with_externally_used(cost))
    }

    fn scan(
        &mut self,
        start: Option<&[u8]>,
        end: Option<&[u8]>,
        order: Order,
    ) -> BackendResult<u32> {
        let start = [self.prefix.as_slice(), start.unwrap_or_default()].concat();
        let end = match end {
            Some(end) => Some([self.prefix.as_slice(), end].concat()),
            None => prefix_end(&self.prefix),
        };
        let cut = self.prefix.len();
        let mut records: Vec<Record> = self
            .ctx
            .borrow()
            .state
            .range(Some(&start), end.as_deref())
            .into_iter()
            .map(|(k, v)| (k[cut..].to_vec(), v))
            .collect();
        if order == Order::Descending {
            records.reverse();
        }
        self.iterators.push(records.into_iter());
        let id = self.iterators.len() as u32;
        (Ok(id), GasInfo::with_externally_used(vm_gas(ITER_FLAT)))
    }

    fn next(&mut self, iterator_id: u32) -> BackendResult<Option<Record>> {
        let Some(iter) = self
            .iterators
            .get_mut((iterator_id as usize).wrapping_sub(1))
        else {
            return (
                Err(BackendError::iterator_does_not_exist(iterator_id)),
                GasInfo::free(),
            );
        };
        let record = iter.next();
        let bytes = record.as_ref().map_or(0, |(k, v)| k.len() + v.len()) as u64;
        let cost = vm_gas(ITER_FLAT + READ_PER_BYTE * bytes);
        (Ok(record), GasInfo::with_externally_used(cost))
    }

    fn set(&mut self, key: &[u8], value: &[u8]) -> BackendResult<()> {
        if self.read_only {
            return (
                Err(BackendError::user_err("write in a read-only context")),
                GasInfo::free(),
            );
        }
        let full = [self.prefix.as_slice(), key].concat();
        self.ctx.borrow_mut().state.set(&full, value.to_vec());
        let cost = vm_gas(WRITE_FLAT + WRITE_PER_BYTE * (key.len() + value.len()) as u64);
        (Ok(()), GasInfo::with_externally_used(cost))
    }

    fn remove(&mut self, key: &[u8]) -> BackendResult<()> {
        if self.read_only {
            return (
                Err(BackendError::user_err("write in a read-only context")),
                GasInfo::free(),
            );
        }
        let full = [self.prefix.as_slice(), key].concat();
        self.ctx.borrow_mut().state.remove(&full);
        (Ok(()), GasInfo::with_externally_used(vm_gas(DELETE_FLAT)))
    }
}

/// Answers a contract's queries from the same state, running other contracts read-only.
pub struct ChainQuerier {
    ctx: Shared,
    vm: Arc<Vm>,
    depth: usize,
    /// The contract that queries (its IBC port answers `IbcQuery`).
    contract: Addr,
}

impl Querier for ChainQuerier {
    fn query_raw(
        &self,
        request: &[u8],
        gas_limit: u64,
    ) -> BackendResult<SystemResult<ContractResult<Binary>>> {
        let request: QueryRequest<Empty> = match serde_json::from_slice(request) {
            Ok(r) => r,
            Err(e) => {
                return (
                    Ok(SystemResult::Err(SystemError::InvalidRequest {
                        error: e.to_string(),
                        request: Binary::from(request),
                    })),
                    GasInfo::free(),
                );
            }
        };
        let (result, gas) = self.vm.query_request(
            &self.ctx,
            &request,
            gas_limit,
            self.depth + 1,
            &self.contract,
        );
        (Ok(result), GasInfo::with_externally_used(gas))
    }
}

// ---------------------------------------------------------------------------------------------
// The VM

/// The compiled-module cache and the chain's wasm settings.
pub struct Vm {
    cache: Cache<Api, ContractStorage, ChainQuerier>,
    /// Codes pinned in the cache's in-memory module cache (see [`Vm::ensure_module`]).
    pinned: Mutex<HashSet<Checksum>>,
    /// Whether a code exports the IBC entry points (static analysis, once per code).
    ibc_codes: Mutex<HashMap<Checksum, bool>>,
    prefix: String,
    chain_id: String,
}

/// What one dispatched message produced.
#[derive(Default, Debug, Clone)]
pub struct MsgOutcome {
    pub events: Vec<Event>,
    pub data: Option<Binary>,
    pub msg_responses: Vec<MsgResponse>,
}

enum Call<'a> {
    Instantiate(&'a MessageInfo, &'a [u8]),
    Execute(&'a MessageInfo, &'a [u8]),
    Migrate(&'a [u8]),
    Reply(&'a Reply),
}

fn vm_error(e: VmError, gas: &GasMeter) -> ExecError {
    match e {
        VmError::GasDepletion { .. } => ExecError::out_of_gas(gas.limit, gas.limit),
        other => ExecError::wasm(5, format!("wasm vm error: {other}")),
    }
}

impl Vm {
    /// Opens the module cache under `dir` (compiled modules persist there).
    pub fn new(dir: &Path, prefix: &str, chain_id: &str) -> Result<Self, String> {
        let capabilities: HashSet<String> = CAPABILITIES.split(',').map(str::to_string).collect();
        let options = CacheOptions::new(dir, capabilities, Size::mebi(256), Size::mebi(32));
        // SAFETY: the cache directory is the devnet's own, written only by this cache.
        let cache = unsafe { Cache::new(options) }.map_err(|e| e.to_string())?;
        Ok(Self {
            cache,
            pinned: Mutex::new(HashSet::new()),
            ibc_codes: Mutex::new(HashMap::new()),
            prefix: prefix.to_string(),
            chain_id: chain_id.to_string(),
        })
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    pub fn addr(&self, bytes: &[u8]) -> Result<Addr, ExecError> {
        bech32_encode(&self.prefix, bytes)
            .map(Addr::unchecked)
            .map_err(|e| ExecError::sdk(7, e))
    }

    pub fn canonical(&self, addr: &str) -> Result<Vec<u8>, ExecError> {
        bech32_decode(&self.prefix, addr)
            .map_err(|e| ExecError::sdk(7, format!("{e}: invalid address")))
    }

    /// Checks, compiles and stores `wasm` as a new code id.
    pub fn store_code(
        &self,
        ctx: &Shared,
        creator: &Addr,
        wasm: &[u8],
    ) -> Result<(u64, Checksum), ExecError> {
        let inflated = inflate(wasm)?;
        let wasm = inflated.as_deref().unwrap_or(wasm);
        ctx.borrow_mut()
            .gas
            .consume(COMPILE_COST_PER_BYTE.saturating_mul(wasm.len() as u64))?;
        let checksum = self
            .cache
            .store_code(wasm, true, true)
            .map_err(|e| ExecError::wasm(2, format!("create wasm contract failed: {e}")))?;
        let mut c = ctx.borrow_mut();
        let id = next_counter(&mut c.state, "code_id");
        let info = CodeInfo {
            checksum: checksum.to_hex(),
            creator: creator.to_string(),
        };
        c.state.set(&keys::code(id), to_json(&info));
        c.state.set(&keys::wasm(checksum.as_slice()), wasm.to_vec());
        Ok((id, checksum))
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

    fn env(&self, ctx: &Shared, contract: &Addr) -> Env {
        let c = ctx.borrow();
        Env {
            block: c.block.clone(),
            transaction: c.tx_index.map(|index| TransactionInfo { index }),
            contract: cosmwasm_std::ContractInfo {
                address: contract.clone(),
            },
        }
    }

    /// Makes sure a stored code's module is pinned in memory, so every instance is made from the
    /// compiled module without touching the disk. The first call per code pins it: from the
    /// on-disk module cache, or from the code in the state (a restart on a fresh cache dir).
    fn ensure_module(&self, ctx: &Shared, checksum: &Checksum) -> Result<(), ExecError> {
        if self
            .pinned
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(checksum)
        {
            return Ok(());
        }
        if self.cache.pin(checksum).is_err() {
            let wasm = ctx
                .borrow()
                .state
                .get(&keys::wasm(checksum.as_slice()))
                .ok_or_else(|| ExecError::wasm(8, "wasm code not found"))?;
            self.cache
                .store_code(&wasm, false, true)
                .and_then(|_| self.cache.pin(checksum))
                .map_err(|e| ExecError::wasm(2, e.to_string()))?;
        }
        self.pinned
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(*checksum);
        Ok(())
    }

    /// Runs one entry point of `contract`, charging the instance and the VM gas to the meter.
    fn call(
        self: &Arc<Self>,
        ctx: &Shared,
        contract: &Addr,
        call: Call,
        depth: usize,
    ) -> Result<Response, ExecError> {
        self.call_entry(ctx, contract, depth, |instance, env| match call {
            Call::Instantiate(info, msg) => {
                call_instantiate::<_, _, _, Empty>(instance, env, info, msg)
            }
            Call::Execute(info, msg) => call_execute::<_, _, _, Empty>(instance, env, info, msg),
            Call::Migrate(msg) => call_migrate::<_, _, _, Empty>(instance, env, msg),
            Call::Reply(reply) => call_reply::<_, _, _, Empty>(instance, env, reply),
        })
    }

    /// Runs `entry` (one of cosmwasm-vm's `call_*`) on an instance of `contract`, charging the
    /// instance and the VM gas to the meter. A contract error is `wasm` code 5 with its message.
    pub(crate) fn call_entry<R>(
        self: &Arc<Self>,
        ctx: &Shared,
        contract: &Addr,
        depth: usize,
        entry: impl FnOnce(&mut ContractInstance, &Env) -> Result<ContractResult<R>, VmError>,
    ) -> Result<R, ExecError> {
        if depth > MAX_DEPTH {
            return Err(ExecError::wasm(13, "contract call depth exceeded"));
        }
        let canonical = self.canonical(contract.as_str())?;
        let meta = self
            .contract_meta(ctx, &canonical)
            .ok_or_else(|| ExecError::wasm(8, format!("no such contract: {contract}")))?;
        let checksum = self.checksum_of(ctx, meta.code_id)?;
        self.ensure_module(ctx, &checksum)?;
        ctx.borrow_mut().gas.consume(INSTANCE_COST)?;
        let gas = ctx.borrow().gas;
        let backend = Backend {
            api: Api {
                prefix: self.prefix.clone(),
            },
            storage: ContractStorage {
                ctx: ctx.clone(),
                prefix: keys::contract_store(&canonical),
                read_only: false,
                iterators: Vec::new(),
            },
            querier: ChainQuerier {
                ctx: ctx.clone(),
                vm: self.clone(),
                depth,
                contract: contract.clone(),
            },
        };
        let env = self.env(ctx, contract);
        let mut instance = self
            .cache
            .get_instance(
                &checksum,
                backend,
                InstanceOptions {
                    gas_limit: vm_gas(gas.remaining()),
                },
            )
            .map_err(|e| vm_error(e, &gas))?;
        let result = entry(&mut instance, &env);
        let report = instance.create_gas_report();
        drop(instance);
        let used = (report.used_internally + report.used_externally).div_ceil(GAS_MULTIPLIER);
        ctx.borrow_mut().gas.consume(used)?;
        let gas = ctx.borrow().gas;
        match result.map_err(|e| vm_error(e, &gas))? {
            ContractResult::Ok(response) => Ok(response),
            ContractResult::Err(msg) => Err(ExecError::wasm(5, msg)),
        }
    }

    /// The IBC port of `contract`, `wasm.{address}`, if it is a contract whose code exports the
    /// IBC entry points (wasmd binds such a port at instantiation).
    pub fn ibc_port_of(&self, ctx: &Shared, contract: &str) -> Option<String> {
        let canonical = self.canonical(contract).ok()?;
        let meta = self.contract_meta(ctx, &canonical)?;
        let checksum = self.checksum_of(ctx, meta.code_id).ok()?;
        let known = self
            .ibc_codes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&checksum)
            .copied();
        let has_ibc = match known {
            Some(has) => has,
            None => {
                self.ensure_module(ctx, &checksum).ok()?;
                let has = self.cache.analyze(&checksum).ok()?.has_ibc_entry_points;
                self.ibc_codes
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(checksum, has);
                has
            }
        };
        has_ibc.then(|| format!("{}{contract}", crate::ibc::app::WASM_PORT_PREFIX))
    }

    /// Instantiates a new contract of `code_id`.
    #[allow(clippy::too_many_arguments)]
    pub fn instantiate(
        self: &Arc<Self>,
        ctx: &Shared,
        sender: &Addr,
        code_id: u64,
        admin: Option<String>,
        label: &str,
        msg: &[u8],
        funds: &[Coin],
        depth: usize,
    ) -> Result<(Addr, MsgOutcome), ExecError> {
        self.checksum_of(ctx, code_id)?;
        if label.trim().is_empty() {
            return Err(ExecError::wasm(12, "label is required: empty"));
        }
        if let Some(admin) = &admin {
            self.canonical(admin)?;
        }
        let (canonical, created_height) = {
            let mut c = ctx.borrow_mut();
            let instance_id = next_counter(&mut c.state, "instance_id");
            (contract_address(code_id, instance_id), c.block.height)
        };
        let contract = self.addr(&canonical)?;
        let meta = ContractMeta {
            code_id,
            creator: sender.to_string(),
            admin,
            label: label.to_string(),
            created_height,
        };
        ctx.borrow_mut()
            .state
            .set(&keys::contract(&canonical), to_json(&meta));
        let mut events = bank_transfer(self, ctx, sender, &contract, funds)?;
        let info = MessageInfo {
            sender: sender.clone(),
            funds: funds.to_vec(),
        };
        let response = self.call(ctx, &contract, Call::Instantiate(&info, msg), depth)?;
        let base = Event::new("instantiate")
            .add_attribute("_contract_address", contract.as_str())
            .add_attribute("code_id", code_id.to_string());
        let (mut more, data) = self.handle_response(ctx, &contract, Some(base), response, depth)?;
        events.append(&mut more);
        let reply = wasmpb::MsgInstantiateContractResponse {
            address: contract.to_string(),
            data: data.clone().map(|d| d.to_vec()).unwrap_or_default(),
        }
        .encode_to_vec();
        Ok((
            contract,
            MsgOutcome {
                events,
                data: Some(Binary::from(reply.clone())),
                msg_responses: vec![MsgResponse {
                    type_url: "/cosmwasm.wasm.v1.MsgInstantiateContractResponse".into(),
                    value: Binary::from(reply),
                }],
            },
        ))
    }

    /// Executes `msg` on `contract`.
    pub fn execute(
        self: &Arc<Self>,
        ctx: &Shared,
        sender: &Addr,
        contract: &Addr,
        msg: &[u8],
        funds: &[Coin],
        depth: usize,
    ) -> Result<MsgOutcome, ExecError> {
        let mut events = bank_transfer(self, ctx, sender, contract, funds)?;
        let info = MessageInfo {
            sender: sender.clone(),
            funds: funds.to_vec(),
        };
        let response = self.call(ctx, contract, Call::Execute(&info, msg), depth)?;
        let base = Event::new("execute").add_attribute("_contract_address", contract.as_str());
        let (mut more, data) = self.handle_response(ctx, contract, Some(base), response, depth)?;
        events.append(&mut more);
        let reply = wasmpb::MsgExecuteContractResponse {
            data: data.clone().map(|d| d.to_vec()).unwrap_or_default(),
        }
        .encode_to_vec();
        Ok(MsgOutcome {
            events,
            data: Some(Binary::from(reply.clone())),
            msg_responses: vec![MsgResponse {
                type_url: "/cosmwasm.wasm.v1.MsgExecuteContractResponse".into(),
                value: Binary::from(reply),
            }],
        })
    }

    /// Migrates `contract` to `code_id`; only its admin may.
    pub fn migrate(
        self: &Arc<Self>,
        ctx: &Shared,
        sender: &Addr,
        contract: &Addr,
        code_id: u64,
        msg: &[u8],
        depth: usize,
    ) -> Result<MsgOutcome, ExecError> {
        let canonical = self.canonical(contract.as_str())?;
        let mut meta = self
            .contract_meta(ctx, &canonical)
            .ok_or_else(|| ExecError::wasm(8, format!("no such contract: {contract}")))?;
        if meta.admin.as_deref() != Some(sender.as_str()) {
            return Err(ExecError::sdk(
                4,
                "caller is not the contract admin: unauthorized",
            ));
        }
        self.checksum_of(ctx, code_id)?;
        meta.code_id = code_id;
        ctx.borrow_mut()
            .state
            .set(&keys::contract(&canonical), to_json(&meta));
        let response = self.call(ctx, contract, Call::Migrate(msg), depth)?;
        let base = Event::new("migrate")
            .add_attribute("_contract_address", contract.as_str())
            .add_attribute("code_id", code_id.to_string());
        let (events, data) = self.handle_response(ctx, contract, Some(base), response, depth)?;
        Ok(MsgOutcome {
            events,
            data,
            msg_responses: vec![],
        })
    }

    /// Turns a contract's response into events (after `base`, the message's own event, if any)
    /// and dispatches its submessages in order.
    pub(crate) fn handle_response(
        self: &Arc<Self>,
        ctx: &Shared,
        contract: &Addr,
        base: Option<Event>,
        response: Response,
        depth: usize,
    ) -> Result<(Vec<Event>, Option<Binary>), ExecError> {
        let mut events: Vec<Event> = base.into_iter().collect();
        if !response.attributes.is_empty() {
            events.push(
                Event::new("wasm")
                    .add_attribute("_contract_address", contract.as_str())
                    .add_attributes(response.attributes),
            );
        }
        for event in response.events {
            events.push(
                Event::new(format!("wasm-{}", event.ty))
                    .add_attribute("_contract_address", contract.as_str())
                    .add_attributes(event.attributes),
            );
        }
        let mut data = response.data;
        for sub in response.messages {
            let (mut sub_events, reply_data) = self.dispatch_submsg(ctx, contract, sub, depth)?;
            events.append(&mut sub_events);
            if reply_data.is_some() {
                data = reply_data;
            }
        }
        Ok((events, data))
    }

    fn dispatch_submsg(
        self: &Arc<Self>,
        ctx: &Shared,
        contract: &Addr,
        sub: SubMsg,
        depth: usize,
    ) -> Result<(Vec<Event>, Option<Binary>), ExecError> {
        let gas_before = ctx.borrow().gas.used;
        ctx.borrow_mut().state.push();
        let result = self.dispatch(ctx, contract, sub.msg, depth + 1);
        match &result {
            Ok(_) => ctx.borrow_mut().state.merge(),
            Err(_) => ctx.borrow_mut().state.discard(),
        }
        let wants_reply = match (&result, sub.reply_on) {
            (_, ReplyOn::Always) => true,
            (Ok(_), ReplyOn::Success) => true,
            (Err(e), ReplyOn::Error) => !e.is_out_of_gas(),
            _ => false,
        };
        if !wants_reply {
            return result.map(|outcome| (outcome.events, None));
        }
        if let Err(e) = &result
            && e.is_out_of_gas()
        {
            return Err(e.clone());
        }
        let gas_used = ctx.borrow().gas.used - gas_before;
        let (events, sub_result) = match result {
            #[allow(deprecated)]
            Ok(outcome) => (
                outcome.events.clone(),
                SubMsgResult::Ok(SubMsgResponse {
                    events: outcome.events,
                    data: outcome.data,
                    msg_responses: outcome.msg_responses,
                }),
            ),
            Err(e) => (
                vec![],
                SubMsgResult::Err(format!(
                    "codespace: {}, code: {}: {}",
                    e.codespace, e.code, e.log
                )),
            ),
        };
        let reply = Reply {
            id: sub.id,
            payload: sub.payload,
            gas_used,
            result: sub_result,
        };
        let response = self.call(ctx, contract, Call::Reply(&reply), depth + 1)?;
        let base = Event::new("reply").add_attribute("_contract_address", contract.as_str());
        let (mut reply_events, data) =
            self.handle_response(ctx, contract, Some(base), response, depth + 1)?;
        let mut all = events;
        all.append(&mut reply_events);
        Ok((all, data))
    }

    /// Dispatches one message sent by a contract.
    fn dispatch(
        self: &Arc<Self>,
        ctx: &Shared,
        sender: &Addr,
        msg: CosmosMsg,
        depth: usize,
    ) -> Result<MsgOutcome, ExecError> {
        match msg {
            CosmosMsg::Bank(BankMsg::Send { to_address, amount }) => {
                self.canonical(&to_address)?;
                let events =
                    bank_transfer(self, ctx, sender, &Addr::unchecked(to_address), &amount)?;
                Ok(MsgOutcome {
                    events,
                    ..MsgOutcome::default()
                })
            }
            CosmosMsg::Bank(BankMsg::Burn { amount }) => {
                let canonical = self.canonical(sender.as_str())?;
                let mut c = ctx.borrow_mut();
                for coin in &amount {
                    bank::burn(&mut c.state, &canonical, &coin.denom, coin.amount.u128())?;
                }
                Ok(MsgOutcome {
                    events: vec![
                        Event::new("burn")
                            .add_attribute("burner", sender.as_str())
                            .add_attribute("amount", coins_string(&amount)),
                    ],
                    ..MsgOutcome::default()
                })
            }
            CosmosMsg::Wasm(WasmMsg::Execute {
                contract_addr,
                msg,
                funds,
            }) => self.execute(
                ctx,
                sender,
                &Addr::unchecked(contract_addr),
                &msg,
                &funds,
                depth,
            ),
            CosmosMsg::Wasm(WasmMsg::Instantiate {
                admin,
                code_id,
                msg,
                funds,
                label,
            }) => self
                .instantiate(ctx, sender, code_id, admin, &label, &msg, &funds, depth)
                .map(|(_, outcome)| outcome),
            CosmosMsg::Wasm(WasmMsg::Migrate {
                contract_addr,
                new_code_id,
                msg,
            }) => self.migrate(
                ctx,
                sender,
                &Addr::unchecked(contract_addr),
                new_code_id,
                &msg,
                depth,
            ),
            CosmosMsg::Wasm(WasmMsg::UpdateAdmin {
                contract_addr,
                admin,
            }) => self.set_admin(ctx, sender, &contract_addr, Some(admin)),
            CosmosMsg::Wasm(WasmMsg::ClearAdmin { contract_addr }) => {
                self.set_admin(ctx, sender, &contract_addr, None)
            }
            CosmosMsg::Ibc(msg) => crate::ibc::contract_msg(self, ctx, sender, msg, depth),
            other => Err(ExecError::wasm(
                20,
                format!("unsupported message on the devnet: {other:?}"),
            )),
        }
    }

    fn set_admin(
        &self,
        ctx: &Shared,
        sender: &Addr,
        contract: &str,
        admin: Option<String>,
    ) -> Result<MsgOutcome, ExecError> {
        let canonical = self.canonical(contract)?;
        let mut meta = self
            .contract_meta(ctx, &canonical)
            .ok_or_else(|| ExecError::wasm(8, format!("no such contract: {contract}")))?;
        if meta.admin.as_deref() != Some(sender.as_str()) {
            return Err(ExecError::sdk(
                4,
                "caller is not the contract admin: unauthorized",
            ));
        }
        if let Some(admin) = &admin {
            self.canonical(admin)?;
        }
        meta.admin = admin;
        ctx.borrow_mut()
            .state
            .set(&keys::contract(&canonical), to_json(&meta));
        Ok(MsgOutcome::default())
    }

    /// Runs a smart query on `contract` read-only with `gas_limit` VM gas. Returns the answer
    /// and the VM gas used (including the instance cost).
    pub fn query_smart(
        self: &Arc<Self>,
        ctx: &Shared,
        contract: &str,
        msg: &[u8],
        gas_limit: u64,
        depth: usize,
    ) -> (Result<Binary, QueryError>, u64) {
        let instance_cost = vm_gas(INSTANCE_COST);
        if depth > MAX_DEPTH {
            return (Err(QueryError::System("query depth exceeded".into())), 0);
        }
        let Ok(canonical) = self.canonical(contract) else {
            return (Err(QueryError::NoSuchContract(contract.into())), 0);
        };
        let Some(meta) = self.contract_meta(ctx, &canonical) else {
            return (Err(QueryError::NoSuchContract(contract.into())), 0);
        };
        let checksum = match self
            .checksum_of(ctx, meta.code_id)
            .and_then(|c| self.ensure_module(ctx, &c).map(|_| c))
        {
            Ok(c) => c,
            Err(e) => return (Err(QueryError::System(e.log)), 0),
        };
        if gas_limit <= instance_cost {
            return (Err(QueryError::OutOfGas), gas_limit);
        }
        let backend = Backend {
            api: Api {
                prefix: self.prefix.clone(),
            },
            storage: ContractStorage {
                ctx: ctx.clone(),
                prefix: keys::contract_store(&canonical),
                read_only: true,
                iterators: Vec::new(),
            },
            querier: ChainQuerier {
                ctx: ctx.clone(),
                vm: self.clone(),
                depth,
                contract: Addr::unchecked(contract),
            },
        };
        let env = self.env(ctx, &Addr::unchecked(contract));
        let mut instance = match self.cache.get_instance(
            &checksum,
            backend,
            InstanceOptions {
                gas_limit: gas_limit - instance_cost,
            },
        ) {
            Ok(i) => i,
            Err(e) => return (Err(QueryError::System(e.to_string())), instance_cost),
        };
        let result = call_query(&mut instance, &env, msg);
        let report = instance.create_gas_report();
        let used = instance_cost + report.used_internally + report.used_externally;
        let result = match result {
            Ok(ContractResult::Ok(bin)) => Ok(bin),
            Ok(ContractResult::Err(e)) => Err(QueryError::Contract(e)),
            Err(VmError::GasDepletion { .. }) => Err(QueryError::OutOfGas),
            Err(e) => Err(QueryError::System(e.to_string())),
        };
        (result, used)
    }

    /// A contract's raw storage value.
    pub fn query_raw(
        &self,
        ctx: &Shared,
        contract: &str,
        key: &[u8],
    ) -> Result<Option<Vec<u8>>, QueryError> {
        let canonical = self
            .canonical(contract)
            .map_err(|_| QueryError::NoSuchContract(contract.into()))?;
        if self.contract_meta(ctx, &canonical).is_none() {
            return Err(QueryError::NoSuchContract(contract.into()));
        }
        let full = [keys::contract_store(&canonical).as_slice(), key].concat();
        Ok(ctx.borrow().state.get(&full))
    }

    /// Answers one query a contract makes.
    fn query_request(
        self: &Arc<Self>,
        ctx: &Shared,
        request: &QueryRequest<Empty>,
        gas_limit: u64,
        depth: usize,
        caller: &Addr,
    ) -> (SystemResult<ContractResult<Binary>>, u64) {
        let read_cost = vm_gas(READ_FLAT);
        let ok = |value: serde_json::Value| {
            SystemResult::Ok(ContractResult::Ok(Binary::from(
                serde_json::to_vec(&value).unwrap_or_default(),
            )))
        };
        let no_such = |addr: &str| {
            SystemResult::Err(SystemError::NoSuchContract {
                addr: addr.to_string(),
            })
        };
        match request {
            QueryRequest::Wasm(WasmQuery::Smart { contract_addr, msg }) => {
                let (result, used) = self.query_smart(ctx, contract_addr, msg, gas_limit, depth);
                let answer = match result {
                    Ok(bin) => SystemResult::Ok(ContractResult::Ok(bin)),
                    Err(QueryError::Contract(e)) => SystemResult::Ok(ContractResult::Err(e)),
                    Err(QueryError::NoSuchContract(addr)) => no_such(&addr),
                    Err(QueryError::OutOfGas) => SystemResult::Err(SystemError::Unknown {}),
                    Err(QueryError::System(_)) => SystemResult::Err(SystemError::Unknown {}),
                };
                (answer, used)
            }
            QueryRequest::Wasm(WasmQuery::Raw { contract_addr, key }) => {
                match self.query_raw(ctx, contract_addr, key) {
                    Ok(value) => (
                        SystemResult::Ok(ContractResult::Ok(Binary::from(
                            value.unwrap_or_default(),
                        ))),
                        read_cost,
                    ),
                    Err(_) => (no_such(contract_addr), read_cost),
                }
            }
            QueryRequest::Wasm(WasmQuery::ContractInfo { contract_addr }) => {
                let meta = self
                    .canonical(contract_addr)
                    .ok()
                    .and_then(|c| self.contract_meta(ctx, &c));
                match meta {
                    Some(meta) => (
                        ok(serde_json::json!({
                            "code_id": meta.code_id,
                            "creator": meta.creator,
                            "admin": meta.admin,
                            "pinned": false,
                            "ibc_port": self.ibc_port_of(ctx, contract_addr),
                        })),
                        read_cost,
                    ),
                    None => (no_such(contract_addr), read_cost),
                }
            }
            QueryRequest::Wasm(WasmQuery::CodeInfo { code_id }) => {
                let info: Option<CodeInfo> = ctx
                    .borrow()
                    .state
                    .get(&keys::code(*code_id))
                    .and_then(|b| serde_json::from_slice(&b).ok());
                match info {
                    Some(info) => (
                        ok(serde_json::json!({
                            "code_id": code_id,
                            "creator": info.creator,
                            "checksum": info.checksum,
                        })),
                        read_cost,
                    ),
                    None => (
                        SystemResult::Err(SystemError::NoSuchCode { code_id: *code_id }),
                        read_cost,
                    ),
                }
            }
            QueryRequest::Bank(BankQuery::Balance { address, denom }) => {
                let amount = self
                    .canonical(address)
                    .map(|a| bank::balance(&ctx.borrow().state, &a, denom))
                    .unwrap_or(0);
                (
                    ok(
                        serde_json::json!({"amount": {"denom": denom, "amount": amount.to_string()}}),
                    ),
                    read_cost,
                )
            }
            #[allow(deprecated)]
            QueryRequest::Bank(BankQuery::AllBalances { address }) => {
                let coins = self
                    .canonical(address)
                    .map(|a| bank::all_balances(&ctx.borrow().state, &a))
                    .unwrap_or_default();
                let amount: Vec<serde_json::Value> = coins
                    .into_iter()
                    .map(|(denom, amount)| serde_json::json!({"denom": denom, "amount": amount.to_string()}))
                    .collect();
                (ok(serde_json::json!({ "amount": amount })), read_cost)
            }
            QueryRequest::Ibc(query) => {
                (crate::ibc::app::query(self, ctx, caller, query), read_cost)
            }
            other => (
                SystemResult::Err(SystemError::UnsupportedRequest {
                    kind: format!("{other:?}").chars().take(64).collect(),
                }),
                read_cost,
            ),
        }
    }

    pub fn chain_id(&self) -> &str {
        &self.chain_id
    }
}

/// Why a smart query failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum QueryError {
    #[error("query wasm contract failed: {0}")]
    Contract(String),
    #[error("no such contract: {0}")]
    NoSuchContract(String),
    #[error("out of gas in query")]
    OutOfGas,
    #[error("{0}")]
    System(String),
}

fn next_counter(state: &mut State, name: &str) -> u64 {
    let key = keys::meta(name);
    let next = state
        .get(&key)
        .and_then(|b| b.try_into().ok())
        .map(u64::from_be_bytes)
        .unwrap_or(1);
    state.set(&key, (next + 1).to_be_bytes().to_vec());
    next
}

pub fn to_json<T: Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_default()
}

pub fn coins_string(coins: &[Coin]) -> String {
    coins
        .iter()
        .map(|c| format!("{}{}", c.amount, c.denom))
        .collect::<Vec<_>>()
        .join(",")
}

/// Moves `funds` from `from` to `to` and returns the transfer event (none for no funds).
pub fn bank_transfer(
    vm: &Vm,
    ctx: &Shared,
    from: &Addr,
    to: &Addr,
    funds: &[Coin],
) -> Result<Vec<Event>, ExecError> {
    if funds.is_empty() {
        return Ok(vec![]);
    }
    let from_raw = vm.canonical(from.as_str())?;
    let to_raw = vm.canonical(to.as_str())?;
    let mut c = ctx.borrow_mut();
    for coin in funds {
        bank::transfer(
            &mut c.state,
            &from_raw,
            &to_raw,
            &coin.denom,
            coin.amount.u128(),
            from.as_str(),
        )?;
    }
    Ok(vec![
        Event::new("transfer")
            .add_attribute("recipient", to.as_str())
            .add_attribute("sender", from.as_str())
            .add_attribute("amount", coins_string(funds)),
    ])
}

/// wasmd's upload limit (`MaxWasmSize`), for the inflated code.
pub const MAX_WASM_SIZE: u64 = 800 * 1024;

/// A gzipped upload inflated (at most [`MAX_WASM_SIZE`] bytes), as wasmd does; `None` for plain
/// wasm.
fn inflate(wasm: &[u8]) -> Result<Option<Vec<u8>>, ExecError> {
    use std::io::Read;
    if !wasm.starts_with(&[0x1f, 0x8b]) {
        return Ok(None);
    }
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(wasm)
        .take(MAX_WASM_SIZE + 1)
        .read_to_end(&mut out)
        .map_err(|e| ExecError::wasm(2, format!("create wasm contract failed: gzip: {e}")))?;
    if out.len() as u64 > MAX_WASM_SIZE {
        return Err(ExecError::wasm(
            2,
            format!(
                "create wasm contract failed: uncompress wasm archive: max {MAX_WASM_SIZE} bytes: exceeds limit"
            ),
        ));
    }
    Ok(Some(out))
}
