//! One epoch's trading and audits: the clients' leases, and each beacon round's verifier duties,
//! appeals and checks.

use super::{Market, hours_f};
use crate::actors::derived;
use crate::error::Result;
use cosmwasm_std::{HexBinary, Uint128};
use loopin::pair::{QueryMsg as PairQuery, ReceiveMsg};
use loopin::registry::DeviceStatus;
use loopin::stake_cert::StakeMode;
use loopin_pool_math::amm::Swap;
use std::time::Duration;

/// How long a round waits for the devices' provers to answer the audits of their Passes.
const ANSWERS: Duration = Duration::from_secs(5);

impl Market {
    /// Each client leases a quarter of a device's epoch (a quarter hour on the devnet) in the
    /// trading epoch on a live device, at most 5 % over the quote. Returns the hours leased.
    pub(super) async fn leases(&self, epoch: u64) -> Result<f64> {
        let mut leased = 0.0;
        let mut live = Vec::new();
        for m in &self.miners {
            if m.plan.mode == StakeMode::LiquidityProvider
                && self.device_status(&m.token_id).await? == DeviceStatus::Active
            {
                live.push(m.stake_id);
            }
        }
        if live.is_empty() {
            return Ok(0.0);
        }
        for (i, client) in self.clients.iter().enumerate() {
            let hours = Uint128::new(self.lease_hours);
            let quote: Swap = match client
                .client
                .query_smart(&self.pool, &PairQuery::SimulateLease { hours })
                .await
            {
                Ok(q) => q,
                Err(e) => {
                    tracing::info!(client = %client.name, error = %e, "no quote");
                    continue;
                }
            };
            let max_in = quote.offer.u128() + quote.offer.u128() / 20 + 1;
            let stake_id = live[(epoch as usize + i) % live.len()];
            let lease = ReceiveMsg::Lease {
                stake_id,
                hours,
                client_key: HexBinary::from(derived(&client.name, epoch)),
                ssh_key: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA/sviTJfQXJKl0MknakEdkHhZdlVSTJbzhi3Oejh+S5".into(),
                deadline: None,
                renewals: None,
                max_renewal_price: None,
                renewer: None,
            };
            match client
                .send_loop(&self.token, &self.pool, max_in, &lease)
                .await
            {
                Ok(_) => leased += hours_f(hours),
                Err(e) => {
                    tracing::info!(client = %client.name, stake_id, error = %e, "lease refused")
                }
            }
        }
        Ok(leased)
    }

    /// One beacon round: every verifier's duties, a pause for the provers to read their
    /// assignments, every verifier's check; then the clock moves to the next round.
    pub(super) async fn round(&mut self) -> Result<()> {
        let (_, started) = self.bank.client.latest_block().await?;
        let duties = futures::future::join_all(self.verifiers.iter_mut().map(|v| v.duties())).await;
        for r in duties {
            if let Err(e) = r {
                tracing::warn!(error = %e, "verifier duties");
            }
        }
        // Owners of accused devices appeal and draw, before the provers read their assignments.
        for miner in &self.miners {
            let followed = self
                .appeals
                .follow(&miner.actor, &self.registry, &miner.token_id)
                .await;
            if let Err(e) = followed {
                tracing::warn!(miner = %miner.plan.name, error = %e, "appeal step");
            }
        }
        tokio::time::sleep(Duration::from_millis(800)).await;
        let settings = self.settings.clone();
        let checks =
            futures::future::join_all(self.verifiers.iter_mut().map(|v| v.check(&settings))).await;
        for r in checks {
            match r {
                Ok(checked) => {
                    for c in checked {
                        tracing::info!(verifier = %c.verifier, target = %c.target, outcome = ?c.outcome, appeal = c.appeal, on_chain = %c.on_chain, "verdict");
                        self.checks.push(c);
                    }
                }
                Err(e) => tracing::warn!(error = %e, "verifier check"),
            }
        }
        let honest: Vec<String> = (self.miners.iter())
            .filter(|m| m.plan.cheat.is_none())
            .map(|m| m.token_id.clone())
            .collect();
        crate::audits::await_device_answers(&self.bank, &self.registry, &honest, ANSWERS).await;
        let genesis = self.genesis;
        let overrun = (self.clock)
            .next_round(
                &self.bank.client,
                genesis,
                self.settings.round_seconds,
                started,
            )
            .await?;
        if overrun > 0 {
            tracing::warn!(overrun, "a beacon round's work ran over into the next");
            self.rounds_overrun += overrun;
        }
        Ok(())
    }
}
