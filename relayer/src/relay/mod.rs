//! Packet relaying between the configured chains.
//!
//! Each pass reads every chain's new blocks from its persisted cursor and, for the channels in
//! the packet filters:
//! - a packet sent here and not yet received there is delivered (`MsgRecvPacket` with a proof of
//!   its commitment), or, once the destination's clock or height is past its timeout, timed out
//!   here (`MsgTimeout` with a proof of non-receipt);
//! - an acknowledgement written here for a packet whose source still holds its commitment is
//!   relayed back (`MsgAcknowledgement`).
//!
//! A served channel whose end is CLOSED on either chain (an owner's eviction, a counterparty's
//! close) is dropped from the routes, and its packets no longer hold a cursor: they are counted
//! as stranded and passed by. (The LooPIN applications carry no value on a channel that can
//! close: the price feed's packets are prices, and the rewards bridge refuses to close while
//! anything is escrowed on its channel.)
//!
//! Before building a message the relayer asks the chains what is still to do
//! (`UnreceivedPackets`, `UnreceivedAcks`), and the cursor of a chain moves past a block only once
//! everything in it is done. So a relayer killed at any point rereads those blocks on start and
//! sends only what is missing: every packet is delivered once (the chains also refuse a second
//! delivery), and nothing is lost. With `clear_on_start`, that rescan is the start's clearing.
//!
//! - `routes`: which served channel ends relay to which, and which are CLOSED.
//! - `delivery`: packets delivered or timed out, acknowledgements relayed back.
//! - `submit`: messages sent in batches, refusals set aside in the dead-letter list.
//! - `metrics`: the descriptions of the relayer's metrics.

use crate::chain::IbcChain;
use crate::config::PacketsMode;
use crate::error::RelayError;
use crate::events::block_packets;
use crate::state::StateFile;
use ibc_proto::ibc::core::channel::v1::Packet;
use loopin_telemetry::metrics::Metrics;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

mod delivery;
mod metrics;
mod routes;
mod submit;

use metrics::describe;

/// A packet received on a chain, with the acknowledgement written there.
type Acked = (Packet, Vec<u8>);

/// One end of a channel: a chain (by index in the relayer's list), a port and a channel.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct End {
    chain: usize,
    port: String,
    channel: String,
}

/// What one pass did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PassReport {
    pub received: usize,
    pub acknowledged: usize,
    pub timed_out: usize,
    /// Chains whose cursor could not move this pass (an error, or a packet still in flight).
    pub held: usize,
    /// Packets and acknowledgements passed by because their channel is CLOSED.
    pub stranded: usize,
}

/// The packet relayer over a set of chains.
pub struct Relayer {
    chains: Vec<IbcChain>,
    state: StateFile,
    metrics: Arc<Metrics>,
    mode: PacketsMode,
    /// Each served channel end → its counterparty.
    routes: BTreeMap<End, End>,
    /// Served channel ends found CLOSED (on this end or the other): never routed again.
    closed: BTreeSet<End>,
}

impl Relayer {
    pub fn new(
        chains: Vec<IbcChain>,
        state: StateFile,
        metrics: Arc<Metrics>,
        mode: PacketsMode,
    ) -> Relayer {
        describe(&metrics);
        Relayer {
            chains,
            state,
            metrics,
            mode,
            routes: BTreeMap::new(),
            closed: BTreeSet::new(),
        }
    }

    pub fn state(&self) -> &StateFile {
        &self.state
    }

    /// Waits for transactions broadcast before a restart to land or expire.
    pub async fn settle(&mut self) -> Result<(), RelayError> {
        for chain in &self.chains {
            chain.settle_pending(&mut self.state).await?;
        }
        Ok(())
    }

    /// One pass over every chain's new blocks.
    pub async fn pass(&mut self) -> Result<PassReport, RelayError> {
        self.resolve_routes().await?;
        let mut report = PassReport::default();
        for x in 0..self.chains.len() {
            match self.relay_from(x, &mut report).await {
                Ok(()) => {}
                Err(e) => {
                    report.held += 1;
                    self.metrics.inc(
                        "loopin_relayer_pass_errors",
                        &[("chain", self.chains[x].id())],
                        1.0,
                    );
                    tracing::warn!(chain = self.chains[x].id(), error = %e, "relaying held; retrying next pass");
                }
            }
        }
        Ok(report)
    }

