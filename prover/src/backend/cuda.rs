//! CUDA backend: `kernels/sloth.cu` compiled at run time by NVRTC and launched through cudarc
//! (dynamic loading: the binary does not link libcuda). cudarc panics when libcuda or libnvrtc is
//! missing, so both are probed with `is_culib_present` before any other cudarc call.

use super::{Backend, Cancelled, from_limbs, inputs_valid, split, to_limbs};
use cudarc::driver::{CudaContext, CudaFunction, CudaStream, LaunchConfig, PushKernelArg};
use loopin_pocps::encode::Params;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Kernel source (also compiled for the host in tests).
pub const KERNEL_SRC: &str = include_str!("../../kernels/sloth.cu");

/// Threads per block (the kernels are register heavy; 128 keeps every GPU class happy).
const THREADS: u32 = 128;

/// GPU backend on device 0.
pub struct CudaBackend {
    ctx: Arc<CudaContext>,
    stream: Arc<CudaStream>,
    encode: CudaFunction,
    throughput: CudaFunction,
    device: String,
    resident: std::sync::Mutex<Option<cudarc::driver::CudaSlice<u64>>>,
}

/// Whether the CUDA driver and NVRTC libraries can be loaded (never panics).
pub fn libraries_present() -> bool {
    // SAFETY: these only try to dlopen the libraries and report whether that worked.
    unsafe { cudarc::driver::sys::is_culib_present() && cudarc::nvrtc::sys::is_culib_present() }
}

fn cfg(n: u32) -> LaunchConfig {
    LaunchConfig {
        grid_dim: (n.div_ceil(THREADS).max(1), 1, 1),
        block_dim: (THREADS, 1, 1),
        shared_mem_bytes: 0,
    }
}

/// The virtual architecture NVRTC compiles for: `LOOPIN_NVRTC_ARCH` (e.g. `compute_75`, or
/// `default` for NVRTC's own default), else the GPU's compute capability, so the code generator
/// targets the chip it runs on rather than NVRTC's oldest default.
fn nvrtc_arch(ctx: &CudaContext) -> Option<String> {
    match std::env::var("LOOPIN_NVRTC_ARCH") {
        Ok(a) if a == "default" => None,
        Ok(a) => Some(a),
        Err(_) => ctx
            .compute_capability()
            .ok()
            .map(|(major, minor)| format!("compute_{major}{minor}")),
    }
}

fn compile(arch: Option<&str>) -> Result<cudarc::nvrtc::Ptx, String> {
    let opts = cudarc::nvrtc::CompileOptions {
        options: arch
            .map(|a| vec![format!("--gpu-architecture={a}")])
            .unwrap_or_default(),
        ..Default::default()
    };
    cudarc::nvrtc::compile_ptx_with_opts(KERNEL_SRC, opts).map_err(|e| format!("NVRTC: {e:?}"))
}

impl CudaBackend {
    /// Load the driver, pick device 0, compile and load the kernels.
    pub fn new() -> Result<CudaBackend, String> {
        if !libraries_present() {
            return Err("libcuda / libnvrtc not found".into());
        }
        let n = CudaContext::device_count().map_err(|e| format!("cuInit/device count: {e:?}"))?;
        if n < 1 {
            return Err("no CUDA device".into());
        }
        let ctx = CudaContext::new(0).map_err(|e| format!("context: {e:?}"))?;
        let device = ctx.name().unwrap_or_else(|_| "unknown GPU".into());
        let arch = nvrtc_arch(&ctx);
        let ptx = compile(arch.as_deref()).or_else(|e| match arch.as_deref() {
            // An NVRTC older than the GPU does not know its architecture: its default PTX still
            // runs there (the driver compiles it at load).
            Some(a) => {
                tracing::warn!(arch = %a, error = %e, "NVRTC refused the GPU's architecture; default PTX");
                compile(None)
            }
            None => Err(e),
        })?;
        let module = ctx
            .load_module(ptx)
            .map_err(|e| format!("load module: {e:?}"))?;
        let encode = module
            .load_function("loopin_encode_lanes")
            .map_err(|e| format!("{e:?}"))?;
        let throughput = module
            .load_function("loopin_throughput")
            .map_err(|e| format!("{e:?}"))?;
        let stream = ctx.default_stream();
        tracing::info!(%device, arch = arch.as_deref().unwrap_or("default"), "CUDA backend ready");
        Ok(CudaBackend {
            ctx,
            stream,
            encode,
            throughput,
            device,
            resident: std::sync::Mutex::new(None),
        })
    }

