//! The stake certificate on cw-multi-test. Queries across block time: status, the active-at index
//! and its pagination, by owner and by pool.

use cosmwasm_std::{Addr, Timestamp};
use cw721::msg::{AllNftInfoResponse, TokensResponse};
use loopin::stake_cert::{
    ACTIVE_AT_SCAN_LIMIT, CertificateResponse, CertificateStatus, CertificatesResponse, ExecuteMsg,
    QueryMsg, StakeCertificate,
};

use loopin_integration_tests::stake_cert::*;

// ---------------------------------------------------------------------------------------------
// 4. Expiry follows block time.

#[test]
fn status_and_queries_follow_block_time() {
    let mut s = Suite::new();
    let a = s.a.clone();
    let (start, expiry) = (ts(T0 + 10 * HOUR), ts(T0 + 20 * HOUR));
    s.mint(
        &a.pool_a,
        "st-1",
        &a.miner,
        terms(&a.pool_a, "gpu-0", start, expiry),
    );
    s.mint(
        &a.pool_b,
        "st-bad",
        &a.miner,
        terms(&a.pool_b, "gpu-1", start, expiry),
    );
    s.exec(
        &a.pool_b,
        &ExecuteMsg::Invalidate {
            token_id: "st-bad".into(),
            reason: "failed challenge".into(),
        },
    )
    .unwrap();
    let cert = |status| expected(&a.pool_a, "gpu-0", &a.miner, (start, expiry), status);

    // ActiveAt for explicit times, queried before anything happens.
    let one = strings(&["st-1"]);
    let none: Vec<String> = vec![];
    for (time, want) in [
        (ts(T0), &none),
        (start.minus_nanos(1), &none),
        (start, &one),
        (ts(T0 + 15 * HOUR), &one),
        (expiry.minus_nanos(1), &one),
        (expiry, &none),
        (ts(T0 + 100 * HOUR), &none),
    ] {
        assert_eq!(&s.active_ids(Some(time), None), want, "at {time}");
        assert_eq!(
            &s.active_ids(Some(time), Some(&a.pool_a)),
            want,
            "at {time}"
        );
        assert!(s.active_ids(Some(time), Some(&a.pool_b)).is_empty());
        assert!(s.active_ids(Some(time), Some(&a.pool_c)).is_empty());
    }
    let page = s.active_page(Some(ts(T0 + 15 * HOUR)), None, None, None);
    assert_eq!(page[0].certificate, cert(Active));

    // Block time moves; every view follows.
    for (time, status, active) in [
        (ts(T0), Active, false),
        (start.minus_nanos(1), Active, false),
        (start, Active, true),
        (expiry.minus_nanos(1), Active, true),
        (expiry, Expired, false),
        (expiry.plus_nanos(1), Expired, false),
        (ts(T0 + 1_000 * HOUR), Expired, false),
    ] {
        s.set_time(time);
        assert_eq!(s.certificate("st-1"), cert(status), "at {time}");
        assert_eq!(s.status("st-1"), status);
        let all: AllNftInfoResponse<StakeCertificate> = s.query(&QueryMsg::AllNftInfo {
            token_id: "st-1".into(),
            include_expired: None,
        });
        assert_eq!(all.info.extension.status, status);
        assert_eq!(s.by_owner(&a.miner)[0].certificate, cert(status));
        assert_eq!(s.by_pool(&a.pool_a)[0].certificate, cert(status));
        assert_eq!(s.status("st-bad"), Invalidated);
        assert_eq!(s.by_pool(&a.pool_b)[0].certificate.status, Invalidated);
        // The device's certificate: until expiry, even before the stake starts.
        let device = s.device("gpu-0");
        if status == Active {
            assert_eq!(device.unwrap().certificate, cert(Active));
        } else {
            assert_eq!(device, None);
        }
        assert_eq!(s.device("gpu-1"), None);
        let want = if active { one.clone() } else { vec![] };
        assert_eq!(s.active_ids(None, None), want, "at {time}");
        assert_eq!(s.active_ids(Some(time), None), want);
        assert_eq!(s.active_ids(None, Some(&a.pool_a)), want);
        assert!(s.active_ids(None, Some(&a.pool_b)).is_empty());
        // Past times are answered from the record, whatever the block time.
        assert_eq!(s.active_ids(Some(ts(T0 + 15 * HOUR)), None), one);
    }
}

