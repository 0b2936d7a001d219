//! Composition of the reduction kernels' WGSL (`shaders/reduce.wgsl`, `shaders/reduce_finish.wgsl`): the
//! accumulator of each (op, dtype), its identity and combine rule, the loads of a leaf for each load mode, and the
//! conversion of accumulators into output elements.

use super::reduce_interleave::{butterfly_fns, interleaved_leaf_fn};
pub(crate) use super::reduce_leaf::LeafMode;
use super::reduce_leaf::{leaf_fn, leaf_group_fn};
use super::reduce_tree::{shuffle_down_fn, tree_code};
use crate::DType;
use crate::kernels::compose;

const PASS_TEMPLATE: &str = include_str!("../../shaders/reduce.wgsl");
const FINISH_TEMPLATE: &str = include_str!("../../shaders/reduce_finish.wgsl");
const U64_LIB: &str = include_str!("../../shaders/lib/u64.wgsl");
const ROUND_PACK_LIB: &str = include_str!("../../shaders/lib/round_pack.wgsl");
const CONVERT_LIB: &str = include_str!("../../shaders/lib/convert.wgsl");
const F64_ARITH_LIB: &str = include_str!("../../shaders/lib/f64_arith.wgsl");
const F64_ORDER_LIB: &str = include_str!("../../shaders/lib/f64_order.wgsl");

/// Elements of the reduced dim per sub-leaf (one invocation reduces `sub` of them, pairwise, as its leaf).
pub(crate) const LEAF: u32 = 16;
/// Invocations per workgroup.
pub(crate) const WORKGROUP: u32 = 256;

/// A reduction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum ReduceOp {
    /// Sum: f32/f16/bf16 in f32 (f16/bf16 rounded once at the end), f64 in f64 (emulated, correctly rounded
    /// additions), integers and bool in 64 bits, wrapping.
    Sum,
    /// Product, accumulated like `Sum`.
    Prod,
    /// Maximum (a NaN wins: the first one in the tree).
    Max,
    /// Minimum (a NaN wins).
    Min,
    /// Index of the first maximum (a NaN counts as the maximum), as i64.
    ArgMax,
    /// Index of the first minimum (a NaN wins here too, as in NumPy and PyTorch), as i64.
    ArgMin,
    /// Whether any element is nonzero (NaN is nonzero, −0.0 is zero), as bool.
    Any,
    /// Whether every element is nonzero, as bool.
    All,
}

impl ReduceOp {
    /// The op's name in error messages.
    pub(crate) fn name(self) -> &'static str {
        match self {
            ReduceOp::Sum => "sum",
            ReduceOp::Prod => "prod",
            ReduceOp::Max => "max",
            ReduceOp::Min => "min",
            ReduceOp::ArgMax => "argmax",
            ReduceOp::ArgMin => "argmin",
            ReduceOp::Any => "any",
            ReduceOp::All => "all",
        }
    }

    /// Whether an empty reduction has a value (sum 0, prod 1, any false, all true); max/min/arg* of nothing do not.
    pub(crate) fn has_identity(self) -> bool {
        matches!(self, ReduceOp::Sum | ReduceOp::Prod | ReduceOp::Any | ReduceOp::All)
    }
}

/// The dtype of `op`'s result on `dtype` (every (op, dtype) pair has a kernel).
pub(crate) fn output_dtype(op: ReduceOp, dtype: DType) -> DType {
    match op {
        ReduceOp::Any | ReduceOp::All => DType::Bool,
        ReduceOp::ArgMax | ReduceOp::ArgMin => DType::I64,
        ReduceOp::Sum | ReduceOp::Prod if dtype.is_float() => dtype,
        ReduceOp::Sum | ReduceOp::Prod if is_signed(dtype) => DType::I64,
        ReduceOp::Sum | ReduceOp::Prod => DType::U64,
        ReduceOp::Max | ReduceOp::Min => dtype,
    }
}

fn is_signed(d: DType) -> bool {
    matches!(d, DType::I8 | DType::I16 | DType::I32 | DType::I64)
}

