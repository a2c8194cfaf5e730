//! Lease access, completion and disputes on the full protocol: the client's OpenSSH key, Extend,
//! CompleteLease, the pay hold of `dispute_epochs`, disputes and governance's rulings.

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

fn lease_info(p: &Protocol, id: u64) -> LeaseResponse {
    p.app
        .wrap()
        .query_wasm_smart(&p.pair, &QueryMsg::Lease { lease_id: id })
        .unwrap()
}

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
    p.stake(
        "alice",
        "gpu-a",
        StakeMode::LiquidityProvider,
        10,
        101 * LOOP,
    )
    .unwrap();
    p.stake("seller", "gpu-s", StakeMode::Seller, 3, 10 * LOOP)
        .unwrap();
    assert!(p.fund_sellers("dave", 1, 3 * HOUR / 5) > 0);
    // Some of the budget is left: the first sale was not capped by it.
    assert!(!p.pool().seller_budget.is_zero());
    assert_eq!(p.pool().epoch, 1);
    p
}

#[test]
fn a_sellers_and_a_providers_pay_is_held_for_the_dispute_window_then_paid_in_full() {
    // Each claim that pays: (pool epoch, the seller's claim, the provider's claim).
    let run = |window: u64| {
        let mut p = provider_and_seller(window);
        // A 3-epoch provider too (stake 3, epochs 2 to 4), and a lease on each device.
        p.stake("bob", "gpu-b", StakeMode::LiquidityProvider, 3, 100 * LOOP)
            .unwrap();
        p.lease("client", 2, HOUR / 2, 100 * LOOP).unwrap();
        p.lease("client", 3, HOUR / 2, 100 * LOOP).unwrap();
        let mut paid = Vec::new();
        for _ in 0..8 {
            p.next_epoch();
            let epoch = p.pool().epoch;
            if epoch == 2 {
                // Demand in epoch 2 funds the sale of the seller's epoch 4.
                p.lease("dave", 1, HOUR / 10, 100 * LOOP).unwrap();
            }
            let seller = claim(&mut p, "seller", 2);
            let provider = claim(&mut p, "bob", 3);
            if seller.is_some() || provider.is_some() {
                paid.push((epoch, seller, provider));
            }
        }
        assert!(p.stake_info(2).finished && p.stake_info(3).finished);
        (paid, p.balance_of("seller"), p.balance_of("bob"))
    };
    let (today, seller_today, bob_today) = run(0);
    let (held, seller_held, bob_held) = run(2);
    // Without a window: the seller's epoch e is paid once e is delivered (from epoch 3 on); its
    // last claim (epoch 5) returns the deposit; the provider is settled in epoch 5.
    let epochs: Vec<u64> = today.iter().map(|(epoch, ..)| *epoch).collect();
    assert_eq!(epochs, [3, 4, 5]);
    assert!(today[0].1.as_ref().unwrap().payout.u128() > 0);
    assert!(today[2].1.as_ref().unwrap().finished);
    assert!(today[2].2.as_ref().unwrap().finished);
    assert_eq!((today[0].2.as_ref(), today[1].2.as_ref()), (None, None));
    // With a window of 2 epochs every payment comes exactly two epochs later, unchanged.
    let shifted: Vec<_> = today
        .into_iter()
        .map(|(epoch, seller, provider)| (epoch + 2, seller, provider))
        .collect();
    assert_eq!(held, shifted);
    assert_eq!((seller_held, bob_held), (seller_today, bob_today));
}

