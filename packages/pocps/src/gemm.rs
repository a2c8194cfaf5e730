//! The GEMM throughput challenge (issue 22, "a GPU really measured"), its core: integer matrix
//! multiplication C = A·B, int8 × int8 → int32, of matrices generated from the verifier's seed,
//! committed row by row under a Merkle root, and checked by Freivalds' test on rows the verifier
//! picks only after the root arrives.
//!
//! - **Exact**: integer arithmetic with i32 accumulation, as tensor cores do it (`k` is capped so
//!   no sum can overflow), so a CPU and any GPU agree bit for bit.
//! - **Cheap to check**: the verifier computes B·r once for a random vector r (k·n
//!   multiply-adds), then each opened row i costs n + k: `C[i]·r == A[i]·(B·r)`. A row that is
//!   wrong anywhere passes with probability at most 2^-32 (r's entries are uniform 32-bit
//!   values); a prover that computed only a fraction g of the rows passes `s` opened rows with
//!   probability g^s.
//! - **Seeded**: A and B come from the seed alone (SHA-256 in counter mode), so the prover can
//!   generate them on the device and nothing large crosses the network.
//!
//! What is not here yet: the prover's RPC and GPU kernel, the verifier agents running it, the
//! registry recording its verdict, and per-class sizes and deadlines from measured rates.

use crate::merkle::{Hash, Tree, verify_path};
use sha2::{Digest, Sha256};

/// Largest inner dimension: 128 · 128 · k stays below 2^31, so the i32 sums never overflow.
pub const MAX_INNER: u32 = 1 << 16;
const _: () = assert!(128 * 128 * (MAX_INNER as i64) <= i32::MAX as i64);
/// Largest matrix side accepted (rows of C, columns of B).
pub const MAX_SIDE: u32 = 1 << 16;

/// The shape of one challenge: A is `m × k`, B is `k × n`, C is `m × n`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    pub m: u32,
    pub k: u32,
    pub n: u32,
}

/// Why a GEMM answer was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum GemmError {
    #[error("shape {m} x {k} x {n} is outside 1..={MAX_SIDE} (inner at most {MAX_INNER})")]
    BadShape { m: u32, k: u32, n: u32 },
    #[error("{got} openings, {expected} asked for")]
    WrongCount { expected: usize, got: usize },
    #[error("opening {position} is row {got}, not row {expected}")]
    WrongRow {
        position: usize,
        expected: u64,
        got: u64,
    },
    #[error("row {row} has {got} entries, not {expected}")]
    RowLength {
        row: u64,
        expected: usize,
        got: usize,
    },
    #[error("row {row} is not under the committed root")]
    BadPath { row: u64 },
    #[error("row {row} is not row {row} of A·B")]
    WrongProduct { row: u64 },
}

impl Shape {
    pub fn check(&self) -> Result<(), GemmError> {
        let ok = (1..=MAX_SIDE).contains(&self.m)
            && (1..=MAX_INNER).contains(&self.k)
            && (1..=MAX_SIDE).contains(&self.n);
        if ok {
            Ok(())
        } else {
            Err(GemmError::BadShape {
                m: self.m,
                k: self.k,
                n: self.n,
            })
        }
    }

    /// Multiply-adds of the product: m · k · n.
    pub fn work(&self) -> u64 {
        u64::from(self.m) * u64::from(self.k) * u64::from(self.n)
    }
}

/// `len` int8 values from `seed` under `tag`: SHA-256(tag, seed, counter), 32 bytes a block.
fn stream(seed: &Hash, tag: &[u8], len: usize) -> Vec<i8> {
    let mut out = Vec::with_capacity(len);
    let mut counter = 0u64;
    while out.len() < len {
        let block: Hash = Sha256::new()
            .chain_update(b"loopin-pocps/gemm/")
            .chain_update(tag)
            .chain_update(seed)
            .chain_update(counter.to_le_bytes())
            .finalize()
            .into();
        out.extend(block.iter().map(|&b| b as i8));
        counter += 1;
    }
    out.truncate(len);
    out
}

