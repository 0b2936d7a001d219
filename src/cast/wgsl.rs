//! Composition of the cast kernels' WGSL: the helper libraries in `shaders/lib/` concatenated, then
//! `shaders/cast.wgsl` with its named `{{placeholder}}` tokens filled in for one (from, to, policy, checked) variant.
//!
//! Each variant is specialised at composition: the `convert` body calls one conversion routine of
//! `shaders/lib/convert.wgsl` with the formats as literal arguments, and the load/store code is chosen for the
//! element widths, so the kernel never branches on a dtype at run time.

use crate::DType;
use crate::kernels::compose;

use super::CastPolicy;

const U64_LIB: &str = include_str!("../../shaders/lib/u64.wgsl");
const SUBWORD_LIB: &str = include_str!("../../shaders/lib/subword.wgsl");
const ROUND_PACK_LIB: &str = include_str!("../../shaders/lib/round_pack.wgsl");
const CONVERT_LIB: &str = include_str!("../../shaders/lib/convert.wgsl");
const CAST_TEMPLATE: &str = include_str!("../../shaders/cast.wgsl");

/// Invocations per workgroup of the cast kernels.
pub(crate) const WORKGROUP_SIZE: u32 = 256;

/// One compiled variant of the cast kernel. `policy` is normalised: it is `Wrap` unless it changes the result
/// (integer → integer), so equal kernels share one pipeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct CastVariant {
    pub from: DType,
    pub to: DType,
    pub policy: CastPolicy,
    pub checked: bool,
    /// Whole vec4 words per invocation (16 bytes of the narrower dtype's elements); needs both bindings to cover
    /// whole vec4s. Otherwise one output word (or 64-bit element) per invocation.
    pub vec4: bool,
}

impl CastVariant {
    pub(crate) fn new(from: DType, to: DType, policy: CastPolicy, checked: bool) -> CastVariant {
        let policy = if from.is_int() && to.is_int() { policy } else { CastPolicy::Wrap };
        CastVariant { from, to, policy, checked, vec4: true }
    }

    /// Units written by one invocation (consecutive): 4 in vec4 mode (the best of 1/2/4 on lavapipe), else 1.
    pub(crate) fn units_per_invocation(&self) -> u32 {
        if self.vec4 { 4 } else { 1 }
    }

    /// Output elements of one unit: 16 bytes of the narrower dtype (vec4), else one word of 8/16-bit
    /// outputs or one element.
    pub(crate) fn per_unit(&self) -> u32 {
        if self.vec4 { (16 / self.from.size_in_bytes().min(self.to.size_in_bytes())) as u32 } else { per_unit(self.to) }
    }

    /// The composed WGSL module.
    pub(crate) fn wgsl(&self) -> String {
        let per_unit = self.per_unit().to_string();
        let convert = convert_body(self.from, self.to, self.policy);
        let (counter_binding, count_lossy, mark_lossy) = if self.checked {
            (
                "@group(0) @binding(3) var<storage, read_write> lossy_count: array<atomic<u32>>;",
                "if lossy_n > 0u {\n        atomicAdd(&lossy_count[params.slot], lossy_n);\n    }",
                "lossy_elem = lossy_elem || c;",
            )
        } else {
            ("", "", "")
        };
        let body = if self.vec4 { self.vec4_body() } else { word_body(self.to, self.conversion()) };
        let entry = compose(
            CAST_TEMPLATE,
            &[
                ("from", self.from.name()),
                ("to", self.to.name()),
                ("per_unit", &per_unit),
                ("units", &self.units_per_invocation().to_string()),
                ("unit_words", if self.vec4 { "vec4 loads and stores" } else { "u32 loads and stores" }),
                ("word", if self.vec4 { "vec4<u32>" } else { "u32" }),
                ("counter_binding", counter_binding),
                ("mark_lossy", mark_lossy),
                ("load_src", &if self.vec4 { String::new() } else { load_src(self.from) }),
                ("convert", &convert),
                ("workgroup_size", &WORKGROUP_SIZE.to_string()),
                ("body", &body),
                ("count_lossy", count_lossy),
            ],
        );
        [U64_LIB, SUBWORD_LIB, ROUND_PACK_LIB, CONVERT_LIB, &entry].join("\n")
    }

