//! The stake certificate on cw-multi-test. Who mints: instantiation, the minter and issuers, token
//! ids and one valid certificate per device.

use cosmwasm_std::{Addr, Decimal, Uint128, coins, from_json};
use cw_multi_test::Executor;
use cw_ownable::Ownership;
use cw_utils::PaymentError;
use cw721::msg::{
    AllNftInfoResponse, MinterResponse, NftInfoResponse, OwnerOfResponse, TokensResponse,
};
use cw721::state::CollectionInfo;
use loopin::stake_cert::{
    ExecuteMsg, InstantiateMsg, IssuersResponse, QueryMsg, StakeCertificate, StakeMode,
};
use loopin_integration_tests::contract_error;
use loopin_stake_cert::ContractError;
use serde::Deserialize;

use loopin_integration_tests::stake_cert::*;

// ---------------------------------------------------------------------------------------------
// Instantiation.

#[test]
fn instantiate_records_the_minter_and_the_collection() {
    let s = Suite::new();
    let a = &s.a;
    let collection: CollectionInfo = s.query(&QueryMsg::ContractInfo {});
    assert_eq!(
        (collection.name.as_str(), collection.symbol.as_str()),
        (NAME, SYMBOL)
    );
    let minter: MinterResponse = s.query(&QueryMsg::Minter {});
    assert_eq!(minter.minter, Some(a.minter.to_string()));
    assert_eq!(
        s.ownership(),
        Ownership {
            owner: Some(a.minter.clone()),
            pending_owner: None,
            pending_expiry: None,
        }
    );
    assert_eq!(s.num_tokens(), 0);
    assert!(s.all_tokens().is_empty());
    let mut issuers = vec![a.pool_a.clone(), a.pool_b.clone()];
    issuers.sort();
    assert_eq!(s.issuers(), issuers);

    #[derive(Deserialize)]
    struct Cw2Record {
        contract: String,
        version: String,
    }
    let raw = s
        .app
        .wrap()
        .query_wasm_raw(&s.cert, b"contract_info".to_vec())
        .unwrap()
        .unwrap();
    let record: Cw2Record = from_json(raw).unwrap();
    assert_eq!(record.contract, loopin_stake_cert::contract::CONTRACT_NAME);
    assert_eq!(
        record.version,
        loopin_stake_cert::contract::CONTRACT_VERSION
    );
}

