//! A slow, readable encoder for the `rs-leopard` codec written from docs/protocol.md 7.5 alone
//! (field, skew factors, transforms, byte layout), and the proof that the description is
//! complete: it gives the crate's recovery shards byte for byte.

#![allow(clippy::unwrap_used)]

mod doc;

use datanet_protocol::{CodecId, SHARE_SIZE};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// `x^16 + x^5 + x^3 + x^2 + 1`, the field polynomial (7.5.1).
const POLYNOMIAL: u32 = 0x1_002D;

/// The Cantor basis `β_0..β_15`, each in the polynomial basis (7.5.1).
const CANTOR_BASIS: [u16; 16] = [
    0x0001, 0xACCA, 0x3C0E, 0x163E, 0xC582, 0xED2E, 0x914C, 0x4012, 0x6C98, 0x10D8, 0x6A72, 0xB900,
    0xFDB8, 0xFB34, 0xFF38, 0x991E,
];

/// The number of skew factors (7.5.2).
const SKEW_COUNT: usize = 65_535;

/// The product of two elements in the polynomial basis: carry-less, reduced by the polynomial.
fn poly_mul(a: u16, b: u16) -> u16 {
    let mut product = 0u32;
    for bit in 0..16 {
        if b >> bit & 1 == 1 {
            product ^= u32::from(a) << bit;
        }
    }
    for bit in (16..32).rev() {
        if product >> bit & 1 == 1 {
            product ^= POLYNOMIAL << (bit - 16);
        }
    }
    product as u16
}

/// GF(2^16) with elements written in the Cantor basis.
struct Field {
    /// `to_poly[v]`: the element whose Cantor coordinates are the bits of `v`, in the
    /// polynomial basis.
    to_poly: Vec<u16>,
    /// The inverse map.
    from_poly: Vec<u16>,
}

impl Field {
    fn new() -> Self {
        let to_poly: Vec<u16> = (0..=u16::MAX)
            .map(|v| {
                (0..16)
                    .filter(|i| v >> i & 1 == 1)
                    .fold(0, |acc, i| acc ^ CANTOR_BASIS[i])
            })
            .collect();
        let mut from_poly = vec![0u16; 1 << 16];
        for (v, p) in to_poly.iter().enumerate() {
            from_poly[usize::from(*p)] = v as u16;
        }
        Field { to_poly, from_poly }
    }

    fn mul(&self, a: u16, b: u16) -> u16 {
        let product = poly_mul(self.to_poly[usize::from(a)], self.to_poly[usize::from(b)]);
        self.from_poly[usize::from(product)]
    }

    /// `a^(2^16 - 2)`, the inverse of a non-zero `a`.
    fn inv(&self, a: u16) -> u16 {
        assert_ne!(a, 0, "zero has no inverse");
        let mut result = 1;
        for _ in 0..15 {
            result = self.mul(self.mul(result, result), a);
        }
        self.mul(result, result)
    }
}

/// The skew factors `skew[0..65535)`, as field elements (7.5.2).
fn skew_factors(f: &Field) -> Vec<u16> {
    let mut temp: Vec<u16> = (0..15).map(|i| 1 << (i + 1)).collect();
    let mut skew = vec![0u16; SKEW_COUNT];
    for m in 0..15 {
        let step = 1 << (m + 1);
        skew[(1 << m) - 1] = 0;
        for (i, t) in temp.iter().enumerate().skip(m) {
            let s = 1 << (i + 1);
            for j in ((1 << m) - 1..s).step_by(step) {
                skew[j + s] = skew[j] ^ t;
            }
        }
        let c = f.inv(f.mul(temp[m], temp[m] ^ 1));
        for t in &mut temp[m + 1..] {
            *t = f.mul(f.mul(*t, *t ^ 1), c);
        }
    }
    skew
}

/// The inverse transform of `d` (its length a power of two) with skew offset `delta` (7.5.3).
fn ifft(f: &Field, skew: &[u16], d: &mut [u16], delta: usize) {
    let n = d.len();
    let mut dist = 1;
    while dist < n {
        for r in (0..n).step_by(2 * dist) {
            let factor = skew[r + dist + delta - 1];
            for i in r..r + dist {
                d[i + dist] ^= d[i];
                d[i] ^= f.mul(factor, d[i + dist]);
            }
        }
        dist *= 2;
    }
}

/// The forward transform of `d` with skew offset `delta` (7.5.3).
fn fft(f: &Field, skew: &[u16], d: &mut [u16], delta: usize) {
    let n = d.len();
    let mut dist = n / 2;
    while dist >= 1 {
        for r in (0..n).step_by(2 * dist) {
            let factor = skew[r + dist + delta - 1];
            for i in r..r + dist {
                d[i] ^= f.mul(factor, d[i + dist]);
                d[i + dist] ^= d[i];
            }
        }
        dist /= 2;
    }
}

