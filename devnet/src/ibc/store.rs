//! The IBC host's records in the chain state (keys under `ibc/`, see `keys.rs`), typed.
//!
//! Reads work on anything that can read the state ([`KvRead`]): the committed [`State`] (gRPC
//! queries, tests) or a running transaction ([`Metered`], which charges the SDK's KV gas to the
//! transaction's meter). Writes happen only in transactions.

use ibc_proto::ibc::applications::transfer::v1::DenomTrace;
use ibc_proto::ibc::core::channel::v1::{Channel, Packet};
use ibc_proto::ibc::core::connection::v1::ConnectionEnd;
use ibc_proto::ibc::lightclients::solomachine::v3::ClientState;
use prost::Message;

use crate::exec::{
    DELETE_FLAT, ITER_FLAT, READ_FLAT, READ_PER_BYTE, Shared, WRITE_FLAT, WRITE_PER_BYTE,
};
use crate::keys;
use crate::state::{State, prefix_end};

/// Read access to the state.
pub trait KvRead {
    fn get(&self, key: &[u8]) -> Option<Vec<u8>>;
    /// Every record whose key starts with `prefix`, in key order.
    fn prefixed(&self, prefix: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)>;
}

impl KvRead for State {
    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        State::get(self, key)
    }
    fn prefixed(&self, prefix: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
        self.range(Some(prefix), prefix_end(prefix).as_deref())
    }
}

/// A running transaction's state: reads and writes charge its gas meter like the SDK's KV
/// store. Gas is only counted here; the message handler fails the transaction afterwards if the
/// meter ran over ([`Metered::check_gas`]).
pub struct Metered<'a>(pub &'a Shared);

impl Metered<'_> {
    fn charge(&self, gas: u64) {
        let mut c = self.0.borrow_mut();
        c.gas.used = c.gas.used.saturating_add(gas);
    }

    pub fn set(&self, key: &[u8], value: Vec<u8>) {
        self.charge(WRITE_FLAT + WRITE_PER_BYTE * (key.len() + value.len()) as u64);
        self.0.borrow_mut().state.set(key, value);
    }

    pub fn remove(&self, key: &[u8]) {
        self.charge(DELETE_FLAT);
        self.0.borrow_mut().state.remove(key);
    }

    /// Out of gas if the meter ran over.
    pub fn check_gas(&self) -> Result<(), crate::exec::ExecError> {
        let gas = self.0.borrow().gas;
        if gas.used > gas.limit {
            return Err(crate::exec::ExecError::out_of_gas(gas.limit, gas.used));
        }
        Ok(())
    }
}

impl KvRead for Metered<'_> {
    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        let value = self.0.borrow().state.get(key);
        let bytes = key.len() + value.as_ref().map_or(0, Vec::len);
        self.charge(READ_FLAT + READ_PER_BYTE * bytes as u64);
        value
    }
    fn prefixed(&self, prefix: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
        let records = self.0.borrow().state.prefixed(prefix);
        let bytes: usize = records.iter().map(|(k, v)| k.len() + v.len()).sum();
        self.charge(ITER_FLAT * (records.len() as u64 + 1) + READ_PER_BYTE * bytes as u64);
        records
    }
}

fn decode<T: Message + Default>(bytes: Option<Vec<u8>>) -> Option<T> {
    bytes.and_then(|b| T::decode(&*b).ok())
}

fn u64_of(bytes: Option<Vec<u8>>) -> Option<u64> {
    bytes
        .and_then(|b| <[u8; 8]>::try_from(b.as_slice()).ok())
        .map(u64::from_be_bytes)
}

/// The last path segment of a key under `prefix` as text.
fn suffix(key: &[u8], prefix: &[u8]) -> String {
    String::from_utf8_lossy(&key[prefix.len().min(key.len())..]).into_owned()
}