/// A provider, a seller (stake 2, epochs 2 to 4) and two leases on the seller: lease 2 (0.5 h,
/// epoch 2) and lease 3 (0.25 h, epoch 3), whose payments fund the seller's sales of epochs 3
/// and 4; run to epoch 6, where everything is delivered and, with a window of 1, released.
/// With `disputed`, the client disputes lease 2 in epoch 2 and lease 3 in epoch 3.
fn disputed_seller(disputed: bool) -> Protocol {
    let mut p = provider_and_seller(1);
    p.lease("client", 2, HOUR / 2, 100 * LOOP).unwrap();
    p.next_epoch();
    if disputed {
        dispute(&mut p, "client", 2).unwrap();
    }
    p.lease("client", 2, HOUR / 4, 100 * LOOP).unwrap();
    p.next_epoch();
    if disputed {
        dispute(&mut p, "client", 3).unwrap();
    }
    for _ in 0..3 {
        p.next_epoch();
    }
    assert_eq!(p.pool().epoch, 6);
    p
}

/// The bond a dispute of `lease` takes.
fn bond(lease: &LeaseResponse) -> u128 {
    lease.paid.u128().div_ceil(10).max(1)
}

#[test]
fn a_dispute_retains_what_the_lease_paid_and_a_refund_is_taken_from_it() {
    // The same history without disputes: what the seller's pay is.
    let mut twin = disputed_seller(false);
    let pay = claim(&mut twin, "seller", 2).unwrap();
    assert!(pay.finished);

    let mut p = disputed_seller(true);
    let (first, second) = (lease_info(&p, 2), lease_info(&p, 3));
    assert_eq!((first.epoch, second.epoch), (2, 3));
    assert_eq!(
        first.dispute,
        Some(Dispute {
            reason: "no access".into(),
            opened_at: p.app.block_info().time.minus_seconds(4 * EPOCH),
            resolution: None,
            bond: Uint128::new(bond(&first)),
        })
    );
    let disputed = first.paid + second.paid;
    assert_eq!(p.stake_info(2).disputed, disputed);
    assert_eq!(disputes(&p, 2, None, None), [2, 3]);
    assert_eq!(disputes(&p, 2, None, Some(1)), [2]);
    assert_eq!(disputes(&p, 2, Some(2), None), [3]);
    assert_eq!(disputes(&p, 1, None, None), Vec::<u64>::new());
    // Every epoch is out of the window: the pay is released but for what the disputed leases
    // paid, which stays in escrow.
    assert!(disputed < pay.payout);
    let released = claim(&mut p, "seller", 2).unwrap();
    assert_eq!(released.payout, pay.payout - disputed);
    assert_eq!(
        (released.rewards, released.burned),
        (pay.rewards, pay.burned)
    );
    assert!(released.finished);
    assert_eq!(p.stake_info(2).retained, disputed);
    assert_eq!(claim(&mut p, "seller", 2), None);

    // Governance refunds lease 2 in full out of what was retained; the bond comes back.
    let refund = first.paid.u128();
    let client = p.balance_of("client");
    let (escrow, bonds) = (p.pool().escrow.u128(), p.pool().dispute_bonds.u128());
    resolve(&mut p, "governance", 2, refund).unwrap();
    assert_eq!(p.balance_of("client"), client + refund + bond(&first));
    assert_eq!(p.pool().escrow.u128(), escrow - refund);
    assert_eq!(p.pool().dispute_bonds.u128(), bonds - bond(&first));
    let stake = p.stake_info(2);
    assert_eq!(
        (stake.clawback, stake.disputed, stake.retained),
        (Uint128::zero(), second.paid, second.paid)
    );
    assert_eq!(
        lease_info(&p, 2).dispute.unwrap().resolution,
        Some(DisputeResolution {
            refund: Uint128::new(refund),
            paid: Uint128::new(refund),
        })
    );
    assert_eq!(disputes(&p, 2, None, None), [3]);
    // Lease 3 is still disputed: its price stays retained.
    assert_eq!(claim(&mut p, "seller", 2), None);

    // Lease 3's dispute is rejected (no refund): its price is released, the bond burned.
    let burned_before = burned(&p);
    resolve(&mut p, "governance", 3, 0).unwrap();
    assert_eq!(burned(&p), burned_before + bond(&second));
    assert_eq!(
        lease_info(&p, 3).dispute.unwrap().resolution,
        Some(DisputeResolution {
            refund: Uint128::zero(),
            paid: Uint128::zero(),
        })
    );
    assert_eq!(disputes(&p, 2, None, None), Vec::<u64>::new());
    let rest = claim(&mut p, "seller", 2).unwrap();
    assert_eq!(rest.payout, second.paid);
    assert!(p.stake_info(2).retained.is_zero());
    assert_eq!(claim(&mut p, "seller", 2), None);
    // Together the seller is paid exactly its pay less the refund.
    assert_eq!(p.balance_of("seller"), twin.balance_of("seller") - refund);
    // The client got lease 2's price and bond back and lost lease 3's bond.
    assert_eq!(
        p.balance_of("client"),
        twin.balance_of("client") + refund - bond(&second)
    );
}

