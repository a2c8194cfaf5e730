//! ICS-20 fungible token transfer, natively on port `transfer` (version `ics20-1`, UNORDERED).
//!
//! A native token leaves through the channel's escrow account and comes back out of it; a
//! token received from elsewhere is minted as the voucher `ibc/{HEX(sha256(trace))}` (its
//! trace recorded) and burnt when sent back. Packet data is ibc-go's `FungibleTokenPacketData`
//! JSON (keys sorted, `memo` left out when empty); acknowledgements are `{"result":"AQ=="}` or
//! `{"error":"..."}`.

use cosmwasm_std::{Event, IbcChannel, StdAck};
use ibc_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use ibc_proto::ibc::applications::transfer::v1::{DenomTrace, MsgTransfer, MsgTransferResponse};
use ibc_proto::ibc::core::channel::v1::Packet;
use prost::Message;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::error::IbcError;
use super::host::{Host, response};
use super::{send, store};
use crate::address::{AddressError, bech32_decode, bech32_encode};
use crate::bank;
use crate::exec::{ExecError, MsgOutcome};

/// The ICS-20 module's port.
pub const TRANSFER_PORT: &str = "transfer";
/// The ICS-20 channel version.
pub const VERSION: &str = "ics20-1";
/// Longest receiver and memo a `MsgTransfer` may carry (ibc-go's limits).
const MAX_RECEIVER: usize = 2_048;
const MAX_MEMO: usize = 32_768;

/// `FungibleTokenPacketData` (ibc.applications.transfer.v2) as JSON.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct PacketData {
    pub amount: String,
    pub denom: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub memo: String,
    pub receiver: String,
    pub sender: String,
}

impl PacketData {
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }
}

/// The success acknowledgement, `{"result":"AQ=="}`.
pub fn success_ack() -> Vec<u8> {
    StdAck::success(vec![1u8]).to_binary().to_vec()
}

/// ibc-go's escrow account of a channel: the first 20 bytes of
/// sha256("ics20-1" || 0x00 || "{port}/{channel}").
pub fn escrow_address(port: &str, channel: &str) -> Vec<u8> {
    let mut hasher = Sha256::new();
    hasher.update(VERSION.as_bytes());
    hasher.update([0]);
    hasher.update(format!("{port}/{channel}").as_bytes());
    hasher.finalize()[..20].to_vec()
}

/// The hash of a denom trace, upper-case hex: a voucher is `ibc/{hash}`.
pub fn denom_hash(full_denom: &str) -> String {
    hex::encode_upper(Sha256::digest(full_denom.as_bytes()))
}

/// The voucher denom of a full trace (`transfer/channel-0/uatom` -> `ibc/27394FB0...`).
pub fn voucher_denom(full_denom: &str) -> String {
    format!("ibc/{}", denom_hash(full_denom))
}

/// The local denom of a trace: a native denom stays as it is, a trace becomes its voucher.
fn local_denom(full_denom: &str) -> String {
    if full_denom.contains('/') {
        voucher_denom(full_denom)
    } else {
        full_denom.to_string()
    }
}

/// Splits a full denom into its path of (port, channel) pairs and its base denom.
pub fn parse_trace(full_denom: &str) -> DenomTrace {
    let parts: Vec<&str> = full_denom.split('/').collect();
    let mut i = 0;
    while i + 2 < parts.len() && parts[i + 1].starts_with("channel-") {
        i += 2;
    }
    DenomTrace {
        path: parts[..i].join("/"),
        base_denom: parts[i..].join("/"),
    }
}

/// Channel rules at the handshake: UNORDERED (checked by the host), version `ics20-1` (or
/// empty at OpenInit); the counterparty's too when the step reports it.
pub fn check_open(
    channel: &IbcChannel,
    counterparty_version: Option<&str>,
) -> Result<String, IbcError> {
    if !channel.version.is_empty() && channel.version != VERSION {
        return Err(IbcError::ChannelVersion(format!(
            "ICS-20 channels use {VERSION}, not {}",
            channel.version
        )));
    }
    if let Some(v) = counterparty_version
        && v != VERSION
    {
        return Err(IbcError::ChannelVersion(format!(
            "the counterparty's ICS-20 version must be {VERSION}, not {v}"
        )));
    }
    Ok(VERSION.to_string())
}

