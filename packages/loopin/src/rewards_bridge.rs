//! Messages of the rewards bridge (`contracts/rewards-bridge`): LOOP, a cw20 token, to other IBC
//! chains over ICS-20. The bridge runs cw-plus's `cw20-ics20` (2.0.0) as a library, so every type
//! here has exactly the JSON of that crate's own (`cw20_ics20::msg`, `cw20_ics20::ibc`): the
//! contract converts these messages into cw20-ics20's and answers with cw20-ics20's responses.
//! They live here, with the other contracts' messages, so a service (the deployer, a relayer's
//! tests) sends them without depending on the contract crate. See `docs/rewards-bridge.md`.
//!
//! The packet is ICS-20's `FungibleTokenPacketData` in JSON ([`Ics20Packet`]);
//! acknowledgements are `{"result":"MQ=="}` or `{"error":"<message>"}` ([`Ics20Ack`]).

use cosmwasm_schema::{QueryResponses, cw_serde};
use cosmwasm_std::{Binary, Coin, IbcEndpoint, IbcOrder, Uint128};
use cw20::{Cw20Coin, Cw20ReceiveMsg};

/// Channel version of ICS-20; both ends of a bridge channel use exactly this.
pub const ICS20_VERSION: &str = "ics20-1";
/// ICS-20 channels are unordered.
pub const ICS20_ORDERING: IbcOrder = IbcOrder::Unordered;

/// The denom of a cw20 token in the bridge's packets (and the base denom of its voucher on the
/// other chain): `cw20:<token address>`.
pub fn cw20_denom(token: &str) -> String {
    format!("cw20:{token}")
}

/// Instantiates the bridge (cw20-ics20's `InitMsg`). Native coins attached are refused.
#[cw_serde]
pub struct InstantiateMsg {
    /// Lifetime of a packet the bridge sends, in seconds, when the transfer names none.
    pub default_timeout: u64,
    /// Governance: the bridge's admin, the only address that may allow tokens
    /// ([`ExecuteMsg::Allow`]) and hand the role over ([`ExecuteMsg::UpdateAdmin`]).
    pub gov_contract: String,
    /// The cw20 tokens that may be sent from the start (LooPIN deploys LOOP alone).
    pub allowlist: Vec<AllowMsg>,
    /// Gas limit of a token off the allowlist; unset, tokens off the allowlist are refused. A
    /// migration may only keep the stored value (`MigrateMsg`).
    pub default_gas_limit: Option<u64>,
}

/// One cw20 token governance allows.
#[cw_serde]
pub struct AllowMsg {
    /// The token's contract address.
    pub contract: String,
    /// Gas limit of the calls that release or refund this token; unset, no limit.
    pub gas_limit: Option<u64>,
}

/// The bridge's messages (cw20-ics20's). Native coins attached to any of them are refused.
#[cw_serde]
pub enum ExecuteMsg {
    /// A cw20 `Send` to the bridge, carrying a [`TransferMsg`] in its `msg`: the amount stays
    /// escrowed here and one packet goes out. Called by the token contract, which must be on the
    /// allowlist (any token while `default_gas_limit` is set); the `Send`'s sender is the holder
    /// whose tokens move.
    Receive(Cw20ReceiveMsg),
    /// cw20-ics20's transfer of one native coin. Always refused by LooPIN's bridge: native coins
    /// go through the chain's own transfer module.
    Transfer(TransferMsg),
    /// Allows one more cw20 token, or raises an allowed token's gas limit (never lowers or
    /// removes it, so tokens in flight can always come back). Governance (the admin) only.
    Allow(AllowMsg),
    /// Hands governance (the admin role) to `admin`. The current admin only.
    UpdateAdmin {
        /// The new admin's address.
        admin: String,
    },
}

/// Where a transfer goes: the `msg` of a cw20 `Send` to the bridge.
#[cw_serde]
pub struct TransferMsg {
    /// The channel on this chain to send the packet on.
    pub channel: String,
    /// The receiver on the other chain (not validated here: another chain's address format).
    pub remote_address: String,
    /// Lifetime of the packet in seconds; unset, the bridge's `default_timeout`.
    pub timeout: Option<u64>,
    /// A memo carried in the packet.
    pub memo: Option<String>,
}

/// Migration (cw20-ics20's): same contract, never a downgrade. Code admin only (the chain's
/// `MsgMigrateContract`).
#[cw_serde]
pub struct MigrateMsg {
    /// Must be absent or equal to the stored value: setting one would let every cw20 token past
    /// the allowlist.
    pub default_gas_limit: Option<u64>,
}

