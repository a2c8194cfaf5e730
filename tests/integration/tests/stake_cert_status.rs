//! The stake certificate on cw-multi-test. Soulbound refusals that change nothing, protocol burns,
//! and status changes: invalidation, expiry, extension.

use cw721::msg::{AllNftInfoResponse, ApprovalsResponse, OwnerOfResponse, TokensResponse};
use loopin::stake_cert::{ExecuteMsg, MAX_REASON_LEN, QueryMsg, StakeCertificate};
use loopin_stake_cert::ContractError;

use loopin_integration_tests::stake_cert::*;

// ---------------------------------------------------------------------------------------------
// 2. Soulbound.

#[test]
fn certificates_cannot_be_transferred_approved_or_burned_by_owners_and_nothing_changes() {
    let mut s = with_one_certificate();
    let a = s.a.clone();
    s.mint(
        &a.minter,
        "st-2",
        &a.miner2,
        terms(&a.pool_c, "gpu-1", ts(T0 + HOUR), ts(T0 + 5 * HOUR)),
    );
    s.mint(
        &a.pool_b,
        "st-3",
        &a.miner,
        terms(&a.pool_b, "gpu-2", ts(T0), ts(T0 + 5 * HOUR)),
    );
    s.exec(
        &a.pool_b,
        &ExecuteMsg::Invalidate {
            token_id: "st-3".into(),
            reason: "failed challenge".into(),
        },
    )
    .unwrap();
    let before = s.snapshot();

    // Owner, other miner, stranger, the minter and issuers: all refused, on live, invalidated
    // and unknown certificates alike.
    let senders = [
        &a.miner,
        &a.miner2,
        &a.stranger,
        &a.minter,
        &a.pool_a,
        &a.pool_b,
        &a.admin,
    ];
    for token_id in ["st-1", "st-2", "st-3", "unknown"] {
        for (msg, expected_err) in soulbound_messages(&a, token_id) {
            for sender in senders {
                assert_eq!(s.refuse(sender, &msg), expected_err, "{sender} {msg:?}");
            }
        }
    }
    // Owners and strangers cannot burn.
    for (sender, token_id) in [
        (&a.miner, "st-1"),
        (&a.miner2, "st-2"),
        (&a.miner, "st-3"),
        (&a.miner2, "st-1"),
        (&a.stranger, "st-1"),
        (&a.pool_c, "st-2"),
        (&a.admin, "st-1"),
        (&a.stranger, "unknown"),
    ] {
        let msg = ExecuteMsg::Burn {
            token_id: token_id.into(),
        };
        assert_eq!(s.refuse(sender, &msg), ContractError::BurnRestricted {});
    }
    // An issuer cannot burn another pool's certificate.
    for (issuer, token_id, pool) in [
        (&a.pool_b, "st-1", &a.pool_a),
        (&a.pool_a, "st-2", &a.pool_c),
        (&a.pool_a, "st-3", &a.pool_b),
    ] {
        let msg = ExecuteMsg::Burn {
            token_id: token_id.into(),
        };
        assert_eq!(
            s.refuse(issuer, &msg),
            ContractError::ForeignPool {
                issuer: issuer.to_string(),
                pool: pool.to_string(),
            }
        );
    }
    assert_eq!(before, s.snapshot());
    for token_id in ["st-1", "st-2", "st-3"] {
        let owner: OwnerOfResponse = s.query(&QueryMsg::OwnerOf {
            token_id: token_id.into(),
            include_expired: Some(true),
        });
        assert!(owner.approvals.is_empty());
        let approvals: ApprovalsResponse = s.query(&QueryMsg::Approvals {
            token_id: token_id.into(),
            include_expired: Some(true),
        });
        assert!(approvals.approvals.is_empty());
    }
    let owner: OwnerOfResponse = s.query(&QueryMsg::OwnerOf {
        token_id: "st-1".into(),
        include_expired: None,
    });
    assert_eq!(owner.owner, a.miner.to_string());

    // The protocol burns: the minter any certificate, an issuer its own pool's.
    s.exec(
        &a.pool_a,
        &ExecuteMsg::Burn {
            token_id: "st-1".into(),
        },
    )
    .unwrap();
    let after_one = s.snapshot();
    assert_ne!(before, after_one, "a burn shows in the snapshot");
    s.exec(
        &a.minter,
        &ExecuteMsg::Burn {
            token_id: "st-2".into(),
        },
    )
    .unwrap();
    s.exec(
        &a.pool_b,
        &ExecuteMsg::Burn {
            token_id: "st-3".into(),
        },
    )
    .unwrap();
    assert_eq!(s.num_tokens(), 0);
    assert!(s.all_tokens().is_empty());
}

