// The parameters of both matrix-product kernels (shaders/matmul.wgsl, shaders/matmul_direct.wgsl), filled by
// src/ops/matmul_kernel.rs: sizes, tile counts, grid width, then per operand its offset and batch/row/col strides
// in elements (signed).
struct Params {
    m: u32,
    n: u32,
    k: u32,
    batch: u32,
    tiles_n: u32,
    tiles_m: u32,
    groups_x: u32,
    total: u32,
    a_off: i32,
    a_sb: i32,
    a_sm: i32,
    a_sk: i32,
    b_off: i32,
    b_sb: i32,
    b_sk: i32,
    b_sn: i32,
}
