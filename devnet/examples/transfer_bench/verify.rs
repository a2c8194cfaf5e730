//! `transfer_bench`'s verification: every transaction committed, every balance exact.

use std::collections::BTreeMap;

use anyhow::{Context, bail, ensure};
use cosmrs::proto::cosmos::tx::v1beta1 as txpb;
use loopin::token;
use tonic::transport::Channel;

use loopin_chain_client::ChainClient;

/// Verification: every transaction committed with code 0. Transactions by block height, and the
/// most gas one used.
pub(super) async fn verify_committed(
    tx_client: &mut txpb::service_client::ServiceClient<Channel>,
    hashes: &[Vec<String>],
    txs_per_account: u64,
) -> anyhow::Result<(BTreeMap<i64, u64>, i64)> {
    let mut per_block: BTreeMap<i64, u64> = BTreeMap::new();
    let mut gas_used = 0i64;
    for account_hashes in hashes {
        ensure!(account_hashes.len() as u64 == txs_per_account);
        for hash in account_hashes {
            let Some(response) = get_tx(tx_client, hash).await? else {
                bail!("tx {hash} is not in any block");
            };
            ensure!(
                response.code == 0,
                "tx {hash} failed in block {}: code {} {}",
                response.height,
                response.code,
                response.raw_log
            );
            *per_block.entry(response.height).or_default() += 1;
            gas_used = gas_used.max(response.gas_used);
        }
    }
    Ok((per_block, gas_used))
}

/// Verification: every sender's sequence, fee balance and cw20 balance exact, and the token's
/// balances adding up to its unchanged supply.
pub(super) async fn verify_balances(
    deployer: &ChainClient,
    denom: &str,
    addresses: &[String],
    txs_per_account: u64,
    token_addr: &str,
    fee: u128,
) -> anyhow::Result<()> {
    let supply = INITIAL * addresses.len() as u128;
    let mut expected = vec![INITIAL; addresses.len()];
    for i in 0..addresses.len() {
        for k in 0..txs_per_account {
            let (to, amount) = transfer_of(i, k, addresses.len());
            expected[i] -= amount;
            expected[to] += amount;
        }
    }
    let fees = fee * u128::from(txs_per_account);
    let mut sum = 0u128;
    for (i, address) in addresses.iter().enumerate() {
        let balance = cw20_balance(deployer, token_addr, address).await?;
        ensure!(
            balance == expected[i],
            "sender {i}: cw20 balance {balance}, expected {}",
            expected[i]
        );
        sum += balance;
        let (_, sequence) = deployer
            .account_of(address)
            .await?
            .context("sender account missing")?;
        ensure!(
            sequence == txs_per_account,
            "sender {i}: sequence {sequence}, expected {}",
            txs_per_account
        );
        let native = deployer.balance(address, denom).await?;
        ensure!(
            native == u128::from(NATIVE_FUNDS) - fees,
            "sender {i}: native balance {native}, expected {}",
            u128::from(NATIVE_FUNDS) - fees
        );
    }
    let info: cw20::TokenInfoResponse = deployer
        .query_smart(token_addr, &token::QueryMsg::TokenInfo {})
        .await?;
    ensure!(
        info.total_supply.u128() == supply && sum == supply,
        "supply {} and sum of balances {sum}, expected {supply}",
        info.total_supply
    );
    Ok(())
}

/// Native funds of every genesis account (fees).
pub(super) const NATIVE_FUNDS: u64 = 1_000_000_000_000;
/// cw20 balance of every sender at instantiation.
pub(super) const INITIAL: u128 = 1_000_000_000;

/// What sender `i`'s `k`-th transfer moves, and to whom: amounts vary so a lost or doubled
/// transfer shows in the balances.
pub(super) fn transfer_of(i: usize, k: u64, accounts: usize) -> (usize, u128) {
    ((i + 1 + k as usize % 3) % accounts, 1 + u128::from(k % 7))
}

/// `GetTx` of `hash`: `None` while it is not in a block.
pub(super) async fn get_tx(
    client: &mut txpb::service_client::ServiceClient<Channel>,
    hash: &str,
) -> anyhow::Result<Option<cosmrs::proto::cosmos::base::abci::v1beta1::TxResponse>> {
    match client
        .get_tx(txpb::GetTxRequest {
            hash: hash.to_string(),
        })
        .await
    {
        Ok(r) => Ok(Some(
            r.into_inner().tx_response.context("empty tx response")?,
        )),
        Err(s) if s.code() == tonic::Code::NotFound => Ok(None),
        Err(s) => Err(s.into()),
    }
}

async fn cw20_balance(client: &ChainClient, token: &str, who: &str) -> anyhow::Result<u128> {
    let answer: cw20::BalanceResponse = client
        .query_smart(
            token,
            &token::QueryMsg::Balance {
                address: who.to_string(),
            },
        )
        .await?;
    Ok(answer.balance.u128())
}