/// The `k` recovery symbols of `k` original symbols at one position (7.5.4).
fn encode_symbols(f: &Field, skew: &[u16], original: &[u16]) -> Vec<u16> {
    let k = original.len();
    let mut d = original.to_vec();
    ifft(f, skew, &mut d, k);
    fft(f, skew, &mut d, 0);
    d
}

/// Symbol `j` of 64-byte block `b` of a shard: the low byte at `64b + j`, the high byte at
/// `64b + 32 + j` (7.5.5).
fn symbol(shard: &[u8], b: usize, j: usize) -> u16 {
    u16::from(shard[64 * b + j]) | u16::from(shard[64 * b + 32 + j]) << 8
}

/// The `k` recovery shards of `k` original shards, each a multiple of 64 bytes (7.5.5).
fn encode(f: &Field, skew: &[u16], original: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let len = original[0].len();
    assert_eq!(len % 64, 0);
    let mut recovery = vec![vec![0u8; len]; original.len()];
    for b in 0..len / 64 {
        for j in 0..32 {
            let column: Vec<u16> = original.iter().map(|s| symbol(s, b, j)).collect();
            for (out, value) in recovery.iter_mut().zip(encode_symbols(f, skew, &column)) {
                out[64 * b + j] = value as u8;
                out[64 * b + 32 + j] = (value >> 8) as u8;
            }
        }
    }
    recovery
}

/// The crate's recovery shards for `original`.
fn crate_encode(original: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let refs: Vec<&[u8]> = original.iter().map(Vec::as_slice).collect();
    let mut recovery = vec![vec![0u8; original[0].len()]; original.len()];
    let mut out: Vec<&mut [u8]> = recovery.iter_mut().map(Vec::as_mut_slice).collect();
    CodecId::RsLeopard.code().encode(&refs, &mut out).unwrap();
    recovery
}

/// `k` shards of `len` bytes: byte `i` of shard `j` is `(j·len + i) mod 251` (13.5).
fn counting_shards(k: usize, len: usize) -> Vec<Vec<u8>> {
    (0..k)
        .map(|j| (0..len).map(|i| ((j * len + i) % 251) as u8).collect())
        .collect()
}

#[test]
fn the_field_checkpoints_are_the_documented_ones() {
    for (half, basis) in ["β_0..β_7", "β_8..β_15"].iter().zip(CANTOR_BASIS.chunks(8)) {
        let words: Vec<String> = basis.iter().map(|b| format!("{b:04x}")).collect();
        doc::assert_documented(&format!("{half} {}", words.join(" ")));
    }
    doc::assert_documented(&format!("the polynomial `0x{POLYNOMIAL:X}`"));
    let f = Field::new();
    for (a, b, product) in PRODUCTS {
        doc::assert_documented(&format!("`0x{a:04x} · 0x{b:04x} = 0x{product:04x}`"));
        assert_eq!(f.mul(*a, *b), *product);
        assert_eq!(f.mul(*b, *a), *product);
    }
    for i in 1..16 {
        let beta = 1 << i;
        assert_eq!(f.mul(beta, beta) ^ beta, 1 << (i - 1), "β_{i}² + β_{i}");
    }
    for a in (1..=u16::MAX).step_by(97) {
        assert_eq!(f.mul(a, f.inv(a)), 1);
    }
}

/// 7.5.1: products in the Cantor representation.
const PRODUCTS: &[(u16, u16, u16)] = &[
    (0x0002, 0x0003, 0x0001),
    (0x1234, 0x5678, 0x35c9),
    (0xffff, 0xffff, 0x8000),
];

#[test]
fn the_skew_factors_have_the_documented_closed_form_and_are_the_crate_factors() {
    let f = Field::new();
    let skew = skew_factors(&f);
    doc::assert_documented(&format!("so the first factors are `{FIRST_SKEW_FACTORS}`"));
    let first: Vec<u16> = FIRST_SKEW_FACTORS
        .split(", ")
        .map(|v| v.parse().unwrap())
        .collect();
    assert_eq!(skew[..first.len()], first[..]);
    for (j, factor) in skew.iter().enumerate() {
        let t = (j + 1).trailing_zeros();
        assert_eq!(usize::from(*factor), (j + 1) >> (t + 1) << 1, "skew[{j}]");
    }
    let tables = reed_solomon_simd::engine::tables::get_exp_log();
    let logs = reed_solomon_simd::engine::tables::get_skew();
    for (j, factor) in skew.iter().enumerate() {
        assert_eq!(logs[j], tables.log[usize::from(*factor)], "skew[{j}]");
    }
}

