//! Answers to audits of the device's GEMM: C computed again on the card (the card held only for
//! the product, never for the host work after it), its root checked against the one the device
//! signed, and the audited row shown with its path, recomputed from the seed on the host.

use super::error::{AuditError, NotAnswered, hash32};
use crate::backend::{Backend, GemmFailed};
use loopin::registry::{GemmAudit, GemmRowMsg};
use loopin_pocps::gemm::{self, Shape};
use loopin_pocps::gemm_audit::{check_cells, judge_row};
use loopin_pocps::merkle::{Hash, Tree};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use tokio::sync::Semaphore;

/// The card GEMM audits are recomputed on: the service's backend and its one-GEMM permit.
#[derive(Clone)]
pub struct GemmCard {
    pub backend: Arc<dyn Backend>,
    pub permit: Arc<Semaphore>,
}

impl GemmCard {
    /// C's row tree for the audit's seed and shape, computed on the card once it is free (the
    /// audit is untimed: it waits for a verifier's GEMM rather than make it find the card busy)
    /// and released as soon as the product is done. Refused unless its root is the signed one.
    pub async fn recompute(
        &self,
        audit: &GemmAudit,
    ) -> Result<Result<Tree, NotAnswered>, AuditError> {
        let (seed, root, shape) = match inputs(audit) {
            Ok(inputs) => inputs,
            Err(e) => return Ok(Err(e)),
        };
        let Ok(permit) = self.permit.clone().acquire_owned().await else {
            return Ok(Err(NotAnswered::Unchecked("the card is closed".into())));
        };
        let backend = self.backend.clone();
        let leaves = tokio::task::spawn_blocking(move || {
            let never = AtomicBool::new(false);
            let leaves = backend.gemm(&seed, shape, &never);
            drop(permit);
            leaves
        })
        .await?;
        Ok(leaves
            .map_err(|e| match e {
                GemmFailed::Cancelled => NotAnswered::Unchecked("GEMM cancelled".into()),
                GemmFailed::Device(e) => NotAnswered::Unchecked(format!("device: {e}")),
            })
            .and_then(|leaves| {
                let tree = Tree::new(leaves);
                if tree.root() == root {
                    Ok(tree)
                } else {
                    Err(NotAnswered::NotSigned)
                }
            }))
    }
}

/// The seed, the signed root and the shape of the audit's GEMM.
fn inputs(audit: &GemmAudit) -> Result<(Hash, Hash, Shape), NotAnswered> {
    let shape = Shape {
        m: audit.m,
        k: audit.k,
        n: audit.n,
    };
    shape
        .check()
        .map_err(|e| NotAnswered::Unchecked(e.to_string()))?;
    Ok((hash32(&audit.seed)?, hash32(&audit.root)?, shape))
}

/// The audited row of C under `tree` (the device's recomputed row tree, whose root is the signed
/// one), recomputed from the seed on the host. Refused unless it checks at the audited columns
/// as the registry judges it: a card that computed C wrong must not hand over the proof of its
/// own fault.
pub fn show_row(audit: &GemmAudit, tree: &Tree) -> Result<GemmRowMsg, NotAnswered> {
    let (seed, root, shape) = inputs(audit)?;
    let cells = audit.cells.as_ref().ok_or(NotAnswered::NotDrawn)?;
    check_cells(shape, cells.row, &cells.cols)
        .map_err(|e| NotAnswered::Unchecked(e.to_string()))?;
    let never = AtomicBool::new(false);
    let opened = gemm::open(&seed, shape, tree, &[cells.row], &never)
        .and_then(|mut o| o.pop())
        .ok_or_else(|| NotAnswered::Unchecked("row not opened".into()))?;
    let judged = judge_row(
        &seed,
        shape,
        &root,
        cells.row,
        &cells.cols,
        &opened.row,
        &opened.path,
    );
    match judged {
        Ok(None) => Ok(GemmRowMsg::new(&opened.row, &opened.path)),
        Ok(Some(fault)) => Err(NotAnswered::OwnFault(fault.to_string())),
        Err(e) => Err(NotAnswered::Unchecked(e.to_string())),
    }
}

