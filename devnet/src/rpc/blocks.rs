//! `status`, `health`, `abci_info`, `block` and `block_results` in CometBFT 0.38's JSON: hashes
//! upper-case hex, bytes base64, 64-bit integers as strings, times RFC 3339 with nanoseconds.
//!
//! There is no consensus: the one validator is the devnet's IBC signer (the key
//! `GetLatestValidatorSet` answers), commits carry no signatures, and the hashes the devnet does
//! not compute (validators, consensus, results, evidence, last commit) are empty.

use crate::rfc3339::rfc3339_nanos;
use cosmos_sdk_proto::cosmos::base::abci::v1beta1::TxResponse;
use prost::Message;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::context::{Rpc, chain_error};
use super::jsonrpc::{Params, RpcError};
use crate::address::pubkey_address;
use crate::chain::Header;
use crate::proto_json::b64;

/// The CometBFT release whose RPC this one answers like (cosmjs picks its client by the
/// major.minor of `node_info.version`).
pub const COMETBFT_VERSION: &str = "0.38.17";

/// CometBFT's `Txs.Hash()`: the RFC 6962 Merkle root of the transactions' SHA-256 hashes.
pub fn data_hash(txs: &[Vec<u8>]) -> Vec<u8> {
    let leaves: Vec<Vec<u8>> = txs.iter().map(|tx| Sha256::digest(tx).to_vec()).collect();
    merkle_root(&leaves)
}

fn merkle_root(items: &[Vec<u8>]) -> Vec<u8> {
    match items {
        [] => Sha256::digest([]).to_vec(),
        [one] => Sha256::new()
            .chain_update([0u8])
            .chain_update(one)
            .finalize()
            .to_vec(),
        _ => {
            let split = items.len().next_power_of_two() / 2;
            Sha256::new()
                .chain_update([1u8])
                .chain_update(merkle_root(&items[..split]))
                .chain_update(merkle_root(&items[split..]))
                .finalize()
                .to_vec()
        }
    }
}

fn block_id(hash: &str) -> Value {
    if hash.is_empty() {
        return json!({ "hash": "", "parts": { "total": 0, "hash": "" } });
    }
    json!({ "hash": hash, "parts": { "total": 1, "hash": hash } })
}

/// The one validator: the IBC signer's secp256k1 key and its CometBFT address.
struct Validator {
    address: String,
    pub_key: Vec<u8>,
}

fn validator(chain: &crate::chain::Chain) -> Validator {
    let key = chain.ibc_signer().verifying_key().to_encoded_point(true);
    Validator {
        address: hex::encode_upper(pubkey_address(key.as_bytes())),
        pub_key: key.as_bytes().to_vec(),
    }
}

fn header_json(chain_id: &str, header: &Header, txs: &[Vec<u8>], proposer: &str) -> Value {
    json!({
        "version": { "block": "11", "app": "0" },
        "chain_id": chain_id,
        "height": header.height.to_string(),
        "time": rfc3339_nanos(header.time_nanos),
        "last_block_id": block_id(&header.last_hash),
        "last_commit_hash": "",
        "data_hash": hex::encode_upper(data_hash(txs)),
        "validators_hash": "",
        "next_validators_hash": "",
        "consensus_hash": "",
        "app_hash": header.app_hash,
        "last_results_hash": "",
        "evidence_hash": "",
        "proposer_address": proposer,
    })
}