/// Why a received transfer is refused: the message of its error acknowledgement (ibc-go's
/// texts).
#[derive(Debug, thiserror::Error)]
pub enum RecvError {
    #[error("cannot unmarshal ICS-20 transfer packet data: {0}")]
    Unmarshal(serde_json::Error),
    #[error("denomination cannot be blank")]
    BlankDenom,
    #[error("sender address cannot be blank")]
    BlankSender,
    #[error("invalid amount {0:?}: a positive integer below 2^128")]
    Amount(String),
    #[error("invalid receiver address {address}: {error}")]
    Receiver {
        address: String,
        error: AddressError,
    },
    #[error("cannot unescrow {amount}{denom}: {log}")]
    Unescrow {
        amount: u128,
        denom: String,
        log: String,
    },
    #[error("invalid denomination {0:?}")]
    Denom(String),
    #[error("cannot mint {amount}{denom}: {log}")]
    Mint {
        amount: u128,
        denom: String,
        log: String,
    },
}

fn parse_data(data: &[u8]) -> Result<(PacketData, u128), RecvError> {
    let data: PacketData = serde_json::from_slice(data).map_err(RecvError::Unmarshal)?;
    if data.denom.trim().is_empty() {
        return Err(RecvError::BlankDenom);
    }
    if data.sender.trim().is_empty() {
        return Err(RecvError::BlankSender);
    }
    let amount = match data.amount.parse::<u128>() {
        Ok(a) if a > 0 => a,
        _ => return Err(RecvError::Amount(data.amount)),
    };
    Ok((data, amount))
}

/// Charges the KV gas of a bank move (two balances and a supply read and written).
fn bank_gas(host: &Host) {
    let mut c = host.ctx.borrow_mut();
    c.gas.used = c
        .gas
        .used
        .saturating_add(3 * (crate::exec::READ_FLAT + crate::exec::WRITE_FLAT));
}

/// Receives a transfer: unescrows a returning native token or mints a voucher. An error is the
/// message of the error acknowledgement (the caller drops every write).
pub fn on_recv(host: &Host, p: &Packet) -> Result<Vec<Event>, RecvError> {
    let (data, amount) = parse_data(&p.data)?;
    let receiver =
        bech32_decode(host.vm.prefix(), &data.receiver).map_err(|error| RecvError::Receiver {
            address: data.receiver.clone(),
            error,
        })?;
    let source_prefix = format!("{}/{}/", p.source_port, p.source_channel);
    let m = host.m();
    bank_gas(host);
    let mut events = Vec::new();
    let denom = match data.denom.strip_prefix(&source_prefix) {
        Some(unprefixed) if !unprefixed.is_empty() => {
            // Our token coming back: out of the escrow of our end of the channel.
            let local = local_denom(unprefixed);
            let escrow = escrow_address(&p.destination_port, &p.destination_channel);
            let escrow_text = bech32_encode(host.vm.prefix(), &escrow).unwrap_or_default();
            bank::transfer(
                &mut host.ctx.borrow_mut().state,
                &escrow,
                &receiver,
                &local,
                amount,
                &escrow_text,
            )
            .map_err(|e| RecvError::Unescrow {
                amount,
                denom: local.clone(),
                log: e.log,
            })?;
            local
        }
        Some(_) => return Err(RecvError::Denom(data.denom)),
        None => {
            let full = format!(
                "{}/{}/{}",
                p.destination_port, p.destination_channel, data.denom
            );
            let hash = denom_hash(&full);
            let voucher = format!("ibc/{hash}");
            if store::denom_trace(&m, &hash).is_none() {
                store::set_denom_trace(&m, &hash, &parse_trace(&full));
                events.push(
                    Event::new("denomination_trace")
                        .add_attribute("trace_hash", &hash)
                        .add_attribute("denom", &voucher),
                );
            }
            bank::mint(
                &mut host.ctx.borrow_mut().state,
                &receiver,
                &voucher,
                amount,
            )
            .map_err(|e| RecvError::Mint {
                amount,
                denom: voucher.clone(),
                log: e.log,
            })?;
            voucher
        }
    };
    events.insert(
        0,
        Event::new("fungible_token_packet")
            .add_attribute("module", "transfer")
            .add_attribute("sender", &data.sender)
            .add_attribute("receiver", &data.receiver)
            .add_attribute("denom", &data.denom)
            .add_attribute("amount", &data.amount)
            .add_attribute("memo", &data.memo)
            .add_attribute("local_denom", denom)
            .add_attribute("success", "true"),
    );
    Ok(events)
}