    /// The call that converts element `X` (in range when `IN`): counted when checked (elements out of range are
    /// not), plain otherwise (no counting code at all).
    fn conversion(&self) -> &'static str {
        if self.checked { "convert_counted(X, IN, &lossy_n)" } else { "convert(X)" }
    }

    /// vec4 mode: the body of `main`, its units unrolled into straight-line code with no branch per element: on
    /// lavapipe 8 invocations are the lanes of one SIMD register, a loop runs until its last lane leaves, and both
    /// sides of a branch run (masked) whenever any lane takes it, so a per-lane loop exit and per-element `if`s cost
    /// every invocation. Each element is converted, and replaced by zero past `params.n` (tail padding) by a
    /// select; a unit's stores are skipped when the unit starts past `params.n` (its loads read in bounds or are
    /// clamped by the bounds checks, and are ignored).
    fn vec4_body(&self) -> String {
        let (e, units) = (self.per_unit(), self.units_per_invocation());
        let mut s = format!("    let u0 = inv * {units}u;\n");
        for t in 0..units {
            s.push_str(&format!("    {{\n        let u = u0 + {t}u;\n        let first = u * {e}u;\n"));
            s.push_str(&self.vec4_unit("        "));
            s.push_str("    }\n");
        }
        s
    }

    /// vec4 mode: unit u's source vec4s loaded, each element converted, packed into output words and stored as
    /// whole vec4s — every word a component of a loaded vec4 (no local arrays, which lavapipe keeps in memory when
    /// indexed in a loop). Elements past `params.n` (tail padding) are written as zero and not counted.
    fn vec4_unit(&self, indent: &str) -> String {
        let e = self.per_unit();
        let (ws, wo) = (e * self.from.size_in_bytes() as u32 / 4, e * self.to.size_in_bytes() as u32 / 4);
        const LANE: [&str; 4] = ["x", "y", "z", "w"];
        let word = |i: u32| format!("x{}.{}", i / 4, LANE[(i % 4) as usize]);
        let mut s = String::new();
        for v in 0..ws / 4 {
            s.push_str(&format!("{indent}let x{v} = src[u * {}u + {v}u];\n", ws / 4));
        }
        for j in 0..e {
            let x = match self.from.size_in_bytes() {
                1 => format!("vec2<u32>(sub_get({}, {}u, 8u), 0u)", word(j / 4), j % 4),
                2 => format!("vec2<u32>(sub_get({}, {}u, 16u), 0u)", word(j / 2), j % 2),
                4 => format!("vec2<u32>({}, 0u)", word(j)),
                _ => format!("vec2<u32>({}, {})", word(2 * j), word(2 * j + 1)),
            };
            let call = self.conversion().replace('X', &x).replace("IN", &format!("in{j}"));
            s.push_str(&format!(
                "{indent}let in{j} = first + {j}u < params.n;\n{indent}let r{j} = select(vec2<u32>(0u), {call}, in{j});\n"
            ));
        }
        let packed = |per: u32, bits: u32| -> Vec<String> {
            (0..e / per)
                .map(|w| {
                    (0..per)
                        .fold("0u".to_string(), |acc, t| format!("sub_put({acc}, {t}u, {bits}u, r{}.x)", w * per + t))
                })
                .collect()
        };
        let out_words: Vec<String> = match self.to.size_in_bytes() {
            1 => packed(4, 8),
            2 => packed(2, 16),
            4 => (0..e).map(|j| format!("r{j}.x")).collect(),
            _ => (0..e).flat_map(|j| [format!("r{j}.x"), format!("r{j}.y")]).collect(),
        };
        s.push_str(&format!("{indent}if first < params.n {{\n"));
        for v in 0..wo / 4 {
            let w = &out_words[(4 * v) as usize..(4 * v + 4) as usize];
            s.push_str(&format!("{indent}    dst[u * {}u + {v}u] = vec4<u32>({});\n", wo / 4, w.join(", ")));
        }
        s.push_str(&format!("{indent}}}\n"));
        s
    }
}

pub(crate) fn per_unit(to: DType) -> u32 {
    match to.size_in_bytes() {
        1 => 4,
        2 => 2,
        _ => 1,
    }
}

/// Word mode: `fn load_src(j)`, source element j of the chunk zero-extended into (lo, hi).
fn load_src(from: DType) -> String {
    let body = match from.size_in_bytes() {
        1 => "return vec2<u32>(sub_get(src[j >> 2u], j & 3u, 8u), 0u);",
        2 => "return vec2<u32>(sub_get(src[j >> 1u], j & 1u, 16u), 0u);",
        4 => "return vec2<u32>(src[j], 0u);",
        _ => "return vec2<u32>(src[2u * j], src[2u * j + 1u]);",
    };
    format!(
        "// Source element j of the chunk, zero-extended into (lo, hi).\nfn load_src(j: u32) -> vec2<u32> {{\n    {body}\n}}\n"
    )
}

