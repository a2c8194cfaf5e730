//! Dust: the smallest leases, cancels and disputes neither lock a device out nor pay beyond what they cost.

use super::*;

/// A device's lease slots per epoch cannot be filled with dust, nor with leases cancelled again:
/// a cancel gives the slot back and takes the lease out of the device's book.
#[test]
fn dust_leases_and_cancels_do_not_lock_a_device_out() {
    let mut p = protocol();
    p.stake(
        "alice",
        "gpu-a",
        StakeMode::LiquidityProvider,
        10,
        11 * LOOP,
    )
    .unwrap();
    let err = p
        .lease("carol", 1, 1, LOOP)
        .unwrap_err()
        .downcast::<ContractError>()
        .unwrap();
    // The device's hour over its 32 slots: above the class's smallest lease (0.01 h).
    let slots = loopin::pair::MAX_LEASES_PER_EPOCH as usize;
    let min = Uint128::new(HOUR.div_ceil(slots as u128));
    assert!(min.u128() > loopin::pool::DEFAULT_MIN_LEASE_HOURS);
    assert_eq!(
        err,
        ContractError::LeaseBelowMinimum {
            hours: Uint128::one(),
            min
        }
    );
    let carol = p.addr("carol");
    for _ in 0..slots + 8 {
        let leased = p.lease("carol", 1, min.u128(), LOOP).unwrap();
        let cancel = ExecuteMsg::CancelLease {
            lease_id: lease_id(&leased),
            min_refund: Uint128::zero(),
            deadline: None,
        };
        p.exec(&carol, &cancel).unwrap();
    }
    // Each round trip burned two exchange fees: Carol paid for every try.
    assert!(p.balance_of("carol") < RICH);
    let leased = p.lease("client", 1, HOUR / 2, 100 * LOOP).unwrap();
    // The device's book for the trading epoch holds the client's lease only: an invalidation
    // walks no more than the live leases.
    let book: loopin::pair::LeasesResponse = p
        .app
        .wrap()
        .query_wasm_smart(
            &p.pair,
            &QueryMsg::LeasesByStake {
                stake_id: 1,
                epoch: p.pool().trading_epoch,
            },
        )
        .unwrap();
    let ids: Vec<u64> = book.leases.iter().map(|lease| lease.id).collect();
    assert_eq!(ids, vec![lease_id(&leased)]);
}

/// Leases of the smallest size a device takes run out of its slots only with its hours: 31 of
/// them (one a little larger) and one lease of what is left (below the smallest, allowed as it
/// takes all that is free) take the whole hour; no slot is left while hours are free.
#[test]
fn smallest_leases_fill_a_devices_slots_only_with_its_hours() {
    let mut p = protocol();
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
    let slots = u128::from(loopin::pair::MAX_LEASES_PER_EPOCH);
    let min = HOUR.div_ceil(slots);
    for _ in 0..slots - 2 {
        p.lease("carol", 1, min, 1_000 * LOOP).unwrap();
    }
    p.lease("carol", 1, min + 1_000, 1_000 * LOOP).unwrap();
    let left = HOUR - (slots - 2) * min - (min + 1_000);
    assert!(left < min);
    let err = p
        .lease("client", 1, left - 1, 1_000 * LOOP)
        .unwrap_err()
        .downcast::<ContractError>()
        .unwrap();
    assert_eq!(
        err,
        ContractError::LeaseBelowMinimum {
            hours: Uint128::new(left - 1),
            min: Uint128::new(min)
        }
    );
    p.lease("client", 1, left, 1_000 * LOOP).unwrap();
    // Alice's hour is all leased in 32 leases; Bob's is what the pool lists.
    assert_eq!(p.pool().reserves.hours.u128(), HOUR);
}

/// A seller (stake 2) with one small lease of Carol's in its first epoch, run until its whole
/// pay is out of the dispute window; with `disputed`, Carol disputes her lease and governance
/// rejects the dispute only after the seller's claim. Returns what the seller's claim paid and
/// Carol's LOOP balance change.
fn seller_with_a_disputed_dust_lease(disputed: bool) -> (u128, i128) {
    let mut p = loopin_integration_tests::protocol::protocol_with_dispute_window(1);
    // Bob's lease of Alice's hours funds the seller's first sale, at the next boundary.
    p.stake_provider_and_seller();
    p.fund_sellers("bob", 1, HOUR / 10);
    // The seller's hour over its 32 slots: the smallest lease its device takes.
    let min = HOUR.div_ceil(u128::from(loopin::pair::MAX_LEASES_PER_EPOCH));
    let leased = p.lease("carol", 2, min, 10 * LOOP).unwrap();
    let lease = lease_id(&leased);
    p.next_epoch();
    if disputed {
        let msg = ReceiveMsg::Dispute {
            lease_id: lease,
            reason: "no access".into(),
        };
        p.send("carol", LOOP, &msg).unwrap();
    }
    for _ in 0..4 {
        p.next_epoch();
    }
    let seller = p.addr("seller");
    let claimed = p
        .exec(&seller, &ExecuteMsg::Claim { stake_id: 2 })
        .map(|response| {
            response
                .events
                .iter()
                .flat_map(|event| &event.attributes)
                .find(|attr| attr.key == "payout")
                .map(|attr| attr.value.parse::<u128>().unwrap())
                .unwrap()
        })
        .unwrap_or(0);
    if disputed {
        let governance = p.addr("governance");
        let resolve = ExecuteMsg::ResolveDispute {
            lease_id: lease,
            refund: Uint128::zero(),
        };
        p.exec(&governance, &resolve).unwrap();
    }
    (claimed, p.balance_of("carol") as i128 - RICH as i128)
}

#[test]
fn a_dispute_holds_no_more_than_the_lease_paid_and_costs_a_bond() {
    let (honest, carol_honest) = seller_with_a_disputed_dust_lease(false);
    let (paid, carol) = seller_with_a_disputed_dust_lease(true);
    // Carol's lease cost her -carol_honest; the dispute holds back at most that much.
    let lease_price = (-carol_honest) as u128;
    assert!(
        paid + lease_price >= honest,
        "a dispute of a {lease_price} lease held {} of the seller's pay",
        honest - paid
    );
    // The rejected dispute burned her bond: she is worse off than without it.
    assert!(carol < carol_honest, "{carol} vs {carol_honest}");
}
