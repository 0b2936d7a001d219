// One pass of the exact sum (`sum_exact`): adds units of a view arranged as [outer, R, inner] (strides in units:
// source elements on the first pass, stored accumulators on later passes) into superaccumulators
// (shaders/lib/superacc.wgsl), one per (output q, chunk c), stored normalised at (q · chunks + c) · SA_WORDS.
// Integer addition is exact and associative, so the result does not depend on the chunking, the workgroup shape or
// the order: no fixed tree is needed for determinism. No workgroup memory, no barrier.
//
// ALONG (R walked by the workgroup): a workgroup takes one output q and block c of R, its 64 invocations stride
// through the 64 · per units of the block (per <= 64: the words' headroom) and each stores its own accumulator, as
// chunk c · 64 + lane. Otherwise each invocation takes one (output, block) pair, outputs fastest (64 consecutive
// outputs per workgroup when there are that many), and walks the block's `per` units of R, normalising every 64.
// Composed by src/ops/reduce_exact.rs with ALONG and sa_add_unit(index) for the source kind.

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

const ALONG: bool = {{along}};

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
    let g = wid.x + wid.y * p.groups_x;
    if g >= p.total {
        return;
    }
    sa_clear();
    if ALONG {
        let c = p.c0 + g / p.n_q;
        let q = p.q0 + g % p.n_q;
        let base = p.off + i32(q / p.inner) * p.so + i32(q % p.inner) * p.si;
        // Every invocation has a unit in the first `full` steps (no masked adds), some in the next one.
        let start = c * 64u * p.per;
        let full = min(p.per, (p.r - start) / 64u);
        for (var t = 0u; t < full; t++) {
            sa_add_unit(base + i32(start + t * 64u + li) * p.sr);
        }
        let r = start + full * 64u + li;
        if full < p.per && r < p.r {
            sa_add_unit(base + i32(r) * p.sr);
        }
        sa_normalise();
        store((q * p.chunks + c * 64u + li) * SA_WORDS);
    } else {
        // Invocation u of the dispatch takes output q0 + u % n_q and block c0 + u / n_q (of `units` in all).
        let u = g * 64u + li;
        if u >= p.units {
            return;
        }
        let q = p.q0 + u % p.n_q;
        let c = p.c0 + u / p.n_q;
        let base = p.off + i32(q / p.inner) * p.so + i32(q % p.inner) * p.si;
        let r0 = c * p.per;
        let r1 = min(r0 + p.per, p.r);
        for (var r = r0; r < r1; r++) {
            sa_add_unit(base + i32(r) * p.sr);
            if ((r - r0) & 63u) == 63u {
                sa_normalise();
            }
        }
        sa_normalise();
        store((q * p.chunks + c) * SA_WORDS);
    }
}
