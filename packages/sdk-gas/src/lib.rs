//! What a Cosmos SDK chain running wasmd charges, in SDK gas, with its default settings. The
//! devnet meters transactions with it and the gas report prices the compiled contracts' calls
//! with it, so both follow one model.
//!
//! The constants are wasmd's (`x/wasm/types/gas_register.go`: `DefaultGasMultiplier`,
//! `DefaultInstanceCost`, `DefaultCompileCost`, the event costs) and the Cosmos SDK's
//! (`store/types/gas.go`, `KVGasConfig`; `store/gaskv`: reads and writes pay per byte of key
//! and value, an iterator per step).

use cosmwasm_std::{Attribute, Response};

/// VM gas per SDK gas (wasmd's `DefaultGasMultiplier`).
pub const GAS_MULTIPLIER: u64 = 140_000;
/// SDK gas to load a contract instance that is not pinned (wasmd's `DefaultInstanceCost`).
pub const INSTANCE_COST: u64 = 60_000;
/// SDK gas per byte of uploaded wasm (wasmd's `DefaultCompileCost`).
pub const COMPILE_COST_PER_BYTE: u64 = 3;
/// Bytes wasmd puts before each of a contract's keys (`0x03 || contract address`); the
/// gas-metered store sees the whole key.
pub const CONTRACT_KEY_PREFIX: u64 = 1 + 32;

pub const READ_FLAT: u64 = 1_000;
pub const READ_PER_BYTE: u64 = 3;
pub const WRITE_FLAT: u64 = 2_000;
pub const WRITE_PER_BYTE: u64 = 30;
pub const DELETE_FLAT: u64 = 1_000;
pub const ITER_FLAT: u64 = 30;

const PER_ATTRIBUTE_COST: u64 = 10;
const ATTRIBUTE_DATA_COST: u64 = 1;
const ATTRIBUTE_DATA_FREE_TIER: u64 = 100;
const PER_CUSTOM_EVENT_COST: u64 = 20;

/// A read of `key` bytes that found `value` bytes (0 when absent).
pub fn read(key: u64, value: u64) -> u64 {
    READ_FLAT + READ_PER_BYTE * (key + value)
}

/// A write of `value` bytes under `key` bytes.
pub fn write(key: u64, value: u64) -> u64 {
    WRITE_FLAT + WRITE_PER_BYTE * (key + value)
}

/// One step of an iterator over an item of `key` and `value` bytes (both 0 past the end).
pub fn iter_step(key: u64, value: u64) -> u64 {
    ITER_FLAT + READ_PER_BYTE * (key + value)
}

/// VM gas of `sdk` SDK gas.
pub fn vm_gas(sdk: u64) -> u64 {
    sdk.saturating_mul(GAS_MULTIPLIER)
}

/// SDK gas wasmd charges for the events of `response` (`EventCosts`: the free tier applies to
/// the attributes' bytes over the whole set).
pub fn event_cost(response: &Response) -> u64 {
    let mut free = ATTRIBUTE_DATA_FREE_TIER;
    let mut attributes = |attrs: &[Attribute]| {
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
    use cosmwasm_std::Event;

    #[test]
    fn events_pay_per_attribute_and_per_byte_beyond_the_free_tier() {
        let response = Response::new()
            .add_attribute("action", "x".repeat(94))
            .add_event(Event::new("lease").add_attributes(vec![Attribute::new("id", "7")]));
        // 100 bytes of top-level attributes are free; the event's 3 bytes are not.
        assert_eq!(event_cost(&response), 10 + (20 + 5) + (3 + 10));
    }

    #[test]
    fn reads_and_writes_pay_per_byte_of_key_and_value() {
        assert_eq!(read(10, 20), 1_000 + 3 * 30);
        assert_eq!(write(10, 20), 2_000 + 30 * 30);
        assert_eq!(iter_step(0, 0), 30);
    }
}
