//! Tensors on the GPU through [wgpu]: explicit, measured host ↔ device copies and exact dtype casts on any adapter
//! (Vulkan, Metal, DX12, GL, or a software adapter such as Mesa lavapipe).
//!
//! ```
//! use wgpu_tensor::{Array, DType, Device};
//!
//! let device = Device::new()?; // best adapter; a software one when there is no GPU
//! let ints = Array::from_vec(vec![1i64, -2, 16_777_217, i64::MAX], [2, 2])?;
//! let tensor = device.upload(&ints)?; // copy: host -> device
//! let floats = tensor.cast(DType::F32)?; // exact, on the device, no 64-bit shader support needed
//! let back = floats.download()?; // copy: device -> host
//! assert_eq!(back.to_vec::<f32>()?, [1.0, -2.0, 16_777_216.0, 9.223372e18]);
//! # Ok::<(), wgpu_tensor::Error>(())
//! ```
//!
//! # The copy contract
//!
//! A host array lives in pageable process memory that the GPU cannot address, and wgpu (like WebGPU) cannot wrap
//! host memory as a GPU buffer. So moving data between host and device is always a copy, and this crate makes it
//! explicit:
//!
//! - [`Device::upload`] returns a [`DeviceTensor`] that shares nothing with the [`Array`]: changing the array
//!   afterwards never changes the tensor, and no lifetime ties them.
//! - [`DeviceTensor::download`] returns a fresh `Array`; nothing aliases device memory.
//! - Host-side sharing exists only where Rust makes it safe: a borrowed ndarray view cannot be mutated while it is
//!   borrowed (a compile error, not a surprise at run time).
//! - Dtypes never change silently: [`Array::to_vec`] of the wrong type is an [`Error::DTypeMismatch`]; conversions
//!   are [`DeviceTensor::cast`] (exact, on the device) or [`Array::cast`] (exact, on the host).
//!
//! Compare: PyTorch's `from_numpy` aliases while `torch.tensor` copies; TensorFlow may alias a NumPy array on the
//! CPU depending on its alignment; JAX silently turns int64 into int32.
//!
//! # Data model
//!
//! Thirteen [`DType`]s. An [`Array`] is contiguous row-major little-endian bytes. A [`DeviceTensor`] is a shared
//! storage buffer holding elements packed into 32-bit words (4 one-byte or 2 two-byte elements per word, 64-bit
//! elements as two words, low word first), so every dtype round-trips byte-identically on every adapter with no
//! shader feature, plus a [`Layout`] — dims, signed strides in elements, an offset — saying which elements of the
//! storage the tensor is. Tensors are immutable values: `clone` and every view (`permute`, `transpose`, `narrow`,
//! `slice` with ndarray's `s![]`, `broadcast_to`, `squeeze`, `unsqueeze`, `reshape` where the strides allow) share
//! the storage and run nothing on the device; `contiguous`, `cat`, `stack`, `index_select` copy with one
//! strided-copy kernel. Every operation accepts every layout.
//!
//! # The stream
//!
//! Each device records operations into one open command encoder and submits them in batches: when a download or
//! a map needs the results, at [`Device::synchronize`], before the host writes a buffer, or every 128 dispatches.
//! A chain of a thousand small ops costs a handful of submits and no waits. Buffer maps and async downloads are
//! completed by a poller thread per device (parked while nothing is pending), so awaiting costs no CPU. Errors of
//! queued work surface at the next waiting call.
//!
//! # Compute
//!
//! Elementwise ops on every dtype with numpy broadcasting (`add` … `pow`, bitwise ops, shifts, comparisons,
//! `neg` … `gelu`, `where_cond`, `clamp`), exact where the rule is exact — integers wrap like Rust, f32 `+ − × ÷ √`
//! are correctly rounded, f16/bf16 round once from f32, f64 is emulated on u32 pairs without SHADER_F64 — and
//! transcendentals of our own within 2 ULP: the rules are in the [`ops`] module. Reductions (`sum`, `prod`,
//! `mean`, `max`, `min`, `argmax`, `argmin`, `any`, `all`) use a fixed tree: the same bits on every run.
//! `matmul` follows numpy's semantics and reads transposed operands in place. Both take f64 on every adapter
//! (emulated on u32 pairs, each step correctly rounded).
//!
//! # Casts
//!
//! The exact rules for all 13 × 13 pairs, what counts as lossy, and why WGSL's built-in conversions are not used:
//! see the [`cast`] module.
//!
//! # Files
//!
//! safetensors, `.npy` and `.npz` straight between files and device memory (one host-side copy, casts on the
//! device): see the [`io`] module.
//!
//! # Errors
//!
//! Every failure reachable from the public API is an [`Error`] whose message says what was wrong and what to do;
//! bad shapes, wrong dtypes, over-limit sizes, out-of-memory and device loss never panic.

#![warn(missing_docs)]

mod array;
pub mod cast;
mod device;
mod dtype;
mod error;
pub mod io;
mod kernels;
mod layout;
mod memory;
mod ndarray_interop;
pub mod ops;
pub mod reference;
mod shape;
mod tensor;
mod transfer;

pub use array::Array;
pub use cast::{CastPolicy, cast_bits, cast_is_lossy};
pub use device::adapter::list_adapters;
pub use device::{Device, DeviceInfo, DeviceOptions};
pub use dtype::{DType, Element, FloatFormat};
pub use error::{Error, Result};
pub use layout::Layout;
pub use memory::PoolStats;
pub use ops::elementwise::{BinaryOp, UnaryOp};
pub use shape::{IntoShape, Shape, broadcast_shapes};
pub use tensor::DeviceTensor;
pub use transfer::{CopyStep, Location, TransferPath, TransferTrace};
pub use wgpu;
