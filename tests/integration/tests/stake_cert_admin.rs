//! The stake certificate on cw-multi-test. The minter handover, in two steps, and guarded
//! migration.

use cosmwasm_std::{Addr, BlockInfo, Empty};
use cw_multi_test::Executor;
use cw_ownable::{Action, Expiration, Ownership, OwnershipError};
use cw_storage_plus::Map;
use cw721::msg::MinterResponse;
use loopin::migrate::MigrateError;
use loopin::stake_cert::{ExecuteMsg, MigrateMsg, QueryMsg};
use loopin_integration_tests::{contract_error, stake_cert_contract, token_contract};
use loopin_stake_cert::ContractError;

use loopin_integration_tests::stake_cert::*;

// ---------------------------------------------------------------------------------------------
// 6. Minter ownership.

#[test]
fn the_minter_role_moves_in_two_steps_and_issuers_survive() {
    let mut s = with_one_certificate();
    let a = s.a.clone();
    let transfer = |to: &Addr, expiry| {
        ExecuteMsg::UpdateMinterOwnership(Action::TransferOwnership {
            new_owner: to.to_string(),
            expiry,
        })
    };
    let accept = ExecuteMsg::UpdateMinterOwnership(Action::AcceptOwnership);

    // Only the minter starts a transfer.
    for sender in [&a.minter2, &a.pool_a, &a.miner, &a.stranger, &a.admin] {
        assert_eq!(
            s.refuse(sender, &transfer(&a.minter2, None)),
            ContractError::Ownership(OwnershipError::NotOwner)
        );
        assert_eq!(
            s.refuse(
                sender,
                &ExecuteMsg::UpdateMinterOwnership(Action::RenounceOwnership)
            ),
            ContractError::Ownership(OwnershipError::NotOwner)
        );
    }
    assert_eq!(
        s.refuse(&a.minter2, &accept),
        ContractError::Ownership(OwnershipError::TransferNotFound)
    );

    // A transfer that lapses cannot be accepted.
    let height = s.app.block_info().height;
    s.exec(
        &a.minter,
        &transfer(&a.minter2, Some(Expiration::AtHeight(height + 2))),
    )
    .unwrap();
    s.app
        .update_block(|block: &mut BlockInfo| block.height += 2);
    assert_eq!(
        s.refuse(&a.minter2, &accept),
        ContractError::Ownership(OwnershipError::TransferExpired)
    );

    // A fresh transfer: pending until accepted, and the old minter keeps its rights meanwhile.
    let response = s.exec(&a.minter, &transfer(&a.minter2, None)).unwrap();
    assert_eq!(attr(&response, "action"), "update_minter_ownership");
    assert_eq!(
        s.ownership(),
        Ownership {
            owner: Some(a.minter.clone()),
            pending_owner: Some(a.minter2.clone()),
            pending_expiry: None,
        }
    );
    for sender in [&a.stranger, &a.minter, &a.pool_a] {
        assert_eq!(
            s.refuse(sender, &accept),
            ContractError::Ownership(OwnershipError::NotPendingOwner)
        );
    }
    let msg = mint_msg(
        "st-x",
        &a.miner,
        terms(&a.pool_c, "gpu-9", s.now(), ts(T0 + HOUR)),
    );
    assert_eq!(s.refuse(&a.minter2, &msg), ContractError::Unauthorized {});
    s.mint(
        &a.minter,
        "st-old",
        &a.miner,
        terms(&a.pool_c, "gpu-1", s.now(), ts(T0 + HOUR)),
    );

    s.exec(&a.minter2, &accept).unwrap();
    assert_eq!(
        s.ownership(),
        Ownership {
            owner: Some(a.minter2.clone()),
            pending_owner: None,
            pending_expiry: None,
        }
    );
    let minter: MinterResponse = s.query(&QueryMsg::Minter {});
    assert_eq!(minter.minter, Some(a.minter2.to_string()));

    // The old minter has lost every right.
    let old = a.minter.clone();
    for msg in [
        mint_msg(
            "st-x",
            &a.miner,
            terms(&a.pool_c, "gpu-2", s.now(), ts(T0 + HOUR)),
        ),
        ExecuteMsg::AddIssuer {
            issuer: a.pool_c.to_string(),
        },
        ExecuteMsg::RemoveIssuer {
            issuer: a.pool_a.to_string(),
        },
        ExecuteMsg::Extend {
            token_id: "st-1".into(),
            expiry: ts(T0 + 48 * HOUR),
        },
        ExecuteMsg::Expire {
            token_id: "st-old".into(),
        },
        ExecuteMsg::Invalidate {
            token_id: "st-1".into(),
            reason: "r".into(),
        },
    ] {
        assert_eq!(
            s.refuse(&old, &msg),
            ContractError::Unauthorized {},
            "{msg:?}"
        );
    }
    assert_eq!(
        s.refuse(
            &old,
            &ExecuteMsg::Burn {
                token_id: "st-old".into()
            }
        ),
        ContractError::BurnRestricted {}
    );
    assert_eq!(
        s.refuse(&old, &transfer(&old, None)),
        ContractError::Ownership(OwnershipError::NotOwner)
    );

    // Issuers survive the handover; the new minter has the full role.
    let mut issuers = vec![a.pool_a.clone(), a.pool_b.clone()];
    issuers.sort();
    assert_eq!(s.issuers(), issuers);
    s.mint(
        &a.pool_a,
        "st-a",
        &a.miner,
        terms(&a.pool_a, "gpu-2", s.now(), ts(T0 + HOUR)),
    );
    s.mint(
        &a.minter2,
        "st-new",
        &a.miner,
        terms(&a.pool_c, "gpu-3", s.now(), ts(T0 + HOUR)),
    );
    s.exec(
        &a.minter2,
        &ExecuteMsg::AddIssuer {
            issuer: a.pool_c.to_string(),
        },
    )
    .unwrap();
    s.exec(
        &a.pool_c,
        &ExecuteMsg::Expire {
            token_id: "st-old".into(),
        },
    )
    .unwrap();
    s.exec(
        &a.minter2,
        &ExecuteMsg::Burn {
            token_id: "st-1".into(),
        },
    )
    .unwrap();
    assert_eq!(s.status("st-old"), Expired);
    assert_eq!(s.all_tokens(), strings(&["st-a", "st-new", "st-old"]));
    assert_eq!(
        s.certificate("st-new"),
        expected(
            &a.pool_c,
            "gpu-3",
            &a.miner,
            (s.now(), ts(T0 + HOUR)),
            Active
        )
    );
}

