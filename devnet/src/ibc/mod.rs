//! The IBC host: clients, connections, channels and packets (ICS-02/03/04), the applications
//! behind the ports (IBC-enabled contracts and the native ICS-20 module) and the gRPC queries a
//! relayer uses. There is no Tendermint consensus and no Merkle store, so each devnet proves
//! its state with its IBC signer key instead (ICS-06 solo machine signatures; see `proof.rs`
//! and docs/devnet.md, "IBC").
//!
//! | file | responsibility |
//! | --- | --- |
//! | `mod.rs` | the transaction messages and their routing |
//! | `error.rs` | typed refusals (codespace `ibc`) |
//! | `paths.rs` | ICS-24 paths and commitments |
//! | `proof.rs` | the signer key, signing and verifying proofs |
//! | `host.rs` | what every handler works with, a message's outcome |
//! | `store.rs` | the host's records in the state |
//! | `ends.rs` | reading a channel end: its state and connection |
//! | `client.rs` | signature clients |
//! | `connection.rs` | the connection handshake |
//! | `channel.rs` | the channel handshake and closing |
//! | `send.rs` | sending a packet (no application is called) |
//! | `packet.rs` | receive, acknowledge, time out |
//! | `app.rs` | ports: contracts' IBC entry points, the transfer module |
//! | `transfer.rs` | ICS-20 |

use std::sync::Arc;

use cosmos_sdk_proto::Any;
use cosmwasm_std::{Addr, IbcMsg};
use ibc_proto::ibc::applications::transfer::v1::MsgTransfer;
use ibc_proto::ibc::core::channel::v1::{
    MsgAcknowledgement, MsgChannelCloseConfirm, MsgChannelCloseInit, MsgChannelOpenAck,
    MsgChannelOpenConfirm, MsgChannelOpenInit, MsgChannelOpenTry, MsgRecvPacket, MsgTimeout,
};
use ibc_proto::ibc::core::client::v1::MsgCreateClient;
use ibc_proto::ibc::core::connection::v1::{
    MsgConnectionOpenAck, MsgConnectionOpenConfirm, MsgConnectionOpenInit, MsgConnectionOpenTry,
};
use prost::Message;

use crate::exec::{ExecError, MsgOutcome, Shared};
use crate::wasm::Vm;

pub mod app;
pub mod channel;
pub mod client;
pub mod connection;
pub mod ends;
pub mod error;
pub mod host;
pub mod packet;
pub mod paths;
pub mod proof;
pub mod send;
pub mod store;
pub mod transfer;

pub use error::IbcError;
pub use host::Host;

macro_rules! ibc_msgs {
    ($($variant:ident($ty:ty) = $url:literal, $signer:ident;)*) => {
        /// The IBC transaction messages the devnet executes.
        pub enum IbcTxMsg {
            $($variant($ty),)*
        }

        impl IbcTxMsg {
            /// Decodes an IBC message; `None` for a type URL that is not one.
            pub fn decode(any: &Any) -> Option<Result<Self, prost::DecodeError>> {
                Some(match any.type_url.as_str() {
                    $($url => <$ty>::decode(&*any.value).map(Self::$variant),)*
                    _ => return None,
                })
            }

            /// The signer field (the sender of a `MsgTransfer`).
            pub fn signer(&self) -> &str {
                match self {
                    $(Self::$variant(m) => &m.$signer,)*
                }
            }

            pub fn type_url(&self) -> &'static str {
                match self {
                    $(Self::$variant(_) => $url,)*
                }
            }
        }
    };
}

