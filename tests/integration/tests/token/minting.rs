//! Minting and burning: a required minter, the cap, holders burning their own tokens.

use super::*;

#[test]
fn instantiate_requires_a_minter() {
    let (mut app, a) = app();
    let code = app.store_code(token_contract());

    // cw20-base's own instantiate message, with its optional `mint`, is not LOOP's.
    let base_msg = base_instantiate_msg(&a);
    let err: StdError = instantiate_error(app.instantiate_contract(
        code,
        a.admin.clone(),
        &base_msg,
        &[],
        "LOOP",
        None,
    ));
    assert!(
        matches!(&err, StdError::ParseErr { msg, .. } if msg.contains("missing field `minter`")),
        "{err}"
    );
    let json = to_json_vec(&base_msg).unwrap();
    let parsed = from_json::<InstantiateMsg>(&json).unwrap_err().to_string();
    assert!(parsed.contains("missing field `minter`"), "{parsed}");

    // An explicit null minter is no minter either.
    #[derive(Serialize)]
    struct NullMinter {
        name: String,
        symbol: String,
        decimals: u8,
        initial_balances: Vec<Cw20Coin>,
        minter: Option<MinterResponse>,
    }
    let value = NullMinter {
        name: "LooPIN".into(),
        symbol: "LOOP".into(),
        decimals: 6,
        initial_balances: genesis(&a),
        minter: None,
    };
    assert!(
        String::from_utf8(to_json_vec(&value).unwrap())
            .unwrap()
            .contains("\"minter\":null")
    );
    let err: StdError = instantiate_error(app.instantiate_contract(
        code,
        a.admin.clone(),
        &value,
        &[],
        "LOOP",
        None,
    ));
    assert!(matches!(err, StdError::ParseErr { .. }), "{err}");

    // An invalid minter address, and a cap below the genesis supply, are refused.
    let mut msg = loop_instantiate_msg(&a);
    msg.minter.minter = INVALID_ADDR.into();
    let err: ContractError =
        instantiate_error(app.instantiate_contract(code, a.admin.clone(), &msg, &[], "LOOP", None));
    assert_eq!(
        err,
        ContractError::Cw20(cw20_base::ContractError::Std(StdError::generic_err(
            "Error decoding bech32"
        )))
    );
    let mut msg = loop_instantiate_msg(&a);
    msg.minter.cap = Some(Uint128::new(INITIAL_SUPPLY - 1));
    let err: ContractError =
        instantiate_error(app.instantiate_contract(code, a.admin.clone(), &msg, &[], "LOOP", None));
    assert_eq!(
        err,
        ContractError::Cw20(cw20_base::ContractError::Std(StdError::generic_err(
            "Initial supply greater than cap"
        )))
    );

    // With the minter it instantiates, and the minter is the one given.
    let (_, token) = instantiate_loop(&mut app, &a);
    let minter: Option<MinterResponse> = app
        .wrap()
        .query_wasm_smart(&token, &QueryMsg::Minter {})
        .unwrap();
    assert_eq!(
        minter,
        Some(MinterResponse {
            minter: a.minter.to_string(),
            cap: Some(Uint128::new(CAP)),
        })
    );
    assert_eq!(audit(&app, &token), expected_audit(0, 0));
}

