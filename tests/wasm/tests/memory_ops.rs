//! The word-at-a-time memory.copy and memory.fill that replace binaryen's byte loops in every
//! artifact (scripts/wasm/, scripts/build-contracts.sh): the same bytes as Rust's own
//! `copy_within` and `fill` for every length, alignment and overlap in both directions, and the
//! same trap out of bounds. Runs `artifacts/test/memory_ops.wasm`, which the build assembles
//! from the very functions it puts in the contracts.

use loopin_wasm_tests::artifacts_dir;
use wasmer::{Instance, Module, Store, Value, imports};

struct Ops {
    store: Store,
    instance: Instance,
}

impl Ops {
    fn load() -> Self {
        let path = artifacts_dir().join("test/memory_ops.wasm");
        let wasm = std::fs::read(&path).unwrap_or_else(|err| {
            panic!(
                "{}: {err}; build it with scripts/build-contracts.sh",
                path.display()
            )
        });
        let mut store = Store::default();
        let module = Module::new(&store, wasm).expect("the module compiles");
        let instance = Instance::new(&mut store, &module, &imports! {}).expect("instantiates");
        Self { store, instance }
    }

    fn write(&mut self, bytes: &[u8]) {
        let memory = self.instance.exports.get_memory("memory").unwrap();
        memory.view(&self.store).write(0, bytes).unwrap();
    }

    fn read(&self, len: usize) -> Vec<u8> {
        let memory = self.instance.exports.get_memory("memory").unwrap();
        let mut bytes = vec![0u8; len];
        memory.view(&self.store).read(0, &mut bytes).unwrap();
        bytes
    }

    fn call(&mut self, name: &str, args: [i32; 3]) -> Result<(), String> {
        let function = self.instance.exports.get_function(name).unwrap();
        let args = args.map(Value::I32);
        function
            .call(&mut self.store, &args)
            .map(|_| ())
            .map_err(|err| err.to_string())
    }
}

/// The bytes 0..n in a deterministic, irregular order.
fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 131 + 7) as u8).collect()
}

#[test]
fn copies_equal_copy_within_for_every_overlap_alignment_and_length() {
    let mut ops = Ops::load();
    let area = 112;
    for len in 0..88usize {
        for src in 0..24usize {
            for dst in 0..24usize {
                let mut expected = pattern(area);
                ops.write(&expected);
                ops.call("copy", [dst as i32, src as i32, len as i32])
                    .unwrap_or_else(|err| panic!("dst {dst} src {src} len {len}: {err}"));
                expected.copy_within(src..src + len, dst);
                assert_eq!(ops.read(area), expected, "dst {dst} src {src} len {len}");
            }
        }
    }
}

#[test]
fn fills_equal_fill_for_every_alignment_length_and_value() {
    let mut ops = Ops::load();
    let area = 112;
    for len in 0..88usize {
        for dst in 0..12usize {
            for value in [0i32, 0x5a, 0xff, 0x1ab] {
                let mut expected = pattern(area);
                ops.write(&expected);
                ops.call("fill", [dst as i32, value, len as i32]).unwrap();
                expected[dst..dst + len].fill(value as u8);
                assert_eq!(
                    ops.read(area),
                    expected,
                    "dst {dst} value {value} len {len}"
                );
            }
        }
    }
}

#[test]
fn an_out_of_bounds_copy_or_fill_traps_and_writes_nothing() {
    let mut ops = Ops::load();
    let page = 65_536;
    ops.write(&pattern(64));
    // One size of each path: straight-line cases up to 32 bytes, the 32-byte steps beyond.
    for size in [1, 3, 8, 20, 40] {
        assert!(ops.call("copy", [page - size + 1, 0, size]).is_err());
        assert!(ops.call("copy", [0, page - size + 1, size]).is_err());
        assert!(
            ops.call("copy", [page - size + 1, page - size - 8, size])
                .is_err()
        );
        assert!(ops.call("fill", [page - size + 1, 1, size]).is_err());
    }
    // Copying or filling nothing still traps past the end.
    assert!(ops.call("copy", [page + 1, 0, 0]).is_err());
    assert!(ops.call("fill", [page + 1, 1, 0]).is_err());
    assert_eq!(ops.read(64), pattern(64));
    // Up to the last byte is in bounds.
    ops.call("copy", [page - 8, 0, 8]).unwrap();
    ops.call("fill", [page - 8, 1, 8]).unwrap();
}
