//! The LOOP token: cw20 behaviour identical to cw20-base, plus LooPIN's additions (a required
//! minter, refused native funds, the supply audit, guarded migration). This file holds the
//! set-up the suites share; each suite is a module beside it.

use cosmwasm_std::{
    Addr, Binary, CosmosMsg, Deps, DepsMut, Empty, Env, Event, MessageInfo, Response, StdError,
    StdResult, Uint128, WasmMsg, coins, from_json, to_json_binary, to_json_vec,
};
use cosmwasm_std::{Coin, Record};
use cw_multi_test::{App, AppBuilder, AppResponse, Contract, ContractWrapper, Executor};
use cw_utils::PaymentError;
use cw20::{
    AllAccountsResponse, AllAllowancesResponse, AllSpenderAllowancesResponse, AllowanceInfo,
    AllowanceResponse, BalanceResponse, Cw20Coin, Cw20ExecuteMsg, Cw20ReceiveMsg,
    DownloadLogoResponse, EmbeddedLogo, Expiration, Logo, LogoInfo, MarketingInfoResponse,
    SpenderAllowanceInfo, TokenInfoResponse,
};
use cw20_base::msg::QueryMsg as BaseQueryMsg;
use loopin::migrate::MigrateError;
use loopin::token::{
    InstantiateMarketingInfo, InstantiateMsg, MigrateMsg, MinterResponse, QueryMsg,
    SupplyAuditResponse,
};
use loopin_integration_tests::{
    contract_error, cw20_base_contract, stake_cert_contract, token_contract,
};
use loopin_token::ContractError;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

const ALICE_GENESIS: u128 = 1_000_000;
const BOB_GENESIS: u128 = 500_000;
const INITIAL_SUPPLY: u128 = ALICE_GENESIS + BOB_GENESIS;
const CAP: u128 = 2_000_000;
const DENOM: &str = "ucosm";
const LOGO_URL: &str = "https://loopin.network/logo.png";
const INVALID_ADDR: &str = "not-an-address";
/// A PNG header followed by some bytes: cw20-base only checks the header and the size.
const PNG: &[u8] = &[0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3, 4];
const SVG: &[u8] = b"<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\"/>";

// ---------------------------------------------------------------------------------------------
// A cw20 receiver: records what each token sent it and rejects the message "reject".

#[derive(Serialize, Deserialize, Debug)]
#[serde(rename_all = "snake_case")]
enum ReceiverExecuteMsg {
    Receive(Cw20ReceiveMsg),
}

#[derive(Serialize, Deserialize, Debug)]
#[serde(rename_all = "snake_case")]
enum ReceiverQueryMsg {
    Received { token: String },
}

/// What one token delivered to the receiver.
#[derive(Serialize, Deserialize, Debug, Clone, Default, PartialEq)]
struct Received {
    calls: u32,
    total: Uint128,
    senders: Vec<String>,
    msgs: Vec<Binary>,
}

fn receiver_contract() -> Box<dyn Contract<Empty>> {
    Box::new(ContractWrapper::new(
        |deps: DepsMut,
         _: Env,
         info: MessageInfo,
         msg: ReceiverExecuteMsg|
         -> StdResult<Response> {
            let ReceiverExecuteMsg::Receive(receive) = msg;
            if receive.msg == to_json_binary("reject")? {
                return Err(StdError::generic_err("receiver rejects"));
            }
            let key = info.sender.as_bytes();
            let mut received: Received = match deps.storage.get(key) {
                Some(bytes) => from_json(bytes)?,
                None => Received::default(),
            };
            received.calls += 1;
            received.total += receive.amount;
            received.senders.push(receive.sender.clone());
            received.msgs.push(receive.msg.clone());
            deps.storage.set(key, &to_json_vec(&received)?);
            Ok(Response::new()
                .add_attribute("action", "receive")
                .add_attribute("cw20_sender", receive.sender)
                .add_attribute("amount", receive.amount))
        },
        |_: DepsMut, _: Env, _: MessageInfo, _: Empty| -> StdResult<Response> {
            Ok(Response::new())
        },
        |deps: Deps, _: Env, msg: ReceiverQueryMsg| -> StdResult<Binary> {
            let ReceiverQueryMsg::Received { token } = msg;
            let received: Received = match deps.storage.get(token.as_bytes()) {
                Some(bytes) => from_json(bytes)?,
                None => Received::default(),
            };
            to_json_binary(&received)
        },
    ))
}

// ---------------------------------------------------------------------------------------------
// Set-up.

struct Actors {
    alice: Addr,
    bob: Addr,
    carol: Addr,
    minter: Addr,
    minter2: Addr,
    marketing: Addr,
    marketing2: Addr,
    stranger: Addr,
    admin: Addr,
}

