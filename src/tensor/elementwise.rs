//! Elementwise compute: the PyTorch/candle vocabulary on every dtype, exact where the rule is exact (see the
//! [`ops`](crate::ops) module docs for the semantics), numpy broadcasting, any layouts.

use std::sync::Arc;

use crate::ops::elementwise::{self, BinaryOp, Op, Operand, UnaryOp};
use crate::{DType, DeviceTensor, Element, Error, Layout, Result, broadcast_shapes};

impl DeviceTensor {
    /// Applies a binary op with numpy broadcasting; both operands must have one dtype (no implicit promotion).
    ///
    /// ```
    /// use wgpu_tensor::{Array, BinaryOp, Device};
    /// let device = Device::new()?;
    /// let a = device.upload(&Array::from_vec(vec![1i32, 2, 3, 4, 5, 6], [2, 3])?)?;
    /// let row = device.upload(&Array::from_vec(vec![10i32, 20, 30], [3])?)?;
    /// assert_eq!(a.binary(BinaryOp::Add, &row)?.download()?.to_vec::<i32>()?, [11, 22, 33, 14, 25, 36]);
    /// # Ok::<(), wgpu_tensor::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::OpDTypeMismatch`] naming the op and both dtypes; [`Error::Broadcast`] naming both shapes;
    /// [`Error::UnsupportedDType`] when the op has no meaning on the dtype (e.g. `shl` of a float: cast first);
    /// [`Error::DeviceMismatch`]; allocation errors.
    pub fn binary(&self, op: BinaryOp, other: &DeviceTensor) -> Result<DeviceTensor> {
        let name = op.name();
        self.check_same_device(other, name)?;
        if self.dtype() != other.dtype() {
            return Err(Error::OpDTypeMismatch { op: name, lhs: self.dtype(), rhs: other.dtype() });
        }
        let out_dtype = op.result_dtype(self.dtype())?;
        let shape = broadcast_shapes(name, self.shape(), other.shape())?;
        self.run(Op::Binary(op), &[self, other], shape, out_dtype)
    }

    /// Applies a unary op.
    ///
    /// # Errors
    /// [`Error::UnsupportedDType`] when the op has no meaning on the dtype (e.g. `sqrt` of an integer, or an f64
    /// transcendental); allocation errors.
    pub fn unary(&self, op: UnaryOp) -> Result<DeviceTensor> {
        let out_dtype = op.result_dtype(self.dtype())?;
        self.run(Op::Unary(op), &[self], self.shape().to_vec(), out_dtype)
    }

    /// `on_true` where `self` (Bool) is true, else `on_false`; all three broadcast together (numpy `where`).
    ///
    /// # Errors
    /// [`Error::UnsupportedDType`] when `self` is not Bool; [`Error::OpDTypeMismatch`] when the branches differ in
    /// dtype; [`Error::Broadcast`]; [`Error::DeviceMismatch`].
    pub fn where_cond(&self, on_true: &DeviceTensor, on_false: &DeviceTensor) -> Result<DeviceTensor> {
        const OP: &str = "where_cond";
        if self.dtype() != DType::Bool {
            let reason = format!("the condition is {}; give a Bool tensor (e.g. from a comparison)", self.dtype());
            return Err(Error::UnsupportedDType { op: OP, dtype: self.dtype(), reason });
        }
        self.check_same_device(on_true, OP)?;
        self.check_same_device(on_false, OP)?;
        if on_true.dtype() != on_false.dtype() {
            return Err(Error::OpDTypeMismatch { op: OP, lhs: on_true.dtype(), rhs: on_false.dtype() });
        }
        let shape = broadcast_shapes(OP, self.shape(), on_true.shape())?;
        let shape = broadcast_shapes(OP, &shape, on_false.shape())?;
        self.run(Op::Where, &[self, on_true, on_false], shape, on_true.dtype())
    }

    /// `minimum(maximum(self, lo), hi)`, broadcasting all three (a NaN bound or element gives NaN).
    ///
    /// # Errors
    /// As [`DeviceTensor::binary`].
    pub fn clamp(&self, lo: &DeviceTensor, hi: &DeviceTensor) -> Result<DeviceTensor> {
        self.maximum(lo)?.minimum(hi)
    }

    /// `self op value` with `value` as a 0-d tensor of the same dtype, broadcast.
    ///
    /// ```
    /// let device = wgpu_tensor::Device::new()?;
    /// let t = device.upload(&wgpu_tensor::Array::from(vec![1.5f32, -2.0]))?;
    /// assert_eq!(t.binary_scalar(wgpu_tensor::BinaryOp::Mul, 2.0f32)?.download()?.to_vec::<f32>()?, [3.0, -4.0]);
    /// # Ok::<(), wgpu_tensor::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::OpDTypeMismatch`] when `T` is not the tensor's dtype; otherwise as [`DeviceTensor::binary`].
    pub fn binary_scalar<T: Element>(&self, op: BinaryOp, value: T) -> Result<DeviceTensor> {
        if T::DTYPE != self.dtype() {
            return Err(Error::OpDTypeMismatch { op: op.name(), lhs: self.dtype(), rhs: T::DTYPE });
        }
        self.binary(op, &self.device().full([], value)?)
    }

    fn run(&self, op: Op, inputs: &[&DeviceTensor], shape: Vec<usize>, out_dtype: DType) -> Result<DeviceTensor> {
        let out = Layout::contiguous(shape);
        let layouts: Vec<Layout> =
            inputs.iter().map(|t| t.layout().broadcast_to(out.shape().clone())).collect::<Result<_>>()?;
        let operands: Vec<Operand<'_>> =
            inputs.iter().zip(&layouts).map(|(t, l)| (&**t.storage(), l, t.dtype())).collect();
        let storage = elementwise::run(self.device(), op, &operands, &out, out_dtype)?;
        Ok(DeviceTensor::from_storage(Arc::new(storage), out, out_dtype))
    }
}

