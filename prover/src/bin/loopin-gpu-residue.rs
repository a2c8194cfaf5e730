//! `loopin-gpu-residue`: whether a leased GPU's memory carries one tenant's data to the next
//! (docs/agent.md, "Tenant isolation"; run by `scripts/gpu-check.sh`).
//!
//! `write` fills most of the card's free memory with a marker and exits, as a tenant's processes
//! end at a lease's end; `scan`, a new process as the next tenant's would be, then allocates as
//! much without clearing it and counts the marker's bytes it finds. One JSON line on stdout;
//! `scan` exits 1 when it found any.
//!
//! Needs the `cuda` feature and a GPU (libcuda from the driver).

use cudarc::driver::{CudaContext, CudaSlice};
use std::process::ExitCode;

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
    let result = match args.first().map(String::as_str) {
        Some("write") => write(fraction),
        Some("scan") => scan(fraction),
        _ => Err("usage: loopin-gpu-residue write|scan [--fraction 0.9]".to_string()),
    };
    match result {
        Ok(0) => ExitCode::SUCCESS,
        Ok(_) => ExitCode::from(1),
        Err(error) => {
            eprintln!("loopin-gpu-residue: {error}");
            ExitCode::from(2)
        }
    }
}

fn chunks(fraction: f64) -> Result<(std::sync::Arc<CudaContext>, usize, String), String> {
    // SAFETY: these only try to dlopen the library and report whether that worked.
    if !unsafe { cudarc::driver::sys::is_culib_present() } {
        return Err("no libcuda on this machine".into());
    }
    let ctx = CudaContext::new(0).map_err(|e| format!("device 0: {e:?}"))?;
    let (free, _total) = ctx.mem_get_info().map_err(|e| format!("{e:?}"))?;
    let name = ctx.name().unwrap_or_default();
    let count = ((free as f64 * fraction.clamp(0.01, 0.98)) as usize) / CHUNK;
    Ok((ctx, count.max(1), name))
}

/// Fills `fraction` of the free memory with [`MARKER`], then returns (freeing it on exit).
fn write(fraction: f64) -> Result<usize, String> {
    let (ctx, count, name) = chunks(fraction)?;
    let stream = ctx.default_stream();
    let pattern: Vec<u8> = MARKER.iter().copied().cycle().take(CHUNK).collect();
    let mut held: Vec<CudaSlice<u8>> = Vec::with_capacity(count);
    for _ in 0..count {
        held.push(stream.clone_htod(&pattern).map_err(|e| format!("{e:?}"))?);
    }
    stream.synchronize().map_err(|e| format!("{e:?}"))?;
    println!(
        "{{\"mode\":\"write\",\"device\":{name:?},\"bytes_written\":{}}}",
        count * CHUNK
    );
    Ok(0)
}

/// Allocates `fraction` of the free memory uninitialised and counts [`MARKER`]'s bytes in it.
fn scan(fraction: f64) -> Result<usize, String> {
    let (ctx, count, name) = chunks(fraction)?;
    let stream = ctx.default_stream();
    let mut host = vec![0u8; CHUNK];
    let mut found = 0usize;
    let mut held: Vec<CudaSlice<u8>> = Vec::with_capacity(count);
    for _ in 0..count {
        // SAFETY: the memory is read back as bytes, whatever it holds; that is the point.
        let chunk = unsafe { stream.alloc::<u8>(CHUNK) }.map_err(|e| format!("{e:?}"))?;
        stream
            .memcpy_dtoh(&chunk, &mut host)
            .map_err(|e| format!("{e:?}"))?;
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
