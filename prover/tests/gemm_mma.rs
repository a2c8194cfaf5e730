//! The tensor-core GEMM tile kernel (`kernels/gemm_mma.cu`). Without a GPU: the launch shape the
//! cuda backend assumes is the kernel's. With one (feature `cuda`): the backend's GEMM leaves,
//! through whichever tile kernel passed its start-up check, match loopin-pocps on shapes across
//! the kernel's 128 × 256 tiles and 16-tile-row block groups; `LOOPIN_REQUIRE_GPU=1` makes a
//! missing GPU a failure and `LOOPIN_REQUIRE_MMA=1` a backend on any other tile kernel.

const MMA_SRC: &str = include_str!("../kernels/gemm_mma.cu");
const GEMM_SRC: &str = include_str!("../kernels/gemm.cu");

#[test]
fn the_kernel_has_the_launch_shape_the_backend_uses() {
    // cuda.rs launches 256 threads a block over 128 × 256 tiles (GEMM_MMA_TILE, GEMM_MMA_THREADS).
    for line in [
        "#define LP_MM 128u",
        "#define LP_MN 256u",
        "#define LP_MT 256u",
        "__launch_bounds__(256) loopin_gemm_tile_mma(",
    ] {
        assert!(MMA_SRC.contains(line), "gemm_mma.cu lacks {line:?}");
    }
    // The fallback below sm_80 runs gemm.cu's 256-thread tile code on 2 × 4 tiles of 64 × 64.
    for line in ["#define LP_TM 64", "#define LP_TN 64", "#define LP_TT 256"] {
        assert!(GEMM_SRC.contains(line), "gemm.cu lacks {line:?}");
    }
    assert!(
        MMA_SRC.contains("mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32"),
        "the int8 tensor-core instruction"
    );
}

#[cfg(feature = "cuda")]
#[test]
fn the_source_the_backend_compiles_is_gemm_cu_then_the_mma_kernel() {
    use loopin_prover::backend::cuda::{GEMM_MMA_SRC, GEMM_SRC as BACKEND_GEMM_SRC};
    assert_eq!(BACKEND_GEMM_SRC, GEMM_SRC);
    assert_eq!(GEMM_MMA_SRC, format!("{GEMM_SRC}{MMA_SRC}"));
}

#[cfg(feature = "cuda")]
fn backend() -> Option<loopin_prover::backend::cuda::CudaBackend> {
    let b = loopin_prover::backend::cuda::for_tests()?;
    if std::env::var("LOOPIN_REQUIRE_MMA").is_ok_and(|v| v == "1") {
        assert_eq!(b.gemm_path(), "mma", "LOOPIN_REQUIRE_MMA=1");
    }
    Some(b)
}

#[cfg(feature = "cuda")]
#[test]
fn cuda_gemm_leaves_match_the_reference_across_tiles_and_block_groups() {
    use loopin_pocps::gemm::{self, Shape};
    use std::sync::atomic::AtomicBool;
    let Some(b) = backend() else { return };
    assert!(["mma", "dp4a", "scalar"].contains(&b.gemm_path()));
    let no = AtomicBool::new(false);
    // 128-bit loads (k % 16 == 0) and byte loads; ragged rows, n and k chunks; 18 tile rows (a
    // group of 16 and a ragged one of 2); n across three 256-column tiles.
    for (i, (m, k, n)) in [
        (2300, 256, 600),
        (2177, 100, 257),
        (129, 1040, 520),
        (1, 16, 1),
    ]
    .into_iter()
    .enumerate()
    {
        let s = Shape { m, k, n };
        let seed = [i as u8 ^ 0x3c; 32];
        let want = gemm::leaves(&seed, s, &no).expect("not cancelled");
        let got = b
            .gemm_leaves(&seed, s, &no)
            .unwrap_or_else(|e| panic!("{s:?}: {e}"));
        assert_eq!(got, want, "{s:?} through {}", b.gemm_path());
    }
}

/// The rate of the whole GEMM pipeline (generation, tile kernel, leaves) on a 16384-row slice of
/// the h100 class's shape: `cargo test --release -p loopin-prover --features cuda --test gemm_mma
/// -- --ignored --nocapture` on a GPU machine.
#[cfg(feature = "cuda")]
#[test]
#[ignore = "GPU timing; run by hand"]
fn cuda_gemm_rate() {
    use loopin_pocps::gemm::Shape;
    use std::sync::atomic::AtomicBool;
    let Some(b) = backend() else { return };
    let s = Shape {
        m: 1 << 14,
        k: 16_384,
        n: 16_384,
    };
    let no = AtomicBool::new(false);
    b.gemm_leaves(&[1; 32], Shape { m: 256, ..s }, &no)
        .expect("warm-up");
    let t = std::time::Instant::now();
    let leaves = b.gemm_leaves(&[2; 32], s, &no).expect("GEMM");
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(leaves.len(), s.m as usize);
    let ops = 2.0 * f64::from(s.m) * f64::from(s.k) * f64::from(s.n);
    eprintln!(
        "{} ({}): {s:?} in {secs:.3} s, {:.0} TOPS end to end",
        b.device(),
        b.gemm_path(),
        ops / secs / 1e12
    );
}