#[test]
fn a_rejected_dispute_releases_the_full_pay_and_burns_the_bond() {
    let mut twin = disputed_seller(false);
    let pay = claim(&mut twin, "seller", 2).unwrap();
    let mut p = disputed_seller(true);
    let (first, second) = (lease_info(&p, 2), lease_info(&p, 3));
    resolve(&mut p, "governance", 3, 0).unwrap();
    // Lease 2's price is still retained; the rest is paid.
    let released = claim(&mut p, "seller", 2).unwrap();
    assert_eq!(released.payout, pay.payout - first.paid);
    resolve(&mut p, "governance", 2, 0).unwrap();
    let stake = p.stake_info(2);
    assert_eq!(
        (stake.clawback, stake.disputed, stake.retained),
        (Uint128::zero(), Uint128::zero(), first.paid)
    );
    assert_eq!(claim(&mut p, "seller", 2).unwrap().payout, first.paid);
    assert_eq!(p.balance_of("seller"), twin.balance_of("seller"));
    assert_eq!(
        p.balance_of("client"),
        twin.balance_of("client") - bond(&first) - bond(&second)
    );
}

#[test]
fn a_refund_is_paid_only_as_far_as_the_held_pay_goes() {
    // Seller epochs 2 to 4, window 1. Dave's leases of Alice's hours in epochs 1 and 2 (leases
    // 2 and 3) fund the seller's sales of epochs 3 and 4. In epoch 3 a first client buys most
    // of Alice's free hour, then the client buys 0.99 h of the seller's epoch 4 (lease 5) at a
    // price far above what the seller got for that hour; in epoch 4 it disputes that lease.
    // Nothing is claimed before the ruling, so the seller holds all its pay.
    let run = |disputed: bool| {
        let mut p = provider_and_seller(1);
        for _ in 0..2 {
            p.lease("dave", 1, HOUR / 10, 100 * LOOP).unwrap();
            p.next_epoch();
        }
        p.lease("dave", 1, 9 * HOUR / 10, 10_000 * LOOP).unwrap();
        p.lease("client", 2, 99 * HOUR / 100, 10_000 * LOOP)
            .unwrap();
        assert_eq!(lease_info(&p, 5).epoch, 4);
        p.next_epoch();
        if disputed {
            dispute(&mut p, "client", 5).unwrap();
        }
        p.next_epoch();
        p.next_epoch();
        p
    };
    let mut twin = run(false);
    let all = claim(&mut twin, "seller", 2).unwrap();
    assert!(all.finished);
    // What the seller holds: its proceeds for epochs 2 to 4 and its deposit less the upkeep.
    let held = all.payout.u128();

    let mut p = run(true);
    let lease = lease_info(&p, 5);
    assert!(
        lease.paid.u128() > held,
        "the lease cost more than the seller holds"
    );
    // The seller's claim pays its rewards and burns the upkeep; all of its pay is retained.
    let rest = claim(&mut p, "seller", 2).unwrap();
    assert_eq!(rest.payout, Uint128::zero());
    assert_eq!((rest.rewards, rest.burned), (all.rewards, all.burned));
    assert!(rest.finished);
    assert_eq!(p.stake_info(2).retained.u128(), held);
    let client = p.balance_of("client");
    resolve(&mut p, "governance", 5, lease.paid.u128()).unwrap();
    assert_eq!(p.balance_of("client"), client + held + bond(&lease));
    assert_eq!(
        lease_info(&p, 5).dispute.unwrap().resolution,
        Some(DisputeResolution {
            refund: lease.paid,
            paid: Uint128::new(held),
        })
    );
    let stake = p.stake_info(2);
    assert_eq!(
        (stake.retained, stake.clawback),
        (Uint128::zero(), Uint128::zero())
    );
    assert_eq!(claim(&mut p, "seller", 2), None);
    assert_eq!(p.balance_of("seller"), twin.balance_of("seller") - held);
}

