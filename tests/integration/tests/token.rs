//! The LOOP token: cw20 behaviour identical to cw20-base, plus LooPIN's additions (a required
//! minter, refused native funds, the supply audit, guarded migration).

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

// ---------------------------------------------------------------------------------------------
// Differential harness: the same query to cw20-base and to LOOP, answered the same way.

#[derive(Clone, Copy)]
enum Flavor {
    Base,
    Loop,
}

/// The LOOP query with the same meaning (and JSON) as cw20-base's.
fn loop_query(msg: BaseQueryMsg) -> QueryMsg {
    match msg {
        BaseQueryMsg::Balance { address } => QueryMsg::Balance { address },
        BaseQueryMsg::TokenInfo {} => QueryMsg::TokenInfo {},
        BaseQueryMsg::Minter {} => QueryMsg::Minter {},
        BaseQueryMsg::Allowance { owner, spender } => QueryMsg::Allowance { owner, spender },
        BaseQueryMsg::AllAllowances {
            owner,
            start_after,
            limit,
        } => QueryMsg::AllAllowances {
            owner,
            start_after,
            limit,
        },
        BaseQueryMsg::AllSpenderAllowances {
            spender,
            start_after,
            limit,
        } => QueryMsg::AllSpenderAllowances {
            spender,
            start_after,
            limit,
        },
        BaseQueryMsg::AllAccounts { start_after, limit } => {
            QueryMsg::AllAccounts { start_after, limit }
        }
        BaseQueryMsg::MarketingInfo {} => QueryMsg::MarketingInfo {},
        BaseQueryMsg::DownloadLogo {} => QueryMsg::DownloadLogo {},
    }
}

struct Pair {
    base: Addr,
    token: Addr,
    receiver: Addr,
}

impl Pair {
    fn addr(&self, flavor: Flavor) -> &Addr {
        match flavor {
            Flavor::Base => &self.base,
            Flavor::Loop => &self.token,
        }
    }

    /// Queries one side; an error is returned as text with the contract's own address masked.
    fn query<T: DeserializeOwned>(
        &self,
        app: &App,
        flavor: Flavor,
        msg: BaseQueryMsg,
    ) -> Result<T, String> {
        let addr = self.addr(flavor);
        let result = match flavor {
            Flavor::Base => app.wrap().query_wasm_smart(addr, &msg),
            Flavor::Loop => app.wrap().query_wasm_smart(addr, &loop_query(msg)),
        };
        result.map_err(|err| err.to_string().replace(addr.as_str(), "<token>"))
    }

    fn snapshot(&self, app: &App, a: &Actors, flavor: Flavor) -> Snapshot {
        let mut holders: Vec<String> = a.all().iter().map(|addr| addr.to_string()).collect();
        holders.push(self.receiver.to_string());
        holders.push(INVALID_ADDR.to_string());

        let balances = holders
            .iter()
            .map(|h| {
                let msg = BaseQueryMsg::Balance { address: h.clone() };
                (h.clone(), self.query(app, flavor, msg))
            })
            .collect();
        let mut allowances = vec![];
        for owner in &holders {
            for spender in &holders {
                let msg = BaseQueryMsg::Allowance {
                    owner: owner.clone(),
                    spender: spender.clone(),
                };
                allowances.push((owner.clone(), spender.clone(), self.query(app, flavor, msg)));
            }
        }
        let all_allowances = holders
            .iter()
            .map(|owner| (owner.clone(), self.owner_allowances(app, flavor, owner)))
            .collect();
        let all_spender_allowances = holders
            .iter()
            .map(|spender| {
                let pages = self.spender_allowances(app, flavor, spender);
                (spender.clone(), pages)
            })
            .collect();
        let received: Received = app
            .wrap()
            .query_wasm_smart(
                &self.receiver,
                &ReceiverQueryMsg::Received {
                    token: self.addr(flavor).to_string(),
                },
            )
            .unwrap();

        Snapshot {
            balances,
            token_info: self.query(app, flavor, BaseQueryMsg::TokenInfo {}),
            minter: self.query(app, flavor, BaseQueryMsg::Minter {}),
            allowances,
            all_allowances,
            all_spender_allowances,
            accounts: self.accounts(app, flavor),
            marketing: self.query(app, flavor, BaseQueryMsg::MarketingInfo {}),
            logo: self.query(app, flavor, BaseQueryMsg::DownloadLogo {}),
            received,
        }
    }

    /// Every account, read two at a time to exercise the pagination.
    fn accounts(&self, app: &App, flavor: Flavor) -> Result<Vec<String>, String> {
        let mut all = vec![];
        let mut start_after = None;
        loop {
            let msg = BaseQueryMsg::AllAccounts {
                start_after: start_after.clone(),
                limit: Some(2),
            };
            let page: AllAccountsResponse = self.query(app, flavor, msg)?;
            let done = page.accounts.len() < 2;
            start_after = page.accounts.last().cloned();
            all.extend(page.accounts);
            if done {
                return Ok(all);
            }
        }
    }

    fn owner_allowances(
        &self,
        app: &App,
        flavor: Flavor,
        owner: &str,
    ) -> Result<Vec<AllowanceInfo>, String> {
        let mut all = vec![];
        let mut start_after = None;
        loop {
            let msg = BaseQueryMsg::AllAllowances {
                owner: owner.to_string(),
                start_after: start_after.clone(),
                limit: Some(2),
            };
            let page: AllAllowancesResponse = self.query(app, flavor, msg)?;
            let done = page.allowances.len() < 2;
            start_after = page.allowances.last().map(|a| a.spender.clone());
            all.extend(page.allowances);
            if done {
                return Ok(all);
            }
        }
    }

    fn spender_allowances(
        &self,
        app: &App,
        flavor: Flavor,
        spender: &str,
    ) -> Result<Vec<SpenderAllowanceInfo>, String> {
        let mut all = vec![];
        let mut start_after = None;
        loop {
            let msg = BaseQueryMsg::AllSpenderAllowances {
                spender: spender.to_string(),
                start_after: start_after.clone(),
                limit: Some(2),
            };
            let page: AllSpenderAllowancesResponse = self.query(app, flavor, msg)?;
            let done = page.allowances.len() < 2;
            start_after = page.allowances.last().map(|a| a.owner.clone());
            all.extend(page.allowances);
            if done {
                return Ok(all);
            }
        }
    }
}

/// The whole observable state of one token.
#[derive(Debug, PartialEq)]
struct Snapshot {
    balances: Vec<(String, Result<BalanceResponse, String>)>,
    token_info: Result<TokenInfoResponse, String>,
    minter: Result<Option<MinterResponse>, String>,
    allowances: Vec<(String, String, Result<AllowanceResponse, String>)>,
    all_allowances: Vec<(String, Result<Vec<AllowanceInfo>, String>)>,
    all_spender_allowances: Vec<(String, Result<Vec<SpenderAllowanceInfo>, String>)>,
    accounts: Result<Vec<String>, String>,
    marketing: Result<MarketingInfoResponse, String>,
    logo: Result<DownloadLogoResponse, String>,
    received: Received,
}

