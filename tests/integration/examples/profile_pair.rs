//! Runs the pair's user actions natively and prints the JSON its hot records are stored as: the
//! companion of bench/gas.md's "Where the gas goes" (most of a call's gas is its own wasm
//! decoding and encoding these). For an instruction profile of a handler:
//! `valgrind --tool=callgrind --toggle-collect='loopin_pair::leasing::lease' \
//!   target/service/examples/profile_pair` after
//! `cargo build --profile service -p loopin-integration-tests --example profile_pair`.

use cosmwasm_std::Uint128;
use loopin::pair::ExecuteMsg;
use loopin::stake_cert::StakeMode;
use loopin_integration_tests::protocol::{LOOP, Protocol, protocol};
use loopin_pool_math::HOUR;

fn main() -> anyhow::Result<()> {
    let mut p = protocol();
    p.stake(
        "alice",
        "gpu-a",
        StakeMode::LiquidityProvider,
        10,
        11 * LOOP,
    )?;
    p.stake("bob", "gpu-b", StakeMode::LiquidityProvider, 10, 11 * LOOP)?;
    for _ in 0..4 {
        p.lease("client", 1, HOUR / 10, 100 * LOOP)?;
    }
    let client = p.addr("client");
    let cancel = ExecuteMsg::CancelLease {
        lease_id: 1,
        min_refund: Uint128::zero(),
        deadline: None,
    };
    p.exec(&client, &cancel)?;
    for (name, key) in [
        ("config", b"config".to_vec()),
        ("pool", b"pool".to_vec()),
        ("stake 1", map_key("stakes", 1)),
        ("lease 2", map_key("leases", 2)),
    ] {
        print_record(&p, name, key)?;
    }
    Ok(())
}

/// cw-storage-plus's key of entry `id` of the `Map<u64, _>` named `namespace`.
fn map_key(namespace: &str, id: u64) -> Vec<u8> {
    let length = (namespace.len() as u16).to_be_bytes();
    [&length[..], namespace.as_bytes(), &id.to_be_bytes()].concat()
}

fn print_record(p: &Protocol, name: &str, key: Vec<u8>) -> anyhow::Result<()> {
    let raw = p
        .app
        .wrap()
        .query_wasm_raw(&p.pair, key)?
        .unwrap_or_default();
    println!(
        "{name} ({} bytes): {}",
        raw.len(),
        String::from_utf8_lossy(&raw)
    );
    Ok(())
}
