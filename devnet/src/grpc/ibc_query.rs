//! The gRPC queries a relayer uses: `ibc.core.channel.v1.Query`, `ibc.core.connection.v1.Query`
//! and `ibc.core.client.v1.Query` (the methods listed in docs/devnet.md; the others answer
//! `UNIMPLEMENTED`). Values are read from the latest committed block and proven with this
//! chain's IBC signer at that block's height and time (`proof_height`).

use std::sync::Arc;

use cosmos_sdk_proto::cosmos::base::query::v1beta1::PageResponse;
use ibc_proto::ibc::core::channel::v1 as chanpb;
use ibc_proto::ibc::core::client::v1 as clientpb;
use ibc_proto::ibc::core::connection::v1 as connpb;
use prost::Message;
use tonic::{Request, Response, Status};

use crate::ibc::client::client_state_any;
use crate::ibc::proof::Prover;
use crate::ibc::{paths, store};
use crate::node::Node;
use crate::state::State;

use super::status::Rpc;

fn unimplemented<T>(what: &str) -> Rpc<T> {
    Err(Status::unimplemented(format!(
        "{what} is not served by the devnet"
    )))
}

fn page(total: usize) -> Option<PageResponse> {
    Some(PageResponse {
        next_key: Vec::new(),
        total: total as u64,
    })
}

/// Runs `f` on the committed state with a prover at the latest block.
async fn read<R: Send + 'static>(
    node: &Arc<Node>,
    f: impl FnOnce(&State, &Prover) -> R + Send + 'static,
) -> Result<R, Status> {
    node.with_chain(move |chain| f(chain.state(), &chain.ibc_prover()))
        .await
}

fn identified(port: String, channel_id: String, end: chanpb::Channel) -> chanpb::IdentifiedChannel {
    chanpb::IdentifiedChannel {
        state: end.state,
        ordering: end.ordering,
        counterparty: end.counterparty,
        connection_hops: end.connection_hops,
        version: end.version,
        port_id: port,
        channel_id,
        upgrade_sequence: end.upgrade_sequence,
    }
}

fn packet_states(
    port: &str,
    channel: &str,
    records: Vec<(u64, Vec<u8>)>,
) -> Vec<chanpb::PacketState> {
    records
        .into_iter()
        .map(|(sequence, data)| chanpb::PacketState {
            port_id: port.to_string(),
            channel_id: channel.to_string(),
            sequence,
            data,
        })
        .collect()
}

/// `ibc.core.channel.v1.Query`.
pub struct ChannelQuery(pub Arc<Node>);

#[tonic::async_trait]
impl chanpb::query_server::Query for ChannelQuery {
    async fn channel(
        &self,
        request: Request<chanpb::QueryChannelRequest>,
    ) -> Rpc<chanpb::QueryChannelResponse> {
        let r = request.into_inner();
        let (port, id) = (r.port_id.clone(), r.channel_id.clone());
        let found = read(&self.0, move |s, p| {
            store::channel(s, &port, &id).map(|end| {
                let proof = p.prove(&paths::channel(&port, &id), &end.encode_to_vec());
                chanpb::QueryChannelResponse {
                    channel: Some(end),
                    proof,
                    proof_height: Some(p.height()),
                }
            })
        })
        .await?;
        found.map(Response::new).ok_or_else(|| {
            Status::not_found(format!("channel {}/{} not found", r.port_id, r.channel_id))
        })
    }

    async fn channels(
        &self,
        _: Request<chanpb::QueryChannelsRequest>,
    ) -> Rpc<chanpb::QueryChannelsResponse> {
        let answer = read(&self.0, |s, p| {
            let channels: Vec<_> = store::channels(s)
                .into_iter()
                .map(|(port, id, end)| identified(port, id, end))
                .collect();
            chanpb::QueryChannelsResponse {
                pagination: page(channels.len()),
                channels,
                height: Some(p.height()),
            }
        })
        .await?;
        Ok(Response::new(answer))
    }

    async fn connection_channels(
        &self,
        request: Request<chanpb::QueryConnectionChannelsRequest>,
    ) -> Rpc<chanpb::QueryConnectionChannelsResponse> {
        let connection = request.into_inner().connection;
        let answer = read(&self.0, move |s, p| {
            let channels: Vec<_> = store::channels(s)
                .into_iter()
                .filter(|(_, _, end)| end.connection_hops.first() == Some(&connection))
                .map(|(port, id, end)| identified(port, id, end))
                .collect();
            chanpb::QueryConnectionChannelsResponse {
                pagination: page(channels.len()),
                channels,
                height: Some(p.height()),
            }
        })
        .await?;
        Ok(Response::new(answer))
    }

