//! Messages a chain keeps refusing: a batch that fails is retried one message at a time, and a
//! message the chain refuses on its own (its fault, not the relayer's: a contract that errors on
//! every acknowledgement, a proof the chain rejects) is set aside in the persisted dead-letter
//! list with its error, so the rest of the batch and every later packet flow on. Before this a
//! single such message held its chain's cursor forever.
//!
//! Refusals that are the relayer's own condition (no fee funds, fee too low, out of gas, a
//! sequence race) are not the message's fault: they hold the pass as before and are retried.

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
pub fn refused_on_its_own(error: &anyhow::Error) -> bool {
    let Some(client) = error.downcast_ref::<ClientError>() else {
        return false;
    };
    // The SDK's codes for the signer's condition: insufficient funds (5), out of gas (11),
    // insufficient fee (13), wrong sequence (32), already in the mempool cache (19).
    const SIGNER_CONDITION: [u32; 5] = [5, 11, 13, 19, 32];
    match client {
        ClientError::CheckTx {
            codespace, code, ..
        }
        | ClientError::DeliverTx {
            codespace, code, ..
        } => !(codespace == "sdk" && SIGNER_CONDITION.contains(code)),
        // A failed simulation: the chain ran the messages and one failed.
        ClientError::Status(status) if status.code() == tonic::Code::Unknown => {
            let message = status.message();
            ![
                "insufficient funds",
                "insufficient fee",
                "account sequence mismatch",
                "out of gas",
            ]
            .iter()
            .any(|condition| message.contains(condition))
        }
        _ => false,
    }
}

/// Sends messages to one chain as one transaction.
pub(crate) trait Submit {
    async fn submit(&mut self, msgs: Vec<Any>) -> anyhow::Result<()>;
}

/// Sends `msgs` in batches of at most `max`; a batch the chain refuses is sent again one
/// message at a time, and each message it refuses alone is returned in [`Sent::refused`]. Any
/// other failure stops and is returned (the rest waits for the next pass).
pub(crate) async fn send_all<S: Submit>(
    msgs: Vec<Any>,
    max: usize,
    to: &mut S,
) -> anyhow::Result<Sent> {
    let mut sent = Sent::default();
    for batch in msgs.chunks(max.max(1)) {
        match to.submit(batch.to_vec()).await {
            Ok(()) => sent.confirmed += batch.len(),
            Err(e) if refused_on_its_own(&e) => {
                if batch.len() == 1 {
                    sent.refused.push((batch[0].clone(), e.to_string()));
                    continue;
                }
                tracing::warn!(error = %e, messages = batch.len(), "batch refused; sending its messages one at a time");
                for msg in batch {
                    match to.submit(vec![msg.clone()]).await {
                        Ok(()) => sent.confirmed += 1,
                        Err(e) if refused_on_its_own(&e) => {
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

    fn refusal() -> anyhow::Error {
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
        always: Option<fn() -> anyhow::Error>,
        log: Vec<Vec<u64>>,
    }

    impl Submit for Fake {
        async fn submit(&mut self, msgs: Vec<Any>) -> anyhow::Result<()> {
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

    fn broke() -> anyhow::Error {
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
        // A transport failure is not a refusal either, nor a simulation that ran out of funds.
        assert!(!refused_on_its_own(&anyhow::anyhow!("connection reset")));
        let simulated = ClientError::from(tonic::Status::unknown("insufficient funds: 3uloop"));
        assert!(!refused_on_its_own(&simulated.into()));
        let failed = ClientError::from(tonic::Status::unknown(
            "failed to execute message; message index: 0: ack handler failed",
        ));
        assert!(refused_on_its_own(&failed.into()));
    }
}
