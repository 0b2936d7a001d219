// The last step of a reduction: turns accumulators (the output of reduce.wgsl) into output elements and packs
// them (8-bit outputs four per word, 16-bit two per word, 64-bit as two words). One invocation writes one output
// word (or the two words of a 64-bit element). Composed by src/ops/reduce_wgsl.rs with load_acc(j) and out_bits(a).

struct Params {
    n: u32,
    row: u32,
    pad0: u32,
    pad1: u32,
}

@group(0) @binding(0) var<storage, read> src: array<u32>;
@group(0) @binding(1) var<storage, read_write> dst: array<u32>;
@group(0) @binding(2) var<uniform> params: Params;

{{fns}}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let u = gid.y * params.row + gid.x;
    let first = u * {{per_word}}u;
    if first >= params.n {
        return;
    }
    {{store}}
}
