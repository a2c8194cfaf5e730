//! The rewards bridge as LooPIN configures it — LOOP the only cw20 on the allowlist, the deployer
//! as governance — at its entry points, with cosmwasm-std's IBC mocks: a LOOP `Send` becomes one
//! ICS-20 packet, an error acknowledgement or a timeout refunds the sender exactly, a success
//! does not, a voucher coming back releases LOOP, and what the bridge refuses (other tokens,
//! native coins, other channels, closing from this end).

mod common;

use common::*;

#[test]
fn a_loop_send_becomes_one_ics20_packet() {
    let mut b = bridge();
    let (token, alice) = (b.loop_token.clone(), b.alice.clone());
    let response = b
        .cw20_send(&token, &alice, AMOUNT, transfer_msg(None, None))
        .unwrap();
    let expected_data = format!(
        r#"{{"amount":"{AMOUNT}","denom":"cw20:{token}","receiver":"{REMOTE}","sender":"{alice}"}}"#
    );
    assert_eq!(
        response.messages,
        vec![SubMsg::new(IbcMsg::SendPacket {
            channel_id: CHANNEL.into(),
            data: Binary::from(expected_data.as_bytes()),
            timeout: IbcTimeout::with_timestamp(
                mock_env().block.time.plus_seconds(DEFAULT_TIMEOUT)
            ),
        })]
    );
    assert_eq!(attr(&response.attributes, "action"), "transfer");
    assert_eq!(
        attr(&response.attributes, "denom"),
        cw20_denom(token.as_str())
    );
    assert_eq!(b.channel_loop(), (AMOUNT, AMOUNT));

    // A timeout and a memo of the sender's own: ICS-20's optional `memo` field.
    let response = b
        .cw20_send(&token, &alice, 7, transfer_msg(Some(60), Some("epoch 412")))
        .unwrap();
    let CosmosMsg::Ibc(IbcMsg::SendPacket { data, timeout, .. }) = &response.messages[0].msg else {
        panic!("a packet")
    };
    assert_eq!(
        std::str::from_utf8(data).unwrap(),
        format!(
            r#"{{"amount":"7","denom":"cw20:{token}","receiver":"{REMOTE}","sender":"{alice}","memo":"epoch 412"}}"#
        )
    );
    assert_eq!(
        timeout.timestamp(),
        Some(mock_env().block.time.plus_seconds(60))
    );
    assert_eq!(b.channel_loop(), (AMOUNT + 7, AMOUNT + 7));
}

#[test]
fn an_error_acknowledgement_refunds_exactly_the_amount_to_the_sender() {
    let mut b = bridge();
    let data = b.send_loop();
    let ack = Ics20Ack::Error("receiver address is invalid".into());
    let response = ibc_packet_ack(b.deps.as_mut(), mock_env(), acknowledged(&data, &ack)).unwrap();
    b.assert_refund(&response);
    assert_eq!(
        attr(&response.attributes, "error"),
        "receiver address is invalid"
    );
    // Out of escrow, still counted as sent.
    assert_eq!(b.channel_loop(), (0, AMOUNT));
}

#[test]
fn a_timeout_refunds_exactly_the_amount_to_the_sender() {
    let mut b = bridge();
    let data = b.send_loop();
    let mut msg = mock_ibc_packet_timeout(CHANNEL, &()).unwrap();
    msg.packet.data = data;
    let response = ibc_packet_timeout(b.deps.as_mut(), mock_env(), msg).unwrap();
    b.assert_refund(&response);
    assert_eq!(attr(&response.attributes, "error"), "timeout");
    assert_eq!(b.channel_loop(), (0, AMOUNT));
}

#[test]
fn a_success_acknowledgement_refunds_nothing() {
    let mut b = bridge();
    let data = b.send_loop();
    // What ibc-go's transfer module acknowledges on success.
    let ack = Ics20Ack::Result(Binary::from(b"\x01"));
    let response = ibc_packet_ack(b.deps.as_mut(), mock_env(), acknowledged(&data, &ack)).unwrap();
    assert!(response.messages.is_empty(), "{:?}", response.messages);
    assert_eq!(attr(&response.attributes, "success"), "true");
    // The LOOP stays escrowed while its voucher is on the other chain.
    assert_eq!(b.channel_loop(), (AMOUNT, AMOUNT));
}