/// Events without the one attribute that names the emitting contract.
fn events_without_address(events: &[Event]) -> Vec<(String, Vec<(String, String)>)> {
    events
        .iter()
        .map(|event| {
            let attributes = event
                .attributes
                .iter()
                .filter(|attr| attr.key != "_contract_address")
                .map(|attr| (attr.key.clone(), attr.value.clone()))
                .collect();
            (event.ty.clone(), attributes)
        })
        .collect()
}

/// What a scripted step must do on both tokens.
#[derive(Clone, Copy, Debug)]
enum Expect {
    Ok,
    /// Fails; the root cause reads exactly this.
    Err(&'static str),
    /// Fails; the root cause starts with this (the rest names storage keys).
    ErrStarting(&'static str),
}

enum Step {
    Exec {
        label: &'static str,
        sender: Addr,
        msg: Cw20ExecuteMsg,
        expect: Expect,
        /// Cumulative (minted, burned) the supply audit must show after the step.
        audit: (u128, u128),
    },
    Advance {
        blocks: u64,
        seconds: u64,
    },
}

fn step(
    label: &'static str,
    sender: &Addr,
    msg: Cw20ExecuteMsg,
    expect: Expect,
    audit: (u128, u128),
) -> Step {
    Step::Exec {
        label,
        sender: sender.clone(),
        msg,
        expect,
        audit,
    }
}

fn amount(n: u128) -> Uint128 {
    Uint128::new(n)
}

fn payload(text: &str) -> Binary {
    to_json_binary(text).unwrap()
}

const UNAUTHORIZED: Expect = Expect::Err("Unauthorized");
const SUB_OVERFLOW: Expect = Expect::Err("Overflow: Cannot Sub with given operands");
const INVALID_ADDRESS: Expect = Expect::Err("Generic error: Error decoding bech32");
const RECEIVER_REJECTS: Expect = Expect::Err("Generic error: receiver rejects");
const CANNOT_EXCEED_CAP: Expect = Expect::Err("Minting cannot exceed the cap");
const EXPIRED: Expect = Expect::Err("Allowance is expired");
const INVALID_EXPIRATION: Expect = Expect::Err("Invalid expiration value");

#[rustfmt::skip]
/// The scripted sequence; `h` and `t` are the block height and time (seconds) at its start.
fn script(a: &Actors, receiver: &Addr, h: u64, t: u64) -> Vec<Step> {
    use Cw20ExecuteMsg::*;
    use Expect::Ok as OK;
    let rcv = receiver.to_string();
    let s = |addr: &Addr| addr.to_string();
    vec![
        // Transfers.
        step("transfer", &a.alice, Transfer { recipient: s(&a.bob), amount: amount(100_000) }, OK, (0, 0)),
        step("transfer zero", &a.alice, Transfer { recipient: s(&a.carol), amount: amount(0) }, OK, (0, 0)),
        step("transfer to self", &a.bob, Transfer { recipient: s(&a.bob), amount: amount(7) }, OK, (0, 0)),
        step("transfer beyond balance", &a.bob, Transfer { recipient: s(&a.alice), amount: amount(10_000_000) }, SUB_OVERFLOW, (0, 0)),
        step("transfer to invalid address", &a.alice, Transfer { recipient: INVALID_ADDR.into(), amount: amount(1) }, INVALID_ADDRESS, (0, 0)),
        step("transfer from empty account", &a.stranger, Transfer { recipient: s(&a.alice), amount: amount(1) }, SUB_OVERFLOW, (0, 0)),
        // Sends.
        step("send", &a.alice, Send { contract: rcv.clone(), amount: amount(50_000), msg: payload("hello") }, OK, (0, 0)),
        step("send rejected by receiver", &a.alice, Send { contract: rcv.clone(), amount: amount(1), msg: payload("reject") }, RECEIVER_REJECTS, (0, 0)),
        step("send to an account, not a contract", &a.alice, Send { contract: s(&a.bob), amount: amount(1), msg: payload("hello") }, Expect::ErrStarting("type: cw_multi_test::wasm::ContractData; key:"), (0, 0)),
        step("send to invalid address", &a.alice, Send { contract: INVALID_ADDR.into(), amount: amount(1), msg: payload("hello") }, INVALID_ADDRESS, (0, 0)),
        step("send beyond balance", &a.carol, Send { contract: rcv.clone(), amount: amount(1), msg: payload("hello") }, SUB_OVERFLOW, (0, 0)),
        step("send zero", &a.bob, Send { contract: rcv.clone(), amount: amount(0), msg: payload("zero") }, OK, (0, 0)),
        // Burns.
        step("burn", &a.alice, Burn { amount: amount(25_000) }, OK, (0, 25_000)),
        step("burn zero", &a.bob, Burn { amount: amount(0) }, OK, (0, 25_000)),
        step("burn beyond balance", &a.stranger, Burn { amount: amount(1) }, SUB_OVERFLOW, (0, 25_000)),
        // Mints.
        step("mint by minter", &a.minter, Mint { recipient: s(&a.carol), amount: amount(300_000) }, OK, (300_000, 25_000)),
        step("mint by stranger", &a.stranger, Mint { recipient: s(&a.stranger), amount: amount(1) }, UNAUTHORIZED, (300_000, 25_000)),
        step("mint by holder", &a.alice, Mint { recipient: s(&a.alice), amount: amount(1) }, UNAUTHORIZED, (300_000, 25_000)),
        // Supply is 1_775_000: 225_000 below the cap.
        step("mint over the cap", &a.minter, Mint { recipient: s(&a.carol), amount: amount(225_001) }, CANNOT_EXCEED_CAP, (300_000, 25_000)),
        step("mint to invalid address", &a.minter, Mint { recipient: INVALID_ADDR.into(), amount: amount(1) }, INVALID_ADDRESS, (300_000, 25_000)),
        step("mint zero", &a.minter, Mint { recipient: s(&a.bob), amount: amount(0) }, OK, (300_000, 25_000)),
        // Allowances without expiry.
        step("increase allowance", &a.alice, IncreaseAllowance { spender: s(&a.carol), amount: amount(200_000), expires: None }, OK, (300_000, 25_000)),
        step("increase own allowance", &a.alice, IncreaseAllowance { spender: s(&a.alice), amount: amount(1), expires: None }, Expect::Err("Cannot set to own account"), (300_000, 25_000)),
        step("increase allowance of invalid address", &a.alice, IncreaseAllowance { spender: INVALID_ADDR.into(), amount: amount(1), expires: None }, INVALID_ADDRESS, (300_000, 25_000)),
        step("increase allowance by zero", &a.bob, IncreaseAllowance { spender: s(&a.stranger), amount: amount(0), expires: None }, OK, (300_000, 25_000)),
        step("decrease allowance", &a.alice, DecreaseAllowance { spender: s(&a.carol), amount: amount(50_000), expires: None }, OK, (300_000, 25_000)),
        step("decrease missing allowance", &a.alice, DecreaseAllowance { spender: s(&a.stranger), amount: amount(1), expires: None }, Expect::ErrStarting("type: cw20::query::AllowanceResponse; key:"), (300_000, 25_000)),
        step("decrease own allowance", &a.alice, DecreaseAllowance { spender: s(&a.alice), amount: amount(1), expires: None }, Expect::Err("Cannot set to own account"), (300_000, 25_000)),
        // Spending an allowance of 150_000.
        step("transfer_from within allowance", &a.carol, TransferFrom { owner: s(&a.alice), recipient: s(&a.bob), amount: amount(100_000) }, OK, (300_000, 25_000)),
        step("transfer_from beyond allowance", &a.carol, TransferFrom { owner: s(&a.alice), recipient: s(&a.bob), amount: amount(50_001) }, SUB_OVERFLOW, (300_000, 25_000)),
        step("transfer_from without allowance", &a.stranger, TransferFrom { owner: s(&a.alice), recipient: s(&a.stranger), amount: amount(1) }, Expect::Err("No allowance for this account"), (300_000, 25_000)),
        step("transfer_from zero", &a.carol, TransferFrom { owner: s(&a.alice), recipient: s(&a.carol), amount: amount(0) }, OK, (300_000, 25_000)),
        step("transfer_from to invalid address", &a.carol, TransferFrom { owner: s(&a.alice), recipient: INVALID_ADDR.into(), amount: amount(1) }, INVALID_ADDRESS, (300_000, 25_000)),
        step("transfer_from invalid owner", &a.carol, TransferFrom { owner: INVALID_ADDR.into(), recipient: s(&a.carol), amount: amount(1) }, INVALID_ADDRESS, (300_000, 25_000)),
        step("send_from within allowance", &a.carol, SendFrom { owner: s(&a.alice), contract: rcv.clone(), amount: amount(20_000), msg: payload("from") }, OK, (300_000, 25_000)),
        step("send_from rejected by receiver", &a.carol, SendFrom { owner: s(&a.alice), contract: rcv.clone(), amount: amount(1), msg: payload("reject") }, RECEIVER_REJECTS, (300_000, 25_000)),
        step("send_from beyond allowance", &a.carol, SendFrom { owner: s(&a.alice), contract: rcv.clone(), amount: amount(30_001), msg: payload("from") }, SUB_OVERFLOW, (300_000, 25_000)),
        step("burn_from within allowance", &a.carol, BurnFrom { owner: s(&a.alice), amount: amount(30_000) }, OK, (300_000, 55_000)),
        step("burn_from beyond allowance", &a.carol, BurnFrom { owner: s(&a.alice), amount: amount(1) }, SUB_OVERFLOW, (300_000, 55_000)),
        step("burn_from without allowance", &a.stranger, BurnFrom { owner: s(&a.bob), amount: amount(1) }, SUB_OVERFLOW, (300_000, 55_000)),
        step("burn_from invalid owner", &a.carol, BurnFrom { owner: INVALID_ADDR.into(), amount: amount(1) }, INVALID_ADDRESS, (300_000, 55_000)),
        // Allowances with expiry.
        step("increase allowance expiring at a height", &a.bob, IncreaseAllowance { spender: s(&a.carol), amount: amount(40_000), expires: Some(Expiration::AtHeight(h + 5)) }, OK, (300_000, 55_000)),
        step("increase allowance expiring at a time", &a.alice, IncreaseAllowance { spender: s(&a.stranger), amount: amount(10_000), expires: Some(Expiration::AtTime(cosmwasm_std::Timestamp::from_seconds(t + 100))) }, OK, (300_000, 55_000)),
        step("increase allowance already expired", &a.bob, IncreaseAllowance { spender: s(&a.carol), amount: amount(1), expires: Some(Expiration::AtHeight(h)) }, INVALID_EXPIRATION, (300_000, 55_000)),
        step("decrease allowance with new expiry", &a.bob, DecreaseAllowance { spender: s(&a.carol), amount: amount(1_000), expires: Some(Expiration::AtHeight(h + 10)) }, OK, (300_000, 55_000)),
        step("decrease allowance with past expiry", &a.bob, DecreaseAllowance { spender: s(&a.carol), amount: amount(1), expires: Some(Expiration::AtHeight(h - 1)) }, INVALID_EXPIRATION, (300_000, 55_000)),
        step("transfer_from before expiry", &a.carol, TransferFrom { owner: s(&a.bob), recipient: s(&a.carol), amount: amount(9_000) }, OK, (300_000, 55_000)),
        step("transfer_from before expiry beyond allowance", &a.carol, TransferFrom { owner: s(&a.bob), recipient: s(&a.carol), amount: amount(30_001) }, SUB_OVERFLOW, (300_000, 55_000)),
        Step::Advance { blocks: 10, seconds: 50 },
        step("transfer_from after height expiry", &a.carol, TransferFrom { owner: s(&a.bob), recipient: s(&a.carol), amount: amount(1) }, EXPIRED, (300_000, 55_000)),
        step("burn_from after height expiry", &a.carol, BurnFrom { owner: s(&a.bob), amount: amount(1) }, EXPIRED, (300_000, 55_000)),
        step("send_from after height expiry", &a.carol, SendFrom { owner: s(&a.bob), contract: rcv.clone(), amount: amount(1), msg: payload("late") }, EXPIRED, (300_000, 55_000)),
        step("burn_from before time expiry", &a.stranger, BurnFrom { owner: s(&a.alice), amount: amount(5_000) }, OK, (300_000, 60_000)),
        Step::Advance { blocks: 1, seconds: 100 },
        step("transfer_from after time expiry", &a.stranger, TransferFrom { owner: s(&a.alice), recipient: s(&a.stranger), amount: amount(1) }, EXPIRED, (300_000, 60_000)),
        step("increase allowance to never expire", &a.alice, IncreaseAllowance { spender: s(&a.stranger), amount: amount(1), expires: Some(Expiration::Never {}) }, OK, (300_000, 60_000)),
        step("transfer_from whole renewed allowance", &a.stranger, TransferFrom { owner: s(&a.alice), recipient: s(&a.stranger), amount: amount(5_001) }, OK, (300_000, 60_000)),
        step("decrease allowance below zero removes it", &a.alice, DecreaseAllowance { spender: s(&a.stranger), amount: amount(10), expires: None }, OK, (300_000, 60_000)),
        step("decrease expired allowance removes it", &a.bob, DecreaseAllowance { spender: s(&a.carol), amount: amount(1_000_000), expires: None }, OK, (300_000, 60_000)),
        // Marketing.
        step("update marketing by stranger", &a.stranger, UpdateMarketing { project: Some("x".into()), description: None, marketing: None }, UNAUTHORIZED, (300_000, 60_000)),
        step("update marketing", &a.marketing, UpdateMarketing { project: Some("LooPIN v2".into()), description: Some(" ".into()), marketing: None }, OK, (300_000, 60_000)),
        step("update marketing to invalid address", &a.marketing, UpdateMarketing { project: None, description: None, marketing: Some(INVALID_ADDR.into()) }, INVALID_ADDRESS, (300_000, 60_000)),
        step("upload logo by stranger", &a.stranger, UploadLogo(Logo::Url("https://evil.example/logo.png".into())), UNAUTHORIZED, (300_000, 60_000)),
        step("upload png with bad header", &a.marketing, UploadLogo(Logo::Embedded(EmbeddedLogo::Png(Binary::from(b"GIF89a".to_vec())))), Expect::Err("Invalid png header"), (300_000, 60_000)),
        step("upload svg without preamble", &a.marketing, UploadLogo(Logo::Embedded(EmbeddedLogo::Svg(Binary::from(b"<svg/>".to_vec())))), Expect::Err("Invalid xml preamble for SVG"), (300_000, 60_000)),
        step("upload oversized svg", &a.marketing, UploadLogo(Logo::Embedded(EmbeddedLogo::Svg(Binary::from([SVG, &[b' '; 5 * 1024][..]].concat())))), Expect::Err("Logo binary data exceeds 5KB limit"), (300_000, 60_000)),
        step("upload png", &a.marketing, UploadLogo(Logo::Embedded(EmbeddedLogo::Png(Binary::from(PNG)))), OK, (300_000, 60_000)),
        step("upload svg", &a.marketing, UploadLogo(Logo::Embedded(EmbeddedLogo::Svg(Binary::from(SVG)))), OK, (300_000, 60_000)),
        step("upload url", &a.marketing, UploadLogo(Logo::Url(LOGO_URL.into())), OK, (300_000, 60_000)),
        step("upload png again", &a.marketing, UploadLogo(Logo::Embedded(EmbeddedLogo::Png(Binary::from(PNG)))), OK, (300_000, 60_000)),
        step("hand marketing over", &a.marketing, UpdateMarketing { project: None, description: None, marketing: Some(s(&a.marketing2)) }, OK, (300_000, 60_000)),
        step("former marketing address uploads", &a.marketing, UploadLogo(Logo::Url(LOGO_URL.into())), UNAUTHORIZED, (300_000, 60_000)),
        step("clear marketing address", &a.marketing2, UpdateMarketing { project: None, description: None, marketing: Some("".into()) }, OK, (300_000, 60_000)),
        step("update marketing without marketing address", &a.marketing2, UpdateMarketing { project: Some("y".into()), description: None, marketing: None }, UNAUTHORIZED, (300_000, 60_000)),
        // Minter changes. Supply is 1_740_000: 260_000 below the cap.
        step("update minter by stranger", &a.stranger, UpdateMinter { new_minter: Some(s(&a.stranger)) }, UNAUTHORIZED, (300_000, 60_000)),
        step("update minter to invalid address", &a.minter, UpdateMinter { new_minter: Some(INVALID_ADDR.into()) }, INVALID_ADDRESS, (300_000, 60_000)),
        step("update minter", &a.minter, UpdateMinter { new_minter: Some(s(&a.minter2)) }, OK, (300_000, 60_000)),
        step("mint by former minter", &a.minter, Mint { recipient: s(&a.minter), amount: amount(1) }, UNAUTHORIZED, (300_000, 60_000)),
        step("mint up to the cap", &a.minter2, Mint { recipient: s(&a.alice), amount: amount(260_000) }, OK, (560_000, 60_000)),
        step("mint one past the cap", &a.minter2, Mint { recipient: s(&a.alice), amount: amount(1) }, CANNOT_EXCEED_CAP, (560_000, 60_000)),
        step("burn at the cap", &a.bob, Burn { amount: amount(1_000) }, OK, (560_000, 61_000)),
        step("mint into the freed room", &a.minter2, Mint { recipient: s(&a.bob), amount: amount(1_000) }, OK, (561_000, 61_000)),
        step("remove the minter", &a.minter2, UpdateMinter { new_minter: None }, OK, (561_000, 61_000)),
        step("mint without a minter", &a.minter2, Mint { recipient: s(&a.bob), amount: amount(1) }, UNAUTHORIZED, (561_000, 61_000)),
        step("update minter without a minter", &a.minter2, UpdateMinter { new_minter: Some(s(&a.minter)) }, UNAUTHORIZED, (561_000, 61_000)),
    ]
}

/// The root cause's text, the same error seen through cw20-base's and LOOP's error types.
fn compare_errors(label: &str, base: &anyhow::Error, token: &anyhow::Error, expect: Expect) {
    let root = base.root_cause().to_string();
    assert_eq!(
        root,
        token.root_cause().to_string(),
        "{label}: root causes differ"
    );
    match expect {
        Expect::Ok => panic!("{label}: expected success, both failed with {root}"),
        Expect::Err(text) => assert_eq!(root, text, "{label}"),
        Expect::ErrStarting(prefix) => assert!(root.starts_with(prefix), "{label}: {root}"),
    }
    // Where cw20-base fails with its own error, LOOP fails with that same error, wrapped.
    match (
        base.downcast_ref::<cw20_base::ContractError>(),
        token.downcast_ref::<ContractError>(),
    ) {
        (Some(base_err), Some(ContractError::Cw20(token_err))) => {
            assert_eq!(base_err, token_err, "{label}")
        }
        (None, None) => {}
        (base_err, token_err) => {
            panic!("{label}: typed errors differ: {base_err:?} / {token_err:?}")
        }
    }
}

#[test]
fn cw20_behaviour_matches_cw20_base_step_by_step() {
    let (mut app, a) = app();
    let base_code = app.store_code(cw20_base_contract());
    let base = app
        .instantiate_contract(
            base_code,
            a.admin.clone(),
            &base_instantiate_msg(&a),
            &[],
            "cw20-base",
            None,
        )
        .unwrap();
    let (_, token) = instantiate_loop(&mut app, &a);
    let receiver_code = app.store_code(receiver_contract());
    let receiver = app
        .instantiate_contract(
            receiver_code,
            a.admin.clone(),
            &Empty {},
            &[],
            "receiver",
            None,
        )
        .unwrap();
    let pair = Pair {
        base,
        token,
        receiver: receiver.clone(),
    };

    let initial = pair.snapshot(&app, &a, Flavor::Base);
    assert_eq!(initial, pair.snapshot(&app, &a, Flavor::Loop));
    assert_eq!(audit(&app, &pair.token), expected_audit(0, 0));

    let block = app.block_info();
    let script = script(&a, &receiver, block.height, block.time.seconds());
    let mut executed = 0;
    for step in script {
        let (label, sender, msg, expect, (minted, burned)) = match step {
            Step::Advance { blocks, seconds } => {
                app.update_block(|b| {
                    b.height += blocks;
                    b.time = b.time.plus_seconds(seconds);
                });
                continue;
            }
            Step::Exec {
                label,
                sender,
                msg,
                expect,
                audit,
            } => (label, sender, msg, expect, audit),
        };
        let token_state_before = raw_state(&app, &pair.token);
        let base_result = exec(&mut app, &sender, &pair.base, &msg, &[]);
        let token_result = exec(&mut app, &sender, &pair.token, &msg, &[]);
        match (&base_result, &token_result) {
            (Ok(base_response), Ok(token_response)) => {
                assert!(matches!(expect, Expect::Ok), "{label}: both succeeded");
                assert_eq!(
                    events_without_address(&base_response.events),
                    events_without_address(&token_response.events),
                    "{label}: events differ"
                );
                assert_eq!(base_response.data, token_response.data, "{label}");
            }
            (Err(base_err), Err(token_err)) => {
                compare_errors(label, base_err, token_err, expect);
                assert_eq!(
                    token_state_before,
                    raw_state(&app, &pair.token),
                    "{label}: a refused call changed LOOP's state"
                );
            }
            _ => panic!("{label}: cw20-base {base_result:?}, LOOP {token_result:?}"),
        }
        assert_eq!(
            pair.snapshot(&app, &a, Flavor::Base),
            pair.snapshot(&app, &a, Flavor::Loop),
            "{label}: state differs"
        );
        let audit_now = audit(&app, &pair.token);
        assert_eq!(audit_now, expected_audit(minted, burned), "{label}: audit");
        assert_eq!(
            audit_now.total_supply,
            audit_now.initial_supply + audit_now.minted - audit_now.burned,
            "{label}"
        );
        executed += 1;
    }
    assert_eq!(executed, 83);

    // Exact final balances (the same on both tokens, by the snapshots above).
    let expected = [
        (
            &a.alice,
            1_000_000 - 100_000 - 50_000 - 25_000 - 100_000 - 20_000 - 30_000 - 5_000 - 5_001
                + 260_000,
        ),
        (&a.bob, 500_000 + 100_000 + 100_000 - 9_000 - 1_000 + 1_000),
        (&a.carol, 300_000 + 9_000),
        (&a.stranger, 5_001),
        (&receiver, 50_000 + 20_000),
        (&a.minter, 0),
        (&a.minter2, 0),
    ];
    let mut sum = 0;
    for (who, expected) in expected {
        for contract in [&pair.base, &pair.token] {
            assert_eq!(balance(&app, contract, who), expected, "{who}");
        }
        sum += expected;
    }
    assert_eq!(sum, INITIAL_SUPPLY + 561_000 - 61_000);
    let token_info: TokenInfoResponse = app
        .wrap()
        .query_wasm_smart(&pair.token, &QueryMsg::TokenInfo {})
        .unwrap();
    assert_eq!(token_info.total_supply.u128(), sum);

    // The receiver saw both tokens deliver the same transfers, from the right senders.
    let final_snapshot = pair.snapshot(&app, &a, Flavor::Loop);
    assert_eq!(
        final_snapshot.received,
        Received {
            calls: 3,
            total: Uint128::new(70_000),
            senders: vec![a.alice.to_string(), a.bob.to_string(), a.carol.to_string()],
            msgs: vec![payload("hello"), payload("zero"), payload("from")],
        }
    );
    assert_eq!(final_snapshot.minter, Ok(None));
    assert_eq!(
        final_snapshot.marketing,
        Ok(MarketingInfoResponse {
            project: Some("LooPIN v2".into()),
            description: None,
            marketing: None,
            logo: Some(LogoInfo::Embedded),
        })
    );
    assert_eq!(
        final_snapshot.logo,
        Ok(DownloadLogoResponse {
            mime_type: "image/png".into(),
            data: Binary::from(PNG),
        })
    );
}

// ---------------------------------------------------------------------------------------------
// LooPIN's additions.

/// One message of every kind, each of which succeeds when sent without funds, in order.
fn one_of_each(a: &Actors, receiver: &Addr) -> Vec<(Addr, Cw20ExecuteMsg)> {
    use Cw20ExecuteMsg::*;
    vec![
        (
            a.alice.clone(),
            Transfer {
                recipient: a.bob.to_string(),
                amount: amount(10),
            },
        ),
        (
            a.alice.clone(),
            Send {
                contract: receiver.to_string(),
                amount: amount(10),
                msg: payload("paid"),
            },
        ),
        (a.alice.clone(), Burn { amount: amount(10) }),
        (
            a.minter.clone(),
            Mint {
                recipient: a.carol.to_string(),
                amount: amount(10),
            },
        ),
        (
            a.alice.clone(),
            IncreaseAllowance {
                spender: a.carol.to_string(),
                amount: amount(100),
                expires: None,
            },
        ),
        (
            a.alice.clone(),
            DecreaseAllowance {
                spender: a.carol.to_string(),
                amount: amount(10),
                expires: None,
            },
        ),
        (
            a.carol.clone(),
            TransferFrom {
                owner: a.alice.to_string(),
                recipient: a.carol.to_string(),
                amount: amount(10),
            },
        ),
        (
            a.carol.clone(),
            SendFrom {
                owner: a.alice.to_string(),
                contract: receiver.to_string(),
                amount: amount(10),
                msg: payload("paid"),
            },
        ),
        (
            a.carol.clone(),
            BurnFrom {
                owner: a.alice.to_string(),
                amount: amount(10),
            },
        ),
        (
            a.marketing.clone(),
            UpdateMarketing {
                project: Some("LooPIN 2".into()),
                description: None,
                marketing: None,
            },
        ),
        (
            a.marketing.clone(),
            UploadLogo(Logo::Embedded(EmbeddedLogo::Png(Binary::from(PNG)))),
        ),
        (
            a.minter.clone(),
            UpdateMinter {
                new_minter: Some(a.minter2.to_string()),
            },
        ),
    ]
}

#[test]
fn attached_funds_are_refused_and_change_nothing() {
    let (mut app, a) = app();
    let code = app.store_code(token_contract());

    // Instantiate with funds: refused, the sender keeps its coins.
    let err: ContractError = instantiate_error(app.instantiate_contract(
        code,
        a.alice.clone(),
        &loop_instantiate_msg(&a),
        &coins(5, DENOM),
        "LOOP",
        None,
    ));
    assert_eq!(err, ContractError::Payment(PaymentError::NonPayable {}));
    assert_eq!(native(&app, &a.alice), 1_000);

    let (_, token) = instantiate_loop(&mut app, &a);
    let receiver_code = app.store_code(receiver_contract());
    let receiver = app
        .instantiate_contract(receiver_code, a.admin.clone(), &Empty {}, &[], "rcv", None)
        .unwrap();

    let messages = one_of_each(&a, &receiver);
    assert_eq!(messages.len(), 12, "every cw20 execute message");
    let (mut minted, mut burned) = (0, 0);
    for (sender, msg) in messages {
        let before = raw_state(&app, &token);
        let audit_before = audit(&app, &token);
        let err: ContractError =
            contract_error(exec(&mut app, &sender, &token, &msg, &coins(1, DENOM)));
        assert_eq!(
            err,
            ContractError::Payment(PaymentError::NonPayable {}),
            "{msg:?}"
        );
        assert_eq!(before, raw_state(&app, &token), "{msg:?} changed state");
        assert_eq!(audit_before, audit(&app, &token));
        assert_eq!(native(&app, &sender), 1_000, "{msg:?} kept the coins");
        assert_eq!(native(&app, &token), 0);

        // The same message without funds goes through: funds were the only reason.
        exec(&mut app, &sender, &token, &msg, &[]).unwrap();
        assert_ne!(before, raw_state(&app, &token), "{msg:?} did nothing");
        match msg {
            Cw20ExecuteMsg::Mint { amount, .. } => minted += amount.u128(),
            Cw20ExecuteMsg::Burn { amount } | Cw20ExecuteMsg::BurnFrom { amount, .. } => {
                burned += amount.u128()
            }
            _ => {}
        }
        assert_eq!(audit(&app, &token), expected_audit(minted, burned));
    }
    assert_eq!((minted, burned), (10, 20));
    assert_eq!(balance(&app, &token, &a.alice), ALICE_GENESIS - 60);
    assert_eq!(balance(&app, &token, &receiver), 20);
}

#[test]
fn instantiate_requires_a_minter() {
    let (mut app, a) = app();
    let code = app.store_code(token_contract());

    // cw20-base's own instantiate message, with its optional `mint`, is not LOOP's.
    let base_msg = base_instantiate_msg(&a);
    let err: StdError = instantiate_error(app.instantiate_contract(
        code,
        a.admin.clone(),
        &base_msg,
        &[],
        "LOOP",
        None,
    ));
    assert!(
        matches!(&err, StdError::ParseErr { msg, .. } if msg.contains("missing field `minter`")),
        "{err}"
    );
    let json = to_json_vec(&base_msg).unwrap();
    let parsed = from_json::<InstantiateMsg>(&json).unwrap_err().to_string();
    assert!(parsed.contains("missing field `minter`"), "{parsed}");

    // An explicit null minter is no minter either.
    #[derive(Serialize)]
    struct NullMinter {
        name: String,
        symbol: String,
        decimals: u8,
        initial_balances: Vec<Cw20Coin>,
        minter: Option<MinterResponse>,
    }
    let value = NullMinter {
        name: "LooPIN".into(),
        symbol: "LOOP".into(),
        decimals: 6,
        initial_balances: genesis(&a),
        minter: None,
    };
    assert!(
        String::from_utf8(to_json_vec(&value).unwrap())
            .unwrap()
            .contains("\"minter\":null")
    );
    let err: StdError = instantiate_error(app.instantiate_contract(
        code,
        a.admin.clone(),
        &value,
        &[],
        "LOOP",
        None,
    ));
    assert!(matches!(err, StdError::ParseErr { .. }), "{err}");

    // An invalid minter address, and a cap below the genesis supply, are refused.
    let mut msg = loop_instantiate_msg(&a);
    msg.minter.minter = INVALID_ADDR.into();
    let err: ContractError =
        instantiate_error(app.instantiate_contract(code, a.admin.clone(), &msg, &[], "LOOP", None));
    assert_eq!(
        err,
        ContractError::Cw20(cw20_base::ContractError::Std(StdError::generic_err(
            "Error decoding bech32"
        )))
    );
    let mut msg = loop_instantiate_msg(&a);
    msg.minter.cap = Some(Uint128::new(INITIAL_SUPPLY - 1));
    let err: ContractError =
        instantiate_error(app.instantiate_contract(code, a.admin.clone(), &msg, &[], "LOOP", None));
    assert_eq!(
        err,
        ContractError::Cw20(cw20_base::ContractError::Std(StdError::generic_err(
            "Initial supply greater than cap"
        )))
    );

    // With the minter it instantiates, and the minter is the one given.
    let (_, token) = instantiate_loop(&mut app, &a);
    let minter: Option<MinterResponse> = app
        .wrap()
        .query_wasm_smart(&token, &QueryMsg::Minter {})
        .unwrap();
    assert_eq!(
        minter,
        Some(MinterResponse {
            minter: a.minter.to_string(),
            cap: Some(Uint128::new(CAP)),
        })
    );
    assert_eq!(audit(&app, &token), expected_audit(0, 0));
}

#[test]
fn only_the_minter_mints_and_never_past_the_cap() {
    let (mut app, a) = app();
    let (_, token) = instantiate_loop(&mut app, &a);
    let mint = |to: &Addr, n: u128| Cw20ExecuteMsg::Mint {
        recipient: to.to_string(),
        amount: amount(n),
    };

    for sender in [&a.alice, &a.stranger, &a.marketing, &a.admin] {
        let before = raw_state(&app, &token);
        let err: ContractError =
            contract_error(exec(&mut app, sender, &token, &mint(sender, 1), &[]));
        assert_eq!(
            err,
            ContractError::Cw20(cw20_base::ContractError::Unauthorized {})
        );
        assert_eq!(before, raw_state(&app, &token));
    }

    let room = CAP - INITIAL_SUPPLY;
    let err: ContractError = contract_error(exec(
        &mut app,
        &a.minter,
        &token,
        &mint(&a.carol, room + 1),
        &[],
    ));
    assert_eq!(
        err,
        ContractError::Cw20(cw20_base::ContractError::CannotExceedCap {})
    );
    assert_eq!(audit(&app, &token), expected_audit(0, 0));

    let response = exec(&mut app, &a.minter, &token, &mint(&a.carol, room - 1), &[]).unwrap();
    let wasm = response.events.iter().find(|e| e.ty == "wasm").unwrap();
    assert!(
        wasm.attributes
            .iter()
            .any(|attr| attr.key == "action" && attr.value == "mint")
    );
    exec(&mut app, &a.minter, &token, &mint(&a.bob, 1), &[]).unwrap();
    assert_eq!(balance(&app, &token, &a.carol), room - 1);
    assert_eq!(balance(&app, &token, &a.bob), BOB_GENESIS + 1);
    assert_eq!(audit(&app, &token), expected_audit(room, 0));
    assert_eq!(audit(&app, &token).total_supply.u128(), CAP);

    let err: ContractError =
        contract_error(exec(&mut app, &a.minter, &token, &mint(&a.carol, 1), &[]));
    assert_eq!(
        err,
        ContractError::Cw20(cw20_base::ContractError::CannotExceedCap {})
    );
    assert_eq!(audit(&app, &token), expected_audit(room, 0));
    assert_eq!(balance(&app, &token, &a.carol), room - 1);

    // The minter hands over: the cap stays, the former minter can no longer mint.
    exec(
        &mut app,
        &a.minter,
        &token,
        &Cw20ExecuteMsg::UpdateMinter {
            new_minter: Some(a.minter2.to_string()),
        },
        &[],
    )
    .unwrap();
    let minter: Option<MinterResponse> = app
        .wrap()
        .query_wasm_smart(&token, &QueryMsg::Minter {})
        .unwrap();
    assert_eq!(
        minter,
        Some(MinterResponse {
            minter: a.minter2.to_string(),
            cap: Some(Uint128::new(CAP)),
        })
    );
    exec(
        &mut app,
        &a.carol,
        &token,
        &Cw20ExecuteMsg::Burn {
            amount: amount(100),
        },
        &[],
    )
    .unwrap();
    let err: ContractError = contract_error(exec(
        &mut app,
        &a.minter,
        &token,
        &mint(&a.minter, 100),
        &[],
    ));
    assert_eq!(
        err,
        ContractError::Cw20(cw20_base::ContractError::Unauthorized {})
    );
    exec(&mut app, &a.minter2, &token, &mint(&a.alice, 100), &[]).unwrap();
    assert_eq!(audit(&app, &token), expected_audit(room + 100, 100));
    assert_eq!(audit(&app, &token).total_supply.u128(), CAP);
}

#[test]
fn holders_burn_their_own_tokens() {
    let (mut app, a) = app();
    let (_, token) = instantiate_loop(&mut app, &a);
    let burn = |n: u128| Cw20ExecuteMsg::Burn { amount: amount(n) };

    let response = exec(&mut app, &a.alice, &token, &burn(400_000), &[]).unwrap();
    let wasm = response.events.iter().find(|e| e.ty == "wasm").unwrap();
    let attributes: Vec<(&str, &str)> = wasm
        .attributes
        .iter()
        .map(|attr| (attr.key.as_str(), attr.value.as_str()))
        .collect();
    assert_eq!(
        attributes,
        vec![
            ("_contract_address", token.as_str()),
            ("action", "burn"),
            ("from", a.alice.as_str()),
            ("amount", "400000"),
        ]
    );
    assert_eq!(balance(&app, &token, &a.alice), ALICE_GENESIS - 400_000);
    assert_eq!(audit(&app, &token), expected_audit(0, 400_000));

    // Bob burns everything he has; one more is refused and changes nothing.
    exec(&mut app, &a.bob, &token, &burn(BOB_GENESIS), &[]).unwrap();
    assert_eq!(balance(&app, &token, &a.bob), 0);
    let before = raw_state(&app, &token);
    let err: ContractError = contract_error(exec(&mut app, &a.bob, &token, &burn(1), &[]));
    assert!(
        matches!(
            err,
            ContractError::Cw20(cw20_base::ContractError::Std(StdError::Overflow { .. }))
        ),
        "{err:?}"
    );
    assert_eq!(before, raw_state(&app, &token));
    assert_eq!(
        audit(&app, &token),
        expected_audit(0, 400_000 + BOB_GENESIS)
    );
    let info: TokenInfoResponse = app
        .wrap()
        .query_wasm_smart(&token, &QueryMsg::TokenInfo {})
        .unwrap();
    assert_eq!(info.total_supply.u128(), ALICE_GENESIS - 400_000);

    // Nobody burns another holder's tokens without an allowance.
    let err: ContractError = contract_error(exec(
        &mut app,
        &a.minter,
        &token,
        &Cw20ExecuteMsg::BurnFrom {
            owner: a.alice.to_string(),
            amount: amount(1),
        },
        &[],
    ));
    assert_eq!(
        err,
        ContractError::Cw20(cw20_base::ContractError::NoAllowance {})
    );
    assert_eq!(balance(&app, &token, &a.alice), ALICE_GENESIS - 400_000);
}

#[test]
fn token_and_marketing_info_are_served() {
    let (mut app, a) = app();
    let code = app.store_code(token_contract());
    let mut msg = loop_instantiate_msg(&a);
    msg.marketing.as_mut().unwrap().logo =
        Some(Logo::Embedded(EmbeddedLogo::Svg(Binary::from(SVG))));
    let token = app
        .instantiate_contract(code, a.admin.clone(), &msg, &[], "LOOP", None)
        .unwrap();

    let info: TokenInfoResponse = app
        .wrap()
        .query_wasm_smart(&token, &QueryMsg::TokenInfo {})
        .unwrap();
    assert_eq!(
        info,
        TokenInfoResponse {
            name: "LooPIN".into(),
            symbol: "LOOP".into(),
            decimals: 6,
            total_supply: Uint128::new(INITIAL_SUPPLY),
        }
    );
    let marketing: MarketingInfoResponse = app
        .wrap()
        .query_wasm_smart(&token, &QueryMsg::MarketingInfo {})
        .unwrap();
    assert_eq!(
        marketing,
        MarketingInfoResponse {
            project: Some("LooPIN".into()),
            description: Some("Decentralised compute-hour exchange".into()),
            marketing: Some(a.marketing.clone()),
            logo: Some(LogoInfo::Embedded),
        }
    );
    let logo: DownloadLogoResponse = app
        .wrap()
        .query_wasm_smart(&token, &QueryMsg::DownloadLogo {})
        .unwrap();
    assert_eq!(
        logo,
        DownloadLogoResponse {
            mime_type: "image/svg+xml".into(),
            data: Binary::from(SVG),
        }
    );
    let accounts: AllAccountsResponse = app
        .wrap()
        .query_wasm_smart(
            &token,
            &QueryMsg::AllAccounts {
                start_after: None,
                limit: None,
            },
        )
        .unwrap();
    let mut holders = vec![a.alice.to_string(), a.bob.to_string()];
    holders.sort();
    assert_eq!(accounts.accounts, holders);
    assert_eq!(balance(&app, &token, &a.alice), ALICE_GENESIS);
    assert_eq!(balance(&app, &token, &a.bob), BOB_GENESIS);
    assert_eq!(balance(&app, &token, &a.carol), 0);
    assert_eq!(audit(&app, &token), expected_audit(0, 0));

    // Without marketing at instantiation, the marketing info is empty and there is no logo.
    let mut msg = loop_instantiate_msg(&a);
    msg.marketing = None;
    let bare = app
        .instantiate_contract(code, a.admin.clone(), &msg, &[], "LOOP", None)
        .unwrap();
    let marketing: MarketingInfoResponse = app
        .wrap()
        .query_wasm_smart(&bare, &QueryMsg::MarketingInfo {})
        .unwrap();
    assert_eq!(marketing, MarketingInfoResponse::default());
    assert!(
        app.wrap()
            .query_wasm_smart::<DownloadLogoResponse>(&bare, &QueryMsg::DownloadLogo {})
            .is_err()
    );
}

#[test]
fn migrate_accepts_the_token_and_refuses_other_contracts() {
    let (mut app, a) = app();
    let (code, token) = instantiate_loop(&mut app, &a);
    exec(
        &mut app,
        &a.alice,
        &token,
        &Cw20ExecuteMsg::Burn { amount: amount(5) },
        &[],
    )
    .unwrap();
    let before = raw_state(&app, &token);

    // To the same code, and to a fresh upload of it: accepted, state kept.
    let new_code = app.store_code(token_contract());
    for target in [code, new_code] {
        let response = app
            .migrate_contract(a.admin.clone(), token.clone(), &MigrateMsg {}, target)
            .unwrap();
        let wasm = response.events.iter().find(|e| e.ty == "wasm").unwrap();
        let version = loopin_token::contract::CONTRACT_VERSION;
        for (key, value) in [
            ("action", "migrate"),
            ("from_version", version),
            ("to_version", version),
        ] {
            assert!(
                wasm.attributes
                    .iter()
                    .any(|attr| attr.key == key && attr.value == value),
                "{key}={value} in {wasm:?}"
            );
        }
        assert_eq!(app.contract_data(&token).unwrap().code_id, target);
        assert_eq!(before, raw_state(&app, &token));
    }
    // The cw2 record (key "contract_info") names the token at this version.
    #[derive(Deserialize)]
    struct Cw2Record {
        contract: String,
        version: String,
    }
    let raw = app
        .wrap()
        .query_wasm_raw(&token, b"contract_info".to_vec())
        .unwrap()
        .unwrap();
    let record: Cw2Record = from_json(raw).unwrap();
    assert_eq!(record.contract, loopin_token::contract::CONTRACT_NAME);
    assert_eq!(record.version, loopin_token::contract::CONTRACT_VERSION);
    assert_eq!(audit(&app, &token), expected_audit(0, 5));
    assert_eq!(balance(&app, &token, &a.alice), ALICE_GENESIS - 5);

    // Only the admin migrates.
    let err = app
        .migrate_contract(a.alice.clone(), token.clone(), &MigrateMsg {}, code)
        .unwrap_err();
    assert!(
        err.root_cause()
            .to_string()
            .starts_with("Only admin can migrate contract"),
        "{err}"
    );
    assert_eq!(app.contract_data(&token).unwrap().code_id, new_code);

    // A stake-certificate contract cannot become the token.
    let cert_code = app.store_code(stake_cert_contract());
    let cert = app
        .instantiate_contract(
            cert_code,
            a.admin.clone(),
            &loopin::stake_cert::InstantiateMsg {
                name: "LooPIN stake certificates".into(),
                symbol: "stLOOP".into(),
                minter: a.minter.to_string(),
            },
            &[],
            "stake-cert",
            Some(a.admin.to_string()),
        )
        .unwrap();
    let cert_before = raw_state(&app, &cert);
    let err: ContractError =
        contract_error(app.migrate_contract(a.admin.clone(), cert.clone(), &MigrateMsg {}, code));
    assert_eq!(
        err,
        ContractError::Migrate(MigrateError::WrongContract {
            expected: loopin_token::contract::CONTRACT_NAME.into(),
            found: loopin_stake_cert::contract::CONTRACT_NAME.into(),
        })
    );
    assert_eq!(app.contract_data(&cert).unwrap().code_id, cert_code);
    assert_eq!(cert_before, raw_state(&app, &cert));

    // Nor can a plain cw20-base token.
    let base_code = app.store_code(cw20_base_contract());
    let base = app
        .instantiate_contract(
            base_code,
            a.admin.clone(),
            &base_instantiate_msg(&a),
            &[],
            "cw20-base",
            Some(a.admin.to_string()),
        )
        .unwrap();
    let err: ContractError =
        contract_error(app.migrate_contract(a.admin.clone(), base.clone(), &MigrateMsg {}, code));
    assert_eq!(
        err,
        ContractError::Migrate(MigrateError::WrongContract {
            expected: loopin_token::contract::CONTRACT_NAME.into(),
            found: "crates.io:cw20-base".into(),
        })
    );
    assert_eq!(app.contract_data(&base).unwrap().code_id, base_code);
}

#[test]
fn malformed_messages_are_refused_and_change_nothing() {
    let (mut app, a) = app();
    let (_, token) = instantiate_loop(&mut app, &a);
    let recipient = a.bob.to_string();
    let bodies: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"{not json".to_vec(),
        b"[]".to_vec(),
        b"{}".to_vec(),
        b"{\"frobnicate\":{}}".to_vec(),
        format!("{{\"transfer\":{{\"recipient\":\"{recipient}\"}}}}").into_bytes(),
        format!("{{\"transfer\":{{\"recipient\":\"{recipient}\",\"amount\":\"-5\"}}}}").into_bytes(),
        format!("{{\"transfer\":{{\"recipient\":\"{recipient}\",\"amount\":5}}}}").into_bytes(),
        format!("{{\"mint\":{{\"recipient\":\"{recipient}\",\"amount\":\"1\"}},\"burn\":{{\"amount\":\"1\"}}}}")
            .into_bytes(),
        b"{\"burn\":{\"amount\":\"340282366920938463463374607431768211456\"}}".to_vec(),
    ];
    let before = raw_state(&app, &token);
    for body in bodies {
        for sender in [&a.alice, &a.minter] {
            let msg = CosmosMsg::Wasm(WasmMsg::Execute {
                contract_addr: token.to_string(),
                msg: Binary::from(body.clone()),
                funds: vec![],
            });
            let err: StdError = contract_error(app.execute(sender.clone(), msg));
            assert!(
                matches!(&err, StdError::ParseErr { target_type, .. } if target_type.contains("Cw20ExecuteMsg")),
                "{}: {err:?}",
                String::from_utf8_lossy(&body)
            );
            assert_eq!(before, raw_state(&app, &token));
        }
    }
    // The well-formed message is accepted: only the malformation was refused.
    let msg = CosmosMsg::Wasm(WasmMsg::Execute {
        contract_addr: token.to_string(),
        msg: Binary::from(
            format!("{{\"transfer\":{{\"recipient\":\"{recipient}\",\"amount\":\"5\"}}}}")
                .into_bytes(),
        ),
        funds: vec![],
    });
    app.execute(a.alice.clone(), msg).unwrap();
    assert_eq!(balance(&app, &token, &a.bob), BOB_GENESIS + 5);
    assert_eq!(audit(&app, &token), expected_audit(0, 0));
}
