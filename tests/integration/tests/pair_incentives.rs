//! The class's incentives beyond gamma (issue 19): rewards per leased-and-delivered hour to
//! the client and to the serving stake's owner, and a reward per epoch to passive liquidity
//! held through it. Each is paid only for what was delivered and proven, and none can be
//! farmed: leasing from your own device, or providing liquidity around a boundary, loses more
//! than it earns (measured here to the micro-LOOP).

use cosmwasm_std::{Decimal, Uint128};
use cw_multi_test::{AppResponse, Executor};
use loopin::factory;
use loopin::pair::{
    ExecuteMsg, LeaseRewardsResponse, LiquidityRewardsResponse, MAX_CLAIMED_LEASES, QueryMsg,
    ReceiveMsg,
};
use loopin::pool::{Incentives, ParamsError, PoolParams};
use loopin::stake_cert::StakeMode;
use loopin_integration_tests::contract_error;
use loopin_integration_tests::protocol::{
    EPOCH, LOOP, Protocol, actor, attr, market_on, params, protocol_with,
};
use loopin_integration_tests::proven::{number, stake};
use loopin_pair::ContractError;
use loopin_pool_math::HOUR;

/// 0.004 LOOP per leased device-hour to the miner, 0.006 to the client, 1 LOOP per epoch to
/// passive liquidity.
fn incentives() -> Incentives {
    Incentives {
        utilisation: Decimal::from_ratio(4_000u128, 1u128),
        client: Decimal::from_ratio(6_000u128, 1u128),
        liquidity_per_epoch: Uint128::new(LOOP),
    }
}

fn params_with(incentives: Incentives) -> PoolParams {
    PoolParams {
        incentives: Some(incentives),
        ..params()
    }
}

/// [`loopin_integration_tests::protocol::market`] on a class with `incentives` and an emission
/// cap of `cap` per epoch.
fn market_paying(incentives: Incentives, cap: u128) -> Protocol {
    market_on(protocol_with(params_with(incentives), cap))
}

fn lease_rewards(p: &Protocol, lease_id: u64) -> LeaseRewardsResponse {
    p.app
        .wrap()
        .query_wasm_smart(&p.pair, &QueryMsg::LeaseRewards { lease_id })
        .unwrap()
}

fn liquidity_rewards(p: &Protocol, who: &str) -> LiquidityRewardsResponse {
    let owner = p.addr(who).to_string();
    p.app
        .wrap()
        .query_wasm_smart(&p.pair, &QueryMsg::LiquidityRewards { owner })
        .unwrap()
}

fn claim_leases(p: &mut Protocol, who: &str, lease_ids: &[u64]) -> anyhow::Result<AppResponse> {
    let sender = p.addr(who);
    let msg = ExecuteMsg::ClaimLeaseRewards {
        lease_ids: lease_ids.to_vec(),
    };
    p.exec(&sender, &msg)
}

fn claim_liquidity(p: &mut Protocol, who: &str) -> anyhow::Result<AppResponse> {
    let sender = p.addr(who);
    p.exec(&sender, &ExecuteMsg::ClaimLiquidityRewards {})
}

/// What a claim minted.
fn rewards(claim: anyhow::Result<AppResponse>) -> u128 {
    number(&claim.unwrap(), "rewards")
}

/// The client's lease of `hours` on Alice's device; its id.
fn lease(p: &mut Protocol, hours: u128) -> u64 {
    number(&p.lease("client", 1, hours, 20 * LOOP).unwrap(), "lease_id") as u64
}

fn provide(p: &mut Protocol, who: &str, amount: u128) {
    let msg = ReceiveMsg::ProvideLiquidity {
        min_shares: Uint128::one(),
        deadline: None,
    };
    p.send(who, amount, &msg).unwrap();
}

