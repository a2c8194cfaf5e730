//! The factory owner's powers over value already in the pools go through a timelock.

use cosmwasm_std::{Addr, Timestamp};
use cw_multi_test::Executor;
use loopin::factory::{
    self, EXECUTION_WINDOW, GovernanceAction, GovernanceResponse, MAX_MIN_DELAY, Proposal,
    ProposalsResponse,
};
use loopin::pair::{self, ExecuteMsg};
use loopin::pool::ParamsError;
use loopin::stake_cert::StakeMode;
use loopin_factory::ContractError;
use loopin_integration_tests::contract_error;
use loopin_integration_tests::protocol::{EPOCH, LOOP, Protocol, pair_contract, params, protocol};
use loopin_pool_math::MathError;

/// The notice in these tests: six one-hour epochs.
const DELAY: u64 = 6 * EPOCH;

fn factory_of(p: &Protocol) -> Addr {
    let config: pair::ConfigResponse = p
        .app
        .wrap()
        .query_wasm_smart(&p.pair, &pair::QueryMsg::Config {})
        .unwrap();
    config.factory
}

fn gov(p: &mut Protocol, msg: &factory::ExecuteMsg) -> anyhow::Result<cw_multi_test::AppResponse> {
    let governance = p.addr("governance");
    call(p, &governance, msg)
}

fn call(
    p: &mut Protocol,
    sender: &Addr,
    msg: &factory::ExecuteMsg,
) -> anyhow::Result<cw_multi_test::AppResponse> {
    let factory = factory_of(p);
    p.app.execute_contract(sender.clone(), factory, msg, &[])
}

fn propose(
    p: &mut Protocol,
    action: GovernanceAction,
) -> anyhow::Result<cw_multi_test::AppResponse> {
    gov(p, &factory::ExecuteMsg::Propose { action })
}

fn proposals(p: &Protocol) -> Vec<Proposal> {
    let answer: ProposalsResponse = p
        .app
        .wrap()
        .query_wasm_smart(
            factory_of(p),
            &factory::QueryMsg::Proposals {
                start_after: None,
                limit: None,
            },
        )
        .unwrap();
    answer.proposals
}

fn governance(p: &Protocol) -> GovernanceResponse {
    p.app
        .wrap()
        .query_wasm_smart(factory_of(p), &factory::QueryMsg::Governance {})
        .unwrap()
}

fn wait(p: &mut Protocol, seconds: u64) {
    p.app
        .update_block(|block| block.time = block.time.plus_seconds(seconds));
}

fn now(p: &Protocol) -> Timestamp {
    p.app.block_info().time
}

/// The protocol fixture (no notice) with its notice raised to `delay` through the timelock.
fn protocol_with_delay(delay: u64) -> Protocol {
    let mut p = protocol();
    propose(&mut p, GovernanceAction::SetMinDelay { min_delay: delay }).unwrap();
    let anyone = p.addr("dave");
    call(&mut p, &anyone, &factory::ExecuteMsg::Execute { id: 1 }).unwrap();
    assert_eq!(governance(&p).min_delay, delay);
    p
}

/// Bob, an honest miner, stakes 11 LOOP for 3 epochs beside Alice.
fn honest_stake(p: &mut Protocol) -> u128 {
    p.stake(
        "alice",
        "gpu-a",
        StakeMode::LiquidityProvider,
        10,
        11 * LOOP,
    )
    .unwrap();
    let before = p.balance_of("bob");
    p.stake("bob", "gpu-b", StakeMode::LiquidityProvider, 3, 11 * LOOP)
        .unwrap();
    before
}