#[test]
fn a_refund_from_an_unsettled_provider_burns_its_shares() {
    let mut p = protocol_with_dispute_window(1);
    p.stake(
        "alice",
        "gpu-a",
        StakeMode::LiquidityProvider,
        10,
        11 * LOOP,
    )
    .unwrap();
    p.stake("bob", "gpu-b", StakeMode::LiquidityProvider, 5, 50 * LOOP)
        .unwrap();
    p.lease("client", 2, HOUR / 2, 100 * LOOP).unwrap();
    p.next_epoch();
    dispute(&mut p, "client", 1).unwrap();
    let leased = lease_info(&p, 1);
    assert_eq!(p.stake_info(2).disputed, leased.paid);

    let refund = lease_info(&p, 1).paid.u128() / 2;
    let before = p.pool();
    let (tokens, total) = (before.reserves.tokens.u128(), before.total_shares.u128());
    let bob = p.stake_info(2);
    let alice = p.stake_info(1);
    let value = |shares: u128, tokens: u128, total: u128| shares * tokens / total;
    assert!(refund < value(bob.shares.u128(), tokens, total));
    let client = p.balance_of("client");
    resolve(&mut p, "governance", 1, refund).unwrap();
    // Enough shares to cover the refund, rounded up; the refund leaves the LOOP reserve.
    let shares_burned = (refund * total).div_ceil(tokens);
    let after = p.pool();
    assert_eq!(after.reserves.tokens.u128(), tokens - refund);
    assert_eq!(after.reserves.hours, before.reserves.hours);
    assert_eq!(after.total_shares.u128(), total - shares_burned);
    // The upheld dispute's bond left the bonds held, back to the client; the escrow is as it was.
    assert_eq!(
        after.dispute_bonds.u128(),
        before.dispute_bonds.u128() - bond(&leased)
    );
    assert_eq!(after.escrow, before.escrow);
    let bob_after = p.stake_info(2);
    assert_eq!(bob_after.shares.u128(), bob.shares.u128() - shares_burned);
    assert_eq!(
        (bob_after.clawback, bob_after.disputed),
        (Uint128::zero(), Uint128::zero())
    );
    let ending = loopin_pair::state::SHARES_ENDING
        .query(&p.app.wrap(), p.pair.clone(), bob.end_epoch)
        .unwrap()
        .unwrap();
    assert_eq!(ending, bob_after.shares);
    assert_eq!(p.balance_of("client"), client + refund + bond(&leased));
    // Alice's shares lose nothing.
    assert!(
        value(alice.shares.u128(), tokens - refund, total - shares_burned)
            >= value(alice.shares.u128(), tokens, total)
    );
    // Bob is settled on his remaining shares and paid that, once the window is over.
    let settled_at = bob.end_epoch + 1;
    while p.pool().epoch < settled_at {
        p.next_epoch();
    }
    let settlement: loopin_pair::state::Settlement = loopin_pair::state::SHARE_VALUE
        .query(&p.app.wrap(), p.pair.clone(), bob.end_epoch)
        .unwrap()
        .unwrap();
    let pay = claim(&mut p, "bob", 2).unwrap();
    assert_eq!(
        pay.payout.u128(),
        bob_after.shares.u128() * settlement.tokens.u128() / settlement.total_shares.u128()
    );
    assert!(pay.finished);
}

