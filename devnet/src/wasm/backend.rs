//! The VM's backend for one contract instance: its address API, its metered view of the
//! state (its own prefix, read-only in queries) and its querier, which hands every query to a
//! [`QueryHandler`] (the VM, which asks the chain's router), so this module names neither.

use cosmwasm_std::{Addr, Binary, ContractResult, Empty, Order, QueryRequest, Record};
use cosmwasm_std::{SystemError, SystemResult};
use cosmwasm_vm::{BackendApi, BackendError, BackendResult, GasInfo, Querier, Storage};

use crate::address::{bech32_decode, bech32_encode};
use crate::exec::{
    DELETE_FLAT, ITER_FLAT, READ_FLAT, READ_PER_BYTE, Shared, WRITE_FLAT, WRITE_PER_BYTE, vm_gas,
};
use crate::state::prefix_end;

/// Bech32 with the chain's prefix, over raw address bytes.
#[derive(Clone)]
pub struct Api {
    pub(super) prefix: String,
}

impl BackendApi for Api {
    fn addr_validate(&self, input: &str) -> BackendResult<()> {
        let result = bech32_decode(&self.prefix, input)
            .map(|_| ())
            .map_err(|e| BackendError::user_err(e.to_string()));
        (result, GasInfo::with_cost(0))
    }
    fn addr_canonicalize(&self, human: &str) -> BackendResult<Vec<u8>> {
        (
            bech32_decode(&self.prefix, human).map_err(|e| BackendError::user_err(e.to_string())),
            GasInfo::with_cost(0),
        )
    }
    fn addr_humanize(&self, canonical: &[u8]) -> BackendResult<String> {
        (
            bech32_encode(&self.prefix, canonical)
                .map_err(|e| BackendError::user_err(e.to_string())),
            GasInfo::with_cost(0),
        )
    }
}

// ---------------------------------------------------------------------------------------------
// Contract storage and querier

/// One contract's view of the state: its own prefix, metered, read-only in queries.
pub struct ContractStorage {
    pub(super) ctx: Shared,
    pub(super) prefix: Vec<u8>,
    pub(super) read_only: bool,
    pub(super) iterators: Vec<std::vec::IntoIter<Record>>,
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

/// Answers a query a contract (`caller`) makes, within `gas_limit` VM gas, at contract call
/// depth `depth`: the answer and the VM gas it used.
pub trait QueryHandler {
    fn query(
        &self,
        ctx: &Shared,
        caller: &Addr,
        request: &QueryRequest<Empty>,
        gas_limit: u64,
        depth: usize,
    ) -> (SystemResult<ContractResult<Binary>>, u64);
}

/// Answers a contract's queries from the same state, running other contracts read-only.
pub struct ChainQuerier {
    pub(super) ctx: Shared,
    pub(super) handler: Box<dyn QueryHandler>,
    pub(super) depth: usize,
    /// The contract that queries (its IBC port answers `IbcQuery`).
    pub(super) contract: Addr,
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
        let (result, gas) = self.handler.query(
            &self.ctx,
            &self.contract,
            &request,
            gas_limit,
            self.depth + 1,
        );
        (Ok(result), GasInfo::with_externally_used(gas))
    }
}
