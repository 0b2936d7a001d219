//! The elementwise vocabulary as data: each op, the dtypes it takes, its result dtype, and the WGSL that computes
//! one element from canonical operands. The one table both the kernels and the host reference read.

use std::fmt;

use crate::{DType, Error, Result};

/// A binary elementwise op (operands broadcast with numpy's rules; equal dtypes required).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BinaryOp {
    /// `a + b` (integers wrap).
    Add,
    /// `a - b` (integers wrap).
    Sub,
    /// `a × b` (integers wrap).
    Mul,
    /// `a / b`: integers truncate toward zero, `x / 0 = 0`, `MIN / -1 = MIN`; floats IEEE, correctly rounded.
    Div,
    /// Remainder with the dividend's sign (Rust `%`, C `fmod`): integers `x % 0 = 0`; floats exact.
    Rem,
    /// The smaller operand; floats propagate NaN and order −0 < +0 (PyTorch `minimum`).
    Minimum,
    /// The larger operand; floats propagate NaN and order −0 < +0 (PyTorch `maximum`).
    Maximum,
    /// `a` to the power `b` (f32, f16, bf16; C99/IEEE `pow` special values, ≤ 2 ULP measured).
    Pow,
    /// `a & b` (integers bitwise; Bool logical).
    BitAnd,
    /// `a | b` (integers bitwise; Bool logical).
    BitOr,
    /// `a ^ b` (integers bitwise; Bool logical).
    BitXor,
    /// `a << (b mod bits)` (integers).
    Shl,
    /// `a >> (b mod bits)`, arithmetic for signed integers.
    Shr,
    /// `a == b` → Bool (IEEE: NaN is unequal to everything, −0 == +0).
    Eq,
    /// `a != b` → Bool.
    Ne,
    /// `a < b` → Bool.
    Lt,
    /// `a <= b` → Bool.
    Le,
    /// `a > b` → Bool.
    Gt,
    /// `a >= b` → Bool.
    Ge,
}

/// A unary elementwise op.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum UnaryOp {
    /// `-x` (integers wrap; unsigned: two's complement).
    Neg,
    /// `|x|` (integers wrap: `abs(MIN) = MIN`).
    Abs,
    /// −1, 0 or 1 (floats: ±0 stay, NaN stays NaN).
    Sign,
    /// Bool: logical not; integers: bitwise not.
    Not,
    /// Square root, correctly rounded (floats).
    Sqrt,
    /// `1 / x`, correctly rounded (floats).
    Recip,
    /// `x × x` (integers wrap; floats correctly rounded).
    Square,
    /// eˣ (floats).
    Exp,
    /// ln x (floats).
    Log,
    /// sin x (floats).
    Sin,
    /// cos x (floats).
    Cos,
    /// tanh x (floats).
    Tanh,
    /// 1 / (1 + e⁻ˣ) (floats).
    Sigmoid,
    /// max(x, 0) (NaN stays NaN; −0 gives +0).
    Relu,
    /// x · Φ(x) = 0.5 · x · (1 + erf(x / √2)) (floats).
    Gelu,
    /// Round toward −∞ (integers: unchanged).
    Floor,
    /// Round toward +∞ (integers: unchanged).
    Ceil,
    /// Round to nearest, ties to even (numpy, PyTorch; integers: unchanged).
    Round,
    /// Round toward zero (integers: unchanged).
    Trunc,
    /// Whether x is NaN → Bool (integers: false).
    IsNan,
    /// Whether x is ±inf → Bool (integers: false).
    IsInf,
}

impl BinaryOp {
    /// The op's name as the public method spells it.
    pub fn name(self) -> &'static str {
        use BinaryOp::*;
        match self {
            Add => "add",
            Sub => "sub",
            Mul => "mul",
            Div => "div",
            Rem => "rem",
            Minimum => "minimum",
            Maximum => "maximum",
            Pow => "pow",
            BitAnd => "bitand",
            BitOr => "bitor",
            BitXor => "bitxor",
            Shl => "shl",
            Shr => "shr",
            Eq => "eq",
            Ne => "ne",
            Lt => "lt",
            Le => "le",
            Gt => "gt",
            Ge => "ge",
        }
    }

    /// `true` for the comparisons (their result is Bool).
    pub fn is_comparison(self) -> bool {
        use BinaryOp::*;
        matches!(self, Eq | Ne | Lt | Le | Gt | Ge)
    }

    /// The result dtype for operands of `dtype`, or a typed error saying what to do.
    ///
    /// # Errors
    /// [`Error::UnsupportedDType`] when the op has no meaning on `dtype`.
    pub fn result_dtype(self, dtype: DType) -> Result<DType> {
        use BinaryOp::*;
        let ok = match self {
            Add | Sub | Mul | Div | Rem | Minimum | Maximum => dtype != DType::Bool,
            Pow => dtype.is_float() && dtype != DType::F64,
            BitAnd | BitOr | BitXor => !dtype.is_float(),
            Shl | Shr => dtype.is_int(),
            Eq | Ne | Lt | Le | Gt | Ge => true,
        };
        if !ok {
            let what = match self {
                BitAnd | BitOr | BitXor => "integer or bool",
                Shl | Shr => "integer",
                Pow => "f32, f16 or bf16 (f64 pow is not implemented to the accuracy goal)",
                _ => "numeric (not bool)",
            };
            let reason = format!("{} takes {what} tensors, not {dtype}; cast first", self.name());
            return Err(Error::UnsupportedDType { op: self.name(), dtype, reason });
        }
        Ok(if self.is_comparison() { DType::Bool } else { dtype })
    }
}

