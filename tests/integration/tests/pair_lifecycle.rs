//! A stake's life after it is made (issue 19): renewed several epochs at once, or by a keeper
//! within the owner's standing instruction and no further, and a seller's deposit topped up to
//! cover a longer stake.

use cw_multi_test::AppResponse;
use loopin::pair::{
    AUTO_RENEW_AHEAD, AutoRenewal, AutoRenewalsResponse, ExecuteMsg, MAX_RENEW_EPOCHS, QueryMsg,
    ReceiveMsg,
};
use loopin::stake_cert::StakeMode;
use loopin_integration_tests::contract_error;
use loopin_integration_tests::protocol::{LOOP, Protocol, market};
use loopin_integration_tests::proven::{claim_to_the_end, stake};
use loopin_pair::ContractError;

fn renew(
    p: &mut Protocol,
    who: &str,
    stake_id: u64,
    epochs: Option<u32>,
) -> anyhow::Result<AppResponse> {
    let sender = p.addr(who);
    p.exec(&sender, &ExecuteMsg::Renew { stake_id, epochs })
}

/// Renews and returns the stake's new end epoch.
fn renewed(p: &mut Protocol, who: &str, stake_id: u64, epochs: Option<u32>) -> u64 {
    renew(p, who, stake_id, epochs).unwrap();
    p.stake_info(stake_id).end_epoch
}

fn auto_renew(p: &mut Protocol, who: &str, stake_id: u64, until_epoch: Option<u64>) {
    let sender = p.addr(who);
    let msg = ExecuteMsg::SetAutoRenew {
        stake_id,
        until_epoch,
    };
    p.exec(&sender, &msg).unwrap();
}

fn auto_renewals(p: &Protocol) -> Vec<AutoRenewal> {
    let msg = QueryMsg::AutoRenewals {
        start_after: None,
        limit: None,
    };
    let res: AutoRenewalsResponse = p.app.wrap().query_wasm_smart(&p.pair, &msg).unwrap();
    res.renewals
}

#[test]
fn a_keeper_renews_a_stake_within_its_owners_standing_instruction_and_no_further() {
    let mut p = market();
    let bob = stake(&mut p, "bob", "gpu-b", StakeMode::LiquidityProvider, true);
    let end = p.stake_info(bob).end_epoch;
    // Without an instruction only Bob renews.
    let err: ContractError = contract_error(renew(&mut p, "dave", bob, None));
    assert_eq!(err, ContractError::Unauthorized {});
    // An instruction ends after the stake's end and within the class's longest stake.
    let start = p.stake_info(bob).start_epoch;
    let sender = p.addr("bob");
    for until in [end, start + 201] {
        let msg = ExecuteMsg::SetAutoRenew {
            stake_id: bob,
            until_epoch: Some(until),
        };
        let err: ContractError = contract_error(p.exec(&sender, &msg));
        assert_eq!(
            err,
            ContractError::InvalidAutoRenew {
                end,
                longest: start + 200
            }
        );
    }
    let err: ContractError = contract_error(p.exec(
        &p.addr("dave"),
        &ExecuteMsg::SetAutoRenew {
            stake_id: bob,
            until_epoch: Some(end + 5),
        },
    ));
    assert_eq!(err, ContractError::Unauthorized {});
    auto_renew(&mut p, "bob", bob, Some(end + 3));
    // A keeper finds it among the pool's standing instructions.
    assert_eq!(
        auto_renewals(&p),
        vec![AutoRenewal {
            stake_id: bob,
            until_epoch: end + 3,
            end_epoch: end,
            renewable: true
        }]
    );
    let expiry = p.certificate_expiry(bob);
    // A keeper keeps it rolling, never more than AUTO_RENEW_AHEAD epochs past the trading
    // epoch: not all of the instruction at once.
    let trading = p.pool().trading_epoch;
    let err: ContractError = contract_error(renew(&mut p, "dave", bob, Some(3)));
    assert_eq!(
        err,
        ContractError::BeyondAutoRenew {
            id: bob,
            until: trading + AUTO_RENEW_AHEAD,
            new_end: end + 3
        }
    );
    // Each epoch Dave renews it by one, to the instruction's end; the certificate follows.
    for renewal in 1..=3 {
        p.next_epoch();
        assert_eq!(renewed(&mut p, "dave", bob, None), end + renewal);
    }
    assert_eq!(p.certificate_expiry(bob), expiry + 3 * 3_600);
    p.next_epoch();
    let err: ContractError = contract_error(renew(&mut p, "dave", bob, None));
    assert_eq!(
        err,
        ContractError::BeyondAutoRenew {
            id: bob,
            until: end + 3,
            new_end: end + 4
        }
    );
    // Bob himself is not bound by it; withdrawn, nobody else renews.
    assert_eq!(renewed(&mut p, "bob", bob, None), end + 4);
    auto_renew(&mut p, "bob", bob, None);
    assert_eq!(auto_renewals(&p), vec![]);
    let err: ContractError = contract_error(renew(&mut p, "dave", bob, None));
    assert_eq!(err, ContractError::Unauthorized {});
    // The renewed stake is paid for every epoch: seven proven epochs of (gamma - beta).
    for _ in 0..9 {
        p.next_epoch();
    }
    let (_, rewards) = claim_to_the_end(&mut p, "bob", bob);
    assert_eq!(p.stake_info(bob).end_epoch - start, 7);
    assert_eq!(rewards, 7 * 4 * LOOP / 10);
}

