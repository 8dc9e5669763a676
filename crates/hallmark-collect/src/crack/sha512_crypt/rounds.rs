//! The SHA-512-crypt rounds for a group of candidates at once, one candidate per vector lane:
//! the same code for 64-bit scalar registers, AVX2 (4 lanes) and AVX-512 (8 lanes).
//!
//! Every round hashes one padded 128-byte block per lane (see [`super::Prepared`]), so all that
//! is needed is SHA-512's compression from the initial value. The code is written once, in the
//! `engine!` macro, over a vector type `V` and a handful of operations that each module defines
//! with the processor's instructions; in the vector modules every function is compiled for its
//! instruction set (`#[target_feature]`), so the operations inline into the loop and are safe
//! to call there. Only the entry points of the vector modules need their instruction set
//! checked at run time ([`super::Engine`]).

use super::{Prepared, kind};

const IV: [u64; 8] = [
    0x6a09e667f3bcc908,
    0xbb67ae8584caa73b,
    0x3c6ef372fe94f82b,
    0xa54ff53a5f1d36f1,
    0x510e527fade682d1,
    0x9b05688c2b3e6c1f,
    0x1f83d9abfb41bd6b,
    0x5be0cd19137e2179,
];

/// SHA-512's round constants (FIPS 180-4, 4.2.3), 16 rounds per row.
const K: [[u64; 16]; 5] = [
    [
        0x428a2f98d728ae22,
        0x7137449123ef65cd,
        0xb5c0fbcfec4d3b2f,
        0xe9b5dba58189dbbc,
        0x3956c25bf348b538,
        0x59f111f1b605d019,
        0x923f82a4af194f9b,
        0xab1c5ed5da6d8118,
        0xd807aa98a3030242,
        0x12835b0145706fbe,
        0x243185be4ee4b28c,
        0x550c7dc3d5ffb4e2,
        0x72be5d74f27b896f,
        0x80deb1fe3b1696b1,
        0x9bdc06a725c71235,
        0xc19bf174cf692694,
    ],
    [
        0xe49b69c19ef14ad2,
        0xefbe4786384f25e3,
        0x0fc19dc68b8cd5b5,
        0x240ca1cc77ac9c65,
        0x2de92c6f592b0275,
        0x4a7484aa6ea6e483,
        0x5cb0a9dcbd41fbd4,
        0x76f988da831153b5,
        0x983e5152ee66dfab,
        0xa831c66d2db43210,
        0xb00327c898fb213f,
        0xbf597fc7beef0ee4,
        0xc6e00bf33da88fc2,
        0xd5a79147930aa725,
        0x06ca6351e003826f,
        0x142929670a0e6e70,
    ],
    [
        0x27b70a8546d22ffc,
        0x2e1b21385c26c926,
        0x4d2c6dfc5ac42aed,
        0x53380d139d95b3df,
        0x650a73548baf63de,
        0x766a0abb3c77b2a8,
        0x81c2c92e47edaee6,
        0x92722c851482353b,
        0xa2bfe8a14cf10364,
        0xa81a664bbc423001,
        0xc24b8b70d0f89791,
        0xc76c51a30654be30,
        0xd192e819d6ef5218,
        0xd69906245565a910,
        0xf40e35855771202a,
        0x106aa07032bbd1b8,
    ],
    [
        0x19a4c116b8d2d0c8,
        0x1e376c085141ab53,
        0x2748774cdf8eeb99,
        0x34b0bcb5e19b48a8,
        0x391c0cb3c5c95a63,
        0x4ed8aa4ae3418acb,
        0x5b9cca4f7763e373,
        0x682e6ff3d6b2b8a3,
        0x748f82ee5defb2fc,
        0x78a5636f43172f60,
        0x84c87814a1f0ab72,
        0x8cc702081a6439ec,
        0x90befffa23631e28,
        0xa4506cebde82bde9,
        0xbef9a3f7b2c67915,
        0xc67178f2e372532b,
    ],
    [
        0xca273eceea26619c,
        0xd186b8c721c0c207,
        0xeada7dd6cde0eb1e,
        0xf57d4f7fee6ed178,
        0x06f067aa72176fba,
        0x0a637dc5a2c898a6,
        0x113f9804bef90dae,
        0x1b710b35131c471b,
        0x28db77f523047d84,
        0x32caab7b40c72493,
        0x3c9ebe0a15c9bebc,
        0x431d67c49c100d4c,
        0x4cc5d4becb3e42b6,
        0x597f299cfc657e2a,
        0x5fcb6fab3ad6faec,
        0x6c44198c4a475817,
    ],
];

