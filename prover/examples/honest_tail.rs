//! The honest tail through an in-process network emulator: how often an honest prover's timed
//! answer misses the deadline because of the network alone, and what that makes of false
//! invalidations per device-year.
//!
//! A TCP proxy between the verifier and an honest prover delays every 1,448-byte segment by half
//! the RTT plus uniform jitter, keeps TCP's in-order delivery (a late segment holds back the ones
//! behind it), and loses a segment with probability `loss`, delivering it after a recovery
//! delay: Linux's tail-loss probe (max(2·RTT, 10 ms)) for the optimistic column, the 200 ms
//! minimum retransmission timeout plus an RTT for the pessimistic one. Netem would be the real
//! thing; this machine's kernel has no netem qdisc.
//!
//! Run: `cargo run --profile service -p loopin-prover --example honest_tail -- [challenges]`

use loopin_pocps::attack::{Model, PRODUCTION_80G};
use loopin_pocps::encode::{Params, derive_ek};
use loopin_prover::auth::{Gate, StaticAllowlist, pubkey_bytes};
use loopin_prover::backend::CpuBackend;
use loopin_prover::metrics::Metrics;
use loopin_prover::service::{self, Limits, ProverService};
use loopin_prover::state::ProverState;
use loopin_prover::storage;
use loopin_prover::verifier::{Spec, Target, Verifier};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::{Instant, sleep_until};

const SEGMENT: usize = 1448;

/// One direction of the emulated link.
#[derive(Clone, Copy)]
struct Link {
    one_way: Duration,
    jitter: Duration,
    loss: f64,
    recovery: Duration,
}

/// xorshift64*: a small deterministic generator, enough for delays and losses.
struct Rng(u64);

impl Rng {
    fn unit(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }
}

async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    link: Link,
    seed: u64,
) {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(Instant, Vec<u8>)>();
    tokio::spawn(async move {
        while let Some((at, seg)) = rx.recv().await {
            sleep_until(at).await;
            if to.write_all(&seg).await.is_err() {
                break;
            }
        }
    });
    let mut rng = Rng(seed | 1);
    let mut last = Instant::now();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        for seg in buf[..n].chunks(SEGMENT) {
            let jitter = link.jitter.as_secs_f64() * (2.0 * rng.unit() - 1.0);
            let mut delay = (link.one_way.as_secs_f64() + jitter).max(0.0);
            if rng.unit() < link.loss {
                delay += link.recovery.as_secs_f64();
            }
            // In order, as TCP delivers: a segment waits for the ones before it.
            let at = (Instant::now() + Duration::from_secs_f64(delay)).max(last);
            last = at;
            if tx.send((at, seg.to_vec())).is_err() {
                return;
            }
        }
    }
}

/// A proxy on a fresh port to `upstream` over the emulated link; its address.
async fn proxy(upstream: std::net::SocketAddr, link: Link) -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move {
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        while let Ok((client, _)) = listener.accept().await {
            let Ok(server) = TcpStream::connect(upstream).await else {
                continue;
            };
            let _ = (client.set_nodelay(true), server.set_nodelay(true));
            let (cr, cw) = client.into_split();
            let (sr, sw) = server.into_split();
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
            tokio::spawn(pump(cr, sw, link, seed));
            tokio::spawn(pump(sr, cw, link, seed ^ 0xABCD));
        }
    });
    addr
}

/// Challenges per device per day and the lateness quorum within one day (the devnet's window).
const CHALLENGES_PER_DAY: i32 = 24;
const QUORUM_PER_DAY: i32 = 2;

/// Expected false invalidations per device-year when `late` of `n` honest challenges were late:
/// the per-challenge rate p (3/n, the 95 % upper bound, when none was), then 365 × P[at least
/// the quorum of the day's challenges late], challenges independent.
fn yearly_false_invalidation(late: usize, n: usize) -> f64 {
    let p = if late == 0 { 3.0 } else { late as f64 } / n as f64;
    let c = CHALLENGES_PER_DAY;
    let below: f64 = (0..QUORUM_PER_DAY)
        .map(|k| binomial(c, k) * p.powi(k) * (1.0 - p).powi(c - k))
        .sum();
    365.0 * (1.0 - below).max(0.0)
}

