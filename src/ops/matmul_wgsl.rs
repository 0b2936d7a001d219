//! Composition of the matrix-product kernels' WGSL (`shaders/matmul.wgsl`, `shaders/matmul_pack.wgsl`): one module
//! per (dtype, tile geometry, operand load modes), so the kernel never branches on a dtype or a layout at run time.

use super::matmul_cpu_wgsl::{DIRECT_TILE, direct_wgsl, subgroup_tile, subgroup_wgsl};
use crate::DType;
use crate::kernels::compose;

const TEMPLATE: &str = include_str!("../../shaders/matmul.wgsl");
const PACK_TEMPLATE: &str = include_str!("../../shaders/matmul_pack.wgsl");
pub(crate) const PARAMS: &str = include_str!("../../shaders/matmul_params.wgsl");
const U64_LIB: &str = include_str!("../../shaders/lib/u64.wgsl");
const ROUND_PACK_LIB: &str = include_str!("../../shaders/lib/round_pack.wgsl");
const CONVERT_LIB: &str = include_str!("../../shaders/lib/convert.wgsl");
const F64_ARITH_LIB: &str = include_str!("../../shaders/lib/f64_arith.wgsl");

/// How the kernel reads one operand's tile from global memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum LoadMode {
    /// One element per load at any strides; consecutive invocations walk the operand's smaller-stride axis
    /// (`outer_fast`: its row axis, A's m / B's k; else its column axis).
    Scalar { outer_fast: bool },
    /// 16-byte loads of 4 consecutive elements along the column axis (A's k, B's n): unit column stride, offset and
    /// other strides multiples of 4, the column extent a multiple of 4. 32-bit dtypes only.
    VecCol,
    /// 16-byte loads along the row axis (A's m, B's k), with the same conditions mirrored.
    VecRow,
}

/// The tile geometry: a workgroup of `wx × wy` invocations computes a `4wy × 4wx` tile, stepping K by `bk`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Tiles {
    pub wx: u32,
    pub wy: u32,
    pub bk: u32,
}

impl Tiles {
    /// Rows of C per tile.
    pub(crate) fn bm(&self) -> u32 {
        4 * self.wy
    }

    /// Columns of C per tile.
    pub(crate) fn bn(&self) -> u32 {
        4 * self.wx
    }

    /// Bytes of workgroup memory for elements of `elem_bytes` (4, or 8 for 64-bit accumulation).
    pub(crate) fn shared_bytes(&self, elem_bytes: u32) -> u32 {
        self.bk * (self.bm() + self.bn()) * elem_bytes
    }

    /// The largest tiles the adapter allows: 16 × 16 invocations (64 × 64 tiles) where it offers 256 invocations
    /// per workgroup, else 8 × 8; K steps of 32, or 16 where workgroup memory is short.
    pub(crate) fn for_limits(limits: &wgpu::Limits, elem_bytes: u32) -> Tiles {
        let side = if limits.max_compute_invocations_per_workgroup >= 256
            && limits.max_compute_workgroup_size_x >= 16
            && limits.max_compute_workgroup_size_y >= 16
        {
            16
        } else {
            8
        };
        let mut tiles = Tiles { wx: side, wy: side, bk: 32 };
        while tiles.bk > 4 && tiles.shared_bytes(elem_bytes) > limits.max_compute_workgroup_storage_size {
            tiles.bk /= 2;
        }
        tiles
    }
}

/// One compiled variant of the matrix-product kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct MatmulVariant {
    pub dtype: DType,
    pub tiles: Tiles,
    pub a: LoadMode,
    pub b: LoadMode,
    /// 16-byte stores of C (32-bit output words, N a multiple of 4).
    pub vec_store: bool,
    /// Which kernel: the tiled one, or one of the CPU-adapter kernels (which need both operands
    /// [`LoadMode::VecCol`] with non-negative strides and a 32-bit dtype).
    pub kernel: MatmulKernel,
}

/// The kernels of the matrix product.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum MatmulKernel {
    /// `shaders/matmul.wgsl`: tiles staged in workgroup memory (GPUs).
    Tiled,
    /// `shaders/matmul_direct.wgsl`: large register blocks read straight from the buffers (CPU adapters).
    Direct,
    /// `shaders/matmul_subgroup.wgsl`: one subgroup of this many lanes per workgroup sharing the loads of A (CPU
    /// adapters with subgroups of one fixed size).
    Subgroup(u32),
}

impl MatmulKernel {
    /// The rows × columns of C that one workgroup computes, for `tiles` (the tiled kernel's geometry).
    pub(crate) fn tile(self, tiles: Tiles) -> (u32, u32) {
        match self {
            MatmulKernel::Tiled => (tiles.bm(), tiles.bn()),
            MatmulKernel::Direct => DIRECT_TILE,
            MatmulKernel::Subgroup(lanes) => subgroup_tile(lanes),
        }
    }
}

