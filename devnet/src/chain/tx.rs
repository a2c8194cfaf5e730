//! Transactions: decoding and stateless validation, the messages the devnet executes, and
//! transaction hashes.

use cosmos_sdk_proto::Any;
use cosmos_sdk_proto::cosmos::bank::v1beta1::MsgSend;
use cosmos_sdk_proto::cosmos::crypto::secp256k1::PubKey;
use cosmos_sdk_proto::cosmos::tx::signing::v1beta1::SignMode;
use cosmos_sdk_proto::cosmos::tx::v1beta1::{AuthInfo, SignerInfo, TxBody, TxRaw, mode_info};
use cosmos_sdk_proto::cosmwasm::wasm::v1 as wasmpb;
use cosmwasm_std::{Coin, Uint128};
use prost::Message;
use sha2::{Digest, Sha256};

use super::Chain;
use crate::address::bech32_decode;
use crate::address::pubkey_address;
use crate::exec::ExecError;
use crate::ibc::IbcTxMsg;

/// Largest memo accepted (MaxMemoCharacters).
const MAX_MEMO: usize = 256;

/// A decoded, signature-checkable transaction.
pub struct DecodedTx {
    pub raw: TxRaw,
    pub body: TxBody,
    pub auth: AuthInfo,
    pub signer: Vec<u8>,
    pub pubkey: Option<Vec<u8>>,
    pub sequence: u64,
    pub gas_limit: u64,
    pub fee: Vec<Coin>,
    pub msgs: Vec<ChainMsg>,
    /// Signed with SIGN_MODE_DIRECT; otherwise SIGN_MODE_UNSPECIFIED, which only a simulation
    /// takes (cosmjs simulates with it and an empty signature, as the SDK allows).
    pub direct: bool,
}

/// The messages the devnet executes.
pub enum ChainMsg {
    StoreCode(wasmpb::MsgStoreCode),
    Instantiate(wasmpb::MsgInstantiateContract),
    Execute(wasmpb::MsgExecuteContract),
    Migrate(wasmpb::MsgMigrateContract),
    Send(MsgSend),
    /// A client, connection, channel, packet or ICS-20 message (`devnet/src/ibc`).
    Ibc(Box<IbcTxMsg>),
}

impl ChainMsg {
    pub(super) fn decode(any: &Any) -> Result<Self, ExecError> {
        let bad = |e: prost::DecodeError| {
            ExecError::sdk(2, format!("{}: {e}: tx parse error", any.type_url))
        };
        Ok(match any.type_url.as_str() {
            "/cosmwasm.wasm.v1.MsgStoreCode" => {
                Self::StoreCode(Message::decode(&*any.value).map_err(bad)?)
            }
            "/cosmwasm.wasm.v1.MsgInstantiateContract" => {
                Self::Instantiate(Message::decode(&*any.value).map_err(bad)?)
            }
            "/cosmwasm.wasm.v1.MsgExecuteContract" => {
                Self::Execute(Message::decode(&*any.value).map_err(bad)?)
            }
            "/cosmwasm.wasm.v1.MsgMigrateContract" => {
                Self::Migrate(Message::decode(&*any.value).map_err(bad)?)
            }
            "/cosmos.bank.v1beta1.MsgSend" => {
                Self::Send(Message::decode(&*any.value).map_err(bad)?)
            }
            other => match IbcTxMsg::decode(any) {
                Some(Ok(msg)) => Self::Ibc(Box::new(msg)),
                Some(Err(e)) => return Err(bad(e)),
                None => {
                    return Err(ExecError::sdk(
                        2,
                        format!("unable to resolve type URL {other}: tx parse error"),
                    ));
                }
            },
        })
    }

    pub(super) fn signer(&self) -> &str {
        match self {
            Self::StoreCode(m) => &m.sender,
            Self::Instantiate(m) => &m.sender,
            Self::Execute(m) => &m.sender,
            Self::Migrate(m) => &m.sender,
            Self::Send(m) => &m.from_address,
            Self::Ibc(m) => m.signer(),
        }
    }

    pub(super) fn type_url(&self) -> &'static str {
        match self {
            Self::StoreCode(_) => "/cosmwasm.wasm.v1.MsgStoreCode",
            Self::Instantiate(_) => "/cosmwasm.wasm.v1.MsgInstantiateContract",
            Self::Execute(_) => "/cosmwasm.wasm.v1.MsgExecuteContract",
            Self::Migrate(_) => "/cosmwasm.wasm.v1.MsgMigrateContract",
            Self::Send(_) => "/cosmos.bank.v1beta1.MsgSend",
            Self::Ibc(m) => m.type_url(),
        }
    }
}

