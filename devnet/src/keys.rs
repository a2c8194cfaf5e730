//! Layout of the flat key-value state. Every module keeps its records under its own prefix.

pub const ACCOUNT: &[u8] = b"acc/";
pub const BALANCE: &[u8] = b"bal/";
pub const SUPPLY: &[u8] = b"supply/";
pub const CODE: &[u8] = b"code/";
pub const WASM: &[u8] = b"wasm/";
pub const CONTRACT: &[u8] = b"contract/";
pub const CONTRACT_STORE: &[u8] = b"store/";
pub const META: &[u8] = b"meta/";

fn join(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

pub fn account(addr: &[u8]) -> Vec<u8> {
    join(&[ACCOUNT, addr])
}

/// `bal/<len><addr><denom>`: the length byte keeps one address's denoms contiguous.
pub fn balance(addr: &[u8], denom: &str) -> Vec<u8> {
    join(&[BALANCE, &[addr.len() as u8], addr, denom.as_bytes()])
}

pub fn balances_of(addr: &[u8]) -> Vec<u8> {
    join(&[BALANCE, &[addr.len() as u8], addr])
}

pub fn supply(denom: &str) -> Vec<u8> {
    join(&[SUPPLY, denom.as_bytes()])
}

pub fn code(id: u64) -> Vec<u8> {
    join(&[CODE, &id.to_be_bytes()])
}

pub fn wasm(checksum: &[u8]) -> Vec<u8> {
    join(&[WASM, checksum])
}

pub fn contract(addr: &[u8]) -> Vec<u8> {
    join(&[CONTRACT, addr])
}

/// Prefix of one contract's own storage.
pub fn contract_store(addr: &[u8]) -> Vec<u8> {
    join(&[CONTRACT_STORE, &[addr.len() as u8], addr])
}

pub fn meta(name: &str) -> Vec<u8> {
    join(&[META, name.as_bytes()])
}
