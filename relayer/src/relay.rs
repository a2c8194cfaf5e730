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

use crate::chain::{IbcChain, Proof};
use crate::config::PacketsMode;
use crate::dead_letter::{DeadLetter, Submit, send_all};
use crate::events::block_packets;
use crate::state::StateFile;
use cosmos_sdk_proto::Any;
use ibc_proto::ibc::core::channel::v1::{
    self as chanpb, MsgAcknowledgement, MsgRecvPacket, MsgTimeout, Packet,
};
use ibc_proto::ibc::core::client::v1::Height;
use loopin_telemetry::metrics::Metrics;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

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
    pub async fn settle(&mut self) -> anyhow::Result<()> {
        for chain in &self.chains {
            chain.settle_pending(&mut self.state).await?;
        }
        Ok(())
    }

    /// Drops every route with an end no longer OPEN, then finds the counterparty of every
    /// filtered channel that is open on both ends.
    async fn resolve_routes(&mut self) -> anyhow::Result<()> {
        self.drop_closed_routes().await?;
        for (x, chain) in self.chains.iter().enumerate() {
            for (port, channel) in &chain.entry.packet_filter.list {
                let here = End {
                    chain: x,
                    port: port.clone(),
                    channel: channel.clone(),
                };
                if self.routes.contains_key(&here) || self.closed.contains(&here) {
                    continue;
                }
                let Some((end, _)) = chain.channel_end(port, channel).await? else {
                    continue;
                };
                if end.state == chanpb::State::Closed as i32 {
                    tracing::warn!(
                        chain = chain.id(),
                        port,
                        channel,
                        "served channel is CLOSED; its packets are passed by"
                    );
                    self.closed.insert(here);
                    continue;
                }
                let Some(cp) = end
                    .counterparty
                    .filter(|_| end.state == chanpb::State::Open as i32)
                else {
                    continue;
                };
                for (y, other) in self.chains.iter().enumerate() {
                    if !other
                        .entry
                        .packet_filter
                        .allows(&cp.port_id, &cp.channel_id)
                    {
                        continue;
                    }
                    let Some((their, _)) = other.channel_end(&cp.port_id, &cp.channel_id).await?
                    else {
                        continue;
                    };
                    let points_back = their
                        .counterparty
                        .as_ref()
                        .is_some_and(|c| c.port_id == *port && c.channel_id == *channel);
                    if points_back && their.state == chanpb::State::Open as i32 {
                        let there = End {
                            chain: y,
                            port: cp.port_id.clone(),
                            channel: cp.channel_id.clone(),
                        };
                        tracing::info!(
                            from = chain.id(),
                            port,
                            channel,
                            to = other.id(),
                            to_port = there.port,
                            to_channel = there.channel,
                            "relaying channel"
                        );
                        self.routes.insert(there.clone(), here.clone());
                        self.routes.insert(here.clone(), there);
                        break;
                    }
                }
            }
        }
        Ok(())
    }

    /// Removes the routes (both directions) of channels now CLOSED on either end.
    async fn drop_closed_routes(&mut self) -> anyhow::Result<()> {
        let mut newly_closed = Vec::new();
        for (here, there) in &self.routes {
            if here > there || newly_closed.contains(here) {
                continue; // each pair once
            }
            for end in [here, there] {
                let chain = &self.chains[end.chain];
                let state = chain
                    .channel_end(&end.port, &end.channel)
                    .await?
                    .map(|(c, _)| c.state);
                if state != Some(chanpb::State::Open as i32) {
                    newly_closed.push(here.clone());
                    newly_closed.push(there.clone());
                    break;
                }
            }
        }
        for end in newly_closed {
            if self.routes.remove(&end).is_some() {
                let chain = self.chains[end.chain].id();
                tracing::warn!(
                    chain,
                    port = end.port,
                    channel = end.channel,
                    "channel no longer OPEN: route dropped, its packets are passed by"
                );
                self.metrics
                    .inc("loopin_relayer_routes_dropped", &[("chain", chain)], 1.0);
            }
            self.closed.insert(end);
        }
        Ok(())
    }

    /// One pass over every chain's new blocks.
    pub async fn pass(&mut self) -> anyhow::Result<PassReport> {
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
    pub async fn run(&mut self) -> anyhow::Result<()> {
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
    async fn relay_from(&mut self, x: usize, report: &mut PassReport) -> anyhow::Result<()> {
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

    /// Delivers packets sent on `x` to `y`, or times out on `x` those past their timeout.
    /// Returns false when a packet must wait (its timeout is due but not yet provable).
    async fn deliver(
        &mut self,
        x: usize,
        y: usize,
        packets: Vec<Packet>,
        report: &mut PassReport,
    ) -> anyhow::Result<bool> {
        let (src, dst) = (&self.chains[x], &self.chains[y]);
        let mut complete = true;
        let mut recvs = Vec::new();
        let mut timeouts = Vec::new();
        // Packets of one block range share a channel pair per group.
        let mut groups: BTreeMap<(String, String, String, String), Vec<Packet>> = BTreeMap::new();
        for p in packets {
            groups
                .entry((
                    p.source_port.clone(),
                    p.source_channel.clone(),
                    p.destination_port.clone(),
                    p.destination_channel.clone(),
                ))
                .or_default()
                .push(p);
        }
        let (dst_height, dst_time) = dst.latest().await?;
        for ((src_port, src_channel, dst_port, dst_channel), packets) in groups {
            let sequences: Vec<u64> = packets.iter().map(|p| p.sequence).collect();
            let unreceived = dst
                .unreceived_packets(&dst_port, &dst_channel, sequences)
                .await?;
            let open = src
                .still_committed(&src_port, &src_channel, unreceived)
                .await?;
            for packet in packets.into_iter().filter(|p| open.contains(&p.sequence)) {
                if timed_out(&packet, dst_height, dst_time) {
                    match dst.unreceived_proof(&packet).await? {
                        Some(proof) if proof_times_out(&packet, &proof) => {
                            timeouts.push(timeout_msg(packet, proof, src.signer())?)
                        }
                        Some(_) => complete = false,
                        None => {}
                    }
                } else {
                    let proof = src.commitment_proof(&packet).await?;
                    recvs.push(recv_msg(packet, proof, dst.signer())?);
                }
            }
        }
        let received = self
            .submit_batches(y, recvs, "loopin_relayer_receive_packets_confirmed")
            .await?;
        let timed = self
            .submit_batches(x, timeouts, "loopin_relayer_timeout_packets_confirmed")
            .await?;
        report.received += received;
        report.timed_out += timed;
        Ok(complete)
    }

    /// Relays acknowledgements written on `x` back to the packets' source `y`.
    async fn acknowledge(
        &mut self,
        x: usize,
        y: usize,
        acks: Vec<Acked>,
        report: &mut PassReport,
    ) -> anyhow::Result<()> {
        let (here, source) = (&self.chains[x], &self.chains[y]);
        let mut msgs = Vec::new();
        let mut groups: BTreeMap<(String, String), Vec<Acked>> = BTreeMap::new();
        for (p, ack) in acks {
            groups
                .entry((p.source_port.clone(), p.source_channel.clone()))
                .or_default()
                .push((p, ack));
        }
        for ((port, channel), acks) in groups {
            let sequences = acks.iter().map(|(p, _)| p.sequence).collect();
            let open = source.still_committed(&port, &channel, sequences).await?;
            for (packet, ack) in acks.into_iter().filter(|(p, _)| open.contains(&p.sequence)) {
                let proof = here.ack_proof(&packet).await?;
                msgs.push(Any::from_msg(&MsgAcknowledgement {
                    packet: Some(packet),
                    acknowledgement: ack,
                    proof_acked: proof.bytes,
                    proof_height: Some(proof.height),
                    signer: source.signer(),
                })?);
            }
        }
        report.acknowledged += self
            .submit_batches(y, msgs, "loopin_relayer_acknowledgment_packets_confirmed")
            .await?;
        Ok(())
    }

    /// Sends `msgs` to chain `c` in transactions of at most `max_msg_num` messages; returns how
    /// many were confirmed. A message the chain refuses on its own is set aside in the
    /// dead-letter list (`dead_letter`); any other failure stops (the rest is retried next pass).
    async fn submit_batches(
        &mut self,
        c: usize,
        msgs: Vec<Any>,
        metric: &str,
    ) -> anyhow::Result<usize> {
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
    async fn submit(&mut self, msgs: Vec<Any>) -> anyhow::Result<()> {
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

fn describe(metrics: &Metrics) {
    for (name, kind, help) in [
        (
            "loopin_relayer_receive_packets_confirmed",
            "counter",
            "MsgRecvPacket confirmed, per destination chain",
        ),
        (
            "loopin_relayer_acknowledgment_packets_confirmed",
            "counter",
            "MsgAcknowledgement confirmed, per source chain",
        ),
        (
            "loopin_relayer_timeout_packets_confirmed",
            "counter",
            "MsgTimeout confirmed, per source chain",
        ),
        (
            "loopin_relayer_tx_latency_confirmed_seconds",
            "histogram",
            "Seconds from submission to confirmation",
        ),
        (
            "loopin_relayer_routes_dropped",
            "counter",
            "Served channels dropped because an end is no longer OPEN, per chain",
        ),
        (
            "loopin_relayer_packets_stranded",
            "counter",
            "Packets and acknowledgements of CLOSED channels passed by, per chain",
        ),
        (
            "loopin_relayer_cursor_height",
            "gauge",
            "Every block up to this height is handled",
        ),
        (
            "loopin_relayer_dead_letters",
            "counter",
            "Messages a chain refused on their own, set aside (the state file lists them)",
        ),
        (
            "loopin_relayer_pass_errors",
            "counter",
            "Passes over a chain that failed and will be retried",
        ),
    ] {
        metrics.describe(name, kind, help);
    }
}

fn height_reached(timeout: &Option<Height>, height: u64) -> bool {
    timeout
        .as_ref()
        .is_some_and(|t| t.revision_height != 0 && height >= t.revision_height)
}

/// Whether the destination, at `height` and `time`, no longer accepts the packet.
fn timed_out(packet: &Packet, height: u64, time: u64) -> bool {
    height_reached(&packet.timeout_height, height)
        || (packet.timeout_timestamp != 0 && time >= packet.timeout_timestamp)
}

/// Whether a non-receipt proof shows the packet timed out (what the source will check).
fn proof_times_out(packet: &Packet, proof: &Proof) -> bool {
    timed_out(packet, proof.height.revision_height, proof.timestamp)
}

fn recv_msg(packet: Packet, proof: Proof, signer: String) -> anyhow::Result<Any> {
    Ok(Any::from_msg(&MsgRecvPacket {
        packet: Some(packet),
        proof_commitment: proof.bytes,
        proof_height: Some(proof.height),
        signer,
    })?)
}

fn timeout_msg(packet: Packet, proof: Proof, signer: String) -> anyhow::Result<Any> {
    Ok(Any::from_msg(&MsgTimeout {
        next_sequence_recv: packet.sequence,
        packet: Some(packet),
        proof_unreceived: proof.bytes,
        proof_height: Some(proof.height),
        signer,
    })?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packet(timeout_height: u64, timeout_timestamp: u64) -> Packet {
        Packet {
            sequence: 1,
            timeout_height: (timeout_height > 0).then_some(Height {
                revision_number: 0,
                revision_height: timeout_height,
            }),
            timeout_timestamp,
            ..Packet::default()
        }
    }

    #[test]
    fn timeouts_by_height_or_time() {
        assert!(
            !timed_out(&packet(0, 0), u64::MAX, u64::MAX),
            "no timeout set"
        );
        assert!(!timed_out(&packet(10, 0), 9, u64::MAX));
        assert!(timed_out(&packet(10, 0), 10, 0));
        assert!(!timed_out(&packet(0, 500), u64::MAX, 499));
        assert!(timed_out(&packet(0, 500), 0, 500));
        assert!(timed_out(&packet(10, 500), 3, 600), "either one");
    }
}
