//! cosmos.base.tendermint.v1beta1.Service: node info, syncing, blocks and the validator set.

use std::sync::Arc;

use cosmos_sdk_proto::cosmos::base::tendermint::v1beta1 as tmpb;
use cosmos_sdk_proto::tendermint as tm;
use tonic::{Request, Response, Status};

use crate::address::bech32_encode;
use crate::chain::Header;
use crate::node::Node;

use super::status::{Rpc, unimplemented};

pub struct TendermintService(pub(super) Arc<Node>);

fn timestamp(nanos: u64) -> tm::google::protobuf::Timestamp {
    tm::google::protobuf::Timestamp {
        seconds: (nanos / 1_000_000_000) as i64,
        nanos: (nanos % 1_000_000_000) as i32,
    }
}

fn block_id(hash: &str) -> tm::types::BlockId {
    tm::types::BlockId {
        hash: hex::decode(hash).unwrap_or_default(),
        part_set_header: Some(tm::types::PartSetHeader {
            total: 1,
            hash: hex::decode(hash).unwrap_or_default(),
        }),
    }
}

fn block_response(chain_id: &str, header: &Header) -> tmpb::GetLatestBlockResponse {
    let version = tm::version::Consensus { block: 11, app: 0 };
    let last = (!header.last_hash.is_empty()).then(|| block_id(&header.last_hash));
    let app_hash = hex::decode(&header.app_hash).unwrap_or_default();
    let tm_header = tm::types::Header {
        version: Some(version),
        chain_id: chain_id.to_string(),
        height: header.height as i64,
        time: Some(timestamp(header.time_nanos)),
        last_block_id: last.clone(),
        app_hash: app_hash.clone(),
        ..Default::default()
    };
    let sdk_header = tmpb::Header {
        version: Some(version),
        chain_id: chain_id.to_string(),
        height: header.height as i64,
        time: Some(timestamp(header.time_nanos)),
        last_block_id: last,
        app_hash,
        ..Default::default()
    };
    tmpb::GetLatestBlockResponse {
        block_id: Some(block_id(&header.hash)),
        block: Some(tm::types::Block {
            header: Some(tm_header),
            data: Some(tm::types::Data { txs: vec![] }),
            evidence: None,
            last_commit: None,
        }),
        sdk_block: Some(tmpb::Block {
            header: Some(sdk_header),
            data: Some(tm::types::Data { txs: vec![] }),
            evidence: None,
            last_commit: None,
        }),
    }
}

#[tonic::async_trait]
impl tmpb::service_server::Service for TendermintService {
    async fn get_node_info(
        &self,
        _: Request<tmpb::GetNodeInfoRequest>,
    ) -> Rpc<tmpb::GetNodeInfoResponse> {
        let config = &self.0.config;
        Ok(Response::new(tmpb::GetNodeInfoResponse {
            default_node_info: Some(tm::p2p::DefaultNodeInfo {
                protocol_version: Some(tm::p2p::ProtocolVersion {
                    p2p: 8,
                    block: 11,
                    app: 0,
                }),
                default_node_id: "0000000000000000000000000000000000000000".into(),
                listen_addr: config.grpc_addr.clone(),
                network: config.chain_id.clone(),
                version: env!("CARGO_PKG_VERSION").into(),
                channels: vec![],
                moniker: "loopin-devnet".into(),
                other: None,
            }),
            application_version: Some(tmpb::VersionInfo {
                name: "loopin-devnet".into(),
                app_name: "loopin-devnet".into(),
                version: env!("CARGO_PKG_VERSION").into(),
                git_commit: String::new(),
                build_tags: String::new(),
                go_version: String::new(),
                build_deps: vec![],
                cosmos_sdk_version: "v0.50 (gRPC subset)".into(),
            }),
        }))
    }
    async fn get_syncing(
        &self,
        _: Request<tmpb::GetSyncingRequest>,
    ) -> Rpc<tmpb::GetSyncingResponse> {
        Ok(Response::new(tmpb::GetSyncingResponse { syncing: false }))
    }
    async fn get_latest_block(
        &self,
        _: Request<tmpb::GetLatestBlockRequest>,
    ) -> Rpc<tmpb::GetLatestBlockResponse> {
        let chain_id = self.0.config.chain_id.clone();
        let header = self.0.with_chain(|chain| chain.header().clone()).await?;
        Ok(Response::new(block_response(&chain_id, &header)))
    }
    async fn get_block_by_height(
        &self,
        request: Request<tmpb::GetBlockByHeightRequest>,
    ) -> Rpc<tmpb::GetBlockByHeightResponse> {
        let height = request.into_inner().height;
        let chain_id = self.0.config.chain_id.clone();
        let stored = self
            .0
            .with_chain(move |chain| chain.store().block(height.max(0) as u64))
            .await?
            .map_err(|e| Status::internal(e.to_string()))?;
        let header: Header = stored
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or_else(|| Status::not_found(format!("no block at height {height}")))?;
        let r = block_response(&chain_id, &header);
        Ok(Response::new(tmpb::GetBlockByHeightResponse {
            block_id: r.block_id,
            block: r.block,
            sdk_block: r.sdk_block,
        }))
    }
    /// One validator: the IBC signer, whose key counterparties' clients verify proofs with.
    async fn get_latest_validator_set(
        &self,
        _: Request<tmpb::GetLatestValidatorSetRequest>,
    ) -> Rpc<tmpb::GetLatestValidatorSetResponse> {
        let prefix = format!("{}valcons", self.0.config.prefix);
        let (height, key) = self
            .0
            .with_chain(|chain| (chain.header().height, *chain.ibc_signer().verifying_key()))
            .await?;
        let compressed = key.to_encoded_point(true);
        let address = bech32_encode(
            &prefix,
            &crate::address::pubkey_address(compressed.as_bytes()),
        )
        .map_err(|e| Status::internal(e.to_string()))?;
        Ok(Response::new(tmpb::GetLatestValidatorSetResponse {
            block_height: height as i64,
            validators: vec![tmpb::Validator {
                address,
                pub_key: Some(crate::ibc::proof::public_key_any(&key)),
                voting_power: 1,
                proposer_priority: 0,
            }],
            pagination: Some(
                cosmos_sdk_proto::cosmos::base::query::v1beta1::PageResponse {
                    next_key: Vec::new(),
                    total: 1,
                },
            ),
        }))
    }
    async fn get_validator_set_by_height(
        &self,
        _: Request<tmpb::GetValidatorSetByHeightRequest>,
    ) -> Rpc<tmpb::GetValidatorSetByHeightResponse> {
        unimplemented("GetValidatorSetByHeight")
    }
    async fn abci_query(&self, _: Request<tmpb::AbciQueryRequest>) -> Rpc<tmpb::AbciQueryResponse> {
        unimplemented("ABCIQuery")
    }
}
