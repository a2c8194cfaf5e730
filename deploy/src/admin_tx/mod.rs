//! Unsigned transactions for the contracts' admin and the factory's owner. On a real chain both
//! are a multisig (or a governance account), which no single key held by `loopin-deploy` can
//! sign for: `loopin-deploy unsigned ...` prints the transaction in the JSON that
//! `wasmd tx ... --generate-only` prints (the SDK's proto-JSON of a `Tx`, no signer infos, no
//! signatures), for the members to sign with `wasmd tx sign --multisig`, combine with
//! `wasmd tx multisign` and send with `wasmd tx broadcast` (docs/real-chains.md).

use loopin_chain_client::cosmrs::proto::cosmos::auth::v1beta1 as authpb;
use loopin_chain_client::cosmrs::proto::cosmos::crypto::multisig::LegacyAminoPubKey;
use loopin_chain_client::cosmrs::proto::cosmos::crypto::multisig::v1beta1::{
    CompactBitArray, MultiSignature,
};
use loopin_chain_client::cosmrs::proto::cosmos::tx::v1beta1 as txpb;
use loopin_chain_client::cosmrs::proto::cosmwasm::wasm::v1 as wasmpb;
use loopin_chain_client::cosmrs::proto::traits::Message;
use loopin_chain_client::cosmrs::tx::{Body, Fee, SignMode};
use loopin_chain_client::cosmrs::{Any, Coin};
use loopin_chain_client::{ChainQuerier, ClientError};

mod cli;
mod error;
mod json;
mod op;

pub use cli::{TxFlags, UnsignedCmd};
pub use error::AdminTxError;
pub use json::chain_address;
pub use op::AdminOp;

/// Gas added to the simulated (and adjusted) gas of a sender whose public key the chain does not
/// know yet, a multisig's first transaction: the simulation counts one secp256k1 key and
/// signature, while that transaction carries every member's key and the threshold's signatures
/// (10 gas a byte), checks each signature (1,000 gas) and stores the multisig key in the account
/// (30 gas a byte). A 2-of-3's first migration used 20,353 gas more than its simulation; 40,000
/// on top of the adjustment covers a multisig of about ten members. Once the key is on chain the
/// simulation counts it.
pub const MULTISIG_GAS_ALLOWANCE: u64 = 40_000;

/// An unsigned transaction and what its signers need to sign it offline.
#[derive(Clone, Debug)]
pub struct UnsignedTx {
    /// The transaction as `wasmd tx ... --generate-only` prints it (one line).
    pub json: String,
    pub chain_id: String,
    pub sender: String,
    pub account_number: u64,
    pub sequence: u64,
    pub gas_limit: u64,
    /// In the chain's fee denom.
    pub fee: u128,
    /// The gas the chain's simulation used, when it was asked.
    pub simulated_gas: Option<u64>,
}

impl UnsignedTx {
    /// How the members sign it, combine the signatures and send it.
    pub fn instructions(&self) -> String {
        let offline = format!(
            "--offline --account-number {} --sequence {} --chain-id {}",
            self.account_number, self.sequence, self.chain_id
        );
        format!(
            "unsigned tx from {sender}: gas limit {gas}, fee {fee}\n\
             each member: wasmd tx sign tx.json --from MEMBER --multisig {sender} {offline} --output-document MEMBER.json\n\
             then: wasmd tx multisign tx.json MULTISIG_KEY MEMBER1.json MEMBER2.json {offline} > signed.json\n\
             and: wasmd tx broadcast signed.json --node RPC",
            sender = self.sender,
            gas = self.gas_limit,
            fee = self.fee,
        )
    }
}

/// The sender's key as the chain knows it: none until its first transaction puts it there.
#[derive(Clone, Copy, Debug, PartialEq)]
enum KeyOnChain {
    Unknown,
    Single,
    Multisig { threshold: usize, members: usize },
}

