//! [`Safetensors`]: a safetensors file opened for reading — header parsed and fully validated at open, each tensor
//! copied once from the file straight into device memory.

use std::collections::HashMap;
use std::path::Path;

use serde_json::Value;

use super::file::FileData;
use super::header::{HEADER_LIMIT, OrderedObject};
use super::source::{BAD_BOOL, RangeSource, bools_ok};
use super::{FileAccess, LoadProgress};
use crate::tensor::upload_source;
use crate::{Array, DType, Device, DeviceTensor, Error, Result, Shape, TransferTrace};

const FORMAT: &str = "safetensors";

/// A dtype name of the safetensors format: ours, or one this crate does not hold (kept so the file still opens
/// and the error names the tensor when it is asked for).
#[derive(Clone, Copy, Debug)]
enum FileDType {
    Ours(DType),
    Other { name: &'static str, bits: u64 },
}

/// Maps a safetensors dtype name; `None` for a name the format does not define.
fn file_dtype(name: &str) -> Option<FileDType> {
    use DType::*;
    let ours = match name {
        "BOOL" => Bool,
        "U8" => U8,
        "I8" => I8,
        "U16" => U16,
        "I16" => I16,
        "U32" => U32,
        "I32" => I32,
        "U64" => U64,
        "I64" => I64,
        "F16" => F16,
        "BF16" => BF16,
        "F32" => F32,
        "F64" => F64,
        _ => {
            const OTHERS: [(&str, u64); 8] = [
                ("F8_E4M3", 8),
                ("F8_E5M2", 8),
                ("F8_E8M0", 8),
                ("F4", 4),
                ("F6_E2M3", 6),
                ("F6_E3M2", 6),
                ("C64", 64),
                ("C128", 128),
            ];
            return OTHERS.iter().find(|(n, _)| *n == name).map(|&(name, bits)| FileDType::Other { name, bits });
        }
    };
    Some(FileDType::Ours(ours))
}

/// The safetensors name of a dtype.
pub(crate) fn dtype_name(dtype: DType) -> &'static str {
    use DType::*;
    match dtype {
        Bool => "BOOL",
        U8 => "U8",
        I8 => "I8",
        U16 => "U16",
        I16 => "I16",
        U32 => "U32",
        I32 => "I32",
        U64 => "U64",
        I64 => "I64",
        F16 => "F16",
        BF16 => "BF16",
        F32 => "F32",
        F64 => "F64",
    }
}

/// One tensor of the header, with absolute byte offsets in the file.
#[derive(Clone, Debug)]
struct Entry {
    name: String,
    dtype: FileDType,
    shape: Vec<usize>,
    start: u64,
    end: u64,
}

/// A safetensors file, opened and validated: names, dtypes and shapes from its header, and each tensor's bytes
/// copied once from the file into device memory on [`upload`](Safetensors::upload).
///
/// ```no_run
/// use wgpu_tensor::{DType, Device, io::Safetensors};
/// let device = Device::new()?;
/// let file = Safetensors::open("model.safetensors")?;
/// for name in file.names() {
///     println!("{name}: {} {:?}", file.dtype(name)?, file.shape(name)?);
/// }
/// let w = file.upload_as(&device, "embed.weight", DType::F32)?; // bf16 bytes up, exact cast on the device
/// # Ok::<(), wgpu_tensor::Error>(())
/// ```
pub struct Safetensors {
    data: FileData,
    entries: Vec<Entry>,
    index: HashMap<String, usize>,
    metadata: Vec<(String, String)>,
}

impl std::fmt::Debug for Safetensors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Safetensors")
            .field("path", &self.data.path())
            .field("tensors", &self.entries.len())
            .field("metadata", &self.metadata)
            .finish()
    }
}

impl Safetensors {
    /// Memory-maps the file (memmap2) and parses and validates its header: every dtype known, every shape's size
    /// matching its byte range, the ranges in order, not overlapping, and tiling the data section exactly.
    ///
    /// The map assumes no other process truncates the file while it is open (see the [module docs](super));
    /// use [`open_with`](Safetensors::open_with)`(path, FileAccess::Read)` where that cannot be ruled out.
    ///
    /// # Errors
    /// [`Error::FileIo`] when the file cannot be opened or mapped; [`Error::BadFile`] (naming the file and, where
    /// known, the tensor) for a truncated file, an absurd header length (> 100 MB), invalid JSON, bad or
    /// overlapping offsets, a shape whose size overflows or does not match its bytes, duplicate names or an
    /// unknown dtype.
    pub fn open(path: impl AsRef<Path>) -> Result<Safetensors> {
        Self::open_with(path, FileAccess::Mapped)
    }