/// Gives a sent transfer back to its sender (error acknowledgement or timeout): out of the
/// escrow if this chain was the source, else the voucher minted again.
fn refund(host: &Host, p: &Packet) -> Result<(PacketData, String), ExecError> {
    let (data, amount) =
        parse_data(&p.data).map_err(|e| IbcError::Transfer(format!("refund: {e}")))?;
    let sender = host.vm.canonical(&data.sender)?;
    let source_prefix = format!("{}/{}/", p.source_port, p.source_channel);
    let local = local_denom(&data.denom);
    bank_gas(host);
    if data.denom.starts_with(&source_prefix) {
        bank::mint(&mut host.ctx.borrow_mut().state, &sender, &local, amount)?;
    } else {
        let escrow = escrow_address(&p.source_port, &p.source_channel);
        let escrow_text = bech32_encode(host.vm.prefix(), &escrow).unwrap_or_default();
        bank::transfer(
            &mut host.ctx.borrow_mut().state,
            &escrow,
            &sender,
            &local,
            amount,
            &escrow_text,
        )?;
    }
    Ok((data, local))
}

/// The acknowledgement of a sent transfer: an error one refunds the sender.
pub fn on_ack(host: &Host, p: &Packet, ack: &[u8]) -> Result<Vec<Event>, ExecError> {
    let ack: StdAck = serde_json::from_slice(ack).map_err(|e| {
        IbcError::Transfer(format!(
            "cannot unmarshal ICS-20 transfer packet acknowledgement: {e}"
        ))
    })?;
    let event = Event::new("fungible_token_packet").add_attribute("module", "transfer");
    match ack {
        StdAck::Success(_) => Ok(vec![event.add_attribute("success", "true")]),
        StdAck::Error(error) => {
            let (data, local) = refund(host, p)?;
            Ok(vec![
                event
                    .add_attribute("success", "false")
                    .add_attribute("error", error)
                    .add_attribute("refund_receiver", data.sender)
                    .add_attribute("refund_denom", local)
                    .add_attribute("refund_amount", data.amount),
            ])
        }
    }
}

/// A sent transfer timed out: refunds the sender.
pub fn on_timeout(host: &Host, p: &Packet) -> Result<Vec<Event>, ExecError> {
    let (data, local) = refund(host, p)?;
    Ok(vec![
        Event::new("timeout")
            .add_attribute("module", "transfer")
            .add_attribute("refund_receiver", data.sender)
            .add_attribute("refund_denom", local)
            .add_attribute("refund_amount", data.amount)
            .add_attribute("memo", data.memo),
    ])
}

/// `MsgTransfer`: escrows a token of this chain (or burns a voucher going back to its source)
/// and sends the packet.
pub fn transfer(host: &Host, msg: &MsgTransfer) -> Result<MsgOutcome, ExecError> {
    let fail = |s: String| ExecError::from(IbcError::Transfer(s));
    let (token, amount) = check_transfer(msg)?;
    let sender = host.vm.canonical(&msg.sender)?;
    let m = host.m();
    send::open_channel(&m, &msg.source_port, &msg.source_channel)?;
    let full_denom = match token.denom.strip_prefix("ibc/") {
        Some(hash) => {
            let trace = store::denom_trace(&m, &hash.to_uppercase())
                .ok_or_else(|| fail(format!("denomination trace of {} not found", token.denom)))?;
            format!("{}/{}", trace.path, trace.base_denom)
        }
        None => token.denom.clone(),
    };
    take_tokens(host, msg, &sender, &token.denom, &full_denom, amount)?;
    let data = PacketData {
        amount: amount.to_string(),
        denom: full_denom,
        memo: msg.memo.clone(),
        receiver: msg.receiver.clone(),
        sender: msg.sender.clone(),
    };
    let timeout_height = match msg.timeout_height {
        Some(h) if h.revision_number != 0 => {
            return Err(fail("timeout revision must be 0 on the devnet".into()));
        }
        Some(h) => h.revision_height,
        None => 0,
    };
    let (sent, event) = send::send(
        host,
        &msg.source_port,
        &msg.source_channel,
        data.to_json(),
        timeout_height,
        msg.timeout_timestamp,
    )?;
    Ok(response(
        vec![
            event,
            Event::new("ibc_transfer")
                .add_attribute("sender", &data.sender)
                .add_attribute("receiver", &data.receiver)
                .add_attribute("amount", &data.amount)
                .add_attribute("denom", &data.denom)
                .add_attribute("memo", &data.memo),
        ],
        "/ibc.applications.transfer.v1.MsgTransferResponse",
        MsgTransferResponse {
            sequence: sent.sequence,
        }
        .encode_to_vec(),
    ))
}