#[test]
fn disputes_and_rulings_are_refused_to_the_wrong_caller_and_out_of_time() {
    let mut p = provider_and_seller(1);
    // Lease 2, on the seller's epoch 2.
    p.lease("client", 2, HOUR / 2, 100 * LOOP).unwrap();
    // Lease 3 is cancelled before its epoch.
    p.lease("client", 1, HOUR / 10, 100 * LOOP).unwrap();
    let client = p.addr("client");
    p.exec(
        &client,
        &ExecuteMsg::CancelLease {
            lease_id: 3,
            min_refund: Uint128::zero(),
            deadline: None,
        },
    )
    .unwrap();
    // Before lease 2's epoch has started.
    refused(
        &mut p,
        ContractError::LeaseNotStarted { id: 2, epoch: 2 },
        |p| dispute(p, "client", 2),
    );
    p.next_epoch();
    refused(&mut p, ContractError::Unauthorized {}, |p| {
        dispute(p, "seller", 2)
    });
    refused(&mut p, ContractError::LeaseClosed { id: 3 }, |p| {
        dispute(p, "client", 3)
    });
    refused(&mut p, ContractError::LeaseNotFound { id: 9 }, |p| {
        dispute(p, "client", 9)
    });
    for reason in [String::new(), "x".repeat(257)] {
        refused(
            &mut p,
            ContractError::InvalidDisputeReason { max: 256 },
            |p| {
                p.send(
                    "client",
                    LOOP,
                    &ReceiveMsg::Dispute {
                        lease_id: 2,
                        reason,
                    },
                )
            },
        );
    }
    // Not disputed yet: nothing to resolve.
    refused(&mut p, ContractError::NoOpenDispute { id: 2 }, |p| {
        resolve(p, "governance", 2, 0)
    });
    // Demand in epoch 2 (lease 4) funds the sale of the seller's epoch 4.
    p.lease("dave", 1, HOUR / 10, 100 * LOOP).unwrap();
    // The last epoch of the window (lease epoch 2 + 1), with the longest reason allowed.
    p.next_epoch();
    p.send(
        "client",
        100 * LOOP,
        &ReceiveMsg::Dispute {
            lease_id: 2,
            reason: "x".repeat(256),
        },
    )
    .unwrap();
    refused(&mut p, ContractError::AlreadyDisputed { id: 2 }, |p| {
        dispute(p, "client", 2)
    });
    let paid = lease_info(&p, 2).paid;
    for who in ["client", "seller", "alice", "registry"] {
        refused(&mut p, ContractError::NotGovernance {}, |p| {
            resolve(p, who, 2, 0)
        });
    }
    refused(
        &mut p,
        ContractError::RefundAboveLeasePaid {
            refund: paid + Uint128::one(),
            paid,
        },
        |p| resolve(p, "governance", 2, paid.u128() + 1),
    );
    refused(&mut p, ContractError::LeaseNotFound { id: 9 }, |p| {
        resolve(p, "governance", 9, 0)
    });
    resolve(&mut p, "governance", 2, paid.u128()).unwrap();
    refused(&mut p, ContractError::NoOpenDispute { id: 2 }, |p| {
        resolve(p, "governance", 2, 0)
    });
    refused(&mut p, ContractError::AlreadyDisputed { id: 2 }, |p| {
        dispute(p, "client", 2)
    });

    // A lease whose window has closed: lease 5 in epoch 4, disputed in epoch 6.
    p.lease("client", 2, HOUR / 4, 100 * LOOP).unwrap();
    assert_eq!(lease_info(&p, 5).epoch, 4);
    p.next_epoch();
    p.next_epoch();
    p.next_epoch();
    assert_eq!(p.pool().epoch, 6);
    refused(&mut p, ContractError::DisputeWindowClosed { id: 5 }, |p| {
        dispute(p, "client", 5)
    });
}

