//! Making a contract instance and running one of its entry points, the instance and its VM gas
//! charged to the transaction's meter.

use std::sync::Arc;

use cosmwasm_std::{
    Addr, Binary, ContractResult, Empty, Env, MessageInfo, QueryRequest, Reply, Response,
    SystemResult,
};
use cosmwasm_std::{Checksum, TransactionInfo};
use cosmwasm_vm::{
    Backend, InstanceOptions, VmError, call_execute, call_instantiate, call_migrate, call_reply,
};

use super::backend::QueryHandler;
use super::{
    Api, ChainQuerier, ContractInstance, ContractStorage, MAX_DEPTH, Vm, WASM_PORT_PREFIX,
};
use crate::exec::{ExecError, GAS_MULTIPLIER, GasMeter, INSTANCE_COST, Shared, vm_gas};
use crate::keys;

pub(super) enum Call<'a> {
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
    pub(super) fn env(&self, ctx: &Shared, contract: &Addr) -> Env {
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
    pub(super) fn ensure_module(&self, ctx: &Shared, checksum: &Checksum) -> Result<(), ExecError> {
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
    pub(super) fn call(
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
        let backend = self.backend(ctx, &canonical, contract, depth, false);
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

    /// The backend of an instance of `contract` (raw address `canonical`), its storage
    /// read-only for a query, its querier at contract call depth `depth`.
    pub(super) fn backend(
        self: &Arc<Self>,
        ctx: &Shared,
        canonical: &[u8],
        contract: &Addr,
        depth: usize,
        read_only: bool,
    ) -> Backend<Api, ContractStorage, ChainQuerier> {
        Backend {
            api: Api {
                prefix: self.prefix.clone(),
            },
            storage: ContractStorage {
                ctx: ctx.clone(),
                prefix: keys::contract_store(canonical),
                read_only,
                iterators: Vec::new(),
            },
            querier: ChainQuerier {
                ctx: ctx.clone(),
                handler: Box::new(VmQuerier(self.clone())),
                depth,
                contract: contract.clone(),
            },
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
        has_ibc.then(|| format!("{}{contract}", WASM_PORT_PREFIX))
    }
}

/// The VM as its instances' [`QueryHandler`]: every query a contract makes goes to the chain's
/// router.
pub(super) struct VmQuerier(pub(super) Arc<Vm>);

impl QueryHandler for VmQuerier {
    fn query(
        &self,
        ctx: &Shared,
        caller: &Addr,
        request: &QueryRequest<Empty>,
        gas_limit: u64,
        depth: usize,
    ) -> (SystemResult<ContractResult<Binary>>, u64) {
        self.0
            .router
            .query(&self.0, ctx, caller, request, gas_limit, depth)
    }
}
