//! Choosing the backend: CUDA when compiled in and a driver and GPU are present, else CPU.

use super::{Backend, CpuBackend};

/// The best backend available: CUDA when compiled in and a driver and GPU are present, else CPU.
pub fn select(prefer_cuda: bool) -> std::sync::Arc<dyn Backend> {
    #[cfg(feature = "cuda")]
    if prefer_cuda {
        match super::cuda::CudaBackend::new() {
            Ok(b) => return std::sync::Arc::new(b),
            Err(e) => tracing::warn!(error = %e, "CUDA backend unavailable, falling back to CPU"),
        }
    }
    #[cfg(not(feature = "cuda"))]
    if prefer_cuda {
        tracing::info!("built without the `cuda` feature: CPU backend");
    }
    std::sync::Arc::new(CpuBackend)
}
