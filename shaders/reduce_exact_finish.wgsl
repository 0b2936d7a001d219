// The last step of `sum_exact`: rounds each stored superaccumulator (shaders/lib/superacc.wgsl) once to the output
// float and writes it; {{per_word}} outputs per output word (f32: 1, f16/bf16: 2, packed low half first).
// Outputs base .. base + n of the whole output; base is a multiple of per_word.

struct Params {
    n: u32,
    row: u32,
    base: u32,
    pad0: u32,
}

@group(0) @binding(0) var<storage, read> src: array<u32>;
@group(0) @binding(1) var<storage, read_write> dst: array<u32>;
@group(0) @binding(2) var<uniform> params: Params;

fn sa_load(w: u32) -> u32 {
    return src[w];
}

{{superacc}}

fn rounded(q: u32) -> u32 {
    sa_clear();
    sa_add_stored(q * SA_WORDS);
    return {{round}};
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let u = gid.y * params.row + gid.x;
    let first = u * {{per_word}}u;
    if first >= params.n {
        return;
    }
    var word = 0u;
    for (var k = 0u; k < {{per_word}}u; k++) {
        if first + k < params.n {
            word |= rounded(first + k) << (16u * k);
        }
    }
    dst[params.base / {{per_word}}u + u] = word;
}
