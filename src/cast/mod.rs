//! Exact dtype casts, on the device and on the host.
//!
//! [`DeviceTensor::cast`](crate::DeviceTensor::cast), [`cast_with`](crate::DeviceTensor::cast_with) and
//! [`cast_checked`](crate::DeviceTensor::cast_checked) convert a tensor between any two of the 13 dtypes on the
//! device, in WGSL, on any adapter, and give the same bits as the host reference [`Array::cast`](crate::Array::cast)
//! (tested exhaustively for every 8- and 16-bit source and on millions of random and edge-case 32/64-bit values).
//!
//! # The rules
//!
//! | from → to | rule |
//! |---|---|
//! | int → int | two's-complement wrap (Rust `as`); with [`CastPolicy::Saturate`]: clamp to the target's range |
//! | int → float | correctly rounded, round-to-nearest-even; overflow → ±inf (`u64::MAX` → f16 is inf; f16's max is 65504) |
//! | float → wider float | exact (every value is representable) |
//! | float → narrower float | correctly rounded, RNE, from the *source* value; subnormals kept; overflow → ±inf |
//! | float → int | truncate toward zero; saturate at the target's bounds (±inf too); NaN → 0 (Rust `as`) |
//! | any → bool | `x != 0`: NaN → `true`, −0.0 → `false` |
//! | bool → any | 0 or 1 (`1.0` for floats) |
//! | NaN → another float | NaN, sign kept, quiet bit set; payload: the top stored-mantissa bits that fit (narrowing) or the payload shifted to the top (widening) — what x86 and Rust `as` do for f64 → f32, and `half` for f32 ↔ f16/bf16 |
//! | same dtype | a bit-exact copy into a new buffer (a signalling NaN stays signalling) |
//!
//! Integers are 8/16/32/64-bit, signed or not; floats are f16 (IEEE binary16: 5 exponent, 10 mantissa bits),
//! bf16 (8, 7), f32 (8, 23) and f64 (11, 52). The result equals Rust's `as` wherever Rust has the pair, `half`'s
//! `f16::from_f32` / `bf16::from_f32` (single rounding) for f32 → f16/bf16, and the nearest representable value
//! (ties to the even significand) everywhere else. Nothing is ever rounded twice: i64 → f32 is not i64 → f64 → f32,
//! f64 → f16 is not f64 → f32 → f16 (which `half::f16::from_f64` does on F16C CPUs, and is wrong on rare inputs).
//! Every conversion decodes the source into its exact value (a 64-bit significand and an exponent, or a 64-bit
//! integer and a sign) and rounds once.
//!
//! [`CastPolicy`] only changes integer → integer casts. Float → integer always saturates (as Rust's `as`); an
//! integer or float cast to a float always overflows to ±inf.
//!
//! # Lossy elements
//!
//! [`cast_checked`](crate::DeviceTensor::cast_checked) counts, on the device, the elements whose *value* the cast
//! changes, and fails with [`Error::LossyCast`](crate::Error::LossyCast) when there is at least one. An element is
//! lossy when the exact value of the result differs from the exact value of the source, where:
//! - rounding that is inexact, and overflow to ±inf, are lossy; ±inf → ±inf is not;
//! - NaN → any float is *not* lossy (a NaN stays a NaN; its payload may be shortened); NaN → integer or bool is;
//! - −0.0 → integer 0 and −0.0 → false are not lossy (−0 equals 0);
//! - float → integer: a dropped fraction, an out-of-range value (saturated) or ±inf is lossy;
//! - integer → integer: lossy exactly when the value is outside the target's range (under either policy);
//! - any → bool: lossy unless the value is exactly 0 or 1; bool → any: never lossy.
//!
//! The host twins are [`cast_is_lossy`] and [`Array::count_lossy`](crate::Array::count_lossy).
//!
//! # Why not WGSL's built-in conversions
//!
//! WGSL has no 64-bit types without extensions (`SHADER_INT64`, `SHADER_F64`), and where it has a conversion it does
//! not promise the one above: `f32(i32)` may round either way when the value is not representable, `i32(f32)` of an
//! out-of-range value is not Rust's saturation, `pack2x16float`'s rounding is unspecified and out-of-range input is
//! indeterminate, a finite-math compiler may drop `x != x`, and storing a float value (rather than its bits) may
//! flush subnormals. So every cast here is done with 32-bit *integer* operations on bit patterns held in
//! `array<u32>`: 64-bit integers as `vec2<u32>` pairs, and one parameterised round-and-pack (sign, exponent, 64-bit
//! significand, sticky → f16/bf16/f32/f64 bits, RNE, subnormals, overflow to inf) for every narrowing. The kernels
//! never need a shader feature, so a cast gives the same bits on every adapter.
//!
//! # Portable path only
//!
//! There is no native fast path: even where the device enabled `SHADER_INT64`/`F16`/`F64`, the casts run the same
//! 32-bit integer kernels, so `DeviceOptions { native_extensions: false, .. }` and `true` give identical results
//! (both are tested). A native kernel would have to be proven bit-identical on every adapter first, and WGSL/SPIR-V
//! leave the rounding of native conversions to the implementation.
//!
//! # Kernels
//!
//! `shaders/lib/` holds the helper libraries, one home per routine: `u64.wgsl` (64-bit integers as `vec2<u32>`),
//! `subword.wgsl` (8/16-bit packing), `round_pack.wgsl` (the one round-and-pack) and `convert.wgsl` (decode and the
//! per-kind conversions); `shaders/cast.wgsl` is the entry point, composed per (from, to, policy, checked) by
//! concatenation and named `{{placeholder}}` tokens, so each pair's kernel is specialised with no dtype branch at run
//! time. One invocation converts four units of 16 bytes of the narrower dtype, in straight-line code with vec4 loads
//! and stores (one output word, or one 64-bit element, where the source buffer lacks room for whole vec4 words); a
//! tensor larger than a storage binding (`max_storage_buffer_binding_size`) is cast in chunks bound at aligned
//! offsets, each on a 2-D grid.

mod host;
pub(crate) mod kernel;
#[cfg(test)]
mod throughput;
mod wgsl;

pub(crate) use wgsl::CastVariant;

pub use host::{cast_bits, cast_is_lossy};

/// How an integer → integer cast treats a value outside the target's range.
///
/// Only integer → integer casts (bool excluded) look at the policy: float → integer always saturates (Rust `as`)
/// and casts to floats always overflow to ±inf; see the [module docs](crate::cast) for every rule.
///
/// ```
/// use wgpu_tensor::{Array, CastPolicy, DType};
/// let a = Array::from(vec![-1i32, 300]);
/// assert_eq!(a.cast_with(DType::U8, CastPolicy::Wrap)?.to_vec::<u8>()?, [255, 44]);
/// assert_eq!(a.cast_with(DType::U8, CastPolicy::Saturate)?.to_vec::<u8>()?, [0, 255]);
/// # Ok::<(), wgpu_tensor::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum CastPolicy {
    /// Two's-complement wrap: keep the low bits (Rust `as`). The default.
    #[default]
    Wrap,
    /// Clamp to the target's range (`-1i32` → `0u8`, `300i32` → `255u8`).
    Saturate,
}
