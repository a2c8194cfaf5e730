//! The main job's report: the live table's rows, the cheaters', proofs' and supply's sections,
//! the JSON written at the end and its chart.

use crate::appeals::AppealStats;
use crate::audits::AuditStats;
use crate::cheat::Cheat;
use crate::error::{NetworkError, Result};
use crate::miner::Miner;
use crate::verifier::Checked;
use loopin::pair::{EpochProofResponse, QueryMsg as PairQuery, StakeResponse};
use loopin_chain_client::ChainClient;
use serde::Serialize;

/// One line of the live table.
#[derive(Clone, Debug, Serialize)]
pub struct EpochRow {
    /// Last epoch processed by the pool.
    pub epoch: u64,
    /// Spot price (LOOP reserve / CPH reserve), LOOP per device-hour, at the start of the
    /// trading epoch.
    pub price: Option<f64>,
    /// Device-hours in the pool (the trading epoch's unleased hours).
    pub cph_reserve: f64,
    pub loop_reserve: f64,
    /// Device-hours per epoch committed by active stakes (providers + sellers).
    pub capacity: f64,
    /// Unleased hours of the epoch that started at the boundary: gone (dissipated).
    pub dissipated: f64,
    /// Hours leased by clients during the epoch.
    pub leased: f64,
    /// LOOP burned and minted (rewards) during the epoch.
    pub burned: f64,
    pub minted: f64,
    pub active_devices: usize,
    pub invalidated: Vec<String>,
}

/// A cheater and how it ended.
#[derive(Clone, Debug, Serialize)]
pub struct CheaterReport {
    pub miner: String,
    pub cheat: Cheat,
    pub token_id: String,
    pub invalidated_at_epoch: Option<u64>,
    /// The verdicts on its device.
    pub verdicts: Vec<Checked>,
}

/// What the pool recorded as proven of a miner's stake (docs/pair.md, "Proven epochs").
#[derive(Clone, Debug, Serialize)]
pub struct ProofReport {
    pub miner: String,
    pub cheat: Option<Cheat>,
    pub stake_id: u64,
    /// Epochs of the stake from its device's registration that had ended by the last row.
    pub ended_epochs: u64,
    /// Of those, the ones the registry's passes proved: the only ones that pay.
    pub proven_epochs: u64,
    /// Of the others, the ones settled (clients refunded; for a seller, the sale undone) by
    /// the keeper, an invalidation or the stake's own claim.
    pub settled_epochs: u64,
}

/// LOOP supply: the token's own audit against the sum of every holder's balance.
#[derive(Clone, Debug, Serialize)]
pub struct SupplyAudit {
    pub initial: u128,
    pub minted: u128,
    pub burned: u128,
    pub total_supply: u128,
    pub holders: usize,
    pub sum_of_balances: u128,
    pub balanced: bool,
}

/// The scenario's report.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub chain_id: String,
    /// Whose clock the scenario ran on (`Devnet`: fast-forwarded; `Real`: block time).
    pub clock: crate::clock::Clock,
    /// Seconds in an epoch and in a beacon round.
    pub epoch_seconds: u64,
    pub round_seconds: u64,
    /// Beacon rounds a real chain's clock passed while a round's work ran over (those rounds'
    /// challenges were not opened by the scenario's verifiers).
    pub rounds_overrun: u64,
    pub pool: String,
    pub registry: String,
    pub epochs: Vec<EpochRow>,
    pub new_stakes_at_epoch: u64,
    /// The price rose across the epochs where capacity shrank without new stakes.
    pub price_rose_as_capacity_dissipated: bool,
    /// The price fell at the epoch the new stakes joined.
    pub price_fell_after_new_stakes: bool,
    pub cheaters: Vec<CheaterReport>,
    pub proofs: Vec<ProofReport>,
    /// The verifier agents' audits of each other's Passes, summed.
    pub audits: AuditStats,
    /// Accusations of lateness and their appeals.
    pub appeals: AppealStats,
    pub checks: Vec<Checked>,
    pub supply: SupplyAudit,
}

pub(crate) fn print_header() {
    println!(
        "{:>5} {:>9} {:>8} {:>9} {:>8} {:>11} {:>7} {:>8} {:>8} {:>7}  invalidated",
        "epoch",
        "price",
        "CPH",
        "LOOP",
        "capacity",
        "dissipated",
        "leased",
        "burned",
        "rewards",
        "devices"
    );
}