/// A (row-major, m × k) and B (row-major, k × n) of the challenge with `seed`.
pub fn inputs(seed: &Hash, s: Shape) -> (Vec<i8>, Vec<i8>) {
    (
        stream(seed, b"a", s.m as usize * s.k as usize),
        stream(seed, b"b", s.k as usize * s.n as usize),
    )
}

/// Row `i` of C = A·B (the reference the CPU backend and the tests use).
pub fn product_row(a: &[i8], b: &[i8], s: Shape, i: usize) -> Vec<i32> {
    let (k, n) = (s.k as usize, s.n as usize);
    let mut row = vec![0i32; n];
    for (t, &x) in a[i * k..(i + 1) * k].iter().enumerate() {
        let x = i32::from(x);
        for (c, &y) in row.iter_mut().zip(&b[t * n..(t + 1) * n]) {
            *c += x * i32::from(y);
        }
    }
    row
}

/// C = A·B, row-major m × n (the CPU reference; rows in parallel with the `prover` feature).
pub fn product(a: &[i8], b: &[i8], s: Shape) -> Vec<i32> {
    #[cfg(feature = "prover")]
    {
        use rayon::prelude::*;
        (0..s.m as usize)
            .into_par_iter()
            .flat_map_iter(|i| product_row(a, b, s, i))
            .collect()
    }
    #[cfg(not(feature = "prover"))]
    {
        (0..s.m as usize)
            .flat_map(|i| product_row(a, b, s, i))
            .collect()
    }
}

/// The leaf of row `i` of C: its index and its entries, little-endian.
pub fn row_leaf(i: u64, row: &[i32]) -> Hash {
    let mut h = Sha256::new();
    h.update([2u8]);
    h.update(i.to_le_bytes());
    for v in row {
        h.update(v.to_le_bytes());
    }
    h.finalize().into()
}

/// The commitment to C: the Merkle tree of its row leaves.
pub fn commit(c: &[i32], s: Shape) -> Tree {
    let n = s.n as usize;
    Tree::new(
        c.chunks(n)
            .enumerate()
            .map(|(i, row)| row_leaf(i as u64, row))
            .collect(),
    )
}

/// The `count` rows the verifier opens, from its `nonce` (drawn after the root arrived) and the
/// root: distinct while `count` ≤ m.
pub fn rows(nonce: &Hash, root: &Hash, m: u32, count: u32) -> Vec<u64> {
    if count >= m {
        return (0..u64::from(m)).collect();
    }
    let mut out: Vec<u64> = Vec::with_capacity(count as usize);
    let mut j = 0u64;
    while out.len() < count as usize {
        let h: Hash = Sha256::new()
            .chain_update(b"loopin-pocps/gemm/rows")
            .chain_update(nonce)
            .chain_update(root)
            .chain_update(j.to_le_bytes())
            .finalize()
            .into();
        let mut x = [0u8; 8];
        x.copy_from_slice(&h[..8]);
        let row = u64::from_le_bytes(x) % u64::from(m);
        if !out.contains(&row) {
            out.push(row);
        }
        j += 1;
    }
    out
}

/// One opened row of C with its Merkle path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowOpening {
    pub index: u64,
    pub row: Vec<i32>,
    pub path: Vec<Hash>,
}

/// The prover's openings of `rows` of C under `tree`.
pub fn open(c: &[i32], s: Shape, tree: &Tree, rows: &[u64]) -> Vec<RowOpening> {
    let n = s.n as usize;
    rows.iter()
        .map(|&i| RowOpening {
            index: i,
            row: c[i as usize * n..(i as usize + 1) * n].to_vec(),
            path: tree.path(i as usize),
        })
        .collect()
}