#[test]
fn one_renewal_adds_up_to_the_most_epochs_and_never_past_the_longest_stake() {
    let mut p = market();
    let bob = stake(&mut p, "bob", "gpu-b", StakeMode::LiquidityProvider, true);
    let end = p.stake_info(bob).end_epoch;
    for epochs in [0, MAX_RENEW_EPOCHS + 1] {
        let err: ContractError = contract_error(renew(&mut p, "bob", bob, Some(epochs)));
        assert_eq!(
            err,
            ContractError::InvalidRenewal {
                max: MAX_RENEW_EPOCHS
            }
        );
    }
    assert_eq!(renewed(&mut p, "bob", bob, Some(60)), end + 60);
    assert_eq!(renewed(&mut p, "bob", bob, Some(64)), end + 124);
    assert_eq!(renewed(&mut p, "bob", bob, Some(64)), end + 188);
    // The class's longest stake is 200 epochs.
    let err: ContractError = contract_error(renew(&mut p, "bob", bob, Some(64)));
    assert_eq!(err, ContractError::InvalidDuration { min: 3, max: 200 });
    let start = p.stake_info(bob).start_epoch;
    let left = (start + 200 - p.stake_info(bob).end_epoch) as u32;
    assert_eq!(renewed(&mut p, "bob", bob, Some(left)), start + 200);
}

#[test]
fn a_seller_tops_up_its_deposit_to_renew_and_gets_it_back_less_the_maintenance() {
    let mut p = market();
    // Alice's stake funds a sale now and then; the seller stakes 3 epochs with 10 LOOP, of
    // which its deposit is 1 LOOP (rate 1): 10 epochs of maintenance at 0.1 LOOP.
    let seller = stake(&mut p, "seller", "gpu-s", StakeMode::Seller, true);
    assert_eq!(p.stake_info(seller).deposit.u128(), LOOP);
    let err: ContractError = contract_error(renew(&mut p, "seller", seller, Some(8)));
    assert_eq!(err, ContractError::DepositTooLow {});
    // Only its owner tops up, and only a seller's stake.
    let top_up = |_: u128| ReceiveMsg::TopUp { stake_id: seller };
    let err: ContractError = contract_error(p.send("dave", LOOP, &top_up(LOOP)));
    assert_eq!(err, ContractError::Unauthorized {});
    let err: ContractError =
        contract_error(p.send("alice", LOOP, &ReceiveMsg::TopUp { stake_id: 1 }));
    assert_eq!(err, ContractError::NotASeller { id: 1 });
    let before = p.balance_of("seller");
    p.send("seller", LOOP, &top_up(LOOP)).unwrap();
    assert_eq!(p.stake_info(seller).deposit.u128(), 2 * LOOP);
    assert_eq!(p.balance_of("seller"), before - LOOP);
    let end = renewed(&mut p, "seller", seller, Some(8));
    assert_eq!(end - p.stake_info(seller).start_epoch, 11);
    for _ in 0..14 {
        p.next_epoch();
    }
    let before = p.balance_of("seller");
    let (paid, rewards) = claim_to_the_end(&mut p, "seller", seller);
    assert!(p.stake_info(seller).finished);
    // Its pay ends with the deposit less 11 epochs of maintenance (1.1 LOOP), with proceeds of
    // whatever its hours sold for on top.
    assert!(paid >= 2 * LOOP - 11 * LOOP / 10, "paid {paid}");
    assert_eq!(p.balance_of("seller"), before + paid + rewards);
    // Eleven proven epochs of gamma.
    assert_eq!(rewards, 11 * LOOP / 2);
    let err: ContractError = contract_error(p.send("seller", LOOP, &top_up(LOOP)));
    assert_eq!(err, ContractError::StakeFinished { id: seller });
}