impl UnaryOp {
    /// The op's name as the public method spells it.
    pub fn name(self) -> &'static str {
        use UnaryOp::*;
        match self {
            Neg => "neg",
            Abs => "abs",
            Sign => "sign",
            Not => "not",
            Sqrt => "sqrt",
            Recip => "recip",
            Square => "square",
            Exp => "exp",
            Log => "log",
            Sin => "sin",
            Cos => "cos",
            Tanh => "tanh",
            Sigmoid => "sigmoid",
            Relu => "relu",
            Gelu => "gelu",
            Floor => "floor",
            Ceil => "ceil",
            Round => "round",
            Trunc => "trunc",
            IsNan => "is_nan",
            IsInf => "is_inf",
        }
    }

    /// `true` for the transcendental functions (measured accuracy, not exact).
    pub fn is_transcendental(self) -> bool {
        use UnaryOp::*;
        matches!(self, Exp | Log | Sin | Cos | Tanh | Sigmoid | Gelu)
    }

    /// The result dtype for an operand of `dtype`, or a typed error saying what to do.
    ///
    /// # Errors
    /// [`Error::UnsupportedDType`] when the op has no meaning on `dtype` (e.g. `sqrt` of an integer), or for f64
    /// transcendentals, which are not implemented to the accuracy goal (never silently computed in f32).
    pub fn result_dtype(self, dtype: DType) -> Result<DType> {
        use UnaryOp::*;
        let fail = |reason: String| Err(Error::UnsupportedDType { op: self.name(), dtype, reason });
        match self {
            Sqrt | Recip | Exp | Log | Sin | Cos | Tanh | Sigmoid | Gelu if !dtype.is_float() => {
                fail(format!("{} takes float tensors, not {dtype}; cast to f32 first", self.name()))
            }
            _ if self.is_transcendental() && dtype == DType::F64 => fail(format!(
                "{} of f64 is not implemented to the ≤ 2 ULP goal on every adapter; cast to f32 to accept f32 \
                 accuracy",
                self.name()
            )),
            Not if dtype.is_float() => fail(format!("not takes integer or bool tensors, not {dtype}")),
            Neg | Abs | Sign | Square | Relu | Floor | Ceil | Round | Trunc if dtype == DType::Bool => {
                fail(format!("{} takes numeric tensors, not bool; cast first", self.name()))
            }
            IsNan | IsInf => Ok(DType::Bool),
            _ => Ok(dtype),
        }
    }
}

impl fmt::Display for BinaryOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Display for UnaryOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What an elementwise kernel computes: the result of one element from up to three canonical operands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Op {
    Unary(UnaryOp),
    Binary(BinaryOp),
    /// `cond ? a : b` with cond Bool (operand 0).
    Where,
}

/// The integer dtype's bit width and signedness, for the WGSL routines' literal arguments.
fn int_args(d: DType) -> (u32, bool) {
    (d.size_in_bits() as u32, d.is_signed())
}

/// The WGSL body of `fn compute(a: vec2<u32>, b: vec2<u32>, c: vec2<u32>) -> vec2<u32>` for `op` on operands of
/// `dtype` (for `Where`: the dtype of operands 1 and 2). Operands arrive canonical: Bool 0/1, narrow integers sign-
/// or zero-extended into `.x`, f16/bf16 as their bits (widened here), f32 bits, 64-bit values as (lo, hi). The
/// result is canonical for the output dtype.
pub(crate) fn wgsl_body(op: Op, dtype: DType) -> String {
    match op {
        Op::Where => "return select(c, b, a.x != 0u);".into(),
        Op::Binary(op) => binary_body(op, dtype),
        Op::Unary(op) => unary_body(op, dtype),
    }
}

