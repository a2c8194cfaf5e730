//! cosmwasm.wasm.v1.Query: smart, raw, contract info, code info and contracts by code.

use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};

use cosmos_sdk_proto::cosmwasm::wasm::v1 as wasmpb;
use tonic::Status;
use tonic::codegen::{BoxFuture, http};
use tonic::server::NamedService;

use crate::address::bech32_decode;
use crate::chain::Chain;
use crate::exec::{GAS_MULTIPLIER, QueryError};
use crate::node::Node;
use crate::wasm::QUERY_GAS_LIMIT;

use super::unary::{HttpResponse, unary, unimplemented_http};

/// cosmwasm.wasm.v1.Query: smart, raw, contract info, code info and contracts by code.
#[derive(Clone)]
pub struct WasmQueryService(pub(super) Arc<Node>);

impl NamedService for WasmQueryService {
    const NAME: &'static str = "cosmwasm.wasm.v1.Query";
}

fn query_status(e: QueryError) -> Status {
    match e {
        // As wasmd answers: its registered error, code Unknown.
        QueryError::NoSuchContract(addr) => Status::unknown(format!(
            "codespace wasm code 22: no such contract: address {addr}"
        )),
        QueryError::OutOfGas => Status::resource_exhausted("out of gas in query"),
        other => Status::invalid_argument(other.to_string()),
    }
}

fn smart_query(chain: &mut Chain, contract: &str, msg: &[u8]) -> Result<Vec<u8>, Status> {
    if serde_json::from_slice::<serde_json::Value>(msg).is_err() {
        return Err(Status::invalid_argument("query data must be json"));
    }
    let gas = QUERY_GAS_LIMIT * GAS_MULTIPLIER;
    let (result, _) = chain.query(|ctx, vm| vm.query_smart(ctx, contract, msg, gas, 0));
    result.map(|b| b.to_vec()).map_err(query_status)
}

impl tonic::codegen::Service<http::Request<tonic::body::Body>> for WasmQueryService {
    type Response = HttpResponse;
    type Error = Infallible;
    type Future = BoxFuture<HttpResponse, Infallible>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<tonic::body::Body>) -> Self::Future {
        let node = self.0.clone();
        match req.uri().path() {
            "/cosmwasm.wasm.v1.Query/SmartContractState" => unary(
                req,
                move |r: wasmpb::QuerySmartContractStateRequest| async move {
                    let data = node
                        .with_chain(move |chain| smart_query(chain, &r.address, &r.query_data))
                        .await??;
                    Ok(wasmpb::QuerySmartContractStateResponse { data })
                },
            ),
            "/cosmwasm.wasm.v1.Query/RawContractState" => unary(
                req,
                move |r: wasmpb::QueryRawContractStateRequest| async move {
                    let data = node
                        .with_chain(move |chain| {
                            chain.query(|ctx, vm| vm.query_raw(ctx, &r.address, &r.query_data))
                        })
                        .await?
                        .map_err(query_status)?
                        .unwrap_or_default();
                    Ok(wasmpb::QueryRawContractStateResponse { data })
                },
            ),
            "/cosmwasm.wasm.v1.Query/ContractInfo" => {
                unary(req, move |r: wasmpb::QueryContractInfoRequest| async move {
                    let prefix = node.config.prefix.clone();
                    let canonical = bech32_decode(&prefix, &r.address)
                        .map_err(|e| Status::invalid_argument(format!("invalid address: {e}")))?;
                    let address = r.address.clone();
                    let (meta, port) = node
                        .with_chain(move |chain| {
                            chain.query(|ctx, vm| {
                                (
                                    vm.contract_meta(ctx, &canonical),
                                    vm.ibc_port_of(ctx, &address),
                                )
                            })
                        })
                        .await?;
                    let meta = meta.ok_or_else(|| {
                        Status::not_found(format!("no such contract: {}", r.address))
                    })?;
                    Ok(wasmpb::QueryContractInfoResponse {
                        address: r.address,
                        contract_info: Some(wasmpb::ContractInfo {
                            code_id: meta.code_id,
                            creator: meta.creator,
                            admin: meta.admin.unwrap_or_default(),
                            label: meta.label,
                            created: Some(wasmpb::AbsoluteTxPosition {
                                block_height: meta.created_height,
                                tx_index: 0,
                            }),
                            ibc_port_id: port.unwrap_or_default(),
                            extension: None,
                        }),
                    })
                })
            }
            _ => unimplemented_http(),
        }
    }
}
