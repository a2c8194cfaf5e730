//! The two-world harness: `Run` holds world A and world B in lockstep, applies each `Step`
//! (honest purchases in both, the adversary's actions in B), and checks rules 1 to 4
//! (`compare`, `finish`), with `LOOPIN_FAIRNESS_TRACE`'s output (`trace`).

use cosmwasm_std::{Decimal, Uint128};
use loopin::pair::{ConfigResponse, ExecuteMsg, QueryMsg, ReceiveMsg};
use loopin_integration_tests::protocol::{EPOCH, LOOP};
use loopin_pair::ContractError;
use loopin_pool_math::amm::{Swap, fee_on};
use loopin_pool_math::{HOUR, MathError};

use crate::params::{ADV, MIN_LEASE, SUPPLIERS, TOL};
use crate::steps::{Adv, Step};
use crate::world::{World, attr, error};

/// Both worlds, and what honest clients paid in B beyond A (rule 4).
pub(crate) struct Run {
    pub(crate) a: World,
    pub(crate) b: World,
    overpay: i128,
}

impl Run {
    pub(crate) fn new(bob_epochs: u64, seller_epochs: u64) -> Run {
        let (a, b) = (
            World::new(bob_epochs, seller_epochs),
            World::new(bob_epochs, seller_epochs),
        );
        Run { a, b, overpay: 0 }
    }

    fn time(&self) -> u64 {
        self.b.p.app.block_info().time.seconds()
    }

    fn move_to(&mut self, time: u64, keeper: bool) {
        self.a.set_time(time, keeper);
        self.b.set_time(time, keeper);
    }

    /// Records an honest purchase made in B for `paid`, then makes it in A with `in_a`.
    fn bought(
        &mut self,
        who: &'static str,
        paid: u128,
        in_a: impl FnOnce(&mut World) -> Option<u128>,
    ) {
        *self.b.paid.entry(who).or_default() += paid;
        let paid_a = in_a(&mut self.a).unwrap_or(0);
        *self.a.paid.entry(who).or_default() += paid_a;
        self.overpay += paid as i128 - paid_a as i128;
    }

    /// Rule 3 for an honest purchase refused in B: a refusal for the client's bound or for
    /// hours someone bought (on the device, or out of the pool's reserve) is fine; one for slots while the hours are free, or one the same
    /// call in A (`in_a`) does not meet, is not.
    fn refused(
        &mut self,
        err: &anyhow::Error,
        stake: u64,
        hours: u128,
        in_a: impl FnOnce(&mut World) -> bool,
    ) {
        match error(err) {
            Some(
                ContractError::InsufficientFunds { .. }
                | ContractError::RenewalAboveBound { .. }
                | ContractError::NotEnoughFreeHours { .. }
                | ContractError::Math(MathError::InsufficientLiquidity { .. }),
            ) => {}
            Some(ContractError::TooManyLeases { .. }) => {
                let free = self.b.free(stake);
                assert!(
                    free < hours,
                    "slot lockout: stake {stake} has {free} free, {hours} refused"
                );
            }
            _ => assert!(!in_a(&mut self.a), "honest call refused in B only: {err:?}"),
        }
    }

    fn honest_lease(&mut self, stake: u64, hours: u128, slack_pct: u128) {
        let simulate = QueryMsg::SimulateLease {
            hours: Uint128::new(hours),
        };
        let Ok(quote) = self.a.query::<Swap>(&simulate) else {
            return;
        };
        let max = quote.offer.u128() * (100 + slack_pct) / 100;
        let lease = |w: &mut World| w.lease("client", stake, hours, max, 0, None);
        match lease(&mut self.b) {
            Ok((_, paid)) => {
                assert!(paid <= max, "a lease paid {paid} above the client's {max}");
                self.bought("client", paid, |a| lease(a).ok().map(|(_, paid)| paid));
            }
            Err(err) => self.refused(&err, stake, hours, |a| lease(a).is_ok()),
        }
    }