/// Rotates right by `$n` bits (the vector modules without a rotate instruction need the
/// complementary shift as well).
macro_rules! ror {
    ($x:expr, $n:literal) => {
        rotr::<$n, { 64 - $n }>($x)
    };
}

/// Sixteen rounds of the compression (on state `$s`, schedule words `$w`, constants `$k`;
/// extending the schedule first when `$update`), with the indices written out so that the
/// words stay in registers.
macro_rules! sixteen_rounds {
    ($w:ident, $s:ident, $k:expr, $update:expr) => {
        sixteen_rounds!(@ $w, $s, $k, $update; 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15)
    };
    (@ $w:ident, $s:ident, $k:expr, $update:expr; $($j:literal)*) => {
        $(
            if $update {
                $w[$j] = schedule(
                    $w[$j],
                    $w[($j + 1) % 16],
                    $w[($j + 9) % 16],
                    $w[($j + 14) % 16],
                );
            }
            $s = round($s, add($w[$j], splat($k[$j])));
        )*
    };
}

/// One kind of round for a group of candidates, lane by lane.
#[derive(Clone, Copy)]
struct Plan<V> {
    /// The round's block, with zeros where C goes.
    block: [V; 16],
    odd: bool,
    /// For odd rounds: how far C is shifted right within a word, and left for the part that
    /// spills into the next word (64 for none), per lane.
    right: V,
    left: V,
    /// For odd rounds, for each word index q: the lanes whose C starts in word q (all ones),
    /// or `None` when there are none.
    starts: [Option<V>; 6],
}