ibc_msgs! {
    CreateClient(MsgCreateClient) = "/ibc.core.client.v1.MsgCreateClient", signer;
    ConnectionOpenInit(MsgConnectionOpenInit) = "/ibc.core.connection.v1.MsgConnectionOpenInit", signer;
    ConnectionOpenTry(MsgConnectionOpenTry) = "/ibc.core.connection.v1.MsgConnectionOpenTry", signer;
    ConnectionOpenAck(MsgConnectionOpenAck) = "/ibc.core.connection.v1.MsgConnectionOpenAck", signer;
    ConnectionOpenConfirm(MsgConnectionOpenConfirm) = "/ibc.core.connection.v1.MsgConnectionOpenConfirm", signer;
    ChannelOpenInit(MsgChannelOpenInit) = "/ibc.core.channel.v1.MsgChannelOpenInit", signer;
    ChannelOpenTry(MsgChannelOpenTry) = "/ibc.core.channel.v1.MsgChannelOpenTry", signer;
    ChannelOpenAck(MsgChannelOpenAck) = "/ibc.core.channel.v1.MsgChannelOpenAck", signer;
    ChannelOpenConfirm(MsgChannelOpenConfirm) = "/ibc.core.channel.v1.MsgChannelOpenConfirm", signer;
    ChannelCloseInit(MsgChannelCloseInit) = "/ibc.core.channel.v1.MsgChannelCloseInit", signer;
    ChannelCloseConfirm(MsgChannelCloseConfirm) = "/ibc.core.channel.v1.MsgChannelCloseConfirm", signer;
    RecvPacket(MsgRecvPacket) = "/ibc.core.channel.v1.MsgRecvPacket", signer;
    Acknowledgement(MsgAcknowledgement) = "/ibc.core.channel.v1.MsgAcknowledgement", signer;
    Timeout(MsgTimeout) = "/ibc.core.channel.v1.MsgTimeout", signer;
    Transfer(MsgTransfer) = "/ibc.applications.transfer.v1.MsgTransfer", sender;
}

impl IbcTxMsg {
    /// The module named in the `message` event.
    pub fn module(&self) -> &'static str {
        match self {
            Self::Transfer(_) => "transfer",
            _ => "ibc",
        }
    }
}

/// Executes one IBC transaction message. Every write goes to the transaction's current layer,
/// so a refused message changes nothing.
pub fn execute(ctx: &Shared, vm: &Arc<Vm>, msg: &IbcTxMsg) -> Result<MsgOutcome, ExecError> {
    let host = Host { ctx, vm, depth: 0 };
    let m = host.m();
    let result = match msg {
        IbcTxMsg::CreateClient(msg) => client::create(&m, msg).map_err(ExecError::from),
        IbcTxMsg::ConnectionOpenInit(msg) => {
            connection::open_init(&m, msg).map_err(ExecError::from)
        }
        IbcTxMsg::ConnectionOpenTry(msg) => connection::open_try(&m, msg).map_err(ExecError::from),
        IbcTxMsg::ConnectionOpenAck(msg) => connection::open_ack(&m, msg).map_err(ExecError::from),
        IbcTxMsg::ConnectionOpenConfirm(msg) => {
            connection::open_confirm(&m, msg).map_err(ExecError::from)
        }
        IbcTxMsg::ChannelOpenInit(msg) => channel::open_init(&host, msg),
        IbcTxMsg::ChannelOpenTry(msg) => channel::open_try(&host, msg),
        IbcTxMsg::ChannelOpenAck(msg) => channel::open_ack(&host, msg),
        IbcTxMsg::ChannelOpenConfirm(msg) => channel::open_confirm(&host, msg),
        IbcTxMsg::ChannelCloseInit(msg) => channel::close_init(&host, msg),
        IbcTxMsg::ChannelCloseConfirm(msg) => channel::close_confirm(&host, msg),
        IbcTxMsg::RecvPacket(msg) => packet::recv(&host, msg),
        IbcTxMsg::Acknowledgement(msg) => packet::acknowledge(&host, msg),
        IbcTxMsg::Timeout(msg) => packet::timeout(&host, msg),
        IbcTxMsg::Transfer(msg) => transfer::transfer(&host, msg),
    };
    m.check_gas()?;
    result
}

/// An `IbcMsg` a contract sent: `SendPacket` and `CloseChannel` on its own port. The others
/// (`Transfer`, `WriteAcknowledgement`, fees) are refused.
pub(crate) fn contract_msg(
    vm: &Arc<Vm>,
    ctx: &Shared,
    sender: &Addr,
    msg: IbcMsg,
    depth: usize,
) -> Result<MsgOutcome, ExecError> {
    let host = Host { ctx, vm, depth };
    let result = match msg {
        IbcMsg::SendPacket {
            channel_id,
            data,
            timeout,
        } => send::send_from_contract(&host, sender, &channel_id, data.to_vec(), &timeout),
        IbcMsg::CloseChannel { channel_id } => {
            channel::close_from_contract(&host, sender, &channel_id)
        }
        IbcMsg::Transfer { .. } => Err(IbcError::Unsupported(
            "IbcMsg::Transfer from a contract (a user sends MsgTransfer)".into(),
        )
        .into()),
        other => {
            let name: String = format!("{other:?}")
                .chars()
                .take_while(|c| c.is_alphanumeric())
                .collect();
            Err(IbcError::Unsupported(format!("IbcMsg::{name}")).into())
        }
    };
    host.m().check_gas()?;
    result
}
