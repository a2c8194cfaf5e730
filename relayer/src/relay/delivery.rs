//! Delivery of packets to their destination (`MsgRecvPacket`), or their timeout at the source
//! (`MsgTimeout`) once the destination is past it, and acknowledgements relayed back to the
//! source (`MsgAcknowledgement`).

use super::{Acked, PassReport, Relayer};
use crate::chain::Proof;
use crate::error::RelayError;
use cosmos_sdk_proto::Any;
use ibc_proto::ibc::core::channel::v1::{MsgAcknowledgement, MsgRecvPacket, MsgTimeout, Packet};
use ibc_proto::ibc::core::client::v1::Height;
use std::collections::BTreeMap;

impl Relayer {
    /// Delivers packets sent on `x` to `y`, or times out on `x` those past their timeout.
    /// Returns false when a packet must wait (its timeout is due but not yet provable).
    pub(super) async fn deliver(
        &mut self,
        x: usize,
        y: usize,
        packets: Vec<Packet>,
        report: &mut PassReport,
    ) -> Result<bool, RelayError> {
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
    pub(super) async fn acknowledge(
        &mut self,
        x: usize,
        y: usize,
        acks: Vec<Acked>,
        report: &mut PassReport,
    ) -> Result<(), RelayError> {
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

fn recv_msg(packet: Packet, proof: Proof, signer: String) -> Result<Any, RelayError> {
    Ok(Any::from_msg(&MsgRecvPacket {
        packet: Some(packet),
        proof_commitment: proof.bytes,
        proof_height: Some(proof.height),
        signer,
    })?)
}

fn timeout_msg(packet: Packet, proof: Proof, signer: String) -> Result<Any, RelayError> {
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
