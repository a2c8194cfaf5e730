#!/usr/bin/env bash
# The GPU check: bit-exactness of the CUDA kernels (Sloth and GEMM, against the published vectors
# and the CPU), the encoder's rate and the GEMM challenge's rate against every GPU class
# (`loopin::gpu_classes`) on the GPU, next to the CPU backend on the same machine, and the proof
# service's rate. Each measurement also lands as JSON in $OUT (encode-*.json, gemm-*.json).
#
#   scripts/gpu-check.sh build   # here (any machine with Rust): builds the `cuda` prover into .gpu-check/
#   scripts/gpu-check.sh run     # on the GPU machine (no Rust, no network needed); logs to $OUT or .gpu-check/out
#
# The binaries load libcuda and libnvrtc at run time (cudarc, dynamic loading), so a build made
# without CUDA runs on the GPU machine. `run` fails, rather than skips, when no GPU can be used.
set -euo pipefail
cd "$(dirname "$0")/.."
B=.gpu-check

build() {
    mkdir -p "$B"
    local target=${CARGO_TARGET_DIR:-target}/gpu
    CARGO_TARGET_DIR="$target" CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
        cargo build --release --locked -p loopin-prover --features cuda --bins
    cp "$target/release/loopin-prover" "$target/release/loopin-gpu-residue" "$B/"
    strip "$B/loopin-prover" "$B/loopin-gpu-residue" 2>/dev/null || true
    ls -l "$B"
}

# libcuda comes with the driver (libcuda.so.1); NVRTC with the toolkit or a Python wheel, often only
# as libnvrtc.so.<major>: link it under the plain name that cudarc tries first.
find_libs() {
    local lib=$B/lib
    mkdir -p "$lib"
    local nvrtc
    nvrtc=$(find /usr/local/cuda*/lib64 /usr/local/cuda*/targets/*/lib /usr/lib/x86_64-linux-gnu \
        /opt/*/.venv/lib/python3*/site-packages/nvidia /usr/local/lib/python3*/dist-packages/nvidia \
        -name 'libnvrtc.so*' 2>/dev/null | grep -v -e builtins -e stubs | sort -V | tail -1 || true)
    [ -n "$nvrtc" ] || { echo "no libnvrtc on this machine" >&2; exit 1; }
    ln -sf "$nvrtc" "$lib/libnvrtc.so"
    local extra=$lib:$(dirname "$nvrtc")
    # The driver's own libcuda, never a toolkit stub (CUDA_ERROR_STUB_LIBRARY).
    for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib /usr/lib/x86_64-linux-gnu; do
        if [ -e "$d/libcuda.so.1" ]; then
            ln -sf "$d/libcuda.so.1" "$lib/libcuda.so"
            echo "libcuda: $d/libcuda.so.1"
            break
        fi
    done
    export LD_LIBRARY_PATH=$extra${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
    echo "libnvrtc: $nvrtc"
    echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
}

# A config holding custom parameters: `lanes` chains of `blocks` blocks of r = 1000 rounds.
params() {
    local f=$B/params-$1-$2.toml
    printf '[custom_params]\nlanes = %s\nblocks_per_lane = %s\nrounds = 1000\nblocks_per_leaf = %s\n' \
        "$1" "$2" "$(($2 < 64 ? $2 : 64))" >"$f"
    echo "$f"
}

failed=0
step() {
    echo
    echo "== $1"
    shift
    local t0=$SECONDS
    timeout "$@" || {
        echo "!! step failed (rc $?)"
        failed=1
    }
    echo "   ($((SECONDS - t0)) s)"
}

run() {
    local out=${OUT:-$B/out}
    mkdir -p "$out"
    exec > >(tee "$out/gpu-check.log") 2>&1
    date -u
    nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm,compute_cap --format=csv || true
    nproc
    find_libs
    local p=$B/loopin-prover
    export LOOPIN_LOG=warn
    # 1. Bit-exactness (`selftest`, backend::selftest): the published vectors, field edges and 500
    #    values at 1 and 3 rounds, a full P at the test parameters, a 2^16-input batch, the GEMM
    #    vector and two edge shapes, GPU against the CPU backend. `--backend cuda` fails, rather
    #    than falls back, without a GPU.
    step "kernel bit-exactness (NVRTC, GPU vs vectors and CPU)" 120 "$p" --backend cuda selftest
    # 2. GPU encoding at production occupancy (2^17 lanes, one thread each, r = 1000) with short
    #    lanes.
    local gpu
    gpu=$(params 131072 64)
    step "GPU: encode 2^17 lanes x 64 blocks x r=1000 (native arch)" \
        120 "$p" --config "$gpu" --backend cuda bench --encode-lanes 131072 --gemm-rows 0 --load 0 \
        --json "$out/encode-gpu.json"
    # 3. The GEMM challenge on the GPU: 2^14 rows of each class's shape (k = n = 16384),
    #    extrapolated to the class's m and compared with its deadline.
    for class in h100 a100 l4; do
        step "GPU: GEMM 16384 rows of the $class class's shape" \
            120 "$p" --backend cuda bench --encode-lanes 0 --gemm-rows 16384 --gemm-class "$class" \
            --load 0 --json "$out/gemm-gpu-$class.json"
    done
    # The tensor-core tile kernel is used only where its start-up self-check passed; the same
    # measurement on the dp4a kernel, for the ratio.
    step "GPU: GEMM 16384 rows of the h100 shape on the dp4a tile kernel" \
        120 env LOOPIN_GEMM_MMA=0 "$p" --backend cuda bench --encode-lanes 0 --gemm-rows 16384 \
        --gemm-class h100 --load 0 --json "$out/gemm-gpu-h100-dp4a.json"
    step "GPU: GEMM with NVRTC's default architecture" \
        90 env LOOPIN_NVRTC_ARCH=default "$p" --backend cuda bench --encode-lanes 0 --gemm-rows 4096 \
        --load 0 --json "$out/gemm-gpu-default-arch.json"
    # 4. The CPU backend on the same machine's cores, for the ratios.
    local cpu
    cpu=$(params "$(nproc)" 4096)
    step "CPU ($(nproc) threads): encode $(nproc) lanes x 4096 x r=1000; GEMM 64 rows" \
        120 "$p" --config "$cpu" --backend cpu bench --encode-lanes "$(nproc)" --gemm-rows 64 --load 0 \
        --json "$out/cpu.json"
    # 5. The proof service: 1,000 simultaneous challenges (test parameters) through gRPC, each
    #    verified, with the GPU backend and with the CPU backend.
    step "service: 1000 challenges, GPU backend" 60 "$p" --backend cuda bench --encode-lanes 0 --gemm-rows 0 --load 1000
    step "service: 1000 challenges, CPU backend" 60 "$p" --backend cpu bench --encode-lanes 0 --gemm-rows 0 --load 1000
    # 6. Tenant isolation on the card (docs/agent.md): one process fills 90 % of the free memory
    #    with a marker and exits, as a tenant's do at a lease's end; a second one, as the next
    #    tenant's, allocates as much without clearing it and must find none of the marker.
    ls -l /dev/nvidia* 2>/dev/null || true
    step "GPU memory between tenants: write" 120 "$B/loopin-gpu-residue" write
    step "GPU memory between tenants: scan (exits 1 on any residue)" 120 \
        bash -c "'$B/loopin-gpu-residue' scan | tee '$out/residue.json'"
    date -u
    return $failed
}

case "${1:-}" in
build) build ;;
run) run ;;
*)
    echo "usage: $0 build|run" >&2
    exit 2
    ;;
esac
