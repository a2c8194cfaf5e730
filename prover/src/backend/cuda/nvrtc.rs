//! The kernels' sources, compiling them with NVRTC for the GPU's architecture, and the tensor-core
//! tile kernel's launch shape (shared by the backend and the tensor-core check, `mma.rs`).

use super::BackendError;
use cudarc::driver::{CudaContext, LaunchConfig};

/// Kernel source (also compiled for the host in tests).
pub const KERNEL_SRC: &str = include_str!("../../../kernels/sloth.cu");
/// GEMM kernel source (also compiled for the host in tests).
pub const GEMM_SRC: &str = include_str!("../../../kernels/gemm.cu");
/// GEMM source with the tensor-core tile kernel `loopin_gemm_tile_mma` (gemm_mma.cu uses gemm.cu's
/// code, so it follows it in one NVRTC source).
pub const GEMM_MMA_SRC: &str = concat!(
    include_str!("../../../kernels/gemm.cu"),
    include_str!("../../../kernels/gemm_mma.cu")
);

/// The tensor-core tile kernel's output tile (`LP_MM` × `LP_MN` in gemm_mma.cu) and threads a block
/// (`LP_MT`).
pub(super) const GEMM_MMA_TILE: (u32, u32) = (128, 256);
pub(super) const GEMM_MMA_THREADS: u32 = 256;
/// `LOOPIN_GEMM_MMA=0` keeps the dp4a tile kernel even where the tensor-core one passes its check.
pub(super) const GEMM_MMA_ENV: &str = "LOOPIN_GEMM_MMA";

/// The virtual architecture NVRTC compiles for: `LOOPIN_NVRTC_ARCH` (e.g. `compute_75`, or
/// `default` for NVRTC's own default), else the GPU's compute capability, so the code generator
/// targets the chip it runs on rather than NVRTC's oldest default.
pub(super) fn nvrtc_arch(ctx: &CudaContext) -> Option<String> {
    match std::env::var("LOOPIN_NVRTC_ARCH") {
        Ok(a) if a == "default" => None,
        Ok(a) => Some(a),
        Err(_) => ctx
            .compute_capability()
            .ok()
            .map(|(major, minor)| format!("compute_{major}{minor}")),
    }
}

/// `src` compiled by NVRTC for `arch` (NVRTC's default without one), with `defines` set.
pub(super) fn compile(
    src: &str,
    arch: Option<&str>,
    defines: &[&str],
) -> Result<cudarc::nvrtc::Ptx, BackendError> {
    let mut options: Vec<String> = arch
        .map(|a| vec![format!("--gpu-architecture={a}")])
        .unwrap_or_default();
    options.extend(defines.iter().map(|d| format!("--define-macro={d}")));
    let opts = cudarc::nvrtc::CompileOptions {
        options,
        ..Default::default()
    };
    cudarc::nvrtc::compile_ptx_with_opts(src, opts).map_err(BackendError::Nvrtc)
}

/// A tile kernel's launch for a band of `rows` × `n`: `tile` (rows, columns) outputs and `threads`
/// a block.
pub(super) fn tile_cfg(rows: u32, n: u32, tile: (u32, u32), threads: u32) -> LaunchConfig {
    LaunchConfig {
        grid_dim: (n.div_ceil(tile.1), rows.div_ceil(tile.0), 1),
        block_dim: (threads, 1, 1),
        shared_mem_bytes: 0,
    }
}
