//! Runs the compiled contracts (`artifacts/*.wasm`) in cosmwasm-vm, the VM a chain runs, with gas
//! metering. Used by the compiled-wasm tests and by the gas report.

use std::path::PathBuf;

pub mod host_calls;
pub mod sdk_gas;

use cosmwasm_std::{
    Binary, BlockInfo, Coin, ContractResult, Empty, Env, MessageInfo, Response, Timestamp,
};
use cosmwasm_vm::internals::{Logger, check_wasm};
use cosmwasm_vm::testing::{MockInstanceOptions, mock_env};
use cosmwasm_vm::{
    Backend, Instance, InstanceOptions, VmError, WasmLimits, call_execute, call_instantiate,
    call_migrate, call_query, call_reply_raw,
};

use crate::host_calls::{Counters, CountingApi, CountingQuerier, HostCalls};
use crate::sdk_gas::ChainStorage;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::sync::Arc;
use thiserror::Error;

/// Gas limit of a harness instance: far above any single call, so every call is measured whole.
const INSTANCE_GAS_LIMIT: u64 = 100_000_000_000_000;

/// What can go wrong outside the contract itself.
#[derive(Error, Debug)]
pub enum HarnessError {
    #[error(
        "cannot read {path}: {source}; build the contracts first with scripts/build-contracts.sh"
    )]
    MissingArtifact {
        path: String,
        source: std::io::Error,
    },
    #[error("vm: {0}")]
    Vm(#[from] VmError),
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
}

/// Directory of the optimised artifacts: `$LOOPIN_ARTIFACTS`, or `artifacts/` at the repo root.
pub fn artifacts_dir() -> PathBuf {
    std::env::var_os("LOOPIN_ARTIFACTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../artifacts"))
}

/// Reads `artifacts/<name>.wasm`.
pub fn read_artifact(name: &str) -> Result<Vec<u8>, HarnessError> {
    let path = artifacts_dir().join(format!("{name}.wasm"));
    std::fs::read(&path).map_err(|source| HarnessError::MissingArtifact {
        path: path.display().to_string(),
        source,
    })
}

/// VM gas one call used: executing wasm and host API calls (internal) plus backend storage and
/// querier costs (external, nominal in the mock backend); and what a wasmd chain charges for
/// the same call in SDK gas (`sdk_gas`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Gas {
    pub internal: u64,
    pub external: u64,
    /// SDK gas of the call's storage operations, priced as the chain's KV store prices them.
    pub storage: u64,
    /// SDK gas of the events the call emitted.
    pub events: u64,
    /// The host calls the call made (`host_calls`).
    pub calls: HostCalls,
}

impl Gas {
    pub fn total(self) -> u64 {
        self.internal + self.external
    }

    /// SDK gas on a wasmd chain with its defaults: the instance set-up (not pinned), the VM's
    /// own gas at the multiplier, storage and events. Queries to other contracts, stood in for
    /// here, would add their own.
    pub fn sdk(self) -> u64 {
        sdk_gas::INSTANCE_COST
            + self.internal / sdk_gas::GAS_MULTIPLIER
            + self.storage
            + self.events
    }
}

/// The outcome of one call and the gas it used.
#[derive(Debug)]
pub struct Outcome<T> {
    pub result: Result<T, String>,
    pub gas: Gas,
}

impl<T: std::fmt::Debug> Outcome<T> {
    /// The successful value; panics with the contract's error otherwise (tests only).
    pub fn unwrap(self) -> T {
        self.result.expect("contract call failed")
    }

    /// The contract's error message; panics if the call succeeded (tests only).
    pub fn unwrap_err(self) -> String {
        self.result.expect_err("contract call should have failed")
    }
}

fn from_contract<T>(result: ContractResult<T>) -> Result<T, String> {
    result.into_result()
}

/// One compiled contract instance with its own storage, block clock and gas meter.
pub struct WasmContract {
    instance: Instance<CountingApi, ChainStorage, CountingQuerier>,
    env: Env,
    counters: Arc<Counters>,
}

impl WasmContract {
    /// Loads `artifacts/<name>.wasm`, checking it as a chain would on upload.
    pub fn load(name: &str) -> Result<Self, HarnessError> {
        let wasm = read_artifact(name)?;
        // The mock instance's checks and set-up, on storage that counts what a chain charges.
        let defaults = MockInstanceOptions::default();
        check_wasm(
            &wasm,
            &defaults.available_capabilities,
            &WasmLimits::default(),
            Logger::Off,
        )?;
        let counters = Arc::new(Counters::default());
        let backend = Backend {
            api: CountingApi::new(counters.clone()),
            storage: ChainStorage::default(),
            querier: CountingQuerier::new(counters.clone()),
        };
        let options = InstanceOptions {
            gas_limit: INSTANCE_GAS_LIMIT,
        };
        let instance = Instance::from_code(&wasm, backend, options, defaults.memory_limit)?;
        Ok(Self {
            instance,
            env: mock_env(),
            counters,
        })
    }

    /// A valid bech32 address derived from `label`.
    pub fn addr(&self, label: &str) -> String {
        self.instance.api().addr_make(label)
    }

    /// The contract's own address.
    pub fn contract_addr(&self) -> String {
        self.env.contract.address.to_string()
    }

    /// The current block.
    pub fn block(&self) -> &BlockInfo {
        &self.env.block
    }

    /// Moves the clock forward by `seconds` and the height by one block.
    pub fn advance(&mut self, seconds: u64) {
        self.env.block.height += 1;
        self.env.block.time = self.env.block.time.plus_seconds(seconds);
    }

    /// Sets the block time.
    pub fn set_time(&mut self, time: Timestamp) {
        self.env.block.time = time;
    }

