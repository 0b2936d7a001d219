// Bandwidth "roof" for the cast benchmarks: moves the same bytes per element as a cast {{src_bytes}} -> {{dst_bytes}}
// bytes with trivial work (an xor of the source words), one output unit per invocation like the cast kernel.

struct Params {
    n: u32,
    row: u32,
    slot: u32,
    pad: u32,
}

@group(0) @binding(0) var<storage, read> src: array<u32>;
@group(0) @binding(1) var<storage, read_write> dst: array<u32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size({{workgroup_size}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let u = gid.y * params.row + gid.x;
    let first = u * {{per_unit}}u;
    if first >= params.n {
        return;
    }
    {{body}}
}