    fn honest_order(&mut self, stake: u64, hours: u128, price_pct: Option<u128>) {
        let Some(spot) = self.a.pool().spot_price else {
            return;
        };
        if self.b.order.is_some() || self.a.order.is_some() {
            return;
        }
        let spot = Decimal::from_atomics(Uint128::try_from(spot.atomics()).unwrap(), 18).unwrap();
        let price = price_pct.map(|pct| spot * Decimal::percent(pct as u64));
        let order = |w: &mut World| {
            let (id, paid) = w.lease("dave", stake, hours, 60 * LOOP, 20, price).ok()?;
            w.order = Some(id);
            Some(paid)
        };
        if let Some(paid) = order(&mut self.b) {
            self.bought("dave", paid, order);
        }
    }

    fn renew_order(&mut self) {
        let Some(id) = self.b.order else { return };
        let lease = self.b.lease_info(id).unwrap();
        let mut bound = lease.budget.u128() / u128::from(lease.renewals_left.max(1));
        if let Some(price) = lease.max_renewal_price {
            let limit = price * Decimal::from_ratio(lease.hours, HOUR);
            bound = bound.min(limit.to_uint_floor().u128());
        }
        let renew = |w: &mut World| {
            let response = w.exec("dave", &ExecuteMsg::RenewLease { lease_id: w.order? });
            let response = response.inspect_err(|_| w.close_order()).ok()?;
            w.order = Some(attr(&response, "lease_id").unwrap() as u64);
            attr(&response, "paid")
        };
        match self
            .b
            .exec("dave", &ExecuteMsg::RenewLease { lease_id: id })
        {
            Ok(response) => {
                let paid = attr(&response, "paid").unwrap();
                assert!(
                    paid <= bound,
                    "a renewal paid {paid} above its bound {bound}"
                );
                self.b.order = Some(attr(&response, "lease_id").unwrap() as u64);
                self.bought("dave", paid, renew);
            }
            Err(err) => {
                if !matches!(error(&err), Some(ContractError::NotRenewable { .. })) {
                    let (stake, hours) = (lease.stake_id, lease.hours.u128());
                    self.refused(&err, stake, hours, |a| renew(a).is_some());
                }
                self.b.close_order();
                self.a.close_order();
            }
        }
    }

