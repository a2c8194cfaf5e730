//! The transaction as the SDK's CLI prints and reads it: proto-JSON with the Go field names, in
//! the SDK's field order, `"@type"` on each message, 64-bit integers as strings, the contract
//! messages as JSON objects.

use loopin_chain_client::cosmrs::tx::Msg;
use loopin_chain_client::cosmrs::{self, AccountId, Any, Coin};
use serde::Serialize;

use super::error::AdminTxError;
use super::op::AdminOp;

// The SDK's proto-JSON, in its field order; u64 as strings, unset fields as it prints them.
#[derive(Serialize)]
struct TxJson {
    body: BodyJson,
    auth_info: AuthInfoJson,
    signatures: [String; 0],
}

#[derive(Serialize)]
struct BodyJson {
    messages: Vec<MessageJson>,
    memo: String,
    timeout_height: String,
    unordered: bool,
    timeout_timestamp: Option<String>,
    extension_options: [String; 0],
    non_critical_extension_options: [String; 0],
}

#[derive(Serialize)]
struct AuthInfoJson {
    signer_infos: [String; 0],
    fee: FeeJson,
    tip: Option<String>,
}

#[derive(Serialize)]
struct FeeJson {
    amount: Vec<CoinJson>,
    gas_limit: String,
    payer: String,
    granter: String,
}

#[derive(Serialize, Debug, PartialEq)]
pub(super) struct CoinJson {
    denom: String,
    amount: String,
}

impl From<&Coin> for CoinJson {
    fn from(coin: &Coin) -> Self {
        Self {
            denom: coin.denom.to_string(),
            amount: coin.amount.to_string(),
        }
    }
}

#[derive(Serialize, Debug, PartialEq)]
#[serde(untagged)]
pub(super) enum MessageJson {
    Migrate {
        #[serde(rename = "@type")]
        type_url: String,
        sender: String,
        contract: String,
        code_id: String,
        msg: serde_json::Value,
    },
    UpdateAdmin {
        #[serde(rename = "@type")]
        type_url: String,
        sender: String,
        new_admin: String,
        contract: String,
    },
    ClearAdmin {
        #[serde(rename = "@type")]
        type_url: String,
        sender: String,
        contract: String,
    },
    Execute {
        #[serde(rename = "@type")]
        type_url: String,
        sender: String,
        contract: String,
        msg: serde_json::Value,
        funds: Vec<CoinJson>,
    },
}

/// `text` as an address of the chain with bech32 prefix `prefix`.
pub fn chain_address(text: &str, prefix: &str, what: &str) -> Result<AccountId, AdminTxError> {
    let id: AccountId = text.parse().map_err(|e| AdminTxError::NotBech32 {
        what: what.to_string(),
        text: text.to_string(),
        reason: format!("{e}"),
    })?;
    if id.prefix() != prefix {
        return Err(AdminTxError::OtherChain {
            what: what.to_string(),
            text: text.to_string(),
            prefix: id.prefix().to_string(),
            chain_prefix: prefix.to_string(),
        });
    }
    Ok(id)
}

fn json_object(msg: &serde_json::Value, what: &'static str) -> Result<Vec<u8>, AdminTxError> {
    if !msg.is_object() {
        return Err(AdminTxError::NotObject {
            what,
            msg: msg.clone(),
        });
    }
    Ok(serde_json::to_vec(msg)?)
}

/// The message as an `Any` (signed and simulated) and as the JSON the CLI reads, both from the
/// same cosmrs message.
pub(super) fn message(
    op: &AdminOp,
    sender: &AccountId,
    prefix: &str,
) -> Result<(Any, MessageJson), AdminTxError> {
    let contract = chain_address(op.contract(), prefix, "contract")?;
    match op {
        AdminOp::Migrate { code_id, msg, .. } => migrate(sender, contract, *code_id, msg),
        AdminOp::UpdateAdmin { new_admin, .. } => {
            let new_admin = chain_address(new_admin, prefix, "new admin")?;
            update_admin(sender, contract, new_admin)
        }
        AdminOp::ClearAdmin { .. } => clear_admin(sender, contract),
        AdminOp::Execute { msg, funds, .. } => execute(sender, contract, msg, funds),
    }
}

/// A cosmrs message that could not be encoded as an `Any`.
fn any_err(e: cosmrs::ErrorReport) -> AdminTxError {
    AdminTxError::Encode(format!("{e}"))
}

