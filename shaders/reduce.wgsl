// One pass of a deterministic reduction of a view arranged as [outer, R, inner] (strides in units of the source:
// elements on the first pass, accumulators on later passes). The result is always the pairwise tree over R in
// natural order, padded with the op's identity to a power of two: each invocation reduces a leaf of 16·2^k
// consecutive r pairwise, a workgroup combines L leaves (an aligned block of 16·L) pairwise in workgroup memory, and the next
// pass combines those partials the same way. Every block is aligned, so the tree depends only on R: not on the
// workgroup shape, the chunking into dispatches, or the other dims.
//
// Composed by src/ops/reduce_wgsl.rs: the accumulator type Acc with identity(), combine(a, b) (a holds the lower r),
// the source loads, store_acc(), the leaf code for the load mode (src/ops/reduce_leaf.rs; on CPU adapters a
// subgroup's leaves may be loaded interleaved across its lanes and handed out by shuffles, reduce_interleave.rs),
// the grid and pair-index forms, the slot/leaf mapping of the invocations and the workgroup tree over the leaves (in
// workgroup memory with a barrier per level, or its first levels by subgroup shuffles on CPU adapters: the same
// pairs combined either way).

struct Params {
    // This dispatch: outer rows o0.., `n_p` (o, i) pairs, chunks c0.. (c_count of them).
    r: u32,
    inner: u32,
    chunks: u32,
    leaves: u32,
    off: i32,
    so: i32,
    sr: i32,
    si: i32,
    o0: u32,
    c0: u32,
    n_p: u32,
    col_groups: u32,
    groups_x: u32,
    total: u32,
    dst_first: u32,
    pad: u32,
}

@group(0) @binding(0) var<storage, read> src: array<{{src_word}}>;
@group(0) @binding(1) var<storage, read_write> dst: array<{{dst_word}}>;
@group(0) @binding(2) var<uniform> p: Params;

const W: u32 = {{w}}u;

{{shared}}

{{fns}}

// The (o, i) of pair q of this dispatch (composed for the pass: integer division is a loop over the lanes on CPU
// adapters, so there is none where inner is 1 or the dispatch covers one outer row).
fn split_q(q: u32) -> vec2<u32> {
    {{split_q}}
}

// Stores element t of a slot's result: chunk c of the pairs (o, i + t) from the slot's first pair q (a multiple of
// W, in one row).
fn finish(c: u32, q: u32, o: u32, i: u32, t: u32, a: Acc) {
    if q < p.n_p {
        store_acc((o * p.chunks + c) * p.inner + i + t - p.dst_first, a);
    }
}

// Stores a slot's W results (chunk c of the pairs (o, i..i + W)).
fn finish_all(c: u32, q: u32, o: u32, i: u32, a: array<Acc, W>) {
    {{store_all}}
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    {{groups}}
    let leaves = p.leaves;
    let slots = 256u >> countTrailingZeros(leaves);
    let c = p.c0 + cg;
    {{mapping}}
    let q = (col * slots + s) * W;
    let valid = q < p.n_p;
    let oi = split_q(q);
    let o = oi.x;
    let i = oi.y;
    let base = p.off + i32(o) * p.so + i32(i) * p.si;
    let r0 = (c * leaves + l) * {{leaf_len}}u;
    var acc: array<Acc, W>;
    for (var t = 0u; t < W; t++) {
        acc[t] = identity();
    }
    if valid {
        {{leaf}}
    }
    {{tree}}
}