#[test]
fn a_delivered_lease_of_a_proven_epoch_pays_its_client_and_its_miner_once() {
    let mut p = market_paying(incentives(), 1_000 * LOOP);
    let res = p.lease("client", 1, HOUR / 2, 20 * LOOP).unwrap();
    let id = number(&res, "lease_id") as u64;
    let epoch = number(&res, "epoch") as u64;
    let owed = lease_rewards(&p, id);
    // Half a device-hour: 0.003 LOOP to the client, 0.002 to Alice, whose stake served it.
    assert_eq!((owed.client.u128(), owed.miner.u128()), (3_000, 2_000));
    assert!(owed.not_due.is_some());
    // Not before its epoch is delivered and final.
    let err: ContractError = contract_error(claim_leases(&mut p, "client", &[id]));
    assert_eq!(err, ContractError::LeaseRewardNotDue { id, epoch });
    p.next_epoch();
    let err: ContractError = contract_error(claim_leases(&mut p, "client", &[id]));
    assert_eq!(err, ContractError::LeaseRewardNotDue { id, epoch });
    p.next_epoch();
    assert_eq!(lease_rewards(&p, id).not_due, None);
    // Nobody else claims them.
    let err: ContractError = contract_error(claim_leases(&mut p, "mallory", &[id]));
    assert_eq!(err, ContractError::Unauthorized {});
    let before = p.balance_of("client");
    assert_eq!(rewards(claim_leases(&mut p, "client", &[id])), 3_000);
    assert_eq!(p.balance_of("client"), before + 3_000);
    let err: ContractError = contract_error(claim_leases(&mut p, "client", &[id]));
    assert_eq!(err, ContractError::NothingToClaim {});
    let before = p.balance_of("alice");
    assert_eq!(rewards(claim_leases(&mut p, "alice", &[id])), 2_000);
    assert_eq!(p.balance_of("alice"), before + 2_000);
    let left = lease_rewards(&p, id);
    assert_eq!(
        (left.client, left.miner),
        (Uint128::zero(), Uint128::zero())
    );
}

#[test]
fn a_cancelled_lease_and_a_lease_of_an_unproven_epoch_earn_nothing() {
    let mut p = market_paying(incentives(), 1_000 * LOOP);
    let res = p.lease("client", 1, HOUR / 2, 20 * LOOP).unwrap();
    let cancelled = number(&res, "lease_id") as u64;
    let client = p.addr("client");
    p.exec(
        &client,
        &ExecuteMsg::CancelLease {
            lease_id: cancelled,
            min_refund: Uint128::zero(),
            deadline: None,
        },
    )
    .unwrap();
    // Bob's device is registered but answers no challenge: its epoch is unproven.
    let bob = stake(&mut p, "bob", "gpu-b", StakeMode::LiquidityProvider, false);
    let res = p.lease("client", bob, HOUR / 2, 20 * LOOP).unwrap();
    let unproven = number(&res, "lease_id") as u64;
    let epoch = number(&res, "epoch") as u64;
    p.next_epoch();
    p.next_epoch();
    let err: ContractError = contract_error(claim_leases(&mut p, "client", &[cancelled]));
    assert_eq!(err, ContractError::LeaseRewardForfeited { id: cancelled });
    let shown = lease_rewards(&p, cancelled);
    assert_eq!(
        (shown.client, shown.miner),
        (Uint128::zero(), Uint128::zero())
    );
    let err: ContractError = contract_error(claim_leases(&mut p, "client", &[unproven]));
    assert_eq!(err, ContractError::EpochNotProven { epoch });
    // Once the epoch is settled (its client refunded), the lease's reward is forfeited.
    let dave = p.addr("dave");
    p.exec(
        &dave,
        &ExecuteMsg::SettleUnproven {
            stake_id: bob,
            epoch,
        },
    )
    .unwrap();
    let err: ContractError = contract_error(claim_leases(&mut p, "bob", &[unproven]));
    assert_eq!(err, ContractError::LeaseRewardForfeited { id: unproven });
}

#[test]
fn a_claim_names_one_to_the_most_distinct_leases_and_is_refused_whole_if_one_is_not_due() {
    let mut p = market_paying(incentives(), 1_000 * LOOP);
    let first = lease(&mut p, HOUR / 4);
    p.next_epoch();
    p.next_epoch();
    let second = p.lease("client", 1, HOUR / 4, 20 * LOOP).unwrap();
    let (second, epoch) = (
        number(&second, "lease_id") as u64,
        number(&second, "epoch") as u64,
    );
    let max = MAX_CLAIMED_LEASES as u32;
    for ids in [
        vec![],
        vec![first, first],
        vec![first; MAX_CLAIMED_LEASES + 1],
    ] {
        let err: ContractError = contract_error(claim_leases(&mut p, "client", &ids));
        assert_eq!(err, ContractError::InvalidLeaseList { max });
    }
    let err: ContractError = contract_error(claim_leases(&mut p, "client", &[first, second]));
    assert_eq!(err, ContractError::LeaseRewardNotDue { id: second, epoch });
    let err: ContractError = contract_error(claim_leases(&mut p, "client", &[first, 999]));
    assert_eq!(err, ContractError::LeaseNotFound { id: 999 });
    // Nothing was paid by the refused claims.
    assert_eq!(lease_rewards(&p, first).client.u128(), 1_500);
    assert_eq!(rewards(claim_leases(&mut p, "client", &[first])), 1_500);
}

