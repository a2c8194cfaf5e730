//! Standing orders: a sandwiched renewal drains nothing and never pays above the client's bounds.

use super::*;

/// A standing order of 0.5 h a epoch on Alice's device (stake 1) with two renewals and a budget;
/// Bob's device (stake 2) is the other half of the pool. During the order's first epoch, with
/// `attack`, Carol leases 0.9 h on Bob's device, renews the client's order at the price she
/// inflated, and cancels her lease; whoever renews, the order is renewed once in that epoch.
/// Returns what the renewal cost the client and Carol's LOOP balance change.
fn renewal_sandwich(attack: bool) -> (u128, i128) {
    let mut p = protocol();
    for (miner, device) in [("alice", "gpu-a"), ("bob", "gpu-b")] {
        p.stake(miner, device, StakeMode::LiquidityProvider, 10, 11 * LOOP)
            .unwrap();
    }
    let order = ReceiveMsg::Lease {
        stake_id: 1,
        hours: Uint128::new(HOUR / 2),
        client_key: HexBinary::from([1u8; 32]),
        ssh_key: SSH_KEY.into(),
        deadline: None,
        renewals: Some(2),
        max_renewal_price: None,
        renewer: None,
    };
    p.send("client", 100 * LOOP, &order).unwrap();
    p.next_epoch();
    p.app
        .update_block(|block| block.time = block.time.plus_seconds(60));
    let budget = |p: &Protocol, id: u64| p.lease_info(id).budget.u128();
    let before = budget(&p, 1);
    let (carol, client) = (p.addr("carol"), p.addr("client"));
    let mut renewed = false;
    if attack {
        let leased = p.lease("carol", 2, 9 * HOUR / 10, 1_000 * LOOP).unwrap();
        let carols_lease = lease_id(&leased);
        match p.exec(&carol, &ExecuteMsg::RenewLease { lease_id: 1 }) {
            Ok(_) => renewed = true,
            Err(err) => assert_eq!(
                err.downcast::<ContractError>().unwrap(),
                ContractError::Unauthorized {}
            ),
        }
        p.exec(
            &carol,
            &ExecuteMsg::CancelLease {
                lease_id: carols_lease,
                min_refund: Uint128::zero(),
                deadline: None,
            },
        )
        .unwrap();
    }
    if !renewed {
        p.exec(&client, &ExecuteMsg::RenewLease { lease_id: 1 })
            .unwrap();
    }
    let renewal = p.lease_info(1).renewed_by.unwrap();
    let after = budget(&p, renewal);
    (before - after, p.balance_of("carol") as i128 - RICH as i128)
}

#[test]
fn a_sandwiched_renewal_drains_no_standing_order() {
    let (honest, _) = renewal_sandwich(false);
    let (paid, carol) = renewal_sandwich(true);
    assert!(
        paid <= honest + ROUNDING,
        "the renewal cost {paid} instead of {honest}"
    );
    assert!(carol <= 0, "Carol gained {carol}");
}

/// Even the keeper a client trusts with renewals cannot make one pay more than the client's price
/// per device-hour, nor more than the budget split evenly over the renewals left.
#[test]
fn a_renewal_never_pays_above_the_bounds_the_client_set() {
    let mut p = protocol();
    for (miner, device) in [("alice", "gpu-a"), ("bob", "gpu-b")] {
        p.stake(miner, device, StakeMode::LiquidityProvider, 10, 11 * LOOP)
            .unwrap();
    }
    let dave = p.addr("dave");
    let order = |max_renewal_price| ReceiveMsg::Lease {
        stake_id: 1,
        hours: Uint128::new(HOUR / 4),
        client_key: HexBinary::from([1u8; 32]),
        ssh_key: SSH_KEY.into(),
        deadline: None,
        renewals: Some(2),
        max_renewal_price,
        renewer: Some(dave.to_string()),
    };
    // 20 LOOP per device-hour at most; the other order only splits its budget.
    p.send(
        "client",
        100 * LOOP,
        &order(Some(cosmwasm_std::Decimal::from_ratio(20 * LOOP, 1u128))),
    )
    .unwrap();
    p.send("client", 24 * LOOP, &order(None)).unwrap();
    let budget = p.lease_info(2).budget.u128();
    p.next_epoch();
    // Dave buys most of the free hours and renews at the price he made.
    p.lease("dave", 2, 9 * HOUR / 10, 1_000 * LOOP).unwrap();
    let err = p
        .exec(&dave, &ExecuteMsg::RenewLease { lease_id: 1 })
        .unwrap_err()
        .downcast::<ContractError>()
        .unwrap();
    let ContractError::RenewalAboveBound { offer, bound } = err else {
        panic!("{err:?}");
    };
    assert_eq!(bound.u128(), 5 * LOOP, "20 LOOP/h for 0.25 h");
    assert!(offer.u128() > 5 * LOOP);
    let err = p
        .exec(&dave, &ExecuteMsg::RenewLease { lease_id: 2 })
        .unwrap_err()
        .downcast::<ContractError>()
        .unwrap();
    assert!(
        matches!(err, ContractError::RenewalAboveBound { bound, .. } if bound.u128() == budget / 2),
        "{err:?}"
    );
    // Nothing was spent; anyone else is refused outright.
    assert_eq!(p.lease_info(2).budget.u128(), budget);
    let carol = p.addr("carol");
    let err = p
        .exec(&carol, &ExecuteMsg::RenewLease { lease_id: 1 })
        .unwrap_err()
        .downcast::<ContractError>()
        .unwrap();
    assert_eq!(err, ContractError::Unauthorized {});
}
