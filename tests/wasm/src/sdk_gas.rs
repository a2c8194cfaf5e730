//! What a call costs on a Cosmos SDK chain running wasmd with its default gas settings, counted
//! from what the compiled contract actually did: the VM's own gas converted at wasmd's
//! multiplier, every storage operation priced as the SDK's gas-metered KV store prices it
//! (`loopin-sdk-gas`, the model the devnet meters with), the instance set-up, and the events the
//! call emitted.

use std::cell::{Cell, RefCell};
use std::collections::HashSet;

use cosmwasm_std::{Order, Record};
use cosmwasm_vm::testing::MockStorage;
use cosmwasm_vm::{BackendResult, Storage};
use loopin_sdk_gas::{CONTRACT_KEY_PREFIX, DELETE_FLAT, iter_step, read, write};

use crate::host_calls::HostCalls;
pub use loopin_sdk_gas::{GAS_MULTIPLIER, INSTANCE_COST, event_cost};

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
    /// The storage calls so far (`HostCalls`' storage fields).
    calls: Cell<HostCalls>,
}

impl ChainStorage {
    /// SDK gas of every storage operation so far.
    pub fn used(&self) -> u64 {
        self.used.get()
    }

    /// The storage calls so far.
    pub fn calls(&self) -> HostCalls {
        self.calls.get()
    }

    fn charge(&self, gas: u64) {
        self.used.set(self.used.get() + gas);
    }

    fn count(&self, update: impl FnOnce(&mut HostCalls)) {
        let mut calls = self.calls.get();
        update(&mut calls);
        self.calls.set(calls);
    }
}

fn key_bytes(key: &[u8]) -> u64 {
    CONTRACT_KEY_PREFIX + key.len() as u64
}

impl Storage for ChainStorage {
    fn get(&self, key: &[u8]) -> BackendResult<Option<Vec<u8>>> {
        let (result, gas) = self.inner.get(key);
        let value = result
            .as_ref()
            .ok()
            .and_then(|v| v.as_ref())
            .map_or(0, Vec::len) as u64;
        self.charge(read(key_bytes(key), value));
        self.count(|calls| {
            calls.reads += 1;
            calls.read_key_bytes += key.len() as u64;
            calls.read_bytes += value;
        });
        (result, gas)
    }

    fn scan(
        &mut self,
        start: Option<&[u8]>,
        end: Option<&[u8]>,
        order: Order,
    ) -> BackendResult<u32> {
        self.count(|calls| calls.scans += 1);
        self.inner.scan(start, end, order)
    }

    fn next(&mut self, iterator_id: u32) -> BackendResult<Option<Record>> {
        let (result, gas) = self.inner.next(iterator_id);
        let first = self.started.borrow_mut().insert(iterator_id);
        let item = match &result {
            Ok(Some((key, value))) => iter_step(key_bytes(key), value.len() as u64),
            _ => iter_step(0, 0),
        };
        self.charge(if first { 2 * item } else { item });
        self.count(|calls| calls.steps += 1);
        (result, gas)
    }

    fn set(&mut self, key: &[u8], value: &[u8]) -> BackendResult<()> {
        self.charge(write(key_bytes(key), value.len() as u64));
        self.count(|calls| {
            calls.writes += 1;
            calls.write_bytes += (key.len() + value.len()) as u64;
        });
        self.inner.set(key, value)
    }

    fn remove(&mut self, key: &[u8]) -> BackendResult<()> {
        self.charge(DELETE_FLAT);
        self.count(|calls| calls.removes += 1);
        self.inner.remove(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