/// The bridge's queries (cw20-ics20's); anyone may ask.
#[cw_serde]
#[derive(QueryResponses)]
pub enum QueryMsg {
    /// The IBC port the bridge is bound to.
    #[returns(PortResponse)]
    Port {},
    /// Every channel the bridge has connected.
    #[returns(ListChannelsResponse)]
    ListChannels {},
    /// One channel, with what is escrowed on it and what has ever been sent; an error if it was
    /// never connected.
    #[returns(ChannelResponse)]
    Channel {
        /// The channel id on this chain.
        id: String,
    },
    /// The bridge's settings.
    #[returns(ConfigResponse)]
    Config {},
    /// The bridge's admin.
    #[returns(AdminResponse)]
    Admin {},
    /// Whether a cw20 token is allowed, and its gas limit.
    #[returns(AllowedResponse)]
    Allowed {
        /// The token's contract address.
        contract: String,
    },
    /// The allowed cw20 tokens, paginated by address.
    #[returns(ListAllowedResponse)]
    ListAllowed {
        /// Start after this token address.
        start_after: Option<String>,
        /// Page size (cw20-ics20's default 10, at most 30).
        limit: Option<u32>,
    },
}

/// Answer to [`QueryMsg::Port`].
#[cw_serde]
pub struct PortResponse {
    /// `wasm.<bridge address>`.
    pub port_id: String,
}

/// Answer to [`QueryMsg::ListChannels`].
#[cw_serde]
pub struct ListChannelsResponse {
    /// The connected channels.
    pub channels: Vec<ChannelInfo>,
}

/// A connected channel.
#[cw_serde]
pub struct ChannelInfo {
    /// The channel id on this chain.
    pub id: String,
    /// The other end's port and channel.
    pub counterparty_endpoint: IbcEndpoint,
    /// The connection the channel runs on.
    pub connection_id: String,
}

/// Answer to [`QueryMsg::Channel`].
#[cw_serde]
pub struct ChannelResponse {
    /// The channel.
    pub info: ChannelInfo,
    /// What is escrowed for the channel now, by token.
    pub balances: Vec<Amount>,
    /// Everything ever sent on the channel, by token (returns not subtracted).
    pub total_sent: Vec<Amount>,
}

/// An amount of one token: a native coin or a cw20 token.
#[cw_serde]
pub enum Amount {
    /// A native coin.
    Native(Coin),
    /// A cw20 token (`address` is the token's contract).
    Cw20(Cw20Coin),
}

impl Amount {
    /// The denom as packets carry it: the coin's, or `cw20:<token address>`.
    pub fn denom(&self) -> String {
        match self {
            Amount::Native(coin) => coin.denom.clone(),
            Amount::Cw20(coin) => cw20_denom(&coin.address),
        }
    }

    /// How much.
    pub fn amount(&self) -> Uint128 {
        match self {
            Amount::Native(coin) => coin.amount,
            Amount::Cw20(coin) => coin.amount,
        }
    }
}

/// Answer to [`QueryMsg::Config`].
#[cw_serde]
pub struct ConfigResponse {
    /// Lifetime of a packet, in seconds, when the transfer names none.
    pub default_timeout: u64,
    /// Gas limit of tokens off the allowlist; unset, they are refused.
    pub default_gas_limit: Option<u64>,
    /// Governance: the current admin, who may allow tokens (`""` if none).
    pub gov_contract: String,
}

/// Answer to [`QueryMsg::Admin`] (cw-controllers' `AdminResponse`).
#[cw_serde]
pub struct AdminResponse {
    /// The admin (governance), if any.
    pub admin: Option<String>,
}

/// Answer to [`QueryMsg::Allowed`].
#[cw_serde]
pub struct AllowedResponse {
    /// Whether the token is on the allowlist.
    pub is_allowed: bool,
    /// Its gas limit, if it has one.
    pub gas_limit: Option<u64>,
}

/// Answer to [`QueryMsg::ListAllowed`].
#[cw_serde]
pub struct ListAllowedResponse {
    /// The allowed tokens of this page.
    pub allow: Vec<AllowedInfo>,
}

/// One allowed token.
#[cw_serde]
pub struct AllowedInfo {
    /// The token's contract address.
    pub contract: String,
    /// Its gas limit, if it has one.
    pub gas_limit: Option<u64>,
}

/// ICS-20's `FungibleTokenPacketData` in JSON: one transfer. Unknown fields are accepted (as
/// cw20-ics20 does).
#[derive(
    cosmwasm_schema::serde::Serialize,
    cosmwasm_schema::serde::Deserialize,
    Clone,
    PartialEq,
    Eq,
    cosmwasm_schema::schemars::JsonSchema,
    Debug,
    Default,
)]
#[serde(crate = "cosmwasm_schema::serde")]
#[schemars(crate = "cosmwasm_schema::schemars")]
pub struct Ics20Packet {
    /// The amount, at most `u64::MAX`.
    pub amount: Uint128,
    /// The denom: `cw20:<token address>` for a cw20 token sent from this chain, the voucher's
    /// trace for one coming back.
    pub denom: String,
    /// The receiver on the destination chain.
    pub receiver: String,
    /// The sender on the source chain.
    pub sender: String,
    /// An optional memo; absent from the JSON when unset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memo: Option<String>,
}

/// ICS-20's acknowledgement.
#[cw_serde]
pub enum Ics20Ack {
    /// Received: `"MQ=="` (the byte `1`).
    Result(Binary),
    /// Refused, with why; the sender's tokens are refunded.
    Error(String),
}
