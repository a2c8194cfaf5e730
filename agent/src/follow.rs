//! What the chain says the agent must serve: the leases on its stakes around the epoch being
//! delivered.

use crate::plan::LeaseView;
use loopin::pair::{LeasesResponse, PoolResponse, QueryMsg, StakeResponse, StakesResponse};
use loopin_chain_client::ChainQuerier;

/// The chain's view for one reconciliation pass.
#[derive(Clone, Debug)]
pub struct Snapshot {
    /// The epoch being delivered by the chain's clock.
    pub epoch: u64,
    pub leases: Vec<LeaseView>,
}

fn view(lease: loopin::pair::LeaseResponse, stake: &StakeResponse) -> LeaseView {
    LeaseView {
        id: lease.id,
        order: lease.order,
        epoch: lease.epoch,
        ssh_key: lease.ssh_key,
        client_key: lease.client_key.to_vec(),
        share: crate::accounts::Share {
            hours: lease.hours.u128(),
            hours_per_epoch: stake.hours_per_epoch.u128(),
        },
        access_posted: lease.access.is_some(),
        cancelled: lease.cancelled,
        completed: lease.completed,
        invalidated: stake.invalidated,
    }
}

/// Stakes of `owner` in `pair` (only `token_id`'s when set) with their leases from
/// `lookback` epochs before the current one up to it.
pub async fn snapshot(
    querier: &ChainQuerier,
    pair: &str,
    owner: &str,
    token_id: &str,
    lookback: u64,
) -> Result<Snapshot, loopin_chain_client::ClientError> {
    let pool: PoolResponse = querier.query_smart(pair, &QueryMsg::Pool {}).await?;
    let epoch = pool.clock_epoch;
    let first = epoch.saturating_sub(lookback);
    let mut stakes = Vec::new();
    let mut start_after = None;
    loop {
        let page: StakesResponse = querier
            .query_smart(
                pair,
                &QueryMsg::StakesByOwner {
                    owner: owner.to_string(),
                    start_after,
                    limit: Some(loopin::MAX_PAGE_LIMIT),
                },
            )
            .await?;
        let Some(last) = page.stakes.last() else {
            break;
        };
        start_after = Some(last.id);
        stakes.extend(page.stakes.into_iter().filter(|stake| {
            (token_id.is_empty() || stake.token_id == token_id) && stake.end_epoch > first
        }));
    }
    let mut leases = Vec::new();
    for stake in &stakes {
        for lease_epoch in first.max(stake.start_epoch)..=epoch.min(stake.end_epoch) {
            let page: LeasesResponse = querier
                .query_smart(
                    pair,
                    &QueryMsg::LeasesByStake {
                        stake_id: stake.id,
                        epoch: lease_epoch,
                    },
                )
                .await?;
            leases.extend(page.leases.into_iter().map(|lease| view(lease, stake)));
        }
    }
    Ok(Snapshot { epoch, leases })
}
