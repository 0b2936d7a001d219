//! Operations that compute on the device, one file per family (the public methods are on
//! [`DeviceTensor`](crate::DeviceTensor)). Each family works on storage and layouts: it plans the kernels, allocates
//! the output from the pool and records on the device's stream.
//!
//! # Elementwise semantics
//!
//! Binary ops broadcast with numpy's rules and need equal dtypes (no silent promotion: cast first). The rules,
//! tested bit for bit against the host reference [`reference`](crate::reference) on every dtype (exhaustively for
//! 8-bit pairs and 16-bit inputs, on 10⁶ random and edge pairs for the wider dtypes; `tests/elementwise.rs`):
//!
//! | dtype | rule |
//! |---|---|
//! | integers (all eight; 64-bit as u32 pairs without SHADER_INT64) | `add sub mul neg abs square` wrap like Rust's `wrapping_*`; `div` truncates toward zero and `rem` takes the dividend's sign; `x / 0 = 0` and `x % 0 = 0` (numpy); `MIN / -1 = MIN`; `shl`/`shr` take the count modulo the bit width, `shr` is arithmetic for signed types; `floor ceil round trunc` return the value |
//! | f32 | `add sub mul div sqrt recip square` correctly rounded (bit-exact against Rust `f32`; WGSL's 2.5-ULP division and approximate sqrt are corrected in integers); subnormal inputs and outputs kept; `rem` exact (`fmod`); NaN in → NaN out (a NaN operand is propagated, quieted; invalid operations give the default NaN). Native `+ − ×` are used only where a per-device probe shows them bit-identical (never with `native_extensions: false`) |
//! | f16, bf16 | computed in f32 and rounded once: correctly rounded for `+ − × ÷ sqrt` because f32 has more than 2p + 2 bits |
//! | f64 | emulated on u32 pairs without SHADER_F64: `add sub mul div sqrt rem`, comparisons, `minimum maximum`, `floor ceil round trunc` bit-exact against Rust `f64`; transcendentals are refused with a typed error (never computed in f32) |
//! | floats | `minimum`/`maximum` propagate NaN and order −0 < +0 (PyTorch); comparisons are IEEE (NaN unequal to itself, −0 == +0); `round` is half to even; `sign` keeps ±0 and NaN; `relu(NaN) = NaN`, `relu(−0) = +0` |
//! | Bool | `bitand bitor bitxor not` are logical; results are always 0 or 1; arithmetic is refused (cast first) |
//!
//! Transcendentals (`exp log sin cos tanh sigmoid gelu`) on f32/f16/bf16 are the crate's own implementations,
//! not WGSL's built-ins (whose spec allows 2⁻¹¹ absolute error for sin/cos and 3 + 2|x| ULP for exp); the goal is
//! ≤ 2 ULP over the whole finite range, with exact special values. f16/bf16 results are the f32 result rounded once,
//! so within 1 ULP of the true value (faithful), and almost always the correctly rounded one.
//!
//! Measured through `DeviceTensor::unary` against the f64 reference
//! ([`reference::unary_f64`](crate::reference::unary_f64)): the max error in ULPs of the dtype, f32 over 10⁶ inputs
//! spread over each function's range, f16/bf16 over every input; in parentheses how many results differ from the
//! correctly rounded value; beside WGSL's built-in on the same inputs (sigmoid: `1 / (1 + exp(-x))`; gelu: the tanh
//! approximation). Mesa llvmpipe 22.3.6 (LLVM 15), Vulkan and GL alike
//! (`cargo test --release --test elementwise_accuracy -- --ignored --nocapture`):
//!
//! | function | f32 ours | f32 built-in | f16 ours | f16 built-in | bf16 ours | bf16 built-in |
//! |---|---|---|---|---|---|---|
//! | exp | 0.970 (50 087 of 10⁶) | 8.4 × 10⁶ | 0.500 (2 of 65 536) | 0.5003 | 0.500 (0) | 109 |
//! | log | 0.790 (41 097) | 6.1 × 10⁶ | 0.500 (1) | 0.5003 | 0.500 (0) | 8.4 |
//! | sin | 1.011 (38 704) | 5.5 × 10¹¹ | 0.500 (4) | 0.500 | 0.500 (0) | 5.2 × 10⁵ |
//! | cos | 1.030 (38 745) | 2.2 × 10¹² | 0.500 (2) | 0.500 | 0.500 (0) | 1.0 × 10⁶ |
//! | tanh | 1.262 (15 321) | 2.6 × 10⁸ | 0.500 (0) | 1.0 (Vulkan), inf (GL) | 0.498 (0) | 3 × 10³² (Vulkan), inf (GL) |
//! | sigmoid | 1.183 (111 775) | 2.1 × 10⁶ | 0.500 (7) | 0.5003 | 0.500 (0) | 24 |
//! | gelu | 1.527 (74 741) | 1.7 × 10⁷ | 0.500 (3) | inf | 0.500 (0) | inf |

pub(crate) mod copy;
pub mod elementwise;
pub(crate) mod join;
pub(crate) mod matmul_cpu_wgsl;
pub(crate) mod matmul_kernel;
pub(crate) mod matmul_wgsl;
pub(crate) mod reduce_exact;
mod reduce_interleave;
pub(crate) mod reduce_kernel;
mod reduce_leaf;
pub(crate) mod reduce_split;
mod reduce_tree;
pub(crate) mod reduce_wgsl;
pub(crate) mod view;

#[cfg(test)]
mod matmul_speed;
#[cfg(test)]
mod matmul_tests;
#[cfg(test)]
mod reduce_exact_tests;
#[cfg(test)]
mod reduce_interleave_tests;
#[cfg(test)]
mod reduce_tests;
#[cfg(test)]
mod reduce_tree_tests;
