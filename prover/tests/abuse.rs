//! Abuse: ≥ 1,000 garbage, malformed, oversized, unauthenticated and unassigned requests get gRPC
//! errors and the server keeps serving; then a flood from an unassigned key (and an assigned
//! verifier over its rate), during which an assigned challenge still passes within its deadline.

mod common;
use bytes::{Buf, BufMut};
use common::*;
use loopin_prover::auth::{Kind, body_challenge, now_ms, sign_header};
use loopin_prover::metrics::Metrics;
use loopin_prover::pb;
use loopin_prover::service::Limits;
use loopin_prover::state::ProverState;
use loopin_prover::verifier::Outcome;
use prost::Message;
use std::collections::BTreeMap;
use tokio::io::AsyncWriteExt;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::codegen::http::uri::PathAndQuery;
use tonic::transport::{Channel, Endpoint};
use tonic::{Code, Status};

/// Sends raw bytes as the request message, whatever the method expects.
#[derive(Default, Clone)]
struct Raw;
struct RawEnc;
struct RawDec;
impl Codec for Raw {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = RawEnc;
    type Decoder = RawDec;
    fn encoder(&mut self) -> RawEnc {
        RawEnc
    }
    fn decoder(&mut self) -> RawDec {
        RawDec
    }
}
impl Encoder for RawEnc {
    type Item = Vec<u8>;
    type Error = Status;
    fn encode(&mut self, item: Vec<u8>, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put_slice(&item);
        Ok(())
    }
}
impl Decoder for RawDec {
    type Item = Vec<u8>;
    type Error = Status;
    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Vec<u8>>, Status> {
        let mut v = vec![0u8; src.remaining()];
        src.copy_to_slice(&mut v);
        Ok(Some(v))
    }
}

async fn raw(ch: &Channel, method: &'static str, body: Vec<u8>) -> Result<Vec<u8>, Status> {
    let mut g = tonic::client::Grpc::new(ch.clone());
    g.ready()
        .await
        .map_err(|e| Status::unavailable(e.to_string()))?;
    g.unary(
        tonic::Request::new(body),
        PathAndQuery::from_static(method),
        Raw,
    )
    .await
    .map(|r| r.into_inner())
}

const CHALLENGE: &str = "/loopin.prover.v1.Prover/Challenge";

