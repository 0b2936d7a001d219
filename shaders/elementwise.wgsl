// Elementwise {{op}}: output {{out}} from {{n_in}} operand(s) ({{in_dtypes}}). Composed after the libraries of
// shaders/lib/ that the dtypes need, with a `compute` function generated per (op, dtype) from src/ops/elementwise/op.rs.
// Every value travels as its bits in vec2<u32> (lo, hi), canonical (narrow integers sign- or zero-extended, Bool 0/1).
//
// Two modes, chosen per call:
// - flat (operands contiguous with the output's shape, or a row repeated over the leading dims, or one element per
//   run of units — a column or a scalar): unit q is the output's elements [q * E, q * E + E), E = {{per_invocation}}
//   (16 bytes of the narrowest dtype), read and written as whole vec4<u32>; an invocation runs consecutive units;
// - strided (any layout, broadcasting by stride 0): invocation u writes output word u (or 64-bit element u); each
//   element's operands are found through the merged dims and per-operand strides in `params`.

struct Params {
    // Elements (flat) or output units (strided) this dispatch covers, and invocations per grid row.
    n: u32,
    row: u32,
    // Flat: per operand, the period (`Row`) or run length (`Col`) in units.
    // Strided: merged dims, then per operand: its element offset (in the binding) and strides.
    ndim: u32,
    pad: u32,
    words: array<u32>,
}

{{bindings}}
@group(0) @binding(0) var<storage, read> params: Params;

// round_pack reports inexact results for cast_checked; nothing counts them here.
fn mark_lossy(c: bool) {}

// Whether every lane of a, b and r is a normal f32 (the vec4 form of f32_all_normal, for the flat fast paths).
fn f32_all_normal4(a: vec4<u32>, b: vec4<u32>, r: vec4<u32>) -> bool {
    let one = vec4<u32>(1u);
    let ea = ((a >> vec4<u32>(23u)) & vec4<u32>(0xffu)) - one;
    let eb = ((b >> vec4<u32>(23u)) & vec4<u32>(0xffu)) - one;
    let er = ((r >> vec4<u32>(23u)) & vec4<u32>(0xffu)) - one;
    return all(max(max(ea, eb), er) < vec4<u32>(254u));
}

fn compute(a: vec2<u32>, b: vec2<u32>, c: vec2<u32>) -> vec2<u32> {
    {{compute}}
}

{{main}}
