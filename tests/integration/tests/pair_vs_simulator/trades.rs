//! The trading calls on both pairs: stakes, leases and standing orders, cancels and closes,
//! passive liquidity in and out. Every call the contract accepts the simulator accepts with the
//! same numbers; passive liquidity the contract refuses the simulator refuses too.

use cosmwasm_std::{Decimal, HexBinary};
use loopin::pair::{ExecuteMsg, ReceiveMsg};
use loopin::stake_cert::StakeMode;
use loopin_integration_tests::protocol::{ACTORS, EPOCH, LOOP, SSH_KEY, attr};
use loopin_pool_math::HOUR;
use loopin_pool_math::capacity::hours_per_epoch;

use crate::world::{LeaseModel, StakeModel, World, number, uint};

pub fn stake(w: &mut World, who: usize, seller: bool, epochs: u64, rate_tenths: u64, extra: u128) {
    let owner = ACTORS[who];
    let rate = Decimal::from_ratio(rate_tenths, 10u64);
    let hours = hours_per_epoch(rate, EPOCH).unwrap().u128();
    let fee = w
        .params
        .economics
        .alpha
        .checked_mul(rate)
        .unwrap()
        .to_uint_ceil()
        .u128();
    let trading = w.sim.trading_epoch();
    let mode = if seller {
        StakeMode::Seller
    } else {
        StakeMode::LiquidityProvider
    };
    // A provider brings what matching the spot price takes (the rest comes back), or sets the
    // price with all it brings; a seller its deposit.
    let sets_price = w.sim.reserves.hours.is_zero();
    let (start, end) = if seller {
        (trading + 1, trading + 1 + epochs)
    } else {
        (trading, trading + epochs)
    };
    let deposit = w.seller_deposit(rate, hours, epochs);
    let amount = fee
        + if seller {
            deposit + extra * LOOP / 10
        } else if sets_price {
            (1 + extra) * LOOP
        } else {
            w.sim
                .reserves
                .matching_tokens(uint(hours))
                .map_or(0, |t| t.u128())
                + extra
        };
    w.devices += 1;
    let msg =
        w.p.stake_msg(owner, &format!("dev-{}", w.devices), mode, rate, epochs);
    let mut sim = w.sim.clone();
    let simulated = if seller {
        sim.hold(deposit);
        sim.register_seller(hours, end);
        Ok((0, deposit))
    } else {
        sim.stake_provider(hours, end, amount - fee)
    };
    let Ok(response) = w.p.send(owner, amount, &msg) else {
        return;
    };
    let (shares, _) = simulated.unwrap_or_else(|e| panic!("stake refused by the simulator: {e}"));
    assert_eq!(number(&response, "shares"), shares, "stake's shares");
    assert_eq!(
        number(&response, "deposit"),
        if seller { deposit } else { 0 }
    );
    assert_eq!(number(&response, "start_epoch"), u128::from(start));
    assert_eq!(number(&response, "end_epoch"), u128::from(end));
    w.sim = sim;
    w.stakes.push(StakeModel {
        id: number(&response, "stake_id") as u64,
        owner,
        provider: !seller,
        token_id: attr(&response, "token_id").unwrap(),
        hours,
        start,
        end,
        shares,
        deposit: if seller { deposit } else { 0 },
        paid_until: start,
        finished: false,
        rewards_owed: 0,
    });
    w.tally.stakes += 1;
    w.tally.sellers += usize::from(seller);
}

pub fn lease(
    w: &mut World,
    who: usize,
    stake: usize,
    hours_permille: u128,
    max: u128,
    renewals: u32,
) {
    if w.stakes.is_empty() {
        return;
    }
    let index = stake % w.stakes.len();
    let stake = w.stakes[index].clone();
    let (client, amount) = (ACTORS[who], max * LOOP);
    let msg = ReceiveMsg::Lease {
        stake_id: stake.id,
        hours: uint(hours_permille * HOUR / 1_000),
        client_key: HexBinary::from([5u8; 32]),
        ssh_key: SSH_KEY.into(),
        deadline: None,
        renewals: Some(renewals),
        max_renewal_price: None,
        renewer: None,
    };
    let Ok(response) = w.p.send(client, amount, &msg) else {
        return;
    };
    let swap = w
        .sim
        .lease(hours_permille * HOUR / 1_000, amount)
        .unwrap()
        .expect("the contract's lease within the client's LOOP");
    assert_eq!(
        number(&response, "paid"),
        swap.offer.u128(),
        "lease's price"
    );
    assert_eq!(
        number(&response, "hours"),
        swap.receive.u128(),
        "lease's hours"
    );
    let budget = if renewals > 0 {
        amount - swap.offer.u128()
    } else {
        0
    };
    w.sim.hold(budget);
    w.leases.push(LeaseModel {
        id: number(&response, "lease_id") as u64,
        client,
        stake: index,
        paid: swap.offer.u128(),
        rewards_left: None,
        epoch: w.sim.trading_epoch(),
        hours: swap.receive.u128(),
        budget,
        renewals_left: renewals,
        cancelled: false,
    });
    w.tally.leases += 1;
}

