/*
 * LooPIN PoCPS kernels: the slow direction of Sloth over p = 2^127 - 1 (a square root: 125
 * squarings plus the sign rule), the lane encoding of P (independent blocks), and the throughput
 * batch.
 *
 * Plain C-compatible CUDA: the same source is compiled by NVRTC for the GPU (cuda backend) and by
 * the host C compiler through kernels/sloth_host.c (build.rs), so CI checks the arithmetic bit for
 * bit against the Rust CPU backend on machines without a GPU. Field elements are two 64-bit limbs,
 * canonical in [0, p); every function returns canonical values, so results equal loopin-pocps'.
 */
typedef unsigned long long u64;
typedef unsigned int u32;

#ifdef __CUDACC__
#define LP_DEV __device__ __forceinline__
#define LP_KERNEL extern "C" __global__
static __device__ __forceinline__ u64 lp_mulhi(u64 a, u64 b) { return __umul64hi(a, b); }
#else
#define LP_DEV static inline
static inline u64 lp_mulhi(u64 a, u64 b) { return (u64)(((unsigned __int128)a * b) >> 64); }
#endif

#define LP_P_LO 0xffffffffffffffffULL
#define LP_P_HI 0x7fffffffffffffffULL

typedef struct {
    u64 lo;
    u64 hi;
} lp_fe;

/* t >= p, for t < 2^128. */
LP_DEV int lp_ge_p(lp_fe t) { return t.hi > LP_P_HI || (t.hi == LP_P_HI && t.lo == LP_P_LO); }

/* t - p, for p <= t < 2^128. */
LP_DEV lp_fe lp_sub_p(lp_fe t) {
    lp_fe r;
    u64 borrow = t.lo < LP_P_LO;
    r.lo = t.lo - LP_P_LO;
    r.hi = t.hi - LP_P_HI - borrow;
    return r;
}

/* (a + b) mod p for a, b < 2^127 (a + b < 2^128 never wraps). */
LP_DEV lp_fe lp_add(lp_fe a, lp_fe b) {
    lp_fe s;
    s.lo = a.lo + b.lo;
    s.hi = a.hi + b.hi + (s.lo < a.lo);
    return lp_ge_p(s) ? lp_sub_p(s) : s;
}

/* The 256-bit value r3:r2:r1:r0 (< 2^254) mod p: lo127 + 2^127 * hi127 and 2^127 = 1 (mod p). */
LP_DEV lp_fe lp_reduce(u64 r0, u64 r1, u64 r2, u64 r3) {
    u64 lo_lo = r0, lo_hi = r1 & LP_P_HI;
    u64 hi_lo = (r1 >> 63) | (r2 << 1), hi_hi = (r2 >> 63) | (r3 << 1);
    u64 s_lo = lo_lo + hi_lo;
    u64 s_hi = lo_hi + hi_hi + (s_lo < hi_lo);
    /* fold bit 127 once more: t <= p + 1 */
    lp_fe t;
    t.lo = s_lo + (s_hi >> 63);
    t.hi = (s_hi & LP_P_HI) + (t.lo < (s_hi >> 63));
    return lp_ge_p(t) ? lp_sub_p(t) : t;
}

/* a * a mod p for a < p: three limb products instead of four (the cross product once, doubled).
 * a.hi < 2^63, so 2 * a.lo * a.hi < 2^128 fits two limbs. */
LP_DEV lp_fe lp_sqr(lp_fe a) {
    u64 l00 = a.lo * a.lo, h00 = lp_mulhi(a.lo, a.lo);
    u64 l01 = a.lo * a.hi, h01 = lp_mulhi(a.lo, a.hi);
    u64 l11 = a.hi * a.hi, h11 = lp_mulhi(a.hi, a.hi);
    u64 d0 = l01 << 1, d1 = (h01 << 1) | (l01 >> 63);
    u64 r0 = l00;
    u64 r1 = h00 + d0, c1 = r1 < d0;
    u64 r2 = d1 + c1, c2 = r2 < c1;
    r2 += l11;
    c2 += r2 < l11;
    u64 r3 = h11 + c2;
    return lp_reduce(r0, r1, r2, r3);
}

