//! Standing orders (docs/pair.md, "a job longer than an epoch"): a long-job client's first lease
//! keeps a budget in escrow, and early in each following epoch its keeper renews the same hours
//! for the next epoch at the price then, at most the client's maximum price per device-hour
//! (`max_renewal_price`) and the budget split over the renewals left. A refused renewal closes
//! the order (the budget is returned) and the client buys again, as a new order.

use loopin_pool_math::{HOUR, MathError};

use crate::agents::Order;
use crate::sim::{Sim, hours_f, to_loop};

impl Sim {
    /// After a long-job client's first lease of `hours`: escrows the budget of its renewals.
    pub(crate) fn open_order(&mut self, i: usize, hours: u128) -> Result<(), MathError> {
        let client = &self.clients[i];
        let renewals = client.job_epochs.saturating_sub(1);
        if renewals == 0 || hours == 0 {
            return Ok(());
        }
        let budget = to_loop(client.max_price * hours_f(hours)) * renewals as u128;
        self.pair.hold(budget);
        self.clients[i].order = Some(Order {
            hours,
            renewals_left: renewals,
            budget,
        });
        Ok(())
    }

    /// A keeper renews client `i`'s standing order for the trading epoch; returns whether it
    /// bought the epoch's hours (if not, the client buys as a spot client would).
    pub(crate) fn renew_order(&mut self, i: usize) -> Result<bool, MathError> {
        let client = self.clients[i].clone();
        let Some(mut order) = client.order else {
            return Ok(false);
        };
        let bound = (order.budget / u128::from(order.renewals_left.max(1)))
            .min(to_loop(client.max_price * hours_f(order.hours)));
        let bought = if order.hours < self.pair.reserves.hours.u128() {
            self.pair.renew_order(order.hours, bound)?
        } else {
            None
        };
        let Some(swap) = bought else {
            // Refused (above the bound, or not enough hours): closed, the budget returned.
            self.pair.release(order.budget)?;
            self.clients[i].order = None;
            return Ok(false);
        };
        let want = client.demand(&self.s.clients, self.pair.epoch, &mut self.rng);
        self.rec.demanded += want;
        if client.max_price >= self.s.baseline_price {
            self.rec.baseline_hours += want;
        }
        let (hours, paid) = (swap.receive.u128(), swap.offer.u128());
        self.book_lease(hours, paid, swap.fee.u128())?;
        self.rec.standing_leased += hours as f64 / HOUR as f64;
        order.budget -= paid;
        order.renewals_left -= 1;
        if order.renewals_left == 0 {
            self.pair.release(order.budget)?;
            self.clients[i].order = None;
        } else {
            self.clients[i].order = Some(order);
        }
        Ok(true)
    }
}
