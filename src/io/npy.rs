//! `.npy` files: [`Array::read_npy`], [`Array::write_npy`] and [`Device::load_npy`] (mapped, one copy).

use std::io::Write;
use std::path::Path;

use wgpu::WriteOnly;

use super::FileAccess;
use super::file::FileData;
use super::npy_header::{NpyHeader, descr, read_header, write_header};
use super::source::{BAD_BOOL, RangeSource, ReorderSource, bools_ok};
use crate::tensor::upload_source;
use crate::transfer::HostSource;
use crate::{Array, DType, Device, DeviceTensor, Error, Result, Shape, TransferTrace};

const FORMAT: &str = ".npy";

impl Array {
    /// Reads a `.npy` file written by NumPy (`np.save`) or [`Array::write_npy`]: any supported dtype, little- or
    /// big-endian, C or Fortran order (converted to this crate's row-major little-endian layout), 0-d and empty
    /// arrays included. Data past the end of the array is ignored, as NumPy does.
    ///
    /// ```no_run
    /// let a = wgpu_tensor::Array::read_npy("weights.npy")?;
    /// # Ok::<(), wgpu_tensor::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::FileIo`]; [`Error::BadFile`] for a bad magic, version, header or dict, a shape that overflows, or
    /// data shorter than the shape says; [`Error::UnsupportedFileDType`] for complex, object, structured, string,
    /// datetime or void (e.g. ml_dtypes bfloat16) arrays.
    pub fn read_npy(path: impl AsRef<Path>) -> Result<Array> {
        let data = FileData::open(path.as_ref(), FORMAT, FileAccess::Read)?;
        array_from_npy(&data, None)
    }

    /// Writes the array as a version 1.0 `.npy` file (version 2.0 for a header over 64 KiB) that `np.load` reads.
    ///
    /// # Errors
    /// [`Error::UnsupportedFileDType`] for a `BF16` array (NumPy has no bfloat16: cast to f32, or use
    /// safetensors); [`Error::FileIo`] when the file cannot be written.
    pub fn write_npy(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let header = npy_header_for(self.dtype(), self.shape(), path, None)?;
        let io = |op, source| Error::FileIo { op, path: path.to_path_buf(), source };
        let mut file = std::fs::File::create(path).map_err(|e| io("creating", e))?;
        file.write_all(&header).map_err(|e| io("writing", e))?;
        file.write_all(self.as_bytes()).map_err(|e| io("writing", e))?;
        Ok(())
    }
}

/// The .npy header for an array of `dtype` and `shape`.
pub(crate) fn npy_header_for(dtype: DType, shape: &[usize], path: &Path, tensor: Option<&str>) -> Result<Vec<u8>> {
    let descr = descr(dtype).map_err(|hint| Error::UnsupportedFileDType {
        path: path.to_path_buf(),
        tensor: tensor.map(str::to_owned),
        dtype: dtype.to_string(),
        hint: hint.into(),
    })?;
    Ok(write_header(descr, shape))
}

/// Reads the .npy data in `data` (a file, or an .npz entry named `tensor`) into a new array.
pub(crate) fn array_from_npy(data: &FileData, tensor: Option<&str>) -> Result<Array> {
    let header = read_header(data, tensor)?;
    let mut array = Array::zeros(header.dtype, header.shape.as_slice())?;
    if header.is_plain() {
        data.read_at(header.data_offset, array.as_bytes_mut_unchecked(), tensor)?;
    } else {
        let raw = data.bytes(header.data_offset, header.data_len, tensor)?;
        reorder(&header, &raw).write_next(WriteOnly::from(array.as_bytes_mut_unchecked()));
    }
    if header.dtype == DType::Bool && !bools_ok(array.as_bytes()) {
        return Err(data.bad(tensor, BAD_BOOL));
    }
    Ok(array)
}

fn reorder<'a>(header: &NpyHeader, raw: &'a [u8]) -> ReorderSource<'a> {
    let size = header.dtype.size_in_bytes();
    ReorderSource::new(raw, &header.shape, size, header.big_endian && size > 1, header.fortran)
}

impl Device {
    /// Loads a `.npy` file onto this device: the file is memory-mapped and its data copied once, straight into the
    /// device's mapped storage or staging memory. Big-endian data is byte-swapped and Fortran-order data
    /// transposed on the way, in the same single pass.
    ///
    /// The map assumes no other process truncates the file meanwhile (see the [`io`](crate::io) module docs);
    /// use [`load_npy_with`](Device::load_npy_with)`(path, FileAccess::Read)` where that cannot be ruled out.
    ///
    /// # Errors
    /// As [`Array::read_npy`], and the errors of [`Device::upload`].
    pub fn load_npy(&self, path: impl AsRef<Path>) -> Result<DeviceTensor> {
        self.load_npy_with(path, FileAccess::Mapped)
    }

    /// [`load_npy`](Device::load_npy) with a choice of how the file is read. With [`FileAccess::Read`], a plain
    /// (little-endian, C-order) file is read with `pread` straight into device memory; a big-endian or
    /// Fortran-order one is first read into host memory (one more copy) to be reordered.
    ///
    /// # Errors
    /// As [`load_npy`](Device::load_npy).
    pub fn load_npy_with(&self, path: impl AsRef<Path>, access: FileAccess) -> Result<DeviceTensor> {
        Ok(load_npy_impl(self, path.as_ref(), access, false)?.0)
    }

    /// [`load_npy_with`](Device::load_npy_with), also returning the transfer's path and copies, with times.
    ///
    /// # Errors
    /// As [`load_npy`](Device::load_npy).
    pub fn load_npy_traced(&self, path: impl AsRef<Path>, access: FileAccess) -> Result<(DeviceTensor, TransferTrace)> {
        load_npy_impl(self, path.as_ref(), access, true)
    }
}

/// `traced`: wait for the GPU's copies so that the trace's times are complete (staging path).
fn load_npy_impl(
    device: &Device,
    path: &Path,
    access: FileAccess,
    traced: bool,
) -> Result<(DeviceTensor, TransferTrace)> {
    let data = FileData::open(path, FORMAT, access)?;
    let header = read_header(&data, None)?;
    let shape = Shape::from(header.shape.as_slice());
    let is_bool = header.dtype == DType::Bool;
    if header.is_plain() {
        let mut source = RangeSource::new(&data, header.data_offset, header.data_len, is_bool, None);
        let uploaded = pollster::block_on(upload_source(device, &mut source, header.dtype, shape, traced));
        source.finish()?;
        return uploaded;
    }
    let raw = data.bytes(header.data_offset, header.data_len, None)?;
    if is_bool && !bools_ok(&raw) {
        return Err(data.bad(None, BAD_BOOL));
    }
    let mut source = reorder(&header, &raw);
    pollster::block_on(upload_source(device, &mut source, header.dtype, shape, traced))
}
