//! The GEMM throughput challenge (issue 22, "a GPU really measured"): integer matrix
//! multiplication C = A·B, int8 × int8 → int32, of matrices generated from the challenge's seed,
//! committed row by row under a Merkle root, and checked by Freivalds' test on rows the verifier
//! picks only after the root arrives.
//!
//! - **Exact**: integer arithmetic with i32 accumulation, as tensor cores do it (`k` is capped so
//!   no sum can overflow), so a CPU and any GPU agree bit for bit.
//! - **Cheap to check**: the verifier computes B·r once for a random vector r (k·n
//!   multiply-adds), then each opened row i costs n + k: `C[i]·r == A[i]·(B·r)`. A row that is
//!   wrong anywhere passes with probability at most 2^-32 (r's entries are uniform 32-bit
//!   values); a prover that computed only a fraction g of the rows passes `s` opened rows with
//!   probability about g^s.
//! - **Seeded, with random access**: A and Bᵀ come from the seed alone (SHA-256 in counter mode,
//!   32 bytes a block), so a prover generates them where it computes (nothing large crosses the
//!   network), any row of A costs k/32 hashes, and one entry C[i][j] needs only row i of A and
//!   row j of Bᵀ (column j of B), 2k/32 hashes.
//! - **Streamed**: [`leaves`] computes C a band of rows at a time and keeps only the row leaves,
//!   so the prover's memory is Bᵀ plus one band per thread, never C.
//!
//! What a pass shows and what it does not is in docs/pocps.md ("The GEMM throughput challenge").

use crate::merkle::{Hash, Tree, verify_path};
use sha2::{Digest, Sha256};
use std::sync::atomic::{AtomicBool, Ordering};

/// Largest inner dimension k: 128 · 128 · k stays below 2^31, so the i32 sums never overflow.
pub const MAX_INNER: u32 = 1 << 16;
const _: () = assert!(128 * 128 * (MAX_INNER as i64) <= i32::MAX as i64);
/// Largest n (columns of B and C).
pub const MAX_SIDE: u32 = 1 << 16;
/// Largest m (rows of A and C; the row tree's leaves).
pub const MAX_ROWS: u32 = 1 << 24;
/// Rows of C one task computes in [`leaves`] (one band of A in memory per thread).
const BAND: usize = 16;

/// The shape of one challenge: A is `m × k`, B is `k × n`, C is `m × n`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Shape {
    pub m: u32,
    pub k: u32,
    pub n: u32,
}

/// Why a GEMM answer was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum GemmError {
    #[error(
        "shape {m} x {k} x {n} is outside m in 1..={MAX_ROWS}, k in 1..={MAX_INNER}, n in 1..={MAX_SIDE}"
    )]
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
        let ok = (1..=MAX_ROWS).contains(&self.m)
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

    /// Bytes of Bᵀ (n × k int8), what a prover and a verifier hold at once.
    pub fn bt_bytes(&self) -> u64 {
        u64::from(self.k) * u64::from(self.n)
    }
}

/// The GEMM seed of a challenge: from the verifier's secret and the chain's randomness, as the
/// timed part's seed is, but not from that seed. The prover learns the timed seed when the timed
/// part starts (and, on a refused try, earlier still); from it nothing of this one follows, so the
/// product cannot be started before the verifier asks for it. The registry, which learns the
/// secret with the verdict, ties a recorded root to the challenge it answers.
///
/// `gemm_try` counts the verifier's tries: a prover whose card was busy with another verifier's
/// GEMM is asked again, on a fresh seed, so the refused try's seed is of no use to it.
pub fn challenge_seed(secret: &Hash, randomness: &[u8], gemm_try: u32) -> Hash {
    Sha256::new()
        .chain_update(b"loopin-pocps/gemm/seed")
        .chain_update(secret)
        .chain_update((randomness.len() as u64).to_le_bytes())
        .chain_update(randomness)
        .chain_update(gemm_try.to_le_bytes())
        .finalize()
        .into()
}

/// What the device signs over its commitment: the seed, the shape and the row root.
pub fn message(seed: &Hash, s: Shape, root: &Hash) -> Hash {
    Sha256::new()
        .chain_update(b"loopin-pocps/gemm/commit")
        .chain_update(seed)
        .chain_update(s.m.to_le_bytes())
        .chain_update(s.k.to_le_bytes())
        .chain_update(s.n.to_le_bytes())
        .chain_update(root)
        .finalize()
        .into()
}

/// Block `index` of the stream `tag` of `seed`: SHA-256(domain, tag, seed, index).
pub fn stream_block(seed: &Hash, tag: &[u8], index: u64) -> Hash {
    Sha256::new()
        .chain_update(b"loopin-pocps/gemm/")
        .chain_update(tag)
        .chain_update(seed)
        .chain_update(index.to_le_bytes())
        .finalize()
        .into()
}

