//! Prints the published test vectors (tests/vectors.json) from the CPU backend, all but the GEMM
//! vector, which an independent script computed from the challenge's definition (docs/pocps.md)
//! and `tests/vectors.rs` checks.
use loopin_pocps::encode::{CpuEncoder, Encoder, Params, derive_ek};
use loopin_pocps::field::sloth_slow;

fn main() {
    let params = Params {
        lanes: 2,
        blocks_per_lane: 8,
        rounds: 3,
        blocks_per_leaf: 4,
    };
    let ek = derive_ek(b"fingerprint", "miner", "pool", b"randomness");
    let blocks = CpuEncoder.encode(ek, &params);
    let prover = loopin_pocps::proof::Prover::new(blocks.clone(), params);
    let hexs = |v: &[u128]| {
        v.iter()
            .map(|b| format!("\"{b:032x}\""))
            .collect::<Vec<_>>()
            .join(",")
    };
    let sloth: Vec<u128> = [0u128, 1, 2, 12345, (1 << 126) + 7]
        .iter()
        .map(|&x| sloth_slow(x))
        .collect();
    println!(
        "{{\"params\":{{\"lanes\":2,\"blocks_per_lane\":8,\"rounds\":3,\"blocks_per_leaf\":4}},\n\"ek\":\"{ek:032x}\",\n\"sloth_inputs\":[\"0\",\"1\",\"2\",\"3039\",\"{:x}\"],\n\"sloth_outputs\":[{}],\n\"blocks\":[{}],\n\"root\":\"{}\"}}",
        (1u128 << 126) + 7,
        hexs(&sloth),
        hexs(&blocks),
        prover
            .tree
            .root()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
}
