//! Backends: the lane encoding of P (slow Sloth direction) and the GEMM throughput challenge.
//!
//! [`CpuBackend`] uses loopin-pocps (rayon). The CUDA backend (feature `cuda`) runs the
//! NVRTC-compiled kernels in `kernels/sloth.cu` and `kernels/gemm.cu`; [`HostKernel`] runs the very
//! same kernel sources compiled for the host, which is how their arithmetic is checked bit for bit
//! without a GPU.

use loopin_pocps::encode::{Params, encode_lane};
use loopin_pocps::field::P as PRIME;
use loopin_pocps::gemm::Shape;
use loopin_pocps::merkle::Hash;
use std::sync::atomic::{AtomicBool, Ordering};

/// Returned when a computation was cancelled (deadline passed, client gone).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("cancelled")]
pub struct Cancelled;

/// Why a GEMM challenge was not computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GemmFailed {
    /// Cancelled (deadline passed, client gone).
    #[error("cancelled")]
    Cancelled,
    /// The device failed (out of memory, a launch error, a lost context).
    #[error("device: {0}")]
    Device(String),
}

/// Why a backend did not encode lanes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// The parameters are not valid, or the key is not a field element.
    #[error("invalid parameters")]
    InvalidParams,
    /// The lanes asked for do not fit in memory's address range.
    #[error("size overflow")]
    SizeOverflow,
    /// The device failed (an allocation, the launch, the copy back), in the driver's words.
    #[error("{0}")]
    Device(String),
}

/// The 64-bit limbs a native encoder writes for `n` lanes (two per block), once the key and the
/// parameters are checked: what the host kernel and the CUDA backend allocate before encoding.
pub(crate) fn encode_limbs(ek: u128, params: &Params, n: u32) -> Result<usize, EncodeError> {
    if !params.is_valid() || ek >= PRIME {
        return Err(EncodeError::InvalidParams);
    }
    (n as usize)
        .checked_mul(params.blocks_per_lane as usize)
        .and_then(|x| x.checked_mul(2))
        .ok_or(EncodeError::SizeOverflow)
}

/// A backend computing the slow direction.
pub trait Backend: Send + Sync {
    /// "cpu", "cuda", ...
    fn name(&self) -> &'static str;
    /// Blocks of lanes `lane0 .. lane0 + n`, lane-major (n · blocks_per_lane blocks).
    fn encode_lanes(
        &self,
        ek: u128,
        params: &Params,
        lane0: u32,
        n: u32,
    ) -> Result<Vec<u128>, EncodeError>;
    /// `rounds` slow Sloth rounds on every input (the kernel's bulk path, which the self-test
    /// checks bit for bit); stops early when `cancel` is set.
    fn slow_rounds(
        &self,
        inputs: &[u128],
        rounds: u32,
        cancel: &AtomicBool,
    ) -> Result<Vec<u128>, Cancelled>;
    /// The leaf of every row of C = A·B of the GEMM challenge with `seed` and `shape`
    /// (`loopin_pocps::gemm::leaves`); stops early when `cancel` is set.
    fn gemm(&self, seed: &Hash, shape: Shape, cancel: &AtomicBool)
    -> Result<Vec<Hash>, GemmFailed>;
}

/// Multi-threaded CPU backend (loopin-pocps' encoder, rayon).
#[derive(Debug, Default, Clone, Copy)]
pub struct CpuBackend;

impl Backend for CpuBackend {
    fn name(&self) -> &'static str {
        "cpu"
    }
    fn encode_lanes(
        &self,
        ek: u128,
        params: &Params,
        lane0: u32,
        n: u32,
    ) -> Result<Vec<u128>, EncodeError> {
        use rayon::prelude::*;
        Ok((lane0..lane0.saturating_add(n))
            .into_par_iter()
            .flat_map_iter(|l| encode_lane(ek, l, params))
            .collect())
    }
    fn slow_rounds(
        &self,
        inputs: &[u128],
        rounds: u32,
        cancel: &AtomicBool,
    ) -> Result<Vec<u128>, Cancelled> {
        use rayon::prelude::*;
        let out: Vec<Option<u128>> = inputs
            .par_iter()
            .map(|&x| {
                if cancel.load(Ordering::Relaxed) {
                    return None;
                }
                Some(loopin_pocps::encode::encode_block(x, rounds))
            })
            .collect();
        out.into_iter().collect::<Option<Vec<_>>>().ok_or(Cancelled)
    }
    fn gemm(
        &self,
        seed: &Hash,
        shape: Shape,
        cancel: &AtomicBool,
    ) -> Result<Vec<Hash>, GemmFailed> {
        loopin_pocps::gemm::leaves(seed, shape, cancel).ok_or(GemmFailed::Cancelled)
    }
}