#[test]
fn a_voucher_coming_back_releases_the_escrowed_loop() {
    let mut b = bridge();
    b.send_loop();
    // The other chain sends 0.5 LOOP of vouchers back: the denom is the voucher's trace, prefixed
    // with the sending chain's end of the channel (the mock packet's source).
    let bob = addr(&b.deps, "bob");
    let back = Ics20Packet {
        amount: Uint128::new(500_000),
        denom: format!(
            "their-port/channel-1234/{}",
            cw20_denom(b.loop_token.as_str())
        ),
        sender: REMOTE.into(),
        receiver: bob.to_string(),
        memo: None,
    };
    let response = ibc_packet_receive(
        b.deps.as_mut(),
        mock_env(),
        mock_ibc_packet_recv(CHANNEL, &back).unwrap(),
    )
    .unwrap();
    let ack: Ics20Ack = from_json(response.acknowledgement.as_ref().unwrap()).unwrap();
    assert_eq!(ack, Ics20Ack::Result(Binary::from(b"1")));
    let [release] = &response.messages[..] else {
        panic!("one release: {:?}", response.messages)
    };
    assert_eq!(
        release.msg,
        CosmosMsg::Wasm(WasmMsg::Execute {
            contract_addr: b.loop_token.to_string(),
            msg: to_json_binary(&Cw20ExecuteMsg::Transfer {
                recipient: bob.to_string(),
                amount: Uint128::new(500_000),
            })
            .unwrap(),
            funds: vec![],
        })
    );
    assert_eq!(b.channel_loop(), (AMOUNT - 500_000, AMOUNT));

    // More than is escrowed: an error acknowledgement (the other chain refunds), no release.
    let too_much = Ics20Packet {
        amount: Uint128::new(AMOUNT),
        ..back
    };
    let response = ibc_packet_receive(
        b.deps.as_mut(),
        mock_env(),
        mock_ibc_packet_recv(CHANNEL, &too_much).unwrap(),
    )
    .unwrap();
    let ack: Ics20Ack = from_json(response.acknowledgement.as_ref().unwrap()).unwrap();
    assert!(matches!(ack, Ics20Ack::Error(_)), "{ack:?}");
    assert!(response.messages.is_empty());
    assert_eq!(b.channel_loop(), (AMOUNT - 500_000, AMOUNT));
}

#[test]
fn a_token_not_on_the_allowlist_is_refused_until_governance_allows_it() {
    let mut b = bridge();
    let other = addr(&b.deps, "other-token");
    let alice = b.alice.clone();
    assert_eq!(
        b.cw20_send(&other, &alice, AMOUNT, transfer_msg(None, None)),
        Err(ContractError::Ics20(Ics20Error::NotOnAllowList))
    );
    let allowed: AllowedResponse = from_json(
        query(
            b.deps.as_ref(),
            mock_env(),
            QueryMsg::Allowed {
                contract: other.to_string(),
            },
        )
        .unwrap(),
    )
    .unwrap();
    assert!(!allowed.is_allowed);

    // Only governance (the deployer) adds a token.
    let allow = ExecuteMsg::Allow(AllowMsg {
        contract: other.to_string(),
        gas_limit: None,
    });
    let err = execute(
        b.deps.as_mut(),
        mock_env(),
        message_info(&alice, &[]),
        allow.clone(),
    )
    .unwrap_err();
    assert!(
        matches!(err, ContractError::Ics20(Ics20Error::Admin(_))),
        "{err:?}"
    );
    let gov = b.gov.clone();
    execute(b.deps.as_mut(), mock_env(), message_info(&gov, &[]), allow).unwrap();
    assert!(
        b.cw20_send(&other, &alice, AMOUNT, transfer_msg(None, None))
            .is_ok()
    );
}

#[test]
fn native_coins_are_refused() {
    let mut b = bridge();
    let alice = b.alice.clone();
    let native = ExecuteMsg::Transfer(TransferMsg {
        channel: CHANNEL.into(),
        remote_address: REMOTE.into(),
        timeout: None,
        memo: None,
    });
    assert_eq!(
        execute(
            b.deps.as_mut(),
            mock_env(),
            message_info(&alice, &[]),
            native.clone()
        ),
        Err(ContractError::NativeTransfer {})
    );
    assert_eq!(
        execute(
            b.deps.as_mut(),
            mock_env(),
            message_info(&alice, &coins(5, "uloop")),
            native
        ),
        Err(ContractError::Payment(PaymentError::NonPayable {}))
    );
    let token = b.loop_token.clone();
    let receive = ExecuteMsg::Receive(Cw20ReceiveMsg {
        sender: alice.to_string(),
        amount: Uint128::new(AMOUNT),
        msg: transfer_msg(None, None),
    });
    assert_eq!(
        execute(
            b.deps.as_mut(),
            mock_env(),
            message_info(&token, &coins(5, "uloop")),
            receive
        ),
        Err(ContractError::Payment(PaymentError::NonPayable {}))
    );
    let mut deps = mock_dependencies();
    let init = InstantiateMsg {
        default_timeout: DEFAULT_TIMEOUT,
        gov_contract: addr(&deps, "gov").to_string(),
        allowlist: vec![],
        default_gas_limit: None,
    };
    let gov = addr(&deps, "gov");
    assert_eq!(
        instantiate(
            deps.as_mut(),
            mock_env(),
            message_info(&gov, &coins(1, "uloop")),
            init
        ),
        Err(ContractError::Payment(PaymentError::NonPayable {}))
    );
}