LP_DEV lp_fe lp_neg(lp_fe y) {
    lp_fe r;
    r.lo = LP_P_LO - y.lo;
    r.hi = LP_P_HI - y.hi;
    return r;
}

/* Slow direction of Sloth: y = x^((p+1)/4) with the sign rule of loopin_pocps::field::sloth_slow. */
LP_DEV lp_fe lp_sloth_slow(lp_fe x) {
    lp_fe y = x;
    for (int i = 0; i < 125; i++) {
        y = lp_sqr(y);
    }
    lp_fe sq = lp_sqr(y);
    int odd = (int)(y.lo & 1);
    int zero = y.lo == 0 && y.hi == 0;
    if (sq.lo == x.lo && sq.hi == x.hi) {
        return odd ? lp_neg(y) : y;
    }
    return (!odd && !zero) ? lp_neg(y) : y;
}

/* One lane of P: block i = sloth^rounds(ek + (lane * 2^64 + i + 1)), each block on its own (no
 * predecessor), written to out[(slot * bpl + i) * 2 .. +2] (lo, hi). */
LP_DEV void lp_encode_lane(u32 slot, u32 lane, lp_fe ek, u32 bpl, u32 rounds, u64 *out) {
    for (u32 i = 0; i < bpl; i++) {
        lp_fe pos;
        pos.lo = (u64)i + 1;
        pos.hi = (u64)lane;
        lp_fe x = lp_add(ek, pos);
        for (u32 r = 0; r < rounds; r++) {
            x = lp_sloth_slow(x);
        }
        u64 o = ((u64)slot * bpl + i) * 2;
        out[o] = x.lo;
        out[o + 1] = x.hi;
    }
}

LP_DEV void lp_throughput_one(u64 j, const u64 *in, u32 rounds, u64 *out) {
    lp_fe x;
    x.lo = in[2 * j];
    x.hi = in[2 * j + 1];
    for (u32 r = 0; r < rounds; r++) {
        x = lp_sloth_slow(x);
    }
    out[2 * j] = x.lo;
    out[2 * j + 1] = x.hi;
}

#ifdef __CUDACC__
/* One thread per lane; lanes lane0 .. lane0 + n. */
LP_KERNEL void loopin_encode_lanes(u64 ek_lo, u64 ek_hi, u32 lane0, u32 n, u32 bpl, u32 rounds, u64 *out) {
    u32 t = blockIdx.x * blockDim.x + threadIdx.x;
    if (t < n) {
        lp_fe ek;
        ek.lo = ek_lo;
        ek.hi = ek_hi;
        lp_encode_lane(t, lane0 + t, ek, bpl, rounds, out);
    }
}

/* One thread per input: out_j = sloth^rounds(in_j). */
LP_KERNEL void loopin_throughput(const u64 *in, u32 n, u32 rounds, u64 *out) {
    u32 t = blockIdx.x * blockDim.x + threadIdx.x;
    if (t < n) {
        lp_throughput_one(t, in, rounds, out);
    }
}
#else
void loopin_encode_lanes_host(u64 ek_lo, u64 ek_hi, u32 lane0, u32 n, u32 bpl, u32 rounds, u64 *out) {
    lp_fe ek;
    ek.lo = ek_lo;
    ek.hi = ek_hi;
    for (u32 t = 0; t < n; t++) {
        lp_encode_lane(t, lane0 + t, ek, bpl, rounds, out);
    }
}

void loopin_throughput_host(const u64 *in, u32 n, u32 rounds, u64 *out) {
    for (u32 t = 0; t < n; t++) {
        lp_throughput_one(t, in, rounds, out);
    }
}
#endif
