/* Host build of the GEMM kernel source (see build.rs): the same device functions, loops instead of
 * threads. */
#include <stdlib.h>

#include "gemm.cu"

static void *lp_alloc(u64 bytes) {
    void *p = malloc(bytes ? (size_t)bytes : 1u);
    if (!p) {
        abort();
    }
    return p;
}

/* Leaves of rows row0 .. row0 + rows of C = A·B for seed32 and shape m × k × n (the caller checks
 * the shape and that row0 + rows <= m): generates Bᵀ once, then A and C a band of rows at a time,
 * as the GPU does. out_leaves receives rows · 32 bytes. */
void loopin_gemm_leaves_host(const unsigned char *seed32, unsigned m, unsigned k, unsigned n,
                             unsigned long long row0, unsigned rows, unsigned char *out_leaves) {
    const u32 band = LP_TM;
    u64 seed[4];
    (void)m;
    if (rows == 0u) {
        return;
    }
    lp_seed_words(seed32, seed);
    unsigned char *bt = (unsigned char *)lp_alloc((u64)n * k);
    unsigned char *a = (unsigned char *)lp_alloc((u64)band * k);
    int *c = (int *)lp_alloc((u64)band * n * sizeof(int));
    lp_gemm_gen_host(seed, 1u, 0u, (u64)n * k, bt);
    for (u32 done = 0; done < rows; done += band) {
        u32 count = rows - done < band ? rows - done : band;
        u64 first = row0 + done;
        lp_gemm_gen_host(seed, 0u, first * k, (u64)count * k, a);
        loopin_gemm_tile_host(a, bt, count, k, n, c);
        lp_gemm_leaves_host(c, count, n, first, out_leaves + (u64)done * 32u);
    }
    free(c);
    free(a);
    free(bt);
}