#[test]
fn a_burn_by_the_protocol_removes_every_trace() {
    let mut s = with_one_certificate();
    let a = s.a.clone();
    s.mint(
        &a.pool_a,
        "st-2",
        &a.miner,
        terms(&a.pool_a, "gpu-1", ts(T0), ts(T0 + 48 * HOUR)),
    );
    assert_eq!(s.active_ids(None, None), strings(&["st-1", "st-2"]));

    let response = s
        .exec(
            &a.minter,
            &ExecuteMsg::Burn {
                token_id: "st-1".into(),
            },
        )
        .unwrap();
    assert_eq!(attr(&response, "action"), "burn");
    assert_eq!(attr(&response, "token_id"), "st-1");
    assert_eq!(attr(&response, "owner"), a.miner.to_string());

    assert_eq!(s.num_tokens(), 1);
    assert_eq!(s.all_tokens(), strings(&["st-2"]));
    let tokens: TokensResponse = s.query(&QueryMsg::Tokens {
        owner: a.miner.to_string(),
        start_after: None,
        limit: None,
    });
    assert_eq!(tokens.tokens, strings(&["st-2"]));
    assert_eq!(ids(&s.by_owner(&a.miner)), strings(&["st-2"]));
    assert_eq!(ids(&s.by_pool(&a.pool_a)), strings(&["st-2"]));
    assert_eq!(s.active_ids(None, None), strings(&["st-2"]));
    assert_eq!(s.active_ids(None, Some(&a.pool_a)), strings(&["st-2"]));
    assert_eq!(s.active_ids(Some(ts(T0 + HOUR)), None), strings(&["st-2"]));
    assert_eq!(s.device("gpu-0"), None);
    assert_eq!(s.device("gpu-1").unwrap().token_id, "st-2");
    for msg in [
        QueryMsg::Certificate {
            token_id: "st-1".into(),
        },
        QueryMsg::NftInfo {
            token_id: "st-1".into(),
        },
        QueryMsg::AllNftInfo {
            token_id: "st-1".into(),
            include_expired: None,
        },
        QueryMsg::OwnerOf {
            token_id: "st-1".into(),
            include_expired: None,
        },
        QueryMsg::Approvals {
            token_id: "st-1".into(),
            include_expired: None,
        },
    ] {
        assert!(s.query_err(&msg).contains("not found"), "{msg:?}");
    }
    // Burned once; gone for every later call.
    for sender in [&a.minter, &a.pool_a] {
        let msg = ExecuteMsg::Burn {
            token_id: "st-1".into(),
        };
        assert_eq!(
            s.refuse(sender, &msg),
            ContractError::CertificateNotFound {
                token_id: "st-1".into()
            }
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 3. Status changes.

#[test]
fn only_the_minter_or_the_certificates_issuer_changes_status() {
    let mut s = with_one_certificate();
    let a = s.a.clone();
    s.mint(
        &a.minter,
        "st-c",
        &a.miner,
        terms(&a.pool_c, "gpu-1", ts(T0), ts(T0 + 24 * HOUR)),
    );
    let changes = |token_id: &str| {
        vec![
            ExecuteMsg::Extend {
                token_id: token_id.into(),
                expiry: ts(T0 + 48 * HOUR),
            },
            ExecuteMsg::Expire {
                token_id: token_id.into(),
            },
            ExecuteMsg::Invalidate {
                token_id: token_id.into(),
                reason: "failed challenge".into(),
            },
        ]
    };
    for token_id in ["st-1", "st-c", "unknown"] {
        for msg in changes(token_id) {
            for sender in [&a.miner, &a.miner2, &a.stranger, &a.admin, &a.minter2] {
                assert_eq!(
                    s.refuse(sender, &msg),
                    ContractError::Unauthorized {},
                    "{sender} {msg:?}"
                );
            }
        }
    }
    // pool_c is not an issuer, even for its own certificate.
    for msg in changes("st-c") {
        assert_eq!(s.refuse(&a.pool_c, &msg), ContractError::Unauthorized {});
    }
    for (issuer, token_id, pool) in [
        (&a.pool_b, "st-1", &a.pool_a),
        (&a.pool_a, "st-c", &a.pool_c),
    ] {
        for msg in changes(token_id) {
            assert_eq!(
                s.refuse(issuer, &msg),
                ContractError::ForeignPool {
                    issuer: issuer.to_string(),
                    pool: pool.to_string(),
                }
            );
        }
    }
    for sender in [&a.minter, &a.pool_a] {
        for msg in changes("unknown") {
            assert_eq!(
                s.refuse(sender, &msg),
                ContractError::CertificateNotFound {
                    token_id: "unknown".into()
                }
            );
        }
    }
    assert_eq!(s.status("st-1"), Active);
    assert_eq!(s.status("st-c"), Active);

    // The issuer extends its own; the minter any.
    s.exec(&a.pool_a, &changes("st-1")[0]).unwrap();
    s.exec(&a.minter, &changes("st-c")[0]).unwrap();
    assert_eq!(s.certificate("st-1").expiry, ts(T0 + 48 * HOUR));
    assert_eq!(s.certificate("st-c").expiry, ts(T0 + 48 * HOUR));
}

#[test]
fn invalidation_is_final_and_reported() {
    let mut s = with_one_certificate();
    let a = s.a.clone();
    s.set_time(ts(T0 + HOUR));
    for reason in [String::new(), "x".repeat(MAX_REASON_LEN + 1)] {
        for sender in [&a.minter, &a.pool_a] {
            let msg = ExecuteMsg::Invalidate {
                token_id: "st-1".into(),
                reason: reason.clone(),
            };
            assert_eq!(s.refuse(sender, &msg), ContractError::InvalidReason {});
        }
    }
    let reason = "r".repeat(MAX_REASON_LEN);
    let response = s
        .exec(
            &a.pool_a,
            &ExecuteMsg::Invalidate {
                token_id: "st-1".into(),
                reason: reason.clone(),
            },
        )
        .unwrap();
    for (key, value) in [
        ("action", "invalidate".to_string()),
        ("token_id", "st-1".into()),
        ("pool", a.pool_a.to_string()),
        ("device_id", "gpu-0".into()),
        ("reason", reason),
    ] {
        assert_eq!(attr(&response, key), value, "{key}");
    }
    // Expiry and start are kept; only the status changes.
    let invalid = expected(
        &a.pool_a,
        "gpu-0",
        &a.miner,
        (ts(T0), ts(T0 + 24 * HOUR)),
        Invalidated,
    );
    assert_eq!(s.certificate("st-1"), invalid);
    assert_eq!(s.status("st-1"), Invalidated);
    let all: AllNftInfoResponse<StakeCertificate> = s.query(&QueryMsg::AllNftInfo {
        token_id: "st-1".into(),
        include_expired: None,
    });
    assert_eq!(all.info.extension, invalid);
    assert_eq!(s.device("gpu-0"), None);
    assert!(s.active_ids(None, None).is_empty());
    // Not even for a time before the invalidation: the status has no history.
    assert!(s.active_ids(Some(ts(T0)), None).is_empty());
    assert_eq!(s.by_owner(&a.miner)[0].certificate, invalid);
    assert_eq!(s.by_pool(&a.pool_a)[0].certificate, invalid);

    for sender in [&a.minter, &a.pool_a] {
        let msg = ExecuteMsg::Invalidate {
            token_id: "st-1".into(),
            reason: "again".into(),
        };
        assert_eq!(
            s.refuse(sender, &msg),
            ContractError::AlreadyInvalidated {
                token_id: "st-1".into()
            }
        );
        let not_active = ContractError::NotActive {
            token_id: "st-1".into(),
            status: Invalidated,
        };
        let msg = ExecuteMsg::Extend {
            token_id: "st-1".into(),
            expiry: ts(T0 + 100 * HOUR),
        };
        assert_eq!(s.refuse(sender, &msg), not_active);
        let msg = ExecuteMsg::Expire {
            token_id: "st-1".into(),
        };
        assert_eq!(s.refuse(sender, &msg), not_active);
    }
    // Invalidated stays invalidated past its expiry.
    s.set_time(ts(T0 + 100 * HOUR));
    assert_eq!(s.status("st-1"), Invalidated);

    // A certificate that expired can still be invalidated (a challenge that fails late).
    s.mint(
        &a.pool_a,
        "st-2",
        &a.miner,
        terms(&a.pool_a, "gpu-0", s.now(), ts(T0 + 101 * HOUR)),
    );
    s.set_time(ts(T0 + 102 * HOUR));
    assert_eq!(s.status("st-2"), Expired);
    s.exec(
        &a.minter,
        &ExecuteMsg::Invalidate {
            token_id: "st-2".into(),
            reason: "late".into(),
        },
    )
    .unwrap();
    assert_eq!(s.status("st-2"), Invalidated);
}

#[test]
fn expire_ends_the_stake_at_the_current_block_time() {
    let mut s = with_one_certificate();
    let a = s.a.clone();
    s.mint(
        &a.minter,
        "st-later",
        &a.miner2,
        terms(&a.pool_c, "gpu-1", ts(T0 + 10 * HOUR), ts(T0 + 20 * HOUR)),
    );
    s.set_time(ts(T0 + 5 * HOUR).plus_nanos(7));
    let response = s
        .exec(
            &a.pool_a,
            &ExecuteMsg::Expire {
                token_id: "st-1".into(),
            },
        )
        .unwrap();
    assert_eq!(attr(&response, "action"), "expire");
    assert_eq!(attr(&response, "token_id"), "st-1");
    assert_eq!(attr(&response, "expiry"), (T0 + 5 * HOUR).to_string());
    let now = s.now();
    assert_eq!(
        s.certificate("st-1"),
        expected(&a.pool_a, "gpu-0", &a.miner, (ts(T0), now), Expired)
    );
    assert_eq!(s.status("st-1"), Expired);
    assert_eq!(s.device("gpu-0"), None);
    assert!(s.active_ids(None, None).is_empty());
    assert!(s.active_ids(Some(ts(T0 + HOUR)), None).is_empty());

    // A stake that had not started yet: its period collapses to now.
    s.exec(
        &a.minter,
        &ExecuteMsg::Expire {
            token_id: "st-later".into(),
        },
    )
    .unwrap();
    assert_eq!(
        s.certificate("st-later"),
        expected(&a.pool_c, "gpu-1", &a.miner2, (now, now), Expired)
    );
    assert!(s.active_ids(Some(ts(T0 + 15 * HOUR)), None).is_empty());

    let not_active = |token_id: &str| ContractError::NotActive {
        token_id: token_id.into(),
        status: Expired,
    };
    for sender in [&a.minter, &a.pool_a] {
        let msg = ExecuteMsg::Expire {
            token_id: "st-1".into(),
        };
        assert_eq!(s.refuse(sender, &msg), not_active("st-1"));
        let msg = ExecuteMsg::Extend {
            token_id: "st-1".into(),
            expiry: ts(T0 + 100 * HOUR),
        };
        assert_eq!(s.refuse(sender, &msg), not_active("st-1"));
    }

    // A certificate past its expiry reads Expired and cannot be expired again.
    s.mint(
        &a.pool_b,
        "st-3",
        &a.miner,
        terms(&a.pool_b, "gpu-2", s.now(), ts(T0 + 6 * HOUR)),
    );
    s.set_time(ts(T0 + 6 * HOUR));
    for msg in [
        ExecuteMsg::Expire {
            token_id: "st-3".into(),
        },
        ExecuteMsg::Extend {
            token_id: "st-3".into(),
            expiry: ts(T0 + 7 * HOUR),
        },
    ] {
        assert_eq!(s.refuse(&a.pool_b, &msg), not_active("st-3"));
    }
    // Its recorded expiry is kept: it was active until then.
    assert_eq!(s.certificate("st-3").expiry, ts(T0 + 6 * HOUR));
    assert_eq!(
        s.active_ids(Some(ts(T0 + 6 * HOUR).minus_nanos(1)), None),
        strings(&["st-3"])
    );
}

#[test]
fn extend_moves_the_expiry_later_only() {
    let mut s = with_one_certificate();
    let a = s.a.clone();
    s.mint(
        &a.pool_a,
        "st-2",
        &a.miner,
        terms(&a.pool_a, "gpu-1", ts(T0), ts(T0 + 30 * HOUR)),
    );
    assert_eq!(s.active_ids(None, None), strings(&["st-1", "st-2"]));
    let current = ts(T0 + 24 * HOUR);
    for expiry in [current, current.minus_nanos(1), ts(T0), ts(T0 - HOUR)] {
        for sender in [&a.minter, &a.pool_a] {
            let msg = ExecuteMsg::Extend {
                token_id: "st-1".into(),
                expiry,
            };
            assert_eq!(
                s.refuse(sender, &msg),
                ContractError::ExpiryNotLater { expiry, current }
            );
        }
    }
    let response = s
        .exec(
            &a.pool_a,
            &ExecuteMsg::Extend {
                token_id: "st-1".into(),
                expiry: ts(T0 + 36 * HOUR),
            },
        )
        .unwrap();
    assert_eq!(attr(&response, "action"), "extend");
    assert_eq!(attr(&response, "token_id"), "st-1");
    assert_eq!(attr(&response, "expiry"), (T0 + 36 * HOUR).to_string());
    assert_eq!(
        s.certificate("st-1"),
        expected(
            &a.pool_a,
            "gpu-0",
            &a.miner,
            (ts(T0), ts(T0 + 36 * HOUR)),
            Active
        )
    );
    // The index follows: st-1 now expires after st-2, and is active past its old expiry.
    assert_eq!(s.active_ids(None, None), strings(&["st-2", "st-1"]));
    assert_eq!(
        s.active_ids(Some(ts(T0 + 24 * HOUR)), None),
        strings(&["st-2", "st-1"])
    );
    assert_eq!(
        s.active_ids(Some(ts(T0 + 30 * HOUR)), Some(&a.pool_a)),
        strings(&["st-1"])
    );
    // The old expiry no longer ends it.
    s.set_time(ts(T0 + 24 * HOUR));
    assert_eq!(s.status("st-1"), Active);
    // By the minter, one nanosecond later than the current expiry is enough.
    s.exec(
        &a.minter,
        &ExecuteMsg::Extend {
            token_id: "st-1".into(),
            expiry: ts(T0 + 36 * HOUR).plus_nanos(1),
        },
    )
    .unwrap();
    assert_eq!(
        s.certificate("st-1").expiry,
        ts(T0 + 36 * HOUR).plus_nanos(1)
    );

    // Once expired, it cannot be revived.
    s.set_time(ts(T0 + 36 * HOUR).plus_nanos(1));
    let msg = ExecuteMsg::Extend {
        token_id: "st-1".into(),
        expiry: ts(T0 + 100 * HOUR),
    };
    assert_eq!(
        s.refuse(&a.pool_a, &msg),
        ContractError::NotActive {
            token_id: "st-1".into(),
            status: Expired
        }
    );
    assert_eq!(s.status("st-1"), Expired);
}
