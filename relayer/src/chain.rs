//! One chain as the relayer sees it: its IBC queries (with proofs), the packet events of a block,
//! and transaction submission guarded by the persisted pending sequence.

use crate::config::ChainEntry;
use crate::error::RelayError;
use crate::state::StateFile;
use cosmos_sdk_proto::cosmos::base::abci::v1beta1::TxResponse;
use cosmos_sdk_proto::cosmos::base::tendermint::v1beta1 as tmpb;
use ibc_proto::ibc::core::channel::v1 as chanpb;
use ibc_proto::ibc::core::client::v1::Height;
use ibc_proto::ibc::core::connection::v1 as connpb;
use ibc_proto::ibc::lightclients::solomachine::v3::TimestampedSignatureData;
use loopin_chain_client::{ChainClient, ClientError, TxResult};
use prost::Message;
use std::time::Duration;
use tonic::transport::Channel;

/// Blocks a broadcast transaction is waited for after a restart before it is taken as dropped.
const PENDING_WAIT_BLOCKS: u64 = 5;

/// A proof of a value (or of its absence) on this chain, as a counterparty verifies it.
#[derive(Clone, Debug)]
pub struct Proof {
    pub bytes: Vec<u8>,
    pub height: Height,
    /// The block time (ns) the proof speaks for: what a counterparty compares timeouts with.
    pub timestamp: u64,
}

impl Proof {
    fn new(bytes: Vec<u8>, height: Option<Height>) -> Result<Proof, RelayError> {
        let height = height.ok_or(RelayError::ProofWithoutHeight)?;
        let timestamp = TimestampedSignatureData::decode(bytes.as_slice())
            .map_err(RelayError::UndecodableProof)?
            .timestamp;
        Ok(Proof {
            bytes,
            height,
            timestamp,
        })
    }
}

/// A query answer: the end, if any, its proof and the proof's height.
type ProvenAnswer<T> = (Option<T>, Vec<u8>, Option<Height>);

/// A queried channel or connection end with its proof; `None` when the chain has none.
fn proven_end<T>(
    answer: Result<ProvenAnswer<T>, tonic::Status>,
) -> Result<Option<(T, Proof)>, RelayError> {
    match answer {
        Ok((Some(end), proof, height)) => Ok(Some((end, Proof::new(proof, height)?))),
        Ok((None, _, _)) => Ok(None),
        Err(s) if s.code() == tonic::Code::NotFound => Ok(None),
        Err(s) => Err(s.into()),
    }
}

/// A connected chain with the relayer's key.
pub struct IbcChain {
    pub entry: ChainEntry,
    pub client: ChainClient,
}

impl IbcChain {
    pub async fn connect(entry: ChainEntry) -> Result<IbcChain, RelayError> {
        let key = entry.key()?;
        let client = ChainClient::connect(entry.chain_config(), key).await?;
        Ok(IbcChain { entry, client })
    }

    pub fn id(&self) -> &str {
        &self.entry.id
    }

    /// The relayer's account on this chain (the `signer` of its messages).
    pub fn signer(&self) -> String {
        self.client.address().to_string()
    }

    fn grpc(&self) -> Channel {
        self.client.channel()
    }

    fn channels(&self) -> chanpb::query_client::QueryClient<Channel> {
        chanpb::query_client::QueryClient::new(self.grpc())
    }

    /// The latest committed height and its block time (ns).
    pub async fn latest(&self) -> Result<(u64, u64), RelayError> {
        let block = tmpb::service_client::ServiceClient::new(self.grpc())
            .get_latest_block(tmpb::GetLatestBlockRequest {})
            .await?
            .into_inner();
        let header =
            block
                .sdk_block
                .and_then(|b| b.header)
                .ok_or_else(|| RelayError::NoHeader {
                    chain: self.id().to_string(),
                })?;
        let time = header.time.unwrap_or_default();
        let nanos = (time.seconds.max(0) as u64) * 1_000_000_000 + time.nanos.max(0) as u64;
        Ok((header.height.max(0) as u64, nanos))
    }

    /// Every transaction result of block `height`, in order (every search page of it).
    pub async fn txs_at(&self, height: u64) -> Result<Vec<TxResponse>, RelayError> {
        Ok(self.client.txs_at(height).await?)
    }

    /// The channel end at (port, channel), `None` if there is none.
    pub async fn channel_end(
        &self,
        port: &str,
        channel: &str,
    ) -> Result<Option<(chanpb::Channel, Proof)>, RelayError> {
        let answer = self
            .channels()
            .channel(chanpb::QueryChannelRequest {
                port_id: port.into(),
                channel_id: channel.into(),
            })
            .await;
        proven_end(answer.map(|r| {
            let r = r.into_inner();
            (r.channel, r.proof, r.proof_height)
        }))
    }

    /// The connection end `id`, `None` if there is none.
    pub async fn connection_end(
        &self,
        id: &str,
    ) -> Result<Option<(connpb::ConnectionEnd, Proof)>, RelayError> {
        let answer = connpb::query_client::QueryClient::new(self.grpc())
            .connection(connpb::QueryConnectionRequest {
                connection_id: id.into(),
            })
            .await;
        proven_end(answer.map(|r| {
            let r = r.into_inner();
            (r.connection, r.proof, r.proof_height)
        }))
    }