    async fn channel_client_state(
        &self,
        _: Request<chanpb::QueryChannelClientStateRequest>,
    ) -> Rpc<chanpb::QueryChannelClientStateResponse> {
        unimplemented("ChannelClientState")
    }

    async fn channel_consensus_state(
        &self,
        _: Request<chanpb::QueryChannelConsensusStateRequest>,
    ) -> Rpc<chanpb::QueryChannelConsensusStateResponse> {
        unimplemented("ChannelConsensusState")
    }

    async fn packet_commitment(
        &self,
        request: Request<chanpb::QueryPacketCommitmentRequest>,
    ) -> Rpc<chanpb::QueryPacketCommitmentResponse> {
        let r = request.into_inner();
        let (port, id, seq) = (r.port_id.clone(), r.channel_id.clone(), r.sequence);
        let found = read(&self.0, move |s, p| {
            store::commitment(s, &port, &id, seq).map(|commitment| {
                let proof = p.prove(&paths::commitment(&port, &id, seq), &commitment);
                chanpb::QueryPacketCommitmentResponse {
                    commitment,
                    proof,
                    proof_height: Some(p.height()),
                }
            })
        })
        .await?;
        found.map(Response::new).ok_or_else(|| {
            Status::not_found(format!(
                "packet commitment {}/{} sequence {} not found",
                r.port_id, r.channel_id, r.sequence
            ))
        })
    }

    async fn packet_commitments(
        &self,
        request: Request<chanpb::QueryPacketCommitmentsRequest>,
    ) -> Rpc<chanpb::QueryPacketCommitmentsResponse> {
        let r = request.into_inner();
        let answer = read(&self.0, move |s, p| {
            let all = store::commitments(s, &r.port_id, &r.channel_id);
            chanpb::QueryPacketCommitmentsResponse {
                pagination: page(all.len()),
                commitments: packet_states(&r.port_id, &r.channel_id, all),
                height: Some(p.height()),
            }
        })
        .await?;
        Ok(Response::new(answer))
    }

    async fn packet_receipt(
        &self,
        request: Request<chanpb::QueryPacketReceiptRequest>,
    ) -> Rpc<chanpb::QueryPacketReceiptResponse> {
        let r = request.into_inner();
        let answer = read(&self.0, move |s, p| {
            let received = store::has_receipt(s, &r.port_id, &r.channel_id, r.sequence);
            let value: &[u8] = if received { paths::RECEIPT } else { &[] };
            chanpb::QueryPacketReceiptResponse {
                received,
                proof: p.prove(
                    &paths::receipt(&r.port_id, &r.channel_id, r.sequence),
                    value,
                ),
                proof_height: Some(p.height()),
            }
        })
        .await?;
        Ok(Response::new(answer))
    }

    async fn packet_acknowledgement(
        &self,
        request: Request<chanpb::QueryPacketAcknowledgementRequest>,
    ) -> Rpc<chanpb::QueryPacketAcknowledgementResponse> {
        let r = request.into_inner();
        let (port, id, seq) = (r.port_id.clone(), r.channel_id.clone(), r.sequence);
        let found = read(&self.0, move |s, p| {
            store::ack(s, &port, &id, seq).map(|acknowledgement| {
                let proof = p.prove(&paths::ack(&port, &id, seq), &acknowledgement);
                chanpb::QueryPacketAcknowledgementResponse {
                    acknowledgement,
                    proof,
                    proof_height: Some(p.height()),
                }
            })
        })
        .await?;
        found.map(Response::new).ok_or_else(|| {
            Status::not_found(format!(
                "packet acknowledgement {}/{} sequence {} not found",
                r.port_id, r.channel_id, r.sequence
            ))
        })
    }

