//! CUDA backend: `kernels/sloth.cu` and `kernels/gemm.cu` compiled at run time by NVRTC (one
//! module each) and launched through cudarc (dynamic loading: the binary does not link libcuda).
//! cudarc panics when libcuda or libnvrtc is missing, so both are probed with `is_culib_present`
//! before any other cudarc call.
//!
//! On sm_80+ the GEMM tile multiply may run on the int8 tensor cores instead (`kernels/gemm_mma.cu`,
//! a third module): only after it reproduced a CPU product bit for bit on the device at start-up,
//! else the dp4a tile kernel stays ([`CudaBackend::gemm_path`] tells which).

use super::{
    Backend, BackendError, Cancelled, EncodeError, GemmFailed, from_limbs, inputs_valid, split,
    to_limbs,
};
use cudarc::driver::{
    CudaContext, CudaFunction, CudaSlice, CudaStream, DriverError, LaunchConfig, PushKernelArg,
};
use loopin_pocps::encode::Params;
use loopin_pocps::gemm::Shape;
use loopin_pocps::merkle::Hash;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Device memory for one band of rows of the GEMM challenge (its rows of A, C and leaves); Bᵀ
/// (n · k bytes, at most 4 GiB) is held besides.
const GEMM_BAND_BYTES: u64 = 256 << 20;
/// At most this many rows a band (the tile kernel's grid is ceil(rows / 64) blocks high, at most
/// 65535).
const GEMM_BAND_ROWS: u64 = 1 << 20;
/// The tile kernel's output tile (`LP_TM` × `LP_TN` in gemm.cu) and threads a block (`LP_TT`).
const GEMM_TILE: u32 = 64;
const GEMM_TILE_THREADS: u32 = 256;
/// Stream tags of gemm.cu: "a" and "bt".
const TAG_A: u32 = 0;
const TAG_BT: u32 = 1;

/// Threads per block (the kernels are register heavy; 128 keeps every GPU class happy).
const THREADS: u32 = 128;

/// GPU backend on device 0.
pub struct CudaBackend {
    /// The context the stream and modules live in, held for the backend's lifetime.
    _ctx: Arc<CudaContext>,
    stream: Arc<CudaStream>,
    encode: CudaFunction,
    throughput: CudaFunction,
    /// The GEMM kernels, or why they could not be compiled (the sloth kernels work regardless).
    gemm: Result<GemmKernels, BackendError>,
    device: String,
}

/// Device memory of one GEMM challenge: Bᵀ, and one band of rows' A, C and leaves.
struct GemmBuffers {
    /// Rows a band ([`band_rows`]).
    band: u32,
    bt: CudaSlice<u8>,
    a: CudaSlice<u8>,
    c: CudaSlice<i32>,
    leaves: CudaSlice<u8>,
}

/// The kernels of `kernels/gemm.cu` (and the tensor-core tile kernel of `kernels/gemm_mma.cu`).
struct GemmKernels {
    gen_stream: CudaFunction,
    tile: CudaFunction,
    leaves: CudaFunction,
    /// `loopin_gemm_tile_mma`, once it passed the self-check; `tile` is used otherwise.
    tile_mma: Option<CudaFunction>,
    /// How `tile` was compiled: "dp4a", or "scalar" (`LOOPIN_NO_DP4A`).
    tile_path: &'static str,
}

