//! The stake certificate on cw-multi-test. Bad input, funds attached to any execute and
//! malformed messages: each gets a typed error and changes nothing.

use cosmwasm_std::{
    Addr, Binary, CosmosMsg, Decimal, HexBinary, StdError, Uint128, WasmMsg, coins,
};
use cw_multi_test::Executor;
use cw_ownable::{Action, OwnershipError};
use cw_utils::PaymentError;
use loopin::stake_cert::{
    COMMITMENT_LEN, ExecuteMsg, MAX_DEVICE_ID_LEN, MAX_REASON_LEN, MAX_TOKEN_ID_LEN, StakeTerms,
};
use loopin_integration_tests::contract_error;
use loopin_stake_cert::ContractError;

use loopin_integration_tests::stake_cert::*;

// ---------------------------------------------------------------------------------------------
// 5. Bad input.

#[test]
fn every_bad_input_gets_a_typed_error_and_changes_nothing() {
    let mut s = with_one_certificate();
    let a = s.a.clone();
    s.set_time(ts(T0 + HOUR).plus_nanos(5));
    let now = s.now();
    let good = || terms(&a.pool_b, "gpu-1", now, now.plus_seconds(HOUR));
    let mint = |token_id: &str, terms: StakeTerms| mint_msg(token_id, &a.miner, terms);
    let with = |f: &dyn Fn(&mut StakeTerms)| {
        let mut t = good();
        f(&mut t);
        mint("st-2", t)
    };

    let mut cases: Vec<(ExecuteMsg, ContractError)> = Vec::new();
    for bad_id in [
        String::new(),
        "x".repeat(MAX_TOKEN_ID_LEN + 1),
        "with space".into(),
        "a|b".into(),
        "emoji-\u{1f600}".into(),
        "tab\t".into(),
        "quote\"".into(),
    ] {
        cases.push((mint(&bad_id, good()), ContractError::InvalidTokenId {}));
        let device = bad_id.clone();
        cases.push((
            with(&move |t| t.device_id = device.clone()),
            ContractError::InvalidDeviceId {},
        ));
    }
    for len in [0, 1, COMMITMENT_LEN - 1, COMMITMENT_LEN + 1, 64] {
        cases.push((
            with(&move |t| t.commitment = HexBinary::from(vec![1; len])),
            ContractError::InvalidCommitment { len },
        ));
    }
    cases.push((
        with(&|t| t.rate = Decimal::zero()),
        ContractError::ZeroRate {},
    ));
    for start in [now.minus_nanos(1), ts(T0), ts(0)] {
        cases.push((
            with(&move |t| t.start = start),
            ContractError::StartInPast { start, now },
        ));
    }
    for (start, expiry) in [(now, now), (now.plus_seconds(10), now.plus_seconds(9))] {
        cases.push((
            with(&move |t| {
                t.start = start;
                t.expiry = expiry;
            }),
            ContractError::EmptyPeriod { start, expiry },
        ));
    }
    cases.push((
        ExecuteMsg::Mint {
            token_id: "st-2".into(),
            owner: a.miner.to_string(),
            terms: good(),
            token_uri: Some("u".repeat(MAX_TOKEN_URI_LEN + 1)),
        },
        ContractError::InvalidTokenUri {},
    ));
    cases.push((
        ExecuteMsg::Invalidate {
            token_id: "st-1".into(),
            reason: String::new(),
        },
        ContractError::InvalidReason {},
    ));
    cases.push((
        ExecuteMsg::Invalidate {
            token_id: "st-1".into(),
            reason: "r".repeat(MAX_REASON_LEN + 1),
        },
        ContractError::InvalidReason {},
    ));
    cases.push((
        ExecuteMsg::Extend {
            token_id: "st-1".into(),
            expiry: ts(T0 + 24 * HOUR),
        },
        ContractError::ExpiryNotLater {
            expiry: ts(T0 + 24 * HOUR),
            current: ts(T0 + 24 * HOUR),
        },
    ));
    // An early exit moves the expiry earlier, never later, to now or before the start.
    for expiry in [ts(T0 + 24 * HOUR), now, ts(T0)] {
        cases.push((
            ExecuteMsg::Curtail {
                token_id: "st-1".into(),
                expiry,
            },
            ContractError::InvalidCurtail {
                expiry,
                current: ts(T0 + 24 * HOUR),
                now,
                start: ts(T0),
            },
        ));
    }
    cases.push((
        ExecuteMsg::UpdateMinterOwnership(Action::AcceptOwnership),
        ContractError::Ownership(OwnershipError::TransferNotFound),
    ));
    for (msg, want) in cases {
        // The minter and the pool's issuer get the typed error.
        let senders: &[&Addr] = match &msg {
            ExecuteMsg::Mint { .. } => &[&a.minter, &a.pool_b],
            ExecuteMsg::UpdateMinterOwnership(_) => &[&a.minter],
            _ => &[&a.minter, &a.pool_a],
        };
        for sender in senders {
            assert_eq!(s.refuse(sender, &msg), want, "{sender} {msg:?}");
        }
    }

    // Invalid addresses: a typed StdError from address validation.
    let bad_addresses = [
        INVALID_ADDR.to_string(),
        String::new(),
        a.miner.to_string().to_uppercase(),
    ];
    for bad in &bad_addresses {
        let mut msgs = vec![
            ExecuteMsg::Mint {
                token_id: "st-2".into(),
                owner: bad.clone(),
                terms: good(),
                token_uri: None,
            },
            with(&|t| t.pool = bad.clone()),
            ExecuteMsg::AddIssuer {
                issuer: bad.clone(),
            },
            ExecuteMsg::RemoveIssuer {
                issuer: bad.clone(),
            },
        ];
        msgs.push(ExecuteMsg::UpdateMinterOwnership(
            Action::TransferOwnership {
                new_owner: bad.clone(),
                expiry: None,
            },
        ));
        for msg in msgs {
            let err = s.refuse(&a.minter, &msg);
            let typed = match &err {
                ContractError::Std(StdError::GenericErr { .. }) => true,
                ContractError::Ownership(OwnershipError::Std(StdError::GenericErr { .. })) => {
                    matches!(msg, ExecuteMsg::UpdateMinterOwnership(_))
                }
                _ => false,
            };
            assert!(typed, "{bad:?} {msg:?}: {err:?}");
        }
    }

    // The limits themselves are accepted: a 64-character id of every allowed character, a
    // 256-character URI, a start at the current block time, the smallest positive rate.
    let id: String = "AZaz09._:/-"
        .chars()
        .cycle()
        .take(MAX_TOKEN_ID_LEN)
        .collect();
    let device: String = "-/:._09zaZA"
        .chars()
        .cycle()
        .take(MAX_DEVICE_ID_LEN)
        .collect();
    let mut t = terms(&a.pool_b, &device, now, now.plus_nanos(1));
    t.rate = Decimal::raw(1);
    s.exec(
        &a.pool_b,
        &ExecuteMsg::Mint {
            token_id: id.clone(),
            owner: a.miner.to_string(),
            terms: t,
            token_uri: Some("u".repeat(MAX_TOKEN_URI_LEN)),
        },
    )
    .unwrap();
    let cert = s.certificate(&id);
    assert_eq!(cert.device_id, device);
    assert_eq!(cert.rate, Decimal::raw(1));
    assert_eq!(cert.start, now);
    assert_eq!(cert.status, Active);
    assert_eq!(s.device(&device).unwrap().token_id, id);
}

