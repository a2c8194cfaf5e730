//! Where a call's gas goes outside its own wasm: the host calls it made (storage reads, writes,
//! removals, iteration steps, address checks, queries to other contracts), with the bytes they
//! moved, and what the VM charges for them. The rest of a call's internal gas is its own wasm:
//! decoding and encoding JSON, arithmetic, hashing.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use cosmwasm_std::{Binary, ContractResult, SystemResult};
use cosmwasm_vm::testing::{MockApi, MockQuerier};
use cosmwasm_vm::{BackendApi, BackendResult, Querier};

/// The host calls of one call (or of everything so far, before differences are taken).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HostCalls {
    /// Storage reads, the bytes of their keys, and of the values they returned.
    pub reads: u64,
    pub read_key_bytes: u64,
    pub read_bytes: u64,
    /// Storage writes, and the bytes of their keys and values.
    pub writes: u64,
    pub write_bytes: u64,
    /// Storage removals.
    pub removes: u64,
    /// Range scans opened and items (or ends) they returned.
    pub scans: u64,
    pub steps: u64,
    /// Address validations, canonicalisations and humanisations, and the bytes of their inputs.
    pub addresses: u64,
    pub address_bytes: u64,
    /// Queries to other contracts or modules.
    pub queries: u64,
}

/// cosmwasm-vm 2.3.5's `GasConfig::default()` and its mock API's address prices, which the VM
/// charges for host calls (`imports.rs`): a flat cost per call, and a cost to read each region
/// of the contract's memory the call takes as input.
mod price {
    pub const HOST_CALL: u64 = 18_000;
    pub const REGION_BASE: u64 = 200_000;
    pub const REGION_PER_BYTE: u64 = 115;
    pub const STRING_BASE: u64 = 28_700;
    pub const STRING_PER_BYTE: u64 = 1_400;
    /// Canonicalise (5) then humanise (4) SDK gas at wasmd's multiplier of 140,000.
    pub const ADDRESS_VALIDATE: u64 = 9 * 140_000;
}

impl HostCalls {
    /// What the VM charged for these calls: every call's flat cost and the regions of the
    /// contract's memory it read (keys, written values, query requests' base cost; a read's
    /// value is copied into memory the contract's own allocator gives, which is wasm gas), and
    /// each address call priced as an `addr_validate` (canonicalise and humanise; the contracts
    /// call nothing else of the API). Queries' own gas (the other contract's) is not here.
    pub fn vm_gas(&self) -> u64 {
        use price::*;
        let calls = self.reads + self.writes + self.removes + self.scans + self.steps;
        let regions = self.reads + 2 * self.writes + self.removes;
        let key_and_value_bytes = self.write_bytes + self.read_key_bytes;
        let addresses = self.addresses * (HOST_CALL + REGION_BASE + STRING_BASE + ADDRESS_VALIDATE)
            + self.address_bytes * (REGION_PER_BYTE + STRING_PER_BYTE);
        (calls + self.queries) * HOST_CALL
            + (regions + self.queries) * REGION_BASE
            + key_and_value_bytes * REGION_PER_BYTE
            + addresses
    }

    /// What happened between `before` and `self`.
    pub fn since(self, before: HostCalls) -> HostCalls {
        HostCalls {
            reads: self.reads - before.reads,
            read_key_bytes: self.read_key_bytes - before.read_key_bytes,
            read_bytes: self.read_bytes - before.read_bytes,
            writes: self.writes - before.writes,
            write_bytes: self.write_bytes - before.write_bytes,
            removes: self.removes - before.removes,
            scans: self.scans - before.scans,
            steps: self.steps - before.steps,
            addresses: self.addresses - before.addresses,
            address_bytes: self.address_bytes - before.address_bytes,
            queries: self.queries - before.queries,
        }
    }
}

/// Counters shared between the backend's parts (the API must be `Send`).
#[derive(Debug, Default)]
pub struct Counters {
    addresses: AtomicU64,
    address_bytes: AtomicU64,
    queries: AtomicU64,
}

impl Counters {
    /// `(addresses, address bytes, queries)` so far.
    pub fn read(&self) -> (u64, u64, u64) {
        (
            self.addresses.load(Ordering::Relaxed),
            self.address_bytes.load(Ordering::Relaxed),
            self.queries.load(Ordering::Relaxed),
        )
    }

    fn address(&self, bytes: usize) {
        self.addresses.fetch_add(1, Ordering::Relaxed);
        self.address_bytes
            .fetch_add(bytes as u64, Ordering::Relaxed);
    }
}

/// The VM's mock API (bech32 addresses, prices of wasmd), counting its calls.
#[derive(Clone, Default)]
pub struct CountingApi {
    inner: MockApi,
    counters: Arc<Counters>,
}

impl CountingApi {
    pub fn new(counters: Arc<Counters>) -> Self {
        Self {
            inner: MockApi::default(),
            counters,
        }
    }

    /// A valid address derived from `label`.
    pub fn addr_make(&self, label: &str) -> String {
        self.inner.addr_make(label)
    }
}

impl BackendApi for CountingApi {
    fn addr_validate(&self, input: &str) -> BackendResult<()> {
        self.counters.address(input.len());
        self.inner.addr_validate(input)
    }

    fn addr_canonicalize(&self, human: &str) -> BackendResult<Vec<u8>> {
        self.counters.address(human.len());
        self.inner.addr_canonicalize(human)
    }

    fn addr_humanize(&self, canonical: &[u8]) -> BackendResult<String> {
        self.counters.address(canonical.len());
        self.inner.addr_humanize(canonical)
    }
}

/// The VM's mock querier, counting the queries the contract made.
pub struct CountingQuerier {
    pub inner: MockQuerier,
    counters: Arc<Counters>,
}

impl CountingQuerier {
    pub fn new(counters: Arc<Counters>) -> Self {
        Self {
            inner: MockQuerier::new(&[]),
            counters,
        }
    }
}

impl Querier for CountingQuerier {
    fn query_raw(
        &self,
        request: &[u8],
        gas_limit: u64,
    ) -> BackendResult<SystemResult<ContractResult<Binary>>> {
        self.counters.queries.fetch_add(1, Ordering::Relaxed);
        self.inner.query_raw(request, gas_limit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_storage_call_pays_its_flat_cost_and_its_regions() {
        let read = HostCalls {
            reads: 1,
            read_key_bytes: 10,
            read_bytes: 500,
            ..HostCalls::default()
        };
        assert_eq!(read.vm_gas(), 18_000 + 200_000 + 10 * 115);
        let write = HostCalls {
            writes: 1,
            write_bytes: 30,
            ..HostCalls::default()
        };
        assert_eq!(write.vm_gas(), 18_000 + 2 * 200_000 + 30 * 115);
    }

    #[test]
    fn an_address_check_costs_what_wasmd_charges_for_canonicalising_and_humanising() {
        let check = HostCalls {
            addresses: 1,
            address_bytes: 45,
            ..HostCalls::default()
        };
        assert_eq!(
            check.vm_gas(),
            18_000 + 200_000 + 28_700 + 1_260_000 + 45 * (115 + 1_400)
        );
    }

    #[test]
    fn the_api_counts_every_address_call() {
        let counters = Arc::new(Counters::default());
        let api = CountingApi::new(counters.clone());
        let addr = api.addr_make("alice");
        let _ = api.addr_validate(&addr);
        let _ = api.addr_validate("not-an-address");
        assert_eq!(counters.read().0, 2);
        assert_eq!(counters.read().1, (addr.len() + 14) as u64);
    }
}
