//! Composition of the elementwise kernels: the libraries the dtypes need, the generated `compute` function of
//! `op.rs`, and the flat (vec4) or strided main function, specialised per (op, dtypes, mode) so the kernel never
//! branches on a dtype at run time.

use crate::DType;
use crate::kernels::compose;

use super::op::{Op, wgsl_body};

const U64: &str = include_str!("../../../shaders/lib/u64.wgsl");
const SUBWORD: &str = include_str!("../../../shaders/lib/subword.wgsl");
const ROUND_PACK: &str = include_str!("../../../shaders/lib/round_pack.wgsl");
const CONVERT: &str = include_str!("../../../shaders/lib/convert.wgsl");
const INT: &str = include_str!("../../../shaders/lib/int.wgsl");
const INT64: &str = include_str!("../../../shaders/lib/int64.wgsl");
const F32_ARITH: &str = include_str!("../../../shaders/lib/f32_arith.wgsl");
const HALF_ARITH: &str = include_str!("../../../shaders/lib/half_arith.wgsl");
const F32_MATH: &str = include_str!("../../../shaders/lib/f32_math.wgsl");
const F32_POW: &str = include_str!("../../../shaders/lib/f32_pow.wgsl");
const F64_ARITH: &str = include_str!("../../../shaders/lib/f64_arith.wgsl");
const F64_ORDER: &str = include_str!("../../../shaders/lib/f64_order.wgsl");
const F64_ROUND: &str = include_str!("../../../shaders/lib/f64_round.wgsl");
const TEMPLATE: &str = include_str!("../../../shaders/elementwise.wgsl");

/// Invocations per workgroup.
pub(crate) const WORKGROUP_SIZE: u32 = 64;

/// How the kernel finds its operands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Mode {
    /// Contiguous operands of the output's shape: vec4 loads and stores, several elements per invocation.
    Flat,
    /// Any layouts: index arithmetic through merged dims and strides, one output word per invocation.
    Strided,
}

/// One compiled elementwise kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct ElementwiseVariant {
    pub op: Op,
    /// Operand dtypes (the first `n_in` are used).
    pub inputs: [DType; 3],
    pub n_in: u8,
    pub out: DType,
    pub mode: Mode,
}

impl ElementwiseVariant {
    fn used(&self) -> &[DType] {
        &self.inputs[..self.n_in as usize]
    }

    /// The dtype the op computes in (for `Where`: the selected operands').
    pub(crate) fn compute_dtype(&self) -> DType {
        match self.op {
            Op::Where => self.inputs[1],
            _ => self.inputs[0],
        }
    }

    /// Elements per invocation in flat mode: 16 bytes of the narrowest dtype involved.
    pub(crate) fn per_invocation(&self) -> u32 {
        let narrowest = self.used().iter().chain([&self.out]).map(|d| d.size_in_bytes()).min().unwrap_or(4);
        (16 / narrowest) as u32
    }

    /// Output elements per strided invocation (one word, or one 64-bit element).
    pub(crate) fn per_unit(&self) -> u32 {
        match self.out.size_in_bytes() {
            1 => 4,
            2 => 2,
            _ => 1,
        }
    }

