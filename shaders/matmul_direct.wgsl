// The matrix product for CPU adapters (lavapipe, WARP). They run a workgroup's invocations as the lanes of SIMD
// registers, and a load whose address differs between lanes costs a scalar load per lane (lavapipe walks the lanes
// one by one), so loads, not multiply-adds, bound the kernel. Each invocation therefore computes a large block of C
// straight from the buffers: {{r}} rows x {{c}} columns, which costs {{r}} + {{c}} 16-byte loads per 4 steps of k
// against {{r}} x {{c}} x 4 multiply-adds, with no workgroup memory and no barriers (which CPU adapters run as
// coroutine switches). Both operands are row-major with unit column stride and 4-aligned non-negative
// offsets/strides, K and N multiples of 4 ({{elem}} is f32 or u32; products wrap for u32). The body is written out
// by src/ops/matmul_wgsl.rs: arrays indexed in a loop would live in memory on a CPU.

{{params}}
@group(0) @binding(0) var<storage, read> a: array<vec4<u32>>;
@group(0) @binding(1) var<storage, read> b: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read_write> c: array<vec4<u32>>;
@group(0) @binding(3) var<uniform> p: Params;

@compute @workgroup_size({{wx}}, {{wy}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let g = wid.x + wid.y * p.groups_x;
    if g >= p.total {
        return;
    }
    let tn = g % p.tiles_n;
    let rest = g / p.tiles_n;
    let row = (rest % p.tiles_m) * {{bm}}u + lid.y * {{r}}u;
    let t4 = (tn * {{bn}}u + lid.x * {{c}}u) / 4u;
    let bt = rest / p.tiles_m;
    let n4 = p.n / 4u;
    if t4 >= n4 || row >= p.m {
        return;
    }
    // Rows past M read the last row and columns past N the last 4 columns (their results are not stored), so every
    // load stays inside the views.
    let last = p.m - 1u;
    let sm = u32(p.a_sm) / 4u;
    let a_base = u32(p.a_off + i32(bt) * p.a_sb) / 4u;
    let sk = u32(p.b_sk) / 4u;
    let b_base = u32(p.b_off + i32(bt) * p.b_sb) / 4u;
{{setup}}
    let k4 = p.k / 4u;
    var bk = 0u;
    for (var k = 0u; k < k4; k++) {
        let s1 = bk + sk;
        let s2 = s1 + sk;
        let s3 = s2 + sk;
{{body}}
        bk = s3 + sk;
    }
    let out = (bt * p.m + row) * n4 + t4;
{{store}}
}