/// What the kernel computes in: the element type of the tiles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Acc {
    F32,
    U32,
    U64,
    /// f64 bits as vec2<u32>, multiplied and added by the soft-float library (correctly rounded).
    F64,
}

fn acc_of(dtype: DType) -> Acc {
    match dtype {
        DType::F32 | DType::F16 | DType::BF16 => Acc::F32,
        DType::I64 | DType::U64 => Acc::U64,
        DType::F64 => Acc::F64,
        _ => Acc::U32,
    }
}

/// Bytes of one tile element in workgroup memory.
pub(crate) fn acc_bytes(dtype: DType) -> u32 {
    if matches!(acc_of(dtype), Acc::U64 | Acc::F64) { 8 } else { 4 }
}

/// Whether `dtype` has a matrix-product kernel here.
pub(crate) fn supported(dtype: DType) -> bool {
    matches!(
        dtype,
        DType::F32 | DType::F16 | DType::BF16 | DType::I32 | DType::U32 | DType::I64 | DType::U64 | DType::F64
    )
}

/// Whether `dtype`'s elements are single words (vector loads and stores possible).
pub(crate) fn word_sized(dtype: DType) -> bool {
    dtype.size_in_bytes() == 4
}

impl MatmulVariant {
    /// The composed WGSL module.
    pub(crate) fn wgsl(&self) -> String {
        let acc = acc_of(self.dtype);
        let t = self.tiles;
        match self.kernel {
            MatmulKernel::Direct => return direct_wgsl(cpu_elem(acc)),
            MatmulKernel::Subgroup(lanes) => return subgroup_wgsl(cpu_elem(acc), lanes, self.a, self.b),
            MatmulKernel::Tiled => {}
        }
        let wg = t.wx * t.wy;
        let slot = match acc {
            Acc::F32 => "vec4<f32>",
            Acc::U32 => "vec4<u32>",
            Acc::U64 | Acc::F64 => "array<vec2<u32>, 4>",
        };
        let word = |vec: bool| if vec { "vec4<u32>" } else { "u32" };
        let a_vec = !matches!(self.a, LoadMode::Scalar { .. });
        let b_vec = !matches!(self.b, LoadMode::Scalar { .. });
        let mut fns = String::new();
        fns += &zero_fns(acc);
        if !a_vec {
            fns += &elem_at("a_at", "a", self.dtype);
        }
        if !b_vec {
            fns += &elem_at("b_at", "b", self.dtype);
        }
        fns += &store_fn(acc, self.vec_store);
        let load_a = load(Operand::A, self.a, t, wg, acc);
        let load_b = load(Operand::B, self.b, t, wg, acc);
        let mac = match acc {
            Acc::U64 => {
                "for (var i = 0u; i < 4u; i++) {\n                for (var j = 0u; j < 4u; j++) {\n                    \
                         acc[i][j] = u64_add(acc[i][j], u64_mul(av[i], bv[j]));\n                }\n            }"
                    .to_string()
            }
            // f64: acc + a·b with the product and the sum each correctly rounded (no fused multiply-add), k in order.
            Acc::F64 => {
                "for (var i = 0u; i < 4u; i++) {\n                for (var j = 0u; j < 4u; j++) {\n                    \
                         acc[i][j] = f64_add(acc[i][j], f64_mul(av[i], bv[j]));\n                }\n            }"
                    .to_string()
            }
            _ => {
                "acc[0] += av.x * bv;\n            acc[1] += av.y * bv;\n            acc[2] += av.z * bv;\n            \
                  acc[3] += av.w * bv;"
                    .to_string()
            }
        };
        let entry = compose(
            TEMPLATE,
            &[
                ("params", PARAMS),
                ("a_word", word(a_vec)),
                ("b_word", word(b_vec)),
                ("c_word", word(self.vec_store)),
                ("slot", slot),
                ("elem_fns", &fns),
                ("load_a", &load_a),
                ("load_b", &load_b),
                ("mac", &mac),
                ("bm", &t.bm().to_string()),
                ("bn", &t.bn().to_string()),
                ("bm4", &t.wy.to_string()),
                ("bn4", &t.wx.to_string()),
                ("bk", &t.bk.to_string()),
                ("wx", &t.wx.to_string()),
                ("wy", &t.wy.to_string()),
            ],
        );
        let mut parts = vec![U64_LIB];
        if self.dtype == DType::F16 {
            parts.extend([ROUND_PACK_LIB, CONVERT_LIB, "fn mark_lossy(lossy: bool) {}\n"]);
        }
        if self.dtype == DType::F64 {
            parts.extend([ROUND_PACK_LIB, CONVERT_LIB, F64_ARITH_LIB, "fn mark_lossy(lossy: bool) {}\n"]);
        }
        parts.push(&entry);
        parts.join("\n")
    }
}