pub(crate) fn split(v: u128) -> (u64, u64) {
    (v as u64, (v >> 64) as u64)
}

pub(crate) fn to_limbs(v: &[u128]) -> Vec<u64> {
    v.iter()
        .flat_map(|&x| {
            let (lo, hi) = split(x);
            [lo, hi]
        })
        .collect()
}

pub(crate) fn from_limbs(v: &[u64]) -> Vec<u128> {
    v.chunks_exact(2)
        .map(|c| c[0] as u128 | (c[1] as u128) << 64)
        .collect()
}

/// Inputs must be field elements (< p) for the kernels; loopin-pocps' inputs always are.
pub(crate) fn inputs_valid(inputs: &[u128]) -> bool {
    inputs.iter().all(|&x| x < PRIME)
}

mod ffi {
    unsafe extern "C" {
        pub fn loopin_encode_lanes_host(
            ek_lo: u64,
            ek_hi: u64,
            lane0: u32,
            n: u32,
            bpl: u32,
            rounds: u32,
            out: *mut u64,
        );
        pub fn loopin_throughput_host(inp: *const u64, n: u32, rounds: u32, out: *mut u64);
    }
}

/// The CUDA kernel source compiled for the host (single-threaded, for checking only).
#[derive(Debug, Default, Clone, Copy)]
pub struct HostKernel;

impl Backend for HostKernel {
    fn name(&self) -> &'static str {
        "host-kernel"
    }
    fn encode_lanes(
        &self,
        ek: u128,
        params: &Params,
        lane0: u32,
        n: u32,
    ) -> Result<Vec<u128>, EncodeError> {
        let len = encode_limbs(ek, params, n)?;
        let mut out = vec![0u64; len];
        let (lo, hi) = split(ek);
        // SAFETY: `out` holds 2·n·blocks_per_lane limbs, exactly what the C loop writes; it
        // outlives the call.
        unsafe {
            ffi::loopin_encode_lanes_host(
                lo,
                hi,
                lane0,
                n,
                params.blocks_per_lane,
                params.rounds,
                out.as_mut_ptr(),
            )
        };
        Ok(from_limbs(&out))
    }
    fn slow_rounds(
        &self,
        inputs: &[u128],
        rounds: u32,
        cancel: &AtomicBool,
    ) -> Result<Vec<u128>, Cancelled> {
        if !inputs_valid(inputs) || cancel.load(Ordering::Relaxed) {
            return Err(Cancelled);
        }
        let mut res = Vec::with_capacity(inputs.len());
        for chunk in inputs.chunks(1 << 16) {
            let inp = to_limbs(chunk);
            let mut out = vec![0u64; inp.len()];
            // SAFETY: both buffers hold 2·chunk.len() limbs, as the C loop expects.
            unsafe {
                ffi::loopin_throughput_host(
                    inp.as_ptr(),
                    chunk.len() as u32,
                    rounds,
                    out.as_mut_ptr(),
                )
            };
            res.extend(from_limbs(&out));
            if cancel.load(Ordering::Relaxed) {
                return Err(Cancelled);
            }
        }
        Ok(res)
    }
    fn gemm(
        &self,
        seed: &Hash,
        shape: Shape,
        cancel: &AtomicBool,
    ) -> Result<Vec<Hash>, GemmFailed> {
        // Bands of rows, as the GPU computes them; the cancel flag is read between bands.
        const BAND: u32 = 64;
        let mut out = Vec::with_capacity(shape.m as usize);
        let mut row0 = 0u32;
        while row0 < shape.m {
            if cancel.load(Ordering::Relaxed) {
                return Err(GemmFailed::Cancelled);
            }
            let rows = BAND.min(shape.m - row0);
            out.extend(gemm_host::leaves_host(seed, shape, u64::from(row0), rows));
            row0 += rows;
        }
        Ok(out)
    }
}

mod choose;
#[cfg(feature = "cuda")]
pub mod cuda;
mod error;
pub mod gemm_host;
pub mod selftest;

pub use choose::select;
pub use error::BackendError;