    /// Device name.
    pub fn device(&self) -> &str {
        &self.device
    }

    /// Upload blocks to device memory (P resident on the GPU); returns the bytes held.
    pub fn upload(&self, blocks: &[u128]) -> Result<cudarc::driver::CudaSlice<u64>, String> {
        let _ = &self.ctx;
        self.stream
            .clone_htod(&to_limbs(blocks))
            .map_err(|e| format!("upload: {e:?}"))
    }
}

impl Backend for CudaBackend {
    fn name(&self) -> &'static str {
        "cuda"
    }

    fn encode_lanes(
        &self,
        ek: u128,
        params: &Params,
        lane0: u32,
        n: u32,
    ) -> Result<Vec<u128>, String> {
        if !params.is_valid() || ek >= loopin_pocps::field::P {
            return Err("invalid parameters".into());
        }
        let len = (n as usize)
            .checked_mul(params.blocks_per_lane as usize)
            .and_then(|x| x.checked_mul(2))
            .ok_or("size overflow")?;
        let mut out = self
            .stream
            .alloc_zeros::<u64>(len)
            .map_err(|e| format!("{e:?}"))?;
        let (lo, hi) = split(ek);
        let (bpl, rounds) = (params.blocks_per_lane, params.rounds);
        let mut b = self.stream.launch_builder(&self.encode);
        b.arg(&lo)
            .arg(&hi)
            .arg(&lane0)
            .arg(&n)
            .arg(&bpl)
            .arg(&rounds)
            .arg(&mut out);
        // SAFETY: argument types and order match `loopin_encode_lanes`; `out` has 2·n·bpl limbs,
        // the extent the kernel indexes with t < n.
        unsafe { b.launch(cfg(n)) }.map_err(|e| format!("launch: {e:?}"))?;
        let host = self.stream.clone_dtoh(&out).map_err(|e| format!("{e:?}"))?;
        Ok(from_limbs(&host))
    }

    fn make_resident(&self, blocks: &[u128]) -> Result<bool, String> {
        let slice = self.upload(blocks)?;
        *self.resident.lock().unwrap_or_else(|e| e.into_inner()) = Some(slice);
        tracing::info!(bytes = blocks.len() * 16, "P resident in GPU memory");
        Ok(true)
    }

    fn throughput(
        &self,
        inputs: &[u128],
        rounds: u32,
        cancel: &AtomicBool,
    ) -> Result<Vec<u128>, Cancelled> {
        if !inputs_valid(inputs) {
            return Err(Cancelled);
        }
        let mut res = Vec::with_capacity(inputs.len());
        // Chunks keep each launch short, so a cancelled batch stops soon.
        for chunk in inputs.chunks(1 << 18) {
            if cancel.load(Ordering::Relaxed) {
                return Err(Cancelled);
            }
            let run = || -> Result<Vec<u64>, String> {
                let inp = self
                    .stream
                    .clone_htod(&to_limbs(chunk))
                    .map_err(|e| format!("{e:?}"))?;
                let mut out = self
                    .stream
                    .alloc_zeros::<u64>(chunk.len() * 2)
                    .map_err(|e| format!("{e:?}"))?;
                let n = chunk.len() as u32;
                let mut b = self.stream.launch_builder(&self.throughput);
                b.arg(&inp).arg(&n).arg(&rounds).arg(&mut out);
                // SAFETY: matches `loopin_throughput`; both buffers hold 2n limbs.
                unsafe { b.launch(cfg(n)) }.map_err(|e| format!("launch: {e:?}"))?;
                self.stream.clone_dtoh(&out).map_err(|e| format!("{e:?}"))
            };
            match run() {
                Ok(limbs) => res.extend(from_limbs(&limbs)),
                Err(e) => {
                    tracing::error!(error = %e, "CUDA throughput failed");
                    return Err(Cancelled);
                }
            }
        }
        Ok(res)
    }
}
