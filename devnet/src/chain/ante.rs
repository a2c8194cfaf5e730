//! The ante handler: fee, account, sequence and signature, and CheckTx (admission to the
//! mempool).

use cosmos_sdk_proto::Any;
use cosmos_sdk_proto::cosmos::auth::v1beta1::BaseAccount;
use cosmos_sdk_proto::cosmos::crypto::secp256k1::PubKey;
use cosmos_sdk_proto::cosmos::tx::v1beta1::SignDoc;
use k256::ecdsa::signature::Verifier;
use prost::Message;

use super::Chain;
use super::tx::{DecodedTx, only_direct, tx_hash};
use crate::address::pubkey_address;
use crate::bank;
use crate::exec::{ExecError, GasMeter};
use crate::keys;

/// SDK gas per byte of a transaction (TxSizeCostPerByte).
pub(super) const TX_SIZE_COST_PER_BYTE: u64 = 10;
/// SDK gas of a secp256k1 signature check (SigVerifyCostSecp256k1).
pub(super) const SIG_VERIFY_COST: u64 = 1_000;
/// Address of the fee collector module account's bytes (ADR-028 style, fixed).
pub(super) const FEE_COLLECTOR: &str = "fee_collector";

impl Chain {
    pub(super) fn required_fee(&self, gas_limit: u64) -> u128 {
        let price = self.config.min_gas_price;
        (gas_limit as f64 * price).ceil() as u128
    }

    /// Checks the tx's one signature over its `SignDoc` (this chain's id, `account_number`) with
    /// `pubkey`. A tx whose signature CheckTx verified with the same key and account number is
    /// not verified again in DeliverTx: the hash covers the body, auth info and signature, so
    /// the answer cannot differ.
    pub(super) fn verify_signature(
        &mut self,
        tx: &DecodedTx,
        hash: &str,
        pubkey: &[u8],
        account_number: u64,
    ) -> Result<(), ExecError> {
        if self
            .verified
            .get(hash)
            .is_some_and(|(key, number)| key == pubkey && *number == account_number)
        {
            return Ok(());
        }
        let doc = SignDoc {
            body_bytes: tx.raw.body_bytes.clone(),
            auth_info_bytes: tx.raw.auth_info_bytes.clone(),
            chain_id: self.config.chain_id.clone(),
            account_number,
        };
        let valid = tx.raw.signatures.len() == 1
            && k256::ecdsa::VerifyingKey::from_sec1_bytes(pubkey)
                .ok()
                .zip(k256::ecdsa::Signature::from_slice(&tx.raw.signatures[0]).ok())
                .is_some_and(|(key, sig)| {
                    sig.normalize_s().is_none() && key.verify(&doc.encode_to_vec(), &sig).is_ok()
                });
        if !valid {
            return Err(ExecError::sdk(
                4,
                format!(
                    "signature verification failed; please verify account number ({account_number}) and chain-id ({}): unauthorized",
                    self.config.chain_id
                ),
            ));
        }
        self.verified
            .insert(hash.to_string(), (pubkey.to_vec(), account_number));
        Ok(())
    }

    /// The ante handler: fee, account, sequence and signature. Writes (fee, sequence, public
    /// key) go to the state's current layer. `expected` overrides the stored sequence (CheckTx).
    /// `checked` is the tx's hash when fee and signature are checked (CheckTx, DeliverTx), `None`
    /// when simulating.
    pub(super) fn ante(
        &mut self,
        tx: &DecodedTx,
        tx_len: usize,
        checked: Option<&str>,
        expected: Option<u64>,
        meter: &mut GasMeter,
    ) -> Result<(), ExecError> {
        if checked.is_some() && !tx.direct {
            return Err(only_direct());
        }
        self.check_limits(tx)?;
        let paid = self.check_fee(tx, checked.is_some())?;
        meter.consume(TX_SIZE_COST_PER_BYTE * tx_len as u64)?;
        let mut account = self.account(&tx.signer).ok_or_else(|| {
            ExecError::sdk(
                9,
                format!(
                    "account {} not found: unknown address",
                    self.addr_string(&tx.signer)
                ),
            )
        })?;
        let (stored_key, pubkey) = signer_key(&account, tx)?;
        let expected_seq = expected.unwrap_or(account.sequence);
        if tx.sequence != expected_seq {
            return Err(ExecError::sdk(
                32,
                format!(
                    "account sequence mismatch, expected {expected_seq}, got {}: incorrect account sequence",
                    tx.sequence
                ),
            ));
        }
        meter.consume(SIG_VERIFY_COST)?;
        if let Some(hash) = checked {
            self.verify_signature(tx, hash, &pubkey, account.account_number)?;
        }
        if paid > 0 {
            self.collect_fee(tx, &account.address)?;
        }
        account.sequence += 1;
        if stored_key.is_none() {
            account.pub_key = Some(Any {
                type_url: "/cosmos.crypto.secp256k1.PubKey".into(),
                value: PubKey { key: pubkey }.encode_to_vec(),
            });
        }
        self.state
            .set(&keys::account(&tx.signer), account.encode_to_vec());
        Ok(())
    }

