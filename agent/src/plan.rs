//! Reconciliation as a pure function: from the leases on chain and the accounts on the system,
//! the actions that make the system match the chain.
//!
//! The agent keeps no state of its own: every pass compares the chain with the system, so a
//! restart after any crash converges — leases that started while it was down get their account,
//! accounts of leases that ended are removed, and nothing that exists is created again.

use crate::accounts::{ManagedAccount, Share};
use crate::username::Username;
use loopin::access::SshPublicKey;
use std::collections::{BTreeMap, BTreeSet};

/// A lease on one of the agent's devices, as the chain has it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeaseView {
    pub id: u64,
    /// The standing order it belongs to: one account per order.
    pub order: u64,
    pub epoch: u64,
    pub ssh_key: String,
    pub client_key: Vec<u8>,
    /// Its share of the device: `hours` of the stake's `hours_per_epoch`.
    pub share: Share,
    pub access_posted: bool,
    pub cancelled: bool,
    pub completed: bool,
    /// The device behind it was invalidated.
    pub invalidated: bool,
}

impl LeaseView {
    /// Being delivered in `epoch`.
    fn active_in(&self, epoch: u64) -> bool {
        self.epoch == epoch && !self.cancelled && !self.invalidated
    }

    /// Nothing more to deliver.
    fn over_at(&self, epoch: u64) -> bool {
        self.epoch < epoch || self.cancelled || self.invalidated
    }
}

/// One step towards the chain's state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Ends the account's sessions and removes it with its files.
    Remove(Username),
    /// Creates the account (if missing) with the client's key, its sandbox sized for `share`.
    Provision {
        user: Username,
        key: SshPublicKey,
        share: Share,
    },
    /// Posts the sealed access details of a lease.
    PostAccess {
        lease_id: u64,
        user: Username,
        client_key: Vec<u8>,
    },
    /// Records on chain that a lease is over and its account gone (or serving its renewal).
    Complete { lease_id: u64, order: u64 },
}

/// What one pass does, and the leases it refuses to serve.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// In order: removals, provisioning, access, completion.
    pub actions: Vec<Action>,
    /// Active leases not served, with the reason (a key the agent's own check refuses).
    pub refused: Vec<(u64, String)>,
}

