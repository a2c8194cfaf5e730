//! The CUDA kernel source is bit-identical to the Rust CPU backend: checked through its host build
//! (always) and through NVRTC on a GPU (feature `cuda`, only when a driver and a GPU are present).

use loopin_pocps::encode::{CpuEncoder, Encoder, Params, derive_ek};
use loopin_pocps::field::{P, sloth_slow};
use loopin_pocps::proof::Prover;
use loopin_prover::backend::{Backend, CpuBackend, HostKernel};
use std::sync::atomic::AtomicBool;

const VECTORS: &str = include_str!("../../packages/pocps/tests/vectors.json");

fn h(s: &serde_json::Value) -> u128 {
    u128::from_str_radix(s.as_str().unwrap(), 16).unwrap()
}

/// Check a backend against the published vectors and the CPU backend.
fn check_backend(b: &dyn Backend) {
    let v: serde_json::Value = serde_json::from_str(VECTORS).unwrap();
    let params: Params = serde_json::from_value(v["params"].clone()).unwrap();
    let ek = derive_ek(b"fingerprint", "miner", "pool", b"randomness");
    assert_eq!(ek, h(&v["ek"]));
    let xs: Vec<u128> = v["sloth_inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(h)
        .collect();
    let ys: Vec<u128> = v["sloth_outputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(h)
        .collect();
    let no = AtomicBool::new(false);
    assert_eq!(
        b.throughput(&xs, 1, &no).unwrap(),
        ys,
        "{}: sloth vectors",
        b.name()
    );
    let blocks = b.encode_lanes(ek, &params, 0, params.lanes).unwrap();
    let want: Vec<u128> = v["blocks"].as_array().unwrap().iter().map(h).collect();
    assert_eq!(blocks, want, "{}: block vectors", b.name());
    let root = hex::encode(Prover::new(blocks, params).tree.root());
    assert_eq!(root, v["root"].as_str().unwrap());

    // Edge values of the field and a spread of others, several rounds.
    let mut xs: Vec<u128> = vec![
        0,
        1,
        2,
        3,
        P - 1,
        P - 2,
        P / 2,
        P / 2 + 1,
        1 << 64,
        (1 << 64) - 1,
        1 << 126,
        (1 << 127) - 2,
    ];
    let mut x = 0x1234_5678_9abc_def0_u128;
    for _ in 0..500 {
        x = x
            .wrapping_mul(0x2545_f491_4f6c_dd1d_2545_f491_4f6c_dd1d)
            .wrapping_add(0x9e37_79b9);
        xs.push(x % P);
    }
    for r in [1, 3] {
        let want: Vec<u128> = xs
            .iter()
            .map(|&x| (0..r).fold(x, |y, _| sloth_slow(y)))
            .collect();
        assert_eq!(
            b.throughput(&xs, r, &no).unwrap(),
            want,
            "{}: r = {r}",
            b.name()
        );
    }
    // A full P at the test parameters, from a lane offset too.
    let p = Params::TEST;
    let ek = derive_ek(b"gpu", "m", "p", b"r");
    assert_eq!(
        b.encode_lanes(ek, &p, 0, p.lanes).unwrap(),
        CpuEncoder.encode(ek, &p)
    );
    assert_eq!(
        b.encode_lanes(ek, &p, 2, 2).unwrap(),
        CpuBackend.encode_lanes(ek, &p, 2, 2).unwrap()
    );
}

#[test]
fn host_build_of_the_kernel_matches_vectors_and_cpu() {
    check_backend(&HostKernel);
    check_backend(&CpuBackend);
}

#[cfg(feature = "cuda")]
#[test]
fn cuda_kernel_matches_vectors_and_cpu_when_a_gpu_is_present() {
    use loopin_prover::backend::cuda::{CudaBackend, libraries_present};
    if !libraries_present() {
        eprintln!("SKIP: no libcuda/libnvrtc on this machine");
        return;
    }
    let b = match CudaBackend::new() {
        Ok(b) => b,
        Err(e) => {
            eprintln!("SKIP: CUDA present but unusable: {e}");
            return;
        }
    };
    eprintln!("GPU: {}", b.device());
    check_backend(&b);
    // A larger batch through the GPU.
    let xs: Vec<u128> = (0..1u64 << 16)
        .map(|j| loopin_pocps::proof::throughput_input(&[3; 32], &[4; 32], j))
        .collect();
    let no = AtomicBool::new(false);
    assert_eq!(
        b.throughput(&xs, 8, &no).unwrap(),
        CpuBackend.throughput(&xs, 8, &no).unwrap()
    );
}
