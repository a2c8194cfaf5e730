//! The tensor-core tile kernel (`kernels/gemm_mma.cu`): compiled for sm_80+, and used only
//! after it reproduced a CPU product bit for bit on the device, in a CUDA context of its own.

use std::sync::Arc;

use cudarc::driver::{CudaContext, CudaFunction, CudaStream, DriverError, PushKernelArg};
use loopin_pocps::gemm::Shape;

use super::BackendError;
use super::nvrtc::{
    GEMM_MMA_ENV, GEMM_MMA_SRC, GEMM_MMA_THREADS, GEMM_MMA_TILE, compile, nvrtc_arch, tile_cfg,
};

/// Compiles gemm.cu + gemm_mma.cu for the GPU's architecture when it is sm_80+, else (or when NVRTC
/// does not know it) for compute_80, which every sm_80+ GPU runs: PTX that holds the tensor-core
/// instruction (below compute_80 the kernel is its dp4a fallback).
pub(super) fn compile_mma(arch: Option<&str>) -> Result<cudarc::nvrtc::Ptx, BackendError> {
    let own = arch.filter(|a| {
        a.strip_prefix("compute_")
            .and_then(|v| v.parse::<u32>().ok())
            .is_some_and(|v| v >= 80)
    });
    let has_mma = |p: &cudarc::nvrtc::Ptx| {
        let needle = b"mma.sync.aligned.m16n8k32";
        p.as_bytes()
            .is_some_and(|b| b.windows(needle.len()).any(|w| w == needle))
    };
    let mut last = BackendError::NoMma("compute_80".into());
    for a in own.into_iter().chain(["compute_80"]) {
        match compile(GEMM_MMA_SRC, Some(a), &[]) {
            Ok(ptx) if has_mma(&ptx) => return Ok(ptx),
            Ok(_) => last = BackendError::NoMma(a.into()),
            Err(e) => {
                last = BackendError::MmaCompile {
                    arch: a.into(),
                    error: Box::new(e),
                }
            }
        }
    }
    Err(last)
}

/// The tensor-core tile kernel loaded from `ptx` into `ctx`.
pub(super) fn load_mma(
    ctx: &Arc<CudaContext>,
    ptx: cudarc::nvrtc::Ptx,
) -> Result<CudaFunction, BackendError> {
    ctx.load_module(ptx)
        .and_then(|m| m.load_function("loopin_gemm_tile_mma"))
        .map_err(BackendError::driver("load loopin_gemm_tile_mma"))
}

/// Self-check shapes (rows, k, n): byte loads (k % 16 != 0) with every edge ragged; 128-bit loads
/// with ragged rows, two column tiles and a partial last k chunk; whole tiles; 17 tile rows (a
/// ragged block group).
const MMA_CHECK: [(u32, u32, u32); 4] = [
    (200, 500, 136),
    (144, 528, 300),
    (256, 128, 512),
    (2100, 64, 40),
];

/// `f` (`loopin_gemm_tile_mma`) against `loopin_pocps::gemm::product`, on arbitrary bytes and the
/// extreme sums: row 0 of A and column 0 of B all -128 (the largest sum), row 1 of A all 127 (with
/// column 0, the most negative), column 1 alternating 127 / -128.
pub(super) fn mma_self_check(
    stream: &Arc<CudaStream>,
    f: &CudaFunction,
) -> Result<(), BackendError> {
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let mut bytes = |len: usize| -> Vec<i8> {
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 24) as u8 as i8
            })
            .collect()
    };
    for (rows, k, n) in MMA_CHECK {
        let ku = k as usize;
        let (mut a, mut bt) = (bytes(rows as usize * ku), bytes(n as usize * ku));
        a[..ku].fill(-128);
        a[ku..2 * ku].fill(127);
        bt[..ku].fill(-128);
        for (t, b) in bt[ku..2 * ku].iter_mut().enumerate() {
            *b = if t % 2 == 0 { 127 } else { -128 };
        }
        let want = loopin_pocps::gemm::product(&a, &bt, Shape { m: rows, k, n });
        let run = || -> Result<Vec<i32>, DriverError> {
            let (da, db) = (stream.clone_htod(&a)?, stream.clone_htod(&bt)?);
            // Every entry starts as a value no product here takes, so one left unwritten shows.
            let mut dc = stream.clone_htod(&vec![i32::MIN; want.len()])?;
            let mut b = stream.launch_builder(f);
            b.arg(&da).arg(&db).arg(&rows).arg(&k).arg(&n).arg(&mut dc);
            // SAFETY: matches `loopin_gemm_tile_mma(const uchar *a, const uchar *bt, u32 rows,
            // u32 k, u32 n, int *c)`; da holds rows·k bytes, db n·k, dc rows·n i32s, the extents
            // the kernel indexes (it bounds every row, column and k it touches).
            unsafe { b.launch(tile_cfg(rows, n, GEMM_MMA_TILE, GEMM_MMA_THREADS)) }?;
            stream.clone_dtoh(&dc)
        };
        let got = run().map_err(|error| BackendError::MmaRun { rows, k, n, error })?;
        if got != want {
            let bad = got.iter().zip(&want).filter(|(g, w)| g != w).count();
            return Err(BackendError::MmaWrong {
                rows,
                k,
                n,
                bad,
                entries: want.len(),
            });
        }
    }
    Ok(())
}

/// PTX of the tensor-core tile kernel that passed [`mma_self_check`] on device 0, or None where
/// the GPU has no int8 mma.sync (below sm_80) or `LOOPIN_GEMM_MMA=0`. The check runs in a CUDA
/// context of its own, made before the backend's and destroyed after the check: a fault of a new
/// kernel is a sticky error that fails every later call of its context, so it must not be the
/// backend's. Where the driver makes no such context (e.g. exclusive-process compute mode with
/// another context in the process) the kernel is not used.
pub(super) fn mma_checked() -> Result<Option<cudarc::nvrtc::Ptx>, BackendError> {
    use cudarc::driver::{result, sys};
    if std::env::var(GEMM_MMA_ENV).is_ok_and(|v| v == "0") {
        tracing::info!("GEMM: tensor-core tile kernel off ({GEMM_MMA_ENV}=0)");
        return Ok(None);
    }
    let dev = result::device::get(0).map_err(BackendError::driver("device"))?;
    let mut raw: sys::CUcontext = std::ptr::null_mut();
    // SAFETY: cuCtxCreate_v2 (in every driver) writes a new context to `raw` when it succeeds.
    unsafe { sys::cuCtxCreate_v2(&mut raw, 0, dev) }
        .result()
        .map_err(BackendError::driver("a context for the check"))?;
    // SAFETY: `raw` is a live context of device 0, made just above; cudarc owns it from here and
    // destroys it on drop (we do, when wrapping fails).
    let ctx = unsafe { CudaContext::from_raw_context(0, dev, raw) }.map_err(|error| {
        // SAFETY: not wrapped, so still ours to destroy, once.
        let _ = unsafe { sys::cuCtxDestroy_v2(raw) };
        BackendError::Driver {
            what: "wrap context",
            error,
        }
    })?;
    let (major, minor) = ctx.compute_capability().map_err(BackendError::Cuda)?;
    if major < 8 {
        tracing::info!(major, minor, "GEMM: no int8 mma.sync below sm_80; dp4a");
        return Ok(None);
    }
    let ptx = compile_mma(nvrtc_arch(&ctx).as_deref())?;
    mma_self_check(&ctx.default_stream(), &load_mma(&ctx, ptx.clone())?)?;
    Ok(Some(ptx))
}