/// The backend on device 0 for a test or a check: `None`, saying why, where no GPU can be used,
/// unless `LOOPIN_REQUIRE_GPU=1` (as scripts/gpu-check.sh sets it), which makes that a failure.
pub fn for_tests() -> Option<CudaBackend> {
    let required = std::env::var("LOOPIN_REQUIRE_GPU").is_ok_and(|v| v == "1");
    if !libraries_present() {
        assert!(
            !required,
            "LOOPIN_REQUIRE_GPU=1 but libcuda/libnvrtc cannot be loaded"
        );
        eprintln!("SKIP: no libcuda/libnvrtc on this machine");
        return None;
    }
    match CudaBackend::new() {
        Ok(b) => {
            eprintln!("GPU: {}, GEMM tile kernel: {}", b.device(), b.gemm_path());
            Some(b)
        }
        Err(e) => {
            assert!(!required, "LOOPIN_REQUIRE_GPU=1 but CUDA is unusable: {e}");
            eprintln!("SKIP: CUDA present but unusable: {e}");
            None
        }
    }
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

/// Compiles and loads `kernels/gemm.cu`: for the GPU's architecture (`__dp4a` on sm_61+), else
/// without `__dp4a` (the scalar dot product the host build checks), else NVRTC's default PTX.
fn load_gemm(ctx: &Arc<CudaContext>, arch: Option<&str>) -> Result<GemmKernels, BackendError> {
    let tries: [(Option<&str>, &[&str]); 3] = [
        (arch, &[]),
        (arch, &["LOOPIN_NO_DP4A"]),
        (None, &["LOOPIN_NO_DP4A"]),
    ];
    let mut last = None;
    for (a, defines) in tries {
        let loaded = compile(GEMM_SRC, a, defines).and_then(|ptx| {
            let module = ctx
                .load_module(ptx)
                .map_err(BackendError::driver("load GEMM module"))?;
            let f = |name: &'static str| {
                module
                    .load_function(name)
                    .map_err(BackendError::driver(name))
            };
            Ok(GemmKernels {
                gen_stream: f("loopin_gemm_gen")?,
                tile: f("loopin_gemm_tile")?,
                leaves: f("loopin_gemm_leaves")?,
                tile_mma: None,
                tile_path: if defines.is_empty() { "dp4a" } else { "scalar" },
            })
        });
        match loaded {
            Ok(k) => {
                tracing::info!(
                    arch = a.unwrap_or("default"),
                    ?defines,
                    "GEMM kernels ready"
                );
                return Ok(k);
            }
            Err(e) => {
                tracing::warn!(arch = a.unwrap_or("default"), ?defines, error = %e, "GEMM kernels failed");
                last = Some(e);
            }
        }
    }
    // Three tries, each failed: `last` is the third's error.
    Err(last.unwrap_or(BackendError::NoDevice))
}

/// Rows a band of the GEMM challenge: its A (k bytes a row), C (4n) and leaves (32) within
/// [`GEMM_BAND_BYTES`], a multiple of both tile kernels' tile height when that many fit, at most m.
fn band_rows(s: Shape) -> u32 {
    let per_row = u64::from(s.k) + 4 * u64::from(s.n) + 32;
    let rows = (GEMM_BAND_BYTES / per_row).clamp(1, GEMM_BAND_ROWS);
    let tile = u64::from(GEMM_TILE.max(GEMM_MMA_TILE.0));
    let rows = if rows >= tile {
        rows / tile * tile
    } else {
        rows
    };
    // rows <= 2^20, so the conversion cannot fail.
    u32::try_from(rows.min(u64::from(s.m))).unwrap_or(s.m)
}

/// The 32 seed bytes as the kernels take them: four little-endian 64-bit words.
fn seed_words(seed: &[u8; 32]) -> [u64; 4] {
    let mut w = [0u64; 4];
    for (word, bytes) in w.iter_mut().zip(seed.chunks_exact(8)) {
        let mut b = [0u8; 8];
        b.copy_from_slice(bytes);
        *word = u64::from_le_bytes(b);
    }
    w
}

fn device_err(what: &str) -> impl Fn(DriverError) -> GemmFailed + '_ {
    move |e| GemmFailed::Device(format!("{what}: {e:?}"))
}

mod mma;
mod nvrtc;
use mma::{load_mma, mma_checked};
pub use nvrtc::{GEMM_MMA_SRC, GEMM_SRC, KERNEL_SRC};
use nvrtc::{GEMM_MMA_THREADS, GEMM_MMA_TILE, compile, nvrtc_arch, tile_cfg};