/// The actions for `epoch` (the epoch being delivered by the chain's clock).
pub fn plan(
    prefix: &str,
    epoch: u64,
    leases: &[LeaseView],
    accounts: &[ManagedAccount],
) -> Result<Plan, crate::username::UsernameError> {
    let mut result = Plan::default();
    // Orders being delivered, with the key of their active lease.
    let mut desired: BTreeMap<u64, (SshPublicKey, Share)> = BTreeMap::new();
    for lease in leases.iter().filter(|lease| lease.active_in(epoch)) {
        match SshPublicKey::parse(&lease.ssh_key) {
            Ok(key) => {
                desired.entry(lease.order).or_insert((key, lease.share));
            }
            Err(error) => result.refused.push((lease.id, error.to_string())),
        }
    }
    let present: BTreeMap<u64, &ManagedAccount> = accounts
        .iter()
        .map(|account| (account.user.order(), account))
        .collect();
    for account in accounts {
        if !desired.contains_key(&account.user.order()) {
            result.actions.push(Action::Remove(account.user.clone()));
        }
    }
    for (order, (key, share)) in &desired {
        if !present
            .get(order)
            .is_some_and(|account| account.provisioned)
        {
            result.actions.push(Action::Provision {
                user: Username::for_order(prefix, *order)?,
                key: key.clone(),
                share: *share,
            });
        }
    }
    let refused: BTreeSet<u64> = result.refused.iter().map(|(id, _)| *id).collect();
    for lease in leases.iter().filter(|lease| lease.active_in(epoch)) {
        if !lease.access_posted && !refused.contains(&lease.id) {
            result.actions.push(Action::PostAccess {
                lease_id: lease.id,
                user: Username::for_order(prefix, lease.order)?,
                client_key: lease.client_key.clone(),
            });
        }
    }
    for lease in leases.iter().filter(|lease| lease.over_at(epoch)) {
        if !lease.completed {
            result.actions.push(Action::Complete {
                lease_id: lease.id,
                order: lease.order,
            });
        }
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA/sviTJfQXJKl0MknakEdkHhZdlVSTJbzhi3Oejh+S5";
    const SHARE: Share = Share {
        hours: 1,
        hours_per_epoch: 4,
    };

    fn lease(id: u64, order: u64, epoch: u64) -> LeaseView {
        LeaseView {
            id,
            order,
            epoch,
            ssh_key: KEY.into(),
            client_key: vec![1; 32],
            share: SHARE,
            access_posted: false,
            cancelled: false,
            completed: false,
            invalidated: false,
        }
    }

    fn account(order: u64, provisioned: bool) -> ManagedAccount {
        ManagedAccount {
            user: Username::for_order("lpn", order).unwrap(),
            uid: Some(2000 + order as u32),
            provisioned,
        }
    }

    fn user(order: u64) -> Username {
        Username::for_order("lpn", order).unwrap()
    }

    #[test]
    fn a_starting_lease_gets_an_account_and_its_access() {
        let plan = plan("lpn", 5, &[lease(3, 3, 5), lease(4, 4, 6)], &[]).unwrap();
        assert_eq!(
            plan.actions,
            vec![
                Action::Provision {
                    user: user(3),
                    key: SshPublicKey::parse(KEY).unwrap(),
                    share: SHARE,
                },
                Action::PostAccess {
                    lease_id: 3,
                    user: user(3),
                    client_key: vec![1; 32]
                },
            ]
        );
    }

    #[test]
    fn a_provisioned_lease_with_access_needs_nothing() {
        let mut posted = lease(3, 3, 5);
        posted.access_posted = true;
        assert_eq!(
            plan("lpn", 5, &[posted], &[account(3, true)]).unwrap(),
            Plan::default()
        );
    }

    #[test]
    fn a_half_provisioned_account_is_finished_not_recreated() {
        let plan = plan("lpn", 5, &[lease(3, 3, 5)], &[account(3, false)]).unwrap();
        assert_eq!(plan.actions.len(), 2);
        assert!(matches!(&plan.actions[0], Action::Provision { user: u, .. } if *u == user(3)));
    }

    #[test]
    fn after_downtime_ended_leases_are_cleaned_and_new_ones_provisioned() {
        // Down during epochs 5-6: lease 3 (epoch 5) ended, lease 9 (epoch 7) started.
        let mut ended = lease(3, 3, 5);
        ended.access_posted = true;
        let plan = plan("lpn", 7, &[ended, lease(9, 9, 7)], &[account(3, true)]).unwrap();
        assert_eq!(
            plan.actions,
            vec![
                Action::Remove(user(3)),
                Action::Provision {
                    user: user(9),
                    key: SshPublicKey::parse(KEY).unwrap(),
                    share: SHARE,
                },
                Action::PostAccess {
                    lease_id: 9,
                    user: user(9),
                    client_key: vec![1; 32]
                },
                Action::Complete {
                    lease_id: 3,
                    order: 3
                },
            ]
        );
    }

    #[test]
    fn a_renewed_order_keeps_its_account() {
        // Lease 3 (epoch 5) renewed as lease 8 (epoch 6) of order 3.
        let mut first = lease(3, 3, 5);
        first.access_posted = true;
        let plan = plan("lpn", 6, &[first, lease(8, 3, 6)], &[account(3, true)]).unwrap();
        assert_eq!(
            plan.actions,
            vec![
                Action::PostAccess {
                    lease_id: 8,
                    user: user(3),
                    client_key: vec![1; 32]
                },
                Action::Complete {
                    lease_id: 3,
                    order: 3
                },
            ]
        );
    }

    #[test]
    fn invalidation_and_cancellation_end_access_at_once() {
        let mut invalidated = lease(3, 3, 5);
        invalidated.invalidated = true;
        let mut cancelled = lease(4, 4, 6);
        cancelled.cancelled = true;
        let plan = plan("lpn", 5, &[invalidated, cancelled], &[account(3, true)]).unwrap();
        assert_eq!(
            plan.actions,
            vec![
                Action::Remove(user(3)),
                Action::Complete {
                    lease_id: 3,
                    order: 3
                },
                Action::Complete {
                    lease_id: 4,
                    order: 4
                },
            ]
        );
    }

    #[test]
    fn a_lease_with_a_hostile_key_is_refused_not_served() {
        let mut hostile = lease(3, 3, 5);
        hostile.ssh_key = format!("command=\"sh\" {KEY}");
        let plan = plan("lpn", 5, &[hostile], &[]).unwrap();
        assert!(plan.actions.is_empty());
        assert_eq!(plan.refused.len(), 1);
        assert_eq!(plan.refused[0].0, 3);
    }

    #[test]
    fn completed_leases_are_not_completed_again() {
        let mut done = lease(3, 3, 4);
        done.completed = true;
        assert_eq!(plan("lpn", 5, &[done], &[]).unwrap(), Plan::default());
    }
}