/// `MsgMigrateContract` of `contract` to `code_id` with `msg`.
fn migrate(
    sender: &AccountId,
    contract: AccountId,
    code_id: u64,
    msg: &serde_json::Value,
) -> Result<(Any, MessageJson), AdminTxError> {
    let m = cosmrs::cosmwasm::MsgMigrateContract {
        sender: sender.clone(),
        contract,
        code_id,
        msg: json_object(msg, "migrate")?,
    };
    let any = m.to_any().map_err(any_err)?;
    let json = MessageJson::Migrate {
        type_url: any.type_url.clone(),
        sender: m.sender.to_string(),
        contract: m.contract.to_string(),
        code_id: m.code_id.to_string(),
        msg: serde_json::from_slice(&m.msg)?,
    };
    Ok((any, json))
}

/// `MsgUpdateAdmin` of `contract` to `new_admin`.
fn update_admin(
    sender: &AccountId,
    contract: AccountId,
    new_admin: AccountId,
) -> Result<(Any, MessageJson), AdminTxError> {
    let m = cosmrs::cosmwasm::MsgUpdateAdmin {
        sender: sender.clone(),
        new_admin,
        contract,
    };
    let any = m.to_any().map_err(any_err)?;
    let json = MessageJson::UpdateAdmin {
        type_url: any.type_url.clone(),
        sender: m.sender.to_string(),
        new_admin: m.new_admin.to_string(),
        contract: m.contract.to_string(),
    };
    Ok((any, json))
}

/// `MsgClearAdmin` of `contract`.
fn clear_admin(
    sender: &AccountId,
    contract: AccountId,
) -> Result<(Any, MessageJson), AdminTxError> {
    let m = cosmrs::cosmwasm::MsgClearAdmin {
        sender: sender.clone(),
        contract,
    };
    let any = m.to_any().map_err(any_err)?;
    let json = MessageJson::ClearAdmin {
        type_url: any.type_url.clone(),
        sender: m.sender.to_string(),
        contract: m.contract.to_string(),
    };
    Ok((any, json))
}

/// `MsgExecuteContract` of `msg` on `contract` with `funds` (amount, denom).
fn execute(
    sender: &AccountId,
    contract: AccountId,
    msg: &serde_json::Value,
    funds: &[(u128, String)],
) -> Result<(Any, MessageJson), AdminTxError> {
    let funds = funds
        .iter()
        .map(|(amount, denom)| {
            Ok(Coin {
                denom: denom.parse().map_err(|e| AdminTxError::Denom {
                    denom: denom.clone(),
                    reason: format!("{e}"),
                })?,
                amount: *amount,
            })
        })
        .collect::<Result<Vec<_>, AdminTxError>>()?;
    let m = cosmrs::cosmwasm::MsgExecuteContract {
        sender: sender.clone(),
        contract,
        msg: json_object(msg, "execute")?,
        funds,
    };
    let any = m.to_any().map_err(any_err)?;
    let json = MessageJson::Execute {
        type_url: any.type_url.clone(),
        sender: m.sender.to_string(),
        contract: m.contract.to_string(),
        msg: serde_json::from_slice(&m.msg)?,
        funds: m.funds.iter().map(CoinJson::from).collect(),
    };
    Ok((any, json))
}

/// The transaction JSON: `fee` of 0 prints no coin, as the CLI does without `--fees`.
pub(super) fn tx_json(
    messages: Vec<MessageJson>,
    memo: &str,
    fee: u128,
    denom: &str,
    gas_limit: u64,
) -> String {
    let amount = if fee == 0 {
        Vec::new()
    } else {
        vec![CoinJson {
            denom: denom.to_string(),
            amount: fee.to_string(),
        }]
    };
    let tx = TxJson {
        body: BodyJson {
            messages,
            memo: memo.to_string(),
            timeout_height: "0".into(),
            unordered: false,
            timeout_timestamp: None,
            extension_options: [],
            non_critical_extension_options: [],
        },
        auth_info: AuthInfoJson {
            signer_infos: [],
            fee: FeeJson {
                amount,
                gas_limit: gas_limit.to_string(),
                payer: String::new(),
                granter: String::new(),
            },
            tip: None,
        },
        signatures: [],
    };
    serde_json::to_string(&tx).expect("plain structs serialize")
}

#[cfg(test)]
mod tests {
    use super::*;