    fn adversary(&mut self, op: &Adv) {
        let b = &mut self.b;
        // One of carol's leases, or now and then dave's.
        let pick = |b: &World, i: usize| match b.adv_leases.len() {
            _ if i.is_multiple_of(5) => b.order,
            0 => None,
            n => Some(b.adv_leases[i % n]),
        };
        let honest = |b: &World, id: u64| !b.adv_leases.contains(&id);
        match *op {
            Adv::Provide(amount) => {
                let msg = ReceiveMsg::ProvideLiquidity {
                    min_shares: Uint128::zero(),
                    deadline: None,
                };
                let _ = b.send(ADV, amount, &msg);
            }
            Adv::Withdraw(permille) => {
                let shares = b.liquidity(ADV).shares.multiply_ratio(permille, 1_000u128);
                let msg = ExecuteMsg::WithdrawLiquidity {
                    shares,
                    min_out: Uint128::zero(),
                    deadline: None,
                };
                let _ = b.exec(ADV, &msg);
            }
            Adv::Lease(stake, hours, renewals) => {
                if let Ok((id, _)) = b.lease(ADV, stake, hours, 10_000 * LOOP, renewals, None) {
                    b.adv_leases.push(id);
                }
            }
            Adv::Burst(stake, count) => {
                for _ in 0..count {
                    if let Ok((id, _)) = b.lease(ADV, stake, MIN_LEASE, 1_000 * LOOP, 0, None) {
                        b.adv_leases.push(id);
                    }
                }
            }
            Adv::Cancel(i) => {
                if let Some(lease_id) = pick(b, i) {
                    let min_refund = Uint128::zero();
                    let msg = ExecuteMsg::CancelLease {
                        lease_id,
                        min_refund,
                        deadline: None,
                    };
                    let ok = b.exec(ADV, &msg).is_ok();
                    assert!(
                        !(ok && honest(b, lease_id)),
                        "carol cancelled lease {lease_id}"
                    );
                }
            }
            Adv::Close(i) => {
                if let Some(lease_id) = pick(b, i) {
                    let ok = b.exec(ADV, &ExecuteMsg::CloseOrder { lease_id }).is_ok();
                    assert!(
                        !(ok && honest(b, lease_id)),
                        "carol closed order {lease_id}"
                    );
                }
            }
            Adv::Renew(i) => {
                if let Some(lease_id) = pick(b, i)
                    && let Ok(response) = b.exec(ADV, &ExecuteMsg::RenewLease { lease_id })
                {
                    assert!(!honest(b, lease_id), "carol renewed dave's order");
                    b.adv_leases
                        .push(attr(&response, "lease_id").unwrap() as u64);
                }
            }
            Adv::RenewHonest => {
                if let Some(lease_id) = b.order {
                    let result = b.exec(ADV, &ExecuteMsg::RenewLease { lease_id });
                    assert!(result.is_err(), "carol renewed dave's order");
                }
            }
            Adv::Claim(stake) => {
                let own = self.b.adv_stakes.iter().position(|id| *id == stake);
                let ok = self
                    .b
                    .exec(ADV, &ExecuteMsg::Claim { stake_id: stake })
                    .is_ok();
                match own {
                    Some(i) if ok => {
                        let stake_id = self.a.adv_stakes[i];
                        let _ = self.a.exec(ADV, &ExecuteMsg::Claim { stake_id });
                    }
                    None => assert!(!ok, "carol claimed stake {stake}"),
                    _ => {}
                }
            }
            Adv::Dispute(i) => {
                if let Some(lease_id) = pick(b, i)
                    && let Some(lease) = b.lease_info(lease_id)
                {
                    let msg = ReceiveMsg::Dispute {
                        lease_id,
                        reason: "no access".into(),
                    };
                    if b.send(ADV, lease.paid.u128() / 10 + 1, &msg).is_ok() {
                        assert!(!honest(b, lease_id), "carol disputed dave's lease");
                        b.disputed.push(lease_id);
                    }
                }
            }
            Adv::Advance => {
                let _ = b.exec(ADV, &ExecuteMsg::AdvanceEpoch { max_epochs: None });
            }
            Adv::Stake(seller, epochs, rate_tenths) => {
                let rate = Decimal::from_ratio(rate_tenths, 10u64);
                // The same supply in both worlds: a stake one of the pools cannot price is made
                // in neither (before the seller budget, sellers' sales drained a pool's LOOP to
                // a few µLOOP: found at 10^6 steps).
                if !(b.can_supply(seller) && self.a.can_supply(seller)) {
                    return;
                }
                if let Ok(id) = b.stake(ADV, seller, epochs, rate, 10_000 * LOOP) {
                    let a = self.a.stake(ADV, seller, epochs, rate, 10_000 * LOOP);
                    let a = a.unwrap_or_else(|e| {
                        panic!(
                            "supply mirrored in A: {}; A {:?}; B {:?}",
                            e.root_cause(),
                            self.a.pool(),
                            self.b.pool()
                        )
                    });
                    self.b.adv_stakes.push(id);
                    self.a.adv_stakes.push(a);
                }
            }
            Adv::ClaimLeaseRewards(i) => {
                // Rule 5: only its own leases, and never more than half their fee.
                if let Some(lease_id) = pick(b, i)
                    && let Some(lease) = b.lease_info(lease_id)
                {
                    let msg = ExecuteMsg::ClaimLeaseRewards {
                        lease_ids: vec![lease_id],
                    };
                    if let Ok(response) = b.exec(ADV, &msg) {
                        assert!(!honest(b, lease_id), "carol claimed dave's lease rewards");
                        let paid = attr(&response, "rewards").unwrap();
                        let fee = fee_on(lease.paid.u128(), Decimal::permille(3)).unwrap();
                        assert!(2 * paid <= fee, "lease {lease_id} paid {paid}, fee {fee}");
                    }
                }
            }
            Adv::MeddleWithStake(i) => {
                let (name, stake_id) = SUPPLIERS[i % SUPPLIERS.len()];
                let renew = ExecuteMsg::Renew {
                    stake_id,
                    epochs: None,
                };
                assert!(b.exec(ADV, &renew).is_err(), "carol renewed {name}'s stake");
                let standing = ExecuteMsg::SetAutoRenew {
                    stake_id,
                    until_epoch: Some(100),
                };
                let set = b.exec(ADV, &standing);
                assert!(set.is_err(), "carol set {name}'s standing renewal");
                let exit = b.exec(ADV, &ExecuteMsg::Exit { stake_id });
                assert!(exit.is_err(), "carol ended {name}'s stake");
                let top_up = b.send(ADV, LOOP, &ReceiveMsg::TopUp { stake_id });
                assert!(top_up.is_err(), "carol topped up {name}'s deposit");
            }
            Adv::ClaimLiquidityRewards => {
                let _ = b.exec(ADV, &ExecuteMsg::ClaimLiquidityRewards {});
            }
            Adv::RenewStake(i, epochs) => {
                let Some(&id) = b.adv_stakes.get(i % b.adv_stakes.len().max(1)) else {
                    return;
                };
                let renew = |stake_id| ExecuteMsg::Renew {
                    stake_id,
                    epochs: Some(epochs),
                };
                if b.exec(ADV, &renew(id)).is_ok() {
                    let stake_id = self.a.adv_stakes[i % self.a.adv_stakes.len()];
                    let renewed = self.a.exec(ADV, &renew(stake_id));
                    renewed.unwrap_or_else(|e| panic!("renewal mirrored in A: {}", e.root_cause()));
                }
            }
            Adv::ExitStake(i) => {
                let Some(&id) = b.adv_stakes.get(i % b.adv_stakes.len().max(1)) else {
                    return;
                };
                if b.exec(ADV, &ExecuteMsg::Exit { stake_id: id }).is_ok() {
                    let stake_id = self.a.adv_stakes[i % self.a.adv_stakes.len()];
                    let exited = self.a.exec(ADV, &ExecuteMsg::Exit { stake_id });
                    exited.unwrap_or_else(|e| panic!("exit mirrored in A: {}", e.root_cause()));
                }
            }
        }
    }

