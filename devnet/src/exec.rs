//! The types every module that executes messages shares: the running transaction's context and
//! gas meter, what a message produces, and how it fails. This module names no other module of
//! the crate but the state, so the wasm VM, the bank, IBC and the chain can all use it without
//! importing each other.

use std::cell::RefCell;
use std::rc::Rc;

use cosmwasm_std::{Binary, BlockInfo, Coin, ContractResult, Event, MsgResponse, SystemResult};
use serde::Serialize;

use crate::state::State;

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

/// What one dispatched message produced.
#[derive(Default, Debug, Clone)]
pub struct MsgOutcome {
    pub events: Vec<Event>,
    pub data: Option<Binary>,
    pub msg_responses: Vec<MsgResponse>,
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

/// A query's JSON answer as the VM's querier returns it.
pub fn json_answer(value: serde_json::Value) -> SystemResult<ContractResult<Binary>> {
    SystemResult::Ok(ContractResult::Ok(Binary::from(to_json(&value))))
}
