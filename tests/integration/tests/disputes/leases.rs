//! A lease's order and access: Extend, CompleteLease, and the client's OpenSSH key.

use super::*;

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
    let first = p.lease_info(1);
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
    let extended = p.lease_info(1);
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
    let (first, second) = (p.lease_info(1), p.lease_info(2));
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
    assert_eq!(p.lease_info(2).renewals_left, 3);
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
    let renewal = p.lease_info(5);
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
    assert!(p.lease_info(2).completed);
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
    assert!(!p.lease_info(1).completed);
    complete(&mut p, "alice", 1).unwrap();
    assert!(p.lease_info(1).completed);
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
    let lease = p.lease_info(1);
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