/// The pipeline-cache key and WGSL of the pass that rounds f32 products to `dtype` (F16 or BF16) and packs them.
pub(crate) fn pack_kernel(dtype: DType) -> String {
    let (man, exp) = if dtype == DType::F16 { ("10", "5") } else { ("7", "8") };
    let entry = compose(PACK_TEMPLATE, &[("man", man), ("exp", exp)]);
    [U64_LIB, ROUND_PACK_LIB, CONVERT_LIB, &entry].join("\n")
}

/// Invocations per workgroup of the pack pass.
pub(crate) const PACK_WORKGROUP: u32 = 256;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Operand {
    A,
    B,
}

fn zero_fns(acc: Acc) -> String {
    let (elem, zero) = match acc {
        Acc::F32 => ("f32", "0.0"),
        Acc::U32 => ("u32", "0u"),
        Acc::U64 | Acc::F64 => ("vec2<u32>", "vec2<u32>(0u)"),
    };
    let slot = match acc {
        Acc::U64 | Acc::F64 => {
            "array<vec2<u32>, 4>(vec2<u32>(0u), vec2<u32>(0u), vec2<u32>(0u), vec2<u32>(0u))".to_string()
        }
        _ => format!("vec4<{elem}>({zero})"),
    };
    let slot_ty = match acc {
        Acc::U64 | Acc::F64 => "array<vec2<u32>, 4>".to_string(),
        _ => format!("vec4<{elem}>"),
    };
    let word = match acc {
        Acc::F32 => "bitcast<f32>(w)",
        _ => "w",
    };
    let slot_fn = match acc {
        Acc::F32 => "fn word_slot(w: vec4<u32>) -> vec4<f32> {\n    return bitcast<vec4<f32>>(w);\n}\n",
        Acc::U32 => "fn word_slot(w: vec4<u32>) -> vec4<u32> {\n    return w;\n}\n",
        Acc::U64 | Acc::F64 => "",
    };
    format!(
        "alias Elem = {elem};\nfn zero_elem() -> Elem {{\n    return {zero};\n}}\nfn zero_slot() -> {slot_ty} {{\n    \
         return {slot};\n}}\n// One 32-bit word as an element (vector loads).\nfn word_elem(w: u32) -> Elem {{\n    \
         return Elem({word});\n}}\n{slot_fn}"
    )
}

/// `fn {name}(i: i32) -> Elem`: element `i` of binding `buf` (scalar loads).
fn elem_at(name: &str, buf: &str, dtype: DType) -> String {
    let body = match dtype {
        DType::F32 => format!("return bitcast<f32>({buf}[u32(i)]);"),
        DType::I32 | DType::U32 => format!("return {buf}[u32(i)];"),
        DType::BF16 => {
            format!("return bitcast<f32>((({buf}[u32(i) >> 1u] >> ((u32(i) & 1u) * 16u)) & 0xffffu) << 16u);")
        }
        DType::F16 => format!(
            "let h = ({buf}[u32(i) >> 1u] >> ((u32(i) & 1u) * 16u)) & 0xffffu;\n    \
             return bitcast<f32>(float_to_float(vec2<u32>(h, 0u), 10u, 5u, 23u, 8u).x);"
        ),
        _ => format!("return vec2<u32>({buf}[2u * u32(i)], {buf}[2u * u32(i) + 1u]);"),
    };
    format!("fn {name}(i: i32) -> Elem {{\n    {body}\n}}\n")
}

fn store_fn(acc: Acc, vec_store: bool) -> String {
    let (ty, body) = match (acc, vec_store) {
        (Acc::F32, true) => ("vec4<f32>", "c[idx >> 2u] = bitcast<vec4<u32>>(v);".to_string()),
        (Acc::U32, true) => ("vec4<u32>", "c[idx >> 2u] = v;".to_string()),
        (Acc::F32, false) => (
            "vec4<f32>",
            "for (var j = 0u; j < min(room, 4u); j++) {\n        c[idx + j] = bitcast<u32>(v[j]);\n    }".to_string(),
        ),
        (Acc::U32, false) => {
            ("vec4<u32>", "for (var j = 0u; j < min(room, 4u); j++) {\n        c[idx + j] = v[j];\n    }".to_string())
        }
        (Acc::U64 | Acc::F64, _) => (
            "array<vec2<u32>, 4>",
            "for (var j = 0u; j < min(room, 4u); j++) {\n        c[2u * (idx + j)] = v[j].x;\n        \
             c[2u * (idx + j) + 1u] = v[j].y;\n    }"
                .to_string(),
        ),
    };
    format!(
        "// C elements idx.. (room of them left in the row, at most 4 written).\nfn store_row(idx: u32, room: u32, v: {ty}) {{\n    {body}\n}}\n"
    )
}

