//! Shared set-up for the multi-contract tests: contract wrappers and small assertion helpers.

pub mod protocol;
pub mod proven;
pub mod registry;
pub mod seeds;
pub mod stake_cert;
pub mod views;

use cosmwasm_std::Empty;
use cw_multi_test::{AppResponse, Contract, ContractWrapper};

/// The LOOP token contract.
pub fn token_contract() -> Box<dyn Contract<Empty>> {
    Box::new(
        ContractWrapper::new(
            loopin_token::contract::execute,
            loopin_token::contract::instantiate,
            loopin_token::contract::query,
        )
        .with_migrate(loopin_token::contract::migrate),
    )
}

/// cw20-base itself, the reference the LOOP token must match.
pub fn cw20_base_contract() -> Box<dyn Contract<Empty>> {
    Box::new(ContractWrapper::new(
        cw20_base::contract::execute,
        cw20_base::contract::instantiate,
        cw20_base::contract::query,
    ))
}

/// The stake-certificate contract.
pub fn stake_cert_contract() -> Box<dyn Contract<Empty>> {
    Box::new(
        ContractWrapper::new(
            loopin_stake_cert::contract::execute,
            loopin_stake_cert::contract::instantiate,
            loopin_stake_cert::contract::query,
        )
        .with_migrate(loopin_stake_cert::contract::migrate),
    )
}

/// The contract error behind a failed multi-test call; panics with the whole chain otherwise.
pub fn contract_error<E>(result: anyhow::Result<AppResponse>) -> E
where
    E: std::fmt::Display + std::fmt::Debug + Send + Sync + 'static,
{
    let err = result.expect_err("call should have failed");
    match err.downcast::<E>() {
        Ok(err) => err,
        Err(err) => panic!("unexpected error: {err:?}"),
    }
}