/// The accumulator of an (op, dtype).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Acc {
    /// An f32 value.
    F32,
    /// f32 bits (max/min of floats: compared on the bits, NaN-aware).
    FBits,
    /// A 64-bit integer as vec2<u32>.
    U64,
    /// A bool as 0/1.
    Flag,
    /// f32 bits + index.
    ArgF,
    /// 64-bit integer + index (+ a pad word).
    ArgI,
    /// f64 bits as vec2<u32> (sum/prod through the soft-float library, max/min compared NaN-aware).
    F64,
    /// f64 bits + index (+ a pad word).
    ArgF64,
}

fn acc_of(op: ReduceOp, dtype: DType) -> Acc {
    match op {
        ReduceOp::Any | ReduceOp::All => Acc::Flag,
        ReduceOp::ArgMax | ReduceOp::ArgMin if dtype == DType::F64 => Acc::ArgF64,
        _ if dtype == DType::F64 => Acc::F64,
        ReduceOp::Sum | ReduceOp::Prod if dtype.is_float() => Acc::F32,
        ReduceOp::Sum | ReduceOp::Prod => Acc::U64,
        ReduceOp::Max | ReduceOp::Min if dtype.is_float() => Acc::FBits,
        ReduceOp::Max | ReduceOp::Min => Acc::U64,
        _ if dtype.is_float() => Acc::ArgF,
        _ => Acc::ArgI,
    }
}

/// Words of one accumulator in a partials buffer (a power of two).
pub(crate) fn acc_words(op: ReduceOp, dtype: DType) -> u32 {
    match acc_of(op, dtype) {
        Acc::F32 | Acc::FBits | Acc::Flag => 1,
        Acc::U64 | Acc::ArgF | Acc::F64 => 2,
        Acc::ArgI | Acc::ArgF64 => 4,
    }
}

/// How a dispatch splits pair index q into (outer row o, inner index i).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Pairs {
    /// inner is 1: o = o0 + q.
    Rows,
    /// The dispatch covers one outer row: i = q.
    OneRow,
    /// o = o0 + q / inner (an integer division, a loop over the lanes on CPU adapters).
    General,
}

/// How a dispatch's grid maps onto (chunk, column group).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Grid {
    /// x: the column group, y: the chunk.
    Direct,
    /// A 2-D grid folded from one linear index (past the limit per dimension): a division splits it.
    Folded,
}

/// One compiled pass: the first reads elements of `dtype`, later ones read accumulators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct PassVariant {
    pub op: ReduceOp,
    pub dtype: DType,
    pub first: bool,
    pub mode: LeafMode,
    /// Sub-leaves of 16 per invocation (a power of two ≤ 16): larger leaves mean fewer workgroup-tree levels per element.
    pub sub: u32,
    /// Subgroup lanes for the first levels of the workgroup tree (8, 16 or 32; only where consecutive invocations
    /// form the subgroups in order and hold consecutive leaves: along-R modes on CPU adapters), or 0: the whole tree
    /// in workgroup memory.
    pub lanes: u32,
    /// R is a multiple of the leaf (16·sub): every leaf lies wholly inside R or wholly past it, so its loads need
    /// no per-element mask or clamp (one per leaf).
    pub full: bool,
    /// Whether the workgroup tree needs workgroup memory: more leaves per slot than `lanes` (or than 1 without
    /// subgroups). Without it the kernel has no barrier, which on CPU adapters spares a switch between the
    /// invocations' batches at each one (measured: the first-dim sum 1.4x faster).
    pub shared: bool,
    /// The leaves of a subgroup loaded together, interleaved across its lanes (`reduce_interleave.rs`): along R
    /// with 16-byte loads (`VecR`), `full`, `lanes > 0`, and R a multiple of `lanes` leaves.
    pub interleave: bool,
    /// How the dispatch splits a pair index into (o, i) (a division only in the general form).
    pub pairs: Pairs,
    /// How the dispatch's grid maps onto (chunk, column group) (a division only when folded).
    pub grid: Grid,
}

/// Whether a pass's source unit is one 32-bit word (vector loads possible).
pub(crate) fn unit_is_word(op: ReduceOp, dtype: DType, first: bool) -> bool {
    if first { dtype.size_in_bytes() == 4 } else { acc_words(op, dtype) == 1 }
}

