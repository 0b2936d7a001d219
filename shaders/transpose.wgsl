// Transposing copy of 4-byte elements: dst (contiguous [rows, cols]) = the view src[offset + r + c * ld], i.e. a
// transposed row-major matrix read in place. Neighbouring invocations read neighbouring source words, and each
// writes a run of {{block}} consecutive destination words. (A workgroup-memory tile, the usual GPU transpose, and
// square register blocks per invocation both ran slower on lavapipe.)

struct Params {
    rows: u32,
    cols: u32,
    src_offset: u32,
    ld: u32,
    // Unused (keeps the block 8 words), and invocations per row of the 2-D grid.
    pad2: u32,
    row: u32,
    pad0: u32,
    pad1: u32,
}

@group(0) @binding(0) var<storage, read> src: array<u32>;
@group(0) @binding(1) var<storage, read_write> dst: array<u32>;
@group(0) @binding(2) var<storage, read> params: Params;

const B: u32 = {{block}}u;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let u = gid.y * params.row + gid.x;
    // Invocation u writes destination row r, columns c0 .. c0 + B: one source word from each of B source rows
    // (neighbouring invocations read neighbouring words of those rows), one run of B words out.
    let r = u % params.rows;
    let c0 = (u / params.rows) * B;
    if c0 >= params.cols {
        return;
    }
    let s = params.src_offset + r + c0 * params.ld;
    let d = r * params.cols + c0;
    if c0 + B <= params.cols {
        for (var b = 0u; b < B; b++) {
            dst[d + b] = src[s + b * params.ld];
        }
        return;
    }
    for (var b = 0u; b < params.cols - c0; b++) {
        dst[d + b] = src[s + b * params.ld];
    }
}
