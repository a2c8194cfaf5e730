//! Why a backend could not be made ready, or why its self-check failed.

use super::{Cancelled, GemmFailed};

/// What went wrong starting a backend (the CUDA driver, NVRTC, the kernels' start-up checks) or
/// checking one bit for bit ([`super::selftest::check`]).
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    /// The published vectors do not parse.
    #[error("vectors: {0}")]
    VectorsJson(serde_json::Error),
    /// The published GEMM vector does not parse.
    #[error("vectors: gemm: {0}")]
    GemmVectorJson(serde_json::Error),
    /// A published vector (named) is missing.
    #[error("vectors: no {0}")]
    MissingVector(&'static str),
    /// A published vector (named) is not hex.
    #[error("vectors: {0} is not a hex number")]
    NotHex(&'static str),
    /// The published GEMM seed is not 32 bytes of hex.
    #[error("vectors: gemm seed")]
    GemmSeed,
    /// ek derived here is not the published one.
    #[error("vectors: ek differs")]
    EkDiffers,
    /// The Merkle root of the published P (hex) is not the published one.
    #[error("vectors: root {0} differs")]
    RootDiffers(String),
    /// The root of the published GEMM's leaves (hex) is not the published one.
    #[error("GEMM vector: root {0} differs")]
    GemmRootDiffers(String),
    /// A check (named) got another number of values than the reference.
    #[error("{name}: {got} values, expected {want}")]
    Count {
        name: String,
        got: usize,
        want: usize,
    },
    /// A check (named) got another value than the reference.
    #[error("{name}: value {index} is {got:#x}, expected {want:#x}")]
    Value {
        name: String,
        index: usize,
        got: u128,
        want: u128,
    },
    /// A GEMM check (named) got another number of rows than the reference.
    #[error("{name}: {got} rows, expected {want}")]
    RowCount {
        name: String,
        got: usize,
        want: usize,
    },
    /// A GEMM check (named) got another leaf for a row than the reference.
    #[error("{name}: row {index} differs")]
    Row { name: String, index: usize },
    /// The backend (named) did not compute its slow rounds.
    #[error("{backend}: slow rounds: {error}")]
    SlowRounds {
        backend: &'static str,
        error: Cancelled,
    },
    /// The backend (named) did not compute a GEMM.
    #[error("{backend}: gemm: {error}")]
    Gemm {
        backend: &'static str,
        error: GemmFailed,
    },
    /// The CPU reference did not compute its slow rounds.
    #[error("cpu: {0}")]
    CpuSlowRounds(Cancelled),
    /// The CPU reference did not compute a GEMM.
    #[error("cpu: gemm cancelled")]
    CpuGemm,
    /// The backend did not encode lanes.
    #[error("{0}")]
    Encode(super::EncodeError),
    /// No libcuda or libnvrtc to load.
    #[error("libcuda / libnvrtc not found")]
    NoLibraries,
    /// The driver sees no device.
    #[error("no CUDA device")]
    NoDevice,
    /// A CUDA driver call (what it was for) failed.
    #[cfg(feature = "cuda")]
    #[error("{what}: {error:?}")]
    Driver {
        what: &'static str,
        error: cudarc::driver::DriverError,
    },
    /// A CUDA driver call failed.
    #[cfg(feature = "cuda")]
    #[error("{0:?}")]
    Cuda(cudarc::driver::DriverError),
    /// NVRTC did not compile a kernel source.
    #[cfg(feature = "cuda")]
    #[error("NVRTC: {0:?}")]
    Nvrtc(cudarc::nvrtc::CompileError),
    /// The tensor-core tile kernel compiled for an architecture (named) without mma.sync.
    #[error("{0}: no mma.sync in the PTX")]
    NoMma(String),
    /// The tensor-core tile kernel did not compile for an architecture (named).
    #[error("{arch}: {error}")]
    MmaCompile {
        arch: String,
        error: Box<BackendError>,
    },
    /// The tensor-core tile kernel's self-check (rows × k × n) did not run.
    #[cfg(feature = "cuda")]
    #[error("{rows}x{k}x{n}: {error:?}")]
    MmaRun {
        rows: u32,
        k: u32,
        n: u32,
        error: cudarc::driver::DriverError,
    },
    /// The tensor-core tile kernel's self-check (rows × k × n) got entries wrong.
    #[error("{rows}x{k}x{n}: {bad} of {entries} entries wrong")]
    MmaWrong {
        rows: u32,
        k: u32,
        n: u32,
        bad: usize,
        entries: usize,
    },
}

#[cfg(feature = "cuda")]
impl BackendError {
    /// A failed driver call, for `map_err`: `what` it was for.
    pub(crate) fn driver(what: &'static str) -> impl Fn(cudarc::driver::DriverError) -> Self {
        move |error| BackendError::Driver { what, error }
    }
}
