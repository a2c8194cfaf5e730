//! Audits of a recorded GEMM root: what anyone can prove on chain about a Pass's throughput part.
//!
//! A Pass records the root the device signed over the rows of C = A·B for the challenge's GEMM
//! seed. The verifier that submitted it checked opened rows by Freivalds' test, but nothing on
//! chain did: a verifier colluding with a device that has no GPU can pass any root. An audit asks
//! for one row of C as committed, at up to [`MAX_AUDIT_COLS`] columns the auditor names; the
//! chain checks the row is the committed one (its leaf under the root) and recomputes each named
//! entry from the seed alone: row i of A and row j of Bᵀ, 2k/32 hashes and k multiply-adds each,
//! never the whole of B.
//!
//! - A root the device did not compute (a GPU-less device, a garbage root) has wrong entries
//!   almost everywhere: one audited entry exposes it.
//! - A device that computed C answers any row by computing C again (about one GEMM of its class
//!   on its card), so an honest device can always answer. Answering needs the whole tree of row
//!   leaves, i.e. the whole of C, within the answer window: a device that cannot compute the
//!   product in that time cannot show even a right row.

use crate::gemm::{GemmError, Shape, a_rows, bt_rows, dot, row_leaf};
use crate::merkle::{Hash, verify_path};
use sha2::{Digest, Sha256};

/// Most columns one audit names: bounds what the chain recomputes (each costs 2k/32 hashes).
pub const MAX_AUDIT_COLS: usize = 4;

/// The cells an audit asks for are not a valid request.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CellsError {
    #[error("an audit names 1..={MAX_AUDIT_COLS} columns, got {got}")]
    Count { got: usize },
    #[error("column {col} is named twice")]
    Repeated { col: u32 },
    #[error("cell ({row}, {col}) is outside C's {m} x {n}")]
    OutOfRange { row: u64, col: u32, m: u32, n: u32 },
}

/// An entry of C the device committed that is not the product's.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("C[{row}][{col}] is committed as {committed}, A·B gives {product}")]
pub struct EntryFault {
    pub row: u64,
    pub col: u32,
    pub committed: i32,
    pub product: i32,
}

/// Checks that `(row, cols)` names 1..=[`MAX_AUDIT_COLS`] distinct cells of C.
pub fn check_cells(s: Shape, row: u64, cols: &[u32]) -> Result<(), CellsError> {
    if cols.is_empty() || cols.len() > MAX_AUDIT_COLS {
        return Err(CellsError::Count { got: cols.len() });
    }
    for (i, &col) in cols.iter().enumerate() {
        if row >= u64::from(s.m) || col >= s.n {
            return Err(CellsError::OutOfRange {
                row,
                col,
                m: s.m,
                n: s.n,
            });
        }
        if cols[..i].contains(&col) {
            return Err(CellsError::Repeated { col });
        }
    }
    Ok(())
}

/// The cells an open audit asks for, drawn from `randomness` the auditor could not choose (the
/// registry's beacon after the audit was opened): one row and `min(MAX_AUDIT_COLS, n)` distinct
/// columns. An auditor naming its own cells could name rows a cheater computed right on
/// purpose, and fill the Pass's audits with them.
pub fn draw_cells(randomness: &Hash, s: Shape) -> (u64, Vec<u32>) {
    let word = |counter: u64| -> u64 {
        let h: Hash = Sha256::new()
            .chain_update(b"loopin-pocps/gemm/audit-cells")
            .chain_update(randomness)
            .chain_update(counter.to_le_bytes())
            .finalize()
            .into();
        u64::from_le_bytes(h[..8].try_into().unwrap_or_default())
    };
    let row = word(0) % u64::from(s.m.max(1));
    let want = MAX_AUDIT_COLS.min(s.n as usize);
    let mut cols: Vec<u32> = Vec::with_capacity(want);
    let mut counter = 1;
    while cols.len() < want {
        let col = (word(counter) % u64::from(s.n)) as u32;
        if !cols.contains(&col) {
            cols.push(col);
        }
        counter += 1;
    }
    (row, cols)
}

