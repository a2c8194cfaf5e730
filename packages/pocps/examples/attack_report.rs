//! Prints, for each attack, T_attack, T_honest, their ratio and the margin to D, at 1 ms and
//! 50 ms RTT, from slow-round and honest-round times measured on this CPU; then the trade-off
//! curve over Sloth rounds per block. Run: cargo run --release -p loopin-pocps --example attack_report
use loopin_pocps::attack::*;
use loopin_pocps::field::sloth_slow;
use loopin_pocps::timed::{next_state, position};
use std::hint::black_box;
use std::time::Instant;

fn main() {
    let t_slow = measure_slow_round();
    let table = honest_table();
    let t_round = measure_honest_round(&table);
    println!(
        "measured: slow Sloth round {:.1} ns (serial), honest chained round {:.1} ns",
        t_slow * 1e9,
        t_round * 1e9
    );
    println!(
        "attacker model: fastest serial hardware = this CPU's measured slow round; parallel regeneration of openings\n"
    );
    honest_tail(&table, t_slow, t_round);
    for set in [PRODUCTION_80G, PRODUCTION_24G] {
        attack_section(set, t_slow, t_round);
    }
    steering_tries();
    capped(t_slow, t_round);
    trade_off(t_slow, t_round);
}

/// Serial slow round on this CPU (one dependent chain), in seconds per round.
fn measure_slow_round() -> f64 {
    let n = 400_000;
    let t0 = Instant::now();
    let mut x = 12345u128;
    for _ in 0..n {
        x = sloth_slow(x);
    }
    black_box(x);
    t0.elapsed().as_secs_f64() / n as f64
}

/// The 512 MiB table the honest rounds read from.
fn honest_table() -> Vec<u128> {
    (0..(1u64 << 25)).map(|i| i as u128 * 0x9E37_79B9).collect()
}

/// Honest chained round: random read in the table + one SHA-256, in seconds per round.
fn measure_honest_round(table: &[u128]) -> f64 {
    let rounds = 200_000;
    let t0 = Instant::now();
    let mut st = [7u8; 32];
    for _ in 0..rounds {
        let b = table[position(&st, table.len() as u64) as usize];
        st = next_state(&st, b);
    }
    black_box(st);
    t0.elapsed().as_secs_f64() / rounds as f64
}

/// The deadline model with P resident, at a given RTT.
fn resident(t_slow: f64, t_round: f64, rtt: f64) -> Model {
    Model {
        t_slow,
        t_round,
        rtt,
        t_fetch: 0.0,
    }
}

/// The q-quantile of sorted chain times (q = 1.0 is the maximum).
fn quantile(chains: &[f64], q: f64) -> f64 {
    chains[((chains.len() as f64 * q).ceil() as usize).clamp(1, chains.len()) - 1]
}

/// Honest response times: whole chains of the production R reads on the same table, as the
/// prover runs them, so the tail (p99.9) is measured rather than modelled.
fn honest_tail(table: &[u128], t_slow: f64, t_round: f64) {
    let r_prod = PRODUCTION_80G.rounds;
    let mut chains: Vec<f64> = (0..2_000u32)
        .map(|i| {
            let mut st = [0u8; 32];
            st[..4].copy_from_slice(&i.to_le_bytes());
            let t0 = Instant::now();
            for _ in 0..r_prod {
                let b = table[position(&st, table.len() as u64) as usize];
                st = next_state(&st, b);
            }
            black_box(st);
            t0.elapsed().as_secs_f64()
        })
        .collect();
    chains.sort_by(f64::total_cmp);
    println!(
        "honest chain of R = {r_prod} reads, {} runs: p50 {:.2} ms, p99 {:.2} ms, p99.9 {:.2} ms, max {:.2} ms",
        chains.len(),
        quantile(&chains, 0.5) * 1e3,
        quantile(&chains, 0.99) * 1e3,
        quantile(&chains, 0.999) * 1e3,
        quantile(&chains, 1.0) * 1e3
    );
    for rtt in [0.001, 0.050] {
        let m = resident(t_slow, t_round, rtt);
        let d = m.deadline(r_prod);
        let p999 = rtt + quantile(&chains, 0.999);
        println!(
            "  RTT {:.0} ms: D = {:.1} ms, honest p99.9 = RTT + chain = {:.1} ms = {:.2} D",
            rtt * 1e3,
            d * 1e3,
            p999 * 1e3,
            p999 / d
        );
    }
    println!();
}

