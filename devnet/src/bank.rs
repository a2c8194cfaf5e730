//! The bank module: native balances and supply, the coins sent with a message, and the bank
//! messages and queries of contracts.

use cosmwasm_std::{
    Addr, BankMsg, BankQuery, Binary, Coin, ContractResult, CosmosMsg, Empty, Event, QueryRequest,
    SystemError, SystemResult,
};

use crate::address::canonical;
use crate::exec::{ExecError, MsgOutcome, Shared, coins_string, json_answer};
use crate::keys;
use crate::state::{State, prefix_end};

fn read_u128(value: Option<Vec<u8>>) -> u128 {
    value
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

fn write_u128(state: &mut State, key: &[u8], amount: u128) {
    if amount == 0 {
        state.remove(key);
    } else {
        state.set(key, amount.to_string().into_bytes());
    }
}

pub fn balance(state: &State, addr: &[u8], denom: &str) -> u128 {
    read_u128(state.get(&keys::balance(addr, denom)))
}

pub fn all_balances(state: &State, addr: &[u8]) -> Vec<(String, u128)> {
    let prefix = keys::balances_of(addr);
    let end = prefix_end(&prefix);
    state
        .range(Some(&prefix), end.as_deref())
        .into_iter()
        .map(|(k, v)| {
            (
                String::from_utf8_lossy(&k[prefix.len()..]).into_owned(),
                read_u128(Some(v)),
            )
        })
        .collect()
}

pub fn supply(state: &State, denom: &str) -> u128 {
    read_u128(state.get(&keys::supply(denom)))
}

pub fn mint(state: &mut State, addr: &[u8], denom: &str, amount: u128) -> Result<(), ExecError> {
    let balance = balance(state, addr, denom)
        .checked_add(amount)
        .ok_or_else(|| ExecError::sdk(10, "balance overflow: invalid coins"))?;
    let supply = supply(state, denom)
        .checked_add(amount)
        .ok_or_else(|| ExecError::sdk(10, "supply overflow: invalid coins"))?;
    write_u128(state, &keys::balance(addr, denom), balance);
    write_u128(state, &keys::supply(denom), supply);
    Ok(())
}

pub fn burn(state: &mut State, addr: &[u8], denom: &str, amount: u128) -> Result<(), ExecError> {
    let have = balance(state, addr, denom);
    let left = have.checked_sub(amount).ok_or_else(|| {
        ExecError::sdk(
            5,
            format!("spendable balance {have}{denom} is smaller than {amount}{denom}: insufficient funds"),
        )
    })?;
    write_u128(state, &keys::balance(addr, denom), left);
    let supply = supply(state, denom).saturating_sub(amount);
    write_u128(state, &keys::supply(denom), supply);
    Ok(())
}

pub fn transfer(
    state: &mut State,
    from: &[u8],
    to: &[u8],
    denom: &str,
    amount: u128,
    from_human: &str,
) -> Result<(), ExecError> {
    let have = balance(state, from, denom);
    let left = have.checked_sub(amount).ok_or_else(|| {
        ExecError::sdk(
            5,
            format!(
                "{from_human}: spendable balance {have}{denom} is smaller than {amount}{denom}: insufficient funds"
            ),
        )
    })?;
    write_u128(state, &keys::balance(from, denom), left);
    let to_balance = balance(state, to, denom)
        .checked_add(amount)
        .ok_or_else(|| ExecError::sdk(10, "balance overflow: invalid coins"))?;
    write_u128(state, &keys::balance(to, denom), to_balance);
    Ok(())
}

/// Moves `funds` from `from` to `to` (addresses with the chain's `prefix`) and returns the
/// transfer event (none for no funds).
pub fn send_coins(
    ctx: &Shared,
    prefix: &str,
    from: &Addr,
    to: &Addr,
    funds: &[Coin],
) -> Result<Vec<Event>, ExecError> {
    if funds.is_empty() {
        return Ok(vec![]);
    }
    let from_raw = canonical(prefix, from.as_str())?;
    let to_raw = canonical(prefix, to.as_str())?;
    let mut c = ctx.borrow_mut();
    for coin in funds {
        transfer(
            &mut c.state,
            &from_raw,
            &to_raw,
            &coin.denom,
            coin.amount.u128(),
            from.as_str(),
        )?;
    }
    Ok(vec![
        Event::new("transfer")
            .add_attribute("recipient", to.as_str())
            .add_attribute("sender", from.as_str())
            .add_attribute("amount", coins_string(funds)),
    ])
}

/// Runs a [`BankMsg`] a contract (`sender`) sent.
pub fn execute(
    ctx: &Shared,
    prefix: &str,
    sender: &Addr,
    msg: BankMsg,
) -> Result<MsgOutcome, ExecError> {
    match msg {
        BankMsg::Send { to_address, amount } => {
            canonical(prefix, &to_address)?;
            let to = Addr::unchecked(to_address);
            let events = send_coins(ctx, prefix, sender, &to, &amount)?;
            Ok(MsgOutcome {
                events,
                ..MsgOutcome::default()
            })
        }
        BankMsg::Burn { amount } => {
            let raw = canonical(prefix, sender.as_str())?;
            let mut c = ctx.borrow_mut();
            for coin in &amount {
                burn(&mut c.state, &raw, &coin.denom, coin.amount.u128())?;
            }
            Ok(MsgOutcome {
                events: vec![
                    Event::new("burn")
                        .add_attribute("burner", sender.as_str())
                        .add_attribute("amount", coins_string(&amount)),
                ],
                ..MsgOutcome::default()
            })
        }
        other => Err(ExecError::wasm(
            20,
            format!(
                "unsupported message on the devnet: {:?}",
                CosmosMsg::<Empty>::Bank(other)
            ),
        )),
    }
}

/// Answers a contract's [`BankQuery`]: a balance, or all balances, of an address (an invalid
/// address holds nothing).
pub fn query(
    ctx: &Shared,
    prefix: &str,
    request: &BankQuery,
) -> SystemResult<ContractResult<Binary>> {
    match request {
        BankQuery::Balance { address, denom } => {
            let amount = canonical(prefix, address)
                .map(|a| balance(&ctx.borrow().state, &a, denom))
                .unwrap_or(0);
            json_answer(
                serde_json::json!({"amount": {"denom": denom, "amount": amount.to_string()}}),
            )
        }
        #[allow(deprecated)]
        BankQuery::AllBalances { address } => {
            let coins = canonical(prefix, address)
                .map(|a| all_balances(&ctx.borrow().state, &a))
                .unwrap_or_default();
            let amount: Vec<serde_json::Value> = coins
                .into_iter()
                .map(|(denom, amount)| {
                    serde_json::json!({"denom": denom, "amount": amount.to_string()})
                })
                .collect();
            json_answer(serde_json::json!({ "amount": amount }))
        }
        other => SystemResult::Err(SystemError::UnsupportedRequest {
            kind: format!("{:?}", QueryRequest::<Empty>::Bank(other.clone()))
                .chars()
                .take(64)
                .collect(),
        }),
    }
}
