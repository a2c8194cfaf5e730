//! Astroport's xyk pair (crates.io astroport-pair 1.5.1, `bench/astroport-pair`), built and run
//! the same way as LooPIN's pair: the AMM the pair's Lease and liquidity calls are measured
//! against. Its factory and LP token are stood in for; the harness runs no sub-messages, so the
//! scenario answers the LP token's instantiation itself and keeps the bank balances its pool
//! queries read as a chain would.

use cosmwasm_std::{
    Binary, Coin, ContractResult, QuerierResult, SystemError, SystemResult, WasmQuery,
};
use loopin_wasm_tests::{HarnessError, WasmContract};
use serde_json::{Value, json};
use std::cell::Cell;
use std::rc::Rc;

use crate::report::{Report, exec_raw};

pub const NAME: &str = "astroport-pair";
const ARTIFACT: &str = "astroport_pair_baseline";
const FIRST: &str = "uatom";
const SECOND: &str = "uosmo";

fn native(denom: &str) -> Value {
    json!({ "native_token": { "denom": denom } })
}

fn second(amount: u128) -> Value {
    json!({ "info": native(SECOND), "amount": amount.to_string() })
}

/// What the stood-in contracts answer: the LP token's supply and the offered cw20's balance of
/// the pair.
#[derive(Default)]
struct Books {
    supply: Cell<u128>,
    token_balance: Cell<u128>,
}

/// The factory (fee 0.3 %, no maker fee, no generator), the LP token's supply and the cw20's
/// balance of the pair.
fn stand_ins(
    factory: String,
    lp_token: String,
    token: String,
    books: Rc<Books>,
) -> impl Fn(&WasmQuery) -> QuerierResult {
    move |query| {
        let WasmQuery::Smart { contract_addr, msg } = query else {
            return unsupported(query);
        };
        let msg: Value = serde_json::from_slice(msg).unwrap_or_default();
        let answer = if *contract_addr == factory && msg.get("fee_info").is_some() {
            json!({ "fee_address": null, "total_fee_bps": 30, "maker_fee_bps": 0 })
        } else if *contract_addr == factory && msg.get("config").is_some() {
            json!({
                "owner": factory, "pair_configs": [], "token_code_id": 1, "fee_address": null,
                "generator_address": null, "whitelist_code_id": 0, "coin_registry_address": factory,
            })
        } else if *contract_addr == lp_token && msg.get("token_info").is_some() {
            let supply = books.supply.get().to_string();
            json!({ "name": "LP", "symbol": "uLP", "decimals": 6, "total_supply": supply })
        } else if *contract_addr == token && msg.get("token_info").is_some() {
            json!({ "name": "Token", "symbol": "TKN", "decimals": 6, "total_supply": "0" })
        } else if *contract_addr == token && msg.get("balance").is_some() {
            json!({ "balance": books.token_balance.get().to_string() })
        } else {
            return unsupported(query);
        };
        SystemResult::Ok(ContractResult::Ok(
            serde_json::to_vec(&answer).unwrap_or_default().into(),
        ))
    }
}

fn unsupported(query: &WasmQuery) -> QuerierResult {
    SystemResult::Err(SystemError::UnsupportedRequest {
        kind: format!("{query:?}"),
    })
}

/// `MsgInstantiateContractResponse { address }` as protobuf: what the chain returns to the
/// pair's reply when its LP token is instantiated.
fn instantiate_response(address: &str) -> String {
    let mut data = vec![0x0a, address.len() as u8];
    data.extend_from_slice(address.as_bytes());
    Binary::from(data).to_base64()
}

/// The pool's first asset: a native denom, or a cw20 token offered through its Receive hook
/// (as LOOP is to LooPIN's pair).
#[derive(Clone, Copy, PartialEq)]
enum First {
    Native,
    Cw20,
}

/// Both of Astroport's pools: native/native, and cw20/native, whose swap of the cw20 is the
/// same path as a Lease's (a token's Send to the pair).
pub fn scenario(report: &mut Report) -> Result<(), HarnessError> {
    run(report, First::Native)?;
    run(report, First::Cw20)
}

