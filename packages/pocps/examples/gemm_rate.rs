//! The GEMM throughput challenge on this machine's CPU: how long an int8 × int8 → int32 product
//! of seed-generated matrices takes (all cores, the reference `product`), how long committing its
//! rows and verifying 64 opened rows with Freivalds' test take, and the rate in tera-operations
//! per second (2 · m · k · n per product), the figure a GPU class's deadline is set against.
//!
//! Run: `cargo run --release -p loopin-pocps --example gemm_rate -- [side]` (default 1024).

use loopin_pocps::gemm::{Shape, commit, inputs, open, product, rows, verify};
use std::time::Instant;

fn main() {
    let side: u32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1024);
    let s = Shape {
        m: side,
        k: side,
        n: side,
    };
    let seed = [3u8; 32];
    let t = Instant::now();
    let (a, b) = inputs(&seed, s);
    let generate = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let c = product(&a, &b, s);
    let multiply = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let tree = commit(&c, s);
    let committing = t.elapsed().as_secs_f64();
    let nonce = [4u8; 32];
    let picked = rows(&nonce, &tree.root(), s.m, 64);
    let openings = open(&c, s, &tree, &picked);
    let t = Instant::now();
    verify(&seed, s, &tree.root(), &nonce, 64, &openings).expect("an honest product verifies");
    let verifying = t.elapsed().as_secs_f64();
    let ops = 2.0 * s.work() as f64;
    println!(
        "GEMM {side} x {side} x {side} (int8 -> int32) on {} threads: generate {:.3} s, multiply {:.3} s ({:.4} TOPS), commit rows {:.3} s, verify 64 rows {:.3} s",
        rayon::current_num_threads(),
        generate,
        multiply,
        ops / multiply / 1e12,
        committing,
        verifying
    );
}
