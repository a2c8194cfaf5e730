//! What a call costs on a Cosmos SDK chain running wasmd with its default gas settings, counted
//! from what the compiled contract actually did: the VM's own gas converted at wasmd's
//! multiplier, every storage operation priced as the SDK's gas-metered KV store prices it, the
//! instance set-up, and the events the call emitted.
//!
//! The constants are wasmd's (`x/wasm/types/gas_register.go`: `DefaultGasMultiplier`,
//! `DefaultInstanceCost`, the event costs) and the Cosmos SDK's (`store/types/gas.go`,
//! `KVGasConfig`; `store/gaskv`: reads and writes pay per byte of key and value). wasmd stores a
//! contract's keys under `0x03 || contract address (32 bytes)`, and the gas-metered store sees
//! the whole key.

use std::cell::{Cell, RefCell};
use std::collections::HashSet;

use cosmwasm_std::{Order, Record, Response};
use cosmwasm_vm::testing::MockStorage;
use cosmwasm_vm::{BackendResult, Storage};

/// VM gas per SDK gas (wasmd's `DefaultGasMultiplier`).
pub const GAS_MULTIPLIER: u64 = 140_000;
/// SDK gas to load a contract instance that is not pinned (wasmd's `DefaultInstanceCost`).
pub const INSTANCE_COST: u64 = 60_000;
/// Bytes wasmd puts before each of a contract's keys.
const KEY_PREFIX: u64 = 1 + 32;

const DELETE_COST: u64 = 1_000;
const READ_COST_FLAT: u64 = 1_000;
const READ_COST_PER_BYTE: u64 = 3;
const WRITE_COST_FLAT: u64 = 2_000;
const WRITE_COST_PER_BYTE: u64 = 30;
const ITER_NEXT_COST_FLAT: u64 = 30;

const PER_ATTRIBUTE_COST: u64 = 10;
const ATTRIBUTE_DATA_COST: u64 = 1;
const ATTRIBUTE_DATA_FREE_TIER: u64 = 100;
const PER_CUSTOM_EVENT_COST: u64 = 20;

/// The mock backend's storage, with every operation priced in SDK gas as a chain's
/// gas-metered store prices it.
#[derive(Default)]
pub struct ChainStorage {
    inner: MockStorage,
    /// SDK gas of the storage operations so far.
    used: Cell<u64>,
    /// Iterators whose first item was already charged (the SDK charges it at creation, and
    /// again when the iterator moves past it).
    started: RefCell<HashSet<u32>>,
}

impl ChainStorage {
    /// SDK gas of every storage operation so far.
    pub fn used(&self) -> u64 {
        self.used.get()
    }

    fn charge(&self, gas: u64) {
        self.used.set(self.used.get() + gas);
    }
}

fn key_bytes(key: &[u8]) -> u64 {
    KEY_PREFIX + key.len() as u64
}

impl Storage for ChainStorage {
    fn get(&self, key: &[u8]) -> BackendResult<Option<Vec<u8>>> {
        let (result, gas) = self.inner.get(key);
        let value = result
            .as_ref()
            .ok()
            .and_then(|v| v.as_ref())
            .map_or(0, Vec::len) as u64;
        self.charge(READ_COST_FLAT + READ_COST_PER_BYTE * (key_bytes(key) + value));
        (result, gas)
    }

    fn scan(
        &mut self,
        start: Option<&[u8]>,
        end: Option<&[u8]>,
        order: Order,
    ) -> BackendResult<u32> {
        self.inner.scan(start, end, order)
    }

    fn next(&mut self, iterator_id: u32) -> BackendResult<Option<Record>> {
        let (result, gas) = self.inner.next(iterator_id);
        let first = self.started.borrow_mut().insert(iterator_id);
        let item = match &result {
            Ok(Some((key, value))) => {
                READ_COST_PER_BYTE * (key_bytes(key) + value.len() as u64) + ITER_NEXT_COST_FLAT
            }
            _ => ITER_NEXT_COST_FLAT,
        };
        self.charge(if first { 2 * item } else { item });
        (result, gas)
    }

    fn set(&mut self, key: &[u8], value: &[u8]) -> BackendResult<()> {
        self.charge(WRITE_COST_FLAT + WRITE_COST_PER_BYTE * (key_bytes(key) + value.len() as u64));
        self.inner.set(key, value)
    }

    fn remove(&mut self, key: &[u8]) -> BackendResult<()> {
        self.charge(DELETE_COST);
        self.inner.remove(key)
    }
}

/// SDK gas wasmd charges for the events of `response` (`EventCosts`: the free tier applies to
/// the attributes' bytes over the whole set).
pub fn event_cost(response: &Response) -> u64 {
    let mut free = ATTRIBUTE_DATA_FREE_TIER;
    let mut attributes = |attrs: &[cosmwasm_std::Attribute]| {
        if attrs.is_empty() {
            return 0;
        }
        let bytes: u64 = attrs
            .iter()
            .map(|a| (a.key.len() + a.value.len()) as u64)
            .sum();
        let charged = bytes.saturating_sub(free);
        free = free.saturating_sub(bytes);
        ATTRIBUTE_DATA_COST * charged + PER_ATTRIBUTE_COST * attrs.len() as u64
    };
    let mut gas = attributes(&response.attributes);
    for event in &response.events {
        gas += PER_CUSTOM_EVENT_COST + ATTRIBUTE_DATA_COST * event.ty.len() as u64;
        gas += attributes(&event.attributes);
    }
    gas
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::{Attribute, Event};

    #[test]
    fn reads_and_writes_pay_per_byte_of_the_prefixed_key_and_the_value() {
        let mut storage = ChainStorage::default();
        let _ = storage.set(b"0123456789", &[7u8; 20]);
        assert_eq!(storage.used(), 2_000 + 30 * (33 + 10 + 20));
        let before = storage.used();
        let (value, _) = storage.get(b"0123456789");
        assert_eq!(value.unwrap(), Some(vec![7u8; 20]));
        assert_eq!(storage.used() - before, 1_000 + 3 * (33 + 10 + 20));
        let before = storage.used();
        let _ = storage.get(b"missing");
        assert_eq!(storage.used() - before, 1_000 + 3 * (33 + 7));
        let before = storage.used();
        let _ = storage.remove(b"0123456789");
        assert_eq!(storage.used() - before, 1_000);
    }

    #[test]
    fn an_iterations_first_item_is_charged_twice_and_its_end_once() {
        let mut storage = ChainStorage::default();
        let _ = storage.set(b"a", b"xy");
        let _ = storage.set(b"b", b"z");
        let before = storage.used();
        let (id, _) = storage.scan(None, None, Order::Ascending);
        let id = id.unwrap();
        for _ in 0..3 {
            let _ = storage.next(id);
        }
        let first = 3 * (33 + 1 + 2) + 30;
        let second = 3 * (33 + 1 + 1) + 30;
        assert_eq!(storage.used() - before, 2 * first + second + 30);
    }

    #[test]
    fn events_pay_per_attribute_and_per_byte_beyond_the_free_tier() {
        let response = Response::new()
            .add_attribute("action", "x".repeat(94))
            .add_event(Event::new("lease").add_attributes(vec![Attribute::new("id", "7")]));
        // 100 bytes of top-level attributes are free; the event's 3 bytes are not.
        assert_eq!(event_cost(&response), 10 + (20 + 5) + (3 + 10));
    }
}
