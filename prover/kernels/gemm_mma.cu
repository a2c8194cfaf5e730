/*
 * Tensor-core tile kernel of the GEMM challenge: loopin_gemm_tile_mma has loopin_gemm_tile's
 * arguments and result (c, rows × n int32 row-major, = a (rows × k int8) · bt (n × k int8)ᵀ), but
 * multiplies with the int8 tensor cores' mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32 (sm_80+).
 * The cuda backend compiles it appended to gemm.cu (one NVRTC source; it uses gemm.cu's types and
 * tile code) for the GPU's architecture, checks it bit for bit on the device against the CPU, and
 * only then uses it. Below sm_80 the kernel body is gemm.cu's dp4a tile code instead, so the
 * source compiles for every architecture (and gives the same result, slower).
 *
 * Launch: LP_MT = 256 threads a block, a grid of ceil(n / LP_MN) × ceil(rows / LP_MM) blocks of
 * 128 × 256 outputs. The blocks take their tiles in groups of LP_MG tile rows (all columns of a
 * group before the next), so the blocks resident at once share rows of A and of Bᵀ in L2. A tile
 * of 128 × 256 reads 1/85 byte from L2 a multiply-add (128 × 128: 1/64).
 *
 * Inner loop: k in chunks of LP_MKB = 64 bytes. A chunk of the block's 128 rows of A and 256 rows
 * of Bᵀ is (128 + 256) × 4 segments of 16 bytes; thread tid loads segments tid + 256·l (l < 6) into
 * registers (one 128-bit load each when k % 16 == 0 and both matrices are 16-byte aligned, issued
 * before the warps multiply the previous chunk from the other of two shared buffers; else byte by
 * byte after it; zero past rows, n or k), then stores them: one barrier a chunk. Shared row r,
 * segment s is uint4 r·4 + s (A rows first, then Bᵀ's).
 *
 * Warps: 2 × 4, warp w owns rows wm = 64·(w / 4) .. + 64 and columns wn = 64·(w % 4) .. + 64 of
 * the tile: 4 × 8 mma tiles of 16 × 8, accumulators acc[mi][ni][0..4] (128 registers). Shared
 * memory: 2 × 24 KiB, so one block (8 warps) an SM.
 *
 * Fragments (PTX ISA, "Matrix Fragments for mma.m16n8k32", .s8; lane = tid % 32, g = lane >> 2,
 * t = lane % 4; the 4 bytes of a .b32 register are its elements low to high):
 *   A (16 × 32): a0..a3 = A[g][4t .. 4t+4], a4..a7 = A[g+8][4t ..], a8..a11 = A[g][16+4t ..],
 *     a12..a15 = A[g+8][16+4t ..]              (registers ra0, ra1, ra2, ra3)
 *   B (32 × 8, column j is row j of Bᵀ): b0..b3 = B[4t .. 4t+4][g], b4..b7 = B[16+4t ..][g]
 *                                                (registers rb0, rb1)
 *   C, D (16 × 8 s32): c0 = (g, 2t), c1 = (g, 2t+1), c2 = (g+8, 2t), c3 = (g+8, 2t+1)
 * A dot product over k does not depend on the order of k, only on A and B using the same one; so
 * within a chunk the k words are dealt out to suit 128-bit shared loads: lane (g, t) reads segment
 * t (words 4t .. 4t+3, bytes 16t .. 16t+15) of its rows, and
 *   mma 0 of the chunk: ra0 = row g word 4t,   ra1 = row g+8 word 4t,   ra2 = row g word 4t+1,
 *                       ra3 = row g+8 word 4t+1, rb0 = Bᵀ row g word 4t, rb1 = Bᵀ row g word 4t+1
 *   mma 1: the same with words 4t+2 and 4t+3.
 * The mma pairs A column 4t+i with B row 4t+i (and 16+4t+i with 16+4t+i), the same lane's t, so
 * every product pairs A's and Bᵀ's byte at the same k, and the two mmas cover the 16 words once.
 * A quarter warp's 128-bit loads (g in {2h, 2h+1}, t in 0..4) are 128 consecutive bytes: no bank
 * conflicts.
 */
#ifdef __CUDACC__

#define LP_MM 128u /* tile rows (of A and C) */
#define LP_MN 256u /* tile columns (rows of Bᵀ) */
#define LP_MKB 64u /* k bytes a chunk */
#define LP_MT 256u /* threads a block */
#define LP_MSEG ((LP_MM + LP_MN) * 4u / LP_MT) /* 16-byte segments a thread loads a chunk */
#define LP_MG 16u  /* tile rows a group of the block order */
/* The fallback below sm_80 runs gemm.cu's tile code with one of its LP_TT threads a thread. */
typedef char lp_mma_fallback_threads[(LP_TT == LP_MT && LP_MM % LP_TM == 0u && LP_MN % LP_TN == 0u) ? 1 : -1];

#if (defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800) || defined(LOOPIN_MMA_EMU)
#define LP_HAVE_MMA 1