    fn genesis(&self) -> u64 {
        let config: ConfigResponse = self.b.query(&QueryMsg::Config {}).unwrap();
        config.genesis
    }

    pub(crate) fn apply(&mut self, step: &Step) {
        match *step {
            Step::Wait(seconds, keeper) => self.move_to(self.time() + seconds, keeper),
            Step::ToBoundary(before, keeper) => {
                let next = self.genesis() + (self.b.pool().clock_epoch + 1) * EPOCH - before;
                if next > self.time() {
                    self.move_to(next, keeper);
                }
            }
            Step::Lease(stake, hours, slack_pct) => self.honest_lease(stake, hours, slack_pct),
            Step::Order(stake, hours, price_pct) => self.honest_order(stake, hours, price_pct),
            Step::RenewOrder => self.renew_order(),
            Step::Claim(who) => {
                let (name, stake_id) = SUPPLIERS[who];
                self.b.reject_disputes();
                let _ = self.b.exec(name, &ExecuteMsg::Claim { stake_id });
                let _ = self.a.exec(name, &ExecuteMsg::Claim { stake_id });
            }
            Step::Adv(ref op) => self.adversary(op),
        }
    }

    /// Rules 1 and 2 (rule 1 where both worlds are up to date).
    pub(crate) fn compare(&self) {
        self.b.check_clients();
        self.a.check_clients();
        if !(self.a.current() && self.b.current()) {
            return;
        }
        for who in ["alice", "bob", "seller", "lp"] {
            let (a, b) = (self.a.value(who), self.b.value(who));
            assert!(
                b >= a - TOL,
                "{who} is worse off beside the adversary: {b} in B, {a} in A"
            );
        }
    }

