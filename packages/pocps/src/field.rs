//! Arithmetic modulo the Mersenne prime p = 2^127 - 1 and the Sloth permutation over it.

/// The prime 2^127 - 1 (≡ 3 mod 4, so square roots are one exponentiation).
pub const P: u128 = (1u128 << 127) - 1;

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

/// Slow direction of Sloth: a permutation of [0, p) computed with 125 squarings.
pub fn sloth_slow(x: u128) -> u128 {
    let mut y = x;
    for _ in 0..125 {
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

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn roundtrip() {
        for x in [0u128, 1, 2, 3, 5, 12345, P - 1, P - 2, 1 << 100] {
            assert_eq!(sloth_fast(sloth_slow(x)), x, "x={x}");
        }
    }
}