    /// Runs passes until the process stops.
    pub async fn run(&mut self) -> Result<(), RelayError> {
        self.settle().await?;
        let interval = Duration::from_millis(self.mode.poll_interval_ms.max(10));
        loop {
            if let Err(e) = self.pass().await {
                tracing::warn!(error = %e, "relay pass failed");
            }
            tokio::time::sleep(interval).await;
        }
    }

    /// Handles chain `x`'s blocks after its cursor, then moves the cursor.
    async fn relay_from(&mut self, x: usize, report: &mut PassReport) -> Result<(), RelayError> {
        let chain = &self.chains[x];
        let (latest, _) = chain.latest().await?;
        let from = self.state.cursor(chain.id()).unwrap_or(0) + 1;
        if from > latest {
            return Ok(());
        }
        let to = latest.min(from + self.mode.max_blocks_per_pass.max(1) - 1);
        let mut sent = Vec::new();
        let mut acked = Vec::new();
        // A served channel whose other end is not open yet (a handshake in progress): its
        // packets wait, so the cursor must not pass them.
        let mut unrouted = false;
        for height in from..=to {
            let found = block_packets(&chain.txs_at(height).await?);
            for packet in found.sent {
                let here = End {
                    chain: x,
                    port: packet.source_port.clone(),
                    channel: packet.source_channel.clone(),
                };
                if let Some(there) = self.routes.get(&here)
                    && there.port == packet.destination_port
                    && there.channel == packet.destination_channel
                {
                    sent.push((there.chain, packet));
                } else if self.closed.contains(&here) {
                    stranded(&self.metrics, chain.id(), &here, packet.sequence, report);
                } else if chain.entry.packet_filter.allows(&here.port, &here.channel) {
                    unrouted = true;
                }
            }
            for (packet, ack) in found.acknowledged {
                let here = End {
                    chain: x,
                    port: packet.destination_port.clone(),
                    channel: packet.destination_channel.clone(),
                };
                if let Some(there) = self.routes.get(&here) {
                    acked.push((there.chain, packet, ack));
                } else if self.closed.contains(&here) {
                    stranded(&self.metrics, chain.id(), &here, packet.sequence, report);
                } else if chain.entry.packet_filter.allows(&here.port, &here.channel) {
                    unrouted = true;
                }
            }
        }
        let mut complete = !unrouted;
        for y in 0..self.chains.len() {
            let to_y: Vec<Packet> = sent
                .iter()
                .filter(|(c, _)| *c == y)
                .map(|(_, p)| p.clone())
                .collect();
            if !to_y.is_empty() {
                complete &= self.deliver(x, y, to_y, report).await?;
            }
            let acks_to_y: Vec<Acked> = acked
                .iter()
                .filter(|(c, _, _)| *c == y)
                .map(|(_, p, a)| (p.clone(), a.clone()))
                .collect();
            if !acks_to_y.is_empty() {
                self.acknowledge(x, y, acks_to_y, report).await?;
            }
        }
        if !complete {
            report.held += 1;
            return Ok(());
        }
        self.state.advance(self.chains[x].id(), to)?;
        self.metrics.gauge_set(
            "loopin_relayer_cursor_height",
            &[("chain", self.chains[x].id())],
            to as f64,
        );
        Ok(())
    }
}

/// Counts and logs a packet (or acknowledgement) of a CLOSED channel, passed by.
fn stranded(metrics: &Metrics, chain: &str, end: &End, sequence: u64, report: &mut PassReport) {
    tracing::warn!(
        chain,
        port = end.port,
        channel = end.channel,
        sequence,
        "packet on a CLOSED channel passed by"
    );
    metrics.inc("loopin_relayer_packets_stranded", &[("chain", chain)], 1.0);
    report.stranded += 1;
}