impl CudaBackend {
    /// Load the driver, pick device 0, compile and load the kernels (and check the tensor-core
    /// tile kernel: [`CudaBackend::gemm_path`]).
    pub fn new() -> Result<CudaBackend, BackendError> {
        if !libraries_present() {
            return Err(BackendError::NoLibraries);
        }
        let n = CudaContext::device_count().map_err(BackendError::driver("cuInit/device count"))?;
        if n < 1 {
            return Err(BackendError::NoDevice);
        }
        // Before the backend's context exists (see `mma_checked`).
        let mma = mma_checked().unwrap_or_else(|e| {
            tracing::warn!(error = %e, "GEMM: tensor-core tile kernel not used");
            None
        });
        let ctx = CudaContext::new(0).map_err(BackendError::driver("context"))?;
        let device = ctx.name().unwrap_or_else(|_| "unknown GPU".into());
        let arch = nvrtc_arch(&ctx);
        let ptx = compile(KERNEL_SRC, arch.as_deref(), &[]).or_else(|e| match arch.as_deref() {
            // An NVRTC older than the GPU does not know its architecture: its default PTX still
            // runs there (the driver compiles it at load).
            Some(a) => {
                tracing::warn!(arch = %a, error = %e, "NVRTC refused the GPU's architecture; default PTX");
                compile(KERNEL_SRC, None, &[])
            }
            None => Err(e),
        })?;
        let module = ctx
            .load_module(ptx)
            .map_err(BackendError::driver("load module"))?;
        let encode = module
            .load_function("loopin_encode_lanes")
            .map_err(BackendError::Cuda)?;
        let throughput = module
            .load_function("loopin_throughput")
            .map_err(BackendError::Cuda)?;
        let mut gemm = load_gemm(&ctx, arch.as_deref());
        if let (Some(ptx), Ok(g)) = (mma, gemm.as_mut()) {
            match load_mma(&ctx, ptx) {
                Ok(f) => g.tile_mma = Some(f),
                Err(e) => tracing::warn!(error = %e, "GEMM: tensor-core tile kernel not used"),
            }
        }
        let stream = ctx.default_stream();
        let backend = CudaBackend {
            _ctx: ctx,
            stream,
            encode,
            throughput,
            gemm,
            device,
        };
        tracing::info!(
            device = %backend.device,
            arch = arch.as_deref().unwrap_or("default"),
            gemm = backend.gemm_path(),
            "CUDA backend ready"
        );
        Ok(backend)
    }

