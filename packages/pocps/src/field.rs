//! Arithmetic modulo the Mersenne prime p = 2^127 - 1 and the Sloth permutation over it.
//!
//! Two implementations of the slow direction: [`sloth_slow`], the reference (one value, the
//! general [`mul`] with a full reduction after every squaring), and [`sloth_slow_n`], the kernel
//! the encoder runs: N independent values squared in lockstep, so that one core's multiplier works
//! on N dependent chains at once, with a squaring of 3 partial products and a lazy reduction.
//! Both give the same output, bit for bit, for every input in [0, p].

/// The prime 2^127 - 1 (≡ 3 mod 4, so square roots are one exponentiation).
pub const P: u128 = (1u128 << 127) - 1;

/// Squarings of the slow direction: x^((p+1)/4) = x^(2^125).
const SLOW_SQUARINGS: usize = 125;

#[inline]
fn reduce(lo: u128, hi: u128) -> u128 {
    let mut s = (lo & P) + (lo >> 127);
    s = (s & P) + (s >> 127);
    s += hi << 1;
    s = (s & P) + (s >> 127);
    if s >= P { s - P } else { s }
}

/// a * b mod p, for a, b < p.
#[inline]
pub fn mul(a: u128, b: u128) -> u128 {
    let (a0, a1) = (a as u64 as u128, a >> 64);
    let (b0, b1) = (b as u64 as u128, b >> 64);
    let mid = a1 * b0 + a0 * b1;
    let (lo, c) = (a0 * b0).overflowing_add(mid << 64);
    let hi = a1 * b1 + (mid >> 64) + c as u128;
    reduce(lo, hi)
}

/// Folds x ≤ 2^128 − 2 into [0, p] (a value ≡ x mod p; p stands for 0).
#[inline(always)]
fn fold(x: u128) -> u128 {
    // x = L + H·2^127 with L < 2^127, H ∈ {0, 1}, and 2^127 ≡ 1: x ≡ L + H. If H = 1 then
    // L = x − 2^127 ≤ 2^127 − 2, so L + H ≤ p; if H = 0 then L ≤ p. No overflow. (For
    // x = 2^128 − 1 alone the result is 2^127: see `reduce_any`.)
    (x & P) + (x >> 127)
}

/// x mod p for any u128 (inputs of the public functions, which may lie outside [0, p)).
#[inline(always)]
fn reduce_any(x: u128) -> u128 {
    // fold(x) ≤ 2^127 for every x (≤ p unless x = 2^128 − 1); a second fold maps 2^127 to 1.
    canonical(fold(fold(x)))
}

/// x^2 mod p, lazily: for x ∈ [0, p] returns a value in [0, p] (p standing for 0) ≡ x^2.
///
/// Proof of the bounds (every operation below is exact, none wraps):
/// - x ≤ 2^127 − 1, so with x = a0 + a1·2^64: a0 < 2^64, a1 < 2^63, hence 2·a1 < 2^64 fits a u64.
/// - x^2 = a0² + (a0·2a1)·2^64 + a1²·2^128: three 64×64 products (not four: the two cross
///   products are equal), with a0² < 2^128, cross = a0·2a1 < 2^128, a1² < 2^126.
/// - lo = (a0² + (cross mod 2^64)·2^64) mod 2^128 with carry c ∈ {0, 1};
///   hi = a1² + ⌊cross / 2^64⌋ + c. Then x^2 = hi·2^128 + lo exactly, and since
///   x^2 ≤ (2^127 − 1)^2 < 2^254, hi < 2^126 (the sum for hi cannot wrap).
/// - Split at 2^127: x^2 = L + H·2^127 with L = lo mod 2^127 and H = 2·hi + ⌊lo / 2^127⌋ =
///   ⌊x^2 / 2^127⌋ < 2^127. As 2^127 ≡ 1 (mod p): x^2 ≡ L + H, and L + H ≤ 2·(2^127 − 1) <
///   2^128, so the sum does not wrap.
/// - [`fold`] brings L + H (≤ 2^128 − 2) into [0, p].
///
/// So the value stays in [0, p] across any number of squarings and only the last needs the
/// full reduction (p → 0) of [`canonical`].
#[inline(always)]
fn sqr_lazy(x: u128) -> u128 {
    let a0 = x as u64;
    let a1 = (x >> 64) as u64;
    let sq0 = u128::from(a0) * u128::from(a0);
    let cross = u128::from(a0) * u128::from(a1 << 1);
    let sq1 = u128::from(a1) * u128::from(a1);
    let (lo, c) = sq0.overflowing_add(cross << 64);
    let hi = sq1.wrapping_add(cross >> 64).wrapping_add(u128::from(c));
    let l_plus_h = (lo & P).wrapping_add((hi << 1) | (lo >> 127));
    fold(l_plus_h)
}