impl PassVariant {
    /// The composed WGSL module.
    pub(crate) fn wgsl(&self) -> String {
        let acc = acc_of(self.op, self.dtype);
        let w = self.mode.width();
        let mut fns = common_fns(self.op, self.dtype, acc);
        let word = unit_is_word(self.op, self.dtype, self.first);
        let src_word = if matches!(self.mode, LeafMode::Scalar { .. }) { "u32" } else { "vec4<u32>" };
        if self.first {
            fns += &format!("fn load_at(i: i32, r: u32) -> Acc {{\n    {}\n}}\n", first_load(self.op, self.dtype, acc));
            if word {
                fns += &format!(
                    "fn from_word(w: u32, r: u32) -> Acc {{\n    {}\n}}\n",
                    from_word(self.op, self.dtype, acc)
                );
            }
        } else {
            fns += "fn load_at(i: i32, r: u32) -> Acc {\n    return load_acc(u32(i));\n}\n";
            if word {
                fns +=
                    "fn from_word(w: u32, r: u32) -> Acc {\n    return acc_from_words(vec4<u32>(w, 0u, 0u, 0u));\n}\n";
            }
        }
        if src_word == "u32" {
            fns += "fn src_word(j: u32) -> u32 {\n    return src[j];\n}\n";
        } else {
            // load_acc reads words; with a vec4 binding it takes them from the vectors.
            fns += "fn src_word(j: u32) -> u32 {\n    return src[j >> 2u][j & 3u];\n}\n";
        }
        // Whole 16-byte stores of a slot's 4 one-word results (a store at per-lane addresses is a loop over the
        // lanes on CPU adapters: one instead of four).
        let store4 = self.mode == LeafMode::VecInner && acc_words(self.op, self.dtype) == 1;
        fns += if store4 {
            "fn store_word(j: u32, w: u32) {\n    dst[j >> 2u][j & 3u] = w;\n}\n"
        } else {
            "fn store_word(j: u32, w: u32) {\n    dst[j] = w;\n}\n"
        };
        let store_all = if store4 {
            "if q < p.n_p {\n        let w = vec4<u32>(acc_to_words(a[0]).x, acc_to_words(a[1]).x, acc_to_words(a[2]).x, \
             acc_to_words(a[3]).x);\n        dst[((o * p.chunks + c) * p.inner + i - p.dst_first) >> 2u] = w;\n    }"
        } else {
            "for (var t = 0u; t < W; t++) {\n        finish(c, q, o, i, t, a[t]);\n    }"
        };
        let arg = matches!(acc, Acc::ArgF | Acc::ArgI | Acc::ArgF64);
        if self.lanes > 0 {
            fns += &shuffle_down_fn(arg);
        }
        if self.interleave {
            fns += &butterfly_fns(arg);
            fns += &interleaved_leaf_fn(self.lanes, 4 * self.sub);
        } else {
            fns += &leaf_fn(self.mode, self.full);
            fns += &leaf_group_fn(self.mode, self.sub, self.full);
        }
        let mapping = match self.mode {
            // Shifts and masks (powers of two): integer division is a loop over the lanes on CPU adapters.
            LeafMode::Scalar { along_r: true } | LeafMode::VecR => {
                "let s = li >> countTrailingZeros(leaves);\n    let l = li & (leaves - 1u);"
            }
            _ => "let s = li & (slots - 1u);\n    let l = li >> countTrailingZeros(slots);",
        };
        let leaf = match self.mode {
            LeafMode::VecInner => {
                "let v = leaf4(base, r0);\n        for (var t = 0u; t < 4u; t++) {\n            \
                                   acc[t] = v[t];\n        }"
            }
            _ => "acc[0] = leaf(base, r0);",
        };
        let entry = compose(
            PASS_TEMPLATE,
            &[
                ("src_word", src_word),
                ("dst_word", if store4 { "vec4<u32>" } else { "u32" }),
                ("store_all", store_all),
                ("w", &w.to_string()),
                (
                    "shared",
                    &if self.shared {
                        format!("var<workgroup> sh: array<Acc, {}>;", WORKGROUP * w)
                    } else {
                        String::new()
                    },
                ),
                ("fns", &fns),
                ("mapping", mapping),
                ("leaf", leaf),
                ("leaf_len", &(LEAF * self.sub).to_string()),
                ("tree", &tree_code(self.lanes, self.shared)),
                (
                    "groups",
                    match self.grid {
                        Grid::Direct => "let cg = wid.y;\n    let col = wid.x;",
                        Grid::Folded => {
                            "let g = wid.x + wid.y * p.groups_x;\n    if g >= p.total {\n        return;\n    }\n    \
                         let cg = g / p.col_groups;\n    let col = g - cg * p.col_groups;"
                        }
                    },
                ),
                (
                    "split_q",
                    match self.pairs {
                        Pairs::Rows => "return vec2<u32>(p.o0 + q, 0u);",
                        Pairs::OneRow => "return vec2<u32>(p.o0, q);",
                        Pairs::General => "let o = q / p.inner;\n    return vec2<u32>(p.o0 + o, q - o * p.inner);",
                    },
                ),
            ],
        );
        libs(&entry, acc)
    }
}