    /// Sequences among `sequences` this chain has not received on (port, channel).
    pub async fn unreceived_packets(
        &self,
        port: &str,
        channel: &str,
        sequences: Vec<u64>,
    ) -> Result<Vec<u64>, RelayError> {
        Ok(self
            .channels()
            .unreceived_packets(chanpb::QueryUnreceivedPacketsRequest {
                port_id: port.into(),
                channel_id: channel.into(),
                packet_commitment_sequences: sequences,
            })
            .await?
            .into_inner()
            .sequences)
    }

    /// Sequences among `sequences` whose commitment this chain still holds on (port, channel):
    /// sent, and neither acknowledged nor timed out yet.
    pub async fn still_committed(
        &self,
        port: &str,
        channel: &str,
        sequences: Vec<u64>,
    ) -> Result<Vec<u64>, RelayError> {
        Ok(self
            .channels()
            .unreceived_acks(chanpb::QueryUnreceivedAcksRequest {
                port_id: port.into(),
                channel_id: channel.into(),
                packet_ack_sequences: sequences,
            })
            .await?
            .into_inner()
            .sequences)
    }

    /// Proof of a packet's commitment.
    pub async fn commitment_proof(&self, packet: &chanpb::Packet) -> Result<Proof, RelayError> {
        let r = self
            .channels()
            .packet_commitment(chanpb::QueryPacketCommitmentRequest {
                port_id: packet.source_port.clone(),
                channel_id: packet.source_channel.clone(),
                sequence: packet.sequence,
            })
            .await?
            .into_inner();
        Proof::new(r.proof, r.proof_height)
    }

    /// Proof that a packet has not been received (a timeout's evidence), or `None` if it has.
    pub async fn unreceived_proof(
        &self,
        packet: &chanpb::Packet,
    ) -> Result<Option<Proof>, RelayError> {
        let r = self
            .channels()
            .packet_receipt(chanpb::QueryPacketReceiptRequest {
                port_id: packet.destination_port.clone(),
                channel_id: packet.destination_channel.clone(),
                sequence: packet.sequence,
            })
            .await?
            .into_inner();
        if r.received {
            return Ok(None);
        }
        Proof::new(r.proof, r.proof_height).map(Some)
    }

    /// Proof of the acknowledgement written for a packet received here.
    pub async fn ack_proof(&self, packet: &chanpb::Packet) -> Result<Proof, RelayError> {
        let r = self
            .channels()
            .packet_acknowledgement(chanpb::QueryPacketAcknowledgementRequest {
                port_id: packet.destination_port.clone(),
                channel_id: packet.destination_channel.clone(),
                sequence: packet.sequence,
            })
            .await?
            .into_inner();
        Proof::new(r.proof, r.proof_height)
    }

    /// The chain's IBC signer key (the one validator's public key), as an `Any`.
    pub async fn signer_key(&self) -> Result<cosmos_sdk_proto::Any, RelayError> {
        let set = tmpb::service_client::ServiceClient::new(self.grpc())
            .get_latest_validator_set(tmpb::GetLatestValidatorSetRequest { pagination: None })
            .await?
            .into_inner();
        let [validator] = set.validators.as_slice() else {
            return Err(RelayError::Validators {
                chain: self.id().to_string(),
                found: set.validators.len(),
            });
        };
        validator
            .pub_key
            .clone()
            .ok_or_else(|| RelayError::NoValidatorKey {
                chain: self.id().to_string(),
            })
    }

    /// Waits, after a restart, for a transaction this relayer broadcast before it stopped: until
    /// the account's sequence moves past it (it landed) or `PENDING_WAIT_BLOCKS` blocks pass
    /// (it was dropped). Only then may the chain's view of packets be trusted again.
    pub async fn settle_pending(&self, state: &mut StateFile) -> Result<(), RelayError> {
        let Some(sequence) = state.state().pending.get(self.id()).copied() else {
            return Ok(());
        };
        let (start, _) = self.latest().await?;
        loop {
            let (_, current) = self
                .client
                .account_of(&self.signer())
                .await?
                .unwrap_or_default();
            let (height, _) = self.latest().await?;
            if current > sequence {
                tracing::info!(
                    chain = self.id(),
                    sequence,
                    "the transaction broadcast before the restart landed"
                );
                break;
            }
            if height >= start + PENDING_WAIT_BLOCKS {
                tracing::info!(
                    chain = self.id(),
                    sequence,
                    "the transaction broadcast before the restart was dropped"
                );
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(state.clear_pending(self.id())?)
    }

    /// Sends one transaction of `msgs`: the sequence is recorded before the broadcast and
    /// cleared once the outcome is known (committed, or refused before the mempool).
    pub async fn submit(
        &self,
        msgs: Vec<cosmos_sdk_proto::Any>,
        state: &mut StateFile,
    ) -> Result<TxResult, RelayError> {
        let (_, sequence) = self
            .client
            .account_of(&self.signer())
            .await?
            .ok_or_else(|| RelayError::NoAccount {
                chain: self.id().to_string(),
            })?;
        state.set_pending(self.id(), sequence)?;
        let result = self.client.send(msgs, "loopin-relayer").await;
        let outcome_known = match &result {
            Ok(_) => true,
            Err(ClientError::DeliverTx { .. }) | Err(ClientError::CheckTx { .. }) => true,
            Err(_) => false,
        };
        if outcome_known {
            state.clear_pending(self.id())?;
        }
        Ok(result?)
    }
}
