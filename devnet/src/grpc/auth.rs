//! cosmos.auth.v1beta1.Query: accounts and the chain's auth parameters.

use std::sync::Arc;

use cosmos_sdk_proto::Any;
use cosmos_sdk_proto::cosmos::auth::v1beta1 as authpb;
use prost::Message;
use tonic::{Request, Response, Status};

use crate::address::bech32_encode;
use crate::node::Node;

use super::status::{Rpc, address, unimplemented};

pub struct AuthService(pub(super) Arc<Node>);

#[tonic::async_trait]
impl authpb::query_server::Query for AuthService {
    async fn accounts(
        &self,
        _: Request<authpb::QueryAccountsRequest>,
    ) -> Rpc<authpb::QueryAccountsResponse> {
        unimplemented("Accounts")
    }
    async fn account(
        &self,
        request: Request<authpb::QueryAccountRequest>,
    ) -> Rpc<authpb::QueryAccountResponse> {
        let human = request.into_inner().address;
        let addr = address(&self.0, &human)?;
        let account = self.0.with_chain(move |chain| chain.account(&addr)).await?;
        match account {
            Some(account) => Ok(Response::new(authpb::QueryAccountResponse {
                account: Some(Any {
                    type_url: "/cosmos.auth.v1beta1.BaseAccount".into(),
                    value: account.encode_to_vec(),
                }),
            })),
            None => Err(Status::not_found(format!("account {human} not found"))),
        }
    }
    async fn account_address_by_id(
        &self,
        _: Request<authpb::QueryAccountAddressByIdRequest>,
    ) -> Rpc<authpb::QueryAccountAddressByIdResponse> {
        unimplemented("AccountAddressByID")
    }
    async fn params(
        &self,
        _: Request<authpb::QueryParamsRequest>,
    ) -> Rpc<authpb::QueryParamsResponse> {
        Ok(Response::new(authpb::QueryParamsResponse {
            params: Some(authpb::Params {
                max_memo_characters: 256,
                tx_sig_limit: 1,
                tx_size_cost_per_byte: 10,
                sig_verify_cost_ed25519: 590,
                sig_verify_cost_secp256k1: 1000,
            }),
        }))
    }
    async fn module_accounts(
        &self,
        _: Request<authpb::QueryModuleAccountsRequest>,
    ) -> Rpc<authpb::QueryModuleAccountsResponse> {
        unimplemented("ModuleAccounts")
    }
    async fn module_account_by_name(
        &self,
        _: Request<authpb::QueryModuleAccountByNameRequest>,
    ) -> Rpc<authpb::QueryModuleAccountByNameResponse> {
        unimplemented("ModuleAccountByName")
    }
    async fn bech32_prefix(
        &self,
        _: Request<authpb::Bech32PrefixRequest>,
    ) -> Rpc<authpb::Bech32PrefixResponse> {
        Ok(Response::new(authpb::Bech32PrefixResponse {
            bech32_prefix: self.0.config.prefix.clone(),
        }))
    }
    async fn address_bytes_to_string(
        &self,
        request: Request<authpb::AddressBytesToStringRequest>,
    ) -> Rpc<authpb::AddressBytesToStringResponse> {
        let bytes = request.into_inner().address_bytes;
        bech32_encode(&self.0.config.prefix, &bytes)
            .map(|address_string| {
                Response::new(authpb::AddressBytesToStringResponse { address_string })
            })
            .map_err(|e| Status::invalid_argument(e.to_string()))
    }
    async fn address_string_to_bytes(
        &self,
        request: Request<authpb::AddressStringToBytesRequest>,
    ) -> Rpc<authpb::AddressStringToBytesResponse> {
        let address_bytes = address(&self.0, &request.into_inner().address_string)?;
        Ok(Response::new(authpb::AddressStringToBytesResponse {
            address_bytes,
        }))
    }
    async fn account_info(
        &self,
        request: Request<authpb::QueryAccountInfoRequest>,
    ) -> Rpc<authpb::QueryAccountInfoResponse> {
        let human = request.into_inner().address;
        let addr = address(&self.0, &human)?;
        let account = self.0.with_chain(move |chain| chain.account(&addr)).await?;
        match account {
            Some(info) => Ok(Response::new(authpb::QueryAccountInfoResponse {
                info: Some(info),
            })),
            None => Err(Status::not_found(format!("account {human} not found"))),
        }
    }
}
