//! The wasm module's queries: a contract's smart query run read-only with its own gas limit,
//! raw storage reads, and contract and code info.

use std::sync::Arc;

use cosmwasm_std::{
    Addr, Binary, ContractResult, Empty, QueryRequest, SystemError, SystemResult, WasmQuery,
};
use cosmwasm_vm::{InstanceOptions, VmError, call_query};

use super::{CodeInfo, MAX_DEPTH, Vm};
use crate::exec::{INSTANCE_COST, QueryError, READ_FLAT, Shared, json_answer, vm_gas};
use crate::keys;

impl Vm {
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
        let backend = self.backend(ctx, &canonical, &Addr::unchecked(contract), depth, true);
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

    /// Answers a contract's [`WasmQuery`] within `gas_limit` VM gas: the answer and the VM gas
    /// it used.
    pub fn query_wasm(
        self: &Arc<Self>,
        ctx: &Shared,
        request: &WasmQuery,
        gas_limit: u64,
        depth: usize,
    ) -> (SystemResult<ContractResult<Binary>>, u64) {
        let read_cost = vm_gas(READ_FLAT);
        match request {
            WasmQuery::Smart { contract_addr, msg } => {
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
            WasmQuery::Raw { contract_addr, key } => {
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
            WasmQuery::ContractInfo { contract_addr } => {
                (self.contract_info(ctx, contract_addr), read_cost)
            }
            WasmQuery::CodeInfo { code_id } => (code_info(ctx, *code_id), read_cost),
            other => (
                SystemResult::Err(SystemError::UnsupportedRequest {
                    kind: format!("{:?}", QueryRequest::<Empty>::Wasm(other.clone()))
                        .chars()
                        .take(64)
                        .collect(),
                }),
                read_cost,
            ),
        }
    }

    /// A contract's info, as wasmd answers `ContractInfo`.
    fn contract_info(
        &self,
        ctx: &Shared,
        contract_addr: &str,
    ) -> SystemResult<ContractResult<Binary>> {
        let meta = self
            .canonical(contract_addr)
            .ok()
            .and_then(|c| self.contract_meta(ctx, &c));
        match meta {
            Some(meta) => json_answer(serde_json::json!({
                "code_id": meta.code_id,
                "creator": meta.creator,
                "admin": meta.admin,
                "pinned": false,
                "ibc_port": self.ibc_port_of(ctx, contract_addr),
            })),
            None => no_such(contract_addr),
        }
    }
}

/// A code's info, as wasmd answers `CodeInfo`.
fn code_info(ctx: &Shared, code_id: u64) -> SystemResult<ContractResult<Binary>> {
    let info: Option<CodeInfo> = ctx
        .borrow()
        .state
        .get(&keys::code(code_id))
        .and_then(|b| serde_json::from_slice(&b).ok());
    match info {
        Some(info) => json_answer(serde_json::json!({
            "code_id": code_id,
            "creator": info.creator,
            "checksum": info.checksum,
        })),
        None => SystemResult::Err(SystemError::NoSuchCode { code_id }),
    }
}

/// The answer for a contract that does not exist.
fn no_such(addr: &str) -> SystemResult<ContractResult<Binary>> {
    SystemResult::Err(SystemError::NoSuchContract {
        addr: addr.to_string(),
    })
}