pub(super) fn coins(
    protos: &[cosmos_sdk_proto::cosmos::base::v1beta1::Coin],
) -> Result<Vec<Coin>, ExecError> {
    protos
        .iter()
        .map(|c| {
            let amount: u128 = c.amount.parse().map_err(|_| {
                ExecError::sdk(10, format!("{}{}: invalid coins", c.amount, c.denom))
            })?;
            if c.denom.is_empty() {
                return Err(ExecError::sdk(10, "empty denom: invalid coins"));
            }
            Ok(Coin::new(Uint128::new(amount), c.denom.clone()))
        })
        .collect()
}

pub fn tx_hash(bytes: &[u8]) -> String {
    hex::encode_upper(Sha256::digest(bytes))
}

pub(super) fn only_direct() -> ExecError {
    ExecError::sdk(18, "only SIGN_MODE_DIRECT is supported: invalid request")
}

impl Chain {
    /// Decodes and statelessly validates a transaction.
    pub fn decode_tx(&self, bytes: &[u8]) -> Result<DecodedTx, ExecError> {
        let parse = |what: &str, e: prost::DecodeError| {
            ExecError::sdk(2, format!("{what}: {e}: tx parse error"))
        };
        if bytes.is_empty() {
            return Err(ExecError::sdk(2, "tx bytes are empty: tx parse error"));
        }
        let raw = TxRaw::decode(bytes).map_err(|e| parse("tx", e))?;
        let body = TxBody::decode(&*raw.body_bytes).map_err(|e| parse("body", e))?;
        let auth = AuthInfo::decode(&*raw.auth_info_bytes).map_err(|e| parse("auth info", e))?;
        check_body(&body)?;
        let [signer_info] = auth.signer_infos.as_slice() else {
            return Err(ExecError::sdk(
                15,
                format!(
                    "the devnet takes exactly one signer, got {}: no signatures supplied",
                    auth.signer_infos.len()
                ),
            ));
        };
        let (direct, pubkey) = mode_and_key(signer_info)?;
        let msgs = body
            .messages
            .iter()
            .map(ChainMsg::decode)
            .collect::<Result<Vec<_>, _>>()?;
        let signer = bech32_decode(&self.config.prefix, msgs[0].signer())
            .map_err(|e| ExecError::sdk(7, format!("{e}: invalid address")))?;
        if msgs.iter().any(|m| m.signer() != msgs[0].signer()) {
            return Err(ExecError::sdk(
                4,
                "every message must have the same signer on the devnet: unauthorized",
            ));
        }
        if let Some(pk) = &pubkey
            && pubkey_address(pk) != signer
        {
            return Err(ExecError::sdk(
                8,
                "pubKey does not match signer address: invalid pubkey",
            ));
        }
        let fee = auth.fee.clone().unwrap_or_default();
        Ok(DecodedTx {
            sequence: signer_info.sequence,
            gas_limit: fee.gas_limit,
            fee: coins(&fee.amount)?,
            raw,
            body,
            auth,
            signer,
            pubkey,
            msgs,
            direct,
        })
    }
}

/// A body's stateless checks: at least one message, the memo's length, no extension options.
fn check_body(body: &TxBody) -> Result<(), ExecError> {
    if body.messages.is_empty() {
        return Err(ExecError::sdk(
            18,
            "must contain at least one message: invalid request",
        ));
    }
    if body.memo.len() > MAX_MEMO {
        return Err(ExecError::sdk(
            12,
            format!(
                "maximum number of characters is {MAX_MEMO} but received {} characters: memo too large",
                body.memo.len()
            ),
        ));
    }
    if !body.extension_options.is_empty() || !body.non_critical_extension_options.is_empty() {
        return Err(ExecError::sdk(
            18,
            "extension options are not supported: invalid request",
        ));
    }
    Ok(())
}

/// Whether the signer signed in SIGN_MODE_DIRECT (unspecified is taken for simulation, any
/// other mode refused), and its secp256k1 public key if the tx carries one.
fn mode_and_key(signer_info: &SignerInfo) -> Result<(bool, Option<Vec<u8>>), ExecError> {
    let single_mode = match signer_info.mode_info.as_ref().and_then(|m| m.sum.as_ref()) {
        Some(mode_info::Sum::Single(s)) => Some(s.mode),
        _ => None,
    };
    let direct = single_mode == Some(SignMode::Direct as i32);
    if !direct && single_mode != Some(SignMode::Unspecified as i32) {
        return Err(only_direct());
    }
    let pubkey = match &signer_info.public_key {
        None => None,
        Some(any) if any.type_url == "/cosmos.crypto.secp256k1.PubKey" => Some(
            PubKey::decode(&*any.value)
                .map_err(|e| ExecError::sdk(8, format!("{e}: invalid pubkey")))?
                .key,
        ),
        Some(any) => {
            return Err(ExecError::sdk(
                8,
                format!("unsupported key type {}: invalid pubkey", any.type_url),
            ));
        }
    };
    Ok((direct, pubkey))
}