/// A certificate as the test expects the contract to hold it.
#[derive(Clone, Debug)]
struct Model {
    token_id: String,
    pool: Addr,
    start: Timestamp,
    expiry: Timestamp,
    status: CertificateStatus,
}

fn expected_active<'m>(
    models: &'m [Model],
    time: Timestamp,
    pool: Option<&Addr>,
) -> Vec<&'m Model> {
    let mut active: Vec<&Model> = models
        .iter()
        .filter(|m| {
            pool.is_none_or(|p| m.pool == *p)
                && m.status == Active
                && m.start <= time
                && time < m.expiry
        })
        .collect();
    active.sort_by(|x, y| (x.expiry, &x.token_id).cmp(&(y.expiry, &y.token_id)));
    active
}

/// Pages through ActiveAt with `limit`, following each answer's `next`, checking each page's
/// size, and returns every result.
fn page_through(
    s: &Suite,
    time: Option<Timestamp>,
    pool: Option<&Addr>,
    limit: u32,
) -> Vec<CertificateResponse> {
    let mut all: Vec<CertificateResponse> = Vec::new();
    let mut cursor = None;
    loop {
        let page = s.active_at(time, pool, cursor, Some(limit));
        assert!(page.certificates.len() <= limit as usize);
        all.extend(page.certificates);
        match page.next {
            Some(next) => cursor = Some(next),
            None => return all,
        }
    }
}