#[test]
fn governance_cannot_repoint_the_registry_without_notice() {
    let mut p = protocol_with_delay(DELAY);
    let before = honest_stake(&mut p);
    let attacker = p.addr("attacker");
    let repoint = factory::ExecuteMsg::SetRegistry {
        registry: attacker.to_string(),
    };
    if gov(&mut p, &repoint).is_ok() {
        // The attacker, now the registry, invalidates Bob's honest stake at once.
        p.exec(
            &attacker,
            &ExecuteMsg::Invalidate {
                token_id: "h100-2".into(),
                reason: "none".into(),
            },
        )
        .unwrap();
        for _ in 0..4 {
            p.next_epoch();
        }
        let bob = p.addr("bob");
        let claimed = p.exec(&bob, &ExecuteMsg::Claim { stake_id: 2 }).is_ok();
        let loss = before - p.balance_of("bob");
        panic!(
            "governance re-pointed the registry at once; its new registry invalidated an honest \
             stake in the same block and Bob lost {loss} of the {} micro-LOOP he staked \
             (claim succeeded: {claimed})",
            11 * LOOP
        );
    }
    let err: ContractError = contract_error(gov(&mut p, &repoint));
    assert_eq!(
        err,
        ContractError::Timelocked {
            action: "set_registry".into(),
            min_delay: DELAY
        }
    );

    // The change is announced: anyone can see what and when.
    let proposed_at = now(&p);
    let action = GovernanceAction::SetRegistry {
        registry: attacker.to_string(),
    };
    propose(&mut p, action.clone()).unwrap();
    let eta = proposed_at.plus_seconds(DELAY);
    assert_eq!(
        proposals(&p),
        [Proposal {
            id: 2,
            action,
            proposed_at,
            eta,
            expires: eta.plus_seconds(EXECUTION_WINDOW),
        }]
    );
    let invalidate = ExecuteMsg::Invalidate {
        token_id: "h100-2".into(),
        reason: "none".into(),
    };
    let err: loopin_pair::ContractError = contract_error(p.exec(&attacker, &invalidate));
    assert_eq!(err, loopin_pair::ContractError::NotRegistry {});

    // Within the notice Bob's stake runs out and he claims it.
    let bob = p.addr("bob");
    for _ in 0..5 {
        p.next_epoch();
    }
    p.exec(&bob, &ExecuteMsg::Claim { stake_id: 2 }).unwrap();
    assert!(p.stake_info(2).finished);
    let claimed = p.balance_of("bob");
    assert!(
        claimed + LOOP >= before,
        "Bob got back his stake less the 1 LOOP fee: {claimed} of {before}"
    );
    let execute = factory::ExecuteMsg::Execute { id: 2 };
    let anyone = p.addr("carol");
    let err: ContractError = contract_error(call(&mut p, &anyone, &execute));
    assert_eq!(
        err,
        ContractError::TooEarly {
            id: 2,
            eta,
            now: proposed_at.plus_seconds(5 * EPOCH)
        }
    );

    // The change lands; the attacker's registry finds nothing of Bob's left to seize.
    wait(&mut p, EPOCH);
    call(&mut p, &anyone, &execute).unwrap();
    assert!(proposals(&p).is_empty());
    let _ = p.exec(&attacker, &invalidate);
    assert_eq!(p.balance_of("bob"), claimed, "Bob lost nothing");
}