/// Fills `out` with the stream `tag` of `seed` from byte `offset` on.
fn fill(seed: &Hash, tag: &[u8], offset: u64, out: &mut [i8]) {
    let mut pos = offset;
    let mut done = 0;
    while done < out.len() {
        let block = stream_block(seed, tag, pos / 32);
        let start = (pos % 32) as usize;
        let take = (32 - start).min(out.len() - done);
        for (o, &b) in out[done..done + take].iter_mut().zip(&block[start..]) {
            *o = b as i8;
        }
        done += take;
        pos += take as u64;
    }
}

/// Rows `row0 .. row0 + count` of A (row-major, `count × k`).
pub fn a_rows(seed: &Hash, s: Shape, row0: u64, count: usize) -> Vec<i8> {
    let k = s.k as usize;
    let mut out = vec![0i8; count * k];
    fill(seed, b"a", row0 * u64::from(s.k), &mut out);
    out
}

/// Bᵀ (row-major `n × k`: row j is column j of B).
pub fn bt(seed: &Hash, s: Shape) -> Vec<i8> {
    let mut out = vec![0i8; s.n as usize * s.k as usize];
    #[cfg(feature = "prover")]
    {
        use rayon::prelude::*;
        let k = s.k as usize;
        out.par_chunks_mut(k).enumerate().for_each(|(j, row)| {
            fill(seed, b"bt", j as u64 * k as u64, row);
        });
    }
    #[cfg(not(feature = "prover"))]
    fill(seed, b"bt", 0, &mut out);
    out
}

/// Rows `j0 .. j0 + count` of Bᵀ (columns of B), random access: what one entry of C needs.
pub fn bt_rows(seed: &Hash, s: Shape, j0: u64, count: usize) -> Vec<i8> {
    let k = s.k as usize;
    let mut out = vec![0i8; count * k];
    fill(seed, b"bt", j0 * u64::from(s.k), &mut out);
    out
}

/// A (m × k) and Bᵀ (n × k) in full (tests and small shapes).
pub fn inputs(seed: &Hash, s: Shape) -> (Vec<i8>, Vec<i8>) {
    (a_rows(seed, s, 0, s.m as usize), bt(seed, s))
}

pub(crate) fn dot(x: &[i8], y: &[i8]) -> i32 {
    x.iter()
        .zip(y)
        .map(|(&a, &b)| i32::from(a) * i32::from(b))
        .sum()
}

/// One row of C from its row of A and Bᵀ.
pub fn product_row(a_row: &[i8], bt: &[i8], s: Shape) -> Vec<i32> {
    let k = s.k as usize;
    bt.chunks_exact(k).map(|col| dot(a_row, col)).collect()
}