/// One of every execute message, each from a sender it would otherwise succeed for, where any.
fn one_of_each(a: &Actors) -> Vec<(Addr, ExecuteMsg)> {
    let mut msgs = vec![
        (
            a.pool_a.clone(),
            mint_msg(
                "st-2",
                &a.miner,
                terms(&a.pool_a, "gpu-1", ts(T0), ts(T0 + HOUR)),
            ),
        ),
        (
            a.pool_a.clone(),
            ExecuteMsg::Extend {
                token_id: "st-1".into(),
                expiry: ts(T0 + 25 * HOUR),
            },
        ),
        (
            a.pool_a.clone(),
            ExecuteMsg::Curtail {
                token_id: "st-1".into(),
                expiry: ts(T0 + 2 * HOUR),
            },
        ),
        (
            a.pool_a.clone(),
            ExecuteMsg::Expire {
                token_id: "st-1".into(),
            },
        ),
        (
            a.pool_a.clone(),
            ExecuteMsg::Invalidate {
                token_id: "st-1".into(),
                reason: "r".into(),
            },
        ),
        (
            a.pool_a.clone(),
            ExecuteMsg::Burn {
                token_id: "st-1".into(),
            },
        ),
        (
            a.minter.clone(),
            ExecuteMsg::AddIssuer {
                issuer: a.pool_c.to_string(),
            },
        ),
        (
            a.minter.clone(),
            ExecuteMsg::RemoveIssuer {
                issuer: a.pool_b.to_string(),
            },
        ),
        (
            a.minter.clone(),
            ExecuteMsg::UpdateMinterOwnership(Action::TransferOwnership {
                new_owner: a.minter2.to_string(),
                expiry: None,
            }),
        ),
        (
            a.miner.clone(),
            ExecuteMsg::Burn {
                token_id: "st-1".into(),
            },
        ),
    ];
    msgs.extend(
        soulbound_messages(a, "st-1")
            .into_iter()
            .map(|(msg, _)| (a.miner.clone(), msg)),
    );
    msgs
}