    /// [`open`](Safetensors::open) with a choice of how the tensors' bytes are read: mapped, or with positioned
    /// reads (`pread`) straight into device memory, which cannot crash on a file truncated meanwhile.
    ///
    /// # Errors
    /// As [`open`](Safetensors::open).
    pub fn open_with(path: impl AsRef<Path>, access: FileAccess) -> Result<Safetensors> {
        let data = FileData::open(path.as_ref(), FORMAT, access)?;
        let mut prefix = [0u8; 8];
        if data.len() < 8 {
            return Err(
                data.bad(None, format!("the file is {} bytes; it must start with an 8-byte header length", data.len()))
            );
        }
        data.read_at(0, &mut prefix, None)?;
        let header_len = u64::from_le_bytes(prefix);
        if header_len > HEADER_LIMIT {
            return Err(
                data.bad(None, format!("the header length {header_len} is absurd (the limit is {HEADER_LIMIT})"))
            );
        }
        if 8 + header_len > data.len() {
            return Err(data.bad(
                None,
                format!(
                    "the header length {header_len} runs past the end of the {}-byte file (truncated?)",
                    data.len()
                ),
            ));
        }
        let header = data.bytes(8, header_len as usize, None)?;
        let data_start = 8 + header_len;
        let (entries, metadata) = parse_header(&data, &header, data.len() - data_start)?;
        drop(header);
        let entries: Vec<Entry> =
            entries.into_iter().map(|e| Entry { start: e.start + data_start, end: e.end + data_start, ..e }).collect();
        let index = entries.iter().enumerate().map(|(i, e)| (e.name.clone(), i)).collect();
        Ok(Safetensors { data, entries, index, metadata })
    }

    /// The tensors' names, in the order of the file's header.
    pub fn names(&self) -> Vec<&str> {
        self.entries.iter().map(|e| e.name.as_str()).collect()
    }

    /// The number of tensors.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// `true` when the file holds no tensor.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The `__metadata__` string pairs of the header, in file order (empty when there are none).
    pub fn metadata(&self) -> &[(String, String)] {
        &self.metadata
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        self.data.path()
    }

    fn entry(&self, name: &str) -> Result<&Entry> {
        self.index.get(name).map(|&i| &self.entries[i]).ok_or_else(|| Error::TensorNotFound {
            path: self.data.path().to_path_buf(),
            name: name.to_owned(),
            count: self.entries.len(),
        })
    }

    /// The dtype of the tensor `name`.
    ///
    /// # Errors
    /// [`Error::TensorNotFound`]; [`Error::UnsupportedFileDType`] for a dtype of the format this crate does not
    /// hold (F8_E4M3, F8_E5M2, F8_E8M0, F4, F6_*, C64, C128).
    pub fn dtype(&self, name: &str) -> Result<DType> {
        match self.entry(name)?.dtype {
            FileDType::Ours(dtype) => Ok(dtype),
            FileDType::Other { name: dtype, .. } => Err(Error::UnsupportedFileDType {
                path: self.data.path().to_path_buf(),
                tensor: Some(name.to_owned()),
                dtype: dtype.to_owned(),
                hint: "wgpu-tensor holds bool, 8/16/32/64-bit integers, f16, bf16, f32 and f64; convert the tensor \
                       to one of those before saving"
                    .into(),
            }),
        }
    }

    /// The shape of the tensor `name` (`[]` for a scalar).
    ///
    /// # Errors
    /// [`Error::TensorNotFound`].
    pub fn shape(&self, name: &str) -> Result<&[usize]> {
        Ok(&self.entry(name)?.shape)
    }

    /// Copies the tensor `name` from the file straight into the device's mapped storage or staging memory: one
    /// host-side copy, no intermediate `Vec` (any byte offset is fine).
    ///
    /// # Errors
    /// [`Error::TensorNotFound`]; [`Error::UnsupportedFileDType`]; [`Error::BadFile`] when the file shrank since it
    /// was opened or a bool byte is not 0 or 1; the errors of [`Device::upload`].
    pub fn upload(&self, device: &Device, name: &str) -> Result<DeviceTensor> {
        Ok(self.upload_impl(device, name, false)?.0)
    }

    /// [`upload`](Safetensors::upload), also returning the path taken and every copy made, with times.
    ///
    /// # Errors
    /// As [`upload`](Safetensors::upload).
    pub fn upload_traced(&self, device: &Device, name: &str) -> Result<(DeviceTensor, TransferTrace)> {
        self.upload_impl(device, name, true)
    }

