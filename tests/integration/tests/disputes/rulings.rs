//! The pay hold, disputes, rulings and refunds: what a dispute retains, what a ruling releases or refunds, and that nothing is taken twice.

use super::*;

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
    let (first, second) = (p.lease_info(2), p.lease_info(3));
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
        p.lease_info(2).dispute.unwrap().resolution,
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
        p.lease_info(3).dispute.unwrap().resolution,
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
    let (first, second) = (p.lease_info(2), p.lease_info(3));
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
        assert_eq!(p.lease_info(5).epoch, 4);
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
    let lease = p.lease_info(5);
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
        p.lease_info(5).dispute.unwrap().resolution,
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
    let leased = p.lease_info(1);
    assert_eq!(p.stake_info(2).disputed, leased.paid);

    let refund = p.lease_info(1).paid.u128() / 2;
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
    let refund = p.lease_info(2).paid.u128();
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
    assert_eq!(p.balance_of("client"), client + bond(&p.lease_info(3)));
    assert_eq!(
        p.lease_info(3).dispute.unwrap().resolution,
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