/// The verifier's random vector r (n entries, uniform 32-bit) from its nonce.
fn projection(nonce: &Hash, n: usize) -> Vec<i64> {
    let mut out = Vec::with_capacity(n);
    let mut counter = 0u64;
    while out.len() < n {
        let block: Hash = Sha256::new()
            .chain_update(b"loopin-pocps/gemm/r")
            .chain_update(nonce)
            .chain_update(counter.to_le_bytes())
            .finalize()
            .into();
        out.extend(
            block
                .chunks(4)
                .map(|c| i64::from(u32::from_le_bytes([c[0], c[1], c[2], c[3]]))),
        );
        counter += 1;
    }
    out.truncate(n);
    out
}

/// Checks the openings of the rows `nonce` picks under `root` against A·B for `seed`:
/// each row under the root, and `C[i]·r == A[i]·(B·r)` (Freivalds, exact in i128).
pub fn verify(
    seed: &Hash,
    s: Shape,
    root: &Hash,
    nonce: &Hash,
    count: u32,
    openings: &[RowOpening],
) -> Result<(), GemmError> {
    s.check()?;
    let want = rows(nonce, root, s.m, count);
    if openings.len() != want.len() {
        return Err(GemmError::WrongCount {
            expected: want.len(),
            got: openings.len(),
        });
    }
    let (a, b) = inputs(seed, s);
    let (k, n) = (s.k as usize, s.n as usize);
    let r = projection(nonce, n);
    // B·r once: k entries.
    let br: Vec<i128> = (0..k)
        .map(|t| {
            b[t * n..(t + 1) * n]
                .iter()
                .zip(&r)
                .map(|(&y, &x)| i128::from(y) * i128::from(x))
                .sum()
        })
        .collect();
    for (position, (o, &row)) in openings.iter().zip(&want).enumerate() {
        if o.index != row {
            return Err(GemmError::WrongRow {
                position,
                expected: row,
                got: o.index,
            });
        }
        if o.row.len() != n {
            return Err(GemmError::RowLength {
                row,
                expected: n,
                got: o.row.len(),
            });
        }
        if !verify_path(root, row_leaf(row, &o.row), row, &o.path) {
            return Err(GemmError::BadPath { row });
        }
        let lhs: i128 = o
            .row
            .iter()
            .zip(&r)
            .map(|(&c, &x)| i128::from(c) * i128::from(x))
            .sum();
        let i = row as usize;
        let rhs: i128 = a[i * k..(i + 1) * k]
            .iter()
            .zip(&br)
            .map(|(&x, &y)| i128::from(x) * y)
            .sum();
        if lhs != rhs {
            return Err(GemmError::WrongProduct { row });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHAPE: Shape = Shape {
        m: 64,
        k: 96,
        n: 48,
    };

    fn answer(s: Shape, c: &[i32], nonce: &Hash, count: u32) -> (Hash, Vec<RowOpening>) {
        let tree = commit(c, s);
        let root = tree.root();
        let picked = rows(nonce, &root, s.m, count);
        (root, open(c, s, &tree, &picked))
    }

    #[test]
    fn an_honest_product_passes_and_matches_the_row_by_row_reference() {
        let seed = [5u8; 32];
        let (a, b) = inputs(&seed, SHAPE);
        let c = product(&a, &b, SHAPE);
        for i in [0, 17, 63] {
            assert_eq!(
                &c[i * 48..(i + 1) * 48],
                product_row(&a, &b, SHAPE, i).as_slice()
            );
        }
        // A value checked by hand: C[0][0] = Σ_t A[0][t]·B[t][0].
        let c00: i32 = (0..96)
            .map(|t| i32::from(a[t]) * i32::from(b[t * 48]))
            .sum();
        assert_eq!(c[0], c00);
        let nonce = [9u8; 32];
        let (root, openings) = answer(SHAPE, &c, &nonce, 16);
        assert_eq!(verify(&seed, SHAPE, &root, &nonce, 16, &openings), Ok(()));
    }

    #[test]
    fn one_wrong_entry_in_an_opened_row_is_caught() {
        let seed = [6u8; 32];
        let (a, b) = inputs(&seed, SHAPE);
        let mut c = product(&a, &b, SHAPE);
        let nonce = [1u8; 32];
        // Corrupt one entry of a row the verifier will open (the prover commits to it).
        let root = commit(&c, SHAPE).root();
        let victim = rows(&nonce, &root, SHAPE.m, 16)[3];
        c[victim as usize * 48 + 7] += 1;
        let (root, openings) = answer(SHAPE, &c, &nonce, 16);
        let picked = rows(&nonce, &root, SHAPE.m, 16);
        let bad = picked
            .iter()
            .copied()
            .find(|&r| r == victim)
            .map(|r| GemmError::WrongProduct { row: r });
        let got = verify(&seed, SHAPE, &root, &nonce, 16, &openings);
        match bad {
            Some(e) => assert_eq!(got, Err(e)),
            // The new root picked other rows: the lie went unopened this time.
            None => assert_eq!(got, Ok(())),
        }
        // Every row opened: a wrong entry anywhere is caught.
        let all = rows(&nonce, &root, SHAPE.m, SHAPE.m);
        assert_eq!(all.len(), 64);
        let (root, openings) = answer(SHAPE, &c, &nonce, SHAPE.m);
        assert_eq!(
            verify(&seed, SHAPE, &root, &nonce, SHAPE.m, &openings),
            Err(GemmError::WrongProduct { row: victim })
        );
    }

    #[test]
    fn a_prover_that_skips_rows_passes_about_g_to_the_s() {
        // Half the rows computed, the rest zero: 8 opened rows pass about 2^-8 of the time.
        let seed = [7u8; 32];
        let (a, b) = inputs(&seed, SHAPE);
        let mut c = product(&a, &b, SHAPE);
        for i in (1..64).step_by(2) {
            c[i * 48..(i + 1) * 48].fill(0);
        }
        let tree = commit(&c, SHAPE);
        let root = tree.root();
        let tries = 2_000u32;
        let passed = (0..tries)
            .filter(|&t| {
                let nonce: Hash = Sha256::digest(t.to_le_bytes()).into();
                let picked = rows(&nonce, &root, SHAPE.m, 8);
                verify(
                    &seed,
                    SHAPE,
                    &root,
                    &nonce,
                    8,
                    &open(&c, SHAPE, &tree, &picked),
                )
                .is_ok()
            })
            .count();
        // Drawn without replacement from 32 good of 64: (32 choose 8)/(64 choose 8) ≈ 0.0024.
        assert!(passed <= 20, "{passed} of {tries}");
    }

    #[test]
    fn malformed_answers_are_refused_with_a_reason() {
        let seed = [8u8; 32];
        let (a, b) = inputs(&seed, SHAPE);
        let c = product(&a, &b, SHAPE);
        let nonce = [2u8; 32];
        let (root, mut openings) = answer(SHAPE, &c, &nonce, 4);
        assert_eq!(
            verify(&seed, SHAPE, &root, &nonce, 5, &openings),
            Err(GemmError::WrongCount {
                expected: 5,
                got: 4
            })
        );
        let mut swapped = openings.clone();
        swapped.swap(0, 1);
        assert!(matches!(
            verify(&seed, SHAPE, &root, &nonce, 4, &swapped),
            Err(GemmError::WrongRow { position: 0, .. })
        ));
        openings[2].row.pop();
        assert!(matches!(
            verify(&seed, SHAPE, &root, &nonce, 4, &openings),
            Err(GemmError::RowLength { .. })
        ));
        openings[2].row.push(0);
        assert!(matches!(
            verify(&seed, SHAPE, &root, &nonce, 4, &openings),
            Err(GemmError::BadPath { .. })
        ));
        let huge = Shape {
            m: 4,
            k: MAX_INNER + 1,
            n: 4,
        };
        assert!(matches!(
            verify(&seed, huge, &root, &nonce, 4, &openings),
            Err(GemmError::BadShape { .. })
        ));
    }
}
