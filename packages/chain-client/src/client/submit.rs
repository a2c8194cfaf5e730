//! Submission of a signed transaction, retried on sequence mismatches, and its confirmation.

use std::time::Duration;

use cosmrs::Any;
use cosmrs::proto::cosmos::tx::v1beta1 as txpb;

use super::{AccountState, ChainClient};
use crate::{ClientError, Result, TxResult};

/// The SDK's out-of-gas code (codespace `sdk`).
const OUT_OF_GAS: u32 = 11;

/// Attempts on a sequence mismatch before giving up.
const SEQUENCE_RETRIES: usize = 4;

fn sequence_mismatch(message: &str) -> bool {
    message.contains("account sequence mismatch")
}

/// The sequence a mismatch error says the chain expects (`account sequence mismatch, expected
/// 7, got 5`). The node's check state counts transactions still in its mempool, which a query of
/// the committed account does not: retrying with the queried sequence would fail again.
fn expected_sequence(message: &str) -> Option<u64> {
    let rest = &message[message.find("account sequence mismatch, expected ")?..];
    let digits: String = rest["account sequence mismatch, expected ".len()..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

impl ChainClient {
    /// Signs and broadcasts `msgs` with simulated gas, retrying on sequence mismatches, and
    /// returns the hash once the chain has admitted the transaction to its mempool.
    pub async fn submit(&self, msgs: Vec<Any>, memo: &str) -> Result<String> {
        let mut guard = self.account.lock().await;
        let mut last_error = None;
        for _ in 0..SEQUENCE_RETRIES {
            let account = match *guard {
                Some(a) => a,
                None => self.fetch_account().await?,
            };
            *guard = Some(account);
            let gas = match self.simulate_at(&msgs, memo, account).await {
                Ok(gas) => gas,
                Err(ClientError::Simulation(s)) if sequence_mismatch(s.message()) => {
                    *guard = expected_sequence(s.message()).map(|sequence| AccountState {
                        sequence,
                        ..account
                    });
                    last_error = Some(ClientError::Simulation(s));
                    continue;
                }
                Err(e) => return Err(e),
            };
            let gas_limit = ((gas as f64) * self.config.gas_adjustment).ceil() as u64;
            let gas_limit = gas_limit.max(1);
            let fee = Self::fee_for(gas_limit, self.gas_price_now().await?);
            let bytes = self.sign(&msgs, memo, account, gas_limit, fee)?;
            let response = self.broadcast_raw(bytes).await?;
            if response.code == 0 {
                *guard = Some(AccountState {
                    // Saturating: a node may have named any sequence it liked.
                    sequence: account.sequence.saturating_add(1),
                    ..account
                });
                return Ok(response.txhash);
            }
            let error = ClientError::CheckTx {
                txhash: response.txhash,
                codespace: response.codespace,
                code: response.code,
                log: response.raw_log,
            };
            if error.tx_code() == Some(32) {
                *guard = match &error {
                    ClientError::CheckTx { log, .. } => expected_sequence(log),
                    _ => None,
                }
                .map(|sequence| AccountState {
                    sequence,
                    ..account
                });
                last_error = Some(error);
                continue;
            }
            return Err(error);
        }
        Err(last_error.unwrap_or_else(|| ClientError::Tx("sequence retries exhausted".into())))
    }

    /// Polls `GetTx` until the transaction is in a block.
    pub async fn wait_tx(&self, txhash: &str) -> Result<TxResult> {
        let start = std::time::Instant::now();
        let timeout = Duration::from_millis(self.config.confirm_timeout_ms);
        let mut client = txpb::service_client::ServiceClient::new(self.channel.clone());
        loop {
            match client
                .get_tx(txpb::GetTxRequest {
                    hash: txhash.to_string(),
                })
                .await
            {
                Ok(r) => {
                    let response = r
                        .into_inner()
                        .tx_response
                        .ok_or_else(|| ClientError::Decode("empty tx response".into()))?;
                    if response.code != 0 {
                        // The sequence may not have moved (failed ante): refresh it next time.
                        *self.account.lock().await = None;
                        return Err(ClientError::DeliverTx {
                            txhash: response.txhash,
                            height: response.height,
                            codespace: response.codespace,
                            code: response.code,
                            log: response.raw_log,
                            gas_wanted: response.gas_wanted,
                            gas_used: response.gas_used,
                        });
                    }
                    return Ok(TxResult {
                        txhash: response.txhash.clone(),
                        height: response.height,
                        gas_wanted: response.gas_wanted,
                        gas_used: response.gas_used,
                        response,
                    });
                }
                Err(s) if s.code() == tonic::Code::NotFound => {}
                Err(s) => return Err(s.into()),
            }
            if start.elapsed() > timeout {
                return Err(ClientError::Timeout {
                    txhash: txhash.to_string(),
                    waited: start.elapsed(),
                });
            }
            tokio::time::sleep(Duration::from_millis(self.config.poll_interval_ms)).await;
        }
    }

    /// Submits `msgs` and waits for the block: the full transaction path. A transaction that
    /// ran out of gas changed nothing; when the state moved between simulation and execution
    /// (another transaction in the same block), it is simulated and sent once more.
    pub async fn send(&self, msgs: Vec<Any>, memo: &str) -> Result<TxResult> {
        let hash = self.submit(msgs.clone(), memo).await?;
        match self.wait_tx(&hash).await {
            Err(ClientError::DeliverTx {
                code, codespace, ..
            }) if code == OUT_OF_GAS && codespace == "sdk" => {
                tracing::info!(txhash = %hash, "out of gas after simulation; simulating again");
                let hash = self.submit(msgs, memo).await?;
                self.wait_tx(&hash).await
            }
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::expected_sequence;

    #[test]
    fn the_expected_sequence_is_read_from_the_sdk_mismatch_error() {
        let log = "account sequence mismatch, expected 7, got 5: incorrect account sequence";
        assert_eq!(expected_sequence(log), Some(7));
        let simulated = "codespace sdk code 32: account sequence mismatch, expected 12, got 9";
        assert_eq!(expected_sequence(simulated), Some(12));
        assert_eq!(expected_sequence("insufficient fees"), None);
        assert_eq!(
            expected_sequence("account sequence mismatch, expected x"),
            None
        );
    }
}
