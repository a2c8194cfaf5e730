//! Generates the gRPC code from prover.proto (vendored protoc: no protoc on build machines) and
//! compiles the CUDA kernel source as plain C for the host, so CI checks its arithmetic bit for bit
//! against the Rust CPU backend without a GPU.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let protoc = protoc_bin_vendored::protoc_bin_path()?;
    // SAFETY: build scripts are single-threaded; PROTOC is read by tonic-build below.
    unsafe { std::env::set_var("PROTOC", protoc) };
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    tonic_build::configure()
        .file_descriptor_set_path(out.join("prover_descriptor.bin"))
        .compile_protos(&["proto/loopin/prover/v1/prover.proto"], &["proto"])?;
    println!("cargo:rerun-if-changed=proto/loopin/prover/v1/prover.proto");

    cc::Build::new()
        .file("kernels/sloth_host.c")
        .flag_if_supported("-std=c11")
        .opt_level(2)
        .compile("loopin_sloth_host");
    println!("cargo:rerun-if-changed=kernels/sloth.cu");
    println!("cargo:rerun-if-changed=kernels/sloth_host.c");

    cc::Build::new()
        .file("kernels/gemm_host.c")
        .flag_if_supported("-std=c11")
        .opt_level(2)
        .compile("loopin_gemm_host");
    println!("cargo:rerun-if-changed=kernels/gemm.cu");
    println!("cargo:rerun-if-changed=kernels/gemm_host.c");
    Ok(())
}
