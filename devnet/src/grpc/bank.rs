//! cosmos.bank.v1beta1.Query: balances and supply.

use std::sync::Arc;

use cosmos_sdk_proto::cosmos::bank::v1beta1 as bankpb;
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin;
use tonic::{Request, Response, Status};

use crate::node::Node;

use super::status::{Rpc, address, unimplemented};

pub struct BankService(pub(super) Arc<Node>);

#[tonic::async_trait]
impl bankpb::query_server::Query for BankService {
    async fn balance(
        &self,
        request: Request<bankpb::QueryBalanceRequest>,
    ) -> Rpc<bankpb::QueryBalanceResponse> {
        let req = request.into_inner();
        let addr = address(&self.0, &req.address)?;
        if req.denom.is_empty() {
            return Err(Status::invalid_argument("invalid denom"));
        }
        let denom = req.denom.clone();
        let amount = self
            .0
            .with_chain(move |chain| chain.balance(&addr, &denom))
            .await?;
        Ok(Response::new(bankpb::QueryBalanceResponse {
            balance: Some(Coin {
                denom: req.denom,
                amount: amount.to_string(),
            }),
        }))
    }
    async fn all_balances(
        &self,
        request: Request<bankpb::QueryAllBalancesRequest>,
    ) -> Rpc<bankpb::QueryAllBalancesResponse> {
        let addr = address(&self.0, &request.into_inner().address)?;
        let balances = self
            .0
            .with_chain(move |chain| chain.all_balances(&addr))
            .await?;
        Ok(Response::new(bankpb::QueryAllBalancesResponse {
            balances: balances
                .into_iter()
                .map(|(denom, amount)| Coin {
                    denom,
                    amount: amount.to_string(),
                })
                .collect(),
            pagination: None,
        }))
    }
    async fn spendable_balances(
        &self,
        _: Request<bankpb::QuerySpendableBalancesRequest>,
    ) -> Rpc<bankpb::QuerySpendableBalancesResponse> {
        unimplemented("SpendableBalances")
    }
    async fn spendable_balance_by_denom(
        &self,
        _: Request<bankpb::QuerySpendableBalanceByDenomRequest>,
    ) -> Rpc<bankpb::QuerySpendableBalanceByDenomResponse> {
        unimplemented("SpendableBalanceByDenom")
    }
    async fn total_supply(
        &self,
        _: Request<bankpb::QueryTotalSupplyRequest>,
    ) -> Rpc<bankpb::QueryTotalSupplyResponse> {
        unimplemented("TotalSupply")
    }
    async fn supply_of(
        &self,
        _: Request<bankpb::QuerySupplyOfRequest>,
    ) -> Rpc<bankpb::QuerySupplyOfResponse> {
        unimplemented("SupplyOf")
    }
    async fn params(
        &self,
        _: Request<bankpb::QueryParamsRequest>,
    ) -> Rpc<bankpb::QueryParamsResponse> {
        unimplemented("Params")
    }
    async fn denom_metadata(
        &self,
        _: Request<bankpb::QueryDenomMetadataRequest>,
    ) -> Rpc<bankpb::QueryDenomMetadataResponse> {
        unimplemented("DenomMetadata")
    }
    async fn denom_metadata_by_query_string(
        &self,
        _: Request<bankpb::QueryDenomMetadataByQueryStringRequest>,
    ) -> Rpc<bankpb::QueryDenomMetadataByQueryStringResponse> {
        unimplemented("DenomMetadataByQueryString")
    }
    async fn denoms_metadata(
        &self,
        _: Request<bankpb::QueryDenomsMetadataRequest>,
    ) -> Rpc<bankpb::QueryDenomsMetadataResponse> {
        unimplemented("DenomsMetadata")
    }
    async fn denom_owners(
        &self,
        _: Request<bankpb::QueryDenomOwnersRequest>,
    ) -> Rpc<bankpb::QueryDenomOwnersResponse> {
        unimplemented("DenomOwners")
    }
    async fn denom_owners_by_query(
        &self,
        _: Request<bankpb::QueryDenomOwnersByQueryRequest>,
    ) -> Rpc<bankpb::QueryDenomOwnersByQueryResponse> {
        unimplemented("DenomOwnersByQuery")
    }
    async fn send_enabled(
        &self,
        _: Request<bankpb::QuerySendEnabledRequest>,
    ) -> Rpc<bankpb::QuerySendEnabledResponse> {
        unimplemented("SendEnabled")
    }
}