fn binomial(n: i32, k: i32) -> f64 {
    (0..k).fold(1.0, |acc, i| acc * f64::from(n - i) / f64::from(i + 1))
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    sorted[((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len()) - 1]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(400);
    let dir = tempfile::tempdir().expect("temporary directory");
    let params = Params::TEST;
    let ek = derive_ek(b"tail", "miner", "pool", b"r");
    storage::init(dir.path(), ek, &params, &CpuBackend, 1, &mut |_, _| true).expect("init");
    let device = k256::ecdsa::SigningKey::from_slice(&[3u8; 32]).expect("key");
    let state = ProverState::from_loaded(storage::load(dir.path()).expect("load"), device);
    let commitment = state.commitment.clone();
    let vkey = k256::ecdsa::SigningKey::from_slice(&[4u8; 32]).expect("key");
    let gate = Arc::new(Gate::new(
        Box::new(StaticAllowlist::new([pubkey_bytes(&vkey)], 1e9, 1e9)),
        Duration::from_secs(60),
    ));
    let limits = Limits {
        max_sessions: 64,
        max_sessions_per_verifier: 64,
        ..Limits::default()
    };
    let svc = ProverService::new(
        Arc::new(state),
        Arc::new(CpuBackend),
        gate,
        limits,
        Metrics::new(),
    );
    let running = service::spawn(svc, "127.0.0.1:0").await.expect("serve");
    let verifier = Arc::new(Verifier::new(vkey, Metrics::new()));
    // The production deadline model with this machine's measured honest round (attack_report).
    let set = PRODUCTION_80G;
    let t_round = 0.517e-6;
    println!(
        "honest tail: {n} challenges per row (R = {}, s = {}, k = 8; P of the test set), jitter ±10 ms, loss 1 % per segment",
        set.rounds, set.spots
    );
    println!(
        "{:>6} {:>11} {:>9} {:>9} {:>9} {:>9} {:>10} {:>12}",
        "RTT", "recovery", "p50 ms", "p99 ms", "max ms", "D ms", "late at D", "late at D+m"
    );
    for rtt_ms in [1.0f64, 50.0, 150.0] {
        let rtt = rtt_ms / 1e3;
        for (name, recovery) in [("TLP", (2.0 * rtt).max(0.010)), ("RTO", 0.200 + rtt)] {
            let link = Link {
                one_way: Duration::from_secs_f64(rtt / 2.0),
                jitter: Duration::from_millis(10),
                loss: 0.01,
                recovery: Duration::from_secs_f64(recovery),
            };
            let addr = proxy(running.addr, link).await;
            let target =
                Target::new(&format!("http://{addr}"), commitment.clone()).expect("target");
            let spec = Spec {
                chain_rounds: set.rounds,
                spots: set.spots,
                openings: 8,
                deadline_ms: 10_000,
                rtt_factor: 0,
                max_deadline_ms: 0,
                randomness: b"tail".to_vec(),
                secret: None,
                throughput: None,
            };
            // One at a time, as a verifier challenges a prover: concurrent challenges on one
            // connection would queue each commit behind another's untimed phase-2 transfer.
            let mut latencies = Vec::with_capacity(n);
            for _ in 0..n {
                let record = verifier.challenge(&target, &spec).await;
                latencies.push(record.rtt_ms.unwrap_or(f64::INFINITY));
            }
            latencies.sort_by(f64::total_cmp);
            let model = Model {
                t_slow: 0.0,
                t_round,
                rtt,
                t_fetch: 0.0,
            };
            let d = model.deadline(set.rounds) * 1e3;
            // The margin one loss recovery needs: the recovery delay and the jitter.
            let margin = (recovery + 0.020) * 1e3;
            let late = |limit: f64| latencies.iter().filter(|&&l| l > limit).count();
            let per_year = |k: usize| yearly_false_invalidation(k, n);
            println!(
                "{:>4}ms {:>11} {:>9.1} {:>9.1} {:>9.1} {:>9.1} {:>6}/{:<4} {:>7}/{:<4} (m = {:.0} ms); false invalidations per device-year: {:.1e} at D, {:.1e} at D+m",
                rtt_ms,
                name,
                quantile(&latencies, 0.5),
                quantile(&latencies, 0.99),
                quantile(&latencies, 1.0),
                d,
                late(d),
                n,
                late(d + margin),
                n,
                margin,
                per_year(late(d)),
                per_year(late(d + margin)),
            );
        }
    }
}