#[test]
fn invalidation_after_a_refund_does_not_take_the_refunded_loop_again() {
    let mut p = disputed_seller(true);
    // A second seller whose escrow must stay whole (stake 3, epochs 8 to 10), whose first
    // sale Dave's lease of Alice's epoch 7 (lease 4) funds at the next boundary.
    p.stake("carol", "gpu-c", StakeMode::Seller, 3, 10 * LOOP)
        .unwrap();
    p.lease("dave", 1, HOUR / 10, 100 * LOOP).unwrap();
    p.next_epoch();
    assert_eq!(p.stake_info(3).start_epoch, 8);
    let twin = {
        let mut twin = disputed_seller(false);
        claim(&mut twin, "seller", 2).unwrap()
    };
    let refund = lease_info(&p, 2).paid.u128();
    resolve(&mut p, "governance", 2, refund).unwrap();
    let clawback = p.stake_info(2).clawback.u128();
    assert_eq!(clawback, refund);
    // Nothing of the seller's pay has been claimed: it holds its whole pay less the refund.
    let held = twin.payout.u128() + twin.burned.u128() - refund;
    let (escrow, burned_before) = (p.pool().escrow.u128(), burned(&p));
    let registry = p.registry.clone();
    p.exec(
        &registry,
        &ExecuteMsg::Invalidate {
            token_id: "h100-2".into(),
            reason: "bad openings".into(),
        },
    )
    .unwrap();
    // Its leases are over (epochs 2 and 3): nothing is refunded, the rest is burned, once.
    assert_eq!(p.pool().escrow.u128(), escrow - held);
    assert_eq!(burned(&p), burned_before + held);
    // Lease 3's dispute can still be ruled on; the invalidated stake holds nothing, and the
    // upheld dispute's bond goes back.
    let client = p.balance_of("client");
    resolve(&mut p, "governance", 3, 1).unwrap();
    assert_eq!(p.balance_of("client"), client + bond(&lease_info(&p, 3)));
    assert_eq!(
        lease_info(&p, 3).dispute.unwrap().resolution,
        Some(DisputeResolution {
            refund: Uint128::one(),
            paid: Uint128::zero(),
        })
    );
    // Carol is paid in full from what is left in escrow; demand in epochs 7 and 8 funds the
    // sales of her epochs 9 and 10.
    for _ in 0..2 {
        p.lease("dave", 1, HOUR / 10, 100 * LOOP).unwrap();
        p.next_epoch();
    }
    for _ in 0..3 {
        p.next_epoch();
    }
    assert!(claim(&mut p, "carol", 3).unwrap().finished);
    p.check_invariants();
}

