//! Refusals: attached native funds and malformed messages change nothing.

use super::*;

/// One message of every kind, each of which succeeds when sent without funds, in order.
fn one_of_each(a: &Actors, receiver: &Addr) -> Vec<(Addr, Cw20ExecuteMsg)> {
    use Cw20ExecuteMsg::*;
    vec![
        (
            a.alice.clone(),
            Transfer {
                recipient: a.bob.to_string(),
                amount: amount(10),
            },
        ),
        (
            a.alice.clone(),
            Send {
                contract: receiver.to_string(),
                amount: amount(10),
                msg: payload("paid"),
            },
        ),
        (a.alice.clone(), Burn { amount: amount(10) }),
        (
            a.minter.clone(),
            Mint {
                recipient: a.carol.to_string(),
                amount: amount(10),
            },
        ),
        (
            a.alice.clone(),
            IncreaseAllowance {
                spender: a.carol.to_string(),
                amount: amount(100),
                expires: None,
            },
        ),
        (
            a.alice.clone(),
            DecreaseAllowance {
                spender: a.carol.to_string(),
                amount: amount(10),
                expires: None,
            },
        ),
        (
            a.carol.clone(),
            TransferFrom {
                owner: a.alice.to_string(),
                recipient: a.carol.to_string(),
                amount: amount(10),
            },
        ),
        (
            a.carol.clone(),
            SendFrom {
                owner: a.alice.to_string(),
                contract: receiver.to_string(),
                amount: amount(10),
                msg: payload("paid"),
            },
        ),
        (
            a.carol.clone(),
            BurnFrom {
                owner: a.alice.to_string(),
                amount: amount(10),
            },
        ),
        (
            a.marketing.clone(),
            UpdateMarketing {
                project: Some("LooPIN 2".into()),
                description: None,
                marketing: None,
            },
        ),
        (
            a.marketing.clone(),
            UploadLogo(Logo::Embedded(EmbeddedLogo::Png(Binary::from(PNG)))),
        ),
        (
            a.minter.clone(),
            UpdateMinter {
                new_minter: Some(a.minter2.to_string()),
            },
        ),
    ]
}

#[test]
fn attached_funds_are_refused_and_change_nothing() {
    let (mut app, a) = app();
    let code = app.store_code(token_contract());

    // Instantiate with funds: refused, the sender keeps its coins.
    let err: ContractError = instantiate_error(app.instantiate_contract(
        code,
        a.alice.clone(),
        &loop_instantiate_msg(&a),
        &coins(5, DENOM),
        "LOOP",
        None,
    ));
    assert_eq!(err, ContractError::Payment(PaymentError::NonPayable {}));
    assert_eq!(native(&app, &a.alice), 1_000);

    let (_, token) = instantiate_loop(&mut app, &a);
    let receiver_code = app.store_code(receiver_contract());
    let receiver = app
        .instantiate_contract(receiver_code, a.admin.clone(), &Empty {}, &[], "rcv", None)
        .unwrap();

    let messages = one_of_each(&a, &receiver);
    assert_eq!(messages.len(), 12, "every cw20 execute message");
    let (mut minted, mut burned) = (0, 0);
    for (sender, msg) in messages {
        let before = raw_state(&app, &token);
        let audit_before = audit(&app, &token);
        let err: ContractError =
            contract_error(exec(&mut app, &sender, &token, &msg, &coins(1, DENOM)));
        assert_eq!(
            err,
            ContractError::Payment(PaymentError::NonPayable {}),
            "{msg:?}"
        );
        assert_eq!(before, raw_state(&app, &token), "{msg:?} changed state");
        assert_eq!(audit_before, audit(&app, &token));
        assert_eq!(native(&app, &sender), 1_000, "{msg:?} kept the coins");
        assert_eq!(native(&app, &token), 0);

        // The same message without funds goes through: funds were the only reason.
        exec(&mut app, &sender, &token, &msg, &[]).unwrap();
        assert_ne!(before, raw_state(&app, &token), "{msg:?} did nothing");
        match msg {
            Cw20ExecuteMsg::Mint { amount, .. } => minted += amount.u128(),
            Cw20ExecuteMsg::Burn { amount } | Cw20ExecuteMsg::BurnFrom { amount, .. } => {
                burned += amount.u128()
            }
            _ => {}
        }
        assert_eq!(audit(&app, &token), expected_audit(minted, burned));
    }
    assert_eq!((minted, burned), (10, 20));
    assert_eq!(balance(&app, &token, &a.alice), ALICE_GENESIS - 60);
    assert_eq!(balance(&app, &token, &receiver), 20);
}

#[test]
fn malformed_messages_are_refused_and_change_nothing() {
    let (mut app, a) = app();
    let (_, token) = instantiate_loop(&mut app, &a);
    let recipient = a.bob.to_string();
    let bodies: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"{not json".to_vec(),
        b"[]".to_vec(),
        b"{}".to_vec(),
        b"{\"frobnicate\":{}}".to_vec(),
        format!("{{\"transfer\":{{\"recipient\":\"{recipient}\"}}}}").into_bytes(),
        format!("{{\"transfer\":{{\"recipient\":\"{recipient}\",\"amount\":\"-5\"}}}}").into_bytes(),
        format!("{{\"transfer\":{{\"recipient\":\"{recipient}\",\"amount\":5}}}}").into_bytes(),
        format!("{{\"mint\":{{\"recipient\":\"{recipient}\",\"amount\":\"1\"}},\"burn\":{{\"amount\":\"1\"}}}}")
            .into_bytes(),
        b"{\"burn\":{\"amount\":\"340282366920938463463374607431768211456\"}}".to_vec(),
    ];
    let before = raw_state(&app, &token);
    for body in bodies {
        for sender in [&a.alice, &a.minter] {
            let msg = CosmosMsg::Wasm(WasmMsg::Execute {
                contract_addr: token.to_string(),
                msg: Binary::from(body.clone()),
                funds: vec![],
            });
            let err: StdError = contract_error(app.execute(sender.clone(), msg));
            assert!(
                matches!(&err, StdError::ParseErr { target_type, .. } if target_type.contains("Cw20ExecuteMsg")),
                "{}: {err:?}",
                String::from_utf8_lossy(&body)
            );
            assert_eq!(before, raw_state(&app, &token));
        }
    }
    // The well-formed message is accepted: only the malformation was refused.
    let msg = CosmosMsg::Wasm(WasmMsg::Execute {
        contract_addr: token.to_string(),
        msg: Binary::from(
            format!("{{\"transfer\":{{\"recipient\":\"{recipient}\",\"amount\":\"5\"}}}}")
                .into_bytes(),
        ),
        funds: vec![],
    });
    app.execute(a.alice.clone(), msg).unwrap();
    assert_eq!(balance(&app, &token, &a.bob), BOB_GENESIS + 5);
    assert_eq!(audit(&app, &token), expected_audit(0, 0));
}