pub fn renew_order(w: &mut World, index: usize) {
    let lease = w.leases[index].clone();
    let client = w.p.addr(lease.client);
    let result =
        w.p.exec(&client, &ExecuteMsg::RenewLease { lease_id: lease.id });
    let Ok(response) = result else {
        return;
    };
    assert!(!lease.cancelled && lease.renewals_left > 0 && lease.epoch == w.sim.epoch);
    let bound = lease.budget / u128::from(lease.renewals_left);
    let swap = w
        .sim
        .renew_order(lease.hours, bound)
        .unwrap()
        .expect("a renewal within its bound");
    assert_eq!(
        number(&response, "paid"),
        swap.offer.u128(),
        "renewal's price"
    );
    assert_eq!(
        number(&response, "hours"),
        swap.receive.u128(),
        "renewal's hours"
    );
    w.leases[index].renewals_left = 0;
    w.leases[index].budget = 0;
    w.leases.push(LeaseModel {
        id: number(&response, "lease_id") as u64,
        paid: swap.offer.u128(),
        rewards_left: None,
        epoch: w.sim.trading_epoch(),
        hours: swap.receive.u128(),
        budget: lease.budget - swap.offer.u128(),
        renewals_left: lease.renewals_left - 1,
        ..lease
    });
    w.tally.renewals += 1;
}

pub fn close_or_cancel(w: &mut World, index: usize, cancel: bool) {
    let lease = w.leases[index].clone();
    let client = w.p.addr(lease.client);
    let msg = if cancel {
        ExecuteMsg::CancelLease {
            lease_id: lease.id,
            min_refund: uint(0),
            deadline: None,
        }
    } else {
        ExecuteMsg::CloseOrder { lease_id: lease.id }
    };
    let Ok(response) = w.p.exec(&client, &msg) else {
        return;
    };
    if cancel {
        assert!(!lease.cancelled && lease.epoch == w.sim.trading_epoch());
        let sale = w.sim.cancel(lease.hours).unwrap();
        assert_eq!(
            number(&response, "refund"),
            sale.receive.u128(),
            "cancel's refund"
        );
        assert_eq!(
            number(&response, "fee_burned"),
            sale.fee.u128(),
            "cancel's fee"
        );
        w.leases[index].cancelled = true;
        w.tally.cancels += 1;
    } else {
        assert_eq!(
            number(&response, "refund"),
            lease.budget,
            "order's budget back"
        );
        w.tally.closes += 1;
    }
    w.sim.release(lease.budget).unwrap();
    w.leases[index].budget = 0;
    w.leases[index].renewals_left = 0;
}

pub fn provide(w: &mut World, who: usize, amount: u128) {
    let msg = ReceiveMsg::ProvideLiquidity {
        min_shares: uint(0),
        deadline: None,
    };
    let mut sim = w.sim.clone();
    let simulated = sim.provide(amount * LOOP);
    match w.p.send(ACTORS[who], amount * LOOP, &msg) {
        Ok(response) => {
            let shares =
                simulated.unwrap_or_else(|e| panic!("provide refused by the simulator: {e}"));
            assert_eq!(number(&response, "shares"), shares, "provide's shares");
            w.sim = sim;
            w.passive_provided(ACTORS[who], shares);
            w.tally.provides += 1;
        }
        Err(e) => assert!(
            simulated.is_err(),
            "provide refused by the contract only: {e:?}"
        ),
    }
}

pub fn withdraw(w: &mut World, who: usize, permille: u128) {
    let held = w.p.liquidity(ACTORS[who]).shares.u128();
    let shares = held * permille / 1_000;
    if shares == 0 {
        return;
    }
    let msg = ExecuteMsg::WithdrawLiquidity {
        shares: uint(shares),
        min_out: uint(0),
        deadline: None,
    };
    let mut sim = w.sim.clone();
    let waiting = w.passive_waiting_part(ACTORS[who], shares);
    let simulated = sim.withdraw(shares, waiting);
    match w.p.exec(&w.p.addr(ACTORS[who]), &msg) {
        Ok(response) => {
            let paid =
                simulated.unwrap_or_else(|e| panic!("withdrawal refused by the simulator: {e}"));
            assert_eq!(number(&response, "amount"), paid.out, "withdrawal's pay");
            assert_eq!(
                number(&response, "fee_burned"),
                paid.fee,
                "withdrawal's fee"
            );
            w.sim = sim;
            w.passive_withdrawn(ACTORS[who], shares, waiting);
            w.withdrawn_this_epoch = true;
            w.tally.withdrawals += 1;
        }
        Err(e) => assert!(
            simulated.is_err(),
            "withdrawal refused by the contract only: {e:?}"
        ),
    }
}

/// The owner renews stake `index` by `epochs` before its last epoch is traded.
pub fn renew_stake(w: &mut World, index: usize, epochs: u32) {
    let stake = w.stakes[index].clone();
    let owner = w.p.addr(stake.owner);
    let msg = ExecuteMsg::Renew {
        stake_id: stake.id,
        epochs: Some(epochs),
    };
    let Ok(response) = w.p.exec(&owner, &msg) else {
        return;
    };
    assert!(
        stake.end > w.sim.trading_epoch(),
        "{stake:?} renewed too late"
    );
    let new_end = stake.end + u64::from(epochs);
    assert_eq!(number(&response, "end_epoch"), u128::from(new_end));
    w.sim.move_end(
        stake.provider,
        stake.hours,
        stake.shares,
        stake.end,
        new_end,
    );
    w.stakes[index].end = new_end;
    w.tally.renewed_stakes += 1;
}