/// Orders `kind-N` identifiers by N, then by text (so channel-10 follows channel-9).
fn id_order(id: &str) -> (u64, String) {
    let n = id
        .rsplit_once('-')
        .and_then(|(_, n)| n.parse().ok())
        .unwrap_or(u64::MAX);
    (n, id.to_string())
}

// --- counters

/// Takes the next number of a kind of identifier (clients, connections, channels), from 0.
pub fn next_id(m: &Metered, kind: &str) -> u64 {
    let key = keys::ibc("counter", kind);
    let n = u64_of(m.get(&key)).unwrap_or(0);
    m.set(&key, (n + 1).to_be_bytes().to_vec());
    n
}

// --- clients

pub fn client(kv: &impl KvRead, id: &str) -> Option<ClientState> {
    decode(kv.get(&keys::ibc("client", id)))
}

pub fn set_client(m: &Metered, id: &str, state: &ClientState) {
    m.set(&keys::ibc("client", id), state.encode_to_vec());
}

/// Every client, by id.
pub fn clients(kv: &impl KvRead) -> Vec<(String, ClientState)> {
    let prefix = keys::ibc_all("client");
    let mut all: Vec<_> = kv
        .prefixed(&prefix)
        .into_iter()
        .filter_map(|(k, v)| Some((suffix(&k, &prefix), ClientState::decode(&*v).ok()?)))
        .collect();
    all.sort_by_key(|(id, _)| id_order(id));
    all
}

// --- connections

pub fn connection(kv: &impl KvRead, id: &str) -> Option<ConnectionEnd> {
    decode(kv.get(&keys::ibc("connection", id)))
}

pub fn set_connection(m: &Metered, id: &str, end: &ConnectionEnd) {
    m.set(&keys::ibc("connection", id), end.encode_to_vec());
}

/// Every connection, by id.
pub fn connections(kv: &impl KvRead) -> Vec<(String, ConnectionEnd)> {
    let prefix = keys::ibc_all("connection");
    let mut all: Vec<_> = kv
        .prefixed(&prefix)
        .into_iter()
        .filter_map(|(k, v)| Some((suffix(&k, &prefix), ConnectionEnd::decode(&*v).ok()?)))
        .collect();
    all.sort_by_key(|(id, _)| id_order(id));
    all
}

// --- channels

fn channel_key(port: &str, channel: &str) -> Vec<u8> {
    keys::ibc("channel", &format!("{port}/{channel}"))
}

pub fn channel(kv: &impl KvRead, port: &str, channel: &str) -> Option<Channel> {
    decode(kv.get(&channel_key(port, channel)))
}

pub fn set_channel(m: &Metered, port: &str, channel: &str, end: &Channel) {
    m.set(&channel_key(port, channel), end.encode_to_vec());
}

/// Every channel as (port, channel id, end), by channel number.
pub fn channels(kv: &impl KvRead) -> Vec<(String, String, Channel)> {
    let prefix = keys::ibc_all("channel");
    let mut all: Vec<_> = kv
        .prefixed(&prefix)
        .into_iter()
        .filter_map(|(k, v)| {
            let name = suffix(&k, &prefix);
            let (port, id) = name.split_once('/')?;
            Some((port.to_string(), id.to_string(), Channel::decode(&*v).ok()?))
        })
        .collect();
    all.sort_by_key(|(port, id, _)| (id_order(id), port.clone()));
    all
}

/// The sequence the channel's next sent packet gets (from 1).
pub fn next_sequence_send(kv: &impl KvRead, port: &str, channel: &str) -> u64 {
    u64_of(kv.get(&keys::ibc("next_send", &format!("{port}/{channel}")))).unwrap_or(1)
}

pub fn set_next_sequence_send(m: &Metered, port: &str, channel: &str, sequence: u64) {
    m.set(
        &keys::ibc("next_send", &format!("{port}/{channel}")),
        sequence.to_be_bytes().to_vec(),
    );
}

// --- packets