#[test]
fn extend_adds_renewals_and_budget_to_the_latest_lease_of_an_order() {
    let mut p = protocol_with_dispute_window(1);
    p.stake(
        "alice",
        "gpu-a",
        StakeMode::LiquidityProvider,
        10,
        11 * LOOP,
    )
    .unwrap();
    p.send(
        "client",
        30 * LOOP,
        &lease_msg(1, HOUR / 4, SSH_KEY, Some(1)),
    )
    .unwrap();
    let first = lease_info(&p, 1);
    let extend = |renewals: u32| ReceiveMsg::Extend {
        lease_id: 1,
        renewals,
    };
    let escrow = p.pool().escrow.u128();
    refused(&mut p, ContractError::Unauthorized {}, |p| {
        p.send("dave", 5 * LOOP, &extend(1))
    });
    refused(&mut p, ContractError::ZeroRenewals {}, |p| {
        p.send("client", 5 * LOOP, &extend(0))
    });
    p.send("client", 20 * LOOP, &extend(2)).unwrap();
    let extended = lease_info(&p, 1);
    assert_eq!(extended.renewals_left, 3);
    assert_eq!(extended.budget, first.budget + Uint128::new(20 * LOOP));
    assert_eq!(p.pool().escrow.u128(), escrow + 20 * LOOP);
    assert_eq!(p.balance_of("client"), RICH - 50 * LOOP);
    refused(
        &mut p,
        ContractError::Overflow(cosmwasm_std::OverflowError::new(
            cosmwasm_std::OverflowOperation::Add,
        )),
        |p| p.send("client", LOOP, &extend(u32::MAX)),
    );

    // The keeper renews it from the extended budget.
    p.next_epoch();
    let keeper = p.addr("dave");
    p.exec(&keeper, &ExecuteMsg::RenewLease { lease_id: 1 })
        .unwrap();
    let (first, second) = (lease_info(&p, 1), lease_info(&p, 2));
    assert_eq!(first.renewed_by, Some(2));
    assert_eq!((first.renewals_left, first.budget), (0, Uint128::zero()));
    assert_eq!((second.order, second.renewed_by), (1, None));
    assert_eq!(second.renewals_left, 2);
    assert_eq!(second.budget, extended.budget - second.paid);
    assert_eq!(second.ssh_key, SSH_KEY);
    // Only the order's latest lease is extended.
    refused(
        &mut p,
        ContractError::NotLatestLease {
            id: 1,
            renewed_by: 2,
        },
        |p| p.send("client", LOOP, &extend(1)),
    );
    // Lease 2 (epoch 2) while epoch 2 is delivered: still extendable; after it, over.
    p.next_epoch();
    p.send(
        "client",
        LOOP,
        &ReceiveMsg::Extend {
            lease_id: 2,
            renewals: 1,
        },
    )
    .unwrap();
    assert_eq!(lease_info(&p, 2).renewals_left, 3);
    p.next_epoch();
    refused(&mut p, ContractError::LeaseOver { id: 2 }, |p| {
        p.send(
            "client",
            LOOP,
            &ReceiveMsg::Extend {
                lease_id: 2,
                renewals: 1,
            },
        )
    });

    // A single lease becomes a standing order; a cancelled one cannot.
    p.lease("client", 1, HOUR / 10, 10 * LOOP).unwrap();
    p.lease("client", 1, HOUR / 10, 10 * LOOP).unwrap();
    let client = p.addr("client");
    p.exec(
        &client,
        &ExecuteMsg::CancelLease {
            lease_id: 4,
            min_refund: Uint128::zero(),
            deadline: None,
        },
    )
    .unwrap();
    refused(&mut p, ContractError::LeaseClosed { id: 4 }, |p| {
        p.send(
            "client",
            LOOP,
            &ReceiveMsg::Extend {
                lease_id: 4,
                renewals: 1,
            },
        )
    });
    p.send(
        "client",
        10 * LOOP,
        &ReceiveMsg::Extend {
            lease_id: 3,
            renewals: 1,
        },
    )
    .unwrap();
    p.next_epoch();
    // It named no renewer: its client renews it, and the keeper may not.
    refused(&mut p, ContractError::Unauthorized {}, |p| {
        p.exec(&keeper, &ExecuteMsg::RenewLease { lease_id: 3 })
    });
    p.exec(&client, &ExecuteMsg::RenewLease { lease_id: 3 })
        .unwrap();
    let renewal = lease_info(&p, 5);
    assert_eq!((renewal.order, renewal.renewals_left), (3, 0));
    assert_eq!(renewal.budget.u128(), 10 * LOOP - renewal.paid.u128());
}

