// The matrix product for CPU adapters with subgroups (lavapipe): a workgroup is one subgroup of {{s}} invocations,
// which such an adapter runs as the {{s}} lanes of one SIMD register. A load whose address differs between lanes
// costs a scalar load per lane there, so loads bound the kernel; this one never loads a value twice. The
// subgroup computes a {{r}} x {{bn}} tile of C: each lane owns {{c4}} groups of 4 columns (interleaved, so the lanes
// read consecutive 16-byte pieces of a row of B) for all {{r}} rows. Per 4 steps of k a lane loads its {{c4}} x 4
// pieces of B and {{aq}} of the {{r}} pieces of A, and the A pieces reach every lane by subgroupBroadcast (an
// extract and a splat on a CPU): {{loads}} loads against {{fmas}} multiply-adds per lane. Each operand is row-major
// (16-byte loads along k for A, along n for B) or transposed (16-byte loads along m for A, along k for B) with
// 4-aligned non-negative offsets and strides; K and N are multiples of 4 ({{elem}} is f32 or u32, products wrap
// for u32). Whatever the layouts, each output adds the same products in the same order, so a transposed operand
// gives the same bits as its contiguous copy. The body is written out by src/ops/matmul_wgsl.rs (layouts: {{layouts}}). (Naga takes subgroup built-ins without `enable subgroups;`, which it rejects.)

{{params}}
@group(0) @binding(0) var<storage, read> a: array<vec4<u32>>;
@group(0) @binding(1) var<storage, read> b: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read_write> c: array<vec4<u32>>;
@group(0) @binding(3) var<uniform> p: Params;

@compute @workgroup_size({{s}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(subgroup_invocation_id) lane: u32) {
    let g = wid.x + wid.y * p.groups_x;
    if g >= p.total {
        return;
    }
    // Consecutive workgroups walk down the rows of C, so the strip of B they share stays in the CPU's cache.
    let tm = g % p.tiles_m;
    let rest = g / p.tiles_m;
    let row = tm * {{r}}u;
    let t4 = (rest % p.tiles_n) * {{bn4}}u + lane;
    let bt = rest / p.tiles_n;
    let n4 = p.n / 4u;
    // Rows past M read the last row and columns past N the last 4 columns (their results are not stored), so every
    // load stays inside the views.
    let last = p.m - 1u;
    let a_base = u32(p.a_off + i32(bt) * p.a_sb) / 4u;
    let b_base = u32(p.b_off + i32(bt) * p.b_sb) / 4u;
{{setup}}
    let k4 = p.k / 4u;
    for (var k = 0u; k < k4; k++) {
{{body}}
    }
    let out = (bt * p.m + row) * n4 + t4;
{{store}}
}
