// The strided copy: writes a region of a contiguous destination from a source view of any layout — contiguous(),
// downloads of views, cat, stack, index_select, full() and same-dtype casts. Composed after lib/subword.wgsl.
// Elements are {{elem_bytes}} bytes; one invocation owns one output unit ({{unit_elems}} element(s) in whole
// words), so sub-word dtypes never race. Words only partly inside the region are read, merged and written back;
// dispatches on one buffer run in order, so two regions sharing a word (cat of u8 tensors) compose.
//
// The region: the destination elements region_start + Σ i[d]·dst_stride[d] for i[d] < dims[d] (dst strides
// nested, row-major); element i of the region comes from source element src_offset + Σ i[d]·src_stride[d] (with
// index_select, i[gather_dim] is first replaced by ids[ids_offset + i[gather_dim]]). All indices are relative to
// the bound sub-ranges.

struct Params {
    // Output units this dispatch writes, starting at unit `unit_first` of the destination binding.
    n_units: u32,
    // Invocations per row of the 2-D grid.
    row: u32,
    ndim: u32,
    src_offset: u32,
    unit_first: u32,
    region_start: u32,
    // index_select: the dim whose index goes through `ids` (0xffffffff: none), its source length, the first id.
    gather_dim: u32,
    gather_len: u32,
    ids_offset: u32,
    pad0: u32,
    pad1: u32,
    pad2: u32,
    // dims[ndim], then dst strides[ndim], then src strides[ndim] (i32 bits).
    dims_strides: array<u32>,
}

@group(0) @binding(0) var<storage, read> src: array<u32>;
@group(0) @binding(1) var<storage, read_write> dst: array<u32>;
@group(0) @binding(2) var<storage, read> params: Params;
{{gather_bindings}}

// Source element j.
fn load(j: u32) -> vec2<u32> {
    {{load}}
}

// The source element of destination element e (relative to the binding), or none when e is outside the region.
// Returns (found, value).
fn source_of(e: u32) -> vec3<u32> {
    if e < params.region_start {
        return vec3<u32>(0u);
    }
    var rel = e - params.region_start;
    var at = i32(params.src_offset);
    let n = params.ndim;
    var others_zero = true;
    var bad_index = false;
    for (var d = 0u; d < n; d++) {
        let dst_stride = params.dims_strides[n + d];
        let i = rel / dst_stride;
        rel = rel % dst_stride;
        if i >= params.dims_strides[d] {
            return vec3<u32>(0u);
        }
        var k = i;
        {{gather_index}}
        at += i32(k) * bitcast<i32>(params.dims_strides[2u * n + d]);
    }
    if rel != 0u {
        return vec3<u32>(0u);
    }
    {{count_bad}}
    let v = load(u32(at));
    return vec3<u32>(1u, v.x, v.y);
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let u = gid.y * params.row + gid.x;
    if u >= params.n_units {
        return;
    }
    let unit = params.unit_first + u;
    {{store}}
}