/// A transfer's stateless checks: the port, a positive amount of a named denom, the receiver
/// and memo lengths. Returns the token and its amount.
fn check_transfer(msg: &MsgTransfer) -> Result<(&ProtoCoin, u128), ExecError> {
    let fail = |s: String| ExecError::from(IbcError::Transfer(s));
    if msg.source_port != TRANSFER_PORT {
        return Err(fail(format!(
            "source port {} is not {TRANSFER_PORT}",
            msg.source_port
        )));
    }
    let token = msg.token.as_ref().ok_or_else(|| fail("no token".into()))?;
    let amount = match token.amount.parse::<u128>() {
        Ok(a) if a > 0 => a,
        _ => return Err(fail(format!("invalid amount {:?}", token.amount))),
    };
    if token.denom.is_empty() {
        return Err(fail("empty denom".into()));
    }
    if msg.receiver.trim().is_empty() || msg.receiver.len() > MAX_RECEIVER {
        return Err(fail(format!(
            "the receiver must be 1 to {MAX_RECEIVER} characters"
        )));
    }
    if msg.memo.len() > MAX_MEMO {
        return Err(fail(format!("the memo is over {MAX_MEMO} characters")));
    }
    Ok((token, amount))
}

/// Takes the tokens from `sender`: a voucher going back to where it came from (`full_denom`
/// starts with this channel) is burnt, anything else escrowed.
fn take_tokens(
    host: &Host,
    msg: &MsgTransfer,
    sender: &[u8],
    denom: &str,
    full_denom: &str,
    amount: u128,
) -> Result<(), ExecError> {
    let source_prefix = format!("{}/{}/", msg.source_port, msg.source_channel);
    bank_gas(host);
    if full_denom.starts_with(&source_prefix) {
        // Going back to where it came from: the voucher is burnt.
        bank::burn(&mut host.ctx.borrow_mut().state, sender, denom, amount)?;
    } else {
        let escrow = escrow_address(&msg.source_port, &msg.source_channel);
        bank::transfer(
            &mut host.ctx.borrow_mut().state,
            sender,
            &escrow,
            denom,
            amount,
            &msg.sender,
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traces_and_vouchers() {
        let t = parse_trace("transfer/channel-0/uatom");
        assert_eq!(
            (t.path.as_str(), t.base_denom.as_str()),
            ("transfer/channel-0", "uatom")
        );
        let t = parse_trace("transfer/channel-0/transfer/channel-7/gamm/pool/1");
        assert_eq!(t.path, "transfer/channel-0/transfer/channel-7");
        assert_eq!(t.base_denom, "gamm/pool/1");
        let t = parse_trace("uloop");
        assert_eq!((t.path.as_str(), t.base_denom.as_str()), ("", "uloop"));
        // ibc-go's well-known example.
        assert_eq!(
            voucher_denom("transfer/channel-0/uatom"),
            "ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2"
        );
    }

    #[test]
    fn packet_data_json_is_ibc_go_s() {
        let data = PacketData {
            amount: "100".into(),
            denom: "uloop".into(),
            memo: String::new(),
            receiver: "b".into(),
            sender: "a".into(),
        };
        assert_eq!(
            String::from_utf8(data.to_json()).unwrap(),
            r#"{"amount":"100","denom":"uloop","receiver":"b","sender":"a"}"#
        );
        assert_eq!(
            String::from_utf8(success_ack()).unwrap(),
            r#"{"result":"AQ=="}"#
        );
        assert!(parse_data(br#"{"amount":"0","denom":"x","receiver":"b","sender":"a"}"#).is_err());
        assert!(parse_data(br#"{"amount":"-1","denom":"x","receiver":"b","sender":"a"}"#).is_err());
        assert!(parse_data(b"not json").is_err());
    }
}
