//! Acknowledgements a chain keeps refusing: a batch that fails is retried one message at a
//! time, and an acknowledgement the chain refuses on its own (a contract whose acknowledgement
//! handler errors every time) is set aside in the persisted dead-letter list with its error and
//! its bytes, so the rest of the batch and every later packet flow on. Before this one such
//! message held its chain's cursor forever.
//!
//! Only acknowledgements are set aside. A receive or a timeout refused alone holds the pass: the
//! next pass reads again which packets are unreceived and which have timed out (a receive that
//! arrived too late becomes the timeout that refunds it; one another relayer delivered is done).
//! Refusals that are the relayer's own condition (fees, funds, gas, sequence, a full mempool: the
//! SDK's codespace) and transport failures are never the message's fault.

use crate::error::RelayError;
use cosmos_sdk_proto::Any;
use ibc_proto::ibc::core::channel::v1::Packet;
use loopin_chain_client::ClientError;
use prost::Message;
use serde::{Deserialize, Serialize};

/// A message set aside, as persisted in the state file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadLetter {
    /// The chain that refused it.
    pub chain: String,
    /// `/ibc.core.channel.v1.MsgRecvPacket`, `MsgAcknowledgement` or `MsgTimeout`.
    pub type_url: String,
    /// The packet's source port, channel and sequence, when the message carries a packet.
    pub source_port: String,
    pub source_channel: String,
    pub sequence: u64,
    /// The chain's answer.
    pub error: String,
    /// The message's bytes (protobuf, hex), to send again by hand once its cause is mended.
    #[serde(default)]
    pub message: String,
    /// Unix seconds when it was set aside.
    pub at: u64,
}

/// What sending a list of messages came to.
#[derive(Debug, Default)]
pub struct Sent {
    /// Messages the chain confirmed.
    pub confirmed: usize,
    /// Messages it refused on their own, with its answers.
    pub refused: Vec<(Any, String)>,
}

/// Whether `error` is the chain refusing the message itself (so sending it again as it is
/// cannot succeed), rather than a transport failure or the relayer's own account condition.
/// Decided by codespace, never by the text of an error (a contract's error may say anything).
pub fn refused_on_its_own(error: &RelayError) -> bool {
    let RelayError::Chain(client) = error else {
        return false;
    };
    match client {
        // Any SDK code (funds, fee, gas, sequence, mempool full) is the signer's condition.
        ClientError::CheckTx { codespace, .. } | ClientError::DeliverTx { codespace, .. } => {
            codespace != "sdk"
        }
        ClientError::Simulation(status) => simulation_refused_a_message(status.message()),
        _ => false,
    }
}

/// Whether a refused simulation failed in a message rather than in the ante handler: wasmd says
/// `failed to execute message; message index: N: ...`; the devnet names the codespace first.
fn simulation_refused_a_message(message: &str) -> bool {
    if message.starts_with("failed to execute message; message index: ") {
        return true;
    }
    match message.strip_prefix("codespace ") {
        Some(rest) => !rest.starts_with("sdk "),
        None => false,
    }
}

/// Only an acknowledgement is ever set aside (see the module's docs).
fn may_set_aside(msg: &Any) -> bool {
    msg.type_url == "/ibc.core.channel.v1.MsgAcknowledgement"
}

/// Sends messages to one chain as one transaction.
pub(crate) trait Submit {
    async fn submit(&mut self, msgs: Vec<Any>) -> Result<(), RelayError>;
}

/// Sends `msgs` in batches of at most `max`; a batch the chain refuses is sent again one
/// message at a time, and each message it refuses alone is returned in [`Sent::refused`]. Any
/// other failure stops and is returned (the rest waits for the next pass).
pub(crate) async fn send_all<S: Submit>(
    msgs: Vec<Any>,
    max: usize,
    to: &mut S,
) -> Result<Sent, RelayError> {
    let mut sent = Sent::default();
    for batch in msgs.chunks(max.max(1)) {
        match to.submit(batch.to_vec()).await {
            Ok(()) => sent.confirmed += batch.len(),
            Err(e) if refused_on_its_own(&e) => {
                if let [msg] = batch {
                    if !may_set_aside(msg) {
                        return Err(e);
                    }
                    sent.refused.push((msg.clone(), e.to_string()));
                    continue;
                }
                tracing::warn!(error = %e, messages = batch.len(), "batch refused; sending its messages one at a time");
                for msg in batch {
                    match to.submit(vec![msg.clone()]).await {
                        Ok(()) => sent.confirmed += 1,
                        Err(e) if refused_on_its_own(&e) && may_set_aside(msg) => {
                            sent.refused.push((msg.clone(), e.to_string()))
                        }
                        Err(e) => return Err(e),
                    }
                }
            }
            Err(e) => return Err(e),
        }
    }
    Ok(sent)
}

/// The packet a relayed message carries (field 1 of MsgRecvPacket, MsgAcknowledgement and
/// MsgTimeout).
#[derive(Clone, PartialEq, Message)]
struct CarriesPacket {
    #[prost(message, optional, tag = "1")]
    packet: Option<Packet>,
}

