// Batched matrix product C[b] = A[b] · B[b] over views (offset, batch/row/col strides in elements; a batch stride
// of 0 broadcasts), written contiguously as [batch, M, N]. One workgroup computes a BM × BN tile of one batch entry,
// stepping through K by BK: each step stages the A and B tiles in workgroup memory (zero outside the matrices),
// then each invocation accumulates a 4 × 4 register block from one 4-row slot of A and one 4-column slot of B.
//
// Composed per (dtype, operand layouts) by src/ops/matmul_wgsl.rs, which fills the placeholders: the binding word
// types (u32, or vec4<u32> where the layout allows 16-byte loads/stores), the slot type (4 consecutive values:
// vec4<f32>, vec4<u32> or array<vec2<u32>, 4>), the element functions (zero_slot, a_at/b_at, store_row), the tile
// loads, the register-block update and the tile geometry.

{{params}}
@group(0) @binding(0) var<storage, read> a: array<{{a_word}}>;
@group(0) @binding(1) var<storage, read> b: array<{{b_word}}>;
@group(0) @binding(2) var<storage, read_write> c: array<{{c_word}}>;
@group(0) @binding(3) var<uniform> p: Params;

const BM: u32 = {{bm}}u;
const BN: u32 = {{bn}}u;
const BK: u32 = {{bk}}u;
const WG: u32 = {{wx}}u * {{wy}}u;

// As[k][i] holds rows 4i..4i+3 of the A tile at column k; Bs[k][j] columns 4j..4j+3 of the B tile at row k.
var<workgroup> As: array<array<{{slot}}, {{bm4}}>, {{bk}}>;
var<workgroup> Bs: array<array<{{slot}}, {{bn4}}>, {{bk}}>;

{{elem_fns}}

@compute @workgroup_size({{wx}}, {{wy}})
fn main(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(local_invocation_id) lid: vec3<u32>,
    @builtin(local_invocation_index) li: u32,
) {
    let g = wid.x + wid.y * p.groups_x;
    if g >= p.total {
        return;
    }
    let tn = g % p.tiles_n;
    let rest = g / p.tiles_n;
    let m0 = (rest % p.tiles_m) * BM;
    let n0 = tn * BN;
    let bt = rest / p.tiles_m;
    let a_base = p.a_off + i32(bt) * p.a_sb;
    let b_base = p.b_off + i32(bt) * p.b_sb;
    var acc: array<{{slot}}, 4>;
    for (var i = 0u; i < 4u; i++) {
        acc[i] = zero_slot();
    }
    for (var k0 = 0u; k0 < p.k; k0 += BK) {
        {{load_a}}
        {{load_b}}
        workgroupBarrier();
        for (var kk = 0u; kk < BK; kk++) {
            let av = As[kk][lid.y];
            let bv = Bs[kk][lid.x];
            {{mac}}
        }
        workgroupBarrier();
    }
    let col = n0 + lid.x * 4u;
    for (var i = 0u; i < 4u; i++) {
        let row = m0 + lid.y * 4u + i;
        if row < p.m && col < p.n {
            store_row((bt * p.m + row) * p.n + col, p.n - col, acc[i]);
        }
    }
}
