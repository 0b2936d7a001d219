//! Files straight to the device: safetensors, `.npy` and `.npz`.
//!
//! A tensor in a file reaches device memory with **one** host-side copy: from the file (its memory map, or the
//! page cache through `pread`) straight into the device's mapped storage buffer or staging chunk — no `Vec`, no
//! [`Array`](crate::Array) in between. Dtype conversions happen after the upload, exactly, on the device
//! ([`Safetensors::upload_as`]).
//!
//! ```no_run
//! use wgpu_tensor::{DType, Device, io::Safetensors};
//! let device = Device::new()?;
//! let file = Safetensors::open("model.safetensors")?; // mapped; header fully validated
//! let weights = file.upload_all(&device)?; // one copy per tensor
//! let emb = file.upload_as(&device, "embed.weight", DType::F32)?; // bf16 up, exact cast on the device
//! let x = device.load_npy("x.npy")?; // mapped, one copy (swapped/transposed on the way if needed)
//! wgpu_tensor::io::save_safetensors("out.safetensors", &[("emb", &emb), ("x", &x)])?;
//! # Ok::<(), wgpu_tensor::Error>(())
//! ```
//!
//! # Formats
//!
//! - **safetensors** ([`Safetensors`], [`save_safetensors`]): an 8-byte little-endian header length, a JSON
//!   header (`{"name": {"dtype", "shape", "data_offsets"}, "__metadata__": {..}}`), then the data.
//!   [`Safetensors::open`] validates everything before any data is read: the header length (at most 100 MB, inside the
//!   file), the JSON, each dtype, each shape (no overflow; its size equals its byte range), and the byte ranges (in
//!   order, not overlapping, tiling the data section exactly, as the reference implementation requires), and unique
//!   names. Names are kept in header order. Our writer pads the header to 8 bytes like the reference writer.
//! - **`.npy`** ([`Array::read_npy`](crate::Array::read_npy), [`Array::write_npy`](crate::Array::write_npy),
//!   [`Device::load_npy`](crate::Device::load_npy)): versions 1.0, 2.0 and 3.0; little- and big-endian data;
//!   C and Fortran order (big-endian data is byte-swapped and Fortran-order data transposed on the host, in the
//!   same single pass that writes the device memory, through a small block on the stack). Our writer writes
//!   version 1.0 (2.0 for a header over 64 KiB), little-endian, C order, data 64-byte aligned, as NumPy does.
//! - **`.npz`** ([`read_npz`], [`write_npz`]): a zip of `.npy` entries; stored and deflate entries are read,
//!   stored ones written (like `np.savez`). Entries are decompressed into memory first: a zip entry cannot be
//!   mapped.
//!
//! # Dtypes
//!
//! | DType | safetensors | NumPy `descr` |
//! |---|---|---|
//! | Bool | `BOOL` | `\|b1` |
//! | U8 / I8 | `U8` / `I8` | `\|u1` / `\|i1` |
//! | U16 / I16 | `U16` / `I16` | `<u2` / `<i2` |
//! | U32 / I32 | `U32` / `I32` | `<u4` / `<i4` |
//! | U64 / I64 | `U64` / `I64` | `<u8` / `<i8` |
//! | F16 | `F16` | `<f2` |
//! | BF16 | `BF16` | — (see below) |
//! | F32 / F64 | `F32` / `F64` | `<f4` / `<f8` |
//!
//! Big-endian `>` forms of the NumPy codes are read (and swapped); `=` (native order) only for one-byte types.
//! Safetensors' `F8_E4M3`, `F8_E5M2`, `F8_E8M0`, `F4`, `F6_*`, `C64` and `C128` tensors do not stop a file from
//! opening, but asking for such a tensor is an [`Error::UnsupportedFileDType`](crate::Error::UnsupportedFileDType)
//! naming it; an unknown dtype name makes the file invalid. NumPy complex, object, structured, string, datetime
//! and void arrays are an `UnsupportedFileDType`.
//!
//! **bfloat16 in `.npy`**: NumPy has no bfloat16. ml_dtypes saves one as untyped 2-byte void (`<V2`), so the file
//! does not say it is bfloat16: we reject `<V2` with an error saying so, rather than guess, and
//! [`Array::write_npy`](crate::Array::write_npy) of a BF16 array is an error too (NumPy could not read it back).
//! Use safetensors for bfloat16, or cast to f32.
//!
//! A Bool tensor must hold the bytes 0 and 1 only (the crate's invariant); another byte is a
//! [`Error::BadFile`](crate::Error::BadFile). Checking it costs one read of bool tensors through a small block.
//!
//! # Mapping, `pread`, and files that change underneath
//!
//! [`FileAccess::Mapped`] (the default of [`Safetensors::open`] and [`Device::load_npy`](crate::Device::load_npy))
//! memory-maps the file. That **assumes no other process truncates or rewrites the file while it is open**: the
//! kernel answers a read of a page past the new end of a mapped file with SIGBUS, which kills the process, and a
//! library cannot catch that safely. We shrink the window to the copy itself: before each tensor is copied, the
//! file's size is checked again, and its pages are mapped in one call (Linux `MADV_POPULATE_READ`, which also measured
//! faster here than taking a page fault every few pages), whose failure on missing pages is reported too; a file that
//! shrank since it was opened is an [`Error::BadFile`](crate::Error::BadFile) — but a truncation *during* a copy
//! still raises SIGBUS.
//!
//! [`FileAccess::Read`] maps nothing: each tensor is read with positioned reads (`pread`) **straight into the
//! device's mapped memory** — still one host-side copy (page cache → device memory, done by the kernel), and a
//! file truncated at any moment is a short read, reported as a `BadFile` ("the file shrank"). The price: the
//! kernel's copy is slower than a user-space memcpy (measured here: a warm 1 GiB load at ~0.75–0.8× the mapped
//! one; `pread` alone ran at ~0.4× memcpy on this machine, whatever the read size). Choose it for files that may
//! change while they are read (files being written, network file systems, files owned by other programs).
//! [`Array::read_npy`](crate::Array::read_npy) and [`Safetensors::array`] into host memory read the same way (no SIGBUS
//! there either) when opened with `FileAccess::Read`; `read_npy` always does. Writing ([`save_safetensors`]) maps the
//! output file after reserving its blocks with `posix_fallocate`, so a full disk is an `Error::FileIo`, not a SIGBUS
//! (on Linux; elsewhere the file is sized with `set_len`).

mod file;
mod header;
mod npy;
mod npy_header;
mod npz;
mod safetensors;
mod safetensors_write;
mod source;

pub use npz::{read_npz, write_npz};
pub use safetensors::Safetensors;
pub use safetensors_write::{save_safetensors, save_safetensors_with_metadata};

/// How a file's tensor data is read (see the [module docs](self) on SIGBUS).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum FileAccess {
    /// Memory-map the file (memmap2) and copy out of the map. Assumes no other process truncates the file while
    /// it is open.
    #[default]
    Mapped,
    /// Positioned reads (`pread`) straight into device (or host) memory; safe against a file truncated meanwhile.
    Read,
}

/// Where [`Safetensors::upload_all_with_progress`] stands, passed to its callback after each tensor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoadProgress<'a> {
    /// The tensor just uploaded.
    pub name: &'a str,
    /// Its index in file order.
    pub index: usize,
    /// The number of tensors.
    pub count: usize,
    /// Bytes uploaded so far, this tensor included.
    pub bytes_done: u64,
    /// Bytes of all tensors.
    pub bytes_total: u64,
}
