//! The compiled, optimised wasm behaves like the Rust the other tests exercise: run in cosmwasm-vm.

use cosmwasm_std::{Decimal, HexBinary, Uint128, coins};
use cw20::{BalanceResponse, Cw20Coin, TokenInfoResponse};
use loopin::stake_cert::{
    self, ActiveCertificatesResponse, CertificateResponse, CertificateStatus, StakeMode, StakeTerms,
};
use loopin::token::{self, MinterResponse, SupplyAuditResponse};
use loopin_wasm_tests::WasmContract;

fn token(minter: &str, holder: &str) -> WasmContract {
    let mut contract = WasmContract::load("loopin_token").unwrap();
    let msg = token::InstantiateMsg {
        name: "LooPIN".into(),
        symbol: "LOOP".into(),
        decimals: 6,
        initial_balances: vec![Cw20Coin {
            address: holder.into(),
            amount: Uint128::new(1_000),
        }],
        minter: MinterResponse {
            minter: minter.into(),
            cap: Some(Uint128::new(10_000)),
        },
        marketing: None,
    };
    contract.instantiate(minter, &msg).unwrap().unwrap();
    contract
}

fn balance(contract: &mut WasmContract, address: &str) -> u128 {
    let msg = token::QueryMsg::Balance {
        address: address.into(),
    };
    let answer: BalanceResponse = contract.query(&msg).unwrap().unwrap();
    answer.balance.u128()
}

#[test]
fn token_transfers_mints_burns_and_audits_supply() {
    let mut probe = WasmContract::load("loopin_token").unwrap();
    let (minter, alice, bob) = (probe.addr("minter"), probe.addr("alice"), probe.addr("bob"));
    let no_minter = serde_json::json!({
        "name": "LooPIN", "symbol": "LOOP", "decimals": 6, "initial_balances": [], "marketing": null
    });
    let err = probe.instantiate(&minter, &no_minter).unwrap().unwrap_err();
    assert!(err.contains("missing field `minter`"), "{err}");
    let mut contract = token(&minter, &alice);

    let transfer = token::ExecuteMsg::Transfer {
        recipient: bob.clone(),
        amount: Uint128::new(400),
    };
    contract.execute(&alice, &transfer).unwrap().unwrap();
    assert_eq!(
        (balance(&mut contract, &alice), balance(&mut contract, &bob)),
        (600, 400)
    );

    let overdraw = token::ExecuteMsg::Transfer {
        recipient: alice.clone(),
        amount: Uint128::new(401),
    };
    let err = contract.execute(&bob, &overdraw).unwrap().unwrap_err();
    assert!(err.contains("Overflow"), "{err}");

    let mint = token::ExecuteMsg::Mint {
        recipient: bob.clone(),
        amount: Uint128::new(50),
    };
    let err = contract.execute(&alice, &mint).unwrap().unwrap_err();
    assert_eq!(err, "Unauthorized");
    contract.execute(&minter, &mint).unwrap().unwrap();
    contract
        .execute(
            &bob,
            &token::ExecuteMsg::Burn {
                amount: Uint128::new(150),
            },
        )
        .unwrap()
        .unwrap();

    let funded = serde_json::to_vec(&transfer).unwrap();
    let err = contract
        .execute_raw(&alice, &funded, &coins(1, "ustake"))
        .unwrap()
        .unwrap_err();
    assert_eq!(err, "This message does no accept funds");
    let err = contract
        .execute_raw(&alice, b"{\"transfer\":", &[])
        .unwrap()
        .unwrap_err();
    assert!(err.contains("Error parsing"), "{err}");

    assert_eq!(
        (balance(&mut contract, &alice), balance(&mut contract, &bob)),
        (600, 300)
    );
    let audit: SupplyAuditResponse = contract
        .query(&token::QueryMsg::SupplyAudit {})
        .unwrap()
        .unwrap();
    assert_eq!(
        audit,
        SupplyAuditResponse {
            initial_supply: Uint128::new(1_000),
            minted: Uint128::new(50),
            burned: Uint128::new(150),
            total_supply: Uint128::new(900),
        }
    );
    let info: TokenInfoResponse = contract
        .query(&token::QueryMsg::TokenInfo {})
        .unwrap()
        .unwrap();
    assert_eq!(info.total_supply, Uint128::new(900));
}