/// The pipeline-cache key and WGSL of the finishing pass of (op, dtype), and the outputs per invocation.
pub(crate) fn finish_kernel(op: ReduceOp, dtype: DType) -> String {
    let acc = acc_of(op, dtype);
    let out = output_dtype(op, dtype);
    let mut fns = common_fns(op, dtype, acc);
    fns += "fn src_word(j: u32) -> u32 {\n    return src[j];\n}\n";
    fns += "fn store_word(j: u32, w: u32) {\n    dst[j] = w;\n}\n";
    fns += &format!("fn out_bits(a: Acc) -> vec2<u32> {{\n    {}\n}}\n", out_bits(op, dtype, acc));
    let per_word = finish_per_word(op, dtype);
    let store = match out.size_in_bytes() {
        8 => "let v = out_bits(load_acc(first));\n    dst[2u * u] = v.x;\n    dst[2u * u + 1u] = v.y;".to_string(),
        4 => "dst[u] = out_bits(load_acc(first)).x;".to_string(),
        n => {
            let bits = 8 * n;
            format!(
                "var word = 0u;\n    for (var t = 0u; t < {per_word}u; t++) {{\n        if first + t < params.n {{\n            \
                 word |= (out_bits(load_acc(first + t)).x & {mask}u) << ({bits}u * t);\n        }}\n    }}\n    dst[u] = word;",
                mask = (1u32 << bits) - 1
            )
        }
    };
    let entry = compose(FINISH_TEMPLATE, &[("fns", &fns), ("per_word", &per_word.to_string()), ("store", &store)]);
    libs(&entry, acc)
}

/// Outputs written by one invocation of the finishing pass.
pub(crate) fn finish_per_word(op: ReduceOp, dtype: DType) -> u32 {
    match output_dtype(op, dtype).size_in_bytes() {
        1 => 4,
        2 => 2,
        _ => 1,
    }
}

fn libs(entry: &str, acc: Acc) -> String {
    let mut parts = vec![U64_LIB, ROUND_PACK_LIB, CONVERT_LIB];
    if matches!(acc, Acc::F64 | Acc::ArgF64) {
        parts.extend([F64_ARITH_LIB, F64_ORDER_LIB]);
    }
    parts.push("// The conversion library's lossy hook: results here are rounded by definition.\nfn mark_lossy(lossy: bool) {}\n");
    parts.push(entry);
    parts.join("\n")
}

/// (stored mantissa bits, exponent bits) of a float dtype.
fn float_format(d: DType) -> (u32, u32) {
    match d {
        DType::F16 => (10, 5),
        DType::BF16 => (7, 8),
        _ => (23, 8),
    }
}

