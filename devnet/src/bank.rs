//! The bank module: native balances and supply.

use crate::keys;
use crate::state::{State, prefix_end};
use crate::wasm::ExecError;

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
