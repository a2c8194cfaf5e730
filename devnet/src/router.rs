//! The chain's router: what a contract sends or asks goes to the module that owns it (the bank,
//! the wasm VM, the IBC host), the way cw-multi-test's `CosmosRouter` dispatches. It is the one
//! place that names all three, so none of them imports another's caller.

use std::sync::Arc;

use cosmwasm_std::{
    Addr, Binary, ContractResult, CosmosMsg, Empty, QueryRequest, SystemError, SystemResult,
};

use crate::bank;
use crate::exec::{ExecError, MsgOutcome, READ_FLAT, Shared, vm_gas};
use crate::ibc;
use crate::wasm::{Router, Vm};

/// The devnet's modules behind the VM's [`Router`].
pub struct Modules;

impl Router for Modules {
    fn execute(
        &self,
        vm: &Arc<Vm>,
        ctx: &Shared,
        sender: &Addr,
        msg: CosmosMsg,
        depth: usize,
    ) -> Result<MsgOutcome, ExecError> {
        match msg {
            CosmosMsg::Bank(msg) => bank::execute(ctx, vm.prefix(), sender, msg),
            CosmosMsg::Wasm(msg) => vm.execute_wasm(ctx, sender, msg, depth),
            CosmosMsg::Ibc(msg) => ibc::contract_msg(vm, ctx, sender, msg, depth),
            other => Err(ExecError::wasm(
                20,
                format!("unsupported message on the devnet: {other:?}"),
            )),
        }
    }

    fn query(
        &self,
        vm: &Arc<Vm>,
        ctx: &Shared,
        caller: &Addr,
        request: &QueryRequest<Empty>,
        gas_limit: u64,
        depth: usize,
    ) -> (SystemResult<ContractResult<Binary>>, u64) {
        let read_cost = vm_gas(READ_FLAT);
        match request {
            QueryRequest::Wasm(query) => vm.query_wasm(ctx, query, gas_limit, depth),
            QueryRequest::Bank(query) => (bank::query(ctx, vm.prefix(), query), read_cost),
            QueryRequest::Ibc(query) => (ibc::app::query(vm, ctx, caller, query), read_cost),
            other => (
                SystemResult::Err(SystemError::UnsupportedRequest {
                    kind: format!("{other:?}").chars().take(64).collect(),
                }),
                read_cost,
            ),
        }
    }
}