#[test]
fn active_at_pages_return_every_active_certificate_once_in_expiry_order() {
    let mut s = Suite::new();
    let a = s.a.clone();
    let pools = a.pools();
    let mut models: Vec<Model> = Vec::new();
    for i in 0..40u64 {
        // Token ids in an order unrelated to minting or expiry; expiries shared by several
        // certificates, so the token id breaks ties; some stakes start later.
        let token_id = format!("st-{:02}", (i * 17) % 40);
        let pool = pools[(i % 3) as usize].clone();
        let start = ts(T0 + (i % 4) * HOUR);
        let expiry = ts(T0 + 10 * HOUR + (i % 5) * 2 * HOUR);
        let sender = if pool == a.pool_c {
            a.minter.clone()
        } else {
            pool.clone()
        };
        let owner = if i % 2 == 0 { &a.miner } else { &a.miner2 };
        s.mint(
            &sender,
            &token_id,
            owner,
            terms(&pool, &format!("dev-{i}"), start, expiry),
        );
        models.push(Model {
            token_id,
            pool,
            start,
            expiry,
            status: Active,
        });
    }
    // Extend some, then, an hour later, invalidate and expire others.
    for (i, m) in models.iter_mut().enumerate() {
        if i % 6 == 1 {
            m.expiry = m.expiry.plus_seconds(3 * HOUR);
            s.exec(
                &a.minter,
                &ExecuteMsg::Extend {
                    token_id: m.token_id.clone(),
                    expiry: m.expiry,
                },
            )
            .unwrap();
        }
    }
    s.set_time(ts(T0 + HOUR));
    let now = s.now();
    for (i, m) in models.iter_mut().enumerate() {
        if i % 7 == 3 {
            m.status = Invalidated;
            s.exec(
                &a.minter,
                &ExecuteMsg::Invalidate {
                    token_id: m.token_id.clone(),
                    reason: "failed challenge".into(),
                },
            )
            .unwrap();
        } else if i % 11 == 5 {
            m.status = Expired;
            m.start = m.start.min(now);
            m.expiry = now;
            s.exec(
                &a.minter,
                &ExecuteMsg::Expire {
                    token_id: m.token_id.clone(),
                },
            )
            .unwrap();
        }
    }
    for m in &models {
        let cert = s.certificate(&m.token_id);
        assert_eq!(
            (cert.pool.clone(), cert.start, cert.expiry, cert.status),
            (m.pool.clone(), m.start, m.expiry, m.status),
            "{m:?}"
        );
    }

    let mut times: Vec<Timestamp> = vec![
        ts(T0),
        ts(T0 + HOUR),
        ts(T0 + 2 * HOUR).plus_nanos(1),
        ts(T0 + 3 * HOUR),
        ts(T0 + 10 * HOUR).minus_nanos(1),
        ts(T0 + 10 * HOUR),
        ts(T0 + 12 * HOUR),
        ts(T0 + 15 * HOUR),
        ts(T0 + 18 * HOUR),
        ts(T0 + 20 * HOUR),
        ts(T0 + 21 * HOUR).minus_nanos(1),
        ts(T0 + 21 * HOUR),
        ts(T0 + 30 * HOUR),
    ];
    times.extend(models.iter().map(|m| m.expiry));
    times.sort();
    times.dedup();
    let mut filters: Vec<Option<&Addr>> = vec![None];
    filters.extend(pools.iter().map(Some));
    let mut nonempty = 0;
    for &time in &times {
        for &pool in &filters {
            let want = expected_active(&models, time, pool);
            let want_ids: Vec<String> = want.iter().map(|m| m.token_id.clone()).collect();
            if !want.is_empty() {
                nonempty += 1;
            }
            for limit in [1, 2, 3, 7, 30, 100] {
                let got = page_through(&s, Some(time), pool, limit);
                assert_eq!(
                    ids(&got),
                    want_ids,
                    "time {time} pool {pool:?} limit {limit}"
                );
                for (response, model) in got.iter().zip(&want) {
                    assert_eq!(response.certificate.status, Active);
                    assert_eq!(response.certificate.expiry, model.expiry);
                    assert_eq!(response.certificate.start, model.start);
                    assert_eq!(response.certificate.pool, model.pool);
                }
            }
            // The default page holds the first 30.
            let first_30: Vec<String> = want_ids.iter().take(30).cloned().collect();
            assert_eq!(ids(&s.active_page(Some(time), pool, None, None)), first_30);
            // A limit of zero still returns one.
            let first = s.active_page(Some(time), pool, None, Some(0));
            assert_eq!(
                ids(&first),
                want_ids.iter().take(1).cloned().collect::<Vec<_>>()
            );
        }
    }
    assert!(nonempty > 20, "the model exercised too little: {nonempty}");
    // With no time, ActiveAt answers for the block time.
    for time in [ts(T0 + 12 * HOUR), ts(T0 + 19 * HOUR)] {
        s.set_time(time);
        for &pool in &filters {
            assert_eq!(
                ids(&page_through(&s, None, pool, 4)),
                ids(&page_through(&s, Some(time), pool, 4))
            );
        }
    }
}

#[test]
fn active_at_page_sizes_default_to_30_and_stop_at_100() {
    let mut s = Suite::new();
    let a = s.a.clone();
    for i in 0..120u64 {
        s.mint(
            &a.pool_a,
            &format!("st-{i:03}"),
            &a.miner,
            terms(
                &a.pool_a,
                &format!("dev-{i}"),
                ts(T0),
                ts(T0 + HOUR + 120 - i),
            ),
        );
    }
    // Expiries fall as ids rise: the index order is the reverse of the id order.
    let mut want: Vec<String> = (0..120u64).rev().map(|i| format!("st-{i:03}")).collect();
    assert_eq!(s.active_page(None, None, None, None).len(), 30);
    assert_eq!(s.active_page(None, None, None, Some(1_000)).len(), 100);
    assert_eq!(ids(&page_through(&s, None, None, 100)), want);
    assert_eq!(ids(&page_through(&s, None, Some(&a.pool_a), 30)), want);
    // Those with the earliest expiries drop out as block time passes them: st-119 expires first.
    s.set_time(ts(T0 + HOUR + 61));
    want.drain(..61);
    let got = ids(&page_through(&s, None, None, 7));
    assert_eq!(got, want);
    assert_eq!(got.len(), 59);
    assert_eq!(got.first().unwrap(), "st-058");
    assert_eq!(got.last().unwrap(), "st-000");
}