    /// Answers the contract's queries to other contracts with `handler` (only one contract runs
    /// in this harness, so the others are stood in for).
    pub fn set_wasm_querier<H>(&mut self, handler: H) -> Result<(), HarnessError>
    where
        H: Fn(&cosmwasm_std::WasmQuery) -> cosmwasm_std::QuerierResult + 'static,
    {
        self.instance.with_querier(|querier| {
            querier.inner.update_wasm(handler);
            Ok(())
        })?;
        Ok(())
    }

    fn gas_used(&mut self) -> Gas {
        let report = self.instance.create_gas_report();
        let (storage, mut calls) = self
            .instance
            .with_storage(|storage| Ok((storage.used(), storage.calls())))
            .unwrap_or_default();
        (calls.addresses, calls.address_bytes, calls.queries) = self.counters.read();
        Gas {
            internal: report.used_internally,
            external: report.used_externally,
            storage,
            events: 0,
            calls,
        }
    }

    fn metered<T>(
        &mut self,
        call: impl FnOnce(&mut Self) -> Result<Result<T, String>, HarnessError>,
    ) -> Result<Outcome<T>, HarnessError> {
        let before = self.gas_used();
        let result = call(self)?;
        let after = self.gas_used();
        Ok(Outcome {
            result,
            gas: Gas {
                internal: after.internal - before.internal,
                external: after.external - before.external,
                storage: after.storage - before.storage,
                events: 0,
                calls: after.calls.since(before.calls),
            },
        })
    }

    /// Adds the SDK gas of the events a successful call emitted.
    fn with_events(mut outcome: Outcome<Response>) -> Outcome<Response> {
        if let Ok(response) = &outcome.result {
            outcome.gas.events = sdk_gas::event_cost(response);
        }
        outcome
    }

    fn info(sender: &str, funds: &[Coin]) -> MessageInfo {
        MessageInfo {
            sender: cosmwasm_std::Addr::unchecked(sender),
            funds: funds.to_vec(),
        }
    }

    /// Instantiates the contract with `msg` sent by `sender`.
    pub fn instantiate<M: Serialize>(
        &mut self,
        sender: &str,
        msg: &M,
    ) -> Result<Outcome<Response>, HarnessError> {
        let msg = serde_json::to_vec(msg)?;
        self.instantiate_raw(sender, &msg, &[])
    }

    /// Instantiates with raw message bytes and funds.
    pub fn instantiate_raw(
        &mut self,
        sender: &str,
        msg: &[u8],
        funds: &[Coin],
    ) -> Result<Outcome<Response>, HarnessError> {
        let info = Self::info(sender, funds);
        self.metered(|this| {
            Ok(from_contract(call_instantiate::<_, _, _, Empty>(
                &mut this.instance,
                &this.env,
                &info,
                msg,
            )?))
        })
        .map(Self::with_events)
    }

    /// Executes `msg` sent by `sender`.
    pub fn execute<M: Serialize>(
        &mut self,
        sender: &str,
        msg: &M,
    ) -> Result<Outcome<Response>, HarnessError> {
        let msg = serde_json::to_vec(msg)?;
        self.execute_raw(sender, &msg, &[])
    }

    /// Executes raw message bytes with funds.
    pub fn execute_raw(
        &mut self,
        sender: &str,
        msg: &[u8],
        funds: &[Coin],
    ) -> Result<Outcome<Response>, HarnessError> {
        let info = Self::info(sender, funds);
        self.metered(|this| {
            Ok(from_contract(call_execute::<_, _, _, Empty>(
                &mut this.instance,
                &this.env,
                &info,
                msg,
            )?))
        })
        .map(Self::with_events)
    }

    /// Runs `reply` with a raw JSON `Reply` (the harness runs no sub-messages; a scenario
    /// writes the reply the chain would send).
    pub fn reply_raw(&mut self, reply: &[u8]) -> Result<Outcome<Response>, HarnessError> {
        self.metered(|this| {
            let result =
                call_reply_raw(&mut this.instance, &serde_json::to_vec(&this.env)?, reply)?;
            Ok(from_contract(serde_json::from_slice::<
                ContractResult<Response>,
            >(&result)?))
        })
        .map(Self::with_events)
    }

    /// Sets the bank balance the contract's queries see for `address` (the harness moves no
    /// funds; a scenario keeps the balances a chain would have).
    pub fn set_balance(&mut self, address: &str, balance: &[Coin]) -> Result<(), HarnessError> {
        self.instance.with_querier(|querier| {
            querier.inner.update_balance(address, balance.to_vec());
            Ok(())
        })?;
        Ok(())
    }

    /// Runs `migrate` with `msg` on the stored state.
    pub fn migrate<M: Serialize>(&mut self, msg: &M) -> Result<Outcome<Response>, HarnessError> {
        let msg = serde_json::to_vec(msg)?;
        self.metered(|this| {
            Ok(from_contract(call_migrate::<_, _, _, Empty>(
                &mut this.instance,
                &this.env,
                &msg,
            )?))
        })
        .map(Self::with_events)
    }

    /// Queries with `msg` and decodes the answer as `T`.
    pub fn query<M: Serialize, T: DeserializeOwned>(
        &mut self,
        msg: &M,
    ) -> Result<Outcome<T>, HarnessError> {
        let msg = serde_json::to_vec(msg)?;
        self.metered(|this| {
            let answer: Result<Binary, String> =
                from_contract(call_query(&mut this.instance, &this.env, &msg)?);
            Ok(match answer {
                Ok(bytes) => Ok(serde_json::from_slice(&bytes)?),
                Err(err) => Err(err),
            })
        })
    }
}