    /// The GEMM tile kernel [`CudaBackend::gemm_leaves`] runs: "mma" (int8 tensor cores, after
    /// its start-up self-check passed), "dp4a", "scalar" (no `__dp4a`), or "none" (no GEMM
    /// kernels).
    pub fn gemm_path(&self) -> &'static str {
        match &self.gemm {
            Ok(g) if g.tile_mma.is_some() => "mma",
            Ok(g) => g.tile_path,
            Err(_) => "none",
        }
    }

    /// Device name.
    pub fn device(&self) -> &str {
        &self.device
    }

    /// The leaf of every row of C = A·B of the GEMM challenge with `seed` and `shape`, as
    /// `loopin_pocps::gemm::leaves` computes them: Bᵀ generated once on the device, then per band
    /// of rows its A generated, multiplied and hashed there, only the leaves copied back. `cancel`
    /// is read between bands ("cancelled"). Nothing stays in device memory after the call.
    pub fn gemm_leaves(
        &self,
        seed: &[u8; 32],
        shape: Shape,
        cancel: &AtomicBool,
    ) -> Result<Vec<[u8; 32]>, GemmFailed> {
        self.gemm_checked(seed, shape, cancel)
    }

    fn gemm_checked(
        &self,
        seed: &Hash,
        shape: Shape,
        cancel: &AtomicBool,
    ) -> Result<Vec<Hash>, GemmFailed> {
        shape
            .check()
            .map_err(|e| GemmFailed::Device(e.to_string()))?;
        let kernels = self
            .gemm
            .as_ref()
            .map_err(|e| GemmFailed::Device(format!("GEMM kernels unavailable: {e}")))?;
        let out = self.gemm_bands(kernels, seed, shape, cancel);
        // Every buffer was dropped (freed on the stream) inside; waiting for the stream lets the
        // driver's memory pool hand the memory back, so the tenant gets the whole card.
        let synced = self.stream.synchronize();
        let leaves = out?;
        synced.map_err(device_err("synchronize"))?;
        Ok(leaves)
    }

    /// The GEMM's leaves, band by band (see [`CudaBackend::gemm_leaves`]); `cancel` is read
    /// before each band.
    fn gemm_bands(
        &self,
        g: &GemmKernels,
        seed: &Hash,
        s: Shape,
        cancel: &AtomicBool,
    ) -> Result<Vec<Hash>, GemmFailed> {
        let seed = seed_words(seed);
        if cancel.load(Ordering::Relaxed) {
            return Err(GemmFailed::Cancelled);
        }
        let mut bufs = self.gemm_buffers(g, &seed, s)?;
        let mut out: Vec<Hash> = Vec::with_capacity(s.m as usize);
        let mut row0 = 0u32;
        while row0 < s.m {
            if cancel.load(Ordering::Relaxed) {
                return Err(GemmFailed::Cancelled);
            }
            let rows = bufs.band.min(s.m - row0);
            out.extend(self.gemm_band(g, &seed, s, &mut bufs, row0, rows)?);
            row0 += rows;
        }
        Ok(out)
    }

    /// Bᵀ generated on the device, and the buffers of one band of rows (A, C, leaves).
    fn gemm_buffers(
        &self,
        g: &GemmKernels,
        seed: &[u64; 4],
        s: Shape,
    ) -> Result<GemmBuffers, GemmFailed> {
        let (k, n) = (s.k, s.n);
        let bt_len = u64::from(n) * u64::from(k);
        let mut bt = self
            .stream
            .alloc_zeros::<u8>(bt_len as usize)
            .map_err(device_err("alloc Bᵀ"))?;
        self.gemm_gen(g, seed, TAG_BT, 0, bt_len, &mut bt)?;
        let band = band_rows(s);
        let a = self
            .stream
            .alloc_zeros::<u8>(band as usize * k as usize)
            .map_err(device_err("alloc A band"))?;
        let c = self
            .stream
            .alloc_zeros::<i32>(band as usize * n as usize)
            .map_err(device_err("alloc C band"))?;
        let leaves = self
            .stream
            .alloc_zeros::<u8>(band as usize * 32)
            .map_err(device_err("alloc leaves"))?;
        Ok(GemmBuffers {
            band,
            bt,
            a,
            c,
            leaves,
        })
    }

    /// The leaves of rows `row0 .. row0 + rows` (at most a band): their A generated, multiplied
    /// by Bᵀ and hashed on the device, the leaves copied back.
    fn gemm_band(
        &self,
        g: &GemmKernels,
        seed: &[u64; 4],
        s: Shape,
        bufs: &mut GemmBuffers,
        row0: u32,
        rows: u32,
    ) -> Result<Vec<Hash>, GemmFailed> {
        let (k, n) = (s.k, s.n);
        let first = u64::from(row0) * u64::from(k);
        let a_len = u64::from(rows) * u64::from(k);
        self.gemm_gen(g, seed, TAG_A, first, a_len, &mut bufs.a)?;

        let (tile_fn, tile) = match &g.tile_mma {
            Some(f) => (f, tile_cfg(rows, n, GEMM_MMA_TILE, GEMM_MMA_THREADS)),
            None => (
                &g.tile,
                tile_cfg(rows, n, (GEMM_TILE, GEMM_TILE), GEMM_TILE_THREADS),
            ),
        };
        let mut b = self.stream.launch_builder(tile_fn);
        b.arg(&bufs.a)
            .arg(&bufs.bt)
            .arg(&rows)
            .arg(&k)
            .arg(&n)
            .arg(&mut bufs.c);
        // SAFETY: matches `loopin_gemm_tile` / `loopin_gemm_tile_mma(const uchar *a, const
        // uchar *bt, u32 rows, u32 k, u32 n, int *c)`; `a` holds band·k ≥ rows·k bytes, `bt`
        // n·k bytes, `c` band·n ≥ rows·n i32s, the extents the kernels index (they bound every
        // row and column they touch); the grid covers rows × n with the block size and tile
        // each kernel expects (256 threads, and 64 × 64 or 128 × 256).
        unsafe { b.launch(tile) }.map_err(device_err("launch tile"))?;

        let row0_64 = u64::from(row0);
        let mut b = self.stream.launch_builder(&g.leaves);
        b.arg(&bufs.c)
            .arg(&rows)
            .arg(&n)
            .arg(&row0_64)
            .arg(&mut bufs.leaves);
        // SAFETY: matches `loopin_gemm_leaves(const int *c, u32 rows, u32 n, u64 row0, uchar
        // *out)`; threads t < rows read c[t·n .. t·n + n] (c holds ≥ rows·n) and write
        // out[32t .. 32t + 32] (leaves holds band·32 ≥ rows·32 bytes).
        unsafe { b.launch(cfg(rows)) }.map_err(device_err("launch leaves"))?;

        let host = self
            .stream
            .clone_dtoh(&bufs.leaves.slice(..rows as usize * 32))
            .map_err(device_err("GEMM band"))?;
        Ok(host
            .chunks_exact(32)
            .map(|h| {
                let mut leaf = [0u8; 32];
                leaf.copy_from_slice(h);
                leaf
            })
            .collect())
    }

    /// `out[0 .. len)` = bytes `offset .. offset + len` (`len` > 0) of the stream `tag` of `seed`.
    fn gemm_gen(
        &self,
        g: &GemmKernels,
        seed: &[u64; 4],
        tag: u32,
        offset: u64,
        len: u64,
        out: &mut CudaSlice<u8>,
    ) -> Result<(), GemmFailed> {
        assert!(len > 0 && out.len() as u64 >= len, "stream slice");
        // One thread per 32-byte stream block touched (`lp_gen_items` in gemm.cu).
        let items = (offset + len - 1) / 32 - offset / 32 + 1;
        let items = u32::try_from(items)
            .map_err(|_| GemmFailed::Device(format!("{len} stream bytes in one launch")))?;
        let mut b = self.stream.launch_builder(&g.gen_stream);
        b.arg(&seed[0])
            .arg(&seed[1])
            .arg(&seed[2])
            .arg(&seed[3])
            .arg(&tag)
            .arg(&offset)
            .arg(&len)
            .arg(out);
        // SAFETY: matches `loopin_gemm_gen(u64 s0..s3, u32 tag, u64 offset, u64 len, uchar *out)`;
        // the kernel writes out[0 .. len) only (each byte by the thread of its stream block), and
        // `out` holds at least len bytes; threads past `items` return at once.
        unsafe { b.launch(cfg(items)) }.map_err(device_err("launch gen"))?;
        Ok(())
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
    ) -> Result<Vec<u128>, EncodeError> {
        let len = super::encode_limbs(ek, params, n)?;
        let mut out = self
            .stream
            .alloc_zeros::<u64>(len)
            .map_err(|e| EncodeError::Device(format!("{e:?}")))?;
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
        unsafe { b.launch(cfg(n)) }.map_err(|e| EncodeError::Device(format!("launch: {e:?}")))?;
        let host = self
            .stream
            .clone_dtoh(&out)
            .map_err(|e| EncodeError::Device(format!("{e:?}")))?;
        Ok(from_limbs(&host))
    }

    fn slow_rounds(
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
            let run = || -> Result<Vec<u64>, BackendError> {
                let inp = self
                    .stream
                    .clone_htod(&to_limbs(chunk))
                    .map_err(BackendError::Cuda)?;
                let mut out = self
                    .stream
                    .alloc_zeros::<u64>(chunk.len() * 2)
                    .map_err(BackendError::Cuda)?;
                let n = chunk.len() as u32;
                let mut b = self.stream.launch_builder(&self.throughput);
                b.arg(&inp).arg(&n).arg(&rounds).arg(&mut out);
                // SAFETY: matches `loopin_throughput`; both buffers hold 2n limbs.
                unsafe { b.launch(cfg(n)) }.map_err(BackendError::driver("launch"))?;
                self.stream.clone_dtoh(&out).map_err(BackendError::Cuda)
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

    fn gemm(
        &self,
        seed: &Hash,
        shape: Shape,
        cancel: &AtomicBool,
    ) -> Result<Vec<Hash>, GemmFailed> {
        self.gemm_checked(seed, shape, cancel)
    }
}
