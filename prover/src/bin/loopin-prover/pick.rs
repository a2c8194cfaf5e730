//! The proof backend the config names: `cpu`, `cuda` (refused without a CUDA device), or `auto`.

use std::sync::Arc;

use loopin_prover::backend::{self, Backend};
use loopin_prover::config::Config;

/// The backend of `c.backend`.
pub(crate) fn pick_backend(c: &Config) -> anyhow::Result<Arc<dyn Backend>> {
    match c.backend.as_str() {
        "cpu" => Ok(Arc::new(backend::CpuBackend)),
        "auto" => Ok(backend::select(true)),
        "cuda" => {
            let b = backend::select(true);
            if b.name() == "cuda" {
                Ok(b)
            } else {
                anyhow::bail!(
                    "backend = cuda but no CUDA driver/GPU (or built without --features cuda)"
                )
            }
        }
        other => anyhow::bail!("unknown backend {other:?} (auto, cpu, cuda)"),
    }
}
