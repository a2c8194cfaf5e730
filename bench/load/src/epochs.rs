//! A day of epochs under load: clients lease hours each epoch, the chain's clock moves one
//! epoch, and the epoch keeper (`loopin_relayer::keeper::Keeper`, what `loopin-network keeper`
//! runs) advances the pool; then a pause of `k` epochs and the keeper's catch-up.

use std::time::Instant;

use cosmwasm_std::{HexBinary, Uint128};
use loopin::pair::ReceiveMsg;
use loopin_relayer::keeper::Keeper;

use crate::cast::{Cast, LOOP, each, send_loop};
use crate::gas::GasBook;

/// A quarter of a device's hour per lease (micro-hours), as the main job's clients lease.
const LEASE_HOURS: u128 = 250_000;
/// The most a lease pays (the rest is refunded).
const LEASE_MAX: u128 = 200 * LOOP;

/// One epoch of the run.
#[derive(Clone, Debug, Default)]
pub struct EpochRow {
    pub leases: u64,
    pub refused: u64,
    /// From the first lease to the keeper's advance confirmed.
    pub wall_s: f64,
    pub blocks: i64,
    /// The keeper's tick (`advance_due`).
    pub keeper_s: f64,
    pub gas: GasBook,
}

/// The keeper's catch-up after a pause.
#[derive(Clone, Debug, Default)]
pub struct CatchUp {
    pub paused: u64,
    pub ticks: u64,
    pub advances: usize,
    pub wall_s: f64,
    pub gas: GasBook,
}

/// The keeper's settlement of unproven epochs, one tick.
#[derive(Clone, Debug, Default)]
pub struct Settled {
    pub settled: usize,
    pub wall_s: f64,
    pub gas: GasBook,
}

/// The epoch keeper of the pool, signing with the keeper's account.
pub fn keeper(cast: &mut Cast) -> anyhow::Result<Keeper> {
    let client = cast
        .keeper
        .take()
        .ok_or_else(|| anyhow::anyhow!("the keeper runs once"))?;
    Ok(Keeper::new(client, vec![cast.pool.clone()]))
}

/// Epoch `epoch`'s leases: `count` of them, client `j % clients` buying on the stakes in turn.
async fn leases(cast: &Cast, epoch: u64, count: usize) -> anyhow::Result<(u64, u64)> {
    let clients = cast.clients.len();
    let per_client: Vec<Vec<usize>> = (0..clients)
        .map(|c| (c..count).step_by(clients).collect())
        .collect();
    let n = cast.stake_ids.len();
    let results = each(per_client.into_iter().enumerate().collect(), cast.concurrency, |(c, jobs)| async move {
        let (mut ok, mut refused) = (0, 0);
        for j in jobs {
            let stake_id = cast.stake_ids[(epoch as usize * count + j) % n];
            let lease = ReceiveMsg::Lease {
                stake_id,
                hours: Uint128::new(LEASE_HOURS),
                client_key: HexBinary::from([c as u8; 32].to_vec()),
                ssh_key: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA/sviTJfQXJKl0MknakEdkHhZdlVSTJbzhi3Oejh+S5".into(),
                deadline: None,
                renewals: None,
                max_renewal_price: None,
                renewer: None,
            };
            match send_loop(&cast.clients[c], &cast.deployment.token, &cast.pool, LEASE_MAX, &lease).await {
                Ok(_) => ok += 1,
                Err(e) => {
                    refused += 1;
                    eprintln!("lease on stake {stake_id} refused: {e}");
                }
            }
        }
        Ok((ok, refused))
    })
    .await?;
    Ok(results.iter().fold((0, 0), |(a, b), (x, y)| (a + x, b + y)))
}

/// One epoch: `count` leases, the clock moved `epoch_seconds`, the keeper's tick.
pub async fn epoch(
    cast: &Cast,
    keeper: &Keeper,
    epoch: u64,
    count: usize,
    epoch_seconds: u64,
) -> anyhow::Result<EpochRow> {
    let (h0, _) = cast.querier.latest_block().await?;
    let start = Instant::now();
    let (leases, refused) = leases(cast, epoch, count).await?;
    cast.chain.advance(epoch_seconds).await;
    let tick = Instant::now();
    let advanced = keeper.advance_due().await?;
    anyhow::ensure!(advanced == 1, "the keeper advanced {advanced} pools");
    let keeper_s = tick.elapsed().as_secs_f64();
    let wall_s = start.elapsed().as_secs_f64();
    let (h1, gas) = gas_since(cast, h0).await?;
    Ok(EpochRow {
        leases,
        refused,
        wall_s,
        blocks: h1 - h0,
        keeper_s,
        gas,
    })
}

/// The chain's height now and the gas of every transaction in the blocks after `h0` up to it.
async fn gas_since(cast: &Cast, h0: i64) -> anyhow::Result<(i64, GasBook)> {
    let (h1, _) = cast.querier.latest_block().await?;
    let mut gas = GasBook::default();
    gas.read_blocks(&cast.querier, h0 + 1, h1).await?;
    Ok((h1, gas))
}

/// The keeper is away for `paused` epochs; its ticks until the pool is current.
pub async fn catch_up(
    cast: &Cast,
    keeper: &Keeper,
    paused: u64,
    epoch_seconds: u64,
) -> anyhow::Result<CatchUp> {
    cast.chain.advance(paused * epoch_seconds).await;
    let (h0, _) = cast.querier.latest_block().await?;
    let start = Instant::now();
    let (mut ticks, mut advances) = (0, 0);
    loop {
        let n = keeper.advance_due().await?;
        ticks += 1;
        if n == 0 {
            break;
        }
        advances += n;
    }
    let wall_s = start.elapsed().as_secs_f64();
    let (_, gas) = gas_since(cast, h0).await?;
    Ok(CatchUp {
        paused,
        ticks,
        advances,
        wall_s,
        gas,
    })
}

/// One tick of the keeper's settlement of ended, unproven epochs (`settle_due`).
pub async fn settle(cast: &Cast, keeper: &Keeper) -> anyhow::Result<Settled> {
    let (h0, _) = cast.querier.latest_block().await?;
    let start = Instant::now();
    let settled = keeper.settle_due().await?;
    let wall_s = start.elapsed().as_secs_f64();
    let (_, gas) = gas_since(cast, h0).await?;
    Ok(Settled {
        settled,
        wall_s,
        gas,
    })
}