#[test]
fn stake_certificate_is_soulbound_and_expires_with_block_time() {
    let mut contract = WasmContract::load("loopin_stake_cert").unwrap();
    let (minter, miner, thief) = (
        contract.addr("factory"),
        contract.addr("miner"),
        contract.addr("thief"),
    );
    let pool = contract.addr("pool-h100");
    contract
        .instantiate(
            &minter,
            &stake_cert::InstantiateMsg {
                name: "LooPIN stake certificates".into(),
                symbol: "stLOOP".into(),
                minter: minter.clone(),
            },
        )
        .unwrap()
        .unwrap();
    let now = contract.block().time;
    let mint = stake_cert::ExecuteMsg::Mint {
        token_id: "h100-1".into(),
        owner: miner.clone(),
        terms: StakeTerms {
            pool: pool.clone(),
            device_id: "gpu-a".into(),
            mode: StakeMode::LiquidityProvider,
            start: now,
            expiry: now.plus_seconds(3_600),
            rate: Decimal::one(),
            commitment: HexBinary::from([7u8; 32]),
        },
        token_uri: None,
    };
    assert_eq!(
        contract.execute(&miner, &mint).unwrap().unwrap_err(),
        "sender is neither the minter nor an issuer"
    );
    contract.execute(&minter, &mint).unwrap().unwrap();

    let transfer = stake_cert::ExecuteMsg::TransferNft {
        recipient: thief.clone(),
        token_id: "h100-1".into(),
    };
    assert_eq!(
        contract.execute(&miner, &transfer).unwrap().unwrap_err(),
        "stake certificates are not transferable"
    );
    let burn = stake_cert::ExecuteMsg::Burn {
        token_id: "h100-1".into(),
    };
    assert_eq!(
        contract.execute(&miner, &burn).unwrap().unwrap_err(),
        "only the protocol burns stake certificates"
    );

    let query = stake_cert::QueryMsg::Certificate {
        token_id: "h100-1".into(),
    };
    let cert: CertificateResponse = contract.query(&query).unwrap().unwrap();
    assert_eq!(cert.certificate.status, CertificateStatus::Active);
    assert_eq!(cert.certificate.miner.as_str(), miner);

    contract.advance(3_599);
    let active: ActiveCertificatesResponse = contract
        .query(&stake_cert::QueryMsg::ActiveAt {
            time: None,
            pool: Some(pool.clone()),
            start_after: None,
            limit: None,
        })
        .unwrap()
        .unwrap();
    assert_eq!(active.certificates.len(), 1);

    contract.advance(1);
    let cert: CertificateResponse = contract.query(&query).unwrap().unwrap();
    assert_eq!(cert.certificate.status, CertificateStatus::Expired);
    let active: ActiveCertificatesResponse = contract
        .query(&stake_cert::QueryMsg::ActiveAt {
            time: None,
            pool: None,
            start_after: None,
            limit: None,
        })
        .unwrap()
        .unwrap();
    assert!(active.certificates.is_empty());
}

#[test]
fn migrate_checks_the_stored_contract_name() {
    let probe = WasmContract::load("loopin_token").unwrap();
    let mut contract = token(&probe.addr("minter"), &probe.addr("holder"));
    let response = contract.migrate(&token::MigrateMsg {}).unwrap().unwrap();
    let to_version = response
        .attributes
        .iter()
        .find(|attr| attr.key == "to_version")
        .map(|attr| attr.value.as_str());
    assert_eq!(to_version, Some(env!("CARGO_PKG_VERSION")));
}