    /// `traced`: wait for the GPU's copies so that the trace's times are complete (staging path).
    fn upload_impl(&self, device: &Device, name: &str, traced: bool) -> Result<(DeviceTensor, TransferTrace)> {
        let dtype = self.dtype(name)?;
        let entry = self.entry(name)?;
        let len = (entry.end - entry.start) as usize;
        let mut source = RangeSource::new(&self.data, entry.start, len, dtype == DType::Bool, Some(name));
        let shape = Shape::from(entry.shape.as_slice());
        let uploaded = pollster::block_on(upload_source(device, &mut source, dtype, shape, traced));
        source.finish()?;
        uploaded
    }

    /// Uploads the tensor `name` in its file dtype and casts it exactly on the device (e.g. bf16 weights → f32).
    /// The raw bytes cross once; the cast is a kernel (see [`DeviceTensor::cast`]).
    ///
    /// # Errors
    /// As [`upload`](Safetensors::upload) and [`DeviceTensor::cast`].
    pub fn upload_as(&self, device: &Device, name: &str, dtype: DType) -> Result<DeviceTensor> {
        let tensor = self.upload(device, name)?;
        if tensor.dtype() == dtype {
            return Ok(tensor);
        }
        let cast = tensor.cast(dtype)?;
        if device.transfer_path() == crate::TransferPath::MappedStorage {
            // Dropping `tensor` returns its buffer to the pool while the cast still reads it; the next upload
            // would take that buffer and wait for its map by polling, which on a 2-core software adapter took a
            // core from the cast (upload_all_as of 8 tensors: ~1.4x slower). A blocking wait here costs nothing
            // on that path (the next upload would wait anyway) and leaves the buffer idle.
            device.wait(None)?;
        }
        Ok(cast)
    }

    /// Uploads every tensor, in file order.
    ///
    /// # Errors
    /// As [`upload`](Safetensors::upload), for the first tensor that fails.
    pub fn upload_all(&self, device: &Device) -> Result<Vec<(String, DeviceTensor)>> {
        self.upload_all_with_progress(device, |_| {})
    }