    async fn packet_acknowledgements(
        &self,
        request: Request<chanpb::QueryPacketAcknowledgementsRequest>,
    ) -> Rpc<chanpb::QueryPacketAcknowledgementsResponse> {
        let r = request.into_inner();
        let answer = read(&self.0, move |s, p| {
            let mut all = store::acks(s, &r.port_id, &r.channel_id);
            if !r.packet_commitment_sequences.is_empty() {
                all.retain(|(seq, _)| r.packet_commitment_sequences.contains(seq));
            }
            chanpb::QueryPacketAcknowledgementsResponse {
                pagination: page(all.len()),
                acknowledgements: packet_states(&r.port_id, &r.channel_id, all),
                height: Some(p.height()),
            }
        })
        .await?;
        Ok(Response::new(answer))
    }

    async fn unreceived_packets(
        &self,
        request: Request<chanpb::QueryUnreceivedPacketsRequest>,
    ) -> Rpc<chanpb::QueryUnreceivedPacketsResponse> {
        let r = request.into_inner();
        let answer = read(&self.0, move |s, p| {
            chanpb::QueryUnreceivedPacketsResponse {
                sequences: r
                    .packet_commitment_sequences
                    .iter()
                    .copied()
                    .filter(|seq| !store::has_receipt(s, &r.port_id, &r.channel_id, *seq))
                    .collect(),
                height: Some(p.height()),
            }
        })
        .await?;
        Ok(Response::new(answer))
    }

    async fn unreceived_acks(
        &self,
        request: Request<chanpb::QueryUnreceivedAcksRequest>,
    ) -> Rpc<chanpb::QueryUnreceivedAcksResponse> {
        let r = request.into_inner();
        let answer = read(&self.0, move |s, p| chanpb::QueryUnreceivedAcksResponse {
            sequences: r
                .packet_ack_sequences
                .iter()
                .copied()
                .filter(|seq| store::commitment(s, &r.port_id, &r.channel_id, *seq).is_some())
                .collect(),
            height: Some(p.height()),
        })
        .await?;
        Ok(Response::new(answer))
    }

    async fn next_sequence_receive(
        &self,
        _: Request<chanpb::QueryNextSequenceReceiveRequest>,
    ) -> Rpc<chanpb::QueryNextSequenceReceiveResponse> {
        unimplemented("NextSequenceReceive (UNORDERED channels only)")
    }

    async fn next_sequence_send(
        &self,
        _: Request<chanpb::QueryNextSequenceSendRequest>,
    ) -> Rpc<chanpb::QueryNextSequenceSendResponse> {
        unimplemented("NextSequenceSend")
    }

    async fn upgrade_error(
        &self,
        _: Request<chanpb::QueryUpgradeErrorRequest>,
    ) -> Rpc<chanpb::QueryUpgradeErrorResponse> {
        unimplemented("UpgradeError")
    }

    async fn upgrade(
        &self,
        _: Request<chanpb::QueryUpgradeRequest>,
    ) -> Rpc<chanpb::QueryUpgradeResponse> {
        unimplemented("Upgrade")
    }

    async fn channel_params(
        &self,
        _: Request<chanpb::QueryChannelParamsRequest>,
    ) -> Rpc<chanpb::QueryChannelParamsResponse> {
        unimplemented("ChannelParams")
    }
}

/// `ibc.core.connection.v1.Query`.
pub struct ConnectionQuery(pub Arc<Node>);

#[tonic::async_trait]
impl connpb::query_server::Query for ConnectionQuery {
    async fn connection(
        &self,
        request: Request<connpb::QueryConnectionRequest>,
    ) -> Rpc<connpb::QueryConnectionResponse> {
        let id = request.into_inner().connection_id;
        let key = id.clone();
        let found = read(&self.0, move |s, p| {
            store::connection(s, &key).map(|end| {
                let proof = p.prove(&paths::connection(&key), &end.encode_to_vec());
                connpb::QueryConnectionResponse {
                    connection: Some(end),
                    proof,
                    proof_height: Some(p.height()),
                }
            })
        })
        .await?;
        found
            .map(Response::new)
            .ok_or_else(|| Status::not_found(format!("connection {id} not found")))
    }

    async fn connections(
        &self,
        _: Request<connpb::QueryConnectionsRequest>,
    ) -> Rpc<connpb::QueryConnectionsResponse> {
        let answer = read(&self.0, |s, p| {
            let connections: Vec<_> = store::connections(s)
                .into_iter()
                .map(|(id, end)| connpb::IdentifiedConnection {
                    id,
                    client_id: end.client_id,
                    versions: end.versions,
                    state: end.state,
                    counterparty: end.counterparty,
                    delay_period: end.delay_period,
                })
                .collect();
            connpb::QueryConnectionsResponse {
                pagination: page(connections.len()),
                connections,
                height: Some(p.height()),
            }
        })
        .await?;
        Ok(Response::new(answer))
    }

