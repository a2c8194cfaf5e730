/*
 * LooPIN PoCPS GEMM throughput challenge (loopin_pocps::gemm): C = A·B with int8 inputs and int32
 * sums, A (m × k) and Bᵀ (n × k) generated from a 32-byte seed by SHA-256 in counter mode, and one
 * SHA-256 leaf per row of C.
 *
 * - Stream byte `pos` of tag T ("a" or "bt") is byte pos % 32 of
 *   SHA-256("loopin-pocps/gemm/" || T || seed || u64_le(pos / 32)); A[i][t] is byte i·k + t of "a",
 *   Bᵀ[j][t] byte j·k + t of "bt".
 * - The leaf of row i is SHA-256([2] || u64_le(i) || C[i][0..n] as i32 little-endian).
 *
 * Plain C-compatible CUDA, like sloth.cu: NVRTC compiles it for the GPU (cuda backend) and the host
 * C compiler through kernels/gemm_host.c (build.rs), whose loops run the kernels' very device
 * functions block by block and thread by thread, so CI checks everything but __dp4a bit for bit
 * against loopin-pocps without a GPU. Sizes: k <= 2^16, n <= 2^16, m <= 2^24, so every |sum| <=
 * 128·128·2^16 = 2^30 fits an int and every byte offset fits 64 bits.
 */
typedef unsigned long long u64;
typedef unsigned int u32;

#ifdef __CUDACC__
#define LP_DEV __device__ __forceinline__
#define LP_KERNEL extern "C" __global__
#define LP_CONST __constant__ const
#define LP_UNROLL _Pragma("unroll")
#else
#define LP_DEV static inline
#define LP_CONST static const
#define LP_UNROLL
#endif

/* Output tile of the GEMM kernel: LP_TM rows × LP_TN columns per block of LP_TT threads (16 × 16,
 * each 4 × 4 outputs), the inner dimension LP_TKW 4-byte words (64 bytes) at a time. */
#define LP_TM 64
#define LP_TN 64
#define LP_TKW 16
#define LP_TT 256

LP_CONST u32 LP_SHA_K[64] = {
    0x428a2f98u, 0x71374491u, 0xb5c0fbcfu, 0xe9b5dba5u, 0x3956c25bu, 0x59f111f1u, 0x923f82a4u,
    0xab1c5ed5u, 0xd807aa98u, 0x12835b01u, 0x243185beu, 0x550c7dc3u, 0x72be5d74u, 0x80deb1feu,
    0x9bdc06a7u, 0xc19bf174u, 0xe49b69c1u, 0xefbe4786u, 0x0fc19dc6u, 0x240ca1ccu, 0x2de92c6fu,
    0x4a7484aau, 0x5cb0a9dcu, 0x76f988dau, 0x983e5152u, 0xa831c66du, 0xb00327c8u, 0xbf597fc7u,
    0xc6e00bf3u, 0xd5a79147u, 0x06ca6351u, 0x14292967u, 0x27b70a85u, 0x2e1b2138u, 0x4d2c6dfcu,
    0x53380d13u, 0x650a7354u, 0x766a0abbu, 0x81c2c92eu, 0x92722c85u, 0xa2bfe8a1u, 0xa81a664bu,
    0xc24b8b70u, 0xc76c51a3u, 0xd192e819u, 0xd6990624u, 0xf40e3585u, 0x106aa070u, 0x19a4c116u,
    0x1e376c08u, 0x2748774cu, 0x34b0bcb5u, 0x391c0cb3u, 0x4ed8aa4au, 0x5b9cca4fu, 0x682e6ff3u,
    0x748f82eeu, 0x78a5636fu, 0x84c87814u, 0x8cc70208u, 0x90befffau, 0xa4506cebu, 0xbef9a3f7u,
    0xc67178f2u};

/* "loopin-pocps/gemm/", the domain of the stream blocks. */
LP_CONST u32 LP_GEMM_PREFIX[18] = {'l', 'o', 'o', 'p', 'i', 'n', '-', 'p', 'o',
                                   'c', 'p', 's', '/', 'g', 'e', 'm', 'm', '/'};
#define LP_GEMM_PREFIX_LEN 18u

LP_DEV u32 lp_ror(u32 x, u32 n) { return (x >> n) | (x << (32u - n)); }

