//! Prints, for each attack, T_attack, T_honest, their ratio and the margin to D, at 1 ms and
//! 50 ms RTT, from slow-round and honest-round times measured on this CPU; then the trade-off
//! curve over Sloth rounds per block. Run: cargo run --release -p loopin-pocps --example attack_report
use loopin_pocps::attack::*;
use loopin_pocps::field::sloth_slow;
use loopin_pocps::timed::{next_state, position};
use std::hint::black_box;
use std::time::Instant;

fn main() {
    // Serial slow round on this CPU (one dependent chain).
    let n = 400_000;
    let t0 = Instant::now();
    let mut x = 12345u128;
    for _ in 0..n {
        x = sloth_slow(x);
    }
    black_box(x);
    let t_slow = t0.elapsed().as_secs_f64() / n as f64;
    // Honest chained round: random read in a 512 MiB table + one SHA-256.
    let table: Vec<u128> = (0..(1u64 << 25)).map(|i| i as u128 * 0x9E37_79B9).collect();
    let rounds = 200_000;
    let t0 = Instant::now();
    let mut st = [7u8; 32];
    for _ in 0..rounds {
        let b = table[position(&st, table.len() as u64) as usize];
        st = next_state(&st, b);
    }
    black_box(st);
    let t_round = t0.elapsed().as_secs_f64() / rounds as f64;
    println!(
        "measured: slow Sloth round {:.1} ns (serial), honest chained round {:.1} ns",
        t_slow * 1e9,
        t_round * 1e9
    );
    println!(
        "attacker model: fastest serial hardware = this CPU's measured slow round; parallel regeneration of openings\n"
    );

    // The deadline model with P resident, at a given RTT.
    let resident = |rtt: f64| Model {
        t_slow,
        t_round,
        rtt,
        t_fetch: 0.0,
    };
    // Honest response times: whole chains of the production R reads on the same table, as the
    // prover runs them, so the tail (p99.9) is measured rather than modelled.
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
    let quantile =
        |q: f64| chains[((chains.len() as f64 * q).ceil() as usize).clamp(1, chains.len()) - 1];
    println!(
        "honest chain of R = {r_prod} reads, {} runs: p50 {:.2} ms, p99 {:.2} ms, p99.9 {:.2} ms, max {:.2} ms",
        chains.len(),
        quantile(0.5) * 1e3,
        quantile(0.99) * 1e3,
        quantile(0.999) * 1e3,
        quantile(1.0) * 1e3
    );
    for rtt in [0.001, 0.050] {
        let m = resident(rtt);
        let d = m.deadline(r_prod);
        let p999 = rtt + quantile(0.999);
        println!(
            "  RTT {:.0} ms: D = {:.1} ms, honest p99.9 = RTT + chain = {:.1} ms = {:.2} D",
            rtt * 1e3,
            d * 1e3,
            p999 * 1e3,
            p999 / d
        );
    }
    println!();

    for set in [PRODUCTION_80G, PRODUCTION_24G] {
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
            let m = resident(rtt);
            let rows: Vec<(String, f64)> = vec![
                ("honest".into(), m.honest(set.rounds)),
                (
                    "checkpoint c=2 (keeps f=0.5)".into(),
                    m.attacker(set.rounds, expected_serial_rounds(&p, set.rounds, 2) as u64),
                ),
                (
                    "checkpoint c=8 (keeps f=0.125)".into(),
                    m.attacker(set.rounds, expected_serial_rounds(&p, set.rounds, 8) as u64),
                ),
                (
                    "regeneration on demand".into(),
                    m.attacker(
                        set.rounds,
                        expected_serial_rounds(&p, set.rounds, p.blocks_per_lane) as u64,
                    ),
                ),
                (
                    "sybil (half of each, = c=2 each)".into(),
                    m.attacker(set.rounds, expected_serial_rounds(&p, set.rounds, 2) as u64),
                ),
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
        let honest_compute = set.rounds as f64 * t_round;
        let c2 = expected_serial_rounds(&p, set.rounds, 2) * t_slow;
        println!(
            "compute ratio (attacker c=2 extra / honest chain): {:.0}\n",
            c2 / honest_compute
        );
    }
    println!("partial storage, forging the missing blocks: detection 1 - f^s per challenge:");
    for f in [0.5f64, 0.9, 0.99] {
        println!(
            "  f = {f}: s = 64 -> {:.6}, s = 128 -> {:.6}",
            1.0 - f.powi(64),
            1.0 - f.powi(128)
        );
    }
    println!(
        "\ntrade-off (R = 20000, 50 ms RTT): Sloth rounds per block r vs attacker c=2 and encoding cost"
    );
    println!(
        "{:>6} {:>12} {:>14} {:>18}",
        "r", "T_att/D c=2", "compute ratio", "encode h/GiB/core"
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
        let ser = expected_serial_rounds(&p, 20_000, 2);
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