#[test]
fn funds_attached_to_any_execute_are_refused_and_change_nothing() {
    let mut s = with_one_certificate();
    let a = s.a.clone();
    let messages = one_of_each(&a);
    for (sender, msg) in &messages {
        for who in [sender, &a.stranger, &a.minter] {
            let before = s.snapshot();
            let err: ContractError = contract_error(s.app.execute_contract(
                who.clone(),
                s.cert.clone(),
                msg,
                &coins(1, DENOM),
            ));
            assert_eq!(
                err,
                ContractError::Payment(PaymentError::NonPayable {}),
                "{who} {msg:?}"
            );
            assert_eq!(before, s.snapshot(), "{msg:?} changed state");
            for addr in [who, &s.cert] {
                let expected = if *addr == s.cert { 0 } else { 1_000 };
                assert_eq!(
                    s.app.wrap().query_balance(addr, DENOM).unwrap().amount,
                    Uint128::new(expected)
                );
            }
        }
    }
    // Without funds, the authorised messages go through: the funds were the only reason.
    for (sender, msg) in &messages[..5] {
        let before = s.snapshot();
        s.exec(sender, msg).unwrap();
        assert_ne!(before, s.snapshot(), "{msg:?} did nothing");
    }
    assert_eq!(s.status("st-1"), Invalidated);
}

#[test]
fn malformed_messages_are_refused_and_change_nothing() {
    let mut s = with_one_certificate();
    let a = s.a.clone();
    let miner = a.miner.to_string();
    let pool = a.pool_a.to_string();
    let commitment = commitment().to_hex();
    let mint_body = |terms: &str| {
        format!(
            "{{\"mint\":{{\"token_id\":\"st-2\",\"owner\":\"{miner}\",\"terms\":{terms},\"token_uri\":null}}}}"
        )
    };
    let terms_body = |start: &str, rate: &str, commitment: &str, mode: &str| {
        format!(
            "{{\"pool\":\"{pool}\",\"device_id\":\"gpu-1\",\"mode\":{mode},\"start\":{start},\"expiry\":\"{}\",\"rate\":{rate},\"commitment\":{commitment}}}",
            ts(T0 + HOUR).nanos()
        )
    };
    let good_terms = terms_body(
        &format!("\"{}\"", ts(T0).nanos()),
        "\"1.5\"",
        &format!("\"{commitment}\""),
        "\"seller\"",
    );
    let bodies: Vec<String> = vec![
        String::new(),
        "{not json".into(),
        "[]".into(),
        "{}".into(),
        "null".into(),
        "\"burn\"".into(),
        "{\"frobnicate\":{}}".into(),
        "{\"burn\":{}}".into(),
        "{\"burn\":{\"token_id\":1}}".into(),
        "{\"burn\":{\"token_id\":\"st-1\"},\"expire\":{\"token_id\":\"st-1\"}}".into(),
        "{\"expire\":{\"token_id\":\"st-1\"}".into(),
        "{\"extend\":{\"token_id\":\"st-1\",\"expiry\":-1}}".into(),
        "{\"extend\":{\"token_id\":\"st-1\",\"expiry\":\"soon\"}}".into(),
        "{\"update_minter_ownership\":\"frobnicate\"}".into(),
        mint_body("{}"),
        mint_body(&terms_body(
            &ts(T0).nanos().to_string(),
            "\"1.5\"",
            &format!("\"{commitment}\""),
            "\"seller\"",
        )),
        mint_body(&terms_body(
            &format!("\"{}\"", ts(T0).nanos()),
            "1.5",
            &format!("\"{commitment}\""),
            "\"seller\"",
        )),
        mint_body(&terms_body(
            &format!("\"{}\"", ts(T0).nanos()),
            "\"-1\"",
            &format!("\"{commitment}\""),
            "\"seller\"",
        )),
        mint_body(&terms_body(
            &format!("\"{}\"", ts(T0).nanos()),
            "\"1.5\"",
            "\"zz\"",
            "\"seller\"",
        )),
        mint_body(&terms_body(
            &format!("\"{}\"", ts(T0).nanos()),
            "\"1.5\"",
            &format!("\"{commitment}\""),
            "\"miner\"",
        )),
    ];
    let before = s.snapshot();
    for body in &bodies {
        for sender in [&a.minter, &a.pool_a, &a.miner] {
            let msg = CosmosMsg::Wasm(WasmMsg::Execute {
                contract_addr: s.cert.to_string(),
                msg: Binary::from(body.as_bytes()),
                funds: vec![],
            });
            let err: StdError = contract_error(s.app.execute(sender.clone(), msg));
            assert!(
                matches!(&err, StdError::ParseErr { target_type, .. } if target_type.contains("ExecuteMsg")),
                "{body}: {err:?}"
            );
            assert_eq!(before, s.snapshot(), "{body}");
        }
    }
    // The same message, well formed, is accepted: only the malformation was refused.
    let msg = CosmosMsg::Wasm(WasmMsg::Execute {
        contract_addr: s.cert.to_string(),
        msg: Binary::from(mint_body(&good_terms).into_bytes()),
        funds: vec![],
    });
    s.app.execute(a.pool_a.clone(), msg).unwrap();
    assert_eq!(
        s.certificate("st-2"),
        expected(
            &a.pool_a,
            "gpu-1",
            &a.miner,
            (ts(T0), ts(T0 + HOUR)),
            Active
        )
    );
}
