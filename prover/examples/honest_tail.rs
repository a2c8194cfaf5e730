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
//! Each row compares the fixed deadline D of the attack model with the deadline rule verifiers
//! and the registry now apply, D(rtt) = D at zero RTT + margin + 3 × the median of five RTT
//! probes (capped), for a 30 ms margin (A) and a 230 ms one (B), and turns B's per-challenge
//! lateness into false invalidations per device-year: from the lateness quorum alone
//! ("/yr quorum"), and when the device appeals and a drawn quorum (two Passes of three) must
//! also find it late ("/yr appeal"). With no late challenge the rate is bounded at 3/n.
//!
//! Run: `cargo run --profile service -p loopin-prover --example honest_tail -- [challenges]`

use loopin_pocps::attack::{Model, PRODUCTION_80G};
use loopin_pocps::encode::{Params, derive_ek};
use loopin_pocps::proof::Commitment;
use loopin_prover::auth::{Gate, StaticAllowlist, pubkey_bytes};
use loopin_prover::backend::CpuBackend;
use loopin_prover::metrics::Metrics;
use loopin_prover::service::{self, Limits, ProverService, Running};
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
/// The deadline rule measured (the devnet's `rtt_factor`): the compute deadline at zero RTT,
/// plus a fixed margin, plus three measured round trips (delivery and one tail-loss probe of
/// two), capped where a 200 ms RTT is still wholly allowed. Two fixed margins side by side:
/// the tail-loss probe's 10 ms floor and 20 ms of jitter ("A"), and one minimum retransmission
/// timeout more ("B", 230 ms). An attacker who slows the probes gets the cap either way.
const RTT_FACTOR: u32 = 3;
const MARGIN_A_MS: f64 = 30.0;
const MARGIN_B_MS: f64 = 230.0;
/// An appeal draws three verifiers and needs two Passes (the devnet's settings).
const APPEAL_DRAW: i32 = 3;
const APPEAL_PASSES: i32 = 2;

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

/// The probability that an honest device loses its appeal when each drawn verifier finds it
/// late with probability p: more than `draw - passes` of the draw late.
fn appeal_lost(late: usize, n: usize) -> f64 {
    let p = if late == 0 { 3.0 } else { late as f64 } / n as f64;
    (APPEAL_DRAW - APPEAL_PASSES + 1..=APPEAL_DRAW)
        .map(|k| binomial(APPEAL_DRAW, k) * p.powi(k) * (1.0 - p).powi(APPEAL_DRAW - k))
        .sum()
}

fn binomial(n: i32, k: i32) -> f64 {
    (0..k).fold(1.0, |acc, i| acc * f64::from(n - i) / f64::from(i + 1))
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    sorted[((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len()) - 1]
}

/// The deadline model of the production set, with this machine's measured honest round
/// (attack_report).
const T_ROUND: f64 = 0.517e-6;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(400);
    let dir = tempfile::tempdir().expect("temporary directory");
    let (running, commitment, verifier) = honest_prover(dir.path()).await;
    print_header(n);
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
            let row = measure(&verifier, &target, n).await;
            print_row(rtt_ms, name, n, &row);
        }
    }
}

/// An honest prover over P of the test parameters in `dir`, served in process, with its
/// commitment and the one verifier it allows.
async fn honest_prover(dir: &std::path::Path) -> (Running, Commitment, Arc<Verifier>) {
    let params = Params::TEST;
    let ek = derive_ek(b"tail", "miner", "pool", b"r");
    storage::init(dir, ek, &params, &CpuBackend, 1, &mut |_, _| true).expect("init");
    let device = k256::ecdsa::SigningKey::from_slice(&[3u8; 32]).expect("key");
    let state = ProverState::from_loaded(storage::load(dir).expect("load"), device);
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
    (running, commitment, verifier)
}

