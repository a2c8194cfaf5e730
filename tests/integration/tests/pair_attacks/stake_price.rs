//! A provider's stake between someone else's trades: no pumped price, its min_shares and deadline hold.

use super::*;

/// What a provider's stake between Carol's trades left each party.
#[derive(Debug, PartialEq)]
struct StakeBetweenTrades {
    /// Carol's LOOP balance change.
    carol: i128,
    /// LOOP that left Bob (fee and liquidity; the rest is refunded).
    bob_paid: u128,
    /// Shares minted to Bob and what they are worth at the pool's LOOP per share.
    bob_shares: u128,
    bob_value: u128,
    /// What Alice's shares (the provider already in the pool) are worth.
    alice_value: u128,
}

/// The LOOP `shares` are worth at the pool's LOOP per share now.
fn share_value(p: &Protocol, shares: Uint128) -> u128 {
    let pool = p.pool();
    shares
        .multiply_ratio(pool.reserves.tokens, pool.total_shares)
        .u128()
}

fn outcome(p: &Protocol, staked: bool) -> StakeBetweenTrades {
    let bob_shares = if staked {
        p.stake_info(2).shares
    } else {
        Uint128::zero()
    };
    StakeBetweenTrades {
        carol: p.balance_of("carol") as i128 - RICH as i128,
        bob_paid: RICH - p.balance_of("bob"),
        bob_shares: bob_shares.u128(),
        bob_value: share_value(p, bob_shares),
        alice_value: share_value(p, p.stake_info(1).shares),
    }
}

/// Bob's Stake hook for a second one-hour device, as the device signed it, with his own bounds
/// (outside the device's claim).
fn bobs_stake(
    p: &Protocol,
    min_shares: Option<u128>,
    max_price: Option<Decimal>,
    deadline: Option<Timestamp>,
) -> ReceiveMsg {
    let mut msg = p.stake_msg(
        "bob",
        "gpu-b",
        StakeMode::LiquidityProvider,
        Decimal::one(),
        10,
    );
    if let ReceiveMsg::Stake {
        min_shares: floor,
        max_price: ceiling,
        deadline: until,
        ..
    } = &mut msg
    {
        *floor = min_shares.map(Uint128::new);
        *ceiling = max_price;
        *until = deadline;
    }
    msg
}

/// LOOP Bob sends with his stake: 1 LOOP of fee and 100 LOOP he lets the pair take, trusting it
/// to take what his hour matches at the pool's price (10 LOOP when he looks) and refund the rest.
const BOBS_SEND: u128 = 101 * LOOP;

/// Micro-hours of Alice's hour Carol leases just before Bob's stake: the price goes from 10 to
/// 97.7 LOOP per device-hour, as much as Bob's 100 LOOP matches.
const PUMP: u128 = 680_000;

/// Alice provides 1 h at 10 LOOP ([`market`]) and Bob stakes a second one-hour device with the
/// bounds `bobs` signs. With `attack`, Carol, who sees Bob's stake pending, leases [`PUMP`] of
/// Alice's hour just before it and cancels her lease right after it. Returns the outcome, Bob's
/// stake's result and the spot price Bob's stake met.
fn stake_sandwiched_by_a_lease(
    attack: bool,
    bobs: impl Fn(&Protocol) -> ReceiveMsg,
) -> (StakeBetweenTrades, anyhow::Result<AppResponse>, Decimal256) {
    let mut p = market();
    let carols_lease = attack.then(|| lease_id(&p.lease("carol", 1, PUMP, 1_000 * LOOP).unwrap()));
    let spot = p.pool().spot_price.unwrap();
    let msg = bobs(&p);
    let staked = p.send("bob", BOBS_SEND, &msg);
    if let Some(lease_id) = carols_lease {
        let carol = p.addr("carol");
        let cancel = ExecuteMsg::CancelLease {
            lease_id,
            min_refund: Uint128::zero(),
            deadline: None,
        };
        p.exec(&carol, &cancel).unwrap();
    }
    (outcome(&p, staked.is_ok()), staked, spot)
}

