//! Lease access, completion and disputes on the full protocol: the client's OpenSSH key, Extend,
//! CompleteLease, the pay hold of `dispute_epochs`, disputes and governance's rulings. This file
//! holds the set-up the suites share; each suite is a module beside it.

use cosmwasm_std::{HexBinary, Uint128};
use loopin::access::SshPublicKey;
use loopin::pair::{
    ClaimableResponse, Dispute, DisputeResolution, ExecuteMsg, LeaseResponse, LeasesResponse,
    PoolResponse, QueryMsg, ReceiveMsg, StakeResponse,
};
use loopin::stake_cert::StakeMode;
use loopin::token;
use loopin_integration_tests::contract_error;
use loopin_integration_tests::protocol::{
    ACTORS, EPOCH, LOOP, Protocol, RICH, SSH_KEY, protocol_with_dispute_window,
};
use loopin_pair::ContractError;
use loopin_pool_math::HOUR;

fn disputes(p: &Protocol, stake_id: u64, start_after: Option<u64>, limit: Option<u32>) -> Vec<u64> {
    let answer: LeasesResponse = p
        .app
        .wrap()
        .query_wasm_smart(
            &p.pair,
            &QueryMsg::Disputes {
                stake_id,
                start_after,
                limit,
            },
        )
        .unwrap();
    answer.leases.into_iter().map(|lease| lease.id).collect()
}

fn burned(p: &Protocol) -> u128 {
    let audit: token::SupplyAuditResponse = p
        .app
        .wrap()
        .query_wasm_smart(&p.token, &token::QueryMsg::SupplyAudit {})
        .unwrap();
    audit.burned.u128()
}

fn lease_msg(stake_id: u64, hours: u128, ssh_key: &str, renewals: Option<u32>) -> ReceiveMsg {
    ReceiveMsg::Lease {
        stake_id,
        hours: Uint128::new(hours),
        client_key: HexBinary::from([1u8; 32]),
        ssh_key: ssh_key.into(),
        deadline: None,
        renewals,
        max_renewal_price: None,
        // The keeper ("dave") renews the tests' orders.
        renewer: renewals.map(|_| {
            cosmwasm_std::testing::MockApi::default()
                .addr_make("dave")
                .to_string()
        }),
    }
}

/// Disputes a lease, sending 2,000 LOOP for the bond (what is above the bond comes back).
fn dispute(
    p: &mut Protocol,
    who: &str,
    lease_id: u64,
) -> anyhow::Result<cw_multi_test::AppResponse> {
    p.send(
        who,
        2_000 * LOOP,
        &ReceiveMsg::Dispute {
            lease_id,
            reason: "no access".into(),
        },
    )
}

fn resolve(
    p: &mut Protocol,
    who: &str,
    lease_id: u64,
    refund: u128,
) -> anyhow::Result<cw_multi_test::AppResponse> {
    let sender = p.addr(who);
    p.exec(
        &sender,
        &ExecuteMsg::ResolveDispute {
            lease_id,
            refund: Uint128::new(refund),
        },
    )
}

/// Claims stake `id` for `who` if anything is claimable: checks the claim pays exactly what
/// Claimable quoted and returns the quote; None when both refuse with NothingToClaim.
fn claim(p: &mut Protocol, who: &str, id: u64) -> Option<ClaimableResponse> {
    let quote: Result<ClaimableResponse, _> = p
        .app
        .wrap()
        .query_wasm_smart(&p.pair, &QueryMsg::Claimable { stake_id: id });
    let sender = p.addr(who);
    let before = p.balance(&sender);
    let escrow = p.pool().escrow.u128();
    match quote {
        Err(err) => {
            assert!(err.to_string().contains("nothing to claim yet"), "{err}");
            let err: ContractError =
                contract_error(p.exec(&sender, &ExecuteMsg::Claim { stake_id: id }));
            assert_eq!(err, ContractError::NothingToClaim {});
            None
        }
        Ok(quote) => {
            p.exec(&sender, &ExecuteMsg::Claim { stake_id: id })
                .unwrap();
            assert_eq!(
                p.balance(&sender),
                before + quote.payout.u128() + quote.rewards.u128()
            );
            // Only what is paid out (and the upkeep burned) leaves the escrow.
            assert_eq!(
                p.pool().escrow.u128(),
                escrow - quote.payout.u128() - quote.burned.u128()
            );
            Some(quote)
        }
    }
}

/// Everything a refusal must leave as it was.
#[derive(Debug, PartialEq)]
struct Snapshot {
    pool: PoolResponse,
    stakes: Vec<StakeResponse>,
    leases: Vec<LeaseResponse>,
    balances: Vec<u128>,
    burned: u128,
}

fn snapshot(p: &Protocol) -> Snapshot {
    let stakes = (1..)
        .map_while(|id| {
            p.app
                .wrap()
                .query_wasm_smart(&p.pair, &QueryMsg::Stake { stake_id: id })
                .ok()
        })
        .collect();
    let leases = (1..)
        .map_while(|id| {
            p.app
                .wrap()
                .query_wasm_smart(&p.pair, &QueryMsg::Lease { lease_id: id })
                .ok()
        })
        .collect();
    let mut balances: Vec<u128> = ACTORS.iter().map(|name| p.balance_of(name)).collect();
    balances.push(p.balance(&p.pair));
    Snapshot {
        pool: p.pool(),
        stakes,
        leases,
        balances,
        burned: burned(p),
    }
}

/// Asserts a call is refused with `expected` and changes nothing.
fn refused(
    p: &mut Protocol,
    expected: ContractError,
    call: impl FnOnce(&mut Protocol) -> anyhow::Result<cw_multi_test::AppResponse>,
) {
    let before = snapshot(p);
    let err: ContractError = contract_error(call(p));
    assert_eq!(err, expected);
    assert_eq!(snapshot(p), before, "a refusal changes nothing");
}

/// A provider (stake 1, 10 epochs: 1 to 10), 0.6 h of whose epoch 1 Dave leases (lease 1) to
/// fund the sellers' budget, and a 3-epoch seller (stake 2, epochs 2 to 4) staked in epoch 0,
/// whose first epoch the boundary into epoch 1 sells within that budget, along the curve.
fn provider_and_seller(dispute_epochs: u64) -> Protocol {
    let mut p = protocol_with_dispute_window(dispute_epochs);
    p.stake_provider_and_seller();
    assert!(p.fund_sellers("dave", 1, 3 * HOUR / 5) > 0);
    // Some of the budget is left: the first sale was not capped by it.
    assert!(!p.pool().seller_budget.is_zero());
    assert_eq!(p.pool().epoch, 1);
    p
}

// The suites, by topic.
mod leases;
mod refusals;
mod rulings;
