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

    /// The element count of some data does not match the shape it was given (a constructor's buffer, or the
    /// array or tensor being reshaped).
    #[error(
        "shape {shape:?} holds {expected} elements but the data has {actual}; give a shape whose dims multiply to \
         {actual}"
    )]
    ShapeMismatch {
        /// The requested shape.
        shape: Vec<usize>,
        /// The product of the dims.
        expected: usize,
        /// The number of elements in the data.
        actual: usize,
    },

    /// The product of a shape's dims, or its size in bytes, exceeds `isize::MAX`: more than any allocation can hold.
    #[error(
        "shape {shape:?} of {dtype} is too large: its element count or size in bytes exceeds isize::MAX, more than \
         any allocation can hold; use smaller dims"
    )]
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

    /// An argument of a tensor operation is out of its valid range: a dim, a slice, a permutation, a length.
    #[error("{op}: {reason}")]
    InvalidArgument {
        /// The operation (e.g. `"narrow"`).
        op: &'static str,
        /// What was wrong, naming the offending dims, shapes or indices.
        reason: String,
    },

    /// Two shapes do not broadcast together (numpy's rules: aligned at the end, each pair equal or one of them 1).
    #[error(
        "{op}: shapes {lhs:?} and {rhs:?} do not broadcast (numpy rules: dims align at the end and each pair must be equal or 1)"
    )]
    Broadcast {
        /// The operation.
        op: &'static str,
        /// The first shape.
        lhs: Vec<usize>,
        /// The second shape (for `broadcast_to`: the target).
        rhs: Vec<usize>,
    },

    /// `reshape` to a shape with another element count.
    #[error("reshape: shape {from:?} cannot become {to:?}: the element counts differ")]
    ReshapeMismatch {
        /// The tensor's shape.
        from: Vec<usize>,
        /// The requested shape.
        to: Vec<usize>,
    },

    /// Tensors of one operation disagree in dtype (`cat`, `stack`, binary ops: no silent promotion).
    #[error("{op}: dtypes {lhs} and {rhs} differ; cast one of them first (no implicit promotion)")]
    OpDTypeMismatch {
        /// The operation.
        op: &'static str,
        /// The first dtype.
        lhs: DType,
        /// The other dtype.
        rhs: DType,
    },

    /// An operation does not apply to a dtype (e.g. an index tensor that is not an integer).
    #[error("{op}: {reason}")]
    UnsupportedDType {
        /// The operation.
        op: &'static str,
        /// The dtype given.
        dtype: DType,
        /// What is accepted and what to do.
        reason: String,
    },

    /// An index tensor holds values outside the dim it indexes (detected on the device; nothing was read outside
    /// the tensor).
    #[error("{op}: {count} indices are outside dim {dim} of length {len} (valid: 0..{len})")]
    IndexOutOfRange {
        /// The operation.
        op: &'static str,
        /// The indexed dim.
        dim: usize,
        /// Its length.
        len: usize,
        /// How many indices were out of range.
        count: u64,
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
    #[error("{op}: the tensors belong to different Devices; move one with `to_device` first")]
    DeviceMismatch {
        /// The operation.
        op: &'static str,
    },

    /// An option was out of its valid range.
    #[error("invalid option: {0}")]
    InvalidOption(String),

    // ---- Added for issue 11 (reliability). ----
    /// The host allocator refused memory for an array or a copy of one (a process or system memory limit).
    #[error(
        "out of host memory: {what} needs {bytes} bytes and the allocator refused them; free memory, raise the \
         process's memory limit or work on smaller pieces"
    )]
    HostOutOfMemory {
        /// What needed the memory (e.g. `"a u8 array of shape [1099511627776]"`).
        what: String,
        /// The size of the failed allocation in bytes.
        bytes: usize,
    },

    /// `ndarray` cannot represent the shape: the product of its non-zero dims exceeds `isize::MAX` (ndarray's limit,
    /// even for an empty array such as `[0, usize::MAX]`).
    #[error(
        "ndarray cannot hold shape {shape:?}: the product of its non-zero dims exceeds isize::MAX (ndarray's limit, \
         even for an empty array); reshape the array before converting it"
    )]
    NdarrayShape {
        /// The array's shape.
        shape: Vec<usize>,
    },

    /// An output array given to an operation (e.g. `download_into`) has another dtype or shape than the result.
    #[error(
        "{op}: the output array is {actual_dtype} of shape {actual_shape:?} but the result is {expected_dtype} of \
         shape {expected_shape:?}; pass an array of that dtype and shape (e.g. from `Array::zeros`)"
    )]
    OutputMismatch {
        /// The operation (e.g. "download_into").
        op: &'static str,
        /// The result's dtype.
        expected_dtype: DType,
        /// The result's shape.
        expected_shape: Vec<usize>,
        /// The output array's dtype.
        actual_dtype: DType,
        /// The output array's shape.
        actual_shape: Vec<usize>,
    },

    // ---- files (safetensors, .npy, .npz: the `io` module) ----
    /// The operating system failed to open, read, write or map a file.
    #[error("{op} {}: {source}; check the path, its permissions and the free disk space", path.display())]
    FileIo {
        /// What was being done (e.g. "opening", "reading", "writing").
        op: &'static str,
        /// The file.
        path: std::path::PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },

    /// A file is not a valid file of its format (truncated, a bad header, offsets that do not add up, a file
    /// that shrank while it was read).
    #[error(
        "{}: not a valid {format} file{}: {reason}. The file is damaged or was not written by a {format} writer; \
         write it again",
        path.display(), tensor_suffix(tensor.as_deref())
    )]
    BadFile {
        /// The format: "safetensors", ".npy" or ".npz".
        format: &'static str,
        /// The file.
        path: std::path::PathBuf,
        /// The tensor (or .npz entry) concerned, when known.
        tensor: Option<String>,
        /// What is wrong.
        reason: String,
    },

    /// A tensor in a file has a dtype that this crate does not hold (e.g. `F8_E4M3`, `complex64`, object or
    /// structured arrays), or a dtype the file format cannot store.
    #[error("{}{}: dtype {dtype} is not supported: {hint}", path.display(), tensor_suffix(tensor.as_deref()))]
    UnsupportedFileDType {
        /// The file.
        path: std::path::PathBuf,
        /// The tensor concerned, when known.
        tensor: Option<String>,
        /// The dtype as the file spells it (or as this crate names it, when writing).
        dtype: String,
        /// What to do instead.
        hint: String,
    },

    /// A file holds no tensor of the name asked for.
    #[error("{}: no tensor named {name:?} (the file holds {count} tensors; `names()` lists them)", path.display())]
    TensorNotFound {
        /// The file.
        path: std::path::PathBuf,
        /// The name asked for.
        name: String,
        /// How many tensors the file holds.
        count: usize,
    },
}

/// `" (tensor \"name\")"`, or nothing when the tensor is unknown.
fn tensor_suffix(tensor: Option<&str>) -> String {
    tensor.map(|t| format!(" (tensor {t:?})")).unwrap_or_default()
}

/// `Result<T, wgpu_tensor::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;