#[test]
fn only_the_minter_mints_and_never_past_the_cap() {
    let (mut app, a) = app();
    let (_, token) = instantiate_loop(&mut app, &a);
    let mint = |to: &Addr, n: u128| Cw20ExecuteMsg::Mint {
        recipient: to.to_string(),
        amount: amount(n),
    };

    for sender in [&a.alice, &a.stranger, &a.marketing, &a.admin] {
        let before = raw_state(&app, &token);
        let err: ContractError =
            contract_error(exec(&mut app, sender, &token, &mint(sender, 1), &[]));
        assert_eq!(
            err,
            ContractError::Cw20(cw20_base::ContractError::Unauthorized {})
        );
        assert_eq!(before, raw_state(&app, &token));
    }

    let room = CAP - INITIAL_SUPPLY;
    let err: ContractError = contract_error(exec(
        &mut app,
        &a.minter,
        &token,
        &mint(&a.carol, room + 1),
        &[],
    ));
    assert_eq!(
        err,
        ContractError::Cw20(cw20_base::ContractError::CannotExceedCap {})
    );
    assert_eq!(audit(&app, &token), expected_audit(0, 0));

    let response = exec(&mut app, &a.minter, &token, &mint(&a.carol, room - 1), &[]).unwrap();
    let wasm = response.events.iter().find(|e| e.ty == "wasm").unwrap();
    assert!(
        wasm.attributes
            .iter()
            .any(|attr| attr.key == "action" && attr.value == "mint")
    );
    exec(&mut app, &a.minter, &token, &mint(&a.bob, 1), &[]).unwrap();
    assert_eq!(balance(&app, &token, &a.carol), room - 1);
    assert_eq!(balance(&app, &token, &a.bob), BOB_GENESIS + 1);
    assert_eq!(audit(&app, &token), expected_audit(room, 0));
    assert_eq!(audit(&app, &token).total_supply.u128(), CAP);

    let err: ContractError =
        contract_error(exec(&mut app, &a.minter, &token, &mint(&a.carol, 1), &[]));
    assert_eq!(
        err,
        ContractError::Cw20(cw20_base::ContractError::CannotExceedCap {})
    );
    assert_eq!(audit(&app, &token), expected_audit(room, 0));
    assert_eq!(balance(&app, &token, &a.carol), room - 1);

    // The minter hands over: the cap stays, the former minter can no longer mint.
    exec(
        &mut app,
        &a.minter,
        &token,
        &Cw20ExecuteMsg::UpdateMinter {
            new_minter: Some(a.minter2.to_string()),
        },
        &[],
    )
    .unwrap();
    let minter: Option<MinterResponse> = app
        .wrap()
        .query_wasm_smart(&token, &QueryMsg::Minter {})
        .unwrap();
    assert_eq!(
        minter,
        Some(MinterResponse {
            minter: a.minter2.to_string(),
            cap: Some(Uint128::new(CAP)),
        })
    );
    exec(
        &mut app,
        &a.carol,
        &token,
        &Cw20ExecuteMsg::Burn {
            amount: amount(100),
        },
        &[],
    )
    .unwrap();
    let err: ContractError = contract_error(exec(
        &mut app,
        &a.minter,
        &token,
        &mint(&a.minter, 100),
        &[],
    ));
    assert_eq!(
        err,
        ContractError::Cw20(cw20_base::ContractError::Unauthorized {})
    );
    exec(&mut app, &a.minter2, &token, &mint(&a.alice, 100), &[]).unwrap();
    assert_eq!(audit(&app, &token), expected_audit(room + 100, 100));
    assert_eq!(audit(&app, &token).total_supply.u128(), CAP);
}

#[test]
fn holders_burn_their_own_tokens() {
    let (mut app, a) = app();
    let (_, token) = instantiate_loop(&mut app, &a);
    let burn = |n: u128| Cw20ExecuteMsg::Burn { amount: amount(n) };

    let response = exec(&mut app, &a.alice, &token, &burn(400_000), &[]).unwrap();
    let wasm = response.events.iter().find(|e| e.ty == "wasm").unwrap();
    let attributes: Vec<(&str, &str)> = wasm
        .attributes
        .iter()
        .map(|attr| (attr.key.as_str(), attr.value.as_str()))
        .collect();
    assert_eq!(
        attributes,
        vec![
            ("_contract_address", token.as_str()),
            ("action", "burn"),
            ("from", a.alice.as_str()),
            ("amount", "400000"),
        ]
    );
    assert_eq!(balance(&app, &token, &a.alice), ALICE_GENESIS - 400_000);
    assert_eq!(audit(&app, &token), expected_audit(0, 400_000));

    // Bob burns everything he has; one more is refused and changes nothing.
    exec(&mut app, &a.bob, &token, &burn(BOB_GENESIS), &[]).unwrap();
    assert_eq!(balance(&app, &token, &a.bob), 0);
    let before = raw_state(&app, &token);
    let err: ContractError = contract_error(exec(&mut app, &a.bob, &token, &burn(1), &[]));
    assert!(
        matches!(
            err,
            ContractError::Cw20(cw20_base::ContractError::Std(StdError::Overflow { .. }))
        ),
        "{err:?}"
    );
    assert_eq!(before, raw_state(&app, &token));
    assert_eq!(
        audit(&app, &token),
        expected_audit(0, 400_000 + BOB_GENESIS)
    );
    let info: TokenInfoResponse = app
        .wrap()
        .query_wasm_smart(&token, &QueryMsg::TokenInfo {})
        .unwrap();
    assert_eq!(info.total_supply.u128(), ALICE_GENESIS - 400_000);

    // Nobody burns another holder's tokens without an allowance.
    let err: ContractError = contract_error(exec(
        &mut app,
        &a.minter,
        &token,
        &Cw20ExecuteMsg::BurnFrom {
            owner: a.alice.to_string(),
            amount: amount(1),
        },
        &[],
    ));
    assert_eq!(
        err,
        ContractError::Cw20(cw20_base::ContractError::NoAllowance {})
    );
    assert_eq!(balance(&app, &token, &a.alice), ALICE_GENESIS - 400_000);
}