/// Word mode: the body of `main` (one unit per invocation): one output word of 8/16-bit outputs, or one element.
fn word_body(to: DType, conversion: &str) -> String {
    let conv = |j: &str| conversion.replace('X', &format!("load_src({j})")).replace("IN", "true");
    let store = match to.size_in_bytes() {
        n @ (1 | 2) => {
            let bits = n * 8;
            let k = 4 / n;
            format!(
                "var word = 0u;\n        for (var t = 0u; t < {k}u; t++) {{\n            if first + t < params.n {{\n                \
                 word = sub_put(word, t, {bits}u, {}.x);\n            }}\n        }}\n        dst[u] = word;",
                conv("first + t")
            )
        }
        4 => format!("dst[u] = {}.x;", conv("first")),
        _ => format!("let r = {};\n        dst[2u * u] = r.x;\n        dst[2u * u + 1u] = r.y;", conv("first")),
    };
    format!(
        "    let u = inv;\n    let first = u * {}u;\n    if first < params.n {{\n        {store}\n    }}",
        per_unit(to)
    )
}

/// (stored mantissa bits, exponent bits) of a float dtype, from [`DType::float_format`].
fn float_format(d: DType) -> (u32, u32) {
    let f = d.float_format().unwrap_or(crate::FloatFormat { exp_bits: 11, man_bits: 52 });
    (f.man_bits, f.exp_bits)
}

/// The body of `fn convert(x: vec2<u32>) -> vec2<u32>` for one pair.
fn convert_body(from: DType, to: DType, policy: CastPolicy) -> String {
    if from == to {
        return "return x;".into();
    }
    let bits = |d: DType| d.size_in_bits();
    if from.is_float() {
        let (sm, se) = float_format(from);
        return if to == DType::Bool {
            format!("return float_to_bool(x, {sm}u, {se}u);")
        } else if to.is_float() {
            let (dm, de) = float_format(to);
            format!("return float_to_float(x, {sm}u, {se}u, {dm}u, {de}u);")
        } else {
            format!("return float_to_int(x, {sm}u, {se}u, {}u, {});", bits(to), to.is_signed())
        };
    }
    let value = if from == DType::Bool {
        "bool_value(x)".to_string()
    } else {
        format!("int_value(x, {}u, {})", bits(from), from.is_signed())
    };
    let src_signed = from.is_signed();
    if to == DType::Bool {
        format!("return int_to_bool({value});")
    } else if to.is_float() {
        let (dm, de) = float_format(to);
        format!("return int_to_float({value}, {src_signed}, {dm}u, {de}u);")
    } else {
        let saturate = policy == CastPolicy::Saturate;
        format!("return int_to_int({value}, {src_signed}, {}u, {}, {saturate});", bits(to), to.is_signed())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_placeholder_survives_any_variant() {
        let mut keys = std::collections::HashSet::new();
        for from in DType::ALL {
            for to in DType::ALL {
                for policy in [CastPolicy::Wrap, CastPolicy::Saturate] {
                    for (checked, vec4) in [(false, false), (false, true), (true, false), (true, true)] {
                        let v = CastVariant { vec4, ..CastVariant::new(from, to, policy, checked) };
                        let src = v.wgsl();
                        assert!(!src.contains("{{") && !src.contains("}}"), "{v:?}: a placeholder survived");
                        assert!(src.contains("fn main("), "{v:?}");
                        assert_eq!(src.contains("lossy_count"), checked, "{v:?}");
                        keys.insert(v);
                    }
                }
            }
        }
        // 169 pairs x checked x vec4, plus Saturate for the 64 integer -> integer pairs.
        assert_eq!(keys.len(), (169 * 2 + 64 * 2) * 2);
    }

    /// Every variant, the same-dtype ones included (the API copies those instead), passes wgpu's validation and
    /// compiles on the adapter.
    #[test]
    fn every_variant_compiles_on_the_device() {
        let device = crate::Device::new().unwrap_or_else(|e| panic!("no adapter: {e}"));
        for from in DType::ALL {
            for to in DType::ALL {
                for policy in [CastPolicy::Wrap, CastPolicy::Saturate] {
                    for (checked, vec4) in [(false, false), (false, true), (true, false), (true, true)] {
                        let v = CastVariant { vec4, ..CastVariant::new(from, to, policy, checked) };
                        if let Err(e) = device.pipeline(crate::kernels::KernelKey::Cast(v), || v.wgsl()) {
                            panic!("{v:?}: {e}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn every_routine_has_one_home() {
        let libs = [U64_LIB, SUBWORD_LIB, ROUND_PACK_LIB, CONVERT_LIB, CAST_TEMPLATE];
        let all = libs.join("\n");
        for line in all.lines().filter(|l| l.starts_with("fn ")) {
            let name = line[3..].split('(').next().unwrap_or_default();
            let defs = all.lines().filter(|l| l.starts_with(&format!("fn {name}("))).count();
            assert_eq!(defs, 1, "fn {name} is defined {defs} times");
        }
    }
}
