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

/// Flat mode: units (16 bytes of the narrowest dtype each) per invocation, consecutive.
pub(crate) const UNITS_PER_INVOCATION: u32 = 4;

/// How a flat kernel finds an operand's elements of unit `q` (the output's elements `[q * E, q * E + E)`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Access {
    /// Contiguous with the output: the operand's unit `q`.
    Full,
    /// A row repeated over the leading dims (period of `p` units, `params.words[k]`): the operand's unit `q % p`.
    Row,
    /// One element for `p` consecutive units (a column or a scalar broadcast over the trailing dims): element
    /// `q / p`, splat.
    Col,
}

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
    /// Flat mode: how each operand is read (all `Full` in strided mode).
    pub access: [Access; 3],
    /// f32 add/sub/mul take the native result with no exact fallback: set only where a probe showed the adapter's
    /// native arithmetic gives the library's bits (see `native_f32_is_exact`).
    pub native_f32: bool,
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

    /// Elements per flat unit: 16 bytes of the narrowest dtype involved (an invocation runs
    /// [`UNITS_PER_INVOCATION`] units).
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

    /// The canonical value of element `i` (an expression) of operand `k` read from its vec4 binding (`Col`).
    fn element_at(d: DType, k: usize, i: &str) -> String {
        let canon = |field: String, bits: u32| {
            if d.is_int() && d.is_signed() { format!("int_wrap({field}, {bits}u, true)") } else { field }
        };
        match d.size_in_bytes() {
            1 => format!(
                "vec2<u32>({}, 0u)",
                canon(format!("sub_get(in{k}[({i}) >> 4u][(({i}) >> 2u) & 3u], ({i}) & 3u, 8u)"), 8)
            ),
            2 => format!(
                "vec2<u32>({}, 0u)",
                canon(format!("sub_get(in{k}[({i}) >> 3u][(({i}) >> 1u) & 3u], ({i}) & 1u, 16u)"), 16)
            ),
            4 => format!("vec2<u32>(in{k}[({i}) >> 2u][({i}) & 3u], 0u)"),
            _ => format!("select(in{k}[({i}) >> 1u].xy, in{k}[({i}) >> 1u].zw, (({i}) & 1u) == 1u)"),
        }
    }

    /// f32 `add`/`sub`/`mul` of f32 operands: the native vec4 result where every operand and result lane is normal
    /// (what the library's `f32_add`/`f32_mul` take per element, so bit-identical), the exact path otherwise.
    fn f32_fast_op(&self) -> Option<(&'static str, &'static str)> {
        use super::BinaryOp::{Add, Mul, Sub};
        if self.n_in != 2 || self.used().iter().chain([&self.out]).any(|&d| d != DType::F32) {
            return None;
        }
        match self.op {
            Op::Binary(Add) => Some(("+", "")),
            Op::Binary(Sub) => Some(("-", "")),
            // f32_mul also takes the exact path for a result of exactly the smallest normal.
            Op::Binary(Mul) => Some(("*", " & all((r & vec4<u32>(0x7fffffffu)) != vec4<u32>(0x00800000u))")),
            _ => None,
        }
    }

    fn flat_main(&self) -> String {
        let e = self.per_invocation();
        // Up to 4 elements a unit (32- and 64-bit dtypes) the unit is unrolled: every word a component of a loaded
        // vec4, no local arrays (which lavapipe keeps in memory when indexed in a loop); narrower dtypes loop.
        let unrolled = e <= 4;
        let words = |d: DType| e * d.size_in_bytes() as u32 / 4;
        // Broadcast operands: the invocation divides once by the period (run) and steps it per unit, so a unit
        // does no division (a vector integer division is a loop over the lanes on lavapipe): `Row` operand k's unit
        // is `rw{k}` = q % p, `Col` operand k's element `cq{k}` = q / p (with `cr{k}` = q % p).
        let index_args: String = (0..self.n_in as usize)
            .map(|k| match self.access[k] {
                Access::Full => String::new(),
                Access::Row => format!(", rw{k}: u32"),
                Access::Col => format!(", cq{k}: u32"),
            })
            .collect();
        let mut s = format!("// Unit q: the output's elements [q * E, q * E + E).\nfn unit(q: u32{index_args}) {{\n");
        for (k, &d) in self.used().iter().enumerate() {
            let w = words(d);
            let base = match self.access[k] {
                Access::Full => format!("q * {}u", w / 4),
                Access::Row => format!("rw{k} * {}u", w / 4),
                Access::Col => {
                    let c = Self::element_at(d, k, &format!("cq{k}"));
                    s.push_str(&format!("    let c{k} = {c};\n"));
                    continue;
                }
            };
            s.push_str(&format!("    let b{k} = {base};\n"));
            if unrolled {
                for v in 0..w / 4 {
                    s.push_str(&format!("    let x{k}_{v} = in{k}[b{k} + {v}u];\n"));
                }
                continue;
            }
            s.push_str(&format!("    var w{k}: array<u32, {w}>;\n"));
            for v in 0..w / 4 {
                s.push_str(&format!(
                    "    {{\n        let x = in{k}[b{k} + {v}u];\n        \
                     w{k}[{}] = x.x; w{k}[{}] = x.y; w{k}[{}] = x.z; w{k}[{}] = x.w;\n    }}\n",
                    4 * v,
                    4 * v + 1,
                    4 * v + 2,
                    4 * v + 3
                ));
            }
        }
        let wo = words(self.out);
        let store = |v: u32, value: &str| format!("out[q * {}u + {v}u] = {value};", wo / 4);
        if unrolled {
            s.push_str(&self.unrolled_unit(e, wo, store));
        } else {
            s.push_str(&self.looped_unit(e, wo, store));
        }
        s.push_str("}\n\n");
        let (mut setup, mut step, mut call_args) = (String::new(), String::new(), String::new());
        for k in 0..self.n_in as usize {
            match self.access[k] {
                Access::Full => {}
                Access::Row => {
                    setup.push_str(&format!("    var rw{k} = q0 % params.words[{k}];\n"));
                    step.push_str(&format!(
                        "        rw{k} = select(rw{k} + 1u, 0u, rw{k} + 1u == params.words[{k}]);\n"
                    ));
                    call_args.push_str(&format!(", rw{k}"));
                }
                Access::Col => {
                    setup.push_str(&format!(
                        "    var cq{k} = q0 / params.words[{k}];\n    var cr{k} = q0 - cq{k} * params.words[{k}];\n"
                    ));
                    step.push_str(&format!(
                        "        cq{k} += select(0u, 1u, cr{k} + 1u == params.words[{k}]);\n        \
                         cr{k} = select(cr{k} + 1u, 0u, cr{k} + 1u == params.words[{k}]);\n"
                    ));
                    call_args.push_str(&format!(", cq{k}"));
                }
            }
        }
        // The units unrolled into straight-line code: on lavapipe a loop with a per-lane exit cost about as much as
        // half of f32 exp's arithmetic (16M elements, CPU time).
        s.push_str(&format!(
            "@compute @workgroup_size({WORKGROUP_SIZE})\nfn main(@builtin(global_invocation_id) gid: vec3<u32>) {{\n    \
             let u = gid.y * params.row + gid.x;\n    let q0 = u * {UNITS_PER_INVOCATION}u;\n{setup}"
        ));
        for t in 0..UNITS_PER_INVOCATION {
            if t > 0 {
                s.push_str(&step.replace("        ", "    "));
            }
            s.push_str(&format!(
                "    if (q0 + {t}u) * {e}u >= params.n {{\n        return;\n    }}\n    unit(q0 + {t}u{call_args});\n"
            ));
        }
        s.push_str("}\n");
        s
    }

    /// The body of an unrolled unit (≤ 4 elements of 32/64-bit dtypes): the loaded vec4s are `x{k}_{v}`.
    fn unrolled_unit(&self, e: u32, wo: u32, store: impl Fn(u32, &str) -> String) -> String {
        const LANE: [&str; 4] = ["x", "y", "z", "w"];
        let word = |k: usize, i: u32| format!("x{k}_{}.{}", i / 4, LANE[(i % 4) as usize]);
        let arg = |k: usize, j: u32| {
            if k >= self.n_in as usize {
                return "vec2<u32>(0u)".to_string();
            }
            if self.access[k] == Access::Col {
                return format!("c{k}");
            }
            match self.inputs[k].size_in_bytes() {
                4 => format!("vec2<u32>({}, 0u)", word(k, j)),
                _ => format!("vec2<u32>({}, {})", word(k, 2 * j), word(k, 2 * j + 1)),
            }
        };
        let mut s = String::new();
        if let Some((sym, extra)) = self.f32_fast_op() {
            let lane4 = |k: usize, g: u32| match self.access[k] {
                Access::Col => format!("vec4<u32>(c{k}.x)"),
                _ => format!("x{k}_{g}"),
            };
            s.push_str("    var fast = true;\n");
            for g in 0..wo / 4 {
                s.push_str(&format!(
                    "    let y{g} = {};\n    let z{g} = {};\n    \
                     let f{g} = bitcast<vec4<u32>>(bitcast<vec4<f32>>(y{g}) {sym} bitcast<vec4<f32>>(z{g}));\n    \
                     fast = fast & f32_all_normal4(y{g}, z{g}, f{g}){};\n",
                    lane4(0, g),
                    lane4(1, g),
                    extra.replace("(r ", &format!("(f{g} "))
                ));
            }
            if self.native_f32 {
                for g in 0..wo / 4 {
                    s.push_str(&format!("    {}\n", store(g, &format!("f{g}"))));
                }
                return s;
            }
            s.push_str("    if fast {\n");
            for g in 0..wo / 4 {
                s.push_str(&format!("        {}\n", store(g, &format!("f{g}"))));
            }
            s.push_str("        return;\n    }\n");
            // The exact path as a loop over the lanes: one copy of the code, which lavapipe runs (masked) even
            // when no lane needs it.
            for g in 0..wo / 4 {
                s.push_str(&format!(
                    "    var o{g} = vec4<u32>(0u);\n    for (var j = 0u; j < 4u; j++) {{\n        \
                     let r = compute(vec2<u32>(y{g}[j], 0u), vec2<u32>(z{g}[j], 0u), vec2<u32>(0u));\n        \
                     o{g} = select(o{g}, vec4<u32>(r.x), vec4<u32>(j) == vec4<u32>(0u, 1u, 2u, 3u));\n    }}\n    {}\n",
                    store(g, &format!("o{g}"))
                ));
            }
            return s;
        }
        for j in 0..e {
            s.push_str(&format!("    let r{j} = compute({}, {}, {});\n", arg(0, j), arg(1, j), arg(2, j)));
        }
        let out_words: Vec<String> = match self.out.size_in_bytes() {
            4 => (0..e).map(|j| format!("r{j}.x")).collect(),
            _ => (0..e).flat_map(|j| [format!("r{j}.x"), format!("r{j}.y")]).collect(),
        };
        for v in 0..wo / 4 {
            let w = &out_words[(4 * v) as usize..(4 * v + 4) as usize];
            s.push_str(&format!("    {}\n", store(v, &format!("vec4<u32>({})", w.join(", ")))));
        }
        s
    }

    /// The body of a looped unit (8 or 16 elements of 8/16-bit dtypes): the loaded words are in `w{k}`.
    fn looped_unit(&self, e: u32, wo: u32, store: impl Fn(u32, &str) -> String) -> String {
        let mut s = format!("    var o: array<u32, {wo}>;\n    for (var j = 0u; j < {e}u; j++) {{\n");
        let arg = |k: usize| {
            if k >= self.n_in as usize {
                "vec2<u32>(0u)".into()
            } else if self.access[k] == Access::Col {
                format!("c{k}")
            } else {
                Self::element(self.inputs[k], &format!("w{k}"), "j")
            }
        };
        s.push_str(&format!("        let r = compute({}, {}, {});\n", arg(0), arg(1), arg(2)));
        s.push_str(match self.out.size_in_bytes() {
            1 => "        o[j >> 2u] = sub_put(o[j >> 2u], j & 3u, 8u, r.x);\n",
            2 => "        o[j >> 1u] = sub_put(o[j >> 1u], j & 1u, 16u, r.x);\n",
            4 => "        o[j] = r.x;\n",
            _ => "        o[2u * j] = r.x;\n        o[2u * j + 1u] = r.y;\n",
        });
        s.push_str("    }\n");
        for v in 0..wo / 4 {
            let value = format!("vec4<u32>(o[{}], o[{}], o[{}], o[{}])", 4 * v, 4 * v + 1, 4 * v + 2, 4 * v + 3);
            s.push_str(&format!("    {}\n", store(v, &value)));
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::elementwise::BinaryOp;

    fn flat(op: Op, d: DType, access: [Access; 3]) -> ElementwiseVariant {
        ElementwiseVariant { op, inputs: [d; 3], n_in: 2, out: d, mode: Mode::Flat, access, native_f32: false }
    }

    /// f32 add/sub/mul take the native vec4 result behind one all-normal test; other dtypes do not.
    #[test]
    fn f32_flat_arithmetic_has_the_vec4_fast_path() {
        for op in [BinaryOp::Add, BinaryOp::Sub, BinaryOp::Mul] {
            let src = flat(Op::Binary(op), DType::F32, [Access::Full; 3]).wgsl();
            let main = &src[src.find("fn unit(").expect("a unit function")..];
            if std::env::var_os("DUMP_WGSL").is_some() {
                println!("{main}");
            }
            assert!(main.contains("f32_all_normal4("), "{op:?}");
        }
        let src = flat(Op::Binary(BinaryOp::Div), DType::F32, [Access::Full; 3]).wgsl();
        assert!(!src[src.find("fn unit(").expect("a unit function")..].contains("f32_all_normal4("));
        let src = flat(Op::Binary(BinaryOp::Add), DType::I64, [Access::Full; 3]).wgsl();
        assert!(!src[src.find("fn unit(").expect("a unit function")..].contains("f32_all_normal4("));
    }

    /// Row and Col operands read through the period words of the parameter block, divided once per invocation.
    #[test]
    fn broadcast_access_reads_the_period() {
        let src = flat(Op::Binary(BinaryOp::Add), DType::F32, [Access::Full, Access::Row, Access::Full]).wgsl();
        assert!(src.contains("var rw1 = q0 % params.words[1];"));
        assert!(
            !src[src.find("fn unit(").expect("a unit function")..src.find("fn main(").expect("main")].contains('%')
        );
        let src = flat(Op::Binary(BinaryOp::Add), DType::U8, [Access::Col, Access::Full, Access::Full]).wgsl();
        assert!(src.contains("var cq0 = q0 / params.words[0];"));
        assert!(
            !src[src.find("fn unit(").expect("a unit function")..src.find("fn main(").expect("main")].contains('/')
        );
    }
}