/// Alice is the pool's only liquidity provider and the miner of its only device: every LOOP a
/// lease pays goes to her shares but the fee. Leasing her own hours still loses: the rewards
/// are at most half the fee, at any rates governance sets and at any price.
#[test]
fn leasing_from_your_own_device_loses_at_least_half_the_exchange_fee() {
    let generous = Incentives {
        utilisation: Decimal::from_ratio(LOOP, 1u128),
        client: Decimal::from_ratio(LOOP, 1u128),
        liquidity_per_epoch: Uint128::zero(),
    };
    for (rates, expected_reward) in [(incentives(), 5_000), (generous, 15_044)] {
        let mut p = market_paying(rates, 1_000 * LOOP);
        let wealth = |p: &Protocol| {
            let pool = p.pool();
            let shares = p.stake_info(1).shares.u128();
            p.balance_of("alice") + pool.reserves.tokens.u128() * shares / pool.total_shares.u128()
        };
        let before = wealth(&p);
        let res = p.lease("alice", 1, HOUR / 2, 20 * LOOP).unwrap();
        let (id, fee) = (number(&res, "lease_id") as u64, number(&res, "fee_burned"));
        assert_eq!(fee, 30_091);
        p.next_epoch();
        p.next_epoch();
        let reward = rewards(claim_leases(&mut p, "alice", &[id]));
        assert_eq!(reward, expected_reward);
        assert!(2 * reward <= fee);
        let loss = before - wealth(&p);
        // What the lease paid came back to her shares, but the fee (and the sliver the locked
        // minimum liquidity holds); the reward gives back at most half the fee.
        assert!(
            loss + reward >= fee,
            "loss {loss}, reward {reward}, fee {fee}"
        );
        assert!(loss >= fee - expected_reward, "loss {loss}");
        assert!(loss > 0);
    }
}

#[test]
fn passive_liquidity_earns_each_epoch_it_is_held_through_shared_by_shares() {
    let mut p = market_paying(incentives(), 1_000 * LOOP);
    provide(&mut p, "dave", 10 * LOOP);
    let waiting = liquidity_rewards(&p, "dave");
    assert_eq!(waiting.earning_shares, Uint128::zero());
    assert!(!waiting.waiting_shares.is_zero());
    // Dave's shares wait out the epoch they were provided in, then earn epoch 1 alone.
    p.next_epoch();
    assert_eq!(liquidity_rewards(&p, "dave").owed, Uint128::zero());
    p.next_epoch();
    let dave = liquidity_rewards(&p, "dave");
    // The epoch's LOOP, less the rounding of the reward per share (down).
    assert!(LOOP - dave.owed.u128() <= 1);
    assert_eq!(dave.earning_shares, waiting.waiting_shares);
    // Carol provides as much during epoch 2: Dave alone earns epoch 2, both share epoch 3.
    provide(&mut p, "carol", 10 * LOOP);
    p.next_epoch();
    p.next_epoch();
    let (dave, carol) = (
        liquidity_rewards(&p, "dave"),
        liquidity_rewards(&p, "carol"),
    );
    let (d, c) = (dave.earning_shares.u128(), carol.earning_shares.u128());
    assert_eq!(dave.total_earning_shares.u128(), d + c);
    let dave_share = LOOP * d / (d + c);
    assert!(dave.owed.u128().abs_diff(2 * LOOP + dave_share) <= 1);
    assert!(carol.owed.u128().abs_diff(LOOP - dave_share) <= 1);
    assert!(dave.owed.u128() + carol.owed.u128() <= 3 * LOOP);
    // Paid through the factory; a second claim finds nothing.
    let before = p.balance_of("dave");
    assert_eq!(rewards(claim_liquidity(&mut p, "dave")), dave.owed.u128());
    assert_eq!(p.balance_of("dave"), before + dave.owed.u128());
    let err: ContractError = contract_error(claim_liquidity(&mut p, "dave"));
    assert_eq!(err, ContractError::NothingToClaim {});
    let err: ContractError = contract_error(claim_liquidity(&mut p, "mallory"));
    assert_eq!(err, ContractError::NothingToClaim {});
}

