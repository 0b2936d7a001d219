// Read-only roof for the reduction benchmarks: reads every word of the binding with 16-byte loads, {{per}} vectors
// per invocation ({{layout}}), combines them trivially and writes only if the result hits an unlikely value (so the
// loads stay live but the output traffic is nil).

struct Params {
    n4: u32,
    row: u32,
    pad0: u32,
    pad1: u32,
}

@group(0) @binding(0) var<storage, read> src: array<vec4<u32>>;
@group(0) @binding(1) var<storage, read_write> dst: array<u32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let u = gid.y * params.row + gid.x;
    let total = params.row * nwg.y;
    var acc = vec4<u32>(0u);
    for (var t = 0u; t < {{per}}u; t++) {
        let j = {{index}};
        if j < params.n4 {
            acc ^= src[j];
        }
    }
    if all(acc == vec4<u32>(0x9e3779b9u)) {
        dst[0] = acc.x;
    }
}