const COMMITMENT: &str = "commitment";
const SENT: &str = "sent";
const RECEIPT: &str = "receipt";
const ACK: &str = "ack";

fn sequenced(kv: &impl KvRead, kind: &str, port: &str, channel: &str) -> Vec<(u64, Vec<u8>)> {
    let prefix = keys::ibc_channel(kind, port, channel);
    kv.prefixed(&prefix)
        .into_iter()
        .filter_map(|(k, v)| {
            let seq = <[u8; 8]>::try_from(&k[prefix.len().min(k.len())..]).ok()?;
            Some((u64::from_be_bytes(seq), v))
        })
        .collect()
}

/// A sent packet's commitment, while it is neither acknowledged nor timed out.
pub fn commitment(kv: &impl KvRead, port: &str, channel: &str, sequence: u64) -> Option<Vec<u8>> {
    kv.get(&keys::ibc_packet(COMMITMENT, port, channel, sequence))
}

/// Every outstanding commitment of a channel, by sequence.
pub fn commitments(kv: &impl KvRead, port: &str, channel: &str) -> Vec<(u64, Vec<u8>)> {
    sequenced(kv, COMMITMENT, port, channel)
}

/// Records a sent packet: its commitment and the packet itself.
pub fn set_sent(m: &Metered, packet: &Packet, commitment: Vec<u8>) {
    let (port, channel, seq) = (&packet.source_port, &packet.source_channel, packet.sequence);
    m.set(
        &keys::ibc_packet(COMMITMENT, port, channel, seq),
        commitment,
    );
    m.set(
        &keys::ibc_packet(SENT, port, channel, seq),
        packet.encode_to_vec(),
    );
}

/// Forgets a sent packet (acknowledged or timed out).
pub fn delete_sent(m: &Metered, port: &str, channel: &str, sequence: u64) {
    m.remove(&keys::ibc_packet(COMMITMENT, port, channel, sequence));
    m.remove(&keys::ibc_packet(SENT, port, channel, sequence));
}

/// A sent packet that is neither acknowledged nor timed out.
pub fn sent_packet(kv: &impl KvRead, port: &str, channel: &str, sequence: u64) -> Option<Packet> {
    decode(kv.get(&keys::ibc_packet(SENT, port, channel, sequence)))
}

pub fn has_receipt(kv: &impl KvRead, port: &str, channel: &str, sequence: u64) -> bool {
    kv.get(&keys::ibc_packet(RECEIPT, port, channel, sequence))
        .is_some()
}

pub fn set_receipt(m: &Metered, port: &str, channel: &str, sequence: u64) {
    m.set(
        &keys::ibc_packet(RECEIPT, port, channel, sequence),
        crate::ibc::paths::RECEIPT.to_vec(),
    );
}

/// The commitment (sha256) of the acknowledgement written for a received packet.
pub fn ack(kv: &impl KvRead, port: &str, channel: &str, sequence: u64) -> Option<Vec<u8>> {
    kv.get(&keys::ibc_packet(ACK, port, channel, sequence))
}

/// Every acknowledgement commitment of a channel, by sequence.
pub fn acks(kv: &impl KvRead, port: &str, channel: &str) -> Vec<(u64, Vec<u8>)> {
    sequenced(kv, ACK, port, channel)
}

pub fn set_ack(m: &Metered, port: &str, channel: &str, sequence: u64, commitment: Vec<u8>) {
    m.set(&keys::ibc_packet(ACK, port, channel, sequence), commitment);
}

// --- ICS-20 denom traces

/// The trace of voucher denom `ibc/{hash}`.
pub fn denom_trace(kv: &impl KvRead, hash: &str) -> Option<DenomTrace> {
    decode(kv.get(&keys::ibc("denom_trace", hash)))
}

pub fn set_denom_trace(m: &Metered, hash: &str, trace: &DenomTrace) {
    m.set(&keys::ibc("denom_trace", hash), trace.encode_to_vec());
}