pub(crate) fn print_row(r: &EpochRow) {
    println!(
        "{:>5} {:>9} {:>8.3} {:>9.3} {:>8.2} {:>11.3} {:>7.2} {:>8.3} {:>8.3} {:>7}  {}",
        r.epoch,
        r.price.map_or("-".into(), |p| format!("{p:.4}")),
        r.cph_reserve,
        r.loop_reserve,
        r.capacity,
        r.dissipated,
        r.leased,
        r.burned,
        r.minted,
        r.active_devices,
        r.invalidated.join(",")
    );
}

/// Starts `loopin-network keeper` for `pools` as its own process.
/// (the price rose over the epochs before the new stakes, it fell when they joined).
pub(crate) fn price_trends(rows: &[EpochRow], joined_row: usize) -> (bool, bool) {
    let price = |i: usize| rows.get(i).and_then(|r| r.price);
    let rose = match (price(0), joined_row.checked_sub(1).and_then(price)) {
        (Some(a), Some(b)) => b > a,
        _ => false,
    };
    let fell = match (joined_row.checked_sub(1).and_then(price), price(joined_row)) {
        (Some(a), Some(b)) => b < a,
        _ => false,
    };
    (rose, fell)
}

pub(crate) fn chart(report: &Report, path: &std::path::Path) -> Result<()> {
    use loopin_plot::{Panel, Series, panels};
    let price_title = format!("LooPIN on {}: price", report.chain_id);
    let reserve_title = format!("LooPIN on {}: CPH reserve", report.chain_id);
    let points = |f: &dyn Fn(&EpochRow) -> Option<f64>| -> Vec<(f64, f64)> {
        report
            .epochs
            .iter()
            .filter_map(|r| f(r).map(|y| (r.epoch as f64, y)))
            .collect()
    };
    panels(
        path,
        &[
            Panel {
                title: &price_title,
                x_label: "epoch",
                y_label: "LOOP per device-hour",
                series: vec![Series {
                    name: "spot price",
                    points: points(&|r| r.price),
                }],
            },
            Panel {
                title: &reserve_title,
                x_label: "epoch",
                y_label: "device-hours",
                series: vec![
                    Series {
                        name: "CPH reserve after the boundary",
                        points: points(&|r| Some(r.cph_reserve)),
                    },
                    Series {
                        name: "unleased hours dissipated at the boundary",
                        points: points(&|r| Some(r.dissipated)),
                    },
                ],
            },
        ],
    )
    .map_err(|e| NetworkError::Chart {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

/// Each miner's proven, ended and settled epochs, read from the pool once `delivered` epochs
/// are over, and printed as one line.
pub async fn proof_reports(
    client: &ChainClient,
    pool: &str,
    miners: &[Miner],
    delivered: u64,
) -> Result<Vec<ProofReport>> {
    let mut proofs = vec![];
    for mi in miners {
        let stake: StakeResponse = client
            .query_smart(
                pool,
                &PairQuery::Stake {
                    stake_id: mi.stake_id,
                },
            )
            .await?;
        let from = stake
            .verified_from
            .map_or(stake.end_epoch, |v| v.max(stake.start_epoch));
        let mut settled_epochs = 0;
        for epoch in from..stake.end_epoch.min(delivered) {
            let proof: EpochProofResponse = client
                .query_smart(
                    pool,
                    &PairQuery::EpochProof {
                        stake_id: mi.stake_id,
                        epoch,
                    },
                )
                .await?;
            settled_epochs += u64::from(proof.settled);
        }
        proofs.push(ProofReport {
            miner: mi.plan.name.clone(),
            cheat: mi.plan.cheat,
            stake_id: mi.stake_id,
            ended_epochs: stake.end_epoch.min(delivered).saturating_sub(from),
            proven_epochs: stake.proven_epochs,
            settled_epochs,
        });
    }
    let summary: Vec<String> = proofs
        .iter()
        .map(|p| {
            format!(
                "{} {}/{} ({} settled)",
                p.miner, p.proven_epochs, p.ended_epochs, p.settled_epochs
            )
        })
        .collect();
    println!(
        "proven epochs (only these pay; unproven ones settled): {}",
        summary.join(", ")
    );
    Ok(proofs)
}
