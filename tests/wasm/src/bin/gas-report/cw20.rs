//! cw20-base's own entry points and LOOP's, on the same script.

use cosmwasm_std::Uint128;
use cw20::{Cw20Coin, Expiration};
use loopin::token::{self, MinterResponse};
use loopin_wasm_tests::{HarnessError, WasmContract};

use crate::report::{Report, exec, query};

/// cw20-base and LOOP run the same script; LOOP adds its own entry points.
pub fn scenario(
    report: &mut Report,
    artifact: &str,
    name: &'static str,
) -> Result<(), HarnessError> {
    let mut contract = WasmContract::load(artifact)?;
    let (minter, alice, bob, spender) = (
        contract.addr("minter"),
        contract.addr("alice"),
        contract.addr("bob"),
        contract.addr("spender"),
    );
    let initial_balances = vec![
        Cw20Coin {
            address: alice.clone(),
            amount: Uint128::new(1_000_000),
        },
        Cw20Coin {
            address: bob.clone(),
            amount: Uint128::new(1_000_000),
        },
    ];
    let minter_info = MinterResponse {
        minter: minter.clone(),
        cap: None,
    };
    let outcome = if name == "cw20-base" {
        contract.instantiate(
            &minter,
            &cw20_base::msg::InstantiateMsg {
                name: "Baseline".into(),
                symbol: "BASE".into(),
                decimals: 6,
                initial_balances,
                mint: Some(minter_info),
                marketing: None,
            },
        )?
    } else {
        contract.instantiate(
            &minter,
            &token::InstantiateMsg {
                name: "LooPIN".into(),
                symbol: "LOOP".into(),
                decimals: 6,
                initial_balances,
                minter: minter_info,
                marketing: None,
            },
        )?
    };
    report
        .record(name, "instantiate (2 balances)", outcome)
        .unwrap();

    let amount = Uint128::new(1_000);
    exec(
        report,
        &mut contract,
        name,
        "Transfer",
        &alice,
        &token::ExecuteMsg::Transfer {
            recipient: bob.clone(),
            amount,
        },
        true,
    )?;
    let carol = contract.addr("carol");
    exec(
        report,
        &mut contract,
        name,
        "Transfer (new recipient)",
        &alice,
        &token::ExecuteMsg::Transfer {
            recipient: carol,
            amount,
        },
        true,
    )?;
    exec(
        report,
        &mut contract,
        name,
        "Transfer (insufficient funds)",
        &alice,
        &token::ExecuteMsg::Transfer {
            recipient: bob.clone(),
            amount: Uint128::new(u64::MAX.into()),
        },
        false,
    )?;
    exec(
        report,
        &mut contract,
        name,
        "Send",
        &alice,
        &token::ExecuteMsg::Send {
            contract: bob.clone(),
            amount,
            msg: b"{}".into(),
        },
        true,
    )?;
    exec(
        report,
        &mut contract,
        name,
        "Mint",
        &minter,
        &token::ExecuteMsg::Mint {
            recipient: alice.clone(),
            amount,
        },
        true,
    )?;
    exec(
        report,
        &mut contract,
        name,
        "Burn",
        &alice,
        &token::ExecuteMsg::Burn { amount },
        true,
    )?;
    exec(
        report,
        &mut contract,
        name,
        "IncreaseAllowance",
        &alice,
        &token::ExecuteMsg::IncreaseAllowance {
            spender: spender.clone(),
            amount,
            expires: Some(Expiration::Never {}),
        },
        true,
    )?;
    exec(
        report,
        &mut contract,
        name,
        "TransferFrom",
        &spender,
        &token::ExecuteMsg::TransferFrom {
            owner: alice.clone(),
            recipient: bob.clone(),
            amount: Uint128::new(10),
        },
        true,
    )?;
    exec(
        report,
        &mut contract,
        name,
        "BurnFrom",
        &spender,
        &token::ExecuteMsg::BurnFrom {
            owner: alice.clone(),
            amount: Uint128::new(10),
        },
        true,
    )?;

    query(
        report,
        &mut contract,
        name,
        "query Balance",
        &token::QueryMsg::Balance {
            address: alice.clone(),
        },
    )?;
    query(
        report,
        &mut contract,
        name,
        "query TokenInfo",
        &token::QueryMsg::TokenInfo {},
    )?;
    query(
        report,
        &mut contract,
        name,
        "query AllAccounts",
        &token::QueryMsg::AllAccounts {
            start_after: None,
            limit: None,
        },
    )?;
    if name != "cw20-base" {
        query(
            report,
            &mut contract,
            name,
            "query SupplyAudit",
            &token::QueryMsg::SupplyAudit {},
        )?;
        let migrated = contract.migrate(&token::MigrateMsg {})?;
        report.record(name, "migrate", migrated).unwrap();
    }
    Ok(())
}