impl Actors {
    fn new(app: &App) -> Self {
        let api = app.api();
        Actors {
            alice: api.addr_make("alice"),
            bob: api.addr_make("bob"),
            carol: api.addr_make("carol"),
            minter: api.addr_make("minter"),
            minter2: api.addr_make("minter2"),
            marketing: api.addr_make("marketing"),
            marketing2: api.addr_make("marketing2"),
            stranger: api.addr_make("stranger"),
            admin: api.addr_make("admin"),
        }
    }

    fn all(&self) -> Vec<&Addr> {
        vec![
            &self.alice,
            &self.bob,
            &self.carol,
            &self.minter,
            &self.minter2,
            &self.marketing,
            &self.marketing2,
            &self.stranger,
            &self.admin,
        ]
    }
}

/// An app in which every actor holds native coins, so that attaching funds is possible.
fn app() -> (App, Actors) {
    let probe = App::default();
    let actors = Actors::new(&probe);
    let funded: Vec<Addr> = actors.all().into_iter().cloned().collect();
    let app = AppBuilder::default().build(|router, _, storage| {
        for addr in &funded {
            router
                .bank
                .init_balance(storage, addr, coins(1_000, DENOM))
                .unwrap();
        }
    });
    (app, actors)
}

fn marketing_info(a: &Actors) -> InstantiateMarketingInfo {
    InstantiateMarketingInfo {
        project: Some("LooPIN".into()),
        description: Some("Decentralised compute-hour exchange".into()),
        marketing: Some(a.marketing.to_string()),
        logo: Some(Logo::Url(LOGO_URL.into())),
    }
}

fn genesis(a: &Actors) -> Vec<Cw20Coin> {
    vec![
        Cw20Coin {
            address: a.alice.to_string(),
            amount: Uint128::new(ALICE_GENESIS),
        },
        Cw20Coin {
            address: a.bob.to_string(),
            amount: Uint128::new(BOB_GENESIS),
        },
    ]
}

fn loop_instantiate_msg(a: &Actors) -> InstantiateMsg {
    InstantiateMsg {
        name: "LooPIN".into(),
        symbol: "LOOP".into(),
        decimals: 6,
        initial_balances: genesis(a),
        minter: MinterResponse {
            minter: a.minter.to_string(),
            cap: Some(Uint128::new(CAP)),
        },
        marketing: Some(marketing_info(a)),
    }
}

fn base_instantiate_msg(a: &Actors) -> cw20_base::msg::InstantiateMsg {
    let msg = loop_instantiate_msg(a);
    cw20_base::msg::InstantiateMsg {
        name: msg.name,
        symbol: msg.symbol,
        decimals: msg.decimals,
        initial_balances: msg.initial_balances,
        mint: Some(msg.minter),
        marketing: msg.marketing,
    }
}

fn instantiate_loop(app: &mut App, a: &Actors) -> (u64, Addr) {
    let code = app.store_code(token_contract());
    let addr = app
        .instantiate_contract(
            code,
            a.admin.clone(),
            &loop_instantiate_msg(a),
            &[],
            "LOOP",
            Some(a.admin.to_string()),
        )
        .unwrap();
    (code, addr)
}

fn exec(
    app: &mut App,
    sender: &Addr,
    contract: &Addr,
    msg: &Cw20ExecuteMsg,
    funds: &[Coin],
) -> anyhow::Result<AppResponse> {
    app.execute_contract(sender.clone(), contract.clone(), msg, funds)
}

fn audit(app: &App, token: &Addr) -> SupplyAuditResponse {
    app.wrap()
        .query_wasm_smart(token, &QueryMsg::SupplyAudit {})
        .unwrap()
}

fn expected_audit(minted: u128, burned: u128) -> SupplyAuditResponse {
    SupplyAuditResponse {
        initial_supply: Uint128::new(INITIAL_SUPPLY),
        minted: Uint128::new(minted),
        burned: Uint128::new(burned),
        total_supply: Uint128::new(INITIAL_SUPPLY + minted - burned),
    }
}

fn balance(app: &App, token: &Addr, who: &Addr) -> u128 {
    let response: BalanceResponse = app
        .wrap()
        .query_wasm_smart(
            token,
            &QueryMsg::Balance {
                address: who.to_string(),
            },
        )
        .unwrap();
    response.balance.u128()
}

fn native(app: &App, who: &Addr) -> u128 {
    app.wrap().query_balance(who, DENOM).unwrap().amount.u128()
}

/// The contract error behind a refused instantiation.
fn instantiate_error<E>(result: anyhow::Result<Addr>) -> E
where
    E: std::fmt::Display + std::fmt::Debug + Send + Sync + 'static,
{
    contract_error(result.map(|addr| panic!("instantiated at {addr}")))
}

/// Everything a contract holds, raw: the proof that a refused call changed nothing.
fn raw_state(app: &App, contract: &Addr) -> Vec<Record> {
    app.dump_wasm_raw(contract)
}

fn amount(n: u128) -> Uint128 {
    Uint128::new(n)
}

fn payload(text: &str) -> Binary {
    to_json_binary(text).unwrap()
}

// The suites, by topic.
mod differential;
mod info;
mod minting;
mod refusals;