/// The header and the transactions' results of block `height` (0: the latest).
fn stored_block(
    chain: &mut crate::chain::Chain,
    height: i64,
) -> Result<(Header, Vec<TxResponse>), RpcError> {
    let latest = chain.header().height;
    let height = match height {
        0 => latest,
        h if h < 0 => {
            return Err(RpcError::internal(format!(
                "height must be greater than 0, but got {h}"
            )));
        }
        h if h as u64 > latest => {
            return Err(RpcError::internal(format!(
                "height {h} must be less than or equal to the current blockchain height {latest}"
            )));
        }
        h => h as u64,
    };
    let header = if height == latest {
        chain.header().clone()
    } else {
        chain
            .store()
            .block(height)
            .map_err(chain_error)?
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or_else(|| RpcError::internal(format!("block at height {height} not found")))?
    };
    let results = chain
        .store()
        .block_txs(height)
        .map_err(chain_error)?
        .iter()
        .map(|b| TxResponse::decode(b.as_slice()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| RpcError::internal(format!("stored result: {e}")))?;
    Ok((header, results))
}

/// The bytes of a committed transaction as it was sent.
pub fn raw_tx(response: &TxResponse) -> Vec<u8> {
    response
        .tx
        .as_ref()
        .map(|any| any.value.clone())
        .unwrap_or_default()
}

pub async fn status(rpc: &Rpc) -> Result<Value, RpcError> {
    let (earliest, latest, validator) = rpc
        .node
        .with_chain(move |chain| {
            let earliest = chain
                .store()
                .block(1)
                .ok()
                .flatten()
                .and_then(|b| serde_json::from_slice::<Header>(&b).ok());
            (earliest, chain.header().clone(), validator(chain))
        })
        .await
        .map_err(|e| RpcError::internal(e.message()))?;
    let earliest = earliest.unwrap_or_else(|| latest.clone());
    let config = &rpc.node.config;
    let rpc_address = format!("tcp://{}", rpc.addr);
    Ok(json!({
        "node_info": {
            "protocol_version": { "p2p": "8", "block": "11", "app": "0" },
            "id": validator.address.to_lowercase(),
            "listen_addr": rpc_address,
            "network": config.chain_id,
            "version": COMETBFT_VERSION,
            "channels": "",
            "moniker": "loopin-devnet",
            "other": { "tx_index": "on", "rpc_address": rpc_address },
        },
        "sync_info": {
            "latest_block_hash": latest.hash,
            "latest_app_hash": latest.app_hash,
            "latest_block_height": latest.height.to_string(),
            "latest_block_time": rfc3339_nanos(latest.time_nanos),
            "earliest_block_hash": earliest.hash,
            "earliest_app_hash": earliest.app_hash,
            "earliest_block_height": earliest.height.to_string(),
            "earliest_block_time": rfc3339_nanos(earliest.time_nanos),
            "catching_up": false,
        },
        "validator_info": {
            "address": validator.address,
            "pub_key": { "type": "tendermint/PubKeySecp256k1", "value": b64(&validator.pub_key) },
            "voting_power": "1",
        },
    }))
}

pub async fn abci_info(rpc: &Rpc) -> Result<Value, RpcError> {
    let header = rpc
        .node
        .with_chain(|chain| chain.header().clone())
        .await
        .map_err(|e| RpcError::internal(e.message()))?;
    Ok(json!({
        "response": {
            "data": "loopin-devnet",
            "version": env!("CARGO_PKG_VERSION"),
            "app_version": "0",
            "last_block_height": header.height.to_string(),
            "last_block_app_hash": b64(&hex::decode(&header.app_hash).unwrap_or_default()),
        }
    }))
}

pub async fn block(rpc: &Rpc, params: &Params) -> Result<Value, RpcError> {
    let height = params.int("height")?.unwrap_or(0);
    let ((header, results), validator) = rpc
        .node
        .with_chain(move |chain| {
            Ok::<_, RpcError>((stored_block(chain, height)?, validator(chain)))
        })
        .await
        .map_err(|e| RpcError::internal(e.message()))??;
    let txs: Vec<Vec<u8>> = results.iter().map(raw_tx).collect();
    let last_commit = if header.last_hash.is_empty() {
        json!({ "height": "0", "round": 0, "block_id": block_id(""), "signatures": [] })
    } else {
        json!({
            "height": (header.height - 1).to_string(),
            "round": 0,
            "block_id": block_id(&header.last_hash),
            "signatures": [],
        })
    };
    Ok(json!({
        "block_id": block_id(&header.hash),
        "block": {
            "header": header_json(&rpc.node.config.chain_id, &header, &txs, &validator.address),
            "data": { "txs": txs.iter().map(|t| b64(t)).collect::<Vec<_>>() },
            "evidence": { "evidence": [] },
            "last_commit": last_commit,
        },
    }))
}

pub async fn block_results(rpc: &Rpc, params: &Params) -> Result<Value, RpcError> {
    let height = params.int("height")?.unwrap_or(0);
    let (header, results) = rpc
        .node
        .with_chain(move |chain| stored_block(chain, height))
        .await
        .map_err(|e| RpcError::internal(e.message()))??;
    Ok(json!({
        "height": header.height.to_string(),
        "txs_results": results.iter().map(super::txs::exec_tx_result).collect::<Vec<_>>(),
        "finalize_block_events": [],
        "validator_updates": [],
        "consensus_param_updates": null,
        "app_hash": b64(&hex::decode(&header.app_hash).unwrap_or_default()),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_as_go_writes_them() {
        assert_eq!(rfc3339_nanos(0), "1970-01-01T00:00:00Z");
        assert_eq!(
            rfc3339_nanos(1_700_000_000_123_450_000),
            "2023-11-14T22:13:20.12345Z"
        );
        assert_eq!(
            rfc3339_nanos(1_700_000_000_000_000_001),
            "2023-11-14T22:13:20.000000001Z"
        );
    }

    #[test]
    fn data_hash_is_cometbft_merkle_root() {
        // Empty: SHA-256 of nothing.
        assert_eq!(
            hex::encode_upper(data_hash(&[])),
            "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"
        );
        // One leaf: SHA-256(0x00 || SHA-256(tx)); three: the split after two.
        let leaf = |tx: &[u8]| {
            Sha256::new()
                .chain_update([0u8])
                .chain_update(Sha256::digest(tx))
                .finalize()
                .to_vec()
        };
        let inner = |l: &[u8], r: &[u8]| {
            Sha256::new()
                .chain_update([1u8])
                .chain_update(l)
                .chain_update(r)
                .finalize()
                .to_vec()
        };
        assert_eq!(data_hash(&[b"a".to_vec()]), leaf(b"a"));
        let three = [b"a".to_vec(), b"b".to_vec(), b"c".to_vec()];
        assert_eq!(
            data_hash(&three),
            inner(&inner(&leaf(b"a"), &leaf(b"b")), &leaf(b"c"))
        );
    }
}