#[test]
fn instantiate_refuses_funds_and_a_bad_minter() {
    let mut s = Suite::new();
    let a = s.a.clone();
    let err: ContractError = contract_error(
        s.app
            .instantiate_contract(
                s.code,
                a.minter.clone(),
                &instantiate_msg(&a),
                &coins(1, DENOM),
                "st",
                None,
            )
            .map(|addr| panic!("instantiated at {addr}")),
    );
    assert_eq!(err, ContractError::Payment(PaymentError::NonPayable {}));
    assert_eq!(
        s.app.wrap().query_balance(&a.minter, DENOM).unwrap().amount,
        Uint128::new(1_000)
    );

    let result = s.app.instantiate_contract(
        s.code,
        a.minter.clone(),
        &InstantiateMsg {
            minter: INVALID_ADDR.into(),
            ..instantiate_msg(&a)
        },
        &[],
        "st",
        None,
    );
    let err = result.expect_err("invalid minter accepted");
    assert!(
        err.root_cause()
            .to_string()
            .contains("Error decoding bech32"),
        "{err:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// 1. Minting.

#[test]
fn minter_mints_for_any_pool_with_the_exact_terms() {
    let mut s = Suite::new();
    let a = s.a.clone();
    let period = (ts(T0), ts(T0 + 10 * HOUR));
    let response = s
        .exec(
            &a.minter,
            &ExecuteMsg::Mint {
                token_id: "st-c".into(),
                owner: a.miner.to_string(),
                terms: terms(&a.pool_c, "gpu-0", period.0, period.1),
                token_uri: Some("ipfs://cert".into()),
            },
        )
        .unwrap();
    for (key, value) in [
        ("action", "mint".to_string()),
        ("token_id", "st-c".into()),
        ("owner", a.miner.to_string()),
        ("pool", a.pool_c.to_string()),
        ("device_id", "gpu-0".into()),
        ("mode", "Seller".into()),
        ("start", T0.to_string()),
        ("expiry", (T0 + 10 * HOUR).to_string()),
        ("rate", "1.5".into()),
    ] {
        assert_eq!(attr(&response, key), value, "{key}");
    }
    let cert = expected(&a.pool_c, "gpu-0", &a.miner, period, Active);
    assert_eq!(s.certificate("st-c"), cert);

    // A liquidity provider's stake on an issuer's pool, starting later, from the minter too.
    let lp_period = (ts(T0 + HOUR), ts(T0 + 5 * HOUR));
    let mut lp_terms = terms(&a.pool_a, "gpu-1", lp_period.0, lp_period.1);
    lp_terms.mode = StakeMode::LiquidityProvider;
    lp_terms.rate = Decimal::permille(1);
    s.mint(&a.minter, "st-a", &a.miner2, lp_terms);
    let lp = StakeCertificate {
        mode: StakeMode::LiquidityProvider,
        rate: Decimal::permille(1),
        ..expected(&a.pool_a, "gpu-1", &a.miner2, lp_period, Active)
    };
    assert_eq!(s.certificate("st-a"), lp);

    // Every cw721 view agrees.
    let nft: NftInfoResponse<StakeCertificate> = s.query(&QueryMsg::NftInfo {
        token_id: "st-c".into(),
    });
    assert_eq!(
        nft,
        NftInfoResponse {
            token_uri: Some("ipfs://cert".into()),
            extension: cert.clone(),
        }
    );
    let all: AllNftInfoResponse<StakeCertificate> = s.query(&QueryMsg::AllNftInfo {
        token_id: "st-a".into(),
        include_expired: None,
    });
    assert_eq!(all.access.owner, a.miner2.to_string());
    assert!(all.access.approvals.is_empty());
    assert_eq!(all.info.token_uri, None);
    assert_eq!(all.info.extension, lp);
    let owner: OwnerOfResponse = s.query(&QueryMsg::OwnerOf {
        token_id: "st-c".into(),
        include_expired: None,
    });
    assert_eq!(owner.owner, a.miner.to_string());
    assert!(owner.approvals.is_empty());
    assert_eq!(s.num_tokens(), 2);
    assert_eq!(s.all_tokens(), strings(&["st-a", "st-c"]));
    let tokens: TokensResponse = s.query(&QueryMsg::Tokens {
        owner: a.miner.to_string(),
        start_after: None,
        limit: None,
    });
    assert_eq!(tokens.tokens, strings(&["st-c"]));
    assert_eq!(ids(&s.by_pool(&a.pool_c)), strings(&["st-c"]));
    assert_eq!(ids(&s.by_pool(&a.pool_a)), strings(&["st-a"]));
    assert_eq!(ids(&s.by_owner(&a.miner2)), strings(&["st-a"]));
    assert_eq!(s.device("gpu-0").unwrap().certificate, cert);
}

#[test]
fn issuers_mint_only_for_their_own_pool() {
    let mut s = Suite::new();
    let a = s.a.clone();
    let period = (ts(T0), ts(T0 + HOUR));
    s.mint(
        &a.pool_a,
        "st-a",
        &a.miner,
        terms(&a.pool_a, "gpu-0", period.0, period.1),
    );
    assert_eq!(
        s.certificate("st-a"),
        expected(&a.pool_a, "gpu-0", &a.miner, period, Active)
    );

    for (issuer, pool) in [
        (&a.pool_a, &a.pool_b),
        (&a.pool_a, &a.pool_c),
        (&a.pool_b, &a.pool_a),
    ] {
        let err = s.refuse(
            issuer,
            &mint_msg("st-x", &a.miner, terms(pool, "gpu-1", period.0, period.1)),
        );
        assert_eq!(
            err,
            ContractError::ForeignPool {
                issuer: issuer.to_string(),
                pool: pool.to_string(),
            }
        );
    }

    // Anyone else, for any pool, including their own address as the pool.
    for sender in [&a.pool_c, &a.miner, &a.stranger, &a.admin, &a.minter2] {
        for pool in [&a.pool_a, &a.pool_c, sender] {
            let msg = mint_msg("st-x", &a.miner, terms(pool, "gpu-1", period.0, period.1));
            assert_eq!(s.refuse(sender, &msg), ContractError::Unauthorized {});
        }
    }

    // A removed issuer is a stranger again; its certificates stay.
    s.exec(
        &a.minter,
        &ExecuteMsg::RemoveIssuer {
            issuer: a.pool_a.to_string(),
        },
    )
    .unwrap();
    let msg = mint_msg(
        "st-x",
        &a.miner,
        terms(&a.pool_a, "gpu-1", period.0, period.1),
    );
    assert_eq!(s.refuse(&a.pool_a, &msg), ContractError::Unauthorized {});
    assert_eq!(s.certificate("st-a").status, Active);
    // The other issuer still mints for itself.
    s.mint(
        &a.pool_b,
        "st-b",
        &a.miner,
        terms(&a.pool_b, "gpu-1", period.0, period.1),
    );
    assert_eq!(s.all_tokens(), strings(&["st-a", "st-b"]));
}

#[test]
fn only_the_minter_adds_and_removes_issuers() {
    let mut s = Suite::new();
    let a = s.a.clone();
    let add = |issuer: &Addr| ExecuteMsg::AddIssuer {
        issuer: issuer.to_string(),
    };
    let remove = |issuer: &Addr| ExecuteMsg::RemoveIssuer {
        issuer: issuer.to_string(),
    };
    for sender in [&a.pool_a, &a.pool_c, &a.miner, &a.stranger, &a.admin] {
        assert_eq!(
            s.refuse(sender, &add(&a.pool_c)),
            ContractError::Unauthorized {}
        );
        assert_eq!(
            s.refuse(sender, &remove(&a.pool_b)),
            ContractError::Unauthorized {}
        );
        // An issuer cannot remove itself either.
        assert_eq!(
            s.refuse(sender, &remove(&a.pool_a)),
            ContractError::Unauthorized {}
        );
    }
    assert_eq!(
        s.refuse(&a.minter, &add(&a.pool_a)),
        ContractError::IssuerExists {
            issuer: a.pool_a.to_string()
        }
    );
    assert_eq!(
        s.refuse(&a.minter, &remove(&a.pool_c)),
        ContractError::IssuerNotFound {
            issuer: a.pool_c.to_string()
        }
    );
    assert!(is_std_generic(&s.refuse(
        &a.minter,
        &ExecuteMsg::AddIssuer {
            issuer: INVALID_ADDR.into()
        }
    )));
    assert!(is_std_generic(&s.refuse(
        &a.minter,
        &ExecuteMsg::RemoveIssuer {
            issuer: INVALID_ADDR.into()
        }
    )));

    let response = s.exec(&a.minter, &add(&a.pool_c)).unwrap();
    assert_eq!(attr(&response, "action"), "add_issuer");
    assert_eq!(attr(&response, "issuer"), a.pool_c.to_string());
    let mut all = vec![a.pool_a.clone(), a.pool_b.clone(), a.pool_c.clone()];
    all.sort();
    assert_eq!(s.issuers(), all);
    // Issuers paginate.
    let page: IssuersResponse = s.query(&QueryMsg::Issuers {
        start_after: None,
        limit: Some(2),
    });
    assert_eq!(page.issuers, all[..2]);
    let page: IssuersResponse = s.query(&QueryMsg::Issuers {
        start_after: Some(all[1].to_string()),
        limit: Some(2),
    });
    assert_eq!(page.issuers, all[2..]);

    let response = s.exec(&a.minter, &remove(&a.pool_b)).unwrap();
    assert_eq!(attr(&response, "action"), "remove_issuer");
    assert_eq!(attr(&response, "issuer"), a.pool_b.to_string());
    all.retain(|p| *p != a.pool_b);
    assert_eq!(s.issuers(), all);
    assert_eq!(
        s.refuse(&a.minter, &remove(&a.pool_b)),
        ContractError::IssuerNotFound {
            issuer: a.pool_b.to_string()
        }
    );
    // The new issuer mints for its own pool; the removed one no longer can.
    s.mint(
        &a.pool_c,
        "st-c",
        &a.miner,
        terms(&a.pool_c, "gpu-0", ts(T0), ts(T0 + HOUR)),
    );
    assert_eq!(s.certificate("st-c").pool, a.pool_c);
    let msg = mint_msg(
        "st-b",
        &a.miner,
        terms(&a.pool_b, "gpu-1", ts(T0), ts(T0 + HOUR)),
    );
    assert_eq!(s.refuse(&a.pool_b, &msg), ContractError::Unauthorized {});
}

#[test]
fn token_ids_are_never_reused_while_the_certificate_exists() {
    let mut s = with_one_certificate();
    let a = s.a.clone();
    for sender in [&a.minter, &a.pool_a] {
        let msg = mint_msg(
            "st-1",
            &a.miner2,
            terms(&a.pool_a, "gpu-1", ts(T0), ts(T0 + HOUR)),
        );
        assert_eq!(
            s.refuse(sender, &msg),
            ContractError::TokenIdTaken {
                token_id: "st-1".into()
            }
        );
    }
    // Not even once the certificate is invalidated or expired.
    s.exec(
        &a.minter,
        &ExecuteMsg::Invalidate {
            token_id: "st-1".into(),
            reason: "failed challenge".into(),
        },
    )
    .unwrap();
    s.set_time(ts(T0 + 48 * HOUR));
    let msg = mint_msg(
        "st-1",
        &a.miner2,
        terms(&a.pool_a, "gpu-1", s.now(), ts(T0 + 49 * HOUR)),
    );
    assert_eq!(
        s.refuse(&a.minter, &msg),
        ContractError::TokenIdTaken {
            token_id: "st-1".into()
        }
    );
    assert_eq!(
        s.certificate("st-1"),
        expected(
            &a.pool_a,
            "gpu-0",
            &a.miner,
            (ts(T0), ts(T0 + 24 * HOUR)),
            Invalidated
        )
    );
}

#[test]
fn a_device_holds_one_valid_certificate_at_a_time() {
    let mut s = with_one_certificate();
    let a = s.a.clone();
    let staked = |token_id: &str| ContractError::DeviceAlreadyStaked {
        device_id: "gpu-0".into(),
        token_id: token_id.into(),
    };
    // Refused while st-1 is unexpired: from any pool, by any authorised sender, even for a
    // period after st-1's expiry.
    for (sender, pool, start, expiry) in [
        (&a.pool_a, &a.pool_a, T0, T0 + HOUR),
        (&a.minter, &a.pool_c, T0 + HOUR, T0 + 2 * HOUR),
        (&a.pool_b, &a.pool_b, T0 + 30 * HOUR, T0 + 40 * HOUR),
    ] {
        let msg = mint_msg(
            "st-2",
            &a.miner,
            terms(pool, "gpu-0", ts(start), ts(expiry)),
        );
        assert_eq!(s.refuse(sender, &msg), staked("st-1"));
    }
    // Another device is free.
    s.mint(
        &a.pool_b,
        "st-other",
        &a.miner,
        terms(&a.pool_b, "gpu-1", ts(T0), ts(T0 + HOUR)),
    );

    // One nanosecond before expiry: still staked.
    s.set_time(ts(T0 + 24 * HOUR).minus_nanos(1));
    let msg = mint_msg(
        "st-2",
        &a.miner,
        terms(&a.pool_b, "gpu-0", s.now(), ts(T0 + 30 * HOUR)),
    );
    assert_eq!(s.refuse(&a.pool_b, &msg), staked("st-1"));

    // At expiry: free again, from another pool.
    s.set_time(ts(T0 + 24 * HOUR));
    assert_eq!(s.device("gpu-0"), None);
    s.mint(
        &a.pool_b,
        "st-2",
        &a.miner2,
        terms(&a.pool_b, "gpu-0", s.now(), ts(T0 + 30 * HOUR)),
    );
    assert_eq!(s.device("gpu-0").unwrap().token_id, "st-2");
    let msg = mint_msg(
        "st-3",
        &a.miner,
        terms(&a.pool_a, "gpu-0", s.now(), ts(T0 + 30 * HOUR)),
    );
    assert_eq!(s.refuse(&a.pool_a, &msg), staked("st-2"));

    // After invalidation: free at once.
    s.exec(
        &a.pool_b,
        &ExecuteMsg::Invalidate {
            token_id: "st-2".into(),
            reason: "failed challenge".into(),
        },
    )
    .unwrap();
    assert_eq!(s.device("gpu-0"), None);
    s.mint(
        &a.pool_a,
        "st-3",
        &a.miner,
        terms(&a.pool_a, "gpu-0", s.now(), ts(T0 + 30 * HOUR)),
    );
    assert_eq!(s.device("gpu-0").unwrap().token_id, "st-3");

    // After an early Expire: free at once.
    s.exec(
        &a.pool_a,
        &ExecuteMsg::Expire {
            token_id: "st-3".into(),
        },
    )
    .unwrap();
    assert_eq!(s.device("gpu-0"), None);
    s.mint(
        &a.minter,
        "st-4",
        &a.miner,
        terms(&a.pool_c, "gpu-0", s.now(), ts(T0 + 30 * HOUR)),
    );
    assert_eq!(s.device("gpu-0").unwrap().token_id, "st-4");

    // Burning an old certificate of the device leaves the current one in place.
    s.exec(
        &a.minter,
        &ExecuteMsg::Burn {
            token_id: "st-2".into(),
        },
    )
    .unwrap();
    assert_eq!(s.device("gpu-0").unwrap().token_id, "st-4");
    let msg = mint_msg(
        "st-5",
        &a.miner,
        terms(&a.pool_a, "gpu-0", s.now(), ts(T0 + 30 * HOUR)),
    );
    assert_eq!(s.refuse(&a.pool_a, &msg), staked("st-4"));

    // After a burn by the protocol: free at once.
    s.exec(
        &a.minter,
        &ExecuteMsg::Burn {
            token_id: "st-4".into(),
        },
    )
    .unwrap();
    assert_eq!(s.device("gpu-0"), None);
    s.mint(
        &a.pool_a,
        "st-5",
        &a.miner,
        terms(&a.pool_a, "gpu-0", s.now(), ts(T0 + 30 * HOUR)),
    );
    assert_eq!(s.device("gpu-0").unwrap().token_id, "st-5");
    assert_eq!(
        s.all_tokens(),
        strings(&["st-1", "st-3", "st-5", "st-other"])
    );
}