/// 7.5.2: the first skew factors.
const FIRST_SKEW_FACTORS: &str = "0, 0, 2, 0, 4, 2, 6, 0, 8, 4, 10, 2, 12, 6, 14, 0";

#[test]
fn the_reference_gives_the_crate_recovery_shards_for_every_width() {
    let f = Field::new();
    let skew = skew_factors(&f);
    let mut rng = StdRng::seed_from_u64(7);
    for log_k in 0..=7 {
        let k = 1 << log_k;
        let counting = counting_shards(k, SHARE_SIZE);
        assert_eq!(
            encode(&f, &skew, &counting),
            crate_encode(&counting),
            "k = {k}"
        );
        for len in [64, SHARE_SIZE, k * SHARE_SIZE] {
            let random: Vec<Vec<u8>> = (0..k)
                .map(|_| (0..len).map(|_| rng.gen()).collect())
                .collect();
            assert_eq!(
                encode(&f, &skew, &random),
                crate_encode(&random),
                "k = {k}, {len} bytes"
            );
        }
    }
}

#[test]
fn the_reference_gives_the_documented_codec_vectors() {
    let f = Field::new();
    let skew = skew_factors(&f);
    for (k, expected) in CODEC_VECTORS {
        doc::assert_documented(expected);
        let original = counting_shards(*k, 64);
        assert_eq!(
            encode(&f, &skew, &original).concat(),
            doc::hex(expected),
            "k = {k}"
        );
        assert_eq!(
            crate_encode(&original).concat(),
            doc::hex(expected),
            "k = {k}"
        );
    }
}

/// 13.5: the recovery shards of `counting_shards(k, 64)`, one 64-byte shard per line.
const CODEC_VECTORS: &[(usize, &str)] = &[
    (
        2,
        "\
        47464544434241404f4e4d4c4b4a494857565554535251505f5e5d5c5b5a595893929190979695949b9a99989f9e9d9c83828180878685848b8a89888f8e8d8c
        07060504030201000f0e0d0c0b0a090817161514131211101f1e1d1c1b1a1918d3d2d1d0d7d6d5d4dbdad9d8dfdedddcc3c2c1c0c7c6c5c4cbcac9c8cfcecdcc
",
    ),
    (
        4,
        "\
        818083828584878689888b8a8d8c8f8e919093929594979699989b398378813d5e5f5c5d5a5b585956575455525350514e4f4c4d4a4b4849464744909e919c94
        c1c0c3c2c5c4c7c6c9c8cbcacdcccfced1d0d3d2d5d4d7d6d9d8db4d573355491e1f1c1d1a1b181916171415121310110e0f0c0d0a0b08090607049e98949a9a
        010003020504070609080b0a0d0c0f0e111013121514171619181bd5960594d1dedfdcdddadbd8d9d6d7d4d5d2d3d0d1cecfcccdcacbc8c9c6c7c44f4247404b
        414043424544474649484b4a4d4c4f4e515053525554575659585ba1424e40a59e9f9c9d9a9b989996979495929390918e8f8c8d8a8b8889868784bab9bdbbbe
",
    ),
    (
        8,
        "\
        b528b76ec15cc36abd20bfb718851ab3a538a77ed14c8b7b5b31f70ce9799ad7070505020d0f0f060f0d0d26292b2b22171515121d1f0e0c0c070c343d3a323f
        f568f72e811c832afd60fff758c55af3e578e73e910c6825ff6f140c57af0eba474545424d4f4f464f4d4d66696b6b62575555525d5f9b909e9b99161b161f11
        35a837ee41dc43ea3da03f3798059a3325b827fe51cc9c71343be02e0e6416e6878585828d8f8f868f8d8da6a9ababa2979595929d9feeebe4e0ecf9f7fcfaf8
        75e877ae019c03aa7de07f77d845da7365f867be118c4bbb9bf137ea4b493831c7c5c5c2cdcfcfc6cfcdcde6e9ebebe2d7d5d5d2dddf3531333a376760636364
        b02fb265cc53ce61b827baac059a07a8a03fa275dc437d6f4c29097c76e45e15020200090000020d0a0a083d343436391212101910103c3c373b363b3530303b
        f06ff2258c138e21f867faec45da47e8e07fe2359c03f2a415e286e5c03af240424240494040424d4a4a487d74747679525250595050f6fcf3fbfcc8cbc4cdc5
        30af32e54cd34ee138a73a2c851a872820bf22f55cc3c97bc73dbd9b137b7a8c828280898080828d8a8a88bdb4b4b6b9929290999090f2faf2fdf8d2d8d1d8dc
        70ef72a50c930ea178e77a6cc55ac76860ff62b51c837224956206c65e5e6c63c2c2c0c9c0c0c2cdcacac8fdf4f4f6f9d2d2d0d9d0d08d818c8687636d6c6766
",
    ),
];
