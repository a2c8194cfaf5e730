//! Disputes and rulings refused to the wrong caller and out of time, changing nothing.

use super::*;

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
    let paid = p.lease_info(2).paid;
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
    assert_eq!(p.lease_info(5).epoch, 4);
    p.next_epoch();
    p.next_epoch();
    p.next_epoch();
    assert_eq!(p.pool().epoch, 6);
    refused(&mut p, ContractError::DisputeWindowClosed { id: 5 }, |p| {
        dispute(p, "client", 5)
    });
}