/// The accumulator type, its identity, combine rule, and its loads/stores as words.
fn common_fns(op: ReduceOp, dtype: DType, acc: Acc) -> String {
    let signed = is_signed(dtype);
    let (ty, ident) = match (acc, op) {
        (Acc::F32, ReduceOp::Sum) => ("f32", "bitcast<f32>(0x80000000u)".to_string()), // -0.0: x + -0.0 == x for every x
        (Acc::F32, _) => ("f32", "1.0".to_string()),
        (Acc::FBits, ReduceOp::Max) => ("u32", "0xff800000u".to_string()),
        (Acc::FBits, _) => ("u32", "0x7f800000u".to_string()),
        (Acc::U64, ReduceOp::Sum) => ("vec2<u32>", "vec2<u32>(0u, 0u)".to_string()),
        (Acc::U64, ReduceOp::Prod) => ("vec2<u32>", "vec2<u32>(1u, 0u)".to_string()),
        (Acc::U64, _) => ("vec2<u32>", int_extreme(op == ReduceOp::Max, signed)),
        (Acc::Flag, ReduceOp::Any) => ("u32", "0u".to_string()),
        (Acc::Flag, _) => ("u32", "1u".to_string()),
        (Acc::ArgF, _) => {
            ("Arg", format!("Arg({}, 0xffffffffu)", if op == ReduceOp::ArgMax { "0xff800000u" } else { "0x7f800000u" }))
        }
        (Acc::ArgI, _) => ("Arg", format!("Arg({}, 0xffffffffu)", int_extreme(op == ReduceOp::ArgMax, signed))),
        // -0.0: x + -0.0 == x for every x (+0.0 + -0.0 = +0.0, -0.0 + -0.0 = -0.0).
        (Acc::F64, ReduceOp::Sum) => ("vec2<u32>", "vec2<u32>(0u, 0x80000000u)".to_string()),
        (Acc::F64, ReduceOp::Prod) => ("vec2<u32>", "vec2<u32>(0u, 0x3ff00000u)".to_string()),
        (Acc::F64, _) => ("vec2<u32>", f64_extreme(op == ReduceOp::Max).to_string()),
        (Acc::ArgF64, _) => ("Arg", format!("Arg({}, 0xffffffffu)", f64_extreme(op == ReduceOp::ArgMax))),
    };
    let mut s = String::new();
    match acc {
        Acc::ArgF => s += "struct Arg {\n    v: u32,\n    i: u32,\n}\n",
        Acc::ArgI | Acc::ArgF64 => s += "struct Arg {\n    v: vec2<u32>,\n    i: u32,\n}\n",
        _ => {}
    }
    s += &format!("alias Acc = {ty};\nfn identity() -> Acc {{\n    return {ident};\n}}\n");
    if ty == "Arg" {
        s += "// a where c holds, else the identity (select() does not take structs).\nfn pick(c: bool, a: Acc) -> Acc {\n    \
              if c {\n        return a;\n    }\n    return identity();\n}\n";
    } else {
        // A select, not a branch: CPU adapters run both sides of a branch for every lane.
        s += "// a where c holds, else the identity.\nfn pick(c: bool, a: Acc) -> Acc {\n    return select(identity(), a, c);\n}\n";
    }
    // Comparisons: floats on their bits (NaN handled first; -0.0 == +0.0), integers as 64-bit values.
    if matches!(acc, Acc::FBits | Acc::ArgF) {
        s += "fn is_nan(x: u32) -> bool {\n    return (x & 0x7fffffffu) > 0x7f800000u;\n}\n\
              fn key(x: u32) -> u32 {\n    return select(x | 0x80000000u, ~x, (x >> 31u) != 0u);\n}\n\
              // a > b for non-NaN f32 bits.\nfn gt(a: u32, b: u32) -> bool {\n    \
              return ((a | b) & 0x7fffffffu) != 0u && key(a) > key(b);\n}\n";
    }
    if matches!(acc, Acc::ArgI) || (acc == Acc::U64 && matches!(op, ReduceOp::Max | ReduceOp::Min)) {
        let flip = if signed { "vec2<u32>(0u, 0x80000000u)" } else { "vec2<u32>(0u, 0u)" };
        s += &format!(
            "// a > b as {} 64-bit integers.\nfn gt(a: vec2<u32>, b: vec2<u32>) -> bool {{\n    \
                       return u64_lt(b ^ {flip}, a ^ {flip});\n}}\n",
            if signed { "signed" } else { "unsigned" }
        );
    }
    let combine = match (acc, op) {
        (Acc::F32, ReduceOp::Sum) => "return a + b;",
        (Acc::F32, _) => "return a * b;",
        (Acc::U64, ReduceOp::Sum) => "return u64_add(a, b);",
        (Acc::U64, ReduceOp::Prod) => "return u64_mul(a, b);",
        (Acc::U64, ReduceOp::Max) => "return select(a, b, gt(b, a));",
        (Acc::U64, _) => "return select(a, b, gt(a, b));",
        (Acc::FBits, ReduceOp::Max) => {
            "if is_nan(a) {\n        return a;\n    }\n    if is_nan(b) {\n        return b;\n    }\n    return select(a, b, gt(b, a));"
        }
        (Acc::FBits, _) => {
            "if is_nan(a) {\n        return a;\n    }\n    if is_nan(b) {\n        return b;\n    }\n    return select(a, b, gt(a, b));"
        }
        (Acc::Flag, ReduceOp::Any) => "return a | b;",
        (Acc::Flag, _) => "return a & b;",
        (Acc::ArgF, ReduceOp::ArgMax) => {
            "if is_nan(a.v) || !(is_nan(b.v) || gt(b.v, a.v)) {\n        return a;\n    }\n    return b;"
        }
        (Acc::ArgF, _) => "if is_nan(a.v) || !(is_nan(b.v) || gt(a.v, b.v)) {\n        return a;\n    }\n    return b;",
        (Acc::ArgI, ReduceOp::ArgMax) => "if gt(b.v, a.v) {\n        return b;\n    }\n    return a;",
        (Acc::ArgI, _) => "if gt(a.v, b.v) {\n        return b;\n    }\n    return a;",
        // f64: the soft-float library (correctly rounded); comparisons as for f32 (NaN first, -0.0 == +0.0).
        (Acc::F64, ReduceOp::Sum) => "return f64_add(a, b);",
        (Acc::F64, ReduceOp::Prod) => "return f64_mul(a, b);",
        (Acc::F64, ReduceOp::Max) => {
            "if f64_is_nan(a) {\n        return a;\n    }\n    if f64_is_nan(b) {\n        return b;\n    }\n    \
             return select(a, b, f64_lt(a, b));"
        }
        (Acc::F64, _) => {
            "if f64_is_nan(a) {\n        return a;\n    }\n    if f64_is_nan(b) {\n        return b;\n    }\n    \
             return select(a, b, f64_lt(b, a));"
        }
        (Acc::ArgF64, ReduceOp::ArgMax) => {
            "if f64_is_nan(a.v) || !(f64_is_nan(b.v) || f64_lt(a.v, b.v)) {\n        return a;\n    }\n    return b;"
        }
        (Acc::ArgF64, _) => {
            "if f64_is_nan(a.v) || !(f64_is_nan(b.v) || f64_lt(b.v, a.v)) {\n        return a;\n    }\n    return b;"
        }
    };
    s += &format!(
        "// a combined with b, where b covers the later r.\nfn combine(a: Acc, b: Acc) -> Acc {{\n    {combine}\n}}\n"
    );
    let (to_words, from_words) = match acc {
        Acc::F32 => ("vec4<u32>(bitcast<u32>(a), 0u, 0u, 0u)", "bitcast<f32>(w.x)"),
        Acc::FBits | Acc::Flag => ("vec4<u32>(a, 0u, 0u, 0u)", "w.x"),
        Acc::U64 | Acc::F64 => ("vec4<u32>(a, 0u, 0u)", "w.xy"),
        Acc::ArgF => ("vec4<u32>(a.v, a.i, 0u, 0u)", "Arg(w.x, w.y)"),
        Acc::ArgI | Acc::ArgF64 => ("vec4<u32>(a.v, a.i, 0u)", "Arg(w.xy, w.z)"),
    };
    let n = acc_words(op, dtype);
    let mut load = String::new();
    let mut store = String::new();
    for k in 0..n {
        load += &format!("w[{k}] = src_word(j * {n}u + {k}u);\n    ");
        store += &format!("store_word(d * {n}u + {k}u, w[{k}]);\n    ");
    }
    s += &format!(
        "fn acc_from_words(w: vec4<u32>) -> Acc {{\n    return {from_words};\n}}\n\
         fn acc_to_words(a: Acc) -> vec4<u32> {{\n    return {to_words};\n}}\n\
         fn load_acc(j: u32) -> Acc {{\n    var w = vec4<u32>(0u);\n    {load}return acc_from_words(w);\n}}\n\
         fn store_acc(d: u32, a: Acc) {{\n    let w = acc_to_words(a);\n    {}\n}}\n",
        store.trim_end()
    );
    s
}