// ---------------------------------------------------------------------------------------------
// 7. Migration.

#[test]
fn migrate_keeps_the_stake_cert_and_refuses_other_contracts() {
    let mut s = with_one_certificate();
    let a = s.a.clone();
    let cert = s.cert.clone();
    let before = s.snapshot();

    // To the token's code: the token's migrate finds a stake-cert record and refuses.
    let token_code = s.app.store_code(token_contract());
    let err: loopin_token::ContractError = contract_error(s.app.migrate_contract(
        a.admin.clone(),
        cert.clone(),
        &MigrateMsg {},
        token_code,
    ));
    assert_eq!(
        err,
        loopin_token::ContractError::Migrate(MigrateError::WrongContract {
            expected: loopin_token::contract::CONTRACT_NAME.into(),
            found: loopin_stake_cert::contract::CONTRACT_NAME.into(),
        })
    );
    assert_eq!(s.app.contract_data(&cert).unwrap().code_id, s.code);
    assert_eq!(before, s.snapshot());

    // A token migrated to the stake-cert code: refused by the stake-cert.
    let token = s
        .app
        .instantiate_contract(
            token_code,
            a.admin.clone(),
            &loopin::token::InstantiateMsg {
                name: "LooPIN".into(),
                symbol: "LOOP".into(),
                decimals: 6,
                initial_balances: vec![],
                minter: loopin::token::MinterResponse {
                    minter: a.minter.to_string(),
                    cap: None,
                },
                marketing: None,
            },
            &[],
            "LOOP",
            Some(a.admin.to_string()),
        )
        .unwrap();
    let token_state = s.app.dump_wasm_raw(&token);
    let err: ContractError = contract_error(s.app.migrate_contract(
        a.admin.clone(),
        token.clone(),
        &MigrateMsg {},
        s.code,
    ));
    assert_eq!(
        err,
        ContractError::Migrate(MigrateError::WrongContract {
            expected: loopin_stake_cert::contract::CONTRACT_NAME.into(),
            found: loopin_token::contract::CONTRACT_NAME.into(),
        })
    );
    assert_eq!(s.app.contract_data(&token).unwrap().code_id, token_code);
    assert_eq!(token_state, s.app.dump_wasm_raw(&token));

    // Only the admin migrates.
    let err = s
        .app
        .migrate_contract(a.minter.clone(), cert.clone(), &MigrateMsg {}, s.code)
        .unwrap_err();
    assert!(
        err.root_cause()
            .to_string()
            .contains("Only admin can migrate"),
        "{err:?}"
    );
    assert_eq!(before, s.snapshot());

    // To the same code, and to a fresh upload of it: accepted, everything kept.
    let new_code = s.app.store_code(stake_cert_contract());
    for target in [s.code, new_code] {
        let response = s
            .app
            .migrate_contract(a.admin.clone(), cert.clone(), &MigrateMsg {}, target)
            .unwrap();
        let version = loopin_stake_cert::contract::CONTRACT_VERSION;
        assert_eq!(attr(&response, "action"), "migrate");
        assert_eq!(attr(&response, "from_version"), version);
        assert_eq!(attr(&response, "to_version"), version);
        // The indexes already hold each certificate's start: nothing is rewritten.
        assert_eq!(attr(&response, "reindexed"), "0");
        assert_eq!(s.app.contract_data(&cert).unwrap().code_id, target);
        assert_eq!(before, s.snapshot());
    }
    // And it keeps working.
    s.exec(
        &a.pool_a,
        &ExecuteMsg::Invalidate {
            token_id: "st-1".into(),
            reason: "after migration".into(),
        },
    )
    .unwrap();
    assert_eq!(s.status("st-1"), Invalidated);
}

