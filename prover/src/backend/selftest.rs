//! A backend's bit-exactness check against the published vectors and the CPU backend: what
//! `loopin-prover selftest` runs before a miner stakes a device, and what `tests/kernel.rs` runs
//! on the host build of the CUDA kernel on every CI run.

use super::{Backend, BackendError, CpuBackend};
use loopin_pocps::encode::{CpuEncoder, Encoder, Params, derive_ek};
use loopin_pocps::field::{P, sloth_slow};
use loopin_pocps::gemm::{self, Shape};
use loopin_pocps::merkle::{Hash, Tree};
use loopin_pocps::proof::{Prover, throughput_input};
use std::sync::atomic::AtomicBool;

/// The published vectors (`packages/pocps/tests/vectors.json`).
const VECTORS: &str = include_str!("../../../packages/pocps/tests/vectors.json");

/// Inputs of the large slow-round batch compared with the CPU backend.
pub const BATCH: u64 = 1 << 16;

/// What one check compared, for the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub name: String,
    /// Values compared.
    pub values: usize,
}

fn hex_u128(v: &serde_json::Value, what: &'static str) -> Result<u128, BackendError> {
    v.as_str()
        .and_then(|s| u128::from_str_radix(s, 16).ok())
        .ok_or(BackendError::NotHex(what))
}

fn hex_list(v: &serde_json::Value, key: &'static str) -> Result<Vec<u128>, BackendError> {
    v[key]
        .as_array()
        .ok_or(BackendError::MissingVector(key))?
        .iter()
        .map(|x| hex_u128(x, key))
        .collect()
}

fn same(
    name: &str,
    got: &[u128],
    want: &[u128],
    checks: &mut Vec<Check>,
) -> Result<(), BackendError> {
    if got.len() != want.len() {
        return Err(BackendError::Count {
            name: name.into(),
            got: got.len(),
            want: want.len(),
        });
    }
    if let Some(i) = got.iter().zip(want).position(|(a, b)| a != b) {
        return Err(BackendError::Value {
            name: name.into(),
            index: i,
            got: got[i],
            want: want[i],
        });
    }
    checks.push(Check {
        name: name.into(),
        values: got.len(),
    });
    Ok(())
}

/// Field edge values and a spread of 500 others.
fn edge_inputs() -> Vec<u128> {
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
    xs
}

/// Checks `b` bit for bit: the published Sloth and block vectors and the Merkle root of their P,
/// field edge values and 500 others at 1 and 3 rounds against the reference `sloth_slow`, a full
/// P at the test parameters (also from a lane offset), a batch of [`BATCH`] inputs at 8 slow
/// rounds against the CPU backend, and the GEMM challenge: the published root, and the leaves of
/// every row of a shape with edges (k not a multiple of 4, m not of the band) against the CPU.
/// Returns what was compared, or the first difference.
pub fn check(b: &dyn Backend) -> Result<Vec<Check>, BackendError> {
    let mut checks = Vec::new();
    let v: serde_json::Value = serde_json::from_str(VECTORS).map_err(BackendError::VectorsJson)?;
    check_vectors(b, &v, &mut checks)?;
    check_edges(b, &mut checks)?;
    check_test_params(b, &mut checks)?;
    check_batch(b, &mut checks)?;
    let seed = check_gemm_vector(b, &v["gemm"], &mut checks)?;
    check_gemm_shapes(b, &seed, &mut checks)?;
    Ok(checks)
}

/// `rounds` slow rounds of `xs` on `b`.
fn slow(b: &dyn Backend, xs: &[u128], rounds: u32) -> Result<Vec<u128>, BackendError> {
    b.slow_rounds(xs, rounds, &AtomicBool::new(false))
        .map_err(|error| BackendError::SlowRounds {
            backend: b.name(),
            error,
        })
}

/// Lanes `lane0 .. lane0 + n` of P on `b`.
fn lanes(
    b: &dyn Backend,
    ek: u128,
    p: &Params,
    lane0: u32,
    n: u32,
) -> Result<Vec<u128>, BackendError> {
    b.encode_lanes(ek, p, lane0, n)
        .map_err(BackendError::Encode)
}

/// The published Sloth and block vectors and the Merkle root of their P.
fn check_vectors(
    b: &dyn Backend,
    v: &serde_json::Value,
    checks: &mut Vec<Check>,
) -> Result<(), BackendError> {
    let params: Params =
        serde_json::from_value(v["params"].clone()).map_err(BackendError::VectorsJson)?;
    let ek = derive_ek(b"fingerprint", "miner", "pool", b"randomness");
    if ek != hex_u128(&v["ek"], "ek")? {
        return Err(BackendError::EkDiffers);
    }
    let (xs, ys) = (hex_list(v, "sloth_inputs")?, hex_list(v, "sloth_outputs")?);
    same("sloth vectors", &slow(b, &xs, 1)?, &ys, checks)?;
    let blocks = lanes(b, ek, &params, 0, params.lanes)?;
    same("block vectors", &blocks, &hex_list(v, "blocks")?, checks)?;
    let root = hex::encode(Prover::new(blocks, params).tree.root());
    if Some(root.as_str()) != v["root"].as_str() {
        return Err(BackendError::RootDiffers(root));
    }
    Ok(())
}

