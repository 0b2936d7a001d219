//! Writing safetensors files: the header, then each tensor downloaded straight into the file's mapped pages.

use std::fs::{File, OpenOptions};
use std::path::Path;

use super::safetensors::dtype_name;
use crate::tensor::download_bytes;
use crate::{DeviceTensor, Error, Result};

/// Writes `tensors` to a safetensors file at `path` (created or replaced), in the given order. Each tensor is
/// downloaded straight into the file's memory-mapped pages: one device → host copy, no intermediate buffer.
///
/// ```no_run
/// # let device = wgpu_tensor::Device::new()?;
/// let w = device.upload(&wgpu_tensor::Array::from_vec(vec![1.0f32, 2.0], [2])?)?;
/// wgpu_tensor::io::save_safetensors("out.safetensors", &[("w", &w)])?;
/// # Ok::<(), wgpu_tensor::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidOption`] for a duplicate name or the reserved name `__metadata__`; [`Error::FileIo`] when the
/// file cannot be created, sized (the disk is full) or mapped; the errors of [`DeviceTensor::download`].
pub fn save_safetensors(path: impl AsRef<Path>, tensors: &[(&str, &DeviceTensor)]) -> Result<()> {
    save_safetensors_with_metadata(path, tensors, &[])
}

/// [`save_safetensors`] with `__metadata__` string pairs in the header (read back with
/// [`Safetensors::metadata`](super::Safetensors::metadata)).
///
/// # Errors
/// As [`save_safetensors`]; [`Error::InvalidOption`] for a duplicate metadata key.
pub fn save_safetensors_with_metadata(
    path: impl AsRef<Path>,
    tensors: &[(&str, &DeviceTensor)],
    metadata: &[(&str, &str)],
) -> Result<()> {
    let path = path.as_ref();
    let header = header_bytes(tensors, metadata)?;
    let data_len: u64 = tensors.iter().map(|(_, t)| t.size_in_bytes() as u64).sum();
    let total = 8 + header.len() as u64 + data_len;
    let io = |op, source| Error::FileIo { op, path: path.to_path_buf(), source };
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)
        .map_err(|e| io("creating", e))?;
    reserve(&file, total).map_err(|e| io("reserving disk space for", e))?;
    // SAFETY: we created and sized the file; its blocks are reserved (no SIGBUS for a full disk on Linux), and
    // the map lives only inside this function.
    let mut map = unsafe { memmap2::MmapMut::map_mut(&file) }.map_err(|e| io("memory-mapping", e))?;
    map[..8].copy_from_slice(&(header.len() as u64).to_le_bytes());
    map[8..8 + header.len()].copy_from_slice(&header);
    let mut at = 8 + header.len();
    for (_, tensor) in tensors {
        let end = at + tensor.size_in_bytes();
        pollster::block_on(download_bytes(tensor, &mut map[at..end]))?;
        at = end;
    }
    Ok(())
}

/// The header JSON, padded with spaces to a multiple of 8 bytes (so the data section is 8-byte aligned).
fn header_bytes(tensors: &[(&str, &DeviceTensor)], metadata: &[(&str, &str)]) -> Result<Vec<u8>> {
    let invalid = |what: String| Error::InvalidOption(format!("save_safetensors: {what}"));
    let mut names = std::collections::HashSet::new();
    let mut json = String::from("{");
    if !metadata.is_empty() {
        let mut keys = std::collections::HashSet::new();
        let members: Vec<String> = metadata
            .iter()
            .map(|(k, v)| {
                if !keys.insert(*k) {
                    return Err(invalid(format!("the metadata key {k:?} appears twice")));
                }
                Ok(format!("{}:{}", quote(k), quote(v)))
            })
            .collect::<Result<_>>()?;
        json += &format!("\"__metadata__\":{{{}}}", members.join(","));
    }
    let mut offset = 0usize;
    for (name, tensor) in tensors {
        if *name == "__metadata__" {
            return Err(invalid("\"__metadata__\" is reserved for the metadata; rename the tensor".into()));
        }
        if !names.insert(*name) {
            return Err(invalid(format!("the name {name:?} appears twice; names must be unique")));
        }
        if json.len() > 1 {
            json.push(',');
        }
        let end = offset + tensor.size_in_bytes();
        json += &format!(
            "{}:{{\"dtype\":\"{}\",\"shape\":{:?},\"data_offsets\":[{offset},{end}]}}",
            quote(name),
            dtype_name(tensor.dtype()),
            tensor.shape()
        );
        offset = end;
    }
    json.push('}');
    let padded = json.len().next_multiple_of(8);
    let mut bytes = json.into_bytes();
    bytes.resize(padded, b' ');
    Ok(bytes)
}

/// A JSON string literal.
fn quote(s: &str) -> String {
    serde_json::Value::from(s).to_string()
}

/// Sizes the file to `len` bytes with its blocks allocated, so a full disk is an error here rather than a SIGBUS
/// when the mapped pages are written.
fn reserve(file: &File, len: u64) -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        if len > 0 {
            // SAFETY: a plain system call on an open descriptor.
            let rc = unsafe { libc::posix_fallocate(file.as_raw_fd(), 0, len as libc::off_t) };
            match rc {
                0 => return Ok(()),
                // Filesystems without fallocate: fall back to a sparse size.
                libc::EOPNOTSUPP | libc::EINVAL => {}
                e => return Err(std::io::Error::from_raw_os_error(e)),
            }
        }
    }
    file.set_len(len)
}