#[test]
fn providing_just_before_a_boundary_and_withdrawing_just_after_earns_nothing_and_pays_the_fee() {
    let mut p = market_paying(incentives(), 1_000 * LOOP);
    provide(&mut p, "dave", 10 * LOOP);
    p.next_epoch();
    // Carol provides ten times Dave's liquidity at the end of epoch 1 ...
    let before = p.balance_of("carol");
    provide(&mut p, "carol", 100 * LOOP);
    p.next_epoch();
    // ... and withdraws it all right after the boundary.
    let shares = p.liquidity("carol").shares;
    let carol = p.addr("carol");
    p.exec(
        &carol,
        &ExecuteMsg::WithdrawLiquidity {
            shares,
            min_out: Uint128::one(),
            deadline: None,
        },
    )
    .unwrap();
    assert_eq!(liquidity_rewards(&p, "carol").owed, Uint128::zero());
    let err: ContractError = contract_error(claim_liquidity(&mut p, "carol"));
    assert_eq!(err, ContractError::NothingToClaim {});
    let loss = before - p.balance_of("carol");
    // 0.3 % of what she withdrew, rounded up, burned.
    assert_eq!(loss, 300_000);
    // Dave held through both epochs: epoch 1 and epoch 2 are his, undiluted.
    p.next_epoch();
    assert!(2 * LOOP - liquidity_rewards(&p, "dave").owed.u128() <= 2);
}

#[test]
fn rewards_beyond_the_emission_left_stay_owed_and_are_paid_later() {
    let rates = Incentives {
        liquidity_per_epoch: Uint128::zero(),
        ..incentives()
    };
    let mut p = market_paying(rates, 2_000);
    let id = lease(&mut p, HOUR / 2);
    p.next_epoch();
    p.next_epoch();
    let res = p
        .exec(
            &p.addr("client"),
            &ExecuteMsg::ClaimLeaseRewards {
                lease_ids: vec![id],
            },
        )
        .unwrap();
    assert_eq!(number(&res, "rewards"), 2_000);
    assert_eq!(number(&res, "rewards_owed"), 1_000);
    assert_eq!(lease_rewards(&p, id).client.u128(), 1_000);
    let err: ContractError = contract_error(claim_leases(&mut p, "alice", &[id]));
    assert_eq!(
        err,
        ContractError::EmissionExhausted {
            owed: 2_000u128.into()
        }
    );
    p.next_epoch();
    assert_eq!(rewards(claim_leases(&mut p, "client", &[id])), 1_000);
    assert_eq!(rewards(claim_leases(&mut p, "alice", &[id])), 1_000);
    assert_eq!(lease_rewards(&p, id).miner.u128(), 1_000);
}

/// A market with incentives and a 1,000 LOOP emission cap, its governance and its pair's config
/// (which names the factory).
fn governed_market() -> (Protocol, cosmwasm_std::Addr, loopin::pair::ConfigResponse) {
    let p = market_paying(incentives(), 1_000 * LOOP);
    let owner = actor(&p.app, "governance");
    let config = p
        .app
        .wrap()
        .query_wasm_smart(&p.pair, &QueryMsg::Config {})
        .unwrap();
    (p, owner, config)
}

#[test]
fn governance_cannot_set_incentives_that_cannot_be_paid_or_bounded() {
    let (mut p, owner, config) = governed_market();
    let mut refused = |params: PoolParams| -> loopin_factory::ContractError {
        let msg = factory::ExecuteMsg::SetClassParams {
            class: "a100".into(),
            params: Box::new(params),
        };
        contract_error(
            p.app
                .execute_contract(owner.clone(), config.factory.clone(), &msg, &[]),
        )
    };
    assert_eq!(
        refused(params_with(Incentives {
            liquidity_per_epoch: Uint128::new(1_000 * LOOP + 1),
            ..incentives()
        })),
        loopin_factory::ContractError::Params(ParamsError::LiquidityRewardAboveCap {
            per_emission_epoch: Uint128::new(1_000 * LOOP + 1),
            cap: Uint128::new(1_000 * LOOP),
        })
    );
    assert_eq!(
        refused(PoolParams {
            exchange_fee: Decimal::zero(),
            ..params_with(incentives())
        }),
        loopin_factory::ContractError::Params(ParamsError::LeaseRewardsWithoutFee {
            per_hour: Decimal::from_ratio(10_000u128, 1u128),
        })
    );
}