/// Carol sees Bob's provider stake pending, leases most of the hours on sale just before it so
/// Bob's hour matches her inflated price with LOOP he meant as headroom, and cancels right after,
/// selling her hours back into the pool Bob deepened at that price. Before the fix nothing but
/// the LOOP sent bounded Bob's price: he paid 97.66 LOOP of liquidity for shares worth 64.45
/// LOOP, 33.20 LOOP worse off than without Carol; Carol kept 22.38 LOOP and Alice 10.62 LOOP of
/// it (0.20 LOOP of fees burned). A floor on the shares does not stop it (the pumped price mints
/// Bob *more* shares); the price he signs, `max_price`, does: his stake is refused, nothing
/// moves, and Carol's round trip costs her its fees.
#[test]
fn leasing_before_a_providers_stake_and_cancelling_after_sells_it_no_pumped_price() {
    let (honest, staked, quote) =
        stake_sandwiched_by_a_lease(false, |p| bobs_stake(p, None, None, None));
    staked.unwrap();
    assert_eq!(
        quote,
        Decimal256::from_ratio(10 * LOOP, 1u128),
        "10 LOOP per device-hour"
    );
    assert_eq!(
        honest,
        StakeBetweenTrades {
            carol: 0,
            bob_paid: 11 * LOOP,
            bob_shares: 3_162_277,
            bob_value: 10 * LOOP,
            alice_value: 9_996_837,
        }
    );

    // Unbounded (an older client's hook): the attack as it ran before the fix.
    let (attacked, staked, pumped) =
        stake_sandwiched_by_a_lease(true, |p| bobs_stake(p, None, None, None));
    staked.unwrap();
    assert_eq!(
        attacked,
        StakeBetweenTrades {
            carol: 22_382_695,
            bob_paid: 98_656_244,
            bob_shares: 9_882_115,
            bob_value: 64_453_121,
            alice_value: 20_618_478,
        }
    );
    let bobs_loss = (attacked.bob_paid - attacked.bob_value) - (honest.bob_paid - honest.bob_value);
    assert_eq!(bobs_loss, 33_203_123);
    assert_eq!(attacked.alice_value - honest.alice_value, 10_621_641);

    // Bob's floor on shares from his quote (1 % slippage) holds: the pumped price mints more.
    let floor = honest.bob_shares * 99 / 100;
    let (with_floor, staked, _) =
        stake_sandwiched_by_a_lease(true, |p| bobs_stake(p, Some(floor), None, None));
    staked.unwrap();
    assert_eq!(with_floor, attacked);

    // Bob's price from his quote (1 % slippage) refuses the pumped one: nothing moves.
    let max = Decimal::from_ratio(10 * LOOP * 101 / 100, 1u128);
    let (bounded, staked, _) =
        stake_sandwiched_by_a_lease(true, |p| bobs_stake(p, Some(floor), Some(max), None));
    assert_eq!(
        contract_error::<ContractError>(staked),
        ContractError::PriceAboveMaximum { price: pumped, max }
    );
    assert!(
        pumped > Decimal256::from_ratio(97 * LOOP, 1u128),
        "{pumped}"
    );
    assert_eq!(bounded.bob_paid, 0);
    assert!(bounded.carol < 0, "Carol's round trip costs her its fees");
    assert!(bounded.alice_value >= honest.alice_value);
    // Without Carol the same bounds take Bob's stake as before.
    let (calm, staked, _) =
        stake_sandwiched_by_a_lease(false, |p| bobs_stake(p, Some(floor), Some(max), None));
    staked.unwrap();
    assert_eq!(calm, honest);
}

/// The pumped price cannot be taken to "no hours listed", where a provider sets the price with
/// all the LOOP it brings: the curve never sells its last hour, whoever leases them.
#[test]
fn leasing_every_hour_to_make_a_providers_stake_set_the_price_is_refused() {
    let mut p = market();
    p.stake("dave", "gpu-d", StakeMode::LiquidityProvider, 10, 20 * LOOP)
        .unwrap();
    // Dave's whole hour (one of the two listed) can be leased; the last hour cannot.
    p.lease("carol", 2, HOUR, 1_000 * LOOP).unwrap();
    let err = contract_error::<ContractError>(p.lease("carol", 1, HOUR, RICH / 2));
    assert!(
        matches!(
            err,
            ContractError::Math(loopin_pool_math::MathError::InsufficientLiquidity { .. })
        ),
        "{err:?}"
    );
    assert_eq!(p.pool().reserves.hours.u128(), HOUR);
}

/// Carol holds a lease bought earlier (it raised the price to 97.7 LOOP per device-hour, at
/// which Bob quotes his stake); seeing Bob's stake pending she cancels it just before, so his hour
/// matches the price her cancel pushed down, and buys the same hours back right after from the
/// pool his hour deepened. Returns the outcome, Bob's stake's result, and, without the attack,
/// the same history with Carol holding her lease.
fn stake_between_a_cancel_and_a_lease(
    attack: bool,
    min_shares: Option<u128>,
) -> (StakeBetweenTrades, anyhow::Result<AppResponse>) {
    let mut p = market();
    let carol = p.addr("carol");
    let first = lease_id(&p.lease("carol", 1, PUMP, 1_000 * LOOP).unwrap());
    p.app
        .update_block(|block| block.time = block.time.plus_seconds(600));
    if attack {
        let cancel = ExecuteMsg::CancelLease {
            lease_id: first,
            min_refund: Uint128::zero(),
            deadline: None,
        };
        p.exec(&carol, &cancel).unwrap();
    }
    let msg = bobs_stake(&p, min_shares, None, None);
    let staked = p.send("bob", BOBS_SEND, &msg);
    if attack {
        p.lease("carol", 1, PUMP, 1_000 * LOOP).unwrap();
    }
    (outcome(&p, staked.is_ok()), staked)
}