fn x(e: &str) -> String {
    format!("return vec2<u32>({e}, 0u);")
}

fn bool_x(e: &str) -> String {
    format!("return vec2<u32>(select(0u, 1u, {e}), 0u);")
}

fn binary_body(op: BinaryOp, d: DType) -> String {
    use BinaryOp::*;
    let f = |name: &str| -> String {
        // A float op through the dtype's routines.
        match d {
            DType::F32 => x(&format!("f32_{name}(a.x, b.x)")),
            DType::F64 => format!("return f64_{name}(a, b);"),
            _ => {
                let fmt = d.float_format().unwrap_or(crate::FloatFormat { exp_bits: 8, man_bits: 23 });
                let (m, e) = (fmt.man_bits, fmt.exp_bits);
                x(&format!(
                    "half_narrow(f32_{name}(half_widen(a.x, {m}u, {e}u), half_widen(b.x, {m}u, {e}u)), {m}u, {e}u)"
                ))
            }
        }
    };
    let fcmp = |name: &str, swap: bool, negate: bool| -> String {
        let (p, q) = if swap { ("b", "a") } else { ("a", "b") };
        let neg = if negate { "!" } else { "" };
        match d {
            DType::F32 => bool_x(&format!("{neg}f32_{name}({p}.x, {q}.x)")),
            DType::F64 => bool_x(&format!("{neg}f64_{name}({p}, {q})")),
            _ => {
                let fmt = d.float_format().unwrap_or(crate::FloatFormat { exp_bits: 8, man_bits: 23 });
                let (m, e) = (fmt.man_bits, fmt.exp_bits);
                bool_x(&format!("{neg}f32_{name}(half_widen({p}.x, {m}u, {e}u), half_widen({q}.x, {m}u, {e}u))"))
            }
        }
    };
    if d.is_float() {
        return match op {
            Add | Sub | Mul | Div | Rem | Minimum | Maximum | Pow => f(op.name()),
            Eq => fcmp("eq", false, false),
            Ne => fcmp("eq", false, true),
            Lt => fcmp("lt", false, false),
            Le => fcmp("le", false, false),
            Gt => fcmp("lt", true, false),
            Ge => fcmp("le", true, false),
            BitAnd | BitOr | BitXor | Shl | Shr => "return a;".into(), // refused by result_dtype
        };
    }
    if d.size_in_bytes() == 8 {
        let s = if d.is_signed() { "i64" } else { "u64" };
        return match op {
            Add => "return u64_add(a, b);".into(),
            Sub => "return u64_sub(a, b);".into(),
            Mul => "return u64_mul(a, b);".into(),
            Div => format!("return {s}_div(a, b);"),
            Rem => format!("return {s}_rem(a, b);"),
            Minimum => format!("return {s}_minimum(a, b);"),
            Maximum => format!("return {s}_maximum(a, b);"),
            Pow => "return a;".into(), // refused by result_dtype
            BitAnd => "return a & b;".into(),
            BitOr => "return a | b;".into(),
            BitXor => "return a ^ b;".into(),
            Shl => "return u64_shl(a, b.x & 63u);".into(),
            Shr => format!("return {s}_shr(a, b.x & 63u);"),
            Eq => bool_x("all(a == b)"),
            Ne => bool_x("any(a != b)"),
            Lt => bool_x(&format!("{s}_lt(a, b)")),
            Le => bool_x(&format!("{s}_le(a, b)")),
            Gt => bool_x(&format!("{s}_lt(b, a)")),
            Ge => bool_x(&format!("{s}_le(b, a)")),
        };
    }
    // Bool and the 8/16/32-bit integers.
    let (bits, signed) = if d == DType::Bool { (8, false) } else { int_args(d) };
    let int = |name: &str| x(&format!("int_{name}(a.x, b.x, {bits}u, {signed})"));
    match op {
        Add | Sub | Mul | Div | Rem | Shl | Shr => int(op.name()),
        Minimum => x(&format!("int_minimum(a.x, b.x, {signed})")),
        Maximum => x(&format!("int_maximum(a.x, b.x, {signed})")),
        Pow => "return a;".into(), // refused by result_dtype
        BitAnd => x("a.x & b.x"),
        BitOr => x("a.x | b.x"),
        BitXor => x("a.x ^ b.x"),
        Eq => bool_x("a.x == b.x"),
        Ne => bool_x("a.x != b.x"),
        Lt => bool_x(&format!("int_lt(a.x, b.x, {signed})")),
        Le => bool_x(&format!("int_le(a.x, b.x, {signed})")),
        Gt => bool_x(&format!("int_lt(b.x, a.x, {signed})")),
        Ge => bool_x(&format!("int_le(b.x, a.x, {signed})")),
    }
}