    /// [`upload_all`](Safetensors::upload_all), calling `progress` after each tensor (e.g. to move a progress
    /// bar by [`LoadProgress::bytes_done`]).
    ///
    /// # Errors
    /// As [`upload`](Safetensors::upload), for the first tensor that fails.
    pub fn upload_all_with_progress(
        &self,
        device: &Device,
        mut progress: impl FnMut(&LoadProgress<'_>),
    ) -> Result<Vec<(String, DeviceTensor)>> {
        let bytes_total = self.entries.iter().map(|e| e.end - e.start).sum();
        let mut bytes_done = 0;
        let mut out = Vec::with_capacity(self.entries.len());
        for (index, entry) in self.entries.iter().enumerate() {
            let tensor = self.upload(device, &entry.name)?;
            bytes_done += entry.end - entry.start;
            progress(&LoadProgress { name: &entry.name, index, count: self.entries.len(), bytes_done, bytes_total });
            out.push((entry.name.clone(), tensor));
        }
        Ok(out)
    }

    /// Copies the tensor `name` into a new host [`Array`].
    ///
    /// # Errors
    /// As [`upload`](Safetensors::upload), without the device errors.
    pub fn array(&self, name: &str) -> Result<Array> {
        let dtype = self.dtype(name)?;
        let entry = self.entry(name)?;
        let mut array = Array::zeros(dtype, entry.shape.as_slice())?;
        self.data.read_at(entry.start, array.as_bytes_mut_unchecked(), Some(name))?;
        if dtype == DType::Bool && !bools_ok(array.as_bytes()) {
            return Err(self.data.bad(Some(name), BAD_BOOL));
        }
        Ok(array)
    }
}

/// Parses and validates the header JSON; offsets are relative to the data section of `data_len` bytes.
/// The tensors of a header and its `__metadata__` pairs.
type Header = (Vec<Entry>, Vec<(String, String)>);

fn parse_header(data: &FileData, header: &[u8], data_len: u64) -> Result<Header> {
    let bad = |tensor: Option<&str>, reason: String| data.bad(tensor, reason);
    if header.first() != Some(&b'{') {
        return Err(bad(None, "the header does not start with '{' (it must be a JSON object)".into()));
    }
    let object: OrderedObject =
        serde_json::from_slice(header).map_err(|e| bad(None, format!("the header is not valid JSON: {e}")))?;
    let mut entries: Vec<Entry> = Vec::with_capacity(object.0.len());
    let mut metadata = None;
    let mut seen = std::collections::HashSet::new();
    for (name, value) in object.0 {
        if !seen.insert(name.clone()) {
            return Err(bad(Some(&name), "the name appears twice in the header".into()));
        }
        if name == "__metadata__" {
            metadata = Some(parse_metadata(value).map_err(|r| bad(None, format!("__metadata__: {r}")))?);
            continue;
        }
        let entry = parse_entry(&name, &value).map_err(|r| bad(Some(&name), r))?;
        entries.push(entry);
    }
    // The byte ranges must tile the data section: sorted by start, each begins where the previous one ended.
    let mut order: Vec<usize> = (0..entries.len()).collect();
    order.sort_by_key(|&i| (entries[i].start, entries[i].end));
    let mut at = 0u64;
    let mut previous: Option<&str> = None;
    for &i in &order {
        let e = &entries[i];
        if e.end > data_len {
            let reason = format!("data_offsets end {} lies outside the {data_len}-byte data section", e.end);
            return Err(bad(Some(&e.name), reason));
        }
        if e.start < at {
            let other = previous.unwrap_or("?");
            return Err(bad(Some(&e.name), format!("data_offsets {}..{} overlap those of {other:?}", e.start, e.end)));
        }
        if e.start > at {
            return Err(bad(Some(&e.name), format!("bytes {at}..{} of the data section belong to no tensor", e.start)));
        }
        at = e.end;
        previous = Some(&e.name);
    }
    if at != data_len {
        return Err(bad(None, format!("bytes {at}..{data_len} at the end of the data section belong to no tensor")));
    }
    Ok((entries, metadata.unwrap_or_default()))
}

fn parse_metadata(value: Value) -> std::result::Result<Vec<(String, String)>, String> {
    let Value::Object(map) = value else { return Err("must be an object of strings".into()) };
    map.into_iter()
        .map(|(k, v)| match v {
            Value::String(s) => Ok((k, s)),
            other => Err(format!("the value of {k:?} is {other}, not a string")),
        })
        .collect()
}

/// One tensor's `{"dtype", "shape", "data_offsets"}`, checked on its own (offsets still relative).
fn parse_entry(name: &str, value: &Value) -> std::result::Result<Entry, String> {
    let Value::Object(fields) = value else { return Err("its header entry is not a JSON object".into()) };
    let dtype_name = fields.get("dtype").and_then(Value::as_str).ok_or("\"dtype\" is missing or not a string")?;
    let dtype = file_dtype(dtype_name).ok_or_else(|| {
        format!(
            "unknown dtype {dtype_name:?} (safetensors defines BOOL, U8..U64, I8..I64, F16, BF16, F32, F64, F8_*, …)"
        )
    })?;
    let shape = match fields.get("shape") {
        Some(Value::Array(dims)) => dims
            .iter()
            .map(|d| d.as_u64().and_then(|d| usize::try_from(d).ok()))
            .collect::<Option<Vec<usize>>>()
            .ok_or("\"shape\" holds something other than non-negative integers")?,
        _ => return Err("\"shape\" is missing or not an array".into()),
    };
    let offsets = match fields.get("data_offsets") {
        Some(Value::Array(o)) if o.len() == 2 => (o[0].as_u64(), o[1].as_u64()),
        _ => return Err("\"data_offsets\" is missing or not an array of two integers".into()),
    };
    let (Some(start), Some(end)) = offsets else {
        return Err("\"data_offsets\" holds something other than non-negative integers".into());
    };
    if start > end {
        return Err(format!("data_offsets {start}..{end} are out of order"));
    }
    let bits = match dtype {
        FileDType::Ours(d) => d.size_in_bits() as u64,
        FileDType::Other { bits, .. } => bits,
    };
    let count = if shape.contains(&0) { Some(0) } else { shape.iter().try_fold(1u64, |a, &d| a.checked_mul(d as u64)) };
    let bytes = count
        .and_then(|n| n.checked_mul(bits))
        .filter(|b| b % 8 == 0)
        .map(|b| b / 8)
        .filter(|&b| usize::try_from(b).is_ok())
        .ok_or_else(|| format!("shape {shape:?} of {dtype_name} overflows or is not a whole number of bytes"))?;
    if end - start != bytes {
        return Err(format!(
            "data_offsets {start}..{end} hold {} bytes but shape {shape:?} of {dtype_name} needs {bytes}",
            end - start
        ));
    }
    Ok(Entry { name: name.to_owned(), dtype, shape, start, end })
}
