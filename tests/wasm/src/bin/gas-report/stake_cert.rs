//! Stake certificates: mint among 100, soulbound refusals, status changes, queries.

use cosmwasm_std::{Decimal, HexBinary, Timestamp};
use loopin::stake_cert::{self, StakeMode, StakeTerms};
use loopin_wasm_tests::{HarnessError, WasmContract};

use crate::report::{Report, exec, query};

pub(crate) fn mint_msg(
    contract: &WasmContract,
    id: u32,
    pool: &str,
    start: Timestamp,
    hours: u64,
) -> stake_cert::ExecuteMsg {
    stake_cert::ExecuteMsg::Mint {
        token_id: format!("h100-{id}"),
        owner: contract.addr(&format!("miner-{id}")),
        terms: StakeTerms {
            pool: pool.to_string(),
            device_id: format!("gpu-{id}"),
            mode: if id.is_multiple_of(2) {
                StakeMode::Seller
            } else {
                StakeMode::LiquidityProvider
            },
            start,
            expiry: start.plus_seconds(3_600 * hours),
            rate: Decimal::one(),
            commitment: HexBinary::from([id as u8; 32]),
        },
        token_uri: None,
    }
}

pub fn scenario(report: &mut Report) -> Result<(), HarnessError> {
    const NAME: &str = "stake-cert";
    let mut contract = WasmContract::load("loopin_stake_cert")?;
    let (factory, pool, miner) = (
        contract.addr("factory"),
        contract.addr("pool-h100"),
        contract.addr("miner-1"),
    );
    let outcome = contract.instantiate(
        &factory,
        &stake_cert::InstantiateMsg {
            name: "LooPIN stake certificates".into(),
            symbol: "stLOOP".into(),
            minter: factory.clone(),
        },
    )?;
    report.record(NAME, "instantiate", outcome).unwrap();
    exec(
        report,
        &mut contract,
        NAME,
        "AddIssuer",
        &factory,
        &stake_cert::ExecuteMsg::AddIssuer {
            issuer: pool.clone(),
        },
        true,
    )?;

    let now = contract.block().time;
    let first = mint_msg(&contract, 1, &pool, now, 24);
    exec(
        report,
        &mut contract,
        NAME,
        "Mint (issuer, first)",
        &pool,
        &first,
        true,
    )?;
    for id in 2..100 {
        contract
            .execute(
                &pool,
                &mint_msg(&contract, id, &pool, now, u64::from(id % 48) + 1),
            )?
            .unwrap();
    }
    let hundredth = mint_msg(&contract, 100, &pool, now, 24);
    exec(
        report,
        &mut contract,
        NAME,
        "Mint (issuer, 100th)",
        &pool,
        &hundredth,
        true,
    )?;
    let mut again = mint_msg(&contract, 1, &pool, now, 24);
    if let stake_cert::ExecuteMsg::Mint { token_id, .. } = &mut again {
        *token_id = "h100-again".into();
    }
    exec(
        report,
        &mut contract,
        NAME,
        "Mint (device already staked)",
        &pool,
        &again,
        false,
    )?;
    let token_id = "h100-1".to_string();
    exec(
        report,
        &mut contract,
        NAME,
        "TransferNft (refused)",
        &miner,
        &stake_cert::ExecuteMsg::TransferNft {
            recipient: factory.clone(),
            token_id: token_id.clone(),
        },
        false,
    )?;
    exec(
        report,
        &mut contract,
        NAME,
        "Burn by owner (refused)",
        &miner,
        &stake_cert::ExecuteMsg::Burn {
            token_id: token_id.clone(),
        },
        false,
    )?;
    exec(
        report,
        &mut contract,
        NAME,
        "Extend",
        &pool,
        &stake_cert::ExecuteMsg::Extend {
            token_id: token_id.clone(),
            expiry: now.plus_seconds(48 * 3_600),
        },
        true,
    )?;
    exec(
        report,
        &mut contract,
        NAME,
        "Curtail",
        &pool,
        &stake_cert::ExecuteMsg::Curtail {
            token_id: token_id.clone(),
            expiry: now.plus_seconds(36 * 3_600),
        },
        true,
    )?;

    query(
        report,
        &mut contract,
        NAME,
        "query Certificate",
        &stake_cert::QueryMsg::Certificate {
            token_id: token_id.clone(),
        },
    )?;
    query(
        report,
        &mut contract,
        NAME,
        "query NftInfo",
        &stake_cert::QueryMsg::NftInfo {
            token_id: token_id.clone(),
        },
    )?;
    query(
        report,
        &mut contract,
        NAME,
        "query OwnerOf",
        &stake_cert::QueryMsg::OwnerOf {
            token_id: token_id.clone(),
            include_expired: None,
        },
    )?;
    query(
        report,
        &mut contract,
        NAME,
        "query ActiveAt (pool, page of 30 of 100)",
        &stake_cert::QueryMsg::ActiveAt {
            time: None,
            pool: Some(pool.clone()),
            start_after: None,
            limit: Some(30),
        },
    )?;
    query(
        report,
        &mut contract,
        NAME,
        "query CertificatesByPool (page of 30)",
        &stake_cert::QueryMsg::CertificatesByPool {
            pool: pool.clone(),
            start_after: None,
            limit: Some(30),
        },
    )?;
    query(
        report,
        &mut contract,
        NAME,
        "query DeviceCertificate",
        &stake_cert::QueryMsg::DeviceCertificate {
            device_id: "gpu-1".into(),
        },
    )?;

    exec(
        report,
        &mut contract,
        NAME,
        "Invalidate",
        &pool,
        &stake_cert::ExecuteMsg::Invalidate {
            token_id: "h100-2".into(),
            reason: "bad openings".into(),
        },
        true,
    )?;
    exec(
        report,
        &mut contract,
        NAME,
        "Expire",
        &pool,
        &stake_cert::ExecuteMsg::Expire {
            token_id: "h100-3".into(),
        },
        true,
    )?;
    exec(
        report,
        &mut contract,
        NAME,
        "Burn (issuer)",
        &pool,
        &stake_cert::ExecuteMsg::Burn {
            token_id: "h100-4".into(),
        },
        true,
    )?;
    let migrated = contract.migrate(&stake_cert::MigrateMsg {})?;
    report.record(NAME, "migrate", migrated).unwrap();
    Ok(())
}