async fn key_on_chain(querier: &ChainQuerier, sender: &str) -> Result<KeyOnChain, AdminTxError> {
    let answer = authpb::query_client::QueryClient::new(querier.channel())
        .account_info(authpb::QueryAccountInfoRequest {
            address: sender.to_string(),
        })
        .await;
    // A chain without AccountInfo (before SDK 0.47): simulated as an unknown key.
    let Some(key) = answer.ok().and_then(|r| r.into_inner().info?.pub_key) else {
        return Ok(KeyOnChain::Unknown);
    };
    if key.type_url != "/cosmos.crypto.multisig.LegacyAminoPubKey" {
        return Ok(KeyOnChain::Single);
    }
    let key = LegacyAminoPubKey::decode(&*key.value).map_err(AdminTxError::MultisigKey)?;
    Ok(KeyOnChain::Multisig {
        threshold: key.threshold as usize,
        members: key.public_keys.len(),
    })
}

/// Asks the chain to simulate `msgs` from the sender with empty signatures and no public key
/// (the ante handler uses the account's, or a placeholder), as the CLI's `--gas auto` does: for
/// a multisig whose key is on chain, `threshold` empty signatures of its first members, so its
/// signature checks are counted too.
async fn simulate(
    querier: &ChainQuerier,
    msgs: Vec<Any>,
    memo: &str,
    sequence: u64,
    key: KeyOnChain,
) -> Result<u64, AdminTxError> {
    let denom = &querier.config.denom;
    let denom = denom.parse().map_err(|e| AdminTxError::FeeDenom {
        denom: denom.clone(),
        reason: format!("{e}"),
    })?;
    // One unit of fee, not zero: the fee deduction's writes are counted (chain-client's note).
    let fee = Fee::from_amount_and_gas(Coin { denom, amount: 1 }, 0u64);
    let single = txpb::ModeInfo {
        sum: Some(txpb::mode_info::Sum::Single(txpb::mode_info::Single {
            mode: SignMode::Direct as i32,
        })),
    };
    let (mode_info, signature) = match key {
        KeyOnChain::Unknown | KeyOnChain::Single => (single, Vec::new()),
        KeyOnChain::Multisig { threshold, members } => {
            let mut elems = vec![0u8; members.div_ceil(8)];
            for i in 0..threshold.min(members) {
                elems[i / 8] |= 0x80 >> (i % 8);
            }
            let bitarray = CompactBitArray {
                extra_bits_stored: (members % 8) as u32,
                elems,
            };
            let multi = txpb::mode_info::Multi {
                bitarray: Some(bitarray),
                mode_infos: vec![single; threshold],
            };
            let signatures = MultiSignature {
                signatures: vec![Vec::new(); threshold],
            };
            let mode = txpb::ModeInfo {
                sum: Some(txpb::mode_info::Sum::Multi(multi)),
            };
            (mode, signatures.encode_to_vec())
        }
    };
    let auth_info = txpb::AuthInfo {
        signer_infos: vec![txpb::SignerInfo {
            public_key: None,
            mode_info: Some(mode_info),
            sequence,
        }],
        fee: Some(fee.into()),
        #[allow(deprecated)]
        tip: None,
    };
    let tx = txpb::TxRaw {
        body_bytes: Body::new(msgs, memo, 0u32)
            .into_bytes()
            .map_err(|e| AdminTxError::Body(format!("{e}")))?,
        auth_info_bytes: auth_info.encode_to_vec(),
        signatures: vec![signature],
    };
    #[allow(deprecated)]
    let request = txpb::SimulateRequest {
        tx: None,
        tx_bytes: tx.encode_to_vec(),
    };
    let response = txpb::service_client::ServiceClient::new(querier.channel())
        .simulate(request)
        .await
        .map_err(|s| AdminTxError::SimulationRefused(s.message().to_string()))?
        .into_inner();
    Ok(response.gas_info.map(|g| g.gas_used).unwrap_or(0))
}

/// How wasmd answers a query of a contract or code it does not have, by gRPC code: its
/// registered errors come as Unknown (2), an address it cannot read as InvalidArgument (3);
/// NotFound (5) as other chains may. Anything else (Unavailable...) is not an answer.
fn not_found(grpc_code: i32) -> bool {
    matches!(grpc_code, 2 | 3 | 5)
}