/// [`GemmCard::recompute`] and [`show_row`] in one call, off any runtime (tests, tools).
pub fn answer_gemm(backend: &dyn Backend, audit: &GemmAudit) -> Result<GemmRowMsg, NotAnswered> {
    let (seed, root, shape) = inputs(audit)?;
    let never = AtomicBool::new(false);
    let leaves = backend.gemm(&seed, shape, &never).map_err(|e| match e {
        GemmFailed::Cancelled => NotAnswered::Unchecked("GEMM cancelled".into()),
        GemmFailed::Device(e) => NotAnswered::Unchecked(format!("device: {e}")),
    })?;
    let tree = Tree::new(leaves);
    if tree.root() != root {
        return Err(NotAnswered::NotSigned);
    }
    show_row(audit, &tree)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::CpuBackend;
    use cosmwasm_std::HexBinary;
    use loopin::registry::GemmCells;

    const SHAPE: Shape = Shape {
        m: 32,
        k: 40,
        n: 24,
    };

    fn gemm_audit(seed: Hash, root: Hash, cells: Option<(u64, &[u32])>) -> GemmAudit {
        GemmAudit {
            cells: cells.map(|(row, cols)| GemmCells {
                row,
                cols: cols.to_vec(),
            }),
            seed: HexBinary::from(seed),
            m: SHAPE.m,
            k: SHAPE.k,
            n: SHAPE.n,
            root: HexBinary::from(root),
        }
    }

    #[test]
    fn the_device_shows_a_row_of_the_gemm_it_signed_recomputed_on_its_card() {
        let seed = [8u8; 32];
        let (a, bt) = gemm::inputs(&seed, SHAPE);
        let c = gemm::product(&a, &bt, SHAPE);
        let tree = gemm::commit(&c, SHAPE);
        // The row as the registry judges it: under the signed root, right at the named columns.
        let asked = gemm_audit(seed, tree.root(), Some((7, &[0, 23])));
        let row = answer_gemm(&CpuBackend, &asked).unwrap();
        let entries = loopin_pocps::gemm_audit::row_from_bytes(row.entries.as_slice()).unwrap();
        assert_eq!(entries, c[7 * 24..8 * 24].to_vec());
        let path: Vec<Hash> = row
            .path
            .iter()
            .map(|h| h.as_slice().try_into().unwrap())
            .collect();
        assert_eq!(
            judge_row(&seed, SHAPE, &tree.root(), 7, &[0, 23], &entries, &path),
            Ok(None)
        );
        // A root it did not sign (its C recomputes to another): no answer.
        let other = gemm_audit(seed, [1u8; 32], Some((7, &[0])));
        assert_eq!(
            answer_gemm(&CpuBackend, &other),
            Err(NotAnswered::NotSigned)
        );
        // Cells not drawn yet, or outside C: no answer.
        let pending = gemm_audit(seed, tree.root(), None);
        assert_eq!(show_row(&pending, &tree), Err(NotAnswered::NotDrawn));
        let outside = gemm_audit(seed, tree.root(), Some((32, &[0])));
        assert!(matches!(
            show_row(&outside, &tree),
            Err(NotAnswered::Unchecked(_))
        ));
    }

    #[tokio::test]
    async fn the_card_is_held_for_the_product_only_and_a_wrong_root_is_refused() {
        let seed = [9u8; 32];
        let card = GemmCard {
            backend: Arc::new(CpuBackend),
            permit: Arc::new(Semaphore::new(1)),
        };
        let (a, bt) = gemm::inputs(&seed, SHAPE);
        let root = gemm::commit(&gemm::product(&a, &bt, SHAPE), SHAPE).root();
        let tree = card
            .recompute(&gemm_audit(seed, root, Some((1, &[1]))))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(tree.root(), root);
        // The permit is back: a verifier's GEMM would find the card free.
        assert_eq!(card.permit.available_permits(), 1);
        let wrong = card
            .recompute(&gemm_audit(seed, [2u8; 32], Some((1, &[1]))))
            .await
            .unwrap();
        assert_eq!(wrong.err(), Some(NotAnswered::NotSigned));
        assert_eq!(card.permit.available_permits(), 1);
    }
}