/// The tile-load code of one operand for one K step (`k0`).
fn load(op: Operand, mode: LoadMode, t: Tiles, wg: u32, acc: Acc) -> String {
    // Operand axes: rows (A: m, B: k) and columns (A: k, B: n); the tile's extents and the matrix bounds.
    let (buf, shared, at, base, rows, cols, row0, col0, row_lim, col_lim, s_row, s_col) = match op {
        Operand::A => ("a", "As", "a_at", "a_base", t.bm(), t.bk, "m0", "k0", "p.m", "p.k", "p.a_sm", "p.a_sk"),
        Operand::B => ("b", "Bs", "b_at", "b_base", t.bk, t.bn(), "k0", "n0", "p.k", "p.n", "p.b_sk", "p.b_sn"),
    };
    // Where element (r, c) of the tile lives in workgroup memory: A is stored k-major (As[c][r]), B as is (Bs[r][c]).
    let place = |r: &str, c: &str| match op {
        Operand::A => format!("{shared}[{c}][({r}) >> 2u][({r}) & 3u]"),
        Operand::B => format!("{shared}[{r}][({c}) >> 2u][({c}) & 3u]"),
    };
    let _ = acc;
    let (units, decode, cond, fetch, store) = match mode {
        LoadMode::Scalar { outer_fast } => {
            let decode = if outer_fast {
                format!("let r = e % {rows}u;\n            let c = e / {rows}u;")
            } else {
                format!("let c = e % {cols}u;\n            let r = e / {cols}u;")
            };
            (
                rows * cols,
                decode,
                format!("{row0} + r < {row_lim} && {col0} + c < {col_lim}"),
                format!("v = {at}({base} + i32({row0} + r) * {s_row} + i32({col0} + c) * {s_col});"),
                format!("{} = v;", place("r", "c")),
            )
        }
        LoadMode::VecCol => {
            let cq = cols / 4;
            let mut store = String::new();
            if op == Operand::B {
                store = format!("{shared}[r][cq] = word_slot(w);");
            }
            for j in 0..4 * u32::from(op == Operand::A) {
                store += &format!("{} = word_elem(w[{j}]);\n            ", place("r", &format!("4u * cq + {j}u")));
            }
            (
                rows * cq,
                format!("let cq = e % {cq}u;\n            let r = e / {cq}u;"),
                format!("{row0} + r < {row_lim} && {col0} + 4u * cq < {col_lim}"),
                format!("w = {buf}[u32({base} + i32({row0} + r) * {s_row} + i32({col0} + 4u * cq)) >> 2u];"),
                store,
            )
        }
        LoadMode::VecRow => {
            let rq = rows / 4;
            let mut store = String::new();
            if op == Operand::A {
                store = format!("{shared}[c][rq] = word_slot(w);");
            }
            for j in 0..4 * u32::from(op == Operand::B) {
                store += &format!("{} = word_elem(w[{j}]);\n            ", place(&format!("4u * rq + {j}u"), "c"));
            }
            (
                rq * cols,
                format!("let rq = e % {rq}u;\n            let c = e / {rq}u;"),
                format!("{row0} + 4u * rq < {row_lim} && {col0} + c < {col_lim}"),
                format!("w = {buf}[u32({base} + i32({row0} + 4u * rq) + i32({col0} + c) * {s_col}) >> 2u];"),
                store,
            )
        }
    };
    let is_vec = !matches!(mode, LoadMode::Scalar { .. });
    let var = if is_vec { "var w = vec4<u32>(0u);" } else { "var v = zero_elem();" };
    let trips = units.div_ceil(wg);
    let guard = if units % wg == 0 {
        String::new()
    } else {
        format!("if e >= {units}u {{\n                break;\n            }}\n            ")
    };
    format!(
        "for (var t = 0u; t < {trips}u; t++) {{\n            let e = li + t * WG;\n            {guard}{decode}\n            \
         {var}\n            if {cond} {{\n                {fetch}\n            }}\n            {store}\n        }}"
    )
}

/// The element type of the CPU-adapter kernels (32-bit dtypes only): f32 products, or u32 ones that wrap.
fn cpu_elem(acc: Acc) -> &'static str {
    if acc == Acc::F32 { "f32" } else { "u32" }
}
