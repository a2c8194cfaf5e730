//! Summaries of a run and CSV output.

use std::fmt::Write as _;
use std::io;
use std::path::Path;

use crate::sim::{EpochRecord, Outcome};

/// The headline numbers of a run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Summary {
    pub demanded: f64,
    pub leased: f64,
    /// Leased hours clients wanted: per epoch, the lesser of leased and demanded (a pool with
    /// almost no LOOP rounds purchases up to far more hours than asked).
    pub useful: f64,
    pub baseline_hours: f64,
    /// LOOP per useful device-hour that clients paid (fees included, refunds deducted).
    pub client_cost: f64,
    /// Client payments plus emission per leased hour: what miners and verifiers are paid per
    /// hour, counting what token holders pay through dilution.
    pub cost_with_issuance: f64,
    /// `client_cost / baseline price`.
    pub cost_ratio: f64,
    pub mean_utilisation: f64,
    pub mean_price: f64,
    pub emission: f64,
    pub burned: f64,
    pub miners: usize,
    /// Mean net LOOP per committed device-hour over finished, valid stakes, before costs.
    pub miner_net_per_hour: f64,
    /// Mean return on outlay, `(net − operating cost) / (LOOP put in + operating cost)`, over
    /// finished valid stakes.
    pub miner_roi: f64,
    /// Eq. (7) under the contract's rules: mean `(rewards − staking fee − maintenance) / T` over
    /// every finished stake, invalidated ones (which forfeit their rewards) included.
    pub miner_reward_net_per_hour: f64,
    pub invalidated: usize,
    pub undelivered: f64,
    /// Exchange fees clients' leases burned, per useful hour.
    pub lease_fee_per_hour: f64,
    /// Client rewards earned (delivered leases), per useful hour.
    pub client_reward_per_hour: f64,
    /// `client_cost` less the client reward, LOOP valued as everywhere here (constant).
    pub client_net_cost: f64,
    /// Mean utilisation reward per committed device-hour over finished, valid stakes.
    pub miner_utilisation_per_hour: f64,
    /// Utilisation rewards earned by every stake, LOOP.
    pub miner_lease_rewards: f64,
    /// The passive provider's return over the run, with and without its liquidity reward, and
    /// the reward earned (LOOP).
    pub passive_return: f64,
    pub passive_return_without_rewards: f64,
    pub passive_rewards: f64,
    /// Rewards still owed at the end (the cap left them for later claims), and the epochs that
    /// ended with rewards owed.
    pub owed: f64,
    pub owed_epochs: usize,
    /// Device-hours leased by standing orders.
    pub standing_leased: f64,
}

impl Summary {
    pub fn of(outcome: &Outcome) -> Self {
        let r = &outcome.records;
        let sum = |f: fn(&EpochRecord) -> f64| r.iter().map(f).sum::<f64>();
        let leased = sum(|e| e.leased);
        let paid = sum(|e| e.client_paid);
        let emission = sum(|e| e.emission());
        let client_rewards = sum(|e| e.client_rewards);
        let owed = r.last().map_or(0.0, |e| e.owed);
        let burned = sum(|e| e.burned());
        let n = r.len().max(1) as f64;
        let done: Vec<_> = outcome
            .miners
            .iter()
            .filter(|m| m.finished && !m.invalidated)
            .collect();
        let hours = |m: &crate::agents::Miner| {
            (m.hours * (m.end - m.start) as u128) as f64 / loopin_pool_math::HOUR as f64
        };
        let count = done.len().max(1) as f64;
        let useful = sum(|e| e.leased.min(e.demanded));
        let per = |x: f64| if useful > 0.0 { x / useful } else { 0.0 };
        Summary {
            demanded: sum(|e| e.demanded),
            leased,
            useful,
            baseline_hours: sum(|e| e.baseline_hours),
            client_cost: per(paid),
            cost_with_issuance: per(paid - client_rewards + emission + owed),
            cost_ratio: per(paid) / outcome.scenario.baseline_price,
            mean_utilisation: sum(|e| e.utilisation) / n,
            mean_price: sum(|e| e.price) / n,
            emission,
            burned,
            miners: outcome.miners.len(),
            miner_net_per_hour: done.iter().map(|m| m.net() / 1e6 / hours(m)).sum::<f64>() / count,
            miner_roi: done
                .iter()
                .map(|m| {
                    let cost = m.cost * hours(m);
                    (m.net() / 1e6 - cost) / (m.paid_in as f64 / 1e6 + cost)
                })
                .sum::<f64>()
                / count,
            miner_reward_net_per_hour: {
                let ended: Vec<_> = outcome.miners.iter().filter(|m| m.finished).collect();
                ended
                    .iter()
                    .map(|m| (m.rewards as f64 - m.fees as f64) / 1e6 / hours(m))
                    .sum::<f64>()
                    / ended.len().max(1) as f64
            },
            invalidated: outcome.miners.iter().filter(|m| m.invalidated).count(),
            undelivered: sum(|e| e.undelivered),
            lease_fee_per_hour: per(sum(|e| e.lease_fees)),
            client_reward_per_hour: per(client_rewards),
            client_net_cost: per(paid - client_rewards),
            miner_utilisation_per_hour: done
                .iter()
                .map(|m| m.utilisation as f64 / 1e6 / hours(m))
                .sum::<f64>()
                / count,
            miner_lease_rewards: sum(|e| e.miner_lease_rewards),
            passive_return: outcome.passive.returns().0,
            passive_return_without_rewards: outcome.passive.returns().1,
            passive_rewards: outcome.passive.earned as f64 / 1e6,
            owed,
            owed_epochs: r.iter().filter(|e| e.owed > 0.0).count(),
            standing_leased: sum(|e| e.standing_leased),
        }
    }

