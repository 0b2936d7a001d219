// The last step of `sum_exact`: rounds each stored superaccumulator (shaders/lib/superacc.wgsl) once to the output
// float and writes it; {{per_word}} outputs per output word (f32: 1, f16/bf16: 2, packed low half first).
// Writes outputs base .. base + n of the whole output: one invocation per output word; a word shared with outputs
// of another group (16-bit outputs) keeps their half, written by an earlier pass.

struct Params {
    n: u32,
    row: u32,
    base: u32,
    words: u32,
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
    if u >= params.words {
        return;
    }
    let w = params.base / {{per_word}}u + u;
    var word = 0u;
    var mask = 0u;
    for (var k = 0u; k < {{per_word}}u; k++) {
        let j = w * {{per_word}}u + k;
        if j >= params.base && j < params.base + params.n {
            word |= rounded(j - params.base) << (16u * k);
            mask |= 0xffffu << (16u * k);
        }
    }
    if mask != 0xffffffffu && {{per_word}}u == 2u {
        word |= dst[w] & ~mask;
    }
    dst[w] = word;
}
