// The second pass of an f16/bf16 matrix product: rounds the f32 products (accumulated in f32 by matmul.wgsl) once
// to the 16-bit format and packs two per word. One invocation writes one output word.
// Needs u64.wgsl, round_pack.wgsl and convert.wgsl; {{man}}/{{exp}} are the target format's field widths.

struct Params {
    n: u32,
    row: u32,
    pad0: u32,
    pad1: u32,
}

@group(0) @binding(0) var<storage, read> src: array<u32>;
@group(0) @binding(1) var<storage, read_write> dst: array<u32>;
@group(0) @binding(2) var<uniform> params: Params;

// The conversion library reports inexact results through this hook; a product is rounded by definition.
fn mark_lossy(lossy: bool) {}

fn narrow(j: u32) -> u32 {
    return float_to_float(vec2<u32>(src[j], 0u), 23u, 8u, {{man}}u, {{exp}}u).x;
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let u = gid.y * params.row + gid.x;
    let first = 2u * u;
    if first >= params.n {
        return;
    }
    var word = narrow(first);
    if first + 1u < params.n {
        word |= narrow(first + 1u) << 16u;
    }
    dst[u] = word;
}