/// Checks `op` against the chain (the sender's account, the contract, its admin, the code) and
/// builds the unsigned transaction from `sender`: gas `gas` if given, else the chain's
/// simulation times the config's adjustment plus [`MULTISIG_GAS_ALLOWANCE`]; the fee at the
/// config's gas price.
pub async fn unsigned_tx(
    querier: &ChainQuerier,
    sender: &str,
    op: &AdminOp,
    memo: &str,
    gas: Option<u64>,
) -> Result<UnsignedTx, AdminTxError> {
    let config = &querier.config;
    let sender_id = chain_address(sender, &config.prefix, "sender")?;
    let (any, json) = json::message(op, &sender_id, &config.prefix)?;
    let sender = sender_id.to_string();
    let sender = sender.as_str();
    let chain_id = &config.chain_id;
    let (account_number, sequence) = querier
        .account_of(sender)
        .await
        .map_err(|source| AdminTxError::LookupSender {
            sender: sender.to_string(),
            source: Box::new(source),
        })?
        .ok_or_else(|| AdminTxError::NoAccount {
            sender: sender.to_string(),
            chain_id: chain_id.clone(),
        })?;
    check_contract(querier, sender, op).await?;
    let (gas_limit, simulated_gas) = match gas {
        Some(gas) => (gas, None),
        None => simulated_gas_limit(querier, sender, any, memo, sequence).await?,
    };
    let fee = (gas_limit as f64 * config.gas_price).ceil() as u128;
    Ok(UnsignedTx {
        json: json::tx_json(vec![json], memo, fee, &config.denom, gas_limit),
        chain_id: chain_id.clone(),
        sender: sender.to_string(),
        account_number,
        sequence,
        gas_limit,
        fee,
        simulated_gas,
    })
}

/// Refuses `op` where the chain would: no such contract, a sender that is not its wasm admin
/// (for an admin operation), no such code to migrate to, an admin handed to itself.
async fn check_contract(
    querier: &ChainQuerier,
    sender: &str,
    op: &AdminOp,
) -> Result<(), AdminTxError> {
    let chain_id = &querier.config.chain_id;
    let contract = op.contract();
    let info = match querier.contract_info(contract).await {
        Ok(info) => info,
        Err(ClientError::Status(s)) if not_found(s.code() as i32) => {
            return Err(AdminTxError::NoContract {
                contract: contract.to_string(),
                chain_id: chain_id.clone(),
                answer: s.message().to_string(),
            });
        }
        Err(source) => {
            return Err(AdminTxError::QueryContract {
                contract: contract.to_string(),
                source: Box::new(source),
            });
        }
    };
    if op.needs_admin() && info.admin != sender {
        let admin = if info.admin.is_empty() {
            "none".to_string()
        } else {
            info.admin.clone()
        };
        return Err(AdminTxError::NotAdmin {
            contract: contract.to_string(),
            admin,
            sender: sender.to_string(),
        });
    }
    match op {
        AdminOp::Migrate { code_id, .. } => {
            wasmpb::query_client::QueryClient::new(querier.channel())
                .code(wasmpb::QueryCodeRequest { code_id: *code_id })
                .await
                .map_err(|s| match not_found(s.code() as i32) {
                    true => AdminTxError::NoCode {
                        code_id: *code_id,
                        chain_id: chain_id.clone(),
                        answer: s.message().to_string(),
                    },
                    false => AdminTxError::QueryCode {
                        code_id: *code_id,
                        status: s.to_string(),
                    },
                })?;
        }
        AdminOp::UpdateAdmin { new_admin, .. } if *new_admin == info.admin => {
            return Err(AdminTxError::AlreadyAdmin {
                new_admin: new_admin.clone(),
                contract: contract.to_string(),
            });
        }
        _ => {}
    }
    Ok(())
}

/// The gas limit from the chain's simulation of `any`: what it used times the config's
/// adjustment, plus [`MULTISIG_GAS_ALLOWANCE`] for a sender whose key the chain does not know;
/// and what the simulation used.
async fn simulated_gas_limit(
    querier: &ChainQuerier,
    sender: &str,
    any: Any,
    memo: &str,
    sequence: u64,
) -> Result<(u64, Option<u64>), AdminTxError> {
    let key = key_on_chain(querier, sender).await?;
    let used = simulate(querier, vec![any], memo, sequence, key)
        .await
        .map_err(|source| AdminTxError::Simulate {
            sender: sender.to_string(),
            source: Box::new(source),
        })?;
    let adjusted = (used as f64 * querier.config.gas_adjustment).ceil() as u64;
    let allowance = match key {
        KeyOnChain::Unknown => MULTISIG_GAS_ALLOWANCE,
        _ => 0,
    };
    Ok((adjusted + allowance, Some(used)))
}
