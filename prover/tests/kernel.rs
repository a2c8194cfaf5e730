//! The CUDA kernel source is bit-identical to the Rust CPU backend: checked through its host build
//! (always) and through NVRTC on a GPU (feature `cuda`, only when a driver and a GPU are present;
//! `LOOPIN_REQUIRE_GPU=1`, as scripts/gpu-check.sh sets, makes a missing GPU a failure).

mod common;

use loopin_pocps::encode::Params;
use loopin_pocps::gemm::Shape;
use loopin_pocps::merkle::Hash;
use loopin_prover::backend::selftest::{self, check};
use loopin_prover::backend::{Backend, Cancelled, CpuBackend, EncodeError, GemmFailed, HostKernel};
use std::sync::atomic::AtomicBool;

#[test]
fn host_build_of_the_kernel_matches_vectors_and_cpu() {
    for b in [&HostKernel as &dyn Backend, &CpuBackend] {
        let checks = check(b).unwrap_or_else(|e| panic!("{}: {e}", b.name()));
        assert_eq!(checks.len(), 10, "{}: every check ran", b.name());
        let batch = &checks[6];
        assert_eq!(batch.values as u64, selftest::BATCH);
        assert_eq!(checks[7].name, "GEMM vector");
        assert_eq!(checks[8].values, 333, "every row of the edge shape");
    }
}

/// A backend that is right everywhere but one slow-round value in 2^16.
struct OneBitOff;

impl Backend for OneBitOff {
    fn name(&self) -> &'static str {
        "one-bit-off"
    }
    fn encode_lanes(
        &self,
        ek: u128,
        p: &Params,
        lane0: u32,
        n: u32,
    ) -> Result<Vec<u128>, EncodeError> {
        CpuBackend.encode_lanes(ek, p, lane0, n)
    }
    fn slow_rounds(&self, xs: &[u128], r: u32, c: &AtomicBool) -> Result<Vec<u128>, Cancelled> {
        let mut ys = CpuBackend.slow_rounds(xs, r, c)?;
        if ys.len() > 40_000 {
            ys[40_000] ^= 1;
        }
        Ok(ys)
    }
    fn gemm(&self, seed: &Hash, s: Shape, c: &AtomicBool) -> Result<Vec<Hash>, GemmFailed> {
        CpuBackend.gemm(seed, s, c)
    }
}

#[test]
fn the_self_test_finds_one_wrong_bit_in_the_large_batch() {
    let err = check(&OneBitOff).unwrap_err().to_string();
    assert!(
        err.starts_with("slow-round batch, r = 8: value 40000 is"),
        "{err}"
    );
}

/// A backend whose GEMM is right but for one row of 333 (an int32 sum wrapped, say).
const ONE_ROW_OFF: common::TamperedGemm = common::TamperedGemm {
    name: "one-row-off",
    tamper: |s, leaves| {
        if s.m == 333 {
            leaves[300][0] ^= 1;
        }
    },
};

#[test]
fn the_self_test_finds_one_wrong_gemm_row() {
    let err = check(&ONE_ROW_OFF).unwrap_err().to_string();
    assert_eq!(err, "GEMM 333 x 1027 x 129: row 300 differs");
}

#[cfg(feature = "cuda")]
#[test]
fn cuda_kernel_matches_vectors_and_cpu_when_a_gpu_is_present() {
    let Some(b) = loopin_prover::backend::cuda::for_tests() else {
        return;
    };
    let checks = check(&b).unwrap_or_else(|e| panic!("cuda: {e}"));
    assert_eq!(checks.len(), 10);
}
