//! Early exit with the real registry (issue 19): an exit dodges no challenge, since the stake
//! stays challenged and seizable to its new end; once its certificate has ended, the same
//! device (the same key, the same encoded P) moves to a new stake, and not before.

use cosmwasm_std::{Decimal, HexBinary};
use loopin::pair;
use loopin::registry::{DeviceStatus, RegistrySettings};
use loopin::stake_cert::{CertificateStatus, StakeMode};
use loopin_integration_tests::contract_error;
use loopin_integration_tests::protocol::{EPOCH, LOOP, RICH, attr};
use loopin_integration_tests::registry::{
    Net, VERIFIERS, bad_proof, bonded_net, bonded_net_with, settings,
};

fn exit(n: &mut Net, who: &str, stake_id: u64) -> cw_multi_test::AppResponse {
    let sender = n.p.addr(who);
    n.p.exec(&sender, &pair::ExecuteMsg::Exit { stake_id })
        .unwrap()
}

#[test]
fn an_exit_dodges_no_challenge_a_bad_proof_before_the_new_end_still_seizes_the_stake() {
    let mut n = bonded_net_with(RegistrySettings {
        max_rewarded_checks: 100,
        ..settings()
    });
    n.stake_device("alice", 1, StakeMode::LiquidityProvider, 101 * LOOP);
    // The seller pays the 1 LOOP fee and leaves a 1 LOOP deposit, then leaves at once.
    let seller = n.stake_device("seller", 2, StakeMode::Seller, 10 * LOOP);
    let res = exit(&mut n, "seller", 2);
    // Its last pay waits past its end for the registry's lateness window and appeal.
    let s = settings();
    let hold = (s.lateness_window_seconds + s.appeal_seconds).div_ceil(EPOCH);
    let end = n.p.stake_info(2).end_epoch;
    assert_eq!(attr(&res, "paid_from"), Some((end + hold).to_string()));
    // It keeps its first epoch; the maintenance of the nine it gave up is owed out of its last
    // pay, so the deposit stays whole until then.
    assert_eq!(n.p.stake_info(2).deposit.u128(), LOOP);
    assert_eq!(attr(&res, "forfeit"), Some((9 * LOOP / 10).to_string()));
    let token_id = n.devices[seller].token_id.clone();
    assert_eq!(n.certificate(&token_id), CertificateStatus::Active);
    // Until its new end its device is drawn as before; a bad block in its answer is proven.
    let id = n.assigned_to("bob", &VERIFIERS, seller);
    let seed = n.seed(id);
    let (answer, openings) = n.devices[seller].answer_with(&seed, |o| o[1].blocks[7] ^= 1 << 9);
    let res = n
        .submit("bob", id, bad_proof(answer, &openings, 1, Some(7)))
        .unwrap();
    assert_eq!(attr(&res, "outcome").unwrap(), "proven");
    assert_eq!(n.certificate(&token_id), CertificateStatus::Invalidated);
    assert_eq!(n.device(&token_id).status, DeviceStatus::Invalidated);
    assert!(n.p.stake_info(2).invalidated);
    // The exit saved it nothing: what was left of its deposit is seized and its claim refused.
    let sender = n.p.addr("seller");
    let err: loopin_pair::ContractError =
        contract_error(n.p.exec(&sender, &pair::ExecuteMsg::Claim { stake_id: 2 }));
    assert_eq!(err, loopin_pair::ContractError::Invalidated { id: 2 });
    assert_eq!(n.p.balance_of("seller"), RICH - 2 * LOOP);
    n.p.check_invariants();
}

#[test]
fn after_an_exit_the_device_moves_to_a_new_stake_once_its_certificate_has_ended() {
    let mut n = bonded_net();
    let old = n.stake_device_for("alice", 1, StakeMode::LiquidityProvider, 11 * LOOP, 10);
    let other = n.stake_device("seller", 2, StakeMode::LiquidityProvider, 11 * LOOP);
    let old_token = n.devices[old].token_id.clone();
    let expiry = n.expiry(&old_token);
    n.p.next_epoch();
    exit(&mut n, "alice", 1);
    assert!(n.expiry(&old_token) < expiry);
    // Before the new end the device still backs its certificate: a new stake is refused.
    let restake = n.p.signed_stake(
        "alice",
        &n.devices[old].key,
        StakeMode::LiquidityProvider,
        Decimal::one(),
        3,
        HexBinary::from(n.devices[old].commitment.digest()),
    );
    let err: loopin_stake_cert::ContractError =
        contract_error(n.p.send("alice", 11 * LOOP, &restake));
    assert_eq!(
        err,
        loopin_stake_cert::ContractError::DeviceAlreadyStaked {
            device_id: HexBinary::from(n.devices[old].fingerprint).to_hex(),
            token_id: old_token.clone(),
        }
    );
    // At the new end, earlier than its term, the same GPU stakes again and registers under
    // its new certificate; the old entry leaves the draw.
    n.until_expired(old);
    assert!(n.p.app.block_info().time.seconds() < expiry);
    let new = n.encode_and_stake_for("alice", 1, StakeMode::LiquidityProvider, 12 * LOOP, 3);
    let new_token = n.devices[new].token_id.clone();
    let msg = n.devices[new].register_msg();
    let res = n.exec("alice", &msg).unwrap();
    assert_eq!(attr(&res, "released"), Some(old_token.clone()));
    assert_eq!(n.device(&new_token).status, DeviceStatus::Active);
    assert_eq!(n.device(&old_token).status, DeviceStatus::Expired);
    assert_eq!(n.listed(), n.tokens(&[other, new]));
    for v in VERIFIERS {
        let (id, d) = n.assigned(v, &VERIFIERS);
        assert!(d == new || d == other, "drew device {d}");
        n.pass(v, id, d).unwrap();
    }
}