/// Every class owes its providers its liquidity reward each epoch: a class is refused a reward
/// that fits the emission cap alone but not with the other classes' (issue 19's "sum within
/// the cap"), when it is set and again when a proposal of it is executed.
#[test]
fn the_classes_liquidity_rewards_together_fit_the_emission_cap() {
    let (mut p, owner, config) = governed_market();
    let set = |class: &str, per_epoch: u128| factory::ExecuteMsg::SetClassParams {
        class: class.into(),
        params: Box::new(params_with(Incentives {
            liquidity_per_epoch: Uint128::new(per_epoch),
            ..incentives()
        })),
    };
    // h100 pays 1 LOOP an epoch (one pool epoch per emission epoch): a100 may pay 999 more,
    // not a micro-LOOP above.
    let err: loopin_factory::ContractError = contract_error(p.app.execute_contract(
        owner.clone(),
        config.factory.clone(),
        &set("a100", 999 * LOOP + 1),
        &[],
    ));
    assert_eq!(
        err,
        loopin_factory::ContractError::LiquidityRewardsAboveCap {
            class: "a100".into(),
            total: Uint128::new(1_000 * LOOP + 1),
            cap: Uint128::new(1_000 * LOOP),
        }
    );
    // h100 has a pool, so raising its reward to 2 LOOP is a proposal: it fits when proposed.
    let raise = factory::ExecuteMsg::Propose {
        action: factory::GovernanceAction::SetClassParams {
            class: "h100".into(),
            params: Box::new(params_with(Incentives {
                liquidity_per_epoch: Uint128::new(2 * LOOP),
                ..incentives()
            })),
        },
    };
    let res = p
        .app
        .execute_contract(owner.clone(), config.factory.clone(), &raise, &[])
        .unwrap();
    let id: u64 = loopin_integration_tests::protocol::attr(&res, "proposal_id")
        .unwrap()
        .parse()
        .unwrap();
    p.app
        .execute_contract(
            owner.clone(),
            config.factory.clone(),
            &set("a100", 999 * LOOP),
            &[],
        )
        .unwrap();
    // With a100's 999 LOOP set since, it no longer fits: refused when executed, and when
    // proposed again.
    let too_much = loopin_factory::ContractError::LiquidityRewardsAboveCap {
        class: "h100".into(),
        total: Uint128::new(1_001 * LOOP),
        cap: Uint128::new(1_000 * LOOP),
    };
    let execute = factory::ExecuteMsg::Execute { id };
    let err: loopin_factory::ContractError = contract_error(p.app.execute_contract(
        owner.clone(),
        config.factory.clone(),
        &execute,
        &[],
    ));
    assert_eq!(err, too_much);
    let err: loopin_factory::ContractError =
        contract_error(p.app.execute_contract(owner, config.factory, &raise, &[]));
    assert_eq!(err, too_much);
}

/// Found by the review of the incentives: a standing order's renewal copied the refund a ruling
/// had granted on the lease it renewed, so the renewal, a new purchase, looked refunded: its
/// rewards were forfeited, it could not be cancelled, and an unproven epoch refunded it short.
#[test]
fn a_renewal_of_a_lease_refunded_by_a_ruling_is_a_new_purchase() {
    let mut p = market_on(protocol_with(
        PoolParams {
            dispute_epochs: 1,
            ..params_with(incentives())
        },
        1_000 * LOOP,
    ));
    let order = ReceiveMsg::Lease {
        stake_id: 1,
        hours: Uint128::new(HOUR / 4),
        client_key: cosmwasm_std::HexBinary::from([1u8; 32]),
        ssh_key: loopin_integration_tests::protocol::SSH_KEY.into(),
        deadline: None,
        renewals: Some(2),
        max_renewal_price: None,
        renewer: None,
    };
    let first = number(&p.send("client", 20 * LOOP, &order).unwrap(), "lease_id") as u64;
    p.next_epoch();
    let dispute = ReceiveMsg::Dispute {
        lease_id: first,
        reason: "no access".into(),
    };
    p.send("client", 20 * LOOP, &dispute).unwrap();
    let governance = actor(&p.app, "governance");
    let ruling = ExecuteMsg::ResolveDispute {
        lease_id: first,
        refund: Uint128::new(LOOP),
    };
    p.exec(&governance, &ruling).unwrap();
    let client = p.addr("client");
    let renewal = p
        .exec(&client, &ExecuteMsg::RenewLease { lease_id: first })
        .unwrap();
    let renewal = number(&renewal, "lease_id") as u64;
    let lease: loopin::pair::LeaseResponse = p
        .app
        .wrap()
        .query_wasm_smart(&p.pair, &QueryMsg::Lease { lease_id: renewal })
        .unwrap();
    assert_eq!((lease.refunded, lease.cancelled), (Uint128::zero(), false));
    // Its rewards are due once delivered; the ruled lease's are forfeited.
    for _ in 0..3 {
        p.next_epoch();
    }
    assert_eq!(rewards(claim_leases(&mut p, "client", &[renewal])), 1_500);
    let err: ContractError = contract_error(claim_leases(&mut p, "client", &[first]));
    assert_eq!(err, ContractError::LeaseRewardForfeited { id: first });
}