/// Cheap deterministic pseudo-random bytes.
fn junk(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn challenge_req(auth: Option<pb::Auth>, seed: Vec<u8>, r: u32) -> Vec<u8> {
    pb::ChallengeRequest {
        auth,
        seed,
        chain_rounds: r,
        spots: 32,
        openings: 8,
    }
    .encode_to_vec()
}

fn signed(
    key: &k256::ecdsa::SigningKey,
    root: &[u8; 32],
    nonce: u64,
    at: u64,
    seed: &[u8],
) -> pb::Auth {
    let h = sign_header(
        key,
        Kind::Challenge,
        root,
        nonce,
        at,
        &body_challenge(seed, 256, 32, 8),
    );
    loopin_prover::wire::auth_to_pb(&h)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_and_floods_do_not_stop_an_assigned_challenge() {
    let dir = tempfile::tempdir().unwrap();
    let state = ProverState::from_loaded(init_and_load(dir.path(), 9), key(109));
    let c = state.commitment.clone();
    let root = c.root;
    let (va, vb, stranger) = (key(10), key(11), key(12));
    let metrics = Metrics::new();
    // A: the honest assigned verifier; B: assigned but abusive (burst 5, 1/s).
    let g = gate(&[&va, &vb], 1.0, 5.0);
    let server = spawn(state, g, Limits::default(), metrics.clone()).await;
    let ch = Endpoint::from_shared(server.url())
        .unwrap()
        .connect()
        .await
        .unwrap();

    let seed = vec![7u8; 32];
    let unassigned = signed(&stranger, &root, 1, now_ms(), &seed);
    let mut bad_sig = signed(&va, &root, 2, now_ms(), &seed);
    bad_sig.signature[5] ^= 1;

    let mut cases: Vec<(&'static str, &'static str, Vec<u8>)> = Vec::new();
    for i in 0..300 {
        cases.push(("garbage", CHALLENGE, junk(i, 1 + (i as usize * 7) % 300)));
    }
    for i in 0..100 {
        cases.push((
            "garbage-tp",
            "/loopin.prover.v1.Prover/Throughput",
            junk(1000 + i, 40),
        ));
        cases.push((
            "garbage-open",
            "/loopin.prover.v1.Prover/ThroughputOpen",
            junk(2000 + i, 40),
        ));
    }
    for i in 0..100 {
        cases.push((
            "oversized",
            CHALLENGE,
            challenge_req(None, junk(3000 + i, 20_000), 256),
        ));
    }
    for i in 0..50 {
        cases.push((
            "unknown-method",
            "/loopin.prover.v1.Prover/Nope",
            junk(4000 + i, 10),
        ));
    }
    for _ in 0..100 {
        cases.push(("no-auth", CHALLENGE, challenge_req(None, seed.clone(), 256)));
        cases.push((
            "unassigned",
            CHALLENGE,
            challenge_req(Some(unassigned.clone()), seed.clone(), 256),
        ));
    }
    for _ in 0..50 {
        cases.push((
            "bad-signature",
            CHALLENGE,
            challenge_req(Some(bad_sig.clone()), seed.clone(), 256),
        ));
        let mut stale = bad_sig.clone();
        stale.issued_at_ms = 1;
        cases.push((
            "stale",
            CHALLENGE,
            challenge_req(Some(stale), seed.clone(), 256),
        ));
        cases.push((
            "bad-seed",
            CHALLENGE,
            challenge_req(Some(unassigned.clone()), vec![1; 31], 256),
        ));
        cases.push((
            "zero-rounds",
            CHALLENGE,
            challenge_req(Some(unassigned.clone()), seed.clone(), 0),
        ));
        cases.push((
            "huge-rounds",
            CHALLENGE,
            challenge_req(Some(unassigned.clone()), seed.clone(), u32::MAX),
        ));
    }
    assert!(cases.len() >= 1000, "{}", cases.len());

    let mut codes: BTreeMap<(&str, String), usize> = BTreeMap::new();
    for chunk in cases.chunks(16) {
        let rs = futures_join(chunk.iter().map(|(what, m, b)| {
            let ch = ch.clone();
            let b = b.clone();
            let (what, m) = (*what, *m);
            async move { (what, raw(&ch, m, b).await) }
        }))
        .await;
        for (what, r) in rs {
            match r {
                Ok(_) => panic!("{what}: accepted"),
                Err(s) => *codes.entry((what, format!("{:?}", s.code()))).or_default() += 1,
            }
        }
    }
    eprintln!("{codes:#?}");
    let code_of = |what: &str| -> Vec<String> {
        codes
            .keys()
            .filter(|(w, _)| *w == what)
            .map(|(_, c)| c.clone())
            .collect()
    };
    assert_eq!(code_of("unassigned"), ["PermissionDenied"]);
    assert_eq!(code_of("no-auth"), ["Unauthenticated"]);
    assert_eq!(code_of("bad-signature"), ["Unauthenticated"]);
    assert_eq!(code_of("stale"), ["FailedPrecondition"]);
    assert_eq!(code_of("unknown-method"), ["Unimplemented"]);
    assert_eq!(code_of("bad-seed"), ["InvalidArgument"]);
    assert_eq!(code_of("huge-rounds"), ["InvalidArgument"]);
    assert!(!code_of("oversized").is_empty());

    // Raw TCP garbage (not HTTP/2) is dropped by the transport.
    for i in 0..20 {
        if let Ok(mut s) = tokio::net::TcpStream::connect(server.addr).await {
            let _ = s.write_all(&junk(5000 + i, 512)).await;
        }
    }

    // A replayed, otherwise valid challenge is refused; the original was served.
    let seed2 = vec![8u8; 32];
    let once = signed(&va, &root, 77, now_ms(), &seed2);
    raw(
        &ch,
        CHALLENGE,
        challenge_req(Some(once.clone()), seed2.clone(), 256),
    )
    .await
    .expect("first use served");
    let replay = raw(&ch, CHALLENGE, challenge_req(Some(once), seed2, 256)).await;
    assert_eq!(replay.unwrap_err().code(), Code::AlreadyExists);

    // Flood: 3,000 requests from an unassigned key on 4 connections, plus verifier B far over its
    // rate; meanwhile A challenges through its own connection and must pass within the deadline.
    let flood_body = challenge_req(Some(unassigned.clone()), seed.clone(), 256);
    let mut flooders = Vec::new();
    for _ in 0..4 {
        let ch = Endpoint::from_shared(server.url())
            .unwrap()
            .connect()
            .await
            .unwrap();
        let body = flood_body.clone();
        flooders.push(tokio::spawn(async move {
            let mut denied = 0usize;
            for _ in 0..750 {
                if let Err(s) = raw(&ch, CHALLENGE, body.clone()).await
                    && s.code() == Code::PermissionDenied
                {
                    denied += 1;
                }
            }
            denied
        }));
    }
    let b_bodies: Vec<Vec<u8>> = (0..30)
        .map(|n| {
            let s = vec![n as u8; 32];
            challenge_req(Some(signed(&vb, &root, 1000 + n, now_ms(), &s)), s, 256)
        })
        .collect();
    let chb = Endpoint::from_shared(server.url())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let abusive = tokio::spawn(async move {
        let mut limited = 0usize;
        for b in b_bodies {
            if let Err(s) = raw(&chb, CHALLENGE, b).await
                && s.code() == Code::ResourceExhausted
            {
                limited += 1;
            }
        }
        limited
    });
    let mut s = spec(2_000);
    s.throughput = None;
    let verdict = verifier(10).challenge(&target(&server, &c), &s).await;
    assert_eq!(verdict.outcome, Outcome::Pass, "{:?}", verdict.reason);
    assert!(verdict.rtt_ms.is_some_and(|r| r <= 2_000.0));
    let mut denied = 0;
    for f in flooders {
        denied += f.await.unwrap();
    }
    assert_eq!(denied, 3000, "every flood request refused as unassigned");
    let limited = abusive.await.unwrap();
    assert!(
        limited >= 20,
        "verifier B over its burst of 5 was rate limited ({limited})"
    );

    // Still serving, and healthy; A passes again (B's abuse did not consume A's budget).
    let verdict = verifier(10)
        .challenge(&target(&server, &c), &spec(2_000))
        .await;
    assert_eq!(verdict.outcome, Outcome::Pass, "{:?}", verdict.reason);
    let mut health = tonic_health::pb::health_client::HealthClient::new(ch.clone());
    let h = health
        .check(tonic_health::pb::HealthCheckRequest {
            service: "loopin.prover.v1.Prover".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        h.status,
        tonic_health::pb::health_check_response::ServingStatus::Serving as i32
    );
    assert!(metrics.counter("loopin_prover_refusals_total", &[("reason", "unassigned")]) >= 3100.0);
    assert!(
        metrics.counter(
            "loopin_prover_refusals_total",
            &[("reason", "rate_limited")]
        ) >= 20.0
    );
    server.stop().await;
}

/// Join a batch of futures concurrently (no extra dependency).
async fn futures_join<F: std::future::Future + Send + 'static>(
    fs: impl Iterator<Item = F>,
) -> Vec<F::Output>
where
    F::Output: Send + 'static,
{
    let hs: Vec<_> = fs.map(tokio::spawn).collect();
    let mut out = Vec::with_capacity(hs.len());
    for h in hs {
        out.push(h.await.expect("task"));
    }
    out
}
