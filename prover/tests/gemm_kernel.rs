//! The GEMM kernel source (`kernels/gemm.cu`) is bit-identical to loopin-pocps' reference: checked
//! through its host build (always: every device function but `__dp4a`) and through NVRTC on a GPU
//! (feature `cuda`, only when a driver and a GPU are present; `LOOPIN_REQUIRE_GPU=1` makes a
//! missing GPU a failure).

use loopin_pocps::gemm::{self, MAX_INNER, Shape};
use loopin_prover::backend::gemm_host::{leaves_host, tile_host};
use std::sync::atomic::AtomicBool;

fn reference(seed: &[u8; 32], s: Shape) -> Vec<[u8; 32]> {
    gemm::leaves(seed, s, &AtomicBool::new(false)).expect("not cancelled")
}

fn shape(m: u32, k: u32, n: u32) -> Shape {
    Shape { m, k, n }
}

/// Shapes around every edge of the kernels: k % 4 in 0..4, k below and across the 64-byte chunk,
/// n = 1 and n across the 64-column tile, m not a multiple of 16 or 64, a one-block and a
/// multi-block leaf message (9 + 4n bytes around 55, 64, 119).
const SHAPES: [(u32, u32, u32); 10] = [
    (1, 1, 1),
    (5, 7, 3),
    (70, 13, 1),
    (33, 64, 65),
    (17, 130, 70),
    (130, 66, 12),
    (3, 129, 14),
    (9, 4, 27),
    (2, 255, 64),
    (65, 3, 129),
];

#[test]
fn host_kernel_leaves_match_the_reference_for_every_edge_shape() {
    for (i, &(m, k, n)) in SHAPES.iter().enumerate() {
        let s = shape(m, k, n);
        let seed = [i as u8 ^ 0x5a; 32];
        let want = reference(&seed, s);
        assert_eq!(leaves_host(&seed, s, 0, m), want, "{s:?}");
        // A band starting inside the matrix, and a single row at its end.
        let row0 = m / 3;
        assert_eq!(
            leaves_host(&seed, s, u64::from(row0), m - row0),
            want[row0 as usize..],
            "{s:?} from row {row0}"
        );
        assert_eq!(
            leaves_host(&seed, s, u64::from(m - 1), 1),
            want[m as usize - 1..],
            "{s:?} last row"
        );
    }
}

#[test]
fn host_kernel_leaves_match_at_the_largest_inner_dimension() {
    let s = shape(3, MAX_INNER, 2);
    let seed = [0xc3; 32];
    assert_eq!(leaves_host(&seed, s, 0, 3), reference(&seed, s));
    assert_eq!(leaves_host(&seed, s, 2, 1), reference(&seed, s)[2..]);
}

#[test]
fn a_band_far_into_a_tall_matrix_matches() {
    // Row offsets past 2^32 bytes of A (row0 · k): the generator's 64-bit offsets.
    let s = shape(1 << 24, 300, 5);
    let seed = [7; 32];
    let row0 = (1u64 << 24) - 70;
    let bt = gemm::bt(&seed, s);
    let a = gemm::a_rows(&seed, s, row0, 70);
    let want: Vec<[u8; 32]> = a
        .chunks_exact(300)
        .enumerate()
        .map(|(r, row)| gemm::row_leaf(row0 + r as u64, &gemm::product_row(row, &bt, s)))
        .collect();
    assert_eq!(leaves_host(&seed, s, row0, 70), want);
}

fn naive(a: &[i8], bt: &[i8], rows: usize, k: usize, n: usize) -> Vec<i32> {
    let mut c = vec![0i32; rows * n];
    for i in 0..rows {
        for j in 0..n {
            c[i * n + j] = (0..k)
                .map(|t| i32::from(a[i * k + t]) * i32::from(bt[j * k + t]))
                .sum();
        }
    }
    c
}

#[test]
fn the_tile_code_reaches_the_extreme_sums_without_overflow() {
    let (k, n) = (MAX_INNER, 3u32);
    let ku = k as usize;
    // Row 0 all -128, row 1 all 127, row 2 alternating -128 / 127.
    let mut a = vec![-128i8; ku];
    a.extend(std::iter::repeat_n(127i8, ku));
    a.extend((0..ku).map(|t| if t % 2 == 0 { -128i8 } else { 127 }));
    // Column 0 all -128, column 1 all 127, column 2 alternating 127 / -128.
    let mut bt = vec![-128i8; ku];
    bt.extend(std::iter::repeat_n(127i8, ku));
    bt.extend((0..ku).map(|t| if t % 2 == 0 { 127i8 } else { -128 }));
    let c = tile_host(&a, &bt, 3, k, n);
    assert_eq!(c[0], 1 << 30); // (-128)·(-128)·2^16, the largest sum
    assert_eq!(c[1], -128 * 127 * (1 << 16));
    assert_eq!(c[2], 128 * (1 << 15)); // half the terms 128·128, half -128·127
    assert_eq!(c[8], -128 * 127 * (1 << 16)); // the most negative sum
    assert_eq!(c[4], 127 * 127 * (1 << 16));
    assert_eq!(c, naive(&a, &bt, 3, ku, 3));
}

#[test]
fn the_tile_code_matches_naive_loops_on_arbitrary_bytes() {
    // Every byte value (sign extension of 0x80..0xff) at every k % 4, across tile edges.
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let mut byte = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x >> 24) as u8 as i8
    };
    for &(rows, k, n) in &[
        (1u32, 1u32, 1u32),
        (3, 5, 2),
        (64, 64, 64),
        (65, 63, 65),
        (70, 66, 130),
        (129, 131, 7),
    ] {
        let a: Vec<i8> = (0..rows * k).map(|_| byte()).collect();
        let bt: Vec<i8> = (0..n * k).map(|_| byte()).collect();
        assert_eq!(
            tile_host(&a, &bt, rows, k, n),
            naive(&a, &bt, rows as usize, k as usize, n as usize),
            "{rows} x {k} x {n}"
        );
    }
}

#[cfg(feature = "cuda")]
#[test]
fn cuda_gemm_leaves_match_the_reference_when_a_gpu_is_present() {
    let Some(b) = loopin_prover::backend::cuda::for_tests() else {
        return;
    };
    let no = AtomicBool::new(false);
    let mut shapes = SHAPES.to_vec();
    shapes.extend([(3, MAX_INNER, 2), (300, 1000, 257), (2000, 64, 1)]);
    for (i, &(m, k, n)) in shapes.iter().enumerate() {
        let s = shape(m, k, n);
        let seed = [i as u8 ^ 0xa5; 32];
        let got = b
            .gemm_leaves(&seed, s, &no)
            .unwrap_or_else(|e| panic!("{s:?}: {e}"));
        assert_eq!(got, reference(&seed, s), "{s:?}");
    }
    assert!(
        b.gemm_leaves(&[1; 32], shape(4, 4, 4), &AtomicBool::new(true))
            .is_err()
    );
}