/// f64 -inf (the identity of max) or +inf (of min).
fn f64_extreme(max_op: bool) -> &'static str {
    if max_op { "vec2<u32>(0u, 0xfff00000u)" } else { "vec2<u32>(0u, 0x7ff00000u)" }
}

fn int_extreme(max_op: bool, signed: bool) -> String {
    // The identity of max is the smallest value, of min the largest.
    match (max_op, signed) {
        (true, true) => "vec2<u32>(0u, 0x80000000u)",
        (true, false) => "vec2<u32>(0u, 0u)",
        (false, true) => "vec2<u32>(0xffffffffu, 0x7fffffffu)",
        (false, false) => "vec2<u32>(0xffffffffu, 0xffffffffu)",
    }
    .to_string()
}

/// The element's bits, zero-extended, as vec2<u32>, read from `src` (an array<u32>) at element index `i`.
fn raw_load(dtype: DType) -> &'static str {
    match dtype.size_in_bytes() {
        1 => "vec2<u32>((src_word(u32(i) >> 2u) >> ((u32(i) & 3u) * 8u)) & 0xffu, 0u)",
        2 => "vec2<u32>((src_word(u32(i) >> 1u) >> ((u32(i) & 1u) * 16u)) & 0xffffu, 0u)",
        4 => "vec2<u32>(src_word(u32(i)), 0u)",
        _ => "vec2<u32>(src_word(2u * u32(i)), src_word(2u * u32(i) + 1u))",
    }
}