LP_DEV void lp_sha_init(u32 *h) {
    h[0] = 0x6a09e667u;
    h[1] = 0xbb67ae85u;
    h[2] = 0x3c6ef372u;
    h[3] = 0xa54ff53au;
    h[4] = 0x510e527fu;
    h[5] = 0x9b05688cu;
    h[6] = 0x1f83d9abu;
    h[7] = 0x5be0cd19u;
}

/* One SHA-256 compression of the 16 big-endian words w (overwritten: the schedule rolls in it). */
LP_DEV void lp_sha_block(u32 *h, u32 *w) {
    u32 a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
    LP_UNROLL
    for (int r = 0; r < 64; r++) {
        u32 wr;
        if (r < 16) {
            wr = w[r];
        } else {
            u32 w15 = w[(r - 15) & 15], w2 = w[(r - 2) & 15];
            u32 s0 = lp_ror(w15, 7) ^ lp_ror(w15, 18) ^ (w15 >> 3);
            u32 s1 = lp_ror(w2, 17) ^ lp_ror(w2, 19) ^ (w2 >> 10);
            wr = w[r & 15] + s0 + w[(r - 7) & 15] + s1;
            w[r & 15] = wr;
        }
        u32 S1 = lp_ror(e, 6) ^ lp_ror(e, 11) ^ lp_ror(e, 25);
        u32 ch = (e & f) ^ (~e & g);
        u32 t1 = hh + S1 + ch + LP_SHA_K[r] + wr;
        u32 S0 = lp_ror(a, 2) ^ lp_ror(a, 13) ^ lp_ror(a, 22);
        u32 mj = (a & b) ^ (a & c) ^ (b & c);
        u32 t2 = S0 + mj;
        hh = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
    h[5] += f;
    h[6] += g;
    h[7] += hh;
}

/* Byte i (0..32) of the digest h. */
LP_DEV u32 lp_sha_byte(const u32 *h, u32 i) { return (h[i >> 2] >> (24u - 8u * (i & 3u))) & 0xffu; }

/* The padded SHA-256 message's bytes: 0x80 at `len`, the bit length in the last 8 of `padded`. */
LP_DEV u32 lp_pad_byte(u32 len, u32 padded, u32 pos) {
    if (pos == len) {
        return 0x80u;
    }
    if (pos + 8u >= padded) {
        u64 bits = (u64)len * 8u;
        return (u32)(bits >> (8u * (padded - 1u - pos))) & 0xffu;
    }
    return 0u;
}

/* Bytes of a padded message of `len` bytes: a multiple of 64 with room for 0x80 and the length. */
LP_DEV u32 lp_padded_len(u32 len) { return ((len + 8u) / 64u + 1u) * 64u; }

/* ---- The seeded streams: tag 0 is "a", tag 1 is "bt". seed[] holds the 32 seed bytes
 * little-endian in four 64-bit words. */

LP_DEV u32 lp_gen_byte(const u64 *seed, u32 tag, u64 ctr, u32 pos) {
    u32 tl = tag ? 2u : 1u;
    u32 len = LP_GEMM_PREFIX_LEN + tl + 32u + 8u;
    if (pos < LP_GEMM_PREFIX_LEN) {
        return LP_GEMM_PREFIX[pos];
    }
    if (pos < LP_GEMM_PREFIX_LEN + tl) {
        if (!tag) {
            return 'a';
        }
        return pos == LP_GEMM_PREFIX_LEN ? 'b' : 't';
    }
    if (pos < len) {
        u32 p = pos - LP_GEMM_PREFIX_LEN - tl;
        if (p < 32u) {
            return (u32)(seed[p >> 3] >> (8u * (p & 7u))) & 0xffu;
        }
        p -= 32u;
        return (u32)(ctr >> (8u * p)) & 0xffu;
    }
    return lp_pad_byte(len, 128u, pos);
}

/* Stream block `ctr` of `tag`: SHA-256 of the 59- or 60-byte message, two compressions. */
LP_DEV void lp_gen_block(const u64 *seed, u32 tag, u64 ctr, u32 *h) {
    lp_sha_init(h);
    for (u32 blk = 0; blk < 2u; blk++) {
        u32 w[16];
        LP_UNROLL
        for (u32 q = 0; q < 16u; q++) {
            u32 p = blk * 64u + 4u * q;
            w[q] = (lp_gen_byte(seed, tag, ctr, p) << 24) | (lp_gen_byte(seed, tag, ctr, p + 1u) << 16) |
                   (lp_gen_byte(seed, tag, ctr, p + 2u) << 8) | lp_gen_byte(seed, tag, ctr, p + 3u);
        }
        lp_sha_block(h, w);
    }
}

/* Work item t of the generator: the bytes of stream block offset / 32 + t that fall in
 * [offset, offset + len), written to out[pos - offset]. */
LP_DEV void lp_gen_one(const u64 *seed, u32 tag, u64 offset, u64 len, u64 t, unsigned char *out) {
    u64 blk = offset / 32u + t;
    u64 start = blk * 32u, end = offset + len;
    if (start >= end) {
        return;
    }
    u32 h[8];
    lp_gen_block(seed, tag, blk, h);
    for (u32 b = 0; b < 32u; b++) {
        u64 pos = start + b;
        if (pos >= offset && pos < end) {
            out[pos - offset] = (unsigned char)lp_sha_byte(h, b);
        }
    }
}

/* Work items of the generator for [offset, offset + len): the stream blocks it touches. */
LP_DEV u64 lp_gen_items(u64 offset, u64 len) { return len ? (offset + len - 1u) / 32u - offset / 32u + 1u : 0u; }

/* ---- The product. Bytes are packed 4 to a 32-bit word (byte b at bits 8b..8b+7, zero past k);
 * the zero padding contributes nothing, which is the tail of every row when k % 4 != 0. */

/* acc + Σ_b x.byte[b] · y.byte[b], bytes signed: __dp4a on sm_61+, else the same in scalar code. */
LP_DEV int lp_dot4(u32 x, u32 y, int acc) {
#if defined(__CUDA_ARCH__) && (__CUDA_ARCH__ >= 610) && !defined(LOOPIN_NO_DP4A)
    return __dp4a((int)x, (int)y, acc);
#else
    for (u32 b = 0; b < 4u; b++) {
        int xb = (int)((x >> (8u * b)) & 0xffu);
        int yb = (int)((y >> (8u * b)) & 0xffu);
        xb -= (xb & 0x80) << 1;
        yb -= (yb & 0x80) << 1;
        acc += xb * yb;
    }
    return acc;
#endif
}

/* Bytes t .. t + 3 of row `row` of an nrows × k byte matrix as one word (zero past k or nrows). */
LP_DEV u32 lp_pack(const unsigned char *mat, u32 nrows, u32 k, u32 row, u32 t) {
    u32 v = 0;
    if (row < nrows) {
        const unsigned char *p = mat + (u64)row * k;
        for (u32 b = 0; b < 4u; b++) {
            if (t + b < k) {
                v |= (u32)p[t + b] << (8u * b);
            }
        }
    }
    return v;
}

/* Thread tid's share of loading the chunk kc .. kc + 64 of the tile's rows of A (band rows
 * row0 ..) and of Bᵀ (columns col0 ..) into shared memory. */
LP_DEV void lp_tile_load(u32 tid, const unsigned char *a, const unsigned char *bt, u32 rows, u32 k, u32 n,
                         u32 row0, u32 col0, u32 kc, u32 (*sa)[LP_TKW + 1], u32 (*sb)[LP_TKW + 1]) {
    LP_UNROLL
    for (u32 l = 0; l < (LP_TM * LP_TKW) / LP_TT; l++) {
        u32 idx = tid + l * LP_TT;
        u32 r = idx / LP_TKW, wd = idx % LP_TKW;
        sa[r][wd] = lp_pack(a, rows, k, row0 + r, kc + 4u * wd);
    }
    LP_UNROLL
    for (u32 l = 0; l < (LP_TN * LP_TKW) / LP_TT; l++) {
        u32 idx = tid + l * LP_TT;
        u32 r = idx / LP_TKW, wd = idx % LP_TKW;
        sb[r][wd] = lp_pack(bt, n, k, col0 + r, kc + 4u * wd);
    }
}

/* Thread tid (ty = tid / 16, tx = tid % 16) accumulates its 4 × 4 outputs, rows ty + 16·i and
 * columns tx + 16·j of the tile, over the chunk in shared memory. */
LP_DEV void lp_tile_mac(u32 tid, u32 (*sa)[LP_TKW + 1], u32 (*sb)[LP_TKW + 1], int *acc) {
    u32 ty = tid / 16u, tx = tid % 16u;
    LP_UNROLL
    for (u32 wd = 0; wd < LP_TKW; wd++) {
        u32 av[4], bv[4];
        LP_UNROLL
        for (u32 i = 0; i < 4u; i++) {
            av[i] = sa[ty + 16u * i][wd];
            bv[i] = sb[tx + 16u * i][wd];
        }
        LP_UNROLL
        for (u32 i = 0; i < 4u; i++) {
            LP_UNROLL
            for (u32 j = 0; j < 4u; j++) {
                acc[4u * i + j] = lp_dot4(av[i], bv[j], acc[4u * i + j]);
            }
        }
    }
}

/* Thread tid writes its outputs that fall inside the band (rows × n, row-major). */
LP_DEV void lp_tile_store(u32 tid, u32 rows, u32 n, u32 row0, u32 col0, const int *acc, int *c) {
    u32 ty = tid / 16u, tx = tid % 16u;
    for (u32 i = 0; i < 4u; i++) {
        u32 r = row0 + ty + 16u * i;
        for (u32 j = 0; j < 4u; j++) {
            u32 col = col0 + tx + 16u * j;
            if (r < rows && col < n) {
                c[(u64)r * n + col] = acc[4u * i + j];
            }
        }
    }
}

/* ---- Row leaves: SHA-256([2] || u64_le(idx) || row[0..n] as i32 LE), 9 + 4n bytes, streamed a
 * 64-byte block at a time from C (nothing buffered beyond one block). */

LP_DEV u32 lp_leaf_byte(const int *row, u64 idx, u32 len, u32 padded, u32 pos) {
    if (pos == 0u) {
        return 2u;
    }
    if (pos < 9u) {
        return (u32)(idx >> (8u * (pos - 1u))) & 0xffu;
    }
    if (pos < len) {
        u32 p = pos - 9u;
        return ((u32)row[p >> 2] >> (8u * (p & 3u))) & 0xffu;
    }
    return lp_pad_byte(len, padded, pos);
}

/* Big-endian word q of the padded leaf message. Bytes 4q .. 4q + 3 with q >= 3 inside the message
 * are the top byte of C[q - 3] and the low three bytes of C[q - 2] (entry j starts at 9 + 4j). */
LP_DEV u32 lp_leaf_word(const int *row, u64 idx, u32 len, u32 padded, u32 q) {
    if (q >= 3u && 4u * q + 4u <= len) {
        u32 hi = (u32)row[q - 3u], lo = (u32)row[q - 2u];
        return (hi & 0xff000000u) | ((lo & 0xffu) << 16) | (lo & 0xff00u) | ((lo >> 16) & 0xffu);
    }
    u32 p = 4u * q;
    return (lp_leaf_byte(row, idx, len, padded, p) << 24) | (lp_leaf_byte(row, idx, len, padded, p + 1u) << 16) |
           (lp_leaf_byte(row, idx, len, padded, p + 2u) << 8) | lp_leaf_byte(row, idx, len, padded, p + 3u);
}

LP_DEV void lp_row_leaf(const int *row, u32 n, u64 idx, unsigned char *out) {
    u32 len = 9u + 4u * n, padded = lp_padded_len(len);
    u32 h[8];
    lp_sha_init(h);
    for (u32 blk = 0; blk < padded / 64u; blk++) {
        u32 w[16];
        LP_UNROLL
        for (u32 q = 0; q < 16u; q++) {
            w[q] = lp_leaf_word(row, idx, len, padded, blk * 16u + q);
        }
        lp_sha_block(h, w);
    }
    for (u32 b = 0; b < 32u; b++) {
        out[b] = (unsigned char)lp_sha_byte(h, b);
    }
}

#ifdef __CUDACC__
/* One thread per stream block: out[0 .. len) = bytes offset .. offset + len of stream `tag`
 * (0 = "a", 1 = "bt") of the seed s0..s3. Launch lp_gen_items(offset, len) threads. */
LP_KERNEL void loopin_gemm_gen(u64 s0, u64 s1, u64 s2, u64 s3, u32 tag, u64 offset, u64 len,
                               unsigned char *out) {
    u64 t = (u64)blockIdx.x * blockDim.x + threadIdx.x;
    if (t < lp_gen_items(offset, len)) {
        u64 seed[4];
        seed[0] = s0;
        seed[1] = s1;
        seed[2] = s2;
        seed[3] = s3;
        lp_gen_one(seed, tag, offset, len, t, out);
    }
}

/* c (rows × n int32) = a (rows × k int8, a band of A) · bt (n × k int8)ᵀ. Launch with LP_TT
 * threads per block and a grid of ceil(n / LP_TN) × ceil(rows / LP_TM) blocks. */
LP_KERNEL void loopin_gemm_tile(const unsigned char *a, const unsigned char *bt, u32 rows, u32 k, u32 n,
                                int *c) {
    __shared__ u32 sa[LP_TM][LP_TKW + 1];
    __shared__ u32 sb[LP_TN][LP_TKW + 1];
    u32 tid = threadIdx.x;
    u32 row0 = blockIdx.y * LP_TM, col0 = blockIdx.x * LP_TN;
    int acc[16];
    LP_UNROLL
    for (u32 i = 0; i < 16u; i++) {
        acc[i] = 0;
    }
    for (u32 kc = 0; kc < k; kc += 4u * LP_TKW) {
        lp_tile_load(tid, a, bt, rows, k, n, row0, col0, kc, sa, sb);
        __syncthreads();
        lp_tile_mac(tid, sa, sb, acc);
        __syncthreads();
    }
    lp_tile_store(tid, rows, n, row0, col0, acc, c);
}

/* One thread per row of the band c (rows × n): out[32t .. 32t + 32) = leaf of row row0 + t. */
LP_KERNEL void loopin_gemm_leaves(const int *c, u32 rows, u32 n, u64 row0, unsigned char *out) {
    u32 t = blockIdx.x * blockDim.x + threadIdx.x;
    if (t < rows) {
        lp_row_leaf(c + (u64)t * n, n, row0 + t, out + (u64)t * 32u);
    }
}
#else
/* The kernels above as host loops over their threads (and, for the tile kernel, its blocks and
 * the phases between its barriers), calling the same device functions. */

static void lp_seed_words(const unsigned char *seed32, u64 *seed) {
    for (u32 i = 0; i < 4u; i++) {
        seed[i] = 0;
        for (u32 b = 0; b < 8u; b++) {
            seed[i] |= (u64)seed32[8u * i + b] << (8u * b);
        }
    }
}

static void lp_gemm_gen_host(const u64 *seed, u32 tag, u64 offset, u64 len, unsigned char *out) {
    u64 items = lp_gen_items(offset, len);
    for (u64 t = 0; t < items; t++) {
        lp_gen_one(seed, tag, offset, len, t, out);
    }
}

void loopin_gemm_tile_host(const unsigned char *a, const unsigned char *bt, u32 rows, u32 k, u32 n, int *c) {
    u32 sa[LP_TM][LP_TKW + 1], sb[LP_TN][LP_TKW + 1];
    int acc[LP_TT][16]; /* the 256 threads' registers */
    for (u32 by = 0; by < (rows + LP_TM - 1u) / LP_TM; by++) {
        for (u32 bx = 0; bx < (n + LP_TN - 1u) / LP_TN; bx++) {
            u32 row0 = by * LP_TM, col0 = bx * LP_TN;
            for (u32 tid = 0; tid < LP_TT; tid++) {
                for (u32 i = 0; i < 16u; i++) {
                    acc[tid][i] = 0;
                }
            }
            for (u32 kc = 0; kc < k; kc += 4u * LP_TKW) {
                for (u32 tid = 0; tid < LP_TT; tid++) {
                    lp_tile_load(tid, a, bt, rows, k, n, row0, col0, kc, sa, sb);
                }
                for (u32 tid = 0; tid < LP_TT; tid++) {
                    lp_tile_mac(tid, sa, sb, acc[tid]);
                }
            }
            for (u32 tid = 0; tid < LP_TT; tid++) {
                lp_tile_store(tid, rows, n, row0, col0, acc[tid], c);
            }
        }
    }
}

static void lp_gemm_leaves_host(const int *c, u32 rows, u32 n, u64 row0, unsigned char *out) {
    for (u32 t = 0; t < rows; t++) {
        lp_row_leaf(c + (u64)t * n, n, row0 + t, out + (u64)t * 32u);
    }
}
#endif