    async fn client_connections(
        &self,
        _: Request<connpb::QueryClientConnectionsRequest>,
    ) -> Rpc<connpb::QueryClientConnectionsResponse> {
        unimplemented("ClientConnections")
    }

    async fn connection_client_state(
        &self,
        _: Request<connpb::QueryConnectionClientStateRequest>,
    ) -> Rpc<connpb::QueryConnectionClientStateResponse> {
        unimplemented("ConnectionClientState")
    }

    async fn connection_consensus_state(
        &self,
        _: Request<connpb::QueryConnectionConsensusStateRequest>,
    ) -> Rpc<connpb::QueryConnectionConsensusStateResponse> {
        unimplemented("ConnectionConsensusState")
    }

    async fn connection_params(
        &self,
        _: Request<connpb::QueryConnectionParamsRequest>,
    ) -> Rpc<connpb::QueryConnectionParamsResponse> {
        unimplemented("ConnectionParams")
    }
}

/// `ibc.core.client.v1.Query`.
pub struct ClientQuery(pub Arc<Node>);

#[tonic::async_trait]
impl clientpb::query_server::Query for ClientQuery {
    async fn client_state(
        &self,
        request: Request<clientpb::QueryClientStateRequest>,
    ) -> Rpc<clientpb::QueryClientStateResponse> {
        let id = request.into_inner().client_id;
        let key = id.clone();
        let found = read(&self.0, move |s, p| {
            store::client(s, &key).map(|state| {
                let any = client_state_any(&state);
                let proof = p.prove(&paths::client_state(&key), &any.encode_to_vec());
                clientpb::QueryClientStateResponse {
                    client_state: Some(any),
                    proof,
                    proof_height: Some(p.height()),
                }
            })
        })
        .await?;
        found
            .map(Response::new)
            .ok_or_else(|| Status::not_found(format!("client {id} not found")))
    }

    async fn client_states(
        &self,
        _: Request<clientpb::QueryClientStatesRequest>,
    ) -> Rpc<clientpb::QueryClientStatesResponse> {
        let answer = read(&self.0, |s, _| {
            let client_states: Vec<_> = store::clients(s)
                .into_iter()
                .map(|(client_id, state)| clientpb::IdentifiedClientState {
                    client_id,
                    client_state: Some(client_state_any(&state)),
                })
                .collect();
            clientpb::QueryClientStatesResponse {
                pagination: page(client_states.len()),
                client_states,
            }
        })
        .await?;
        Ok(Response::new(answer))
    }

    async fn consensus_state(
        &self,
        _: Request<clientpb::QueryConsensusStateRequest>,
    ) -> Rpc<clientpb::QueryConsensusStateResponse> {
        unimplemented("ConsensusState")
    }

    async fn consensus_states(
        &self,
        _: Request<clientpb::QueryConsensusStatesRequest>,
    ) -> Rpc<clientpb::QueryConsensusStatesResponse> {
        unimplemented("ConsensusStates")
    }

    async fn consensus_state_heights(
        &self,
        _: Request<clientpb::QueryConsensusStateHeightsRequest>,
    ) -> Rpc<clientpb::QueryConsensusStateHeightsResponse> {
        unimplemented("ConsensusStateHeights")
    }

    async fn client_status(
        &self,
        _: Request<clientpb::QueryClientStatusRequest>,
    ) -> Rpc<clientpb::QueryClientStatusResponse> {
        unimplemented("ClientStatus")
    }

    async fn client_params(
        &self,
        _: Request<clientpb::QueryClientParamsRequest>,
    ) -> Rpc<clientpb::QueryClientParamsResponse> {
        unimplemented("ClientParams")
    }

    async fn upgraded_client_state(
        &self,
        _: Request<clientpb::QueryUpgradedClientStateRequest>,
    ) -> Rpc<clientpb::QueryUpgradedClientStateResponse> {
        unimplemented("UpgradedClientState")
    }

    async fn upgraded_consensus_state(
        &self,
        _: Request<clientpb::QueryUpgradedConsensusStateRequest>,
    ) -> Rpc<clientpb::QueryUpgradedConsensusStateResponse> {
        unimplemented("UpgradedConsensusState")
    }
}
