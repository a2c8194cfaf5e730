//! The `sloth` group: the per-core limit of interleaved slow Sloth rounds and the CPU encoder,
//! side by side in one run (`cargo bench -p loopin-pocps --bench pocps -- sloth`). Every figure
//! is slow rounds per second ("elem/s"): one round = 125 squarings + the sign rule; except the
//! verification rows (`decode_blocks`, `verify leaf`), in fast rounds. The leaf check, old and
//! new, alone: `cargo bench -p loopin-pocps --bench pocps -- 'verify leaf'`.
use criterion::{Criterion, Throughput};
use loopin_pocps::encode::{
    CpuEncoder, Encoder, Params, decode_blocks, derive_ek, encode_blocks, encode_blocks_n,
};
use loopin_pocps::field::{sloth_slow, sloth_slow_n};
use loopin_pocps::proof::{Commitment, Opening, block_place, check_block, first_bad_block};
use std::hint::black_box;
use std::time::Duration;

/// The replica the encoder benches encode: 4 lanes x 1024 blocks x 8 rounds = 32 768 slow rounds
/// (about 10 ms on one core, so waking a pool's thread costs nothing next to it).
const REPLICA: Params = Params {
    lanes: 4,
    blocks_per_lane: 1024,
    rounds: 8,
    blocks_per_leaf: 64,
};

/// The limit: N independent chains of slow rounds, each round's output the next round's input,
/// nothing else (no inputs to derive, nothing written to memory).
fn limit<const N: usize>(g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>) {
    let mut xs: [u128; N] = std::array::from_fn(|j| 123_456_789 + j as u128);
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function(format!("limit: sloth_slow_n, N={N}"), |b| {
        b.iter(|| {
            xs = sloth_slow_n(black_box(xs));
            xs
        })
    });
}

/// The encoder's own loop at width N on one lane (no rayon), to choose `INTERLEAVE`.
fn blocks_n<const N: usize>(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
) {
    let (blocks, rounds) = (1024usize, REPLICA.rounds);
    let mut out = vec![0u128; blocks];
    g.throughput(Throughput::Elements(blocks as u64 * rounds as u64));
    g.bench_function(
        format!("encode_blocks_n, N={N} (1024 blocks x 8 rounds)"),
        |b| {
            b.iter(|| {
                encode_blocks_n::<N>(black_box(7), 0, 0, rounds, &mut out);
                out[0]
            })
        },
    );
}

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a rayon pool")
}

/// The per-core limit, the encoder on 1 and 2 threads, the old one-chain path; the verifier's
/// batch decode and its leaf check, old and new.
pub fn benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("sloth");
    g.warm_up_time(Duration::from_secs(1));
    g.sample_size(20);
    g.measurement_time(Duration::from_secs(5));
    limit::<1>(&mut g);
    limit::<2>(&mut g);
    limit::<4>(&mut g);
    limit::<6>(&mut g);
    limit::<8>(&mut g);
    // The old path: one chain of the reference sloth_slow (4 partial products, full reduction).
    let mut x = 123_456_789u128;
    g.throughput(Throughput::Elements(1));
    g.bench_function("old: sloth_slow, one chain", |b| {
        b.iter(|| {
            x = sloth_slow(black_box(x));
            x
        })
    });
    blocks_n::<2>(&mut g);
    blocks_n::<4>(&mut g);
    blocks_n::<6>(&mut g);
    blocks_n::<8>(&mut g);
    // The encoder as the prover runs it, on a small replica.
    let params = REPLICA;
    let ek = derive_ek(b"fp", "m", "p", b"r");
    let rounds = u64::from(params.lanes * params.blocks_per_lane * params.rounds);
    g.throughput(Throughput::Elements(rounds));
    for threads in [1, 2] {
        let pool = pool(threads);
        g.bench_function(format!("encoder: CpuEncoder, {threads} thread(s)"), |b| {
            b.iter(|| pool.install(|| CpuEncoder.encode(black_box(ek), &params)))
        });
    }
    // Verification's batch: 64 blocks (a leaf) x 1000 fast rounds, four chains interleaved.
    let mut leaf: Vec<u128> = (0..64u128).collect();
    g.throughput(Throughput::Elements(64 * 1000));
    g.bench_function("decode_blocks (64 blocks x r=1000)", |b| {
        b.iter(|| decode_blocks(black_box(&mut leaf), 1000))
    });
    verify_leaf(&mut g);
    g.finish();
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    if filters.is_empty() || filters.iter().any(|f| f.contains("sloth")) {
        paired();
    }
    if filters.is_empty()
        || filters
            .iter()
            .any(|f| f.contains("sloth") || f.contains("leaf"))
    {
        paired_leaf();
    }
}

/// Production parameters (production-80g: 2^17 lanes x 2^15 blocks, r = 1000, 64-block leaves).
const PRODUCTION: Params = Params {
    lanes: 1 << 17,
    blocks_per_lane: 1 << 15,
    rounds: 1000,
    blocks_per_leaf: 64,
};

/// An honest production opening (its leaf's 64 blocks, no path) and its commitment.
fn production_leaf() -> (Commitment, Opening) {
    let params = PRODUCTION;
    let ek = derive_ek(b"fp", "m", "p", b"leaf");
    let index = 12_345_678u64;
    let (lane, first) = block_place(&params, index, 0);
    let mut blocks = vec![0u128; params.blocks_per_leaf as usize];
    encode_blocks(ek, lane, first, params.rounds, &mut blocks);
    let c = Commitment {
        params,
        root: [0u8; 32],
        ek,
        pubkey: vec![],
    };
    let o = Opening {
        index,
        blocks,
        path: vec![],
    };
    assert!((0..o.blocks.len()).all(|k| check_block(&c, &o, k)));
    assert!(first_bad_block(&c, &o).is_none());
    (c, o)
}