#[test]
fn only_the_owner_proposes_and_cancels_and_anyone_executes_in_the_window() {
    let mut p = protocol_with_delay(DELAY);
    let stranger = p.addr("dave");
    let action = GovernanceAction::SetClassParams {
        class: "h100".into(),
        params: Box::new(params()),
    };
    let err: ContractError = contract_error(call(
        &mut p,
        &stranger,
        &factory::ExecuteMsg::Propose {
            action: action.clone(),
        },
    ));
    assert!(matches!(err, ContractError::Ownership(_)));
    // The class has a pool: its parameters are not changed at once.
    let err: ContractError = contract_error(gov(
        &mut p,
        &factory::ExecuteMsg::SetClassParams {
            class: "h100".into(),
            params: Box::new(params()),
        },
    ));
    assert_eq!(
        err,
        ContractError::Timelocked {
            action: "set_class_params".into(),
            min_delay: DELAY
        }
    );
    // A proposal is validated when made.
    let mut bad = params();
    bad.economics.beta = bad.economics.gamma;
    let err: ContractError = contract_error(propose(
        &mut p,
        GovernanceAction::SetClassParams {
            class: "h100".into(),
            params: Box::new(bad),
        },
    ));
    assert_eq!(
        err,
        ContractError::Params(ParamsError::Math(MathError::BetaNotBelowGamma))
    );

    let start = now(&p);
    propose(&mut p, action.clone()).unwrap(); // 2
    propose(&mut p, action).unwrap(); // 3
    assert_eq!(
        proposals(&p).iter().map(|p| p.id).collect::<Vec<_>>(),
        [2, 3]
    );
    let cancel = factory::ExecuteMsg::Cancel { id: 2 };
    let err: ContractError = contract_error(call(&mut p, &stranger, &cancel));
    assert!(matches!(err, ContractError::Ownership(_)));
    gov(&mut p, &cancel).unwrap();
    let err: ContractError = contract_error(call(
        &mut p,
        &stranger,
        &factory::ExecuteMsg::Execute { id: 2 },
    ));
    assert_eq!(err, ContractError::UnknownProposal { id: 2 });
    let err: ContractError = contract_error(gov(&mut p, &cancel));
    assert_eq!(err, ContractError::UnknownProposal { id: 2 });

    // One second early, then on time (by anyone), then never again.
    let execute = factory::ExecuteMsg::Execute { id: 3 };
    wait(&mut p, DELAY - 1);
    let err: ContractError = contract_error(call(&mut p, &stranger, &execute));
    assert_eq!(
        err,
        ContractError::TooEarly {
            id: 3,
            eta: start.plus_seconds(DELAY),
            now: start.plus_seconds(DELAY - 1)
        }
    );
    wait(&mut p, 1);
    call(&mut p, &stranger, &execute).unwrap();
    let err: ContractError = contract_error(call(&mut p, &stranger, &execute));
    assert_eq!(err, ContractError::UnknownProposal { id: 3 });

    // A proposal left past its window has expired.
    let start = now(&p);
    propose(&mut p, GovernanceAction::SetPairCodeId { code_id: 1 }).unwrap();
    wait(&mut p, DELAY + EXECUTION_WINDOW + 1);
    let err: ContractError = contract_error(call(
        &mut p,
        &stranger,
        &factory::ExecuteMsg::Execute { id: 4 },
    ));
    assert_eq!(
        err,
        ContractError::ProposalExpired {
            id: 4,
            expires: start.plus_seconds(DELAY + EXECUTION_WINDOW),
            now: start.plus_seconds(DELAY + EXECUTION_WINDOW + 1)
        }
    );
}

#[test]
fn the_delay_the_pair_code_and_the_admin_change_only_through_the_timelock() {
    let mut p = protocol_with_delay(DELAY);
    for (msg, action) in [
        (
            factory::ExecuteMsg::SetPairCodeId { code_id: 1 },
            "set_pair_code_id",
        ),
        (
            factory::ExecuteMsg::SetRegistry {
                registry: p.addr("dave").to_string(),
            },
            "set_registry",
        ),
    ] {
        let err: ContractError = contract_error(gov(&mut p, &msg));
        assert_eq!(
            err,
            ContractError::Timelocked {
                action: action.into(),
                min_delay: DELAY
            }
        );
    }
    let err: ContractError = contract_error(propose(
        &mut p,
        GovernanceAction::SetMinDelay {
            min_delay: MAX_MIN_DELAY + 1,
        },
    ));
    assert_eq!(
        err,
        ContractError::DelayTooLong {
            min_delay: MAX_MIN_DELAY + 1,
            max: MAX_MIN_DELAY
        }
    );

    // Shortening the notice itself takes the current notice.
    let admin = p.addr("multisig");
    propose(&mut p, GovernanceAction::SetMinDelay { min_delay: 60 }).unwrap(); // 2
    propose(
        &mut p,
        GovernanceAction::SetAdmin {
            admin: Some(admin.to_string()),
        },
    )
    .unwrap(); // 3
    wait(&mut p, DELAY);
    let anyone = p.addr("dave");
    for id in [2, 3] {
        call(&mut p, &anyone, &factory::ExecuteMsg::Execute { id }).unwrap();
    }
    assert_eq!(
        governance(&p),
        GovernanceResponse {
            min_delay: 60,
            admin: Some(admin.clone())
        }
    );
    let start = now(&p);
    propose(&mut p, GovernanceAction::SetMinDelay { min_delay: 120 }).unwrap();
    assert_eq!(proposals(&p)[0].eta, start.plus_seconds(60));

    // A class without a pool is still set at once, and its pool gets the new wasm admin.
    let pool = p.second_pool();
    let info = p.app.wrap().query_wasm_contract_info(&pool).unwrap();
    assert_eq!(info.admin, Some(admin));
}

