// Transposing copy of 4-byte elements: dst (contiguous [rows, cols]) = the view src[offset + r + c * ld], i.e. a
// transposed row-major matrix read in place. One invocation moves a 4 x 4 block: four runs of 4 consecutive source
// words in, four runs of 4 consecutive destination words out, so neighbouring invocations read neighbouring source
// words (the strided copy reads one element per index computation, across the matrix).

struct Params {
    rows: u32,
    cols: u32,
    src_offset: u32,
    ld: u32,
    // Blocks along rows, and invocations per row of the 2-D grid.
    row_blocks: u32,
    row: u32,
    pad0: u32,
    pad1: u32,
}

@group(0) @binding(0) var<storage, read> src: array<u32>;
@group(0) @binding(1) var<storage, read_write> dst: array<u32>;
@group(0) @binding(2) var<storage, read> params: Params;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let u = gid.y * params.row + gid.x;
    let r0 = (u % params.row_blocks) * 4u;
    let c0 = (u / params.row_blocks) * 4u;
    if c0 >= params.cols {
        return;
    }
    let rows = params.rows;
    let cols = params.cols;
    let base = params.src_offset + r0 + c0 * params.ld;
    if r0 + 4u <= rows && c0 + 4u <= cols {
        var m: array<vec4<u32>, 4>;
        for (var b = 0u; b < 4u; b++) {
            let s = base + b * params.ld;
            m[b] = vec4<u32>(src[s], src[s + 1u], src[s + 2u], src[s + 3u]);
        }
        for (var a = 0u; a < 4u; a++) {
            let d = (r0 + a) * cols + c0;
            dst[d] = m[0][a];
            dst[d + 1u] = m[1][a];
            dst[d + 2u] = m[2][a];
            dst[d + 3u] = m[3][a];
        }
        return;
    }
    for (var a = 0u; a < 4u; a++) {
        for (var b = 0u; b < 4u; b++) {
            if r0 + a < rows && c0 + b < cols {
                dst[(r0 + a) * cols + c0 + b] = src[base + a + b * params.ld];
            }
        }
    }
}