/// One parameter set's section: the attack table, the compute ratio and the pass bounds.
fn attack_section(set: TimedSet, t_slow: f64, t_round: f64) {
    let p = set.params;
    println!(
        "== {} (P = {} GiB, r = {}, R = {}, s = {}) ==",
        set.name,
        (p.lanes as u64 * p.blocks_per_lane as u64 * 16) >> 30,
        p.rounds,
        set.rounds,
        set.spots
    );
    println!(
        "{:<34} {:>6} {:>10} {:>10} {:>10} {:>10} {:>9}",
        "attack", "RTT", "T_honest", "T_attack", "D", "ratio", "T_att/D"
    );
    for rtt in [0.001, 0.05] {
        attack_rows(&set, resident(t_slow, t_round, rtt), rtt);
    }
    let honest_compute = set.rounds as f64 * t_round;
    let c2 = expected_serial_rounds(&p, set.rounds, 0.5) * t_slow;
    println!(
        "compute ratio (attacker f=0.5 extra / honest chain): {:.0}",
        c2 / honest_compute
    );
    pass_bounds(&set, t_slow, t_round);
    println!();
}

/// The attack table's rows at one RTT: T_honest, T_attack, D and the ratios.
fn attack_rows(set: &TimedSet, m: Model, rtt: f64) {
    let p = set.params;
    // An attacker who keeps a fraction f of P and regenerates the rest it is asked for.
    let keeps = |f: f64| m.attacker(set.rounds, expected_serial_rounds(&p, set.rounds, f) as u64);
    let rows: Vec<(String, f64)> = vec![
        ("honest".into(), m.honest(set.rounds)),
        ("keeps f=0.9, regenerates the rest".into(), keeps(0.9)),
        ("keeps f=0.5, regenerates the rest".into(), keeps(0.5)),
        ("regeneration on demand (f=0)".into(), keeps(0.0)),
        ("sybil (half of each, = f=0.5 each)".into(), keeps(0.5)),
        (
            "P not resident (NVMe 80 us)".into(),
            Model {
                t_fetch: 80e-6,
                ..m
            }
            .attacker(set.rounds, 0),
        ),
    ];
    let d = m.deadline(set.rounds);
    let h = m.honest(set.rounds);
    for (name, t) in rows {
        println!(
            "{:<34} {:>4}ms {:>9.4}s {:>9.4}s {:>9.4}s {:>10.1} {:>9.2}",
            name,
            rtt * 1e3,
            h,
            t,
            d,
            t / h,
            t / d
        );
    }
}

/// Chance per challenge that an attacker keeping f passes, at 1, 50 and 150 ms RTT.
fn pass_bounds(set: &TimedSet, t_slow: f64, t_round: f64) {
    println!("chance per challenge that an attacker keeping f passes (log10 of the bound):");
    for rtt in [0.001, 0.05, 0.15] {
        let m = resident(t_slow, t_round, rtt);
        let bounds: Vec<String> = [0.25, 0.5, 0.8, 0.9, 0.99, 0.999]
            .iter()
            .map(|&f| format!("f={f}: {:.0}", log10_pass_bound(&m, set, f)))
            .collect();
        println!(
            "  RTT {:>3.0} ms (regenerates at most {} reads within D): {}",
            rtt * 1e3,
            m.affordable_regenerations(&set.params, set.rounds),
            bounds.join(", ")
        );
    }
}

/// The trade-off curve (R = 20000, 50 ms RTT): Sloth rounds per block vs attack and encoding cost.
fn trade_off(t_slow: f64, t_round: f64) {
    println!(
        "\ntrade-off (R = 20000, 50 ms RTT): Sloth rounds per block r vs attacker f=0.5 and encoding cost"
    );
    println!(
        "{:>6} {:>12} {:>14} {:>18}",
        "r", "T_att/D f=.5", "compute ratio", "encode h/GiB/core"
    );
    for r in [1u32, 10, 100, 250, 500, 1000, 2000, 4000] {
        let p = loopin_pocps::encode::Params {
            rounds: r,
            ..PRODUCTION_80G.params
        };
        let m = Model {
            t_slow,
            t_round,
            rtt: 0.05,
            t_fetch: 0.0,
        };
        let ser = expected_serial_rounds(&p, 20_000, 0.5);
        let enc = (1u64 << 26) as f64 * r as f64 * t_slow / 3600.0;
        println!(
            "{:>6} {:>12.2} {:>14.1} {:>18.2}",
            r,
            m.attacker(20_000, ser as u64) / m.deadline(20_000),
            ser * t_slow / (20_000.0 * t_round),
            enc
        );
    }
}