    /// The tx's timeout height and gas limit against the next block.
    fn check_limits(&self, tx: &DecodedTx) -> Result<(), ExecError> {
        if tx.body.timeout_height != 0 && tx.body.timeout_height < self.header.height + 1 {
            return Err(ExecError::sdk(
                30,
                format!(
                    "block height: {}, timeout height: {}: tx timeout height",
                    self.header.height + 1,
                    tx.body.timeout_height
                ),
            ));
        }
        if tx.gas_limit > self.config.max_tx_gas {
            return Err(ExecError::sdk(
                18,
                format!(
                    "gas limit {} above the block maximum {}: invalid request",
                    tx.gas_limit, self.config.max_tx_gas
                ),
            ));
        }
        Ok(())
    }

    /// The fee paid in the chain's denom; refused below the minimum gas price when `checked`.
    fn check_fee(&self, tx: &DecodedTx, checked: bool) -> Result<u128, ExecError> {
        let denom = &self.config.denom;
        let required = self.required_fee(tx.gas_limit);
        let paid: u128 = tx
            .fee
            .iter()
            .filter(|c| &c.denom == denom)
            .map(|c| c.amount.u128())
            .sum();
        if checked && paid < required {
            return Err(ExecError::sdk(
                13,
                format!(
                    "insufficient fees; got: {paid}{denom} required: {required}{denom}: insufficient fee"
                ),
            ));
        }
        Ok(paid)
    }

    /// Moves the tx's whole fee from the signer (`payer`, its address) to the fee collector.
    fn collect_fee(&mut self, tx: &DecodedTx, payer: &str) -> Result<(), ExecError> {
        let collector = pubkey_address(FEE_COLLECTOR.as_bytes());
        for coin in &tx.fee {
            bank::transfer(
                &mut self.state,
                &tx.signer,
                &collector,
                &coin.denom,
                coin.amount.u128(),
                payer,
            )
            .map_err(|e| {
                ExecError::sdk(
                    5,
                    format!(
                        "{}: insufficient funds",
                        e.log.trim_end_matches(": insufficient funds")
                    ),
                )
            })?;
        }
        Ok(())
    }

    /// CheckTx: admits a transaction to the mempool or says why not. Returns its hash.
    pub fn check_tx(&mut self, bytes: Vec<u8>) -> Result<String, ExecError> {
        let hash = tx_hash(&bytes);
        if self.mempool_hashes.contains(&hash) {
            return Err(ExecError::sdk(19, "tx already in mempool"));
        }
        if let Ok(Some(_)) = self.store.tx(hash.as_bytes()) {
            return Err(ExecError::sdk(19, "tx already exists in cache"));
        }
        let tx = self.decode_tx(&bytes)?;
        let expected = self.check_sequences.get(&tx.signer).copied();
        let mut meter = GasMeter::new(tx.gas_limit);
        self.state.push();
        let result = self.ante(&tx, bytes.len(), Some(&hash), expected, &mut meter);
        self.state.discard();
        result?;
        self.check_sequences
            .insert(tx.signer.clone(), tx.sequence + 1);
        self.mempool_hashes.insert(hash.clone());
        self.mempool.push((hash.clone(), bytes));
        Ok(hash)
    }
}

/// The key the tx is checked with: the account's stored key (the tx's must match it), else the
/// tx's own. Returns the stored key too (`None` until the account's first tx).
fn signer_key(
    account: &BaseAccount,
    tx: &DecodedTx,
) -> Result<(Option<Vec<u8>>, Vec<u8>), ExecError> {
    let stored_key = account
        .pub_key
        .as_ref()
        .and_then(|any| PubKey::decode(&*any.value).ok())
        .map(|pk| pk.key);
    let pubkey = match (&stored_key, &tx.pubkey) {
        (Some(stored), Some(given)) if stored != given => {
            return Err(ExecError::sdk(
                8,
                "pubKey does not match the account's: invalid pubkey",
            ));
        }
        (Some(stored), _) => stored.clone(),
        (None, Some(given)) => given.clone(),
        (None, None) => {
            return Err(ExecError::sdk(
                8,
                "pubkey on account is not set: invalid pubkey",
            ));
        }
    };
    Ok((stored_key, pubkey))
}
