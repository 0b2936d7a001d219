//! The crate's error type. Every failure reachable from the public API is one of these variants, with a message
//! that says what was wrong and what to do about it.

use crate::DType;

/// Everything that can go wrong in `wgpu-tensor`.
///
/// `#[non_exhaustive]`: new failure kinds may be added without a breaking change, so match with a `_` arm.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No GPU or software adapter could be found for the requested backends.
    #[error(
        "no wgpu adapter found (backends tried: {backends}). On headless Linux install a software Vulkan driver: \
         `apt-get install -y mesa-vulkan-drivers libvulkan1`; on Windows WARP (DX12) is built in; \
         or choose other backends with `WGPU_BACKEND` / `DeviceOptions::backends`"
    )]
    NoAdapter {
        /// The backends that were searched, as wgpu prints them.
        backends: String,
    },

    /// `DeviceOptions::adapter_name` (or `WGPU_ADAPTER_NAME`) matched no adapter.
    #[error("no adapter name contains {wanted:?}; adapters present: [{}]. Fix the name or leave it unset", available.join(", "))]
    AdapterNotFound {
        /// The substring that was searched for (case-insensitive).
        wanted: String,
        /// The names of the adapters that were present.
        available: Vec<String>,
    },

    /// The adapter refused to create a device.
    #[error("the adapter {adapter:?} refused to create a device: {reason}")]
    RequestDevice {
        /// The adapter's name.
        adapter: String,
        /// wgpu's reason.
        reason: String,
    },

    /// A host buffer's element count does not match the shape it was given.
    #[error("shape {shape:?} holds {expected} elements but {actual} were given")]
    ShapeMismatch {
        /// The requested shape.
        shape: Vec<usize>,
        /// The product of the dims.
        expected: usize,
        /// The number of elements supplied.
        actual: usize,
    },

    /// The product of a shape's dims (or its size in bytes) does not fit in `usize`.
    #[error("shape {shape:?} of {dtype} is too large: its size in bytes overflows usize")]
    ShapeOverflow {
        /// The requested shape.
        shape: Vec<usize>,
        /// The element type.
        dtype: DType,
    },

    /// A raw byte buffer's length is not `len × dtype size`.
    #[error("{actual} bytes given for {len} elements of {dtype}, which need {expected} bytes")]
    ByteLength {
        /// The element type.
        dtype: DType,
        /// The element count of the shape.
        len: usize,
        /// The bytes needed.
        expected: usize,
        /// The bytes given.
        actual: usize,
    },

    /// The array or tensor holds another element type than the one asked for.
    #[error("dtype mismatch: the data is {actual} but {expected} was asked for; use `cast` to convert it")]
    DTypeMismatch {
        /// The dtype that was asked for.
        expected: DType,
        /// The dtype that the data has.
        actual: DType,
    },

    /// A buffer would exceed the device's `max_buffer_size`.
    #[error(
        "{what} needs a buffer of {bytes} bytes but the device's max_buffer_size is {max_buffer_size} bytes; \
         split the data into smaller tensors or use an adapter with larger limits"
    )]
    TooLarge {
        /// What needed the buffer (e.g. "upload of a [1024, 1024] f32 tensor").
        what: String,
        /// The bytes needed.
        bytes: u64,
        /// The device's limit.
        max_buffer_size: u64,
    },

    /// The device ran out of memory while allocating a buffer.
    #[error("the device is out of memory allocating {bytes} bytes; free tensors or shrink the pools")]
    OutOfMemory {
        /// The size of the failed allocation.
        bytes: u64,
    },

    /// The device was lost (driver reset, GPU removed, or a fatal error); create a new [`Device`](crate::Device).
    #[error("the device was lost: {0}; create a new Device")]
    DeviceLost(String),

    /// Mapping a buffer for host access failed.
    #[error("mapping a buffer for host access failed: {0}")]
    BufferMap(String),

    /// wgpu reported a validation error: a bug in this crate or an adapter limit it did not foresee.
    #[error("wgpu validation error (please report this): {0}")]
    Gpu(String),

    /// `cast_checked` found elements whose value the cast would change.
    #[error(
        "lossy cast {from} -> {to}: {changed} of {total} elements would change value; \
         use `cast` (wrap) or `cast_with(.., CastPolicy::Saturate)` to accept it"
    )]
    LossyCast {
        /// The source dtype.
        from: DType,
        /// The target dtype.
        to: DType,
        /// How many elements would change value.
        changed: u64,
        /// How many elements were checked.
        total: u64,
    },

    /// Two tensors from different devices were combined.
    #[error("the tensor belongs to another Device; download it and upload it to this one")]
    DeviceMismatch,

    /// An operation was given arguments it cannot use: dims that do not match, a view that reaches outside its
    /// buffer, a dtype without a kernel, or sizes past the adapter's limits. The message names the op.
    #[error("{op}: {reason}")]
    InvalidArgument {
        /// The operation (e.g. "matmul").
        op: &'static str,
        /// What was wrong and what to do.
        reason: String,
    },

    /// An option was out of its valid range.
    #[error("invalid option: {0}")]
    InvalidOption(String),
}

/// `Result<T, wgpu_tensor::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;