#[test]
fn certificates_by_owner_and_by_pool_paginate_by_token_id() {
    let mut s = Suite::new();
    let a = s.a.clone();
    let mint = |s: &mut Suite, id: &str, owner: &Addr, pool: &Addr, device: &str| {
        let sender = if *pool == a.pool_c { &a.minter } else { pool };
        s.mint(
            sender,
            id,
            owner,
            terms(pool, device, ts(T0), ts(T0 + HOUR)),
        );
    };
    mint(&mut s, "e", &a.miner, &a.pool_a, "d1");
    mint(&mut s, "b", &a.miner, &a.pool_b, "d2");
    mint(&mut s, "a", &a.miner2, &a.pool_a, "d3");
    mint(&mut s, "d", &a.miner, &a.pool_a, "d4");
    mint(&mut s, "c", &a.miner2, &a.pool_c, "d5");
    mint(&mut s, "f", &a.miner, &a.pool_c, "d6");
    s.exec(
        &a.minter,
        &ExecuteMsg::Invalidate {
            token_id: "d".into(),
            reason: "r".into(),
        },
    )
    .unwrap();

    let page = |s: &Suite, msg: QueryMsg| ids(&s.query::<CertificatesResponse>(&msg).certificates);
    let by_owner = |owner: &Addr, start_after: Option<&str>, limit| QueryMsg::CertificatesByOwner {
        owner: owner.to_string(),
        start_after: start_after.map(str::to_string),
        limit,
    };
    let by_pool = |pool: &Addr, start_after: Option<&str>, limit| QueryMsg::CertificatesByPool {
        pool: pool.to_string(),
        start_after: start_after.map(str::to_string),
        limit,
    };
    assert_eq!(
        page(&s, by_owner(&a.miner, None, None)),
        strings(&["b", "d", "e", "f"])
    );
    assert_eq!(
        page(&s, by_owner(&a.miner, None, Some(2))),
        strings(&["b", "d"])
    );
    assert_eq!(
        page(&s, by_owner(&a.miner, Some("d"), Some(2))),
        strings(&["e", "f"])
    );
    assert_eq!(
        page(&s, by_owner(&a.miner, Some("c"), Some(1))),
        strings(&["d"])
    );
    assert!(page(&s, by_owner(&a.miner, Some("f"), None)).is_empty());
    assert_eq!(
        page(&s, by_owner(&a.miner2, None, None)),
        strings(&["a", "c"])
    );
    assert!(page(&s, by_owner(&a.stranger, None, None)).is_empty());
    let tokens: TokensResponse = s.query(&QueryMsg::Tokens {
        owner: a.miner.to_string(),
        start_after: Some("b".into()),
        limit: Some(2),
    });
    assert_eq!(tokens.tokens, strings(&["d", "e"]));

    assert_eq!(
        page(&s, by_pool(&a.pool_a, None, None)),
        strings(&["a", "d", "e"])
    );
    assert_eq!(
        page(&s, by_pool(&a.pool_a, Some("a"), Some(1))),
        strings(&["d"])
    );
    assert_eq!(
        page(&s, by_pool(&a.pool_a, Some("d"), None)),
        strings(&["e"])
    );
    assert_eq!(page(&s, by_pool(&a.pool_b, None, None)), strings(&["b"]));
    assert_eq!(
        page(&s, by_pool(&a.pool_c, None, None)),
        strings(&["c", "f"])
    );
    assert!(page(&s, by_pool(&a.stranger, None, None)).is_empty());
    assert_eq!(s.device("d6").unwrap().token_id, "f");
    // Every status is listed, as of now.
    s.set_time(ts(T0 + HOUR));
    let statuses: Vec<CertificateStatus> = s
        .by_pool(&a.pool_a)
        .iter()
        .map(|c| c.certificate.status)
        .collect();
    assert_eq!(statuses, vec![Expired, Invalidated, Expired]);
    for msg in [
        by_owner(&Addr::unchecked(INVALID_ADDR), None, None),
        by_pool(&Addr::unchecked(INVALID_ADDR), None, None),
        QueryMsg::ActiveAt {
            time: None,
            pool: Some(INVALID_ADDR.into()),
            start_after: None,
            limit: None,
        },
    ] {
        assert!(
            s.query_err(&msg).contains("Error decoding bech32"),
            "{msg:?}"
        );
    }
}