fn unary_body(op: UnaryOp, d: DType) -> String {
    use UnaryOp::*;
    if d.is_float() {
        let one = match d {
            DType::F64 => "vec2<u32>(0u, 0x3ff00000u)",
            _ => "vec2<u32>(0x3f800000u, 0u)",
        };
        // The op on the value `v` (f32 bits in .x, or f64 as vec2), as an expression of the same form.
        let e = |v: &str| -> String {
            let f64 = d == DType::F64;
            let (p, vx) = if f64 { ("f64", v.to_string()) } else { ("f32", format!("{v}.x")) };
            let wrap = |s: String| if f64 { s } else { format!("vec2<u32>({s}, 0u)") };
            match op {
                Neg | Abs | Sign | Sqrt | Floor | Ceil | Round | Trunc => wrap(format!("{p}_{}({vx})", op.name())),
                Exp | Log | Sin | Cos | Tanh | Sigmoid | Gelu => wrap(format!("{p}_{}({vx})", op.name())),
                Recip => wrap(if f64 { format!("f64_div({one}, {v})") } else { format!("f32_div(0x3f800000u, {vx})") }),
                Square => wrap(format!("{p}_mul({vx}, {vx})")),
                // max(x, +0): NaN stays NaN; -0 and negatives give +0.
                Relu => wrap(format!(
                    "select({p}_maximum({vx}, {}), {vx}, {p}_is_nan({vx}))",
                    if f64 { "vec2<u32>(0u)" } else { "0u" }
                )),
                IsNan | IsInf | Not => v.to_string(),
            }
        };
        let (is_nan, is_inf) = match d {
            DType::F64 => ("f64_is_nan(a)".to_string(), "f64_is_inf(a)".to_string()),
            DType::F32 => ("f32_is_nan(a.x)".into(), "f32_is_inf(a.x)".into()),
            _ => {
                let fmt = d.float_format().unwrap_or(crate::FloatFormat { exp_bits: 8, man_bits: 23 });
                let w = format!("half_widen(a.x, {}u, {}u)", fmt.man_bits, fmt.exp_bits);
                (format!("f32_is_nan({w})"), format!("f32_is_inf({w})"))
            }
        };
        return match (op, d) {
            (IsNan, _) => bool_x(&is_nan),
            (IsInf, _) => bool_x(&is_inf),
            (_, DType::F32 | DType::F64) => format!("return {};", e("a")),
            _ => {
                let fmt = d.float_format().unwrap_or(crate::FloatFormat { exp_bits: 8, man_bits: 23 });
                let (m, ex) = (fmt.man_bits, fmt.exp_bits);
                format!(
                    "let w = vec2<u32>(half_widen(a.x, {m}u, {ex}u), 0u);\n    return vec2<u32>(half_narrow({}.x, {m}u, {ex}u), 0u);",
                    e("w")
                )
            }
        };
    }
    if d == DType::Bool {
        return match op {
            Not => x("1u - a.x"),
            IsNan | IsInf => x("0u"),
            _ => "return a;".into(),
        };
    }
    if d.size_in_bytes() == 8 {
        let signed = d.is_signed();
        return match op {
            Neg => "return u64_neg(a);".into(),
            Abs => {
                if signed {
                    "return i64_abs(a);".into()
                } else {
                    "return a;".into()
                }
            }
            Sign => {
                if signed {
                    "return i64_sign(a);".into()
                } else {
                    "return u64_sign(a);".into()
                }
            }
            Not => "return ~a;".into(),
            Square => "return u64_mul(a, a);".into(),
            Relu => {
                if signed {
                    "return select(a, vec2<u32>(0u), i64_is_neg(a));".into()
                } else {
                    "return a;".into()
                }
            }
            IsNan | IsInf => "return vec2<u32>(0u);".into(),
            _ => "return a;".into(), // floor/ceil/round/trunc of integers: unchanged
        };
    }
    let (bits, signed) = int_args(d);
    match op {
        Neg => x(&format!("int_neg(a.x, {bits}u, {signed})")),
        Abs => x(&format!("int_abs(a.x, {bits}u, {signed})")),
        Sign => x(&format!("int_sign(a.x, {signed})")),
        Not => x(&format!("int_wrap(~a.x, {bits}u, {signed})")),
        Square => x(&format!("int_mul(a.x, a.x, {bits}u, {signed})")),
        Relu => x(&format!("select(a.x, 0u, {signed} && i32(a.x) < 0)")),
        IsNan | IsInf => x("0u"),
        _ => "return a;".into(),
    }
}