#[test]
fn only_unordered_ics20_1_channels_open() {
    let mut b = bridge();
    let env = mock_env();
    let wrong_version =
        |v: &str| ContractError::Ics20(Ics20Error::InvalidIbcVersion { version: v.into() });
    // Ordered.
    for open in [
        mock_ibc_channel_open_init("channel-1", IbcOrder::Ordered, ICS20_VERSION),
        mock_ibc_channel_open_try("channel-1", IbcOrder::Ordered, ICS20_VERSION),
    ] {
        assert_eq!(
            ibc_channel_open(b.deps.as_mut(), env.clone(), open).unwrap_err(),
            ContractError::Ics20(Ics20Error::OnlyOrderedChannel {})
        );
    }
    // Another version, or none, on this end.
    for version in ["ics20-2", "loopin-price-1", ""] {
        assert_eq!(
            ibc_channel_open(
                b.deps.as_mut(),
                env.clone(),
                mock_ibc_channel_open_init("channel-1", IbcOrder::Unordered, version)
            )
            .unwrap_err(),
            wrong_version(version)
        );
    }
    // Another version on the counterparty's end.
    let mut open_try = mock_ibc_channel_open_try("channel-1", IbcOrder::Unordered, ICS20_VERSION);
    if let cosmwasm_std::IbcChannelOpenMsg::OpenTry {
        counterparty_version,
        ..
    } = &mut open_try
    {
        *counterparty_version = "ics20-2".into();
    }
    assert_eq!(
        ibc_channel_open(b.deps.as_mut(), env.clone(), open_try).unwrap_err(),
        wrong_version("ics20-2")
    );
    let mut connect = mock_ibc_channel_connect_ack("channel-1", IbcOrder::Unordered, ICS20_VERSION);
    if let cosmwasm_std::IbcChannelConnectMsg::OpenAck {
        counterparty_version,
        ..
    } = &mut connect
    {
        *counterparty_version = "ics20-2".into();
    }
    assert_eq!(
        ibc_channel_connect(b.deps.as_mut(), env.clone(), connect).unwrap_err(),
        wrong_version("ics20-2")
    );
    assert!(
        ibc_channel_connect(
            b.deps.as_mut(),
            env.clone(),
            mock_ibc_channel_connect_confirm("channel-1", IbcOrder::Ordered, ICS20_VERSION)
        )
        .is_err()
    );

    // None of them connected: nothing can be sent on it.
    let (token, alice) = (b.loop_token.clone(), b.alice.clone());
    let mut msg: TransferMsg = from_json(transfer_msg(None, None)).unwrap();
    msg.channel = "channel-1".into();
    assert_eq!(
        b.cw20_send(&token, &alice, AMOUNT, to_json_binary(&msg).unwrap()),
        Err(ContractError::Ics20(Ics20Error::NoSuchChannel {
            id: "channel-1".into()
        }))
    );

    // The counterparty opening an ics20-1 channel to the bridge (OpenTry, OpenConfirm) works.
    ibc_channel_open(
        b.deps.as_mut(),
        env.clone(),
        mock_ibc_channel_open_try("channel-1", IbcOrder::Unordered, ICS20_VERSION),
    )
    .unwrap();
    ibc_channel_connect(
        b.deps.as_mut(),
        env,
        mock_ibc_channel_connect_confirm("channel-1", IbcOrder::Unordered, ICS20_VERSION),
    )
    .unwrap();
    assert!(
        b.cw20_send(&token, &alice, AMOUNT, to_json_binary(&msg).unwrap())
            .is_ok()
    );
}

#[test]
fn the_bridge_does_not_close_its_channel_but_accepts_the_counterpartys_close() {
    let mut b = bridge();
    assert_eq!(
        ibc_channel_close(
            b.deps.as_mut(),
            mock_env(),
            mock_ibc_channel_close_init(CHANNEL, IbcOrder::Unordered, ICS20_VERSION)
        ),
        Err(ContractError::CloseRefused {})
    );
    let response = ibc_channel_close(
        b.deps.as_mut(),
        mock_env(),
        mock_ibc_channel_close_confirm(CHANNEL, IbcOrder::Unordered, ICS20_VERSION),
    )
    .unwrap();
    assert!(response.messages.is_empty());
    assert_eq!(attr(&response.attributes, "channel"), CHANNEL);
}

#[test]
fn migration_is_cw20_ics20s_own() {
    let mut b = bridge();
    let version = cw2::get_contract_version(&b.deps.storage).unwrap();
    assert_eq!(
        (version.contract.as_str(), version.version.as_str()),
        ("crates.io:cw20-ics20", "2.0.0")
    );
    let msg = MigrateMsg {
        default_gas_limit: None,
    };
    migrate(b.deps.as_mut(), mock_env(), msg.clone()).unwrap();
    cw2::set_contract_version(&mut b.deps.storage, "crates.io:cw20-ics20", "2.1.0").unwrap();
    assert_eq!(
        migrate(b.deps.as_mut(), mock_env(), msg.clone()),
        Err(ContractError::Ics20(Ics20Error::CannotMigrateVersion {
            previous_version: "2.1.0".into()
        }))
    );
    cw2::set_contract_version(&mut b.deps.storage, "crates.io:loopin-token", "0.1.0").unwrap();
    assert_eq!(
        migrate(b.deps.as_mut(), mock_env(), msg),
        Err(ContractError::Ics20(Ics20Error::CannotMigrate {
            previous_contract: "crates.io:loopin-token".into()
        }))
    );
}
