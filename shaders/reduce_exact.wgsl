// One pass of the exact sum (`sum_exact`): adds units of a view arranged as [outer, R, inner] (strides in units:
// source elements on the first pass, stored accumulators on later passes) into superaccumulators
// (shaders/lib/superacc.wgsl), one per (output q, chunk c of R), stored normalised at (q · chunks + c) · SA_WORDS.
// Integer addition is exact and associative, so the result does not depend on the chunking, the workgroup shape or
// the order: no fixed tree is needed for determinism.
//
// ALONG (R walked by the workgroup): a workgroup takes one (q, c), its 64 invocations stride through a block of
// 64 · per units of R (per <= 64: the words' headroom), and the 64 accumulators are added in workgroup memory. Otherwise a workgroup takes 64
// consecutive outputs and each invocation walks `per` units of R for its own output, normalising every 64.
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
    col_groups: u32,
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

var<workgroup> sh: array<u32, 896>;
var<workgroup> col: array<u32, 14>;

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
        let r0 = c * 64u * p.per + li;
        for (var t = 0u; t < p.per; t++) {
            let r = r0 + t * 64u;
            if r < p.r {
                sa_add_unit(base + i32(r) * p.sr);
            }
        }
        sa_normalise();
        for (var j = 0u; j < SA_DIGITS; j++) {
            sh[li * SA_WORDS + j] = bitcast<u32>(sa[j]);
        }
        sh[li * SA_WORDS + SA_DIGITS] = sa_flags;
        workgroupBarrier();
        if li < SA_WORDS {
            var v = 0u;
            for (var l = 0u; l < 64u; l++) {
                let x = sh[l * SA_WORDS + li];
                if li == SA_DIGITS {
                    v |= x;
                } else {
                    v += x;
                }
            }
            col[li] = v;
        }
        workgroupBarrier();
        if li == 0u {
            for (var j = 0u; j < SA_DIGITS; j++) {
                sa[j] = bitcast<i32>(col[j]);
            }
            sa_flags = col[SA_DIGITS];
            sa_normalise();
            store((q * p.chunks + c) * SA_WORDS);
        }
    } else {
        let c = p.c0 + g / p.col_groups;
        let q = p.q0 + (g % p.col_groups) * 64u + li;
        if q >= p.q0 + p.n_q {
            return;
        }
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