    /// `LOOPIN_FAIRNESS_TRACE`: both pools after step `i`, and each change of an honest
    /// supplier's B − A beyond rounding since `last`.
    pub(crate) fn trace(&self, i: usize, step: &Step, last: &mut [i128; 4]) {
        let pool = |w: &World| {
            let p = w.pool();
            format!(
                "epoch {} x {} y {} shares {} seller hours {} escrow {}",
                p.epoch,
                p.reserves.hours,
                p.reserves.tokens,
                p.total_shares,
                p.seller_hours,
                p.escrow
            )
        };
        eprintln!(
            "step {i} {step:?}\n  A {}\n  B {}",
            pool(&self.a),
            pool(&self.b)
        );
        if !(self.a.current() && self.b.current()) {
            return;
        }
        for (k, who) in ["alice", "bob", "seller", "lp"].into_iter().enumerate() {
            let diff = self.b.value(who) - self.a.value(who);
            if (diff - last[k]).abs() > TOL {
                eprintln!("  {who}: B - A {} -> {diff}", last[k]);
                last[k] = diff;
            }
        }
    }

    /// Unwinds the adversary, ends every stake, claims everything, and checks rules 1 and 4.
    pub(crate) fn finish(&mut self) {
        let b = &mut self.b;
        for lease_id in b.adv_leases.clone() {
            let min_refund = Uint128::zero();
            let _ = b.exec(
                ADV,
                &ExecuteMsg::CancelLease {
                    lease_id,
                    min_refund,
                    deadline: None,
                },
            );
            let _ = b.exec(ADV, &ExecuteMsg::CloseOrder { lease_id });
        }
        let shares = b.liquidity(ADV).shares;
        if !shares.is_zero() {
            let msg = ExecuteMsg::WithdrawLiquidity {
                shares,
                min_out: Uint128::zero(),
                deadline: None,
            };
            b.exec(ADV, &msg).unwrap();
        }
        b.reject_disputes();
        self.b.close_order();
        self.a.close_order();
        self.compare();
        let ends = |w: &World| {
            let ids = SUPPLIERS
                .iter()
                .map(|(_, id)| *id)
                .chain(w.adv_stakes.clone());
            ids.map(|id| w.stake_state(id).end_epoch).max().unwrap()
        };
        let last = ends(&self.a).max(ends(&self.b));
        self.move_to(self.genesis() + (last + 1) * EPOCH, true);
        for w in [&mut self.a, &mut self.b] {
            while w
                .exec(
                    "keeper",
                    &ExecuteMsg::AdvanceEpoch {
                        max_epochs: Some(64),
                    },
                )
                .is_ok()
            {}
            let adv: Vec<_> = w.adv_stakes.iter().map(|id| (ADV, *id)).collect();
            for (who, stake_id) in SUPPLIERS.into_iter().chain(adv) {
                while w.exec(who, &ExecuteMsg::Claim { stake_id }).is_ok() {}
            }
            for who in ["lp", ADV] {
                let _ = w.exec(who, &ExecuteMsg::ClaimLiquidityRewards {});
            }
            w.p.check_invariants();
        }
        self.compare();
        let gain = self.b.value(ADV) - self.a.value(ADV);
        let overpay = self.overpay;
        assert!(
            gain <= overpay + TOL,
            "the adversary gained {gain}; clients overpaid {overpay}"
        );
    }
}
