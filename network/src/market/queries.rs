//! What the scenario reads from the chain: the pool, a device's status, the token's supply
//! audit and the sum of every holder's balance.

use super::Market;
use crate::actors::loop_balance;
use crate::error::Result;
use loopin::pair::{PoolResponse, QueryMsg as PairQuery};
use loopin::registry::{DeviceResponse, DeviceStatus, QueryMsg as RegistryQuery};
use loopin::token;

impl Market {
    pub(super) async fn pool_state(&self) -> Result<PoolResponse> {
        Ok(self
            .bank
            .client
            .query_smart(&self.pool, &PairQuery::Pool {})
            .await?)
    }

    pub(super) async fn device_status(&self, token_id: &str) -> Result<DeviceStatus> {
        let d: DeviceResponse = self
            .bank
            .client
            .query_smart(
                &self.registry,
                &RegistryQuery::Device {
                    token_id: token_id.to_string(),
                },
            )
            .await?;
        Ok(d.status)
    }

    pub(super) async fn supply(&self) -> Result<token::SupplyAuditResponse> {
        Ok(self
            .bank
            .client
            .query_smart(&self.token, &token::QueryMsg::SupplyAudit {})
            .await?)
    }

    pub(super) async fn holders_sum(&self) -> Result<(usize, u128)> {
        let mut start_after = None;
        let (mut holders, mut sum) = (0usize, 0u128);
        loop {
            let page: cw20::AllAccountsResponse = self
                .bank
                .client
                .query_smart(
                    &self.token,
                    &token::QueryMsg::AllAccounts {
                        start_after: start_after.clone(),
                        limit: Some(30),
                    },
                )
                .await?;
            let Some(last) = page.accounts.last().cloned() else {
                return Ok((holders, sum));
            };
            for a in &page.accounts {
                holders += 1;
                sum += loop_balance(&self.bank.client, &self.token, a).await?;
            }
            start_after = Some(last);
        }
    }
}
