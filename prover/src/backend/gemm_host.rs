//! The GEMM kernel source (`kernels/gemm.cu`) compiled for the host (`kernels/gemm_host.c`, see
//! build.rs): single-threaded loops over the very device functions the GPU runs, so the kernels'
//! arithmetic is checked bit for bit against `loopin_pocps::gemm` without a GPU.

use loopin_pocps::gemm::Shape;

mod ffi {
    unsafe extern "C" {
        /// Leaves of rows `row0 .. row0 + rows` of C into `out_leaves` (`rows · 32` bytes).
        pub fn loopin_gemm_leaves_host(
            seed32: *const u8,
            m: u32,
            k: u32,
            n: u32,
            row0: u64,
            rows: u32,
            out_leaves: *mut u8,
        );
        /// `c` (`rows × n`) = `a` (`rows × k`) · `bt` (`n × k`)ᵀ, through the tile kernel's code.
        pub fn loopin_gemm_tile_host(
            a: *const i8,
            bt: *const i8,
            rows: u32,
            k: u32,
            n: u32,
            c: *mut i32,
        );
    }
}

/// The leaves of rows `row0 .. row0 + rows` of C = A·B for `seed` and `shape`, as
/// `loopin_pocps::gemm::leaves` computes them.
///
/// # Panics
/// When `shape` is invalid or the rows run past `shape.m`.
pub fn leaves_host(seed: &[u8; 32], shape: Shape, row0: u64, rows: u32) -> Vec<[u8; 32]> {
    assert!(shape.check().is_ok(), "invalid GEMM shape {shape:?}");
    assert!(
        row0.checked_add(u64::from(rows))
            .is_some_and(|end| end <= u64::from(shape.m)),
        "rows {row0} + {rows} past m = {}",
        shape.m
    );
    let mut out = vec![[0u8; 32]; rows as usize];
    // SAFETY: `seed` is 32 readable bytes; `out` is `rows` contiguous `[u8; 32]`, the `rows · 32`
    // bytes the C code writes; the shape is within loopin-pocps' bounds (so the C code's sizes and
    // offsets do not overflow) and the rows lie inside it. Neither buffer is retained.
    unsafe {
        ffi::loopin_gemm_leaves_host(
            seed.as_ptr(),
            shape.m,
            shape.k,
            shape.n,
            row0,
            rows,
            out.as_mut_ptr().cast::<u8>(),
        )
    };
    out
}

/// `rows × n` int32 product of a `rows × k` band of A and Bᵀ (`n × k`), both row-major, through the
/// tile kernel's code (for tests of the arithmetic on chosen values).
///
/// # Panics
/// When a dimension is zero or too large for the kernel (k, n ≤ 2^16) or a slice's length is
/// not its shape's.
pub fn tile_host(a: &[i8], bt: &[i8], rows: u32, k: u32, n: u32) -> Vec<i32> {
    use loopin_pocps::gemm::{MAX_INNER, MAX_SIDE};
    assert!(rows > 0 && (1..=MAX_INNER).contains(&k) && (1..=MAX_SIDE).contains(&n));
    assert_eq!(a.len(), rows as usize * k as usize);
    assert_eq!(bt.len(), n as usize * k as usize);
    let mut c = vec![0i32; rows as usize * n as usize];
    // SAFETY: `a` holds rows·k and `bt` n·k bytes, the extents the C code reads; `c` holds rows·n
    // i32s, the extent it writes; k ≤ 2^16 keeps every sum within i32. Nothing is retained.
    unsafe { ffi::loopin_gemm_tile_host(a.as_ptr(), bt.as_ptr(), rows, k, n, c.as_mut_ptr()) };
    c
}