/// Found by the review: a ruling that grants a refund the stake's held pay cannot cover (its
/// position was seized by an invalidation in between) leaves nothing refunded on the lease; the
/// hours were ruled undelivered all the same, so its client earns no reward for them.
#[test]
fn a_lease_ruled_undelivered_earns_nothing_even_when_its_refund_could_not_be_paid() {
    let mut p = market_on(protocol_with(
        PoolParams {
            dispute_epochs: 2,
            ..params_with(incentives())
        },
        1_000 * LOOP,
    ));
    let bob = loopin_integration_tests::proven::stake(
        &mut p,
        "bob",
        "gpu-b",
        StakeMode::LiquidityProvider,
        true,
    );
    let res = p.lease("client", bob, HOUR / 2, 20 * LOOP).unwrap();
    let (id, paid) = (number(&res, "lease_id") as u64, number(&res, "paid"));
    p.next_epoch();
    p.next_epoch();
    let dispute = ReceiveMsg::Dispute {
        lease_id: id,
        reason: "no access".into(),
    };
    p.send("client", 20 * LOOP, &dispute).unwrap();
    let registry = p.registry.clone();
    let token_id = p.stake_info(bob).token_id;
    let invalidate = ExecuteMsg::Invalidate {
        token_id,
        reason: "bad openings".into(),
    };
    p.exec(&registry, &invalidate).unwrap();
    let governance = actor(&p.app, "governance");
    let ruling = ExecuteMsg::ResolveDispute {
        lease_id: id,
        refund: Uint128::new(paid),
    };
    p.exec(&governance, &ruling).unwrap();
    let lease: loopin::pair::LeaseResponse = p
        .app
        .wrap()
        .query_wasm_smart(&p.pair, &QueryMsg::Lease { lease_id: id })
        .unwrap();
    assert_eq!(
        lease.refunded,
        Uint128::zero(),
        "nothing was left to pay it"
    );
    for _ in 0..3 {
        p.next_epoch();
    }
    let err: ContractError = contract_error(claim_leases(&mut p, "client", &[id]));
    assert_eq!(err, ContractError::LeaseRewardForfeited { id });
}

/// A lease's rewards wait for its epoch's hold (issue 22, `holds`): while a pass counted in the
/// epoch may still be audited, nothing is paid for the epoch.
#[test]
fn a_leases_rewards_wait_while_a_pass_of_its_epoch_can_still_be_audited() {
    let mut p = market_paying(incentives(), 1_000 * LOOP);
    let res = p.lease("client", 1, HOUR / 2, 20 * LOOP).unwrap();
    let id = number(&res, "lease_id") as u64;
    let epoch = number(&res, "epoch") as u64;
    while p.pool().clock_epoch < epoch {
        p.next_epoch();
    }
    // In the lease's epoch, Dave's pass of the device may be audited for ten epochs.
    let now = p.app.block_info().time;
    let audit_until = now.plus_seconds(10 * EPOCH);
    let registry = p.registry.clone();
    let msg = ExecuteMsg::DeviceProven {
        token_id: p.stake_info(1).token_id,
        challenged_at: now,
        verifier: Some(p.addr("dave").to_string()),
        audit_until: Some(audit_until),
    };
    let res = p.exec(&registry, &msg).unwrap();
    assert_eq!(attr(&res, "held").as_deref(), Some("true"), "{res:?}");
    // Delivered and final two epochs on, as without the hold, but still held.
    p.next_epoch();
    p.next_epoch();
    let err: ContractError = contract_error(claim_leases(&mut p, "client", &[id]));
    assert_eq!(err, ContractError::LeaseRewardNotDue { id, epoch });
    while p.app.block_info().time <= audit_until {
        p.next_epoch();
    }
    assert_eq!(rewards(claim_leases(&mut p, "client", &[id])), 3_000);
}