    fn libraries(&self) -> Vec<&'static str> {
        let all: Vec<DType> = self.used().iter().copied().chain([self.out]).collect();
        let mut libs = vec![U64, SUBWORD, ROUND_PACK, CONVERT];
        if all.iter().any(|d| !d.is_float() && d.size_in_bytes() <= 4) {
            libs.push(INT);
        }
        if all.iter().any(|d| d.is_int() && d.size_in_bytes() == 8) {
            libs.push(INT64);
        }
        if all.iter().any(|d| matches!(d, DType::F32 | DType::F16 | DType::BF16)) {
            libs.push(F32_ARITH);
            if all.iter().any(|d| matches!(d, DType::F16 | DType::BF16)) {
                libs.push(HALF_ARITH);
            }
            if matches!(self.op, Op::Unary(u) if u.is_transcendental()) {
                libs.push(F32_MATH);
            }
            if self.op == Op::Binary(super::BinaryOp::Pow) {
                libs.extend([F32_MATH, F32_POW]);
            }
        }
        if all.contains(&DType::F64) {
            libs.extend([F64_ARITH, F64_ORDER, F64_ROUND]);
        }
        libs
    }

    /// The composed WGSL module.
    pub(crate) fn wgsl(&self) -> String {
        let names: Vec<&str> = self.used().iter().map(|d| d.name()).collect();
        let op_name = match self.op {
            Op::Unary(u) => u.name(),
            Op::Binary(b) => b.name(),
            Op::Where => "where",
        };
        let mut bindings = String::from("@group(0) @binding(1) var<storage, read_write> out: array<{{out_elem}}>;\n");
        let word_type = match self.mode {
            Mode::Flat => "vec4<u32>",
            Mode::Strided => "u32",
        };
        bindings = bindings.replace("{{out_elem}}", word_type);
        for k in 0..self.n_in as usize {
            bindings
                .push_str(&format!("@group(0) @binding({}) var<storage, read> in{k}: array<{word_type}>;\n", k + 2));
        }
        let main = match self.mode {
            Mode::Flat => self.flat_main(),
            Mode::Strided => self.strided_main(),
        };
        let entry = compose(
            TEMPLATE,
            &[
                ("op", op_name),
                ("out", self.out.name()),
                ("n_in", &self.n_in.to_string()),
                ("in_dtypes", &names.join(", ")),
                ("per_invocation", &self.per_invocation().to_string()),
                ("bindings", &bindings),
                ("compute", &wgsl_body(self.op, self.compute_dtype())),
                ("main", &main),
            ],
        );
        let mut parts = self.libraries();
        parts.push(&entry);
        parts.join("\n")
    }

    /// The canonical value of element `j` of `words` holding elements of `d` (local array or storage).
    fn element(d: DType, words: &str, j: &str) -> String {
        let canon = |field: String, bits: u32| {
            if d.is_int() && d.is_signed() { format!("int_wrap({field}, {bits}u, true)") } else { field }
        };
        match d.size_in_bytes() {
            1 => format!("vec2<u32>({}, 0u)", canon(format!("sub_get({words}[({j}) >> 2u], ({j}) & 3u, 8u)"), 8)),
            2 => format!("vec2<u32>({}, 0u)", canon(format!("sub_get({words}[({j}) >> 1u], ({j}) & 1u, 16u)"), 16)),
            4 => format!("vec2<u32>({words}[{j}], 0u)"),
            _ => format!("vec2<u32>({words}[2u * ({j})], {words}[2u * ({j}) + 1u])"),
        }
    }

    fn flat_main(&self) -> String {
        let e = self.per_invocation();
        let words = |d: DType| e * d.size_in_bytes() as u32 / 4;
        let mut s = format!(
            "@compute @workgroup_size({WORKGROUP_SIZE})\nfn main(@builtin(global_invocation_id) gid: vec3<u32>) {{\n    \
             let u = gid.y * params.row + gid.x;\n    if u * {e}u >= params.n {{\n        return;\n    }}\n"
        );
        for (k, &d) in self.used().iter().enumerate() {
            let w = words(d);
            s.push_str(&format!("    var w{k}: array<u32, {w}>;\n"));
            for v in 0..w / 4 {
                s.push_str(&format!(
                    "    {{\n        let q = in{k}[u * {}u + {v}u];\n        w{k}[{}] = q.x; w{k}[{}] = q.y; w{k}[{}] = q.z; w{k}[{}] = q.w;\n    }}\n",
                    w / 4,
                    4 * v,
                    4 * v + 1,
                    4 * v + 2,
                    4 * v + 3
                ));
            }
        }
        let wo = words(self.out);
        s.push_str(&format!("    var o: array<u32, {wo}>;\n    for (var j = 0u; j < {e}u; j++) {{\n"));
        let arg = |k: usize| {
            if k < self.n_in as usize {
                Self::element(self.inputs[k], &format!("w{k}"), "j")
            } else {
                "vec2<u32>(0u)".into()
            }
        };
        s.push_str(&format!("        let r = compute({}, {}, {});\n", arg(0), arg(1), arg(2)));
        s.push_str(&match self.out.size_in_bytes() {
            1 => "        o[j >> 2u] = sub_put(o[j >> 2u], j & 3u, 8u, r.x);\n".to_string(),
            2 => "        o[j >> 1u] = sub_put(o[j >> 1u], j & 1u, 16u, r.x);\n".to_string(),
            4 => "        o[j] = r.x;\n".to_string(),
            _ => "        o[2u * j] = r.x;\n        o[2u * j + 1u] = r.y;\n".to_string(),
        });
        s.push_str("    }\n");
        for v in 0..wo / 4 {
            s.push_str(&format!(
                "    out[u * {}u + {v}u] = vec4<u32>(o[{}], o[{}], o[{}], o[{}]);\n",
                wo / 4,
                4 * v,
                4 * v + 1,
                4 * v + 2,
                4 * v + 3
            ));
        }
        s.push_str("}\n");
        s
    }

    fn strided_main(&self) -> String {
        let per = self.per_unit();
        let n = self.n_in as usize;
        let mut s = String::new();
        // Operand k's element of output element e: offset_k + Σ i_d · stride_k[d], with i the row-major index of e.
        s.push_str(
            "// The storage element of output element e in operand k.\nfn operand_index(e: u32, k: u32) -> u32 {\n    \
             let nd = params.ndim;\n    let base = nd + k * (nd + 1u);\n    var rem = e;\n    \
             var at = i32(params.words[base]);\n    for (var d = nd; d > 0u; d--) {\n        \
             let len = params.words[d - 1u];\n        let i = rem % len;\n        rem = rem / len;\n        \
             at += i32(i) * bitcast<i32>(params.words[base + d]);\n    }\n    return u32(at);\n}\n\n",
        );
        s.push_str(&format!(
            "@compute @workgroup_size({WORKGROUP_SIZE})\nfn main(@builtin(global_invocation_id) gid: vec3<u32>) {{\n    \
             let u = gid.y * params.row + gid.x;\n    if u >= params.n {{\n        return;\n    }}\n    \
             let total = params.words[params.ndim + {n}u * (params.ndim + 1u)];\n    var word = 0u;\n"
        ));
        s.push_str(&format!("    for (var t = 0u; t < {per}u; t++) {{\n        let e = u * {per}u + t;\n        if e >= total {{\n            break;\n        }}\n"));
        for k in 0..n {
            s.push_str(&format!(
                "        let i{k} = operand_index(e, {k}u);\n        let x{k} = {};\n",
                Self::element(self.inputs[k], &format!("in{k}"), &format!("i{k}"))
            ));
        }
        let arg = |k: usize| if k < n { format!("x{k}") } else { "vec2<u32>(0u)".into() };
        s.push_str(&format!("        let r = compute({}, {}, {});\n", arg(0), arg(1), arg(2)));
        s.push_str(&match self.out.size_in_bytes() {
            1 => "        word = sub_put(word, t, 8u, r.x);\n    }\n    out[u] = word;\n".to_string(),
            2 => "        word = sub_put(word, t, 16u, r.x);\n    }\n    out[u] = word;\n".to_string(),
            4 => "        out[u] = r.x;\n    }\n".to_string(),
            _ => "        out[2u * u] = r.x;\n        out[2u * u + 1u] = r.y;\n    }\n".to_string(),
        });
        s.push_str("}\n");
        s
    }
}