/// A contract whose wasm admin is the factory migrates only through the timelock: nobody holds a
/// key that migrates it at once (the owner's own attempt is refused by the chain), the
/// proposal is public for the notice, and a migration of a contract the factory is not the
/// admin of fails when executed.
#[test]
fn a_migration_waits_for_the_notice_when_the_factory_is_the_admin() {
    let mut p = protocol_with_delay(DELAY);
    let factory = factory_of(&p);
    propose(
        &mut p,
        GovernanceAction::SetAdmin {
            admin: Some(factory.to_string()),
        },
    )
    .unwrap(); // 2
    wait(&mut p, DELAY);
    let anyone = p.addr("dave");
    call(&mut p, &anyone, &factory::ExecuteMsg::Execute { id: 2 }).unwrap();
    let pool_pair = p.second_pool();
    let old_code = p
        .app
        .wrap()
        .query_wasm_contract_info(&pool_pair)
        .unwrap()
        .code_id;
    assert_eq!(
        p.app
            .wrap()
            .query_wasm_contract_info(&pool_pair)
            .unwrap()
            .admin,
        Some(factory.clone())
    );
    let new_code = p.app.store_code(pair_contract());
    let migrate = cosmwasm_std::to_json_binary(&pair::MigrateMsg {}).unwrap();

    // The owner has no key that migrates the pool at once.
    let owner = p.addr("governance");
    let direct = p
        .app
        .migrate_contract(owner, pool_pair.clone(), &pair::MigrateMsg {}, new_code);
    assert!(direct.is_err());

    propose(
        &mut p,
        GovernanceAction::Migrate {
            contract: pool_pair.to_string(),
            code_id: new_code,
            msg: migrate.clone(),
        },
    )
    .unwrap(); // 3
    let err: ContractError = contract_error(call(
        &mut p,
        &anyone,
        &factory::ExecuteMsg::Execute { id: 3 },
    ));
    assert!(matches!(err, ContractError::TooEarly { id: 3, .. }));
    assert_eq!(
        p.app
            .wrap()
            .query_wasm_contract_info(&pool_pair)
            .unwrap()
            .code_id,
        old_code
    );
    wait(&mut p, DELAY);
    call(&mut p, &anyone, &factory::ExecuteMsg::Execute { id: 3 }).unwrap();
    assert_eq!(
        p.app
            .wrap()
            .query_wasm_contract_info(&pool_pair)
            .unwrap()
            .code_id,
        new_code
    );

    // The fixture's own pool has another admin: its migration fails when executed, and the
    // proposal stays pending until it expires or is cancelled.
    let fixture_pool = p.pair.to_string();
    propose(
        &mut p,
        GovernanceAction::Migrate {
            contract: fixture_pool,
            code_id: new_code,
            msg: migrate,
        },
    )
    .unwrap(); // 4
    wait(&mut p, DELAY);
    assert!(call(&mut p, &anyone, &factory::ExecuteMsg::Execute { id: 4 }).is_err());
    assert_eq!(proposals(&p).len(), 1);
}
