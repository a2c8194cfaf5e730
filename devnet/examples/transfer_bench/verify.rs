//! `transfer_bench`'s verification: every transaction committed, every balance exact.

use std::collections::BTreeMap;

use anyhow::{Context, bail, ensure};
use cosmrs::proto::cosmos::tx::v1beta1 as txpb;
use loopin::token;
use tonic::transport::Channel;

use super::{Args, Bench, INITIAL, NATIVE_FUNDS, Sender, cw20_balance, get_tx, transfer_of};

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
    args: &Args,
    bench: &Bench,
    senders: &[Sender],
    token_addr: &str,
    fee: u128,
) -> anyhow::Result<()> {
    let deployer = &bench.deployer;
    let supply = INITIAL * args.accounts as u128;
    let mut expected = vec![INITIAL; senders.len()];
    for i in 0..senders.len() {
        for k in 0..args.txs_per_account {
            let (to, amount) = transfer_of(i, k, senders.len());
            expected[i] -= amount;
            expected[to] += amount;
        }
    }
    let fees = fee * u128::from(args.txs_per_account);
    let mut sum = 0u128;
    for (i, s) in senders.iter().enumerate() {
        let address = s.address.to_string();
        let balance = cw20_balance(deployer, token_addr, &address).await?;
        ensure!(
            balance == expected[i],
            "sender {i}: cw20 balance {balance}, expected {}",
            expected[i]
        );
        sum += balance;
        let (_, sequence) = deployer
            .account_of(&address)
            .await?
            .context("sender account missing")?;
        ensure!(
            sequence == args.txs_per_account,
            "sender {i}: sequence {sequence}, expected {}",
            args.txs_per_account
        );
        let native = deployer.balance(&address, &bench.denom).await?;
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
