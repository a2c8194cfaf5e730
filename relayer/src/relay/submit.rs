//! Messages sent to a chain in batches of at most `max_msg_num`, with a metric and a log line per
//! confirmed transaction; a message refused on its own is set aside in the dead-letter list.

use super::Relayer;
use crate::chain::IbcChain;
use crate::dead_letter::{DeadLetter, Submit, send_all};
use crate::error::RelayError;
use crate::state::StateFile;
use cosmos_sdk_proto::Any;
use loopin_telemetry::metrics::Metrics;
use std::time::Instant;

impl Relayer {
    /// Sends `msgs` to chain `c` in transactions of at most `max_msg_num` messages; returns how
    /// many were confirmed. A message the chain refuses on its own is set aside in the
    /// dead-letter list (`dead_letter`); any other failure stops (the rest is retried next pass).
    pub(super) async fn submit_batches(
        &mut self,
        c: usize,
        msgs: Vec<Any>,
        metric: &str,
    ) -> Result<usize, RelayError> {
        let chain = &self.chains[c];
        let mut to = ToChain {
            chain,
            state: &mut self.state,
            metrics: &self.metrics,
            metric,
        };
        let sent = send_all(msgs, chain.entry.max_msg_num, &mut to).await?;
        for (msg, error) in sent.refused {
            let letter = DeadLetter::new(chain.id(), &msg, error);
            tracing::error!(
                chain = chain.id(),
                type_url = letter.type_url,
                port = letter.source_port,
                channel = letter.source_channel,
                sequence = letter.sequence,
                error = letter.error,
                "refused on its own: set aside in the dead-letter list"
            );
            self.metrics
                .inc("loopin_relayer_dead_letters", &[("chain", chain.id())], 1.0);
            self.state.dead_letter(letter)?;
        }
        Ok(sent.confirmed)
    }
}

/// One chain as [`send_all`] sends to it: guarded submission, metrics and a log line per
/// confirmed transaction.
struct ToChain<'a> {
    chain: &'a IbcChain,
    state: &'a mut StateFile,
    metrics: &'a Metrics,
    metric: &'a str,
}

impl Submit for ToChain<'_> {
    async fn submit(&mut self, msgs: Vec<Any>) -> Result<(), RelayError> {
        let start = Instant::now();
        let count = msgs.len();
        let result = self.chain.submit(msgs, self.state).await?;
        let labels = [("chain", self.chain.id())];
        self.metrics.inc(self.metric, &labels, count as f64);
        self.metrics.observe(
            "loopin_relayer_tx_latency_confirmed_seconds",
            &labels,
            start.elapsed().as_secs_f64(),
        );
        tracing::info!(
            chain = self.chain.id(),
            messages = count,
            txhash = result.txhash,
            height = result.height,
            metric = self.metric,
            "confirmed"
        );
        Ok(())
    }
}