/// Defines `rounds`, the entry point, and the SHA-512 compression it uses, over the `V`,
/// `LANES` and operations of the module it is expanded in; `$attr` goes on every function.
macro_rules! engine {
    ($(#[$attr:meta])*) => {
        $(#[$attr])*
        #[inline]
        fn round(s: [V; 8], kw: V) -> [V; 8] {
            let [a, b, c, d, e, f, g, h] = s;
            let sigma1 = xor3(ror!(e, 14), ror!(e, 18), ror!(e, 41));
            let t1 = add(add(h, sigma1), add(ch(e, f, g), kw));
            let sigma0 = xor3(ror!(a, 28), ror!(a, 34), ror!(a, 39));
            let t2 = add(sigma0, maj(a, b, c));
            [add(t1, t2), a, b, c, add(d, t1), e, f, g]
        }

        /// The message schedule's next word: s1(w[t-2]) + w[t-7] + s0(w[t-15]) + w[t-16].
        $(#[$attr])*
        #[inline]
        fn schedule(w16: V, w15: V, w7: V, w2: V) -> V {
            let s0 = xor3(ror!(w15, 1), ror!(w15, 8), shr::<7>(w15));
            let s1 = xor3(ror!(w2, 19), ror!(w2, 61), shr::<6>(w2));
            add(add(w16, s0), add(w7, s1))
        }

        /// SHA-512 of one padded block per lane, from the initial value.
        $(#[$attr])*
        #[inline]
        fn compress(block: &[V; 16]) -> [V; 8] {
            let mut w = *block;
            let mut s = [splat(0); 8];
            for (v, iv) in s.iter_mut().zip(IV) {
                *v = splat(iv);
            }
            let [k0, rest @ ..] = &K;
            sixteen_rounds!(w, s, k0, false);
            for k in rest {
                sixteen_rounds!(w, s, k, true);
            }
            for (v, iv) in s.iter_mut().zip(IV) {
                *v = add(*v, splat(iv));
            }
            s
        }

        /// The final digest, as words, of each of `group` (at most `LANES` candidates;
        /// unused lanes repeat the first) after `rounds` rounds.
        $(#[$attr])*
        pub(in crate::crack::sha512_crypt) fn rounds(group: &[Prepared], rounds: u32) -> Vec<[u64; 8]> {
            let Some(first) = group.first() else {
                return Vec::new();
            };
            let lanes: [&Prepared; LANES] = std::array::from_fn(|l| group.get(l).unwrap_or(first));
            let zero = splat(0);
            let mut plans = [Plan {
                block: [zero; 16],
                odd: false,
                right: zero,
                left: zero,
                starts: [None; 6],
            }; 8];
            for (kind, plan) in plans.iter_mut().enumerate() {
                plan.odd = kind & 1 == 1;
                for (j, word) in plan.block.iter_mut().enumerate() {
                    *word = load(lanes.map(|p| p.word(kind, j)));
                }
                let offsets = lanes.map(|p| p.offset(kind));
                plan.right = load(offsets.map(|o| 8 * (o % 8)));
                plan.left = load(offsets.map(|o| 64 - 8 * (o % 8)));
                if plan.odd {
                    for (q, start) in (0u64..).zip(plan.starts.iter_mut()) {
                        let mask = offsets.map(|o| if o / 8 == q { u64::MAX } else { 0 });
                        if mask.iter().any(|&m| m != 0) {
                            *start = Some(load(mask));
                        }
                    }
                }
            }
            let mut c = [zero; 8];
            for (j, word) in c.iter_mut().enumerate() {
                *word = load(lanes.map(|p| p.a_word(j)));
            }
            for plan in (0..rounds).filter_map(|round| plans.get(kind(round))) {
                let mut w = plan.block;
                if plan.odd {
                    // C shifted right by its offset within a word: nine words, the first
                    // and last partial, placed from word q on in the lanes whose C starts in
                    // word q.
                    let mut spread = [zero; 9];
                    let mut previous = zero;
                    for (out, word) in spread.iter_mut().zip(c) {
                        *out = or(shr_each(word, plan.right), shl_each(previous, plan.left));
                        previous = word;
                    }
                    if let Some(last) = spread.last_mut() {
                        *last = shl_each(previous, plan.left);
                    }
                    for (q, start) in plan.starts.iter().enumerate() {
                        if let Some(mask) = *start {
                            for (to, from) in w.iter_mut().skip(q).zip(spread) {
                                *to = or(*to, and(from, mask));
                            }
                        }
                    }
                } else {
                    for (to, from) in w.iter_mut().zip(c) {
                        *to = from;
                    }
                }
                c = compress(&w);
            }
            let mut digests = vec![[0u64; 8]; group.len()];
            for (j, word) in c.into_iter().enumerate() {
                for (digest, value) in digests.iter_mut().zip(store(word)) {
                    if let Some(d) = digest.get_mut(j) {
                        *d = value;
                    }
                }
            }
            digests
        }

        /// SHA-512 of one padded block (16 words) per lane: for testing the compression.
        #[cfg(test)]
        $(#[$attr])*
        pub(super) fn digest_blocks(blocks: &[[u64; 16]; LANES]) -> [[u64; 8]; LANES] {
            let mut w = [splat(0); 16];
            for (j, word) in w.iter_mut().enumerate() {
                *word = load(blocks.map(|b| b[j]));
            }
            let digest = compress(&w);
            let mut out = [[0u64; 8]; LANES];
            for (j, word) in digest.into_iter().enumerate() {
                for (o, value) in out.iter_mut().zip(store(word)) {
                    o[j] = value;
                }
            }
            out
        }
    };
}

/// One lane in a 64-bit register: the portable code.
pub(super) mod scalar {
    use super::{IV, K, Plan, Prepared, kind};

    type V = u64;
    const LANES: usize = 1;

    #[inline]
    fn splat(x: u64) -> V {
        x
    }
    #[inline]
    fn load(x: [u64; 1]) -> V {
        let [x] = x;
        x
    }
    #[inline]
    fn store(x: V) -> [u64; 1] {
        [x]
    }
    #[inline]
    fn add(a: V, b: V) -> V {
        a.wrapping_add(b)
    }
    #[inline]
    fn and(a: V, b: V) -> V {
        a & b
    }
    #[inline]
    fn or(a: V, b: V) -> V {
        a | b
    }
    #[inline]
    fn xor3(a: V, b: V, c: V) -> V {
        a ^ b ^ c
    }
    #[inline]
    fn ch(e: V, f: V, g: V) -> V {
        (e & f) ^ (!e & g)
    }
    #[inline]
    fn maj(a: V, b: V, c: V) -> V {
        (a & b) | (c & (a | b))
    }
    #[inline]
    fn rotr<const N: u32, const M: u32>(x: V) -> V {
        x.rotate_right(N)
    }
    #[inline]
    fn shr<const N: u32>(x: V) -> V {
        x >> N
    }
    #[inline]
    fn shr_each(x: V, n: V) -> V {
        u32::try_from(n)
            .ok()
            .and_then(|n| x.checked_shr(n))
            .unwrap_or(0)
    }
    #[inline]
    fn shl_each(x: V, n: V) -> V {
        u32::try_from(n)
            .ok()
            .and_then(|n| x.checked_shl(n))
            .unwrap_or(0)
    }

    engine!();
}

/// Four lanes in 256-bit registers (AVX2).
// Built only by compilers that have safe `#[target_feature]` functions and the AVX-512
// intrinsics (build.rs), above the workspace's minimum version.
#[cfg(all(target_arch = "x86_64", hallmark_simd))]
#[allow(clippy::incompatible_msrv)]
pub(super) mod avx2 {
    use std::arch::x86_64::{
        __m256i, _mm256_add_epi64, _mm256_and_si256, _mm256_andnot_si256, _mm256_extract_epi64,
        _mm256_or_si256, _mm256_set_epi64x, _mm256_set1_epi64x, _mm256_slli_epi64,
        _mm256_sllv_epi64, _mm256_srli_epi64, _mm256_srlv_epi64, _mm256_xor_si256,
    };

    use super::{IV, K, Plan, Prepared, kind};

    type V = __m256i;
    const LANES: usize = 4;

    #[target_feature(enable = "avx2")]
    #[inline]
    fn splat(x: u64) -> V {
        _mm256_set1_epi64x(x as i64)
    }
    #[target_feature(enable = "avx2")]
    #[inline]
    fn load(x: [u64; 4]) -> V {
        let [a, b, c, d] = x.map(|w| w as i64);
        _mm256_set_epi64x(d, c, b, a)
    }
    #[target_feature(enable = "avx2")]
    #[inline]
    fn store(x: V) -> [u64; 4] {
        [
            _mm256_extract_epi64::<0>(x) as u64,
            _mm256_extract_epi64::<1>(x) as u64,
            _mm256_extract_epi64::<2>(x) as u64,
            _mm256_extract_epi64::<3>(x) as u64,
        ]
    }
    #[target_feature(enable = "avx2")]
    #[inline]
    fn add(a: V, b: V) -> V {
        _mm256_add_epi64(a, b)
    }
    #[target_feature(enable = "avx2")]
    #[inline]
    fn and(a: V, b: V) -> V {
        _mm256_and_si256(a, b)
    }
    #[target_feature(enable = "avx2")]
    #[inline]
    fn or(a: V, b: V) -> V {
        _mm256_or_si256(a, b)
    }
    #[target_feature(enable = "avx2")]
    #[inline]
    fn xor3(a: V, b: V, c: V) -> V {
        _mm256_xor_si256(_mm256_xor_si256(a, b), c)
    }
    #[target_feature(enable = "avx2")]
    #[inline]
    fn ch(e: V, f: V, g: V) -> V {
        _mm256_xor_si256(_mm256_and_si256(e, f), _mm256_andnot_si256(e, g))
    }
    #[target_feature(enable = "avx2")]
    #[inline]
    fn maj(a: V, b: V, c: V) -> V {
        _mm256_or_si256(
            _mm256_and_si256(a, b),
            _mm256_and_si256(c, _mm256_or_si256(a, b)),
        )
    }
    #[target_feature(enable = "avx2")]
    #[inline]
    fn rotr<const N: i32, const M: i32>(x: V) -> V {
        _mm256_or_si256(_mm256_srli_epi64::<N>(x), _mm256_slli_epi64::<M>(x))
    }
    #[target_feature(enable = "avx2")]
    #[inline]
    fn shr<const N: i32>(x: V) -> V {
        _mm256_srli_epi64::<N>(x)
    }
    #[target_feature(enable = "avx2")]
    #[inline]
    fn shr_each(x: V, n: V) -> V {
        _mm256_srlv_epi64(x, n)
    }
    #[target_feature(enable = "avx2")]
    #[inline]
    fn shl_each(x: V, n: V) -> V {
        _mm256_sllv_epi64(x, n)
    }

    engine!(#[target_feature(enable = "avx2")]);
}

/// Eight lanes in 512-bit registers (AVX-512F), with its rotate and three-input logic
/// instructions.
#[cfg(all(target_arch = "x86_64", hallmark_simd))]
#[allow(clippy::incompatible_msrv)]
pub(super) mod avx512 {
    use std::arch::x86_64::{
        __m512i, _mm256_extract_epi64, _mm512_add_epi64, _mm512_and_si512,
        _mm512_extracti64x4_epi64, _mm512_or_si512, _mm512_ror_epi64, _mm512_set_epi64,
        _mm512_set1_epi64, _mm512_sllv_epi64, _mm512_srli_epi64, _mm512_srlv_epi64,
        _mm512_ternarylogic_epi64,
    };

    use super::{IV, K, Plan, Prepared, kind};

    type V = __m512i;
    const LANES: usize = 8;

    #[target_feature(enable = "avx512f")]
    #[inline]
    fn splat(x: u64) -> V {
        _mm512_set1_epi64(x as i64)
    }
    #[target_feature(enable = "avx512f")]
    #[inline]
    fn load(x: [u64; 8]) -> V {
        let [a, b, c, d, e, f, g, h] = x.map(|w| w as i64);
        _mm512_set_epi64(h, g, f, e, d, c, b, a)
    }
    #[target_feature(enable = "avx512f")]
    #[inline]
    fn store(x: V) -> [u64; 8] {
        let low = _mm512_extracti64x4_epi64::<0>(x);
        let high = _mm512_extracti64x4_epi64::<1>(x);
        [
            _mm256_extract_epi64::<0>(low) as u64,
            _mm256_extract_epi64::<1>(low) as u64,
            _mm256_extract_epi64::<2>(low) as u64,
            _mm256_extract_epi64::<3>(low) as u64,
            _mm256_extract_epi64::<0>(high) as u64,
            _mm256_extract_epi64::<1>(high) as u64,
            _mm256_extract_epi64::<2>(high) as u64,
            _mm256_extract_epi64::<3>(high) as u64,
        ]
    }
    #[target_feature(enable = "avx512f")]
    #[inline]
    fn add(a: V, b: V) -> V {
        _mm512_add_epi64(a, b)
    }
    #[target_feature(enable = "avx512f")]
    #[inline]
    fn and(a: V, b: V) -> V {
        _mm512_and_si512(a, b)
    }
    #[target_feature(enable = "avx512f")]
    #[inline]
    fn or(a: V, b: V) -> V {
        _mm512_or_si512(a, b)
    }
    // The three-input logic instruction takes the truth table of its function of (a, b, c)
    // as an 8-bit immediate: bit (4a + 2b + c) is the result for those input bits.
    #[target_feature(enable = "avx512f")]
    #[inline]
    fn xor3(a: V, b: V, c: V) -> V {
        _mm512_ternarylogic_epi64::<0x96>(a, b, c)
    }
    #[target_feature(enable = "avx512f")]
    #[inline]
    fn ch(e: V, f: V, g: V) -> V {
        _mm512_ternarylogic_epi64::<0xca>(e, f, g)
    }
    #[target_feature(enable = "avx512f")]
    #[inline]
    fn maj(a: V, b: V, c: V) -> V {
        _mm512_ternarylogic_epi64::<0xe8>(a, b, c)
    }
    #[target_feature(enable = "avx512f")]
    #[inline]
    fn rotr<const N: i32, const M: i32>(x: V) -> V {
        _mm512_ror_epi64::<N>(x)
    }
    #[target_feature(enable = "avx512f")]
    #[inline]
    fn shr<const N: u32>(x: V) -> V {
        _mm512_srli_epi64::<N>(x)
    }
    #[target_feature(enable = "avx512f")]
    #[inline]
    fn shr_each(x: V, n: V) -> V {
        _mm512_srlv_epi64(x, n)
    }
    #[target_feature(enable = "avx512f")]
    #[inline]
    fn shl_each(x: V, n: V) -> V {
        _mm512_sllv_epi64(x, n)
    }

    engine!(#[target_feature(enable = "avx512f")]);
}

#[cfg(test)]
mod tests {
    use sha2::{Digest, Sha512};

    /// One message of at most 111 bytes, padded into a block of 16 big-endian words.
    fn pad(message: &[u8]) -> [u64; 16] {
        let mut bytes = [0u8; 128];
        bytes[..message.len()].copy_from_slice(message);
        bytes[message.len()] = 0x80;
        bytes[120..].copy_from_slice(&(message.len() as u64 * 8).to_be_bytes());
        std::array::from_fn(|i| u64::from_be_bytes(bytes[i * 8..i * 8 + 8].try_into().unwrap()))
    }

    /// Messages of different lengths, including the empty one and the longest single block.
    fn messages<const N: usize>() -> [Vec<u8>; N] {
        std::array::from_fn(|l| {
            let len = [0, 111][l % 2].max((l * 37 + 3) % 112);
            (0..len).map(|i| (i * 7 + l) as u8).collect()
        })
    }

    fn check<const N: usize>(digest_blocks: impl Fn(&[[u64; 16]; N]) -> [[u64; 8]; N]) {
        let messages = messages::<N>();
        let digests = digest_blocks(&messages.clone().map(|m| pad(&m)));
        for (m, words) in messages.iter().zip(digests) {
            let got: Vec<u8> = words.iter().flat_map(|w| w.to_be_bytes()).collect();
            assert_eq!(
                got,
                Sha512::digest(m).to_vec(),
                "{} bytes in {N} lanes",
                m.len()
            );
        }
    }

    #[test]
    fn compression_matches_sha2_in_every_lane() {
        check::<1>(super::scalar::digest_blocks);
        #[cfg(all(target_arch = "x86_64", hallmark_simd))]
        {
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: AVX2 was detected just above.
                #[allow(unsafe_code)]
                check::<4>(|b| unsafe { super::avx2::digest_blocks(b) });
            }
            if std::arch::is_x86_feature_detected!("avx512f") {
                // SAFETY: AVX-512F was detected just above.
                #[allow(unsafe_code)]
                check::<8>(|b| unsafe { super::avx512::digest_blocks(b) });
            }
        }
    }
}
