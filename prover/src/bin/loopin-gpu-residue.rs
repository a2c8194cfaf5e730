//! `loopin-gpu-residue`: whether a leased GPU's memory carries one tenant's data to the next
//! (docs/agent.md, "Tenant isolation"; run by `scripts/gpu-check.sh`).
//!
//! `write` fills most of the card's free memory with a marker and exits, as a tenant's processes
//! end at a lease's end; `scan`, a new process as the next tenant's would be, then allocates as
//! much without clearing it and counts the marker's bytes it finds. One JSON line on stdout;
//! `scan` exits 1 when it found any, and either exits 2 when it cannot run (no GPU, a CUDA
//! error, a bad command line).
//!
//! Needs the `cuda` feature and a GPU (libcuda from the driver).

use anyhow::anyhow;
use cudarc::driver::{CudaContext, CudaSlice};
use loopin_telemetry::program;
use std::process::ExitCode;

const PROGRAM: &str = "loopin-gpu-residue";

/// 32 bytes repeated over everything `write` allocates.
const MARKER: &[u8; 32] = b"LOOPIN-GPU-RESIDUE-MARKER-v1::::";
/// Allocation and copy unit.
const CHUNK: usize = 256 << 20;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let fraction = args
        .iter()
        .position(|arg| arg == "--fraction")
        .and_then(|i| args.get(i + 1))
        .and_then(|value| value.parse::<f64>().ok())
        .unwrap_or(0.9);
    let check: fn(f64) -> anyhow::Result<usize> = match args.first().map(String::as_str) {
        Some("write") => write,
        Some("scan") => scan,
        _ => {
            return program::usage(
                PROGRAM,
                "usage: loopin-gpu-residue write|scan [--fraction 0.9]",
            );
        }
    };
    // The answer is the exit code: 0 no marker found, 1 some found; a check that could not
    // run exits 2, as a refused command line does, so that it is never read as residue.
    program::run_sync(PROGRAM, None, || {
        Ok::<_, std::convert::Infallible>(match check(fraction) {
            Ok(0) => ExitCode::SUCCESS,
            Ok(_) => ExitCode::from(program::FAILURE),
            Err(error) => program::usage(PROGRAM, error),
        })
    })
}

fn chunks(fraction: f64) -> anyhow::Result<(std::sync::Arc<CudaContext>, usize, String)> {
    // SAFETY: these only try to dlopen the library and report whether that worked.
    if !unsafe { cudarc::driver::sys::is_culib_present() } {
        anyhow::bail!("no libcuda on this machine");
    }
    let ctx = CudaContext::new(0).map_err(|e| anyhow!("device 0: {e:?}"))?;
    let (free, _total) = ctx.mem_get_info().map_err(|e| anyhow!("{e:?}"))?;
    let name = ctx.name().unwrap_or_default();
    let count = ((free as f64 * fraction.clamp(0.01, 0.98)) as usize) / CHUNK;
    Ok((ctx, count.max(1), name))
}

/// Fills `fraction` of the free memory with [`MARKER`], then returns (freeing it on exit).
fn write(fraction: f64) -> anyhow::Result<usize> {
    let (ctx, count, name) = chunks(fraction)?;
    let stream = ctx.default_stream();
    let pattern: Vec<u8> = MARKER.iter().copied().cycle().take(CHUNK).collect();
    let mut held: Vec<CudaSlice<u8>> = Vec::with_capacity(count);
    for _ in 0..count {
        held.push(stream.clone_htod(&pattern).map_err(|e| anyhow!("{e:?}"))?);
    }
    stream.synchronize().map_err(|e| anyhow!("{e:?}"))?;
    println!(
        "{{\"mode\":\"write\",\"device\":{name:?},\"bytes_written\":{}}}",
        count * CHUNK
    );
    Ok(0)
}

/// Allocates `fraction` of the free memory uninitialised and counts [`MARKER`]'s bytes in it.
fn scan(fraction: f64) -> anyhow::Result<usize> {
    let (ctx, count, name) = chunks(fraction)?;
    let stream = ctx.default_stream();
    let mut host = vec![0u8; CHUNK];
    let mut found = 0usize;
    let mut held: Vec<CudaSlice<u8>> = Vec::with_capacity(count);
    for _ in 0..count {
        // SAFETY: the memory is read back as bytes, whatever it holds; that is the point.
        let chunk = unsafe { stream.alloc::<u8>(CHUNK) }.map_err(|e| anyhow!("{e:?}"))?;
        stream
            .memcpy_dtoh(&chunk, &mut host)
            .map_err(|e| anyhow!("{e:?}"))?;
        found += host
            .chunks_exact(MARKER.len())
            .filter(|window| *window == MARKER)
            .count()
            * MARKER.len();
        held.push(chunk);
    }
    println!(
        "{{\"mode\":\"scan\",\"device\":{name:?},\"bytes_scanned\":{},\"bytes_with_marker\":{found}}}",
        count * CHUNK
    );
    Ok(found)
}
