//! The GEMM throughput challenge on this machine's CPU: how long the prover's work takes
//! (generating A and Bᵀ from the seed, the int8 × int8 → int32 product on all cores, a leaf per
//! row of C), how long the verifier's check of 64 opened rows takes (Bᵀ, B·r, Freivalds), and the
//! rate in tera-operations per second (2 · m · k · n per product), the figure a GPU class's
//! deadline is set against.
//!
//! Run: `cargo run --release -p loopin-pocps --example gemm_rate -- [m] [k] [n]` (default 1024³).

use loopin_pocps::gemm::{Shape, leaves, open, rows, verify};
use loopin_pocps::merkle::Tree;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

fn main() {
    let arg = |i: usize| -> u32 {
        std::env::args()
            .nth(i)
            .and_then(|a| a.parse().ok())
            .unwrap_or(1024)
    };
    let s = Shape {
        m: arg(1),
        k: arg(2),
        n: arg(3),
    };
    s.check().expect("a shape within the limits");
    let seed = [3u8; 32];
    let t = Instant::now();
    let tree = Tree::new(leaves(&seed, s, &AtomicBool::new(false)).expect("not cancelled"));
    let prove = t.elapsed().as_secs_f64();
    let nonce = [4u8; 32];
    let picked = rows(&nonce, &tree.root(), s.m, 64);
    let t = Instant::now();
    let openings = open(&seed, s, &tree, &picked, &AtomicBool::new(false)).expect("not cancelled");
    let opening = t.elapsed().as_secs_f64();
    let t = Instant::now();
    verify(&seed, s, &tree.root(), &nonce, 64, &openings).expect("an honest product verifies");
    let verifying = t.elapsed().as_secs_f64();
    let ops = 2.0 * s.work() as f64;
    println!(
        "{{\"m\":{},\"k\":{},\"n\":{},\"threads\":{},\"prove_s\":{:.4},\"tops\":{:.5},\"open_64_s\":{:.4},\"verify_64_s\":{:.4}}}",
        s.m,
        s.k,
        s.n,
        rayon::current_num_threads(),
        prove,
        ops / prove / 1e12,
        opening,
        verifying
    );
}
