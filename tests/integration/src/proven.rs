//! Helpers of the proven-epoch tests (`pair_proven_epochs.rs`, `pair_pass_timing.rs`): the pair
//! with the registry stood in for by an account (`Protocol::prove`).

use cw_multi_test::AppResponse;
use loopin::pair::{EpochProofResponse, ExecuteMsg, QueryMsg};
use loopin::stake_cert::StakeMode;

use crate::protocol::{LOOP, Protocol, attr};

/// A numeric attribute of a response.
pub fn number(response: &AppResponse, key: &str) -> u128 {
    attr(response, key).unwrap().parse().unwrap()
}

/// Claims until the stake is finished; returns (LOOP paid, rewards minted).
pub fn claim_to_the_end(p: &mut Protocol, who: &str, id: u64) -> (u128, u128) {
    let (mut paid, mut rewards) = (0, 0);
    let owner = p.addr(who);
    for _ in 0..16 {
        let Ok(res) = p.exec(&owner, &ExecuteMsg::Claim { stake_id: id }) else {
            continue;
        };
        paid += number(&res, "payout");
        rewards += attr(&res, "rewards").map_or(0, |r| r.parse().unwrap());
        if attr(&res, "finished").as_deref() == Some("true") {
            break;
        }
    }
    (paid, rewards)
}

/// The pair's proof record of a stake's epoch.
pub fn epoch_proof(p: &Protocol, stake_id: u64, epoch: u64) -> EpochProofResponse {
    p.app
        .wrap()
        .query_wasm_smart(&p.pair, &QueryMsg::EpochProof { stake_id, epoch })
        .unwrap()
}

/// Stake `device` for three epochs and, unless `proven`, keep its device out of the
/// registry's passes: it is registered (its miner ran `RegisterDevice` with a commitment) but
/// answers no challenge.
pub fn stake(p: &mut Protocol, who: &str, device: &str, mode: StakeMode, proven: bool) -> u64 {
    let amount = if mode == StakeMode::Seller { 10 } else { 11 } * LOOP;
    let res = p.stake(who, device, mode, 3, amount).unwrap();
    let token_id = attr(&res, "token_id").unwrap();
    if !proven {
        p.registered.retain(|t| *t != token_id);
    }
    number(&res, "stake_id") as u64
}