#[test]
fn only_the_serving_miner_completes_a_lease_once_it_is_over() {
    let mut p = protocol_with_dispute_window(1);
    p.stake(
        "alice",
        "gpu-a",
        StakeMode::LiquidityProvider,
        10,
        11 * LOOP,
    )
    .unwrap();
    p.stake("bob", "gpu-b", StakeMode::LiquidityProvider, 10, 11 * LOOP)
        .unwrap();
    p.lease("client", 1, HOUR / 4, 100 * LOOP).unwrap();
    p.lease("client", 1, HOUR / 10, 100 * LOOP).unwrap();
    p.lease("client", 2, HOUR / 10, 100 * LOOP).unwrap();
    let complete = |p: &mut Protocol, who: &str, lease_id: u64| {
        let sender = p.addr(who);
        p.exec(&sender, &ExecuteMsg::CompleteLease { lease_id })
    };
    for who in ["client", "bob"] {
        refused(&mut p, ContractError::Unauthorized {}, |p| {
            complete(p, who, 1)
        });
    }
    // Lease 1's epoch is being traded, then delivered: not over.
    refused(&mut p, ContractError::LeaseNotOver { id: 1 }, |p| {
        complete(p, "alice", 1)
    });
    // A cancelled lease is over at once.
    let client = p.addr("client");
    p.exec(
        &client,
        &ExecuteMsg::CancelLease {
            lease_id: 2,
            min_refund: Uint128::zero(),
            deadline: None,
        },
    )
    .unwrap();
    complete(&mut p, "alice", 2).unwrap();
    assert!(lease_info(&p, 2).completed);
    p.next_epoch();
    refused(&mut p, ContractError::LeaseNotOver { id: 1 }, |p| {
        complete(p, "alice", 1)
    });
    // Bob's device is invalidated while lease 3 is delivered: over.
    let registry = p.registry.clone();
    p.exec(
        &registry,
        &ExecuteMsg::Invalidate {
            token_id: "h100-2".into(),
            reason: "bad openings".into(),
        },
    )
    .unwrap();
    complete(&mut p, "bob", 3).unwrap();
    p.next_epoch();
    assert!(!lease_info(&p, 1).completed);
    complete(&mut p, "alice", 1).unwrap();
    assert!(lease_info(&p, 1).completed);
    refused(&mut p, ContractError::AlreadyCompleted { id: 1 }, |p| {
        complete(p, "alice", 1)
    });
    refused(&mut p, ContractError::LeaseNotFound { id: 9 }, |p| {
        complete(p, "alice", 9)
    });
}

#[test]
fn a_hostile_ssh_key_is_refused_and_a_good_one_stored_canonical() {
    let mut p = protocol_with_dispute_window(1);
    p.stake(
        "alice",
        "gpu-a",
        StakeMode::LiquidityProvider,
        10,
        11 * LOOP,
    )
    .unwrap();
    for hostile in [
        format!("command=\"sh\" {SSH_KEY}"),
        format!(
            "{SSH_KEY}\nssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA/sviTJfQXJKl0MknakEdkHhZdlVSTJbzhi3Oejh+S6"
        ),
        "garbage".to_string(),
        String::new(),
        "ssh-ed25519 AAAA".to_string(),
    ] {
        let reason = SshPublicKey::parse(&hostile).unwrap_err().to_string();
        refused(&mut p, ContractError::InvalidSshKey { reason }, |p| {
            p.send(
                "client",
                10 * LOOP,
                &lease_msg(1, HOUR / 10, &hostile, None),
            )
        });
    }
    assert_eq!(
        ContractError::InvalidSshKey {
            reason: SshPublicKey::parse("garbage").unwrap_err().to_string()
        }
        .to_string(),
        "invalid ssh key: unsupported ssh key type \"garbage\""
    );
    // A key with a comment and extra spaces is stored as `<type> <base64>`.
    let spaced = format!("  {}   client@laptop", SSH_KEY.replace(' ', "   "));
    p.send("client", 10 * LOOP, &lease_msg(1, HOUR / 10, &spaced, None))
        .unwrap();
    let lease = lease_info(&p, 1);
    assert_eq!(lease.ssh_key, SSH_KEY);
    assert_eq!(
        (
            lease.order,
            lease.renewed_by,
            lease.completed,
            lease.dispute
        ),
        (1, None, false, None)
    );
    assert_eq!(lease.client, p.addr("client"));
}
