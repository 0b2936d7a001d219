// Bandwidth roof for the benchmarks: the best plain kernel for the bytes an op moves per element ({{summary}}),
// with trivial work (or the given work on every stored word). Each invocation moves whole vec4<u32> words of every
// stream — {{vec4s}} vec4(s) of the narrowest, proportionally more of the wider ones — xoring the inputs together into
// the output words.
// Composed by benches/common/roof.rs (used by the benches and the ignored throughput test of src/cast/).

struct Params {
    // Invocations in the dispatch, and invocations per row of the 2-D grid.
    invocations: u32,
    row: u32,
    pad0: u32,
    pad1: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> out: array<vec4<u32>>;
{{input_bindings}}

@compute @workgroup_size({{workgroup_size}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let u = gid.y * params.row + gid.x;
    if u >= params.invocations {
        return;
    }
    var acc = vec4<u32>(0u);
{{loads}}
{{stores}}
}
