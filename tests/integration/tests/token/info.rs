//! Token and marketing information, and guarded migration.

use super::*;

#[test]
fn token_and_marketing_info_are_served() {
    let (mut app, a) = app();
    let code = app.store_code(token_contract());
    let mut msg = loop_instantiate_msg(&a);
    msg.marketing.as_mut().unwrap().logo =
        Some(Logo::Embedded(EmbeddedLogo::Svg(Binary::from(SVG))));
    let token = app
        .instantiate_contract(code, a.admin.clone(), &msg, &[], "LOOP", None)
        .unwrap();

    let info: TokenInfoResponse = app
        .wrap()
        .query_wasm_smart(&token, &QueryMsg::TokenInfo {})
        .unwrap();
    assert_eq!(
        info,
        TokenInfoResponse {
            name: "LooPIN".into(),
            symbol: "LOOP".into(),
            decimals: 6,
            total_supply: Uint128::new(INITIAL_SUPPLY),
        }
    );
    let marketing: MarketingInfoResponse = app
        .wrap()
        .query_wasm_smart(&token, &QueryMsg::MarketingInfo {})
        .unwrap();
    assert_eq!(
        marketing,
        MarketingInfoResponse {
            project: Some("LooPIN".into()),
            description: Some("Decentralised compute-hour exchange".into()),
            marketing: Some(a.marketing.clone()),
            logo: Some(LogoInfo::Embedded),
        }
    );
    let logo: DownloadLogoResponse = app
        .wrap()
        .query_wasm_smart(&token, &QueryMsg::DownloadLogo {})
        .unwrap();
    assert_eq!(
        logo,
        DownloadLogoResponse {
            mime_type: "image/svg+xml".into(),
            data: Binary::from(SVG),
        }
    );
    let accounts: AllAccountsResponse = app
        .wrap()
        .query_wasm_smart(
            &token,
            &QueryMsg::AllAccounts {
                start_after: None,
                limit: None,
            },
        )
        .unwrap();
    let mut holders = vec![a.alice.to_string(), a.bob.to_string()];
    holders.sort();
    assert_eq!(accounts.accounts, holders);
    assert_eq!(balance(&app, &token, &a.alice), ALICE_GENESIS);
    assert_eq!(balance(&app, &token, &a.bob), BOB_GENESIS);
    assert_eq!(balance(&app, &token, &a.carol), 0);
    assert_eq!(audit(&app, &token), expected_audit(0, 0));

    // Without marketing at instantiation, the marketing info is empty and there is no logo.
    let mut msg = loop_instantiate_msg(&a);
    msg.marketing = None;
    let bare = app
        .instantiate_contract(code, a.admin.clone(), &msg, &[], "LOOP", None)
        .unwrap();
    let marketing: MarketingInfoResponse = app
        .wrap()
        .query_wasm_smart(&bare, &QueryMsg::MarketingInfo {})
        .unwrap();
    assert_eq!(marketing, MarketingInfoResponse::default());
    assert!(
        app.wrap()
            .query_wasm_smart::<DownloadLogoResponse>(&bare, &QueryMsg::DownloadLogo {})
            .is_err()
    );
}

#[test]
fn migrate_accepts_the_token_and_refuses_other_contracts() {
    let (mut app, a) = app();
    let (code, token) = instantiate_loop(&mut app, &a);
    exec(
        &mut app,
        &a.alice,
        &token,
        &Cw20ExecuteMsg::Burn { amount: amount(5) },
        &[],
    )
    .unwrap();
    let before = raw_state(&app, &token);

    // To the same code, and to a fresh upload of it: accepted, state kept.
    let new_code = app.store_code(token_contract());
    for target in [code, new_code] {
        let response = app
            .migrate_contract(a.admin.clone(), token.clone(), &MigrateMsg {}, target)
            .unwrap();
        let wasm = response.events.iter().find(|e| e.ty == "wasm").unwrap();
        let version = loopin_token::contract::CONTRACT_VERSION;
        for (key, value) in [
            ("action", "migrate"),
            ("from_version", version),
            ("to_version", version),
        ] {
            assert!(
                wasm.attributes
                    .iter()
                    .any(|attr| attr.key == key && attr.value == value),
                "{key}={value} in {wasm:?}"
            );
        }
        assert_eq!(app.contract_data(&token).unwrap().code_id, target);
        assert_eq!(before, raw_state(&app, &token));
    }
    // The cw2 record (key "contract_info") names the token at this version.
    #[derive(Deserialize)]
    struct Cw2Record {
        contract: String,
        version: String,
    }
    let raw = app
        .wrap()
        .query_wasm_raw(&token, b"contract_info".to_vec())
        .unwrap()
        .unwrap();
    let record: Cw2Record = from_json(raw).unwrap();
    assert_eq!(record.contract, loopin_token::contract::CONTRACT_NAME);
    assert_eq!(record.version, loopin_token::contract::CONTRACT_VERSION);
    assert_eq!(audit(&app, &token), expected_audit(0, 5));
    assert_eq!(balance(&app, &token, &a.alice), ALICE_GENESIS - 5);

    // Only the admin migrates.
    let err = app
        .migrate_contract(a.alice.clone(), token.clone(), &MigrateMsg {}, code)
        .unwrap_err();
    assert!(
        err.root_cause()
            .to_string()
            .starts_with("Only admin can migrate contract"),
        "{err}"
    );
    assert_eq!(app.contract_data(&token).unwrap().code_id, new_code);

    // A stake-certificate contract cannot become the token.
    let cert_code = app.store_code(stake_cert_contract());
    let cert = app
        .instantiate_contract(
            cert_code,
            a.admin.clone(),
            &loopin::stake_cert::InstantiateMsg {
                name: "LooPIN stake certificates".into(),
                symbol: "stLOOP".into(),
                minter: a.minter.to_string(),
            },
            &[],
            "stake-cert",
            Some(a.admin.to_string()),
        )
        .unwrap();
    let cert_before = raw_state(&app, &cert);
    let err: ContractError =
        contract_error(app.migrate_contract(a.admin.clone(), cert.clone(), &MigrateMsg {}, code));
    assert_eq!(
        err,
        ContractError::Migrate(MigrateError::WrongContract {
            expected: loopin_token::contract::CONTRACT_NAME.into(),
            found: loopin_stake_cert::contract::CONTRACT_NAME.into(),
        })
    );
    assert_eq!(app.contract_data(&cert).unwrap().code_id, cert_code);
    assert_eq!(cert_before, raw_state(&app, &cert));

    // Nor can a plain cw20-base token.
    let base_code = app.store_code(cw20_base_contract());
    let base = app
        .instantiate_contract(
            base_code,
            a.admin.clone(),
            &base_instantiate_msg(&a),
            &[],
            "cw20-base",
            Some(a.admin.to_string()),
        )
        .unwrap();
    let err: ContractError =
        contract_error(app.migrate_contract(a.admin.clone(), base.clone(), &MigrateMsg {}, code));
    assert_eq!(
        err,
        ContractError::Migrate(MigrateError::WrongContract {
            expected: loopin_token::contract::CONTRACT_NAME.into(),
            found: "crates.io:cw20-base".into(),
        })
    );
    assert_eq!(app.contract_data(&base).unwrap().code_id, base_code);
}
