//! The bridge's messages are cw20-ics20's own, re-exported so users of this crate (deploy, tests,
//! the relayer) name one crate. The packet is ICS-20's `FungibleTokenPacketData` in JSON
//! ([`Ics20Packet`]); acknowledgements are `{"result":"MQ=="}` or `{"error":"<message>"}`
//! ([`Ics20Ack`]).

pub use cw20_ics20::ibc::{ICS20_ORDERING, ICS20_VERSION, Ics20Ack, Ics20Packet};
pub use cw20_ics20::msg::{
    AllowMsg, AllowedInfo, AllowedResponse, ChannelResponse, ConfigResponse, ExecuteMsg, InitMsg,
    ListAllowedResponse, ListChannelsResponse, MigrateMsg, PortResponse, QueryMsg, TransferMsg,
};

/// The denom of a cw20 token in the bridge's packets (and the base denom of its voucher on the
/// other chain): `cw20:<token address>`.
pub fn cw20_denom(token: &str) -> String {
    format!("cw20:{token}")
}