/// Body of `load_at(i, r)` on the first pass: element `i` as an accumulator.
fn first_load(op: ReduceOp, dtype: DType, acc: Acc) -> String {
    format!("let x = {};\n    {}", raw_load(dtype), acc_of_bits(op, dtype, acc))
}

/// Body of `from_word(w, r)`: a one-word element as an accumulator.
fn from_word(op: ReduceOp, dtype: DType, acc: Acc) -> String {
    format!("let x = vec2<u32>(w, 0u);\n    {}", acc_of_bits(op, dtype, acc))
}

/// Code turning the element bits `x` (vec2<u32>) at reduce index `r` into an accumulator.
fn acc_of_bits(op: ReduceOp, dtype: DType, acc: Acc) -> String {
    let bits = 8 * dtype.size_in_bytes() as u32;
    let widen = |x: &str| match dtype {
        DType::F32 => format!("{x}.x"),
        DType::BF16 => format!("({x}.x << 16u)"),
        _ => {
            let (m, e) = float_format(dtype);
            format!("float_to_float({x}, {m}u, {e}u, 23u, 8u).x")
        }
    };
    let int = || {
        if dtype == DType::Bool {
            "bool_value(x)".to_string()
        } else {
            format!("int_value(x, {bits}u, {})", is_signed(dtype))
        }
    };
    match acc {
        Acc::F32 => format!("return bitcast<f32>({});", widen("x")),
        Acc::FBits => format!("return {};", widen("x")),
        Acc::U64 => format!("return {};", int()),
        Acc::ArgF => format!("return Arg({}, r);", widen("x")),
        Acc::ArgI => format!("return Arg({}, r);", int()),
        Acc::F64 => "return x;".to_string(),
        Acc::ArgF64 => "return Arg(x, r);".to_string(),
        Acc::Flag => {
            let nonzero = match dtype {
                DType::F32 => "(x.x & 0x7fffffffu) != 0u",
                DType::F16 | DType::BF16 => "(x.x & 0x7fffu) != 0u",
                DType::F64 => "((x.y & 0x7fffffffu) | x.x) != 0u",
                _ => "(x.x | x.y) != 0u",
            };
            let _ = op;
            format!("return select(0u, 1u, {nonzero});")
        }
    }
}

/// Body of `out_bits(a)`: the output element's bits (low bits of `.x` for narrow outputs).
fn out_bits(op: ReduceOp, dtype: DType, acc: Acc) -> String {
    let narrow = |x: &str| match dtype {
        DType::F32 => format!("vec2<u32>({x}, 0u)"),
        _ => {
            let (m, e) = float_format(dtype);
            format!("float_to_float(vec2<u32>({x}, 0u), 23u, 8u, {m}u, {e}u)")
        }
    };
    let _ = op;
    match acc {
        Acc::F32 => format!("return {};", narrow("bitcast<u32>(a)")),
        Acc::FBits => format!("return {};", narrow("a")),
        Acc::U64 | Acc::F64 => "return a;".to_string(),
        Acc::Flag => "return vec2<u32>(a, 0u);".to_string(),
        Acc::ArgF | Acc::ArgI | Acc::ArgF64 => "return vec2<u32>(a.i, 0u);".to_string(),
    }
}