fn run(report: &mut Report, first: First) -> Result<(), HarnessError> {
    let mut pair = WasmContract::load(ARTIFACT)?;
    let (factory, lp_token, token) = (pair.addr("factory"), pair.addr("lp"), pair.addr("token"));
    let alice = pair.addr("alice");
    let books = Rc::new(Books::default());
    let stand_in = stand_ins(
        factory.clone(),
        lp_token.clone(),
        token.clone(),
        books.clone(),
    );
    pair.set_wasm_querier(stand_in)?;
    let (info, label) = match first {
        First::Native => (native(FIRST), ""),
        First::Cw20 => (
            json!({ "token": { "contract_addr": token } }),
            ", cw20 pool",
        ),
    };
    let asset = |amount: u128| json!({ "info": info, "amount": amount.to_string() });
    let init = json!({
        "asset_infos": [info, native(SECOND)],
        "token_code_id": 1,
        "factory_addr": factory,
        "init_params": null,
    });
    let outcome = pair.instantiate_raw(&factory, &serde_json::to_vec(&init)?, &[])?;
    report
        .record(NAME, &format!("instantiate{label}"), outcome)
        .unwrap();
    let reply = json!({
        "id": 1,
        "result": { "ok": { "events": [], "data": instantiate_response(&lp_token) } },
    });
    let outcome = pair.reply_raw(&serde_json::to_vec(&reply)?)?;
    report
        .record(
            NAME,
            &format!("reply (LP token instantiated){label}"),
            outcome,
        )
        .unwrap();

    // The chain holds what each call sent before the call runs.
    let hold = |pair: &mut WasmContract, a: u128, b: u128| {
        books.token_balance.set(a);
        let address = pair.contract_addr();
        let mut coins = vec![Coin::new(b, SECOND)];
        if first == First::Native {
            coins.push(Coin::new(a, FIRST));
        }
        pair.set_balance(&address, &coins)
    };
    let funds = |a: u128, b: u128| match first {
        First::Native => vec![Coin::new(a, FIRST), Coin::new(b, SECOND)],
        First::Cw20 => vec![Coin::new(b, SECOND)],
    };
    let provide = |a: u128, b: u128| {
        json!({ "provide_liquidity": {
            "assets": [asset(a), second(b)],
            "slippage_tolerance": null, "auto_stake": null, "receiver": null,
        }})
    };
    // A cw20 deposit is pulled by the pair's TransferFrom after the call; native funds are held
    // before it.
    let pulled = |before: u128, after: u128| match first {
        First::Native => after,
        First::Cw20 => before,
    };
    let (mut a, mut b) = (1_000_000_000u128, 2_000_000_000u128);
    hold(&mut pair, pulled(0, a), b)?;
    // A deposit of `(x, y)` by Alice, measured as `call`.
    let deposit = |report: &mut Report, pair: &mut WasmContract, call: String, x, y| {
        exec_raw(
            report,
            pair,
            NAME,
            &call,
            &alice,
            &provide(x, y),
            &funds(x, y),
        )
    };
    deposit(
        report,
        &mut pair,
        format!("ProvideLiquidity (first){label}"),
        a,
        b,
    )?;
    // sqrt(1e9 * 2e9): the first provider's shares.
    books.supply.set(1_414_213_562);
    hold(&mut pair, pulled(a, a + 10_000_000), b + 20_000_000)?;
    (a, b) = (a + 10_000_000, b + 20_000_000);
    let call = format!("ProvideLiquidity{label}");
    deposit(report, &mut pair, call, 10_000_000, 20_000_000)?;
    books.supply.set(books.supply.get() + 14_142_135);

    let offer = 1_000_000u128;
    hold(&mut pair, a + offer, b)?;
    let (ask, spread) = (native(SECOND), "0.05");
    let call = format!("Swap{label}");
    match first {
        First::Native => {
            let swap = json!({ "swap": {
                "offer_asset": asset(offer), "ask_asset_info": ask,
                "belief_price": null, "max_spread": spread, "to": null,
            }});
            exec_raw(
                report,
                &mut pair,
                NAME,
                &call,
                &alice,
                &swap,
                &[Coin::new(offer, FIRST)],
            )?;
        }
        First::Cw20 => {
            let swap = json!({ "swap": {
                "ask_asset_info": ask, "belief_price": null, "max_spread": spread, "to": null,
            }});
            let hook = receive(&alice, offer, &swap)?;
            exec_raw(report, &mut pair, NAME, &call, &token, &hook, &[])?;
        }
    }
    let withdraw = json!({ "withdraw_liquidity": { "assets": [] } });
    let hook = receive(&alice, 1_000_000, &withdraw)?;
    let call = format!("WithdrawLiquidity (LP token's Receive hook){label}");
    exec_raw(report, &mut pair, NAME, &call, &lp_token, &hook, &[])?;
    Ok(())
}

/// A cw20 token's Receive hook: `amount` sent by `sender` with `msg`.
fn receive(sender: &str, amount: u128, msg: &Value) -> Result<Value, HarnessError> {
    Ok(json!({ "receive": {
        "sender": sender, "amount": amount.to_string(),
        "msg": Binary::from(serde_json::to_vec(msg)?),
    }}))
}