    const SENDER: &str = "loopin1nlrjp8k2qfpy08kh0m44gpwvh3rvxs07fzmruj";
    const CONTRACT: &str = "loopin1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqs0uts8p";

    fn json(op: AdminOp, memo: &str, fee: u128) -> String {
        let (_, m) = message(&op, &SENDER.parse().unwrap(), "loopin").unwrap();
        tx_json(vec![m], memo, fee, "uloop", 200_000)
    }

    // What wasmd v0.61.14 prints for `wasmd tx wasm migrate|set-contract-admin|
    // clear-contract-admin|execute ... --generate-only --gas 200000 --fees 500uloop`.
    const TAIL: &str = r#""auth_info":{"signer_infos":[],"fee":{"amount":[{"denom":"uloop","amount":"500"}],"gas_limit":"200000","payer":"","granter":""},"tip":null},"signatures":[]}"#;
    const BODY: &str = r#""timeout_height":"0","unordered":false,"timeout_timestamp":null,"extension_options":[],"non_critical_extension_options":[]},"#;

    #[test]
    fn the_json_is_what_wasmd_generate_only_prints() {
        let migrate = AdminOp::Migrate {
            contract: CONTRACT.into(),
            code_id: 7,
            msg: serde_json::json!({"a": {"b": 1}}),
        };
        assert_eq!(
            json(migrate, "", 500),
            format!(
                r#"{{"body":{{"messages":[{{"@type":"/cosmwasm.wasm.v1.MsgMigrateContract","sender":"{SENDER}","contract":"{CONTRACT}","code_id":"7","msg":{{"a":{{"b":1}}}}}}],"memo":"",{BODY}{TAIL}"#
            )
        );
        let update = AdminOp::UpdateAdmin {
            contract: CONTRACT.into(),
            new_admin: CONTRACT.into(),
        };
        assert_eq!(
            json(update, "", 500),
            format!(
                r#"{{"body":{{"messages":[{{"@type":"/cosmwasm.wasm.v1.MsgUpdateAdmin","sender":"{SENDER}","new_admin":"{CONTRACT}","contract":"{CONTRACT}"}}],"memo":"",{BODY}{TAIL}"#
            )
        );
        let clear = AdminOp::ClearAdmin {
            contract: CONTRACT.into(),
        };
        assert_eq!(
            json(clear, "", 500),
            format!(
                r#"{{"body":{{"messages":[{{"@type":"/cosmwasm.wasm.v1.MsgClearAdmin","sender":"{SENDER}","contract":"{CONTRACT}"}}],"memo":"",{BODY}{TAIL}"#
            )
        );
        let execute = AdminOp::Execute {
            contract: CONTRACT.into(),
            msg: serde_json::json!({"x": {}}),
            funds: vec![(5, "uloop".into())],
        };
        assert_eq!(
            json(execute, "hi", 500),
            format!(
                r#"{{"body":{{"messages":[{{"@type":"/cosmwasm.wasm.v1.MsgExecuteContract","sender":"{SENDER}","contract":"{CONTRACT}","msg":{{"x":{{}}}},"funds":[{{"denom":"uloop","amount":"5"}}]}}],"memo":"hi",{BODY}{TAIL}"#
            )
        );
        // No fee: no coin, as without --fees.
        let clear = AdminOp::ClearAdmin {
            contract: CONTRACT.into(),
        };
        assert!(json(clear, "", 0).contains(r#""fee":{"amount":[],"gas_limit":"200000""#));
    }

    #[test]
    fn bad_addresses_and_messages_are_refused() {
        let sender: AccountId = SENDER.parse().unwrap();
        let op = |contract: &str, msg| AdminOp::Migrate {
            contract: contract.into(),
            code_id: 1,
            msg,
        };
        let err = message(&op("cosmos1qqqq", serde_json::json!({})), &sender, "loopin")
            .unwrap_err()
            .to_string();
        assert!(err.contains("not a bech32 address"), "{err}");
        let other = "wasm14hj2tavq8fpesdwxxcu44rty3hh90vhujrvcmstl4zr3txmfvw9s0phg4d";
        let err = message(&op(other, serde_json::json!({})), &sender, "loopin")
            .unwrap_err()
            .to_string();
        assert!(err.contains("not an address of this chain"), "{err}");
        let err = message(&op(CONTRACT, serde_json::json!([1])), &sender, "loopin")
            .unwrap_err()
            .to_string();
        assert!(err.contains("must be a JSON object"), "{err}");
    }
}