/// The other ordering: Carol sells her leased hours back just before Bob's stake and buys them
/// back right after. Bob quoted at the price her lease made (9,882,115 shares for 97.66 LOOP);
/// his hour matches the price her cancel pushed down (3,162,277 shares for 10 LOOP), then her
/// purchase from the deeper pool lifts what his shares are worth to 15.15 LOOP. Carol holds the
/// same lease for 10.85 LOOP less and Bob gains 5.15 LOOP; Alice's position, which held the
/// revenue of Carol's lease at its first price, ends 16.09 LOOP lower. The price is below Bob's
/// quote, so `max_price` does not see it; his floor on shares from his quote refuses the stake.
/// (A staker colluding with Carol would sign no floor: a stake mints shares at spot LOOP per
/// share, which a cancel lowers; see docs/pair.md, "Left open".)
#[test]
fn cancelling_before_a_providers_stake_and_leasing_back_after_is_refused_by_its_min_shares() {
    let (holding, staked) = stake_between_a_cancel_and_a_lease(false, None);
    staked.unwrap();
    assert_eq!(
        holding,
        StakeBetweenTrades {
            carol: -21_313_942,
            bob_paid: 98_656_244,
            bob_shares: 9_882_115,
            bob_value: 97_656_243,
            alice_value: 31_240_117,
        }
    );
    let (attacked, staked) = stake_between_a_cancel_and_a_lease(true, None);
    staked.unwrap();
    assert_eq!(
        attacked,
        StakeBetweenTrades {
            carol: -10_461_726,
            bob_paid: 11 * LOOP,
            bob_shares: 3_162_277,
            bob_value: 15_151_515,
            alice_value: 15_146_724,
        }
    );
    assert_eq!(attacked.carol - holding.carol, 10_852_216);
    assert_eq!(holding.alice_value - attacked.alice_value, 16_093_393);

    let floor = holding.bob_shares * 99 / 100;
    let (bounded, staked) = stake_between_a_cancel_and_a_lease(true, Some(floor));
    assert_eq!(
        contract_error::<ContractError>(staked),
        ContractError::SharesBelowMinimum {
            minted: Uint128::new(3_162_277),
            min: Uint128::new(floor),
        }
    );
    assert_eq!(bounded.bob_paid, 0);
    let (calm, staked) = stake_between_a_cancel_and_a_lease(false, Some(floor));
    staked.unwrap();
    assert_eq!(calm, holding);
}

/// A stake signed and sent, then held back (by a validator, a relayer, a congested mempool) and
/// executed later at whatever price the pool has then: with a deadline the pair refuses it.
/// A hook without the bounds is what older clients send: it still parses and stakes.
#[test]
fn a_stake_held_back_past_its_deadline_is_refused() {
    let mut p = market();
    let now = p.app.block_info().time;
    let deadline = now.plus_seconds(60);
    let msg = bobs_stake(&p, None, None, Some(deadline));
    p.app
        .update_block(|block| block.time = block.time.plus_seconds(61));
    assert_eq!(
        contract_error::<ContractError>(p.send("bob", BOBS_SEND, &msg)),
        ContractError::DeadlinePassed { deadline }
    );
    assert_eq!(p.balance_of("bob"), RICH, "nothing moved");
    let in_time = bobs_stake(
        &p,
        None,
        None,
        Some(p.app.block_info().time.plus_seconds(60)),
    );
    p.send("bob", BOBS_SEND, &in_time).unwrap();
    assert_eq!(p.stake_info(2).shares.u128(), 3_162_277);

    let older = p.stake_msg("dave", "gpu-d", StakeMode::Seller, Decimal::one(), 10);
    let json = String::from_utf8(cosmwasm_std::to_json_vec(&older).unwrap()).unwrap();
    for field in ["min_shares", "max_price", "deadline"] {
        assert!(!json.contains(field), "{json}");
    }
    let parsed: ReceiveMsg = cosmwasm_std::from_json(json.as_bytes()).unwrap();
    assert_eq!(parsed, older);
    p.send("dave", 10 * LOOP, &parsed).unwrap();
}
