//! P on disk: resumable init, checksums, refusal of corrupt or foreign data.

mod common;
use common::*;
use loopin_pocps::encode::{CpuEncoder, Encoder};
use loopin_prover::backend::CpuBackend;
use loopin_prover::storage::{self, StorageError};

#[test]
fn interrupted_init_resumes_where_it_stopped() {
    let dir = tempfile::tempdir().unwrap();
    // Stop after two one-lane chunks.
    let mut calls = 0;
    let r = storage::init(
        dir.path(),
        ek(20),
        &PARAMS,
        &CpuBackend,
        1,
        &mut |done, _| {
            calls += 1;
            done < 2
        },
    );
    assert!(matches!(r, Err(StorageError::Interrupted)));
    assert!(matches!(
        storage::load(dir.path()),
        Err(StorageError::Incomplete { done: 2, total: 4 })
    ));
    let r = storage::init(dir.path(), ek(20), &PARAMS, &CpuBackend, 1, &mut |_, _| {
        true
    })
    .unwrap();
    assert_eq!((r.reused_lanes, r.encoded_lanes), (2, 2));
    let l = storage::load(dir.path()).unwrap();
    assert_eq!(l.prover.blocks, CpuEncoder.encode(ek(20), &PARAMS));
    assert_eq!(l.prover.tree.root(), r.root);
    assert_eq!(l.ek, ek(20));
}

#[test]
fn corrupt_or_foreign_p_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    storage::init(dir.path(), ek(21), &PARAMS, &CpuBackend, 2, &mut |_, _| {
        true
    })
    .unwrap();
    // Another identity cannot reuse this directory.
    let r = storage::init(dir.path(), ek(22), &PARAMS, &CpuBackend, 2, &mut |_, _| {
        true
    });
    assert!(matches!(r, Err(StorageError::Mismatch(_))));
    // Flip one bit of P: load refuses it, and so does a resume (no silent reuse).
    let p = storage::blocks_path(dir.path());
    let mut b = std::fs::read(&p).unwrap();
    b[16 * 600 + 3] ^= 4;
    std::fs::write(&p, &b).unwrap();
    assert!(matches!(
        storage::load(dir.path()),
        Err(StorageError::Checksum(1))
    ));
    let r = storage::init(dir.path(), ek(21), &PARAMS, &CpuBackend, 2, &mut |_, _| {
        true
    });
    assert!(matches!(r, Err(StorageError::Checksum(1))));
    // Garbage metadata is an error, not a panic.
    std::fs::write(storage::meta_path(dir.path()), b"{not json").unwrap();
    assert!(matches!(
        storage::load(dir.path()),
        Err(StorageError::Meta(..))
    ));
}
