// One pass of the exact sum (`sum_exact`): adds units of a view arranged as [outer, R, inner] (strides in units:
// source elements on the first pass, stored accumulators on later passes) into superaccumulators
// (shaders/lib/superacc.wgsl), one per (output q, block c of R), stored normalised at (q · chunks + c) · SA_WORDS.
// Integer addition is exact and associative, so the result does not depend on the chunking, the workgroup shape or
// the order: no fixed tree is needed for determinism. No workgroup memory, no barrier.
//
// Each invocation takes one (output q, block c) pair, outputs fastest (64 consecutive outputs per workgroup when
// there are that many), and walks the block's `per` consecutive units of R, normalising every 64. (Workgroups
// walking R interleaved, with or without a merge in workgroup memory, measured 1.3-1.5x slower on lavapipe.)
// Composed by src/ops/reduce_exact.rs with sa_add_unit(index) for the source kind and, where every walk starts on
// 16 bytes with unit stride (VEC4), sa_add_vec4(k) adding the PER_VEC4 elements of one 16-byte load.

struct Params {
    r: u32,
    inner: u32,
    chunks: u32,
    per: u32,
    off: i32,
    so: i32,
    sr: i32,
    si: i32,
    q0: u32,
    c0: u32,
    n_q: u32,
    units: u32,
    groups_x: u32,
    total: u32,
    pad0: u32,
    pad1: u32,
}

@group(0) @binding(0) var<storage, read> src: array<u32>;
@group(0) @binding(1) var<storage, read_write> dst: array<u32>;
@group(0) @binding(2) var<uniform> p: Params;

const VEC4: bool = {{vec4}};
const PER_VEC4: u32 = {{per_vec4}};

{{src4}}

fn sa_load(w: u32) -> u32 {
    return src[w];
}

{{superacc}}

{{add_unit}}

fn store(d: u32) {
    for (var j = 0u; j < SA_DIGITS; j++) {
        dst[d + j] = bitcast<u32>(sa[j]);
    }
    dst[d + SA_DIGITS] = sa_flags;
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    // Invocation u of the dispatch takes output q0 + u % n_q and block c0 + u / n_q (of `units` in all).
    let u = (wid.x + wid.y * p.groups_x) * 64u + li;
    if u >= p.units {
        return;
    }
    sa_clear();
    let q = p.q0 + u % p.n_q;
    let c = p.c0 + u / p.n_q;
    let base = p.off + i32(q / p.inner) * p.so + i32(q % p.inner) * p.si;
    var r0 = c * p.per;
    let r1 = min(r0 + p.per, p.r);
    if VEC4 {
        // Unit stride, the walk starting on 16 bytes: whole vec4s of PER_VEC4 elements first, the rest one by one.
        let k0 = u32(base + i32(r0)) / PER_VEC4;
        let n4 = (r1 - r0) / PER_VEC4;
        for (var t = 0u; t < n4; t++) {
            sa_add_vec4(k0 + t);
            if ((t + 1u) * PER_VEC4) % 64u == 0u {
                sa_normalise();
            }
        }
        sa_normalise();
        r0 += n4 * PER_VEC4;
    }
    for (var r = r0; r < r1; r++) {
        sa_add_unit(base + i32(r) * p.sr);
        if ((r - r0) & 63u) == 63u {
            sa_normalise();
        }
    }
    sa_normalise();
    store((q * p.chunks + c) * SA_WORDS);
}