/// One method per binary op, each `binary` with that op.
macro_rules! binary_methods {
    ($($(#[$doc:meta])* $name:ident => $op:ident;)*) => {
        impl DeviceTensor {
            $(
                $(#[$doc])*
                ///
                /// # Errors
                /// As [`DeviceTensor::binary`].
                pub fn $name(&self, other: &DeviceTensor) -> Result<DeviceTensor> {
                    self.binary(BinaryOp::$op, other)
                }
            )*
        }
    };
}

binary_methods! {
    /// `self + other`, broadcasting (integers wrap).
    add => Add;
    /// `self - other`, broadcasting (integers wrap).
    sub => Sub;
    /// `self × other`, broadcasting (integers wrap).
    mul => Mul;
    /// `self / other`, broadcasting: integers truncate toward zero (`x / 0 = 0`, `MIN / -1 = MIN`); floats
    /// correctly rounded.
    div => Div;
    /// The remainder with the dividend's sign (Rust `%`; integers `x % 0 = 0`; floats exact, like `fmod`).
    rem => Rem;
    /// The elementwise minimum (floats: NaN propagates, −0 < +0).
    minimum => Minimum;
    /// The elementwise maximum (floats: NaN propagates, −0 < +0).
    maximum => Maximum;
    /// `self` to the power `other` (f32, f16, bf16; C99 special values: `pow(x, ±0) = 1`, `pow(1, y) = 1`).
    pow => Pow;
    /// Bitwise and (Bool: logical).
    bitand => BitAnd;
    /// Bitwise or (Bool: logical).
    bitor => BitOr;
    /// Bitwise xor (Bool: logical).
    bitxor => BitXor;
    /// `self << (other mod bits)` (integers).
    shl => Shl;
    /// `self >> (other mod bits)`, arithmetic for signed integers.
    shr => Shr;
    /// `self == other` → Bool (IEEE: NaN is unequal to itself).
    eq => Eq;
    /// `self != other` → Bool.
    ne => Ne;
    /// `self < other` → Bool.
    lt => Lt;
    /// `self <= other` → Bool.
    le => Le;
    /// `self > other` → Bool.
    gt => Gt;
    /// `self >= other` → Bool.
    ge => Ge;
}

/// One method per unary op, each `unary` with that op.
macro_rules! unary_methods {
    ($($(#[$doc:meta])* $name:ident => $op:ident;)*) => {
        impl DeviceTensor {
            $(
                $(#[$doc])*
                ///
                /// # Errors
                /// As [`DeviceTensor::unary`].
                pub fn $name(&self) -> Result<DeviceTensor> {
                    self.unary(UnaryOp::$op)
                }
            )*
        }
    };
}

unary_methods! {
    /// `-self` (integers wrap).
    neg => Neg;
    /// `|self|` (integers wrap: `abs(MIN) = MIN`).
    abs => Abs;
    /// −1, 0 or 1 (floats keep ±0 and NaN).
    sign => Sign;
    /// Logical not (Bool) or bitwise not (integers).
    not => Not;
    /// Square root, correctly rounded.
    sqrt => Sqrt;
    /// `1 / self`, correctly rounded.
    recip => Recip;
    /// `self × self`.
    square => Square;
    /// eˣ (≤ 2 ULP; the measured table is in the crate docs).
    exp => Exp;
    /// ln x.
    log => Log;
    /// sin x.
    sin => Sin;
    /// cos x.
    cos => Cos;
    /// tanh x.
    tanh => Tanh;
    /// 1 / (1 + e⁻ˣ).
    sigmoid => Sigmoid;
    /// max(x, 0) (NaN stays NaN).
    relu => Relu;
    /// x · Φ(x), the erf form.
    gelu => Gelu;
    /// Round toward −∞.
    floor => Floor;
    /// Round toward +∞.
    ceil => Ceil;
    /// Round half to even (numpy, PyTorch).
    round => Round;
    /// Round toward zero.
    trunc => Trunc;
    /// Whether each element is NaN → Bool.
    is_nan => IsNan;
    /// Whether each element is ±inf → Bool.
    is_inf => IsInf;
}

/// `std::ops` on `&DeviceTensor`: each yields a `Result` (an op can fail on shapes or dtypes; it never panics).
macro_rules! std_binary {
    ($($trait:ident $method:ident => $op:ident;)*) => {
        $(
            impl std::ops::$trait<&DeviceTensor> for &DeviceTensor {
                type Output = Result<DeviceTensor>;
                fn $method(self, rhs: &DeviceTensor) -> Result<DeviceTensor> {
                    self.binary(BinaryOp::$op, rhs)
                }
            }
        )*
    };
}

std_binary! {
    Add add => Add;
    Sub sub => Sub;
    Mul mul => Mul;
    Div div => Div;
    Rem rem => Rem;
    BitAnd bitand => BitAnd;
    BitOr bitor => BitOr;
    BitXor bitxor => BitXor;
    Shl shl => Shl;
    Shr shr => Shr;
}

impl std::ops::Neg for &DeviceTensor {
    type Output = Result<DeviceTensor>;
    fn neg(self) -> Result<DeviceTensor> {
        self.unary(UnaryOp::Neg)
    }
}

impl std::ops::Not for &DeviceTensor {
    type Output = Result<DeviceTensor>;
    fn not(self) -> Result<DeviceTensor> {
        self.unary(UnaryOp::Not)
    }
}
