//! Appeals in the main job: a miner whose device is accused of lateness appeals and has its
//! appeal drawn, as its owner would; the verifier agents run the appeal challenges they are drawn
//! for ([`crate::verifier::VerifierAgent::check`]); an accusation nobody appealed in time is
//! finalized by whoever meets it.

use crate::actors::Actor;
use crate::error::Result;
use crate::verifier::Checked;
use loopin::registry::{DeviceResponse, DeviceStatus, ExecuteMsg, QueryMsg};
use serde::Serialize;
use std::collections::HashSet;

/// What the scenario's owners did about accusations, and how the appeals ended.
#[derive(Clone, Debug, Default, Serialize)]
pub struct AppealStats {
    /// Accusations seen (device, lateness window).
    pub accused: u32,
    pub appealed: u32,
    pub drawn: u32,
    /// Accusations invalidated for want of an appeal.
    pub finalized: u32,
    /// Appeals decided by the drawn verifiers' verdicts (from the agents' submissions).
    pub upheld: u32,
    pub lost: u32,
    pub undecided: u32,
    #[serde(skip)]
    seen: HashSet<(String, u64)>,
}

impl AppealStats {
    /// Counts the appeal outcomes among `checks` (what the registry answered their verdicts).
    pub fn count_outcomes(&mut self, checks: &[Checked]) {
        for c in checks.iter().filter(|c| c.appeal) {
            match c.on_chain.as_str() {
                "upheld" => self.upheld += 1,
                "lost" => self.lost += 1,
                "undecided" => self.undecided += 1,
                _ => {}
            }
        }
    }

    pub fn summary(&self) -> String {
        format!(
            "appeals: {} accusations, {} appealed, {} drawn, {} upheld, {} lost, {} undecided, {} finalized unappealed",
            self.accused,
            self.appealed,
            self.drawn,
            self.upheld,
            self.lost,
            self.undecided,
            self.finalized
        )
    }

    /// The owner's step for its device `token_id`, once a round: appeal an accusation, draw a
    /// filed appeal once a beacon round after it is final; finalize one whose time to appeal
    /// is over (anyone may; here the owner that let it pass).
    pub async fn follow(&mut self, owner: &Actor, registry: &str, token_id: &str) -> Result<()> {
        let device: DeviceResponse = owner
            .client
            .query_smart(
                registry,
                &QueryMsg::Device {
                    token_id: token_id.to_string(),
                },
            )
            .await?;
        let (DeviceStatus::Active, Some(accusation)) = (device.status, device.accusation) else {
            return Ok(());
        };
        if self.seen.insert((token_id.to_string(), accusation.window)) {
            self.accused += 1;
        }
        let exec = |msg: ExecuteMsg| async move { owner.client.execute(registry, &msg, &[]).await };
        let token_id = token_id.to_string();
        match accusation.appeal {
            None => match exec(ExecuteMsg::Appeal {
                token_id: token_id.clone(),
            })
            .await
            {
                Ok(_) => self.appealed += 1,
                Err(e) => {
                    tracing::info!(%token_id, error = %e, "no appeal; finalizing");
                    if exec(ExecuteMsg::FinalizeAccusation { token_id })
                        .await
                        .is_ok()
                    {
                        self.finalized += 1;
                    }
                }
            },
            Some(appeal) if appeal.challenges.is_empty() => {
                // Refused until a beacon round after the appeal is final (normal), or for want
                // of verifiers that are not its accusers: then it lapses and is finalized.
                match exec(ExecuteMsg::DrawAppeal {
                    token_id: token_id.clone(),
                })
                .await
                {
                    Ok(_) => self.drawn += 1,
                    Err(_) => {
                        if exec(ExecuteMsg::FinalizeAccusation { token_id })
                            .await
                            .is_ok()
                        {
                            self.finalized += 1;
                        }
                    }
                }
            }
            Some(_) => {}
        }
        Ok(())
    }
}
