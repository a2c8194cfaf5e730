//! A backend's bit-exactness check against the published vectors and the CPU backend: what
//! `loopin-prover selftest` runs before a miner stakes a device, and what `tests/kernel.rs` runs
//! on the host build of the CUDA kernel on every CI run.

use super::{Backend, CpuBackend};
use loopin_pocps::encode::{CpuEncoder, Encoder, Params, derive_ek};
use loopin_pocps::field::{P, sloth_slow};
use loopin_pocps::gemm::{self, Shape};
use loopin_pocps::merkle::Tree;
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

fn hex_u128(v: &serde_json::Value, what: &str) -> Result<u128, String> {
    v.as_str()
        .and_then(|s| u128::from_str_radix(s, 16).ok())
        .ok_or_else(|| format!("vectors: {what} is not a hex number"))
}

fn hex_list(v: &serde_json::Value, key: &str) -> Result<Vec<u128>, String> {
    v[key]
        .as_array()
        .ok_or_else(|| format!("vectors: no {key}"))?
        .iter()
        .map(|x| hex_u128(x, key))
        .collect()
}

fn same(name: &str, got: &[u128], want: &[u128], checks: &mut Vec<Check>) -> Result<(), String> {
    if got.len() != want.len() {
        return Err(format!(
            "{name}: {} values, expected {}",
            got.len(),
            want.len()
        ));
    }
    if let Some(i) = got.iter().zip(want).position(|(a, b)| a != b) {
        return Err(format!(
            "{name}: value {i} is {:#x}, expected {:#x}",
            got[i], want[i]
        ));
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
pub fn check(b: &dyn Backend) -> Result<Vec<Check>, String> {
    let no = AtomicBool::new(false);
    let tp = |xs: &[u128], r: u32| {
        b.slow_rounds(xs, r, &no)
            .map_err(|e| format!("{}: slow rounds: {e}", b.name()))
    };
    let mut checks = Vec::new();
    let v: serde_json::Value =
        serde_json::from_str(VECTORS).map_err(|e| format!("vectors: {e}"))?;
    let params: Params =
        serde_json::from_value(v["params"].clone()).map_err(|e| format!("vectors: {e}"))?;
    let ek = derive_ek(b"fingerprint", "miner", "pool", b"randomness");
    if ek != hex_u128(&v["ek"], "ek")? {
        return Err("vectors: ek differs".into());
    }
    let (xs, ys) = (
        hex_list(&v, "sloth_inputs")?,
        hex_list(&v, "sloth_outputs")?,
    );
    same("sloth vectors", &tp(&xs, 1)?, &ys, &mut checks)?;
    let blocks = b.encode_lanes(ek, &params, 0, params.lanes)?;
    same(
        "block vectors",
        &blocks,
        &hex_list(&v, "blocks")?,
        &mut checks,
    )?;
    let root = hex::encode(Prover::new(blocks, params).tree.root());
    if Some(root.as_str()) != v["root"].as_str() {
        return Err(format!("vectors: root {root} differs"));
    }
    let edges = edge_inputs();
    for r in [1, 3] {
        let want: Vec<u128> = edges
            .iter()
            .map(|&x| (0..r).fold(x, |y, _| sloth_slow(y)))
            .collect();
        same(
            &format!("edges, r = {r}"),
            &tp(&edges, r)?,
            &want,
            &mut checks,
        )?;
    }
    let p = Params::TEST;
    let ek = derive_ek(b"gpu", "m", "p", b"r");
    let full = b.encode_lanes(ek, &p, 0, p.lanes)?;
    same(
        "P, test parameters",
        &full,
        &CpuEncoder.encode(ek, &p),
        &mut checks,
    )?;
    same(
        "lanes 2..4",
        &b.encode_lanes(ek, &p, 2, 2)?,
        &CpuBackend.encode_lanes(ek, &p, 2, 2)?,
        &mut checks,
    )?;
    let batch: Vec<u128> = (0..BATCH)
        .map(|j| throughput_input(&[3; 32], &[4; 32], j))
        .collect();
    let cpu = CpuBackend
        .slow_rounds(&batch, 8, &no)
        .map_err(|e| format!("cpu: {e}"))?;
    same(
        "slow-round batch, r = 8",
        &tp(&batch, 8)?,
        &cpu,
        &mut checks,
    )?;
    let g = &v["gemm"];
    let seed: [u8; 32] = hex::decode(g["seed"].as_str().unwrap_or_default())
        .ok()
        .and_then(|s| s.try_into().ok())
        .ok_or("vectors: gemm seed")?;
    let shape: Shape =
        serde_json::from_value(g["shape"].clone()).map_err(|e| format!("vectors: gemm: {e}"))?;
    let leaves = b
        .gemm(&seed, shape, &no)
        .map_err(|e| format!("{}: gemm: {e}", b.name()))?;
    let root = hex::encode(Tree::new(leaves.clone()).root());
    if Some(root.as_str()) != g["root"].as_str() {
        return Err(format!("GEMM vector: root {root} differs"));
    }
    checks.push(Check {
        name: "GEMM vector".into(),
        values: leaves.len(),
    });
    for shape in [
        Shape {
            m: 333,
            k: 1027,
            n: 129,
        },
        Shape { m: 5, k: 3, n: 1 },
    ] {
        let name = format!("GEMM {} x {} x {}", shape.m, shape.k, shape.n);
        let got = b
            .gemm(&seed, shape, &no)
            .map_err(|e| format!("{}: gemm: {e}", b.name()))?;
        let want = gemm::leaves(&seed, shape, &no).ok_or("cpu: gemm cancelled")?;
        if let Some(i) = (0..want.len()).find(|&i| got.get(i) != Some(&want[i])) {
            return Err(format!("{name}: row {i} differs"));
        }
        if got.len() != want.len() {
            return Err(format!(
                "{name}: {} rows, expected {}",
                got.len(),
                want.len()
            ));
        }
        checks.push(Check {
            name,
            values: got.len(),
        });
    }
    Ok(checks)
}