/// Entry C[row][col] of the product for `seed`, from one row of A and one of Bᵀ.
pub fn entry(seed: &Hash, s: Shape, row: u64, col: u32) -> i32 {
    dot(
        &a_rows(seed, s, row, 1),
        &bt_rows(seed, s, u64::from(col), 1),
    )
}

/// A row of C as bytes (each entry i32 little-endian, as its leaf hashes it).
pub fn row_bytes(row: &[i32]) -> Vec<u8> {
    row.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// The row in `bytes` ([`row_bytes`]); `None` unless a whole number of entries.
pub fn row_from_bytes(bytes: &[u8]) -> Option<Vec<i32>> {
    if !bytes.len().is_multiple_of(4) {
        return None;
    }
    Some(
        bytes
            .chunks_exact(4)
            .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect(),
    )
}

/// Judges row `row` of C as shown (`entries` with its Merkle `path`) against the signed `root`,
/// at the audited `cols` (checked with [`check_cells`] first). An error when the row shown is
/// not the committed one (wrong length, not under the root): it proves nothing either way.
/// `Ok(None)` when every named entry is the product's; else the first wrong one.
pub fn judge_row(
    seed: &Hash,
    s: Shape,
    root: &Hash,
    row: u64,
    cols: &[u32],
    entries: &[i32],
    path: &[Hash],
) -> Result<Option<EntryFault>, GemmError> {
    s.check()?;
    if entries.len() != s.n as usize {
        return Err(GemmError::RowLength {
            row,
            expected: s.n as usize,
            got: entries.len(),
        });
    }
    if !verify_path(root, row_leaf(row, entries), row, path) {
        return Err(GemmError::BadPath { row });
    }
    let a = a_rows(seed, s, row, 1);
    for &col in cols {
        let product = dot(&a, &bt_rows(seed, s, u64::from(col), 1));
        let committed = entries[col as usize];
        if committed != product {
            return Ok(Some(EntryFault {
                row,
                col,
                committed,
                product,
            }));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gemm::{commit, inputs, product};
    use crate::merkle::Tree;

    const SHAPE: Shape = Shape {
        m: 32,
        k: 80,
        n: 24,
    };

    fn honest(seed: &Hash) -> (Vec<i32>, Tree) {
        let (a, bt) = inputs(seed, SHAPE);
        let c = product(&a, &bt, SHAPE);
        let tree = commit(&c, SHAPE);
        (c, tree)
    }

    fn row(c: &[i32], i: u64) -> Vec<i32> {
        let n = SHAPE.n as usize;
        c[i as usize * n..(i as usize + 1) * n].to_vec()
    }

    #[test]
    fn every_entry_computed_alone_is_the_full_products() {
        let seed = [3u8; 32];
        let (c, _) = honest(&seed);
        for i in [0u64, 7, 31] {
            for j in [0u32, 11, 23] {
                assert_eq!(
                    entry(&seed, SHAPE, i, j),
                    c[i as usize * 24 + j as usize],
                    "C[{i}][{j}]"
                );
            }
        }
        assert_eq!(row_from_bytes(&row_bytes(&row(&c, 5))), Some(row(&c, 5)));
        assert_eq!(row_from_bytes(&[1, 2, 3]), None);
    }

    #[test]
    fn a_committed_row_is_judged_sound_and_a_wrong_entry_at_a_named_column_is_the_fault() {
        let seed = [4u8; 32];
        let (c, tree) = honest(&seed);
        let root = tree.root();
        let path = tree.path(9);
        assert_eq!(
            judge_row(&seed, SHAPE, &root, 9, &[0, 5, 23], &row(&c, 9), &path),
            Ok(None)
        );
        // A root over a C with one wrong entry: caught at that column, not at the others.
        let mut forged = c.clone();
        forged[9 * 24 + 5] += 1;
        let ftree = commit(&forged, SHAPE);
        let froot = ftree.root();
        let frow = row(&forged, 9);
        assert_eq!(
            judge_row(&seed, SHAPE, &froot, 9, &[0, 5], &frow, &ftree.path(9)),
            Ok(Some(EntryFault {
                row: 9,
                col: 5,
                committed: c[9 * 24 + 5] + 1,
                product: c[9 * 24 + 5],
            }))
        );
        assert_eq!(
            judge_row(&seed, SHAPE, &froot, 9, &[0, 6], &frow, &ftree.path(9)),
            Ok(None)
        );
        // A garbage root (no product computed): every audited entry is wrong.
        let garbage: Vec<i32> = (0..32 * 24).collect();
        let gtree = commit(&garbage, SHAPE);
        let judged = judge_row(
            &seed,
            SHAPE,
            &gtree.root(),
            3,
            &[2],
            &row(&garbage, 3),
            &gtree.path(3),
        );
        assert!(matches!(
            judged,
            Ok(Some(EntryFault { row: 3, col: 2, .. }))
        ));
    }

    #[test]
    fn a_row_that_is_not_the_committed_one_proves_nothing() {
        let seed = [6u8; 32];
        let (c, tree) = honest(&seed);
        let root = tree.root();
        // The true row under another index, a changed row, a short row, a path of another row.
        assert_eq!(
            judge_row(&seed, SHAPE, &root, 2, &[0], &row(&c, 1), &tree.path(1)),
            Err(GemmError::BadPath { row: 2 })
        );
        let mut changed = row(&c, 1);
        changed[0] ^= 1;
        assert_eq!(
            judge_row(&seed, SHAPE, &root, 1, &[0], &changed, &tree.path(1)),
            Err(GemmError::BadPath { row: 1 })
        );
        assert_eq!(
            judge_row(
                &seed,
                SHAPE,
                &root,
                1,
                &[0],
                &row(&c, 1)[1..],
                &tree.path(1)
            ),
            Err(GemmError::RowLength {
                row: 1,
                expected: 24,
                got: 23
            })
        );
    }

    #[test]
    fn drawn_cells_are_valid_distinct_and_spread_over_c() {
        let mut rows = std::collections::HashSet::new();
        for i in 0..200u8 {
            let (row, cols) = draw_cells(&[i; 32], SHAPE);
            assert_eq!(check_cells(SHAPE, row, &cols), Ok(()));
            assert_eq!(cols.len(), 4);
            rows.insert(row);
        }
        // 200 draws over 32 rows reach every row but a handful (expected misses ~0.0006).
        assert!(rows.len() >= 30, "{}", rows.len());
        // A C narrower than four columns is asked all of them.
        let narrow = Shape { m: 4, k: 8, n: 2 };
        let (_, cols) = draw_cells(&[1; 32], narrow);
        assert_eq!(cols.len(), 2);
    }

    #[test]
    fn cells_are_one_to_four_distinct_columns_inside_c() {
        assert_eq!(check_cells(SHAPE, 0, &[0, 1, 2, 23]), Ok(()));
        assert_eq!(
            check_cells(SHAPE, 0, &[]),
            Err(CellsError::Count { got: 0 })
        );
        assert_eq!(
            check_cells(SHAPE, 0, &[0, 1, 2, 3, 4]),
            Err(CellsError::Count { got: 5 })
        );
        assert_eq!(
            check_cells(SHAPE, 0, &[4, 4]),
            Err(CellsError::Repeated { col: 4 })
        );
        assert_eq!(
            check_cells(SHAPE, 32, &[0]),
            Err(CellsError::OutOfRange {
                row: 32,
                col: 0,
                m: 32,
                n: 24
            })
        );
        assert_eq!(
            check_cells(SHAPE, 0, &[24]),
            Err(CellsError::OutOfRange {
                row: 0,
                col: 24,
                m: 32,
                n: 24
            })
        );
    }
}
