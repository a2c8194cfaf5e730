//! Migrating a pair: state written by earlier versions of the contract is brought to the
//! current layout, and nothing anyone is owed moves.

use cosmwasm_std::Uint128;
use cw_multi_test::Executor;
use loopin::pair::{ExecuteMsg, MigrateMsg, ReceiveMsg};
use loopin::stake_cert::StakeMode;
use loopin_integration_tests::protocol::{LOOP, attr, pair_contract, protocol_with_dispute_window};
use loopin_pair::state::{DISPUTE_BONDS, POOL};
use loopin_pool_math::HOUR;

/// A pair that held open disputes' bonds in its escrow (before `DISPUTE_BONDS`) moves them out
/// at migration: the escrow is again only what stakes are owed, the bonds are counted apart,
/// and the dispute then resolves with its bond back to the client.
#[test]
fn open_disputes_bonds_move_out_of_the_escrow_at_migration() {
    let mut p = protocol_with_dispute_window(1);
    p.stake(
        "alice",
        "gpu-a",
        StakeMode::LiquidityProvider,
        10,
        11 * LOOP,
    )
    .unwrap();
    p.lease("client", 1, HOUR / 2, 100 * LOOP).unwrap();
    p.next_epoch();
    let opened = p
        .send(
            "client",
            100 * LOOP,
            &ReceiveMsg::Dispute {
                lease_id: 1,
                reason: "no access".into(),
            },
        )
        .unwrap();
    let bond: u128 = attr(&opened, "bond").unwrap().parse().unwrap();
    assert!(bond > 0);
    let owed = p.pool().escrow;

    // The state an earlier pair wrote: the bond inside the escrow, no DISPUTE_BONDS.
    {
        let mut storage = p.app.contract_storage_mut(&p.pair);
        let mut pool = POOL.load(storage.as_ref()).unwrap();
        pool.escrow += Uint128::new(bond);
        POOL.save(storage.as_mut(), &pool).unwrap();
        DISPUTE_BONDS.remove(storage.as_mut());
    }
    assert_eq!(p.pool().escrow.u128(), owed.u128() + bond);

    let admin = p
        .app
        .wrap()
        .query_wasm_contract_info(&p.pair)
        .unwrap()
        .admin
        .unwrap();
    let code = p.app.store_code(pair_contract());
    let pair = p.pair.clone();
    let migrated = p
        .app
        .migrate_contract(admin, pair, &MigrateMsg {}, code)
        .unwrap();
    assert_eq!(
        attr(&migrated, "dispute_bonds_moved"),
        Some(bond.to_string())
    );
    assert_eq!(p.pool().escrow, owed);
    assert_eq!(p.pool().dispute_bonds.u128(), bond);
    p.check_invariants();

    // A second migration moves nothing.
    let admin = p
        .app
        .wrap()
        .query_wasm_contract_info(&p.pair)
        .unwrap()
        .admin
        .unwrap();
    let pair = p.pair.clone();
    let again = p
        .app
        .migrate_contract(admin, pair, &MigrateMsg {}, code)
        .unwrap();
    assert_eq!(attr(&again, "dispute_bonds_moved"), Some("0".to_string()));

    // Upheld: the bond comes back out of the bonds held, the escrow keeps what stakes are owed.
    let client = p.balance_of("client");
    let governance = p.addr("governance");
    p.exec(
        &governance,
        &ExecuteMsg::ResolveDispute {
            lease_id: 1,
            refund: Uint128::new(1),
        },
    )
    .unwrap();
    assert_eq!(p.balance_of("client"), client + 1 + bond);
    assert_eq!(p.pool().dispute_bonds, Uint128::zero());
    p.check_invariants();
}
