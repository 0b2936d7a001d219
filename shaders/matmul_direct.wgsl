// The matrix product for CPU adapters (lavapipe, WARP), where the caches do what workgroup memory does on a GPU and
// barriers are expensive: the same tiles and dispatch as matmul.wgsl, but each invocation reads its 4 × 4 block's
// operands straight from the buffers with 16-byte loads. Both operands are row-major with unit column stride and
// 4-aligned non-negative offsets/strides, K and N multiples of 4 ({{elem}} is f32 or u32; products wrap for u32).

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
    let row = (rest % p.tiles_m) * {{bm}}u + lid.y * 4u;
    let col = tn * {{bn}}u + lid.x * 4u;
    let bt = rest / p.tiles_m;
    if col >= p.n || row >= p.m {
        return;
    }
    // Rows past M read the last row (their results are not stored), so every load stays inside the view.
    let last = p.m - 1u;
    let sm = u32(p.a_sm) / 4u;
    let a0 = (u32(p.a_off + i32(bt) * p.a_sb)) / 4u;
    let r0 = a0 + row * sm;
    let r1 = a0 + min(row + 1u, last) * sm;
    let r2 = a0 + min(row + 2u, last) * sm;
    let r3 = a0 + min(row + 3u, last) * sm;
    let sk = u32(p.b_sk) / 4u;
    var bi = (u32(p.b_off + i32(bt) * p.b_sb) + col) / 4u;
    var acc0 = vec4<{{elem}}>();
    var acc1 = vec4<{{elem}}>();
    var acc2 = vec4<{{elem}}>();
    var acc3 = vec4<{{elem}}>();
    let k4 = p.k / 4u;
    for (var k = 0u; k < k4; k++) {
        let x0 = bitcast<vec4<{{elem}}>>(a[r0 + k]);
        let x1 = bitcast<vec4<{{elem}}>>(a[r1 + k]);
        let x2 = bitcast<vec4<{{elem}}>>(a[r2 + k]);
        let x3 = bitcast<vec4<{{elem}}>>(a[r3 + k]);
        let b0 = bitcast<vec4<{{elem}}>>(b[bi]);
        let b1 = bitcast<vec4<{{elem}}>>(b[bi + sk]);
        let b2 = bitcast<vec4<{{elem}}>>(b[bi + 2u * sk]);
        let b3 = bitcast<vec4<{{elem}}>>(b[bi + 3u * sk]);
        bi += 4u * sk;
        acc0 += x0.x * b0 + x0.y * b1 + x0.z * b2 + x0.w * b3;
        acc1 += x1.x * b0 + x1.y * b1 + x1.z * b2 + x1.w * b3;
        acc2 += x2.x * b0 + x2.y * b1 + x2.z * b2 + x2.w * b3;
        acc3 += x3.x * b0 + x3.y * b1 + x3.z * b2 + x3.w * b3;
    }
    let out = ((bt * p.m + row) * p.n + col) / 4u;
    let n4 = p.n / 4u;
    c[out] = bitcast<vec4<u32>>(acc0);
    if row + 1u < p.m {
        c[out + n4] = bitcast<vec4<u32>>(acc1);
    }
    if row + 2u < p.m {
        c[out + 2u * n4] = bitcast<vec4<u32>>(acc2);
    }
    if row + 3u < p.m {
        c[out + 3u * n4] = bitcast<vec4<u32>>(acc3);
    }
}