/// Field edge values and 500 others at 1 and 3 rounds against the reference `sloth_slow`.
fn check_edges(b: &dyn Backend, checks: &mut Vec<Check>) -> Result<(), BackendError> {
    let edges = edge_inputs();
    for r in [1, 3] {
        let want: Vec<u128> = edges
            .iter()
            .map(|&x| (0..r).fold(x, |y, _| sloth_slow(y)))
            .collect();
        same(
            &format!("edges, r = {r}"),
            &slow(b, &edges, r)?,
            &want,
            checks,
        )?;
    }
    Ok(())
}

/// A full P at the test parameters, and lanes from an offset, against the CPU.
fn check_test_params(b: &dyn Backend, checks: &mut Vec<Check>) -> Result<(), BackendError> {
    let p = Params::TEST;
    let ek = derive_ek(b"gpu", "m", "p", b"r");
    let full = lanes(b, ek, &p, 0, p.lanes)?;
    same(
        "P, test parameters",
        &full,
        &CpuEncoder.encode(ek, &p),
        checks,
    )?;
    same(
        "lanes 2..4",
        &lanes(b, ek, &p, 2, 2)?,
        &lanes(&CpuBackend, ek, &p, 2, 2)?,
        checks,
    )
}

/// A batch of [`BATCH`] inputs at 8 slow rounds against the CPU backend.
fn check_batch(b: &dyn Backend, checks: &mut Vec<Check>) -> Result<(), BackendError> {
    let batch: Vec<u128> = (0..BATCH)
        .map(|j| throughput_input(&[3; 32], &[4; 32], j))
        .collect();
    let cpu = CpuBackend
        .slow_rounds(&batch, 8, &AtomicBool::new(false))
        .map_err(BackendError::CpuSlowRounds)?;
    same(
        "slow-round batch, r = 8",
        &slow(b, &batch, 8)?,
        &cpu,
        checks,
    )
}

/// The GEMM on `b`: the leaves of the challenge with `seed` and `shape`.
fn gemm_on(b: &dyn Backend, seed: &Hash, shape: Shape) -> Result<Vec<Hash>, BackendError> {
    b.gemm(seed, shape, &AtomicBool::new(false))
        .map_err(|error| BackendError::Gemm {
            backend: b.name(),
            error,
        })
}

/// The published GEMM root (`g`, the vectors' "gemm"); returns its seed.
fn check_gemm_vector(
    b: &dyn Backend,
    g: &serde_json::Value,
    checks: &mut Vec<Check>,
) -> Result<Hash, BackendError> {
    let seed: Hash = hex::decode(g["seed"].as_str().unwrap_or_default())
        .ok()
        .and_then(|s| s.try_into().ok())
        .ok_or(BackendError::GemmSeed)?;
    let shape: Shape =
        serde_json::from_value(g["shape"].clone()).map_err(BackendError::GemmVectorJson)?;
    let leaves = gemm_on(b, &seed, shape)?;
    let root = hex::encode(Tree::new(leaves.clone()).root());
    if Some(root.as_str()) != g["root"].as_str() {
        return Err(BackendError::GemmRootDiffers(root));
    }
    checks.push(Check {
        name: "GEMM vector".into(),
        values: leaves.len(),
    });
    Ok(seed)
}

/// The leaves of every row of shapes with edges (k not a multiple of 4, m not of the band)
/// against the CPU.
fn check_gemm_shapes(
    b: &dyn Backend,
    seed: &Hash,
    checks: &mut Vec<Check>,
) -> Result<(), BackendError> {
    for shape in [
        Shape {
            m: 333,
            k: 1027,
            n: 129,
        },
        Shape { m: 5, k: 3, n: 1 },
    ] {
        let name = format!("GEMM {} x {} x {}", shape.m, shape.k, shape.n);
        let got = gemm_on(b, seed, shape)?;
        let want =
            gemm::leaves(seed, shape, &AtomicBool::new(false)).ok_or(BackendError::CpuGemm)?;
        if let Some(index) = (0..want.len()).find(|&i| got.get(i) != Some(&want[i])) {
            return Err(BackendError::Row { name, index });
        }
        if got.len() != want.len() {
            return Err(BackendError::RowCount {
                name,
                got: got.len(),
                want: want.len(),
            });
        }
        checks.push(Check {
            name,
            values: got.len(),
        });
    }
    Ok(())
}
