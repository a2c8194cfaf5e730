//! The CPU backend matches the published test vectors bit for bit (a CUDA backend must match them too).

use loopin_pocps::encode::{CpuEncoder, Encoder, Params, derive_ek};
use loopin_pocps::field::sloth_slow;
use loopin_pocps::proof::Prover;

fn h(s: &serde_json::Value) -> u128 {
    u128::from_str_radix(s.as_str().unwrap(), 16).unwrap()
}

#[test]
fn cpu_backend_matches_vectors() {
    let v: serde_json::Value = serde_json::from_str(include_str!("vectors.json")).unwrap();
    let params: Params = serde_json::from_value(v["params"].clone()).unwrap();
    let ek = derive_ek(b"fingerprint", "miner", "pool", b"randomness");
    assert_eq!(ek, h(&v["ek"]));
    for (x, y) in v["sloth_inputs"]
        .as_array()
        .unwrap()
        .iter()
        .zip(v["sloth_outputs"].as_array().unwrap())
    {
        assert_eq!(sloth_slow(h(x)), h(y));
    }
    let blocks = CpuEncoder.encode(ek, &params);
    let want: Vec<u128> = v["blocks"].as_array().unwrap().iter().map(h).collect();
    assert_eq!(blocks, want);
    let root: String = Prover::new(blocks, params)
        .tree
        .root()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(root, v["root"].as_str().unwrap());
}

/// The GEMM challenge's vector was computed from its definition by an independent script
/// (Python's hashlib, integer sums; docs/pocps.md): the streams, the products, the row leaves
/// and the tree agree with it.
#[test]
fn gemm_matches_its_vector() {
    use loopin_pocps::gemm::{Shape, leaves};
    use std::sync::atomic::AtomicBool;
    let v: serde_json::Value = serde_json::from_str(include_str!("vectors.json")).unwrap();
    let g = &v["gemm"];
    let seed: [u8; 32] = hex_bytes(g["seed"].as_str().unwrap()).try_into().unwrap();
    let shape: Shape = serde_json::from_value(g["shape"].clone()).unwrap();
    let root =
        loopin_pocps::merkle::Tree::new(leaves(&seed, shape, &AtomicBool::new(false)).unwrap())
            .root();
    assert_eq!(root.to_vec(), hex_bytes(g["root"].as_str().unwrap()));
}

fn hex_bytes(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}