    /// `name,value` lines.
    pub fn to_csv(&self) -> String {
        format!(
            "metric,value\ndemanded_hours,{}\nleased_hours,{}\nuseful_hours,{}\nbaseline_hours,{}\nclient_cost_per_hour,{}\n\
             cost_with_issuance_per_hour,{}\ncost_ratio_to_baseline,{}\nmean_utilisation,{}\nmean_price,{}\n\
             emission,{}\nburned,{}\nminers,{}\nminer_net_per_hour,{}\nminer_roi,{}\nminer_reward_net_per_hour,{}\ninvalidated,{}\n\
             undelivered_hours,{}\nlease_fee_per_hour,{}\nclient_reward_per_hour,{}\nclient_net_cost_per_hour,{}\n\
             miner_utilisation_reward_per_hour,{}\nminer_lease_rewards,{}\npassive_return,{}\n\
             passive_return_without_rewards,{}\npassive_rewards,{}\nowed_at_end,{}\nepochs_ending_owed,{}\n\
             standing_leased_hours,{}\n",
            self.demanded,
            self.leased,
            self.useful,
            self.baseline_hours,
            self.client_cost,
            self.cost_with_issuance,
            self.cost_ratio,
            self.mean_utilisation,
            self.mean_price,
            self.emission,
            self.burned,
            self.miners,
            self.miner_net_per_hour,
            self.miner_roi,
            self.miner_reward_net_per_hour,
            self.invalidated,
            self.undelivered,
            self.lease_fee_per_hour,
            self.client_reward_per_hour,
            self.client_net_cost,
            self.miner_utilisation_per_hour,
            self.miner_lease_rewards,
            self.passive_return,
            self.passive_return_without_rewards,
            self.passive_rewards,
            self.owed,
            self.owed_epochs,
            self.standing_leased
        )
    }
}

/// The per-epoch report as CSV.
pub fn records_csv(records: &[EpochRecord]) -> String {
    let mut out = String::from(
        "epoch,price,reserve_hours,reserve_loop,capacity,demanded,baseline_hours,leased,utilisation,\
         client_paid,withdrawn,burned_fees,burned_staking,burned_maintenance,burned_slashed,\
         emission_miners,emission_verifiers,active_stakes,failed_undetected,invalidated,undelivered,\
         lease_fees,standing_leased,client_rewards,miner_lease_rewards,passive_rewards,\
         emission_clients,emission_passive,owed\n",
    );
    for r in records {
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            r.epoch,
            r.price,
            r.reserve_hours,
            r.reserve_loop,
            r.capacity,
            r.demanded,
            r.baseline_hours,
            r.leased,
            r.utilisation,
            r.client_paid,
            r.withdrawn,
            r.burned_fees,
            r.burned_staking,
            r.burned_maintenance,
            r.burned_slashed,
            r.emission_miners,
            r.emission_verifiers,
            r.active_stakes,
            r.failed_undetected,
            r.invalidated,
            r.undelivered,
            r.lease_fees,
            r.standing_leased,
            r.client_rewards,
            r.miner_lease_rewards,
            r.passive_rewards,
            r.emission_clients,
            r.emission_passive,
            r.owed
        );
    }
    out
}

/// A table of columns as CSV.
pub fn table_csv(header: &[&str], rows: &[Vec<f64>]) -> String {
    let mut out = header.join(",");
    out.push('\n');
    for row in rows {
        let cells: Vec<String> = row.iter().map(|v| v.to_string()).collect();
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    out
}

/// Writes `text` to `dir/name`.
pub fn write(dir: &Path, name: &str, text: &str) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join(name), text)
}
