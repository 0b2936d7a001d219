//! Operations that compute on the device, one file per family (the public methods are on
//! [`DeviceTensor`](crate::DeviceTensor)). Each family works on storage and layouts: it plans the kernels, allocates
//! the output from the pool and records on the device's stream.
//!
//! # Elementwise semantics
//!
//! Binary ops broadcast with numpy's rules and need equal dtypes (no silent promotion: cast first). The rules,
//! tested bit for bit against host references on every dtype:
//!
//! | dtype | rule |
//! |---|---|
//! | integers (all eight; 64-bit as u32 pairs without SHADER_INT64) | `add sub mul neg abs square` wrap like Rust's `wrapping_*`; `div` truncates toward zero and `rem` takes the dividend's sign; `x / 0 = 0` and `x % 0 = 0` (numpy); `MIN / -1 = MIN`; `shl`/`shr` take the count modulo the bit width, `shr` is arithmetic for signed types; `floor ceil round trunc` return the value |
//! | f32 | `add sub mul div sqrt recip square` correctly rounded (bit-exact against Rust `f32`; WGSL's 2.5-ULP division and approximate sqrt are corrected in integers); subnormal inputs and outputs kept; `rem` exact (`fmod`); NaN in → NaN out (a NaN operand is propagated, quieted; invalid operations give the default NaN) |
//! | f16, bf16 | computed in f32 and rounded once: correctly rounded for `+ − × ÷ sqrt` because f32 has more than 2p + 2 bits |
//! | f64 | emulated on u32 pairs without SHADER_F64: `add sub mul div sqrt rem`, comparisons, `minimum maximum`, `floor ceil round trunc` bit-exact against Rust `f64`; transcendentals are refused with a typed error (never computed in f32) |
//! | floats | `minimum`/`maximum` propagate NaN and order −0 < +0 (PyTorch); comparisons are IEEE (NaN unequal to itself, −0 == +0); `round` is half to even; `sign` keeps ±0 and NaN; `relu(NaN) = NaN`, `relu(−0) = +0` |
//! | Bool | `bitand bitor bitxor not` are logical; results are always 0 or 1; arithmetic is refused (cast first) |
//!
//! Transcendentals (`exp log sin cos tanh sigmoid gelu`) on f32/f16/bf16 are the crate's own implementations,
//! not WGSL's built-ins (whose spec allows 2⁻¹¹ absolute error for sin/cos and 3 + 2|x| ULP for exp); the goal is
//! ≤ 2 ULP over the whole finite range, with exact special values. Measured maxima are in the README.

pub(crate) mod copy;
pub mod elementwise;
pub(crate) mod join;
pub(crate) mod matmul_kernel;
pub(crate) mod matmul_wgsl;
pub(crate) mod reduce_kernel;
pub(crate) mod reduce_wgsl;
pub(crate) mod view;

#[cfg(test)]
mod matmul_speed;
#[cfg(test)]
mod matmul_tests;
#[cfg(test)]
mod reduce_speed;
#[cfg(test)]
mod reduce_tests;