/// The leaf check of [`verify_leaf`], old and new, measured paired: each runs 20 times in turn,
/// 60 passes, so a neighbour's load hits both alike. Prints each one's best and median time per
/// leaf and the ratio of the medians.
fn paired_leaf() {
    const PASSES: usize = 60;
    const REPS: usize = 20;
    let (c, o) = production_leaf();
    let n = o.blocks.len();
    let mut times = [Vec::new(), Vec::new()];
    for pass in 0..PASSES {
        for (k, t) in times.iter_mut().enumerate() {
            let start = std::time::Instant::now();
            for _ in 0..REPS {
                let ok = if k == 0 {
                    (0..n).all(|b| check_block(black_box(&c), black_box(&o), b))
                } else {
                    first_bad_block(black_box(&c), black_box(&o)).is_none()
                };
                assert!(ok);
            }
            if pass >= 3 {
                t.push(start.elapsed().as_secs_f64() / REPS as f64 * 1e6);
            }
        }
    }
    let mut med = [0.0; 2];
    println!("paired leaf check (64 blocks, r = 1000; µs per leaf):");
    for (k, (t, name)) in times
        .iter_mut()
        .zip(["old: check_block x 64", "new: first_bad_block"])
        .enumerate()
    {
        t.sort_by(f64::total_cmp);
        med[k] = t[t.len() / 2];
        println!("  {name:<24} best {:>7.1}  median {:>7.1}", t[0], med[k]);
    }
    println!("  old / new (medians): {:.2}x", med[0] / med[1]);
}

/// Checking one honest production opening's leaf (64 blocks x r = 1000), the way the verifiers
/// did before (`check_block` on each block, one chain at a time) and the way they do now
/// (`first_bad_block`: the leaf decoded in one batch, four chains interleaved).
fn verify_leaf(g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>) {
    let (c, o) = production_leaf();
    let n = o.blocks.len();
    g.throughput(Throughput::Elements(n as u64 * u64::from(c.params.rounds)));
    g.bench_function("verify leaf, old: check_block x 64 (r=1000)", |b| {
        b.iter(|| (0..n).all(|k| check_block(black_box(&c), black_box(&o), k)))
    });
    g.bench_function(
        "verify leaf, new: first_bad_block (64 blocks, r=1000)",
        |b| b.iter(|| first_bad_block(black_box(&c), black_box(&o)).is_none()),
    );
}

/// One workload of the paired measurement: a name and a closure doing `rounds` slow rounds.
type Work<'a> = (String, u64, Box<dyn FnMut() + 'a>);

fn limit_work<'a, const N: usize>(rounds: u64) -> Work<'a> {
    let mut xs: [u128; N] = std::array::from_fn(|j| 987_654_321 + j as u128);
    let calls = rounds / N as u64;
    let run = move || {
        for _ in 0..calls {
            xs = sloth_slow_n(black_box(xs));
        }
    };
    (format!("limit N={N}"), calls * N as u64, Box::new(run))
}

fn blocks_work<'a, const N: usize>(rounds: u64) -> Work<'a> {
    let mut out = vec![0u128; (rounds / u64::from(REPLICA.rounds)) as usize];
    let run = move || encode_blocks_n::<N>(black_box(7), 0, 0, REPLICA.rounds, &mut out);
    (format!("encode_blocks_n N={N}"), rounds, Box::new(run))
}

/// The same figures measured paired: every workload runs in turn for a short slice, many times
/// over, so a neighbour's load (the 2 vCPUs here share one core) hits all of them alike. Prints
/// each one's best and median slow rounds per second and the ratio of the medians to the limit.
fn paired() {
    const PASSES: usize = 40;
    let params = REPLICA;
    let ek = derive_ek(b"fp", "m", "p", b"r");
    let rounds = u64::from(params.lanes * params.blocks_per_lane * params.rounds);
    let mut works: Vec<Work<'_>> = vec![
        limit_work::<2>(rounds),
        limit_work::<4>(rounds),
        limit_work::<6>(rounds),
        limit_work::<8>(rounds),
        blocks_work::<2>(rounds),
        blocks_work::<4>(rounds),
        blocks_work::<6>(rounds),
        blocks_work::<8>(rounds),
    ];
    for threads in [1, 2] {
        let pool = pool(threads);
        let run = move || drop(pool.install(|| CpuEncoder.encode(black_box(ek), &params)));
        works.push((
            format!("CpuEncoder {threads} thread(s)"),
            rounds,
            Box::new(run),
        ));
    }
    let mut x = 1u128;
    let old = move || {
        for _ in 0..rounds / 4 {
            x = sloth_slow(black_box(x));
        }
    };
    works.push(("old sloth_slow".to_string(), rounds / 4, Box::new(old)));
    let mut rates: Vec<Vec<f64>> = vec![Vec::new(); works.len()];
    for pass in 0..PASSES {
        for (k, (_, n, run)) in works.iter_mut().enumerate() {
            let t = std::time::Instant::now();
            run();
            if pass >= 3 {
                rates[k].push(*n as f64 / t.elapsed().as_secs_f64());
            }
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let limit = rates[1..4].iter_mut().map(median).fold(0.0, f64::max);
    println!("paired (slow rounds/s; ratio = median / best median of the limits):");
    for ((name, _, _), r) in works.iter().zip(rates.iter_mut()) {
        let best = r.iter().copied().fold(0.0, f64::max);
        let med = median(r);
        println!(
            "  {name:<26} best {:>6.3} M/s  median {:>6.3} M/s  ratio {:.2}",
            best / 1e6,
            med / 1e6,
            med / limit
        );
    }
}
