//! The WGSL helper libraries of `shaders/lib/`, one routine at a time, against host oracles (see
//! `tests/wgsl_harness`).

mod wgsl_harness;

const U64_LIB: &str = include_str!("../shaders/lib/u64.wgsl");

fn split(v: u64) -> [u32; 2] {
    [v as u32, (v >> 32) as u32]
}

fn join(w: [u32; 2]) -> u64 {
    u64::from(w[0]) | (u64::from(w[1]) << 32)
}

/// Edge values and xorshift noise for 64-bit operands.
fn operands(n: usize, seed: u64) -> Vec<u64> {
    let mut v = vec![0, 1, 2, u64::MAX, u64::MAX - 1, 1 << 31, 1 << 32, (1 << 32) - 1, 1 << 63, (1 << 63) - 1];
    let mut x = seed | 1;
    while v.len() < n {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        v.push(x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> (x % 64));
    }
    v
}

#[test]
fn u64_add_neg_and_shifts_match_rust() {
    let a = operands(100_000, 1);
    let b = operands(100_000, 2);
    let wa: Vec<_> = a.iter().map(|&v| split(v)).collect();
    let wb: Vec<_> = b.iter().map(|&v| split(v)).collect();
    let add = wgsl_harness::run(U64_LIB, "u64_add(a, b)", &wa, &wb, &[]);
    let neg = wgsl_harness::run(U64_LIB, "u64_neg(a)", &wa, &[], &[]);
    let shl = wgsl_harness::run(U64_LIB, "u64_shl(a, b.x & 127u)", &wa, &wb, &[]);
    let shr = wgsl_harness::run(U64_LIB, "u64_shr(a, b.x & 127u)", &wa, &wb, &[]);
    for i in 0..a.len() {
        let s = (b[i] as u32 & 127) as u64;
        assert_eq!(join(add[i]), a[i].wrapping_add(b[i]), "{} + {}", a[i], b[i]);
        assert_eq!(join(neg[i]), a[i].wrapping_neg(), "-{}", a[i]);
        assert_eq!(join(shl[i]), if s >= 64 { 0 } else { a[i] << s }, "{} << {s}", a[i]);
        assert_eq!(join(shr[i]), if s >= 64 { 0 } else { a[i] >> s }, "{} >> {s}", a[i]);
    }
}

/// `u64_clz` and `u64_normalise` (a shifted left by its leading zeros, and the count) against Rust, zero included,
/// on operands of every length (the noise is shifted right by 0..64 bits).
#[test]
fn u64_clz_and_normalise_match_rust() {
    let a = operands(100_000, 3);
    let wa: Vec<_> = a.iter().map(|&v| split(v)).collect();
    let outs = wgsl_harness::run_many_on(
        wgsl_harness::device(),
        U64_LIB,
        &["vec2<u32>(u64_clz(a), 0u)", "u64_normalise(a).xy", "vec2<u32>(u64_normalise(a).z, 0u)"],
        &wa,
        &[],
        &[],
    );
    for (i, &v) in a.iter().enumerate() {
        let lz = v.leading_zeros();
        assert_eq!(outs[0][i], [lz, 0], "clz {v:#x}");
        assert_eq!(join(outs[1][i]), v.checked_shl(lz).unwrap_or(0), "normalise {v:#x}");
        assert_eq!(outs[2][i], [lz, 0], "normalise shift {v:#x}");
    }
}
