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

/// The IBC host's records (`devnet/src/ibc/store.rs`): clients, connections, channels, packet
/// commitments, receipts and acknowledgements, counters, ICS-20 denom traces.
pub const IBC: &[u8] = b"ibc/";

/// `ibc/<kind>/<id>`: one record of a kind (client, connection, counter, denom trace).
pub fn ibc(kind: &str, id: &str) -> Vec<u8> {
    join(&[IBC, kind.as_bytes(), b"/", id.as_bytes()])
}

/// `ibc/<kind>/`: every record of a kind.
pub fn ibc_all(kind: &str) -> Vec<u8> {
    join(&[IBC, kind.as_bytes(), b"/"])
}

/// `ibc/<kind>/<port>/<channel>/`: a channel's records of a kind (identifiers hold no `/`).
pub fn ibc_channel(kind: &str, port: &str, channel: &str) -> Vec<u8> {
    join(&[
        IBC,
        kind.as_bytes(),
        b"/",
        port.as_bytes(),
        b"/",
        channel.as_bytes(),
        b"/",
    ])
}

/// `ibc/<kind>/<port>/<channel>/<sequence, 8 bytes big-endian>`: one packet's record, so a
/// channel's packets iterate in sequence order.
pub fn ibc_packet(kind: &str, port: &str, channel: &str, sequence: u64) -> Vec<u8> {
    join(&[&ibc_channel(kind, port, channel), &sequence.to_be_bytes()])
}