/// C = A·B, row-major m × n (the reference for tests and forged answers).
pub fn product(a: &[i8], bt: &[i8], s: Shape) -> Vec<i32> {
    a.chunks_exact(s.k as usize)
        .flat_map(|row| product_row(row, bt, s))
        .collect()
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

/// The commitment to a whole C: the Merkle tree of its row leaves.
pub fn commit(c: &[i32], s: Shape) -> Tree {
    let n = s.n as usize;
    Tree::new(
        c.chunks(n)
            .enumerate()
            .map(|(i, row)| row_leaf(i as u64, row))
            .collect(),
    )
}

/// The prover's work: the leaves of every row of C for `seed`, computed a band of rows at a time
/// (all cores with the `prover` feature). `None` once `cancel` is set, which is read before every
/// row: a prover too slow for its deadline stops within a row's work of it.
pub fn leaves(seed: &Hash, s: Shape, cancel: &AtomicBool) -> Option<Vec<Hash>> {
    let bt = bt(seed, s);
    let band = |b: usize| -> Option<Vec<Hash>> {
        let row0 = (b * BAND) as u64;
        let count = BAND.min(s.m as usize - b * BAND);
        let a = a_rows(seed, s, row0, count);
        a.chunks_exact(s.k as usize)
            .enumerate()
            .map(|(r, row)| {
                (!cancel.load(Ordering::Relaxed))
                    .then(|| row_leaf(row0 + r as u64, &product_row(row, &bt, s)))
            })
            .collect()
    };
    let bands = (s.m as usize).div_ceil(BAND);
    #[cfg(feature = "prover")]
    let out: Option<Vec<Vec<Hash>>> = {
        use rayon::prelude::*;
        (0..bands).into_par_iter().map(band).collect()
    };
    #[cfg(not(feature = "prover"))]
    let out: Option<Vec<Vec<Hash>>> = (0..bands).map(band).collect();
    out.map(|v| v.into_iter().flatten().collect())
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

/// The prover's openings of `rows` under `tree`, recomputed from the seed (Bᵀ once, then one row
/// of A each, rows in parallel with the `prover` feature): nothing of C is kept between the
/// commitment and the opening. `None` once `cancel` is set (read before every row).
pub fn open(
    seed: &Hash,
    s: Shape,
    tree: &Tree,
    rows: &[u64],
    cancel: &AtomicBool,
) -> Option<Vec<RowOpening>> {
    let bt = bt(seed, s);
    let one = |&i: &u64| {
        (!cancel.load(Ordering::Relaxed)).then(|| RowOpening {
            index: i,
            row: product_row(&a_rows(seed, s, i, 1), &bt, s),
            path: tree.path(i as usize),
        })
    };
    #[cfg(feature = "prover")]
    {
        use rayon::prelude::*;
        rows.par_iter().map(one).collect()
    }
    #[cfg(not(feature = "prover"))]
    rows.iter().map(one).collect()
}

/// Openings of `rows` of a C held whole (tests, and answers built from a forged C).
pub fn open_from(c: &[i32], s: Shape, tree: &Tree, rows: &[u64]) -> Vec<RowOpening> {
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
/// each row under the root, and `C[i]·r == A[i]·(B·r)` (Freivalds, exact in i128). Costs Bᵀ's
/// generation and k·n multiply-adds once, then n + k per opened row.
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
    let (k, n) = (s.k as usize, s.n as usize);
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
    }
    let bt = bt(seed, s);
    let r = projection(nonce, n);
    // B·r once: br[t] = Σ_j Bᵀ[j][t]·r_j (each term < 2^39, n ≤ 2^16 terms: fits i64).
    let mut br = vec![0i64; k];
    for (col, &x) in bt.chunks_exact(k).zip(&r) {
        for (acc, &y) in br.iter_mut().zip(col) {
            *acc += i64::from(y) * x;
        }
    }
    for (o, &row) in openings.iter().zip(&want) {
        let lhs: i128 = o
            .row
            .iter()
            .zip(&r)
            .map(|(&c, &x)| i128::from(c) * i128::from(x))
            .sum();
        let rhs: i128 = a_rows(seed, s, row, 1)
            .iter()
            .zip(&br)
            .map(|(&x, &y)| i128::from(x) * i128::from(y))
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
        (root, open_from(c, s, &tree, &picked))
    }

    #[test]
    fn an_honest_product_passes_and_matches_the_row_by_row_reference() {
        let seed = [5u8; 32];
        let (a, bt) = inputs(&seed, SHAPE);
        let c = product(&a, &bt, SHAPE);
        // A value checked by hand: C[2][3] = Σ_t A[2][t]·B[t][3], B[t][3] = Bᵀ[3][t].
        let c23: i32 = (0..96)
            .map(|t| i32::from(a[2 * 96 + t]) * i32::from(bt[3 * 96 + t]))
            .sum();
        assert_eq!(c[2 * 48 + 3], c23);
        // Random access: a band of A from row 17 is the same bytes as A in full.
        assert_eq!(a_rows(&seed, SHAPE, 17, 3), a[17 * 96..20 * 96].to_vec());
        // The streamed leaves are the leaves of the whole product.
        let tree = commit(&c, SHAPE);
        let streamed = leaves(&seed, SHAPE, &AtomicBool::new(false)).expect("not cancelled");
        assert_eq!(Tree::new(streamed).root(), tree.root());
        // The prover's recomputed openings are the openings of the whole product.
        let nonce = [9u8; 32];
        let picked = rows(&nonce, &tree.root(), SHAPE.m, 16);
        let recomputed = open(&seed, SHAPE, &tree, &picked, &AtomicBool::new(false)).unwrap();
        assert_eq!(recomputed, open_from(&c, SHAPE, &tree, &picked));
        assert_eq!(
            verify(&seed, SHAPE, &tree.root(), &nonce, 16, &recomputed),
            Ok(())
        );
        // A cancelled computation stops with nothing.
        assert_eq!(leaves(&seed, SHAPE, &AtomicBool::new(true)), None);
        assert_eq!(
            open(&seed, SHAPE, &tree, &picked, &AtomicBool::new(true)),
            None
        );
    }

    #[test]
    fn one_wrong_entry_in_an_opened_row_is_caught() {
        let seed = [6u8; 32];
        let (a, bt) = inputs(&seed, SHAPE);
        let mut c = product(&a, &bt, SHAPE);
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
        let (a, bt) = inputs(&seed, SHAPE);
        let mut c = product(&a, &bt, SHAPE);
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
                    &open_from(&c, SHAPE, &tree, &picked),
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
        let (a, bt) = inputs(&seed, SHAPE);
        let c = product(&a, &bt, SHAPE);
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