/// The table's title and column heads.
fn print_header(n: usize) {
    let set = PRODUCTION_80G;
    println!(
        "honest tail: {n} challenges per row (R = {}, s = {}, k = 8; P of the test set), jitter ±10 ms, loss 1 % per segment",
        set.rounds, set.spots
    );
    println!(
        "{:>6} {:>9} {:>7} {:>7} {:>7} {:>7} {:>9} {:>7} {:>7} {:>8} {:>7} {:>8} {:>10} {:>10}",
        "RTT",
        "recovery",
        "p50 ms",
        "p99 ms",
        "max ms",
        "D ms",
        "late at D",
        "probe",
        "D_A",
        "late A",
        "D_B",
        "late B",
        "/yr quorum",
        "/yr appeal"
    );
}

/// The production set's deadline model at round trip `rtt` (s).
fn model(rtt: f64) -> Model {
    Model {
        t_slow: 0.0,
        t_round: T_ROUND,
        rtt,
        t_fetch: 0.0,
    }
}

/// The rule: D(rtt) = D at zero RTT + fixed margin + 3 × the probes' median RTT (ms).
fn rule(margin: f64, probe: f64) -> u64 {
    let base = (model(0.0).deadline(PRODUCTION_80G.rounds) * 1e3 + margin).ceil() as u64;
    loopin::registry::deadline_for(
        base,
        RTT_FACTOR,
        base + u64::from(RTT_FACTOR) * 200,
        loopin_prover::verifier::whole_ms(probe),
    )
}

/// One row's measurements: the sorted latencies and probes, and the challenges late under the
/// rule with margins A and B.
struct Row {
    latencies: Vec<f64>,
    probes: Vec<f64>,
    late_a: usize,
    late_b: usize,
}

/// `n` challenges of `target`, one at a time, as a verifier challenges a prover: concurrent
/// challenges on one connection would queue each commit behind another's untimed phase-2
/// transfer.
async fn measure(verifier: &Verifier, target: &Target, n: usize) -> Row {
    let set = PRODUCTION_80G;
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
        attempt: 0,
    };
    let mut row = Row {
        latencies: Vec::with_capacity(n),
        probes: Vec::with_capacity(n),
        late_a: 0,
        late_b: 0,
    };
    for _ in 0..n {
        let record = verifier.challenge(target, &spec).await;
        let latency = record.rtt_ms.unwrap_or(f64::INFINITY);
        let probe = record.baseline_rtt_ms.unwrap_or(f64::INFINITY);
        row.late_a += usize::from(latency > rule(MARGIN_A_MS, probe) as f64);
        row.late_b += usize::from(latency > rule(MARGIN_B_MS, probe) as f64);
        row.latencies.push(latency);
        row.probes.push(probe);
    }
    row.latencies.sort_by(f64::total_cmp);
    row.probes.sort_by(f64::total_cmp);
    row
}

/// One row of the table: the link (`rtt_ms`, recovery `name`) and what `n` challenges over it
/// measured.
fn print_row(rtt_ms: f64, name: &str, n: usize, row: &Row) {
    let d_fixed = model(rtt_ms / 1e3).deadline(PRODUCTION_80G.rounds) * 1e3;
    let late_fixed = row.latencies.iter().filter(|&&l| l > d_fixed).count();
    let probe = quantile(&row.probes, 0.5);
    let quorum_year = yearly_false_invalidation(row.late_b, n);
    println!(
        "{:>4}ms {:>9} {:>7.1} {:>7.1} {:>7.1} {:>7.1} {:>4}/{:<4} {:>7.1} {:>7} {:>3}/{:<4} {:>7} {:>3}/{:<4} {:>10.1e} {:>10.1e}",
        rtt_ms,
        name,
        quantile(&row.latencies, 0.5),
        quantile(&row.latencies, 0.99),
        quantile(&row.latencies, 1.0),
        d_fixed,
        late_fixed,
        n,
        probe,
        rule(MARGIN_A_MS, probe),
        row.late_a,
        n,
        rule(MARGIN_B_MS, probe),
        row.late_b,
        n,
        quorum_year,
        quorum_year * appeal_lost(row.late_b, n),
    );
}