/// The canonical representative in [0, p) of a value in [0, p].
#[inline(always)]
fn canonical(x: u128) -> u128 {
    if x == P { 0 } else { x }
}

/// The sign rule of [`sloth_slow`] without branches: `y` (canonical) is a root of ±x; returns the
/// even root when x is a quadratic residue (y² = x), the odd root of −x otherwise.
#[inline(always)]
fn sign_fix(x: u128, y: u128) -> u128 {
    let residue = canonical(sqr_lazy(y)) == x;
    let odd = y & 1 == 1;
    let negate = if residue { odd } else { !odd && y != 0 };
    if negate { P - y } else { y }
}

/// Slow direction of Sloth: a permutation of [0, p) computed with 125 squarings.
///
/// The reference implementation (one value, full reduction after each squaring); the encoder
/// runs [`sloth_slow_n`], which gives the same output.
pub fn sloth_slow(x: u128) -> u128 {
    let mut y = x;
    for _ in 0..SLOW_SQUARINGS {
        y = mul(y, y);
    }
    let sq = mul(y, y);
    if sq == x {
        // x is a quadratic residue: take the even root.
        if y & 1 == 1 { P - y } else { y }
    } else {
        // -x is a residue: take the odd root.
        if y & 1 == 0 && y != 0 { P - y } else { y }
    }
}

/// Slow direction of Sloth on `N` independent values at once: `[sloth_slow(x) for x in xs]`.
///
/// The 125 squarings of the N values run in lockstep (the N dependent chains interleaved, so
/// the multiplier's latency is hidden by the other chains), each squaring with 3 partial products
/// and a lazy reduction (values stay in [0, p], see `sqr_lazy`); then each value's full reduction
/// and sign rule. Equal to [`sloth_slow`] bit for bit for every input in [0, p] (p gives 0, as
/// there); any other u128 x (outside `sloth_slow`'s domain) is read as x mod p.
#[inline]
pub fn sloth_slow_n<const N: usize>(xs: [u128; N]) -> [u128; N] {
    let xs = xs.map(reduce_any);
    let mut ys = xs;
    for _ in 0..SLOW_SQUARINGS {
        for y in ys.iter_mut() {
            *y = sqr_lazy(*y);
        }
    }
    let mut out = [0u128; N];
    for ((o, &x), &y) in out.iter_mut().zip(xs.iter()).zip(ys.iter()) {
        *o = sign_fix(x, canonical(y));
    }
    out
}

/// Fast direction of Sloth (one squaring): inverse of [`sloth_slow`].
pub fn sloth_fast(y: u128) -> u128 {
    let s = mul(y, y);
    if y & 1 == 0 {
        s
    } else if s == 0 {
        0
    } else {
        P - s
    }
}

