//! The bridge's messages are `loopin::rewards_bridge`'s (re-exported here), whose JSON is
//! cw20-ics20's own; the entry points convert them into cw20-ics20's types with the functions
//! below, field by field. The packet is ICS-20's `FungibleTokenPacketData` in JSON
//! ([`Ics20Packet`]); acknowledgements are `{"result":"MQ=="}` or `{"error":"<message>"}`
//! ([`Ics20Ack`]).

pub use loopin::rewards_bridge::*;

use cw20_ics20::msg as ics20;

/// cw20-ics20's instantiation message.
pub fn ics20_instantiate(msg: InstantiateMsg) -> ics20::InitMsg {
    ics20::InitMsg {
        default_timeout: msg.default_timeout,
        gov_contract: msg.gov_contract,
        allowlist: msg.allowlist.into_iter().map(ics20_allow).collect(),
        default_gas_limit: msg.default_gas_limit,
    }
}

/// cw20-ics20's allowlist entry.
pub fn ics20_allow(msg: AllowMsg) -> ics20::AllowMsg {
    ics20::AllowMsg {
        contract: msg.contract,
        gas_limit: msg.gas_limit,
    }
}

/// cw20-ics20's transfer.
pub fn ics20_transfer(msg: TransferMsg) -> ics20::TransferMsg {
    ics20::TransferMsg {
        channel: msg.channel,
        remote_address: msg.remote_address,
        timeout: msg.timeout,
        memo: msg.memo,
    }
}

/// cw20-ics20's execute message.
pub fn ics20_execute(msg: ExecuteMsg) -> ics20::ExecuteMsg {
    match msg {
        ExecuteMsg::Receive(receive) => ics20::ExecuteMsg::Receive(receive),
        ExecuteMsg::Transfer(transfer) => ics20::ExecuteMsg::Transfer(ics20_transfer(transfer)),
        ExecuteMsg::Allow(allow) => ics20::ExecuteMsg::Allow(ics20_allow(allow)),
        ExecuteMsg::UpdateAdmin { admin } => ics20::ExecuteMsg::UpdateAdmin { admin },
    }
}

/// cw20-ics20's query.
pub fn ics20_query(msg: QueryMsg) -> ics20::QueryMsg {
    match msg {
        QueryMsg::Port {} => ics20::QueryMsg::Port {},
        QueryMsg::ListChannels {} => ics20::QueryMsg::ListChannels {},
        QueryMsg::Channel { id } => ics20::QueryMsg::Channel { id },
        QueryMsg::Config {} => ics20::QueryMsg::Config {},
        QueryMsg::Admin {} => ics20::QueryMsg::Admin {},
        QueryMsg::Allowed { contract } => ics20::QueryMsg::Allowed { contract },
        QueryMsg::ListAllowed { start_after, limit } => {
            ics20::QueryMsg::ListAllowed { start_after, limit }
        }
    }
}

/// cw20-ics20's migration message.
pub fn ics20_migrate(msg: MigrateMsg) -> ics20::MigrateMsg {
    ics20::MigrateMsg {
        default_gas_limit: msg.default_gas_limit,
    }
}
