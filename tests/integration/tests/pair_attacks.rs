//! Attacks on the pair's fairness (issue 16): each test runs the attack and the same history
//! without the attacker, and asserts that the victim loses nothing and the attacker gains nothing
//! beyond rounding. Each was written first and failed on the code before its fix.

use cosmwasm_std::Uint128;
use loopin::pair::{ExecuteMsg, LiquidityResponse, QueryMsg, ReceiveMsg};
use loopin::stake_cert::StakeMode;
use loopin_integration_tests::protocol::{EPOCH, LOOP, Protocol, RICH, protocol};

/// LOOP lost to rounding in one settlement or one round trip, at most.
const ROUNDING: u128 = 10;

fn liquidity(p: &Protocol, who: &str) -> LiquidityResponse {
    p.app
        .wrap()
        .query_wasm_smart(
            &p.pair,
            &QueryMsg::Liquidity {
                owner: p.addr(who).to_string(),
            },
        )
        .unwrap()
}

/// Alice provides for 100 epochs, Bob for 3; one second before Bob's settlement `deposit` LOOP
/// (if any) arrives through `ProvideLiquidity` from Carol, who withdraws everything right after
/// the boundary. Returns Bob's settled value and Carol's LOOP balance change.
fn settlement_with_last_second_liquidity(deposit: u128) -> (u128, i128) {
    let mut p = protocol();
    p.stake(
        "alice",
        "gpu-a",
        StakeMode::LiquidityProvider,
        100,
        11 * LOOP,
    )
    .unwrap();
    p.stake("bob", "gpu-b", StakeMode::LiquidityProvider, 3, 11 * LOOP)
        .unwrap();
    p.next_epoch();
    p.next_epoch();
    p.app
        .update_block(|block| block.time = block.time.plus_seconds(EPOCH - 1));
    if deposit > 0 {
        let provide = ReceiveMsg::ProvideLiquidity {
            min_shares: Uint128::zero(),
            deadline: None,
        };
        p.send("carol", deposit, &provide).unwrap();
    }
    p.app
        .update_block(|block| block.time = block.time.plus_seconds(1));
    let keeper = p.addr("dave");
    p.exec(&keeper, &ExecuteMsg::AdvanceEpoch { max_epochs: None })
        .unwrap();
    let settled = p.pool().escrow.u128();
    let shares = liquidity(&p, "carol").shares;
    if !shares.is_zero() {
        let carol = p.addr("carol");
        p.exec(
            &carol,
            &ExecuteMsg::WithdrawLiquidity {
                shares,
                min_out: Uint128::zero(),
                deadline: None,
            },
        )
        .unwrap();
    }
    let change = p.balance_of("carol") as i128 - RICH as i128;
    (settled, change)
}

#[test]
fn last_second_liquidity_does_not_dilute_a_settling_provider() {
    let (honest, _) = settlement_with_last_second_liquidity(0);
    // Bob holds half the pool's 20 LOOP, less Alice's locked minimum shares' part.
    assert!(honest > 9 * LOOP, "{honest}");
    for deposit in [LOOP, 100 * LOOP, 100_000 * LOOP] {
        let (settled, carol) = settlement_with_last_second_liquidity(deposit);
        assert!(
            settled + ROUNDING >= honest,
            "a deposit of {deposit} cut Bob's settlement from {honest} to {settled}"
        );
        // Carol pays the exit fee and gains nothing from Bob.
        assert!(
            carol <= 0,
            "Carol gained {carol} with a deposit of {deposit}"
        );
    }
}