/// Fast direction of Sloth on `N` independent values at once: `[sloth_fast(y) for y in ys]`,
/// bit for bit for every input in [0, p] (the squaring of `sloth_slow_n`, then the sign rule);
/// any other u128 y is read as y mod p.
#[inline]
pub fn sloth_fast_n<const N: usize>(ys: [u128; N]) -> [u128; N] {
    ys.map(|y| {
        let y = reduce_any(y);
        let s = canonical(sqr_lazy(y));
        let negate = y & 1 == 1 && s != 0;
        if negate { P - s } else { s }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// splitmix64: a small deterministic generator for test inputs.
    struct SplitMix(u64);

    impl SplitMix {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }

        /// A value in [0, p], half of them near the edges of the limbs (carries, p itself).
        fn field(&mut self) -> u128 {
            let r = (u128::from(self.next()) << 64) | u128::from(self.next());
            match self.next() % 8 {
                0 => P - (r >> 70),                         // just below and at p
                1 => r & ((1u128 << 64) - 1),               // high limb 0
                2 => (r | (u128::MAX >> 66)) & P,           // low bits all ones
                3 => (r | (((1u128 << 63) - 1) << 64)) & P, // high limb all ones
                _ => r & P,
            }
        }
    }

    const EDGES: [u128; 12] = [
        0,
        1,
        2,
        P - 1,
        P - 2,
        P,
        1 << 126,
        (1 << 127) - 2,
        (1 << 64) - 1,
        1 << 64,
        (1 << 64) + 1,
        ((1 << 63) - 1) << 64,
    ];

    #[test]
    fn roundtrip() {
        for x in [0u128, 1, 2, 3, 5, 12345, P - 1, P - 2, 1 << 100] {
            assert_eq!(sloth_fast(sloth_slow(x)), x, "x={x}");
        }
    }

    #[test]
    fn lazy_squaring_matches_mul_and_stays_in_range() {
        let mut rng = SplitMix(1);
        let inputs = EDGES.into_iter().chain((0..200_000).map(|_| rng.field()));
        for x in inputs {
            let lazy = sqr_lazy(x);
            assert!(lazy <= P, "x={x}");
            assert_eq!(canonical(lazy), mul(x, x), "x={x}");
        }
    }

    #[test]
    fn lazy_chain_matches_reduced_chain() {
        // 125 squarings kept in [0, p] without full reduction end on the reduced chain's value.
        let mut rng = SplitMix(2);
        for x in EDGES.into_iter().chain((0..2_000).map(|_| rng.field())) {
            let (mut lazy, mut full) = (x, x);
            for _ in 0..SLOW_SQUARINGS {
                lazy = sqr_lazy(lazy);
                full = mul(full, full);
                assert!(lazy <= P);
                assert_eq!(canonical(lazy), full, "x={x}");
            }
        }
    }

    fn check_slow_n<const N: usize>(rng: &mut SplitMix, batches: usize) {
        let edges = EDGES.iter().copied();
        let random = (0..batches * N).map(|_| rng.field());
        let inputs: Vec<u128> = edges.chain(random).collect();
        for chunk in inputs.chunks(N) {
            let mut xs = [0u128; N];
            xs[..chunk.len()].copy_from_slice(chunk);
            let got = sloth_slow_n(xs);
            let fast = sloth_fast_n(got);
            for j in 0..N {
                assert_eq!(got[j], sloth_slow(xs[j]), "N={N} x={}", xs[j]);
                assert_eq!(fast[j], sloth_fast(got[j]), "N={N} y={}", got[j]);
                assert_eq!(fast[j], canonical(xs[j]), "N={N} x={}", xs[j]);
            }
        }
    }

    #[test]
    fn interleaved_slow_matches_reference() {
        let mut rng = SplitMix(3);
        check_slow_n::<1>(&mut rng, 2_000);
        check_slow_n::<2>(&mut rng, 1_000);
        check_slow_n::<3>(&mut rng, 700);
        check_slow_n::<4>(&mut rng, 500);
        check_slow_n::<5>(&mut rng, 400);
        check_slow_n::<6>(&mut rng, 400);
        check_slow_n::<8>(&mut rng, 300);
    }

    #[test]
    fn interleaved_fast_matches_reference() {
        let mut rng = SplitMix(4);
        let inputs: Vec<u128> = EDGES
            .into_iter()
            .chain((0..100_000).map(|_| rng.field()))
            .collect();
        for chunk in inputs.chunks(4) {
            let mut ys = [0u128; 4];
            ys[..chunk.len()].copy_from_slice(chunk);
            let got = sloth_fast_n(ys);
            for j in 0..4 {
                assert_eq!(got[j], sloth_fast(ys[j]), "y={}", ys[j]);
            }
        }
    }

    #[test]
    fn inputs_above_p_are_folded() {
        // Outside sloth_slow's domain: sloth_slow_n reads x as x mod p.
        for x in [P + 1, P + 2, u128::MAX, u128::MAX - 1, 1 << 127] {
            assert_eq!(sloth_slow_n([x]), [sloth_slow(x % P)], "x={x}");
            assert_eq!(sloth_fast_n([x]), [sloth_fast(x % P)], "x={x}");
        }
        let mut rng = SplitMix(5);
        let random = (0..100_000).map(|_| (u128::from(rng.next()) << 64) | u128::from(rng.next()));
        for x in EDGES
            .into_iter()
            .chain([u128::MAX, u128::MAX - 1, 1 << 127])
            .chain(random)
        {
            assert_eq!(reduce_any(x), x % P, "x={x}");
        }
    }
}
