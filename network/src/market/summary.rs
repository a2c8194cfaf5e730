//! The scenario's report: the supply audit, each cheater's end and verdicts, the proofs, and the
//! audits' and appeals' summaries.

use super::Market;
use super::epochs::Played;
use crate::audits::AuditStats;
use crate::error::Result;
use crate::report::{CheaterReport, Report, SupplyAudit, price_trends, proof_reports};

impl Market {
    /// The report of the epochs `played` (the audits' and appeals' summaries are printed).
    pub(super) async fn report(&mut self, played: Played, epoch_seconds: u64) -> Result<Report> {
        let supply = self.supply_audit().await?;
        let cheaters = self.cheater_reports(&played.invalidated_at);
        let delivered = self.pool_state().await?.epoch;
        let proofs = proof_reports(&self.bank.client, &self.pool, &self.miners, delivered).await?;
        let audits = AuditStats::sum(self.verifiers.iter().map(|v| &v.audits.stats));
        println!("{}", audits.summary());
        self.appeals.count_outcomes(&self.checks);
        println!("{}", self.appeals.summary());
        let (rose, fell) = price_trends(&played.rows, played.new_stakes_at as usize);
        Ok(Report {
            chain_id: self.config.deployment.chain_id.clone(),
            clock: self.clock,
            epoch_seconds,
            round_seconds: self.settings.round_seconds,
            rounds_overrun: self.rounds_overrun,
            pool: self.pool.clone(),
            registry: self.registry.clone(),
            epochs: played.rows,
            new_stakes_at_epoch: played.new_stakes_at,
            price_rose_as_capacity_dissipated: rose,
            price_fell_after_new_stakes: fell,
            cheaters,
            proofs,
            audits,
            appeals: self.appeals.clone(),
            checks: self.checks.clone(),
            supply,
        })
    }

    /// The token's supply audit, and every holder's balance summed against it.
    async fn supply_audit(&self) -> Result<SupplyAudit> {
        let (holders, sum_of_balances) = self.holders_sum().await?;
        let audit = self.supply().await?;
        Ok(SupplyAudit {
            initial: audit.initial_supply.u128(),
            minted: audit.minted.u128(),
            burned: audit.burned.u128(),
            total_supply: audit.total_supply.u128(),
            holders,
            sum_of_balances,
            balanced: audit.initial_supply + audit.minted - audit.burned == audit.total_supply
                && sum_of_balances == audit.total_supply.u128(),
        })
    }

    /// Each cheater: the epoch its device was invalidated (by `invalidated_at`, in the order of
    /// the miners) and the verdicts on it.
    fn cheater_reports(&self, invalidated_at: &[Option<u64>]) -> Vec<CheaterReport> {
        self.miners
            .iter()
            .zip(invalidated_at)
            .filter_map(|(mi, at)| {
                mi.plan.cheat.map(|cheat| CheaterReport {
                    miner: mi.plan.name.clone(),
                    cheat,
                    token_id: mi.token_id.clone(),
                    invalidated_at_epoch: *at,
                    verdicts: self
                        .checks
                        .iter()
                        .filter(|c| c.target == mi.token_id)
                        .cloned()
                        .collect(),
                })
            })
            .collect()
    }
}