#ifdef LOOPIN_MMA_EMU
/* A host harness that emulates the warp supplies the instruction (development only). */
void lp_mma_emu(int *d, u32 a0, u32 a1, u32 a2, u32 a3, u32 b0, u32 b1);
#endif

/* d (this lane's c0..c3) += A · B of the warp's fragments (layout above). */
LP_DEV void lp_mma(int *d, u32 a0, u32 a1, u32 a2, u32 a3, u32 b0, u32 b1) {
#ifdef LOOPIN_MMA_EMU
    lp_mma_emu(d, a0, a1, a2, a3, b0, b1);
#else
    asm volatile("mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, "
                 "{%8, %9}, {%0, %1, %2, %3};\n"
                 : "+r"(d[0]), "+r"(d[1]), "+r"(d[2]), "+r"(d[3])
                 : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
#endif
}

/* The two chunk buffers: rows of A at uint4 0 .. 512, rows of Bᵀ at 512 .. 1536. */
__shared__ uint4 lp_mma_smem[2][(LP_MM + LP_MN) * 4u];

/* Thread tid's segments of the chunk at kc: v[l] = segment q = tid + LP_MT·l (l < LP_MSEG), the
 * 16 bytes kc + 16·(q % 4) .. of A row row0 + q / 4 (q < 512) or of Bᵀ row col0 + (q - 512) / 4,
 * zero past rows, n or k. `vec`: k % 16 == 0 and both matrices 16-byte aligned, so a segment is one aligned
 * 128-bit load that lies wholly inside or wholly past k. */
LP_DEV void lp_mma_fetch(u32 tid, const unsigned char *a, const unsigned char *bt, u32 rows, u32 k, u32 n,
                         u32 row0, u32 col0, u32 kc, u32 vec, uint4 *v) {
    LP_UNROLL
    for (u32 l = 0; l < LP_MSEG; l++) {
        u32 q = tid + LP_MT * l;
        u32 isb = q >= LP_MM * 4u;
        u32 r = (isb ? q - LP_MM * 4u : q) >> 2;
        const unsigned char *mat = isb ? bt : a;
        u32 nrows = isb ? n : rows;
        u32 row = (isb ? col0 : row0) + r;
        u32 t = kc + 16u * (q & 3u);
        uint4 x;
        x.x = 0u;
        x.y = 0u;
        x.z = 0u;
        x.w = 0u;
        if (vec) {
            if (row < nrows && t < k) {
                x = *(const uint4 *)(mat + (u64)row * k + t);
            }
        } else {
            x.x = lp_pack(mat, nrows, k, row, t);
            x.y = lp_pack(mat, nrows, k, row, t + 4u);
            x.z = lp_pack(mat, nrows, k, row, t + 8u);
            x.w = lp_pack(mat, nrows, k, row, t + 12u);
        }
        v[l] = x;
    }
}

LP_DEV void lp_mma_stash(u32 tid, const uint4 *v, uint4 *buf) {
    LP_UNROLL
    for (u32 l = 0; l < LP_MSEG; l++) {
        buf[tid + LP_MT * l] = v[l];
    }
}

/* The warp's 4 × 8 mma tiles over one chunk in shared memory (k words dealt out as above). */
LP_DEV void lp_mma_chunk(u32 lane, u32 wm, u32 wn, const uint4 *buf, int (*acc)[8][4]) {
    u32 g = lane >> 2, t = lane & 3u;
    uint4 fb[8];
    LP_UNROLL
    for (u32 ni = 0; ni < 8u; ni++) {
        fb[ni] = buf[(LP_MM + wn + 8u * ni + g) * 4u + t];
    }
    LP_UNROLL
    for (u32 mi = 0; mi < 4u; mi++) {
        uint4 lo = buf[(wm + 16u * mi + g) * 4u + t];
        uint4 hi = buf[(wm + 16u * mi + g + 8u) * 4u + t];
        LP_UNROLL
        for (u32 ni = 0; ni < 8u; ni++) {
            lp_mma(acc[mi][ni], lo.x, hi.x, lo.y, hi.y, fb[ni].x, fb[ni].y);
        }
        LP_UNROLL
        for (u32 ni = 0; ni < 8u; ni++) {
            lp_mma(acc[mi][ni], lo.z, hi.z, lo.w, hi.w, fb[ni].z, fb[ni].w);
        }
    }
}

/* The block's k loop: acc (the warp's 4 × 8 tiles) += its rows of A · its rows of Bᵀ over all k. */
LP_DEV void lp_mma_run(u32 tid, u32 lane, u32 wm, u32 wn, const unsigned char *a, const unsigned char *bt,
                       u32 rows, u32 k, u32 n, u32 row0, u32 col0, u32 vec, int (*acc)[8][4]) {
    u32 chunks = (k + LP_MKB - 1u) / LP_MKB;
    uint4 v[LP_MSEG];
    lp_mma_fetch(tid, a, bt, rows, k, n, row0, col0, 0u, vec, v);
    lp_mma_stash(tid, v, lp_mma_smem[0]);
    __syncthreads();
    for (u32 ch = 0; ch < chunks; ch++) {
        u32 cur = ch & 1u, next = ch + 1u < chunks;
        /* 128-bit loads of the next chunk are in flight during the multiply; the byte loads (odd
         * shapes only) come after it, so their registers are not live beside the accumulators. */
        if (next && vec) {
            lp_mma_fetch(tid, a, bt, rows, k, n, row0, col0, (ch + 1u) * LP_MKB, 1u, v);
        }
        lp_mma_chunk(lane, wm, wn, lp_mma_smem[cur], acc);
        if (next) {
            if (!vec) {
                lp_mma_fetch(tid, a, bt, rows, k, n, row0, col0, (ch + 1u) * LP_MKB, 0u, v);
            }
            /* Buffer cur ^ 1 was last read in chunk ch - 1, before the barrier that ended it. */
            lp_mma_stash(tid, v, lp_mma_smem[cur ^ 1u]);
        }
        __syncthreads();
    }
}
#endif /* LP_HAVE_MMA */

/* c (rows × n int32) = a (rows × k int8) · bt (n × k int8)ᵀ, as loopin_gemm_tile. Launch with
 * LP_MT threads a block and a grid of ceil(n / LP_MN) × ceil(rows / LP_MM) blocks. */
LP_KERNEL void __launch_bounds__(256) loopin_gemm_tile_mma(const unsigned char *a, const unsigned char *bt,
                                                            u32 rows, u32 k, u32 n, int *c) {
    u32 tid = threadIdx.x;
    /* Block b of the grid (row-major) takes tile (by, bx): groups of LP_MG tile rows, column
     * after column within a group (a bijection: the last group has gm <= LP_MG rows). */
    u32 nbx = gridDim.x, nby = gridDim.y;
    u32 lin = blockIdx.y * nbx + blockIdx.x;
    u32 group = lin / (LP_MG * nbx);
    u32 first = group * LP_MG;
    u32 gm = nby - first < LP_MG ? nby - first : LP_MG;
    u32 in = lin - group * LP_MG * nbx;
    u32 row0 = (first + in % gm) * LP_MM, col0 = (in / gm) * LP_MN;
#ifdef LP_HAVE_MMA
    u32 warp = tid >> 5, lane = tid & 31u;
    u32 wm = (warp >> 2) * 64u, wn = (warp & 3u) * 64u;
    u32 vec = (k % 16u == 0u) && ((((u64)a) | ((u64)bt)) % 16u == 0u);
    int acc[4][8][4];
    LP_UNROLL
    for (u32 mi = 0; mi < 4u; mi++) {
        LP_UNROLL
        for (u32 ni = 0; ni < 8u; ni++) {
            LP_UNROLL
            for (u32 i = 0; i < 4u; i++) {
                acc[mi][ni][i] = 0;
            }
        }
    }
    /* One copy of the k loop a load path (`vec` a constant in each), so the registers of one
     * are not held beside the accumulators in the other. */
    if (vec) {
        lp_mma_run(tid, lane, wm, wn, a, bt, rows, k, n, row0, col0, 1u, acc);
    } else {
        lp_mma_run(tid, lane, wm, wn, a, bt, rows, k, n, row0, col0, 0u, acc);
    }
    u32 g = lane >> 2, t = lane & 3u;
    LP_UNROLL
    for (u32 mi = 0; mi < 4u; mi++) {
        LP_UNROLL
        for (u32 ni = 0; ni < 8u; ni++) {
            LP_UNROLL
            for (u32 i = 0; i < 4u; i++) {
                u32 r = row0 + wm + 16u * mi + g + 8u * (i >> 1);
                u32 col = col0 + wn + 8u * ni + 2u * t + (i & 1u);
                if (r < rows && col < n) {
                    c[(u64)r * n + col] = acc[mi][ni][i];
                }
            }
        }
    }
#else
    /* No tensor cores: gemm.cu's 64 × 64 tile code (LP_TT = LP_MT threads) on the 2 × 4 tiles of
     * 64 × 64 in this block's 128 × 256. */
    __shared__ u32 sa[LP_TM][LP_TKW + 1];
    __shared__ u32 sb[LP_TN][LP_TKW + 1];
    for (u32 sub = 0; sub < 8u; sub++) {
        u32 r0 = row0 + LP_TM * (sub >> 2), c0 = col0 + LP_TN * (sub & 3u);
        int acc[16];
        for (u32 i = 0; i < 16u; i++) {
            acc[i] = 0;
        }
        for (u32 kc = 0; kc < k; kc += 4u * LP_TKW) {
            lp_tile_load(tid, a, bt, rows, k, n, r0, c0, kc, sa, sb);
            __syncthreads();
            lp_tile_mac(tid, sa, sb, acc);
            __syncthreads();
        }
        lp_tile_store(tid, rows, n, r0, c0, acc, c);
    }
#endif
}

#endif /* __CUDACC__ */