/// The deadline rule of the registry (`loopin::registry::deadline_for`): D(rtt) = D0 + margin +
/// 3 × the measured RTT, capped at the RTT a class admits. An attacker next to the verifier
/// that slows the RTT probes is given the cap: its slack is the cap minus its honest chain, so
/// the bound is set by the cap, not by the attacker's real RTT. The margin is one minimum
/// retransmission timeout and jitter (230 ms), what the honest tail needs (docs/pocps.md).
fn capped(t_slow: f64, t_round: f64) {
    println!(
        "\nRTT allowance: an attacker that slows the probes gets the cap (margin 230 ms, 3 round trips, r = 1000)"
    );
    println!(
        "{:>8} {:>10} {:>9} {:>6}  log10 of the pass bound at f = 0.9, 0.95, 0.99, 0.995",
        "R", "admits RTT", "slack ms", "regen"
    );
    let p = PRODUCTION_80G.params;
    for rounds in [20_000u32, 200_000] {
        for admitted in [0.0, 0.05, 0.1, 0.2] {
            let honest = rounds as f64 * t_round;
            let d0 = 3.0 * honest + 0.005;
            let cap = d0 + 0.230 + 3.0 * admitted;
            let slack = cap - honest;
            let regen = (slack / (p.rounds as f64 * t_slow)).floor() as u64;
            let bounds: Vec<String> = [0.9, 0.95, 0.99, 0.995]
                .iter()
                .map(|&f| format!("{:.0}", log10_binomial_lower_tail(rounds, 1.0 - f, regen)))
                .collect();
            println!(
                "{:>8} {:>7.0} ms {:>9.0} {:>6}  {}",
                rounds,
                admitted * 1e3,
                slack * 1e3,
                regen,
                bounds.join(", ")
            );
        }
    }
}

/// The grinding-and-steering attacker through the real two-phase verification at test
/// parameters: tries, forged reads, grinding work and how many were accepted.
fn steering_tries() {
    use loopin_pocps::encode::{CpuEncoder, Encoder, derive_ek};
    use loopin_pocps::proof::{Commitment, Prover};
    use loopin_pocps::sig::{K256Verifier, k256_sign};
    use loopin_pocps::timed::*;
    let params = TEST.params;
    let ek = derive_ek(b"gpu", "miner", "pool", b"r");
    let p = Prover::new(CpuEncoder.encode(ek, &params), params);
    let key = k256::ecdsa::SigningKey::from_slice(&[5u8; 32]).expect("key");
    let c = Commitment {
        params,
        root: p.tree.root(),
        ek,
        pubkey: loopin_pocps::sig::k256_pubkey(&key),
    };
    let tries = 200u32;
    println!(
        "grinding-and-steering attacker, test parameters (R = {}, s = {}), {tries} tries per f, up to 4096 candidates per forged read, lookahead 8:",
        TEST.rounds, TEST.spots
    );
    for f in [0.25, 0.5, 0.8, 0.9] {
        let (mut accepted, mut forged, mut hashes) = (0u32, 0u64, 0u64);
        for t in 0..tries {
            let mut seed = [0u8; 32];
            seed[..4].copy_from_slice(&t.to_le_bytes());
            let r = run_steering(&p, f, &seed, TEST.rounds, 8, 4096);
            forged += r.forged as u64;
            hashes += r.grind_hashes;
            let commit = TimedCommit {
                final_state: r.final_state,
                signature: k256_sign(&key, &timed_message(&c, &seed, &r.final_state)),
            };
            let nonce = [t as u8 ^ 0x5a; 32];
            let reveal = TimedReveal {
                openings: open_spots(&p, &seed, &r.transcript, &nonce, TEST.spots),
                transcript: r.transcript,
            };
            let terms = TimedTerms {
                seed,
                rounds: TEST.rounds,
                spots: TEST.spots,
            };
            accepted += u32::from(
                verify_timed(&c, &terms, &commit, &nonce, &reveal, &K256Verifier).is_ok(),
            );
        }
        println!(
            "  f = {f}: accepted {accepted} of {tries}; forged reads per try {:.1} (of {}); grinding {:.0} SHA-256 per try",
            forged as f64 / tries as f64,
            TEST.rounds,
            hashes as f64 / tries as f64
        );
    }
}
