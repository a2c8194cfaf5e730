//! The factory's own contracts: the LOOP token and the stake-certificate contract it
//! instantiates at its instantiation (so it is their only minter from the first block), the
//! replies that record their addresses, and the addresses themselves once both are recorded.

use cosmwasm_std::{
    Addr, Binary, DepsMut, Env, Reply, Response, StdError, StdResult, SubMsg, WasmMsg,
    to_json_binary,
};
use loopin::factory::TokenInit;
use loopin::{stake_cert, token};

use crate::error::ContractError;
use crate::state::{CONFIG, Config};

/// The reply to the token's instantiation.
pub(crate) const REPLY_TOKEN: u64 = 1;
/// The reply to the stake-certificate contract's instantiation.
pub(crate) const REPLY_STAKE_CERT: u64 = 2;

/// The instantiations of the LOOP token (`token_init`, the factory its minter) and of the
/// stake-certificate contract (the factory its minter), `admin` their wasm admin; each replies
/// on success with its address.
pub(crate) fn instantiate_contracts(
    env: &Env,
    admin: Option<&Addr>,
    token_init: TokenInit,
    token_code_id: u64,
    stake_cert_code_id: u64,
) -> StdResult<[SubMsg; 2]> {
    let this = env.contract.address.to_string();
    let token_msg = token::InstantiateMsg {
        name: token_init.name,
        symbol: token_init.symbol,
        decimals: token_init.decimals,
        initial_balances: token_init.initial_balances,
        minter: token::MinterResponse {
            minter: this.clone(),
            cap: token_init.cap,
        },
        marketing: token_init.marketing,
    };
    let cert_msg = stake_cert::InstantiateMsg {
        name: "LooPIN stake certificates".into(),
        symbol: "stLOOP".into(),
        minter: this,
    };
    let instantiate = |code_id: u64, msg: Binary, label: &str| WasmMsg::Instantiate {
        admin: admin.map(Addr::to_string),
        code_id,
        msg,
        funds: vec![],
        label: label.to_string(),
    };
    Ok([
        SubMsg::reply_on_success(
            instantiate(token_code_id, to_json_binary(&token_msg)?, "LooPIN token"),
            REPLY_TOKEN,
        ),
        SubMsg::reply_on_success(
            instantiate(
                stake_cert_code_id,
                to_json_binary(&cert_msg)?,
                "LooPIN stake certificates",
            ),
            REPLY_STAKE_CERT,
        ),
    ])
}

/// Records the address of the token (reply `REPLY_TOKEN`) or of the stake-certificate contract
/// (`REPLY_STAKE_CERT`).
pub(crate) fn contract_instantiated(
    deps: DepsMut,
    id: u64,
    address: Addr,
) -> Result<Response, ContractError> {
    CONFIG.update(deps.storage, |mut config| -> StdResult<_> {
        if id == REPLY_TOKEN {
            config.token = Some(address.clone());
        } else {
            config.stake_cert = Some(address.clone());
        }
        Ok(config)
    })?;
    let role = if id == REPLY_TOKEN {
        "token"
    } else {
        "stake_cert"
    };
    Ok(Response::new().add_attribute(role, address))
}

/// The address of the contract a reply's instantiation created.
pub(crate) fn instantiated_address(msg: &Reply) -> Result<Addr, ContractError> {
    let response = msg
        .result
        .clone()
        .into_result()
        .map_err(StdError::generic_err)?;
    response
        .events
        .iter()
        .filter(|event| event.ty == "instantiate")
        .flat_map(|event| event.attributes.iter())
        .find(|attr| attr.key == "_contract_address")
        .map(|attr| Addr::unchecked(attr.value.clone()))
        .ok_or(ContractError::MissingContractAddress { id: msg.id })
}

/// The token's and the stake-certificate contract's addresses; `NotWired` until both replied.
pub(crate) fn wired(config: &Config) -> Result<(&Addr, &Addr), ContractError> {
    match (&config.token, &config.stake_cert) {
        (Some(token), Some(stake_cert)) => Ok((token, stake_cert)),
        _ => Err(ContractError::NotWired {}),
    }
}