#[test]
fn migrate_rewrites_the_expiry_indexes_earlier_code_wrote() {
    let mut s = Suite::new();
    let a = s.a.clone();
    let cert = s.cert.clone();
    let (start, expiry) = (ts(T0 + HOUR), ts(T0 + 10 * HOUR));
    s.mint(
        &a.pool_a,
        "st-1",
        &a.miner,
        terms(&a.pool_a, "gpu-0", start, expiry),
    );
    let time = Some(ts(T0 + 2 * HOUR));
    let answers =
        |s: &Suite| [None, Some(&a.pool_a)].map(|pool| s.active_at(time, pool, None, None));
    let before = answers(&s);
    assert_eq!(ids(&before[0].certificates), ["st-1"]);
    assert_eq!(before[0], before[1]);

    // Code before the index kept each certificate's start stored `{}` as the indexes' values.
    {
        let mut storage = s.app.contract_storage_mut(&cert);
        Map::<(u64, &str), Empty>::new("active_by_expiry")
            .save(storage.as_mut(), (expiry.nanos(), "st-1"), &Empty {})
            .unwrap();
        Map::<(&Addr, u64, &str), Empty>::new("pool_active_by_expiry")
            .save(
                storage.as_mut(),
                (&a.pool_a, expiry.nanos(), "st-1"),
                &Empty {},
            )
            .unwrap();
    }
    let query = QueryMsg::ActiveAt {
        time,
        pool: None,
        start_after: None,
        limit: None,
    };
    assert!(
        s.query_err(&query).contains("u64"),
        "{}",
        s.query_err(&query)
    );

    // Migrating rewrites both from the certificates, and ActiveAt answers as before.
    let response = s
        .app
        .migrate_contract(a.admin.clone(), cert.clone(), &MigrateMsg {}, s.code)
        .unwrap();
    assert_eq!(attr(&response, "reindexed"), "1");
    assert_eq!(answers(&s), before);
}
