// Exact cast {{from}} -> {{to}} (see src/cast/mod.rs for the rules). Composed after lib/u64.wgsl, lib/subword.wgsl,
// lib/round_pack.wgsl and lib/convert.wgsl. Unit u is {{per_unit}} whole output element(s) in whole words
// ({{unit_words}}), so sub-word outputs never race; an invocation writes {{units}} consecutive unit(s), in
// straight-line code (src/cast/wgsl.rs says why); elements past params.n (tail padding) are written as zero.

struct Params {
    // Elements in this chunk (the bindings start at the chunk's first element).
    n: u32,
    // Invocations per row of the 2-D dispatch grid.
    row: u32,
    // This chunk's counter slot (checked casts).
    slot: u32,
    pad: u32,
}

@group(0) @binding(0) var<storage, read> src: array<{{word}}>;
@group(0) @binding(1) var<storage, read_write> dst: array<{{word}}>;
@group(0) @binding(2) var<uniform> params: Params;
{{counter_binding}}

// Whether the element being converted changes value (counted by cast_checked).
var<private> lossy_elem: bool;

fn mark_lossy(c: bool) {
    {{mark_lossy}}
}

{{load_src}}

// One element {{from}} -> {{to}}.
fn convert(x: vec2<u32>) -> vec2<u32> {
    {{convert}}
}

// Converts x and counts it when lossy and counted (an element of the tensor, not tail padding).
fn convert_counted(x: vec2<u32>, counted: bool, lossy_n: ptr<function, u32>) -> vec2<u32> {
    lossy_elem = false;
    let r = convert(x);
    *lossy_n += select(0u, 1u, lossy_elem && counted);
    return r;
}

@compute @workgroup_size({{workgroup_size}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let inv = gid.y * params.row + gid.x;
    var lossy_n = 0u;
{{body}}
    {{count_lossy}}
}