#[test]
fn active_at_walks_a_bounded_stretch_of_not_yet_started_stakes_and_says_where_to_go_on() {
    let mut s = Suite::new();
    let a = s.a.clone();
    // Stakes starting ten hours on, expiring first, then three that have started, expiring last:
    // asked for an early time, the walk meets every later stake before the active ones.
    let later = ACTIVE_AT_SCAN_LIMIT as u64 + 50;
    for i in 0..later {
        s.mint(
            &a.pool_a,
            &format!("later-{i:04}"),
            &a.miner,
            terms(
                &a.pool_a,
                &format!("dev-later-{i}"),
                ts(T0 + 10 * HOUR),
                ts(T0 + 20 * HOUR + i),
            ),
        );
    }
    let started: Vec<String> = (0..3).map(|i| format!("now-{i}")).collect();
    for (i, token_id) in started.iter().enumerate() {
        s.mint(
            &a.pool_a,
            token_id,
            &a.miner,
            terms(
                &a.pool_a,
                &format!("dev-now-{i}"),
                ts(T0),
                ts(T0 + 30 * HOUR + i as u64),
            ),
        );
    }
    let early = Some(ts(T0 + HOUR));
    for pool in [None, Some(&a.pool_a)] {
        // The first call walks the scan limit's worth of later stakes, returns none of them, and
        // names the last one it walked.
        let first = s.active_at(early, pool, None, Some(100));
        assert!(first.certificates.is_empty());
        let last_walked = format!("later-{:04}", ACTIVE_AT_SCAN_LIMIT - 1);
        assert_eq!(first.next.as_deref(), Some(last_walked.as_str()));
        // The second walks the rest and the three started ones, and reaches the end.
        let second = s.active_at(early, pool, first.next, Some(100));
        assert_eq!(ids(&second.certificates), started);
        assert_eq!(second.next, None);
        assert_eq!(ids(&page_through(&s, early, pool, 2)), started);
        // Once they have all started, every one is returned, a page at a time.
        let all = page_through(&s, Some(ts(T0 + 11 * HOUR)), pool, 100);
        assert_eq!(all.len() as u64, later + 3);
    }
    // A full page says where to go on only when entries are left: `next` is `None` at the end.
    let three = s.active_at(Some(ts(T0 + 25 * HOUR)), None, None, Some(3));
    assert_eq!(ids(&three.certificates), started);
    assert_eq!(three.next, None);
    let one = s.active_at(Some(ts(T0 + 25 * HOUR)), None, None, Some(2));
    assert_eq!(one.next.as_deref(), Some("now-1"));
    let rest = s.active_at(Some(ts(T0 + 25 * HOUR)), None, one.next, Some(2));
    assert_eq!(ids(&rest.certificates), ["now-2"]);
    assert_eq!(rest.next, None);
}

#[test]
fn a_token_uri_that_spells_a_certificate_does_not_change_what_active_at_answers() {
    // ActiveAt copies each certificate out of cw721's stored record: a token URI written to look
    // like the record's certificate (another pool, the key it is found under) must not be what
    // it copies.
    let mut s = Suite::new();
    let a = s.a.clone();
    let spoof = r#"x","extension":{"pool":"evil","status":"active"},"token_uri":""#;
    let mint = ExecuteMsg::Mint {
        token_id: "st-uri".into(),
        owner: a.miner.to_string(),
        terms: terms(&a.pool_a, "dev-uri", ts(T0), ts(T0 + 10 * HOUR)),
        token_uri: Some(spoof.into()),
    };
    s.exec(&a.pool_a, &mint).unwrap();
    // The helper also checks the answer byte for byte against encoding it, and the certificate
    // against `Certificate`'s.
    for pool in [None, Some(&a.pool_a)] {
        let page = s.active_at(Some(ts(T0 + HOUR)), pool, None, None);
        assert_eq!(ids(&page.certificates), ["st-uri"]);
        assert_eq!(page.certificates[0].certificate.pool, a.pool_a);
        assert_eq!(page.certificates[0].certificate.device_id, "dev-uri");
    }
}