impl DeadLetter {
    pub fn new(chain: &str, msg: &Any, error: String) -> DeadLetter {
        let packet = CarriesPacket::decode(&*msg.value)
            .ok()
            .and_then(|m| m.packet)
            .unwrap_or_default();
        DeadLetter {
            chain: chain.to_string(),
            type_url: msg.type_url.clone(),
            source_port: packet.source_port,
            source_channel: packet.source_channel,
            sequence: packet.sequence,
            error,
            message: hex::encode(&msg.value),
            at: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ibc_proto::ibc::core::channel::v1::MsgAcknowledgement;

    fn ack(sequence: u64) -> Any {
        Any::from_msg(&MsgAcknowledgement {
            packet: Some(Packet {
                sequence,
                source_port: "wasm.feed".into(),
                source_channel: "channel-0".into(),
                ..Packet::default()
            }),
            ..MsgAcknowledgement::default()
        })
        .unwrap()
    }

    fn sequence(msg: &Any) -> u64 {
        DeadLetter::new("a", msg, String::new()).sequence
    }

    fn refusal() -> RelayError {
        ClientError::DeliverTx {
            txhash: "H".into(),
            height: 7,
            codespace: "wasm".into(),
            code: 5,
            log: "the contract's ack handler failed".into(),
            gas_wanted: 1,
            gas_used: 1,
        }
        .into()
    }

    /// A chain that refuses any transaction carrying one of `poisoned`, or every one with
    /// `always`, and logs what it was sent.
    struct Fake {
        poisoned: Vec<u64>,
        always: Option<fn() -> RelayError>,
        log: Vec<Vec<u64>>,
    }

    impl Submit for Fake {
        async fn submit(&mut self, msgs: Vec<Any>) -> Result<(), RelayError> {
            let sequences: Vec<u64> = msgs.iter().map(sequence).collect();
            self.log.push(sequences.clone());
            if let Some(error) = self.always {
                return Err(error());
            }
            if sequences.iter().any(|s| self.poisoned.contains(s)) {
                return Err(refusal());
            }
            Ok(())
        }
    }

    #[tokio::test]
    async fn a_message_refused_on_its_own_is_set_aside_and_the_rest_flow_on() {
        let mut chain = Fake {
            poisoned: vec![3],
            always: None,
            log: Vec::new(),
        };
        let sent = send_all((1..=5).map(ack).collect(), 4, &mut chain)
            .await
            .unwrap();
        assert_eq!(sent.confirmed, 4);
        assert_eq!(sent.refused.len(), 1);
        assert_eq!(sequence(&sent.refused[0].0), 3);
        assert!(sent.refused[0].1.contains("ack handler failed"));
        // The batch of four, then its messages alone, then the last batch.
        assert_eq!(
            chain.log,
            vec![
                vec![1, 2, 3, 4],
                vec![1],
                vec![2],
                vec![3],
                vec![4],
                vec![5]
            ]
        );
        let letter = DeadLetter::new("loopin-1", &sent.refused[0].0, sent.refused[0].1.clone());
        assert_eq!(
            (
                letter.source_port.as_str(),
                letter.source_channel.as_str(),
                letter.sequence
            ),
            ("wasm.feed", "channel-0", 3)
        );
        assert_eq!(letter.type_url, "/ibc.core.channel.v1.MsgAcknowledgement");
    }

    fn broke() -> RelayError {
        ClientError::CheckTx {
            txhash: "H".into(),
            codespace: "sdk".into(),
            code: 5,
            log: "insufficient funds".into(),
        }
        .into()
    }

    #[tokio::test]
    async fn the_relayers_own_condition_holds_the_pass_and_sets_nothing_aside() {
        let mut chain = Fake {
            poisoned: Vec::new(),
            always: Some(broke),
            log: Vec::new(),
        };
        let err = send_all((1..=3).map(ack).collect(), 2, &mut chain)
            .await
            .expect_err("held");
        assert!(!refused_on_its_own(&err));
        assert_eq!(
            chain.log,
            vec![vec![1, 2]],
            "nothing more is tried this pass"
        );
        // Nor a transport failure, a full mempool, or any status that is not a simulation's.
        assert!(!refused_on_its_own(&RelayError::from(
            tonic::Status::unavailable("connection reset")
        )));
        let full = ClientError::CheckTx {
            txhash: "H".into(),
            codespace: "sdk".into(),
            code: 20,
            log: "mempool is full".into(),
        };
        assert!(!refused_on_its_own(&full.into()));
        let node = ClientError::from(tonic::Status::unknown(
            "failed to execute message; message index: 0: x",
        ));
        assert!(
            !refused_on_its_own(&node.into()),
            "an Unknown status of another call"
        );
        // A simulation that failed in the ante handler is the signer's; in a message, the
        // message's, whatever its text says (a contract's error may mimic the SDK's).
        let simulated = |m: &str| -> RelayError {
            ClientError::Simulation(Box::new(tonic::Status::unknown(m))).into()
        };
        assert!(!refused_on_its_own(&simulated(
            "insufficient funds: 3uloop"
        )));
        assert!(!refused_on_its_own(&simulated(
            "codespace sdk code 13: insufficient fee"
        )));
        assert!(refused_on_its_own(&simulated(
            "failed to execute message; message index: 0: insufficient funds: ack handler"
        )));
        assert!(refused_on_its_own(&simulated(
            "codespace wasm code 5: ack handler failed"
        )));
    }

    #[tokio::test]
    async fn a_receive_refused_alone_holds_the_pass_so_the_next_reads_it_again() {
        use ibc_proto::ibc::core::channel::v1::MsgRecvPacket;
        let recv = |sequence| {
            Any::from_msg(&MsgRecvPacket {
                packet: Some(Packet {
                    sequence,
                    ..Packet::default()
                }),
                ..MsgRecvPacket::default()
            })
            .unwrap()
        };
        let mut chain = Fake {
            poisoned: vec![2],
            always: None,
            log: Vec::new(),
        };
        // Refused because it timed out on the way, or another relayer delivered it first: never
        // set aside (its timeout must still be sent, its refund still happen).
        let err = send_all((1..=3).map(recv).collect(), 3, &mut chain)
            .await
            .expect_err("held");
        assert!(refused_on_its_own(&err));
        assert_eq!(chain.log, vec![vec![1, 2, 3], vec![1], vec![2]]);
    }
}
