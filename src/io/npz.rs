//! `.npz` files (zip archives of `.npy` entries, as `np.savez` and `np.savez_compressed` write them).

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::Path;

use super::file::FileData;
use super::npy::{array_from_npy, npy_header_for};
use crate::{Array, Error, Result};

const FORMAT: &str = ".npz";

/// Reads every array of an `.npz` file, in archive order, named as NumPy names them (the entry name without
/// `.npy`). Stored (`np.savez`) and deflate-compressed (`np.savez_compressed`) entries are read.
///
/// Each entry is read into memory, then converted (one more copy): an .npz is a zip archive, so its entries
/// cannot be mapped. For large arrays prefer `.npy` or safetensors.
///
/// # Errors
/// [`Error::FileIo`]; [`Error::BadFile`] (naming the entry) for a damaged archive, an entry that is not a `.npy`
/// file, a failed checksum or any bad `.npy` case of [`Array::read_npy`]; [`Error::UnsupportedFileDType`].
pub fn read_npz(path: impl AsRef<Path>) -> Result<Vec<(String, Array)>> {
    let path = path.as_ref();
    let bad = |tensor: Option<&str>, reason: String| Error::BadFile {
        format: FORMAT,
        path: path.to_path_buf(),
        tensor: tensor.map(str::to_owned),
        reason,
    };
    let file = File::open(path).map_err(|source| Error::FileIo { op: "opening", path: path.to_path_buf(), source })?;
    let mut archive = zip::ZipArchive::new(file).map_err(|e| bad(None, format!("not a readable zip archive: {e}")))?;
    let mut out = Vec::new();
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(|e| bad(None, format!("entry {i}: {e}")))?;
        let entry_name = entry.name().map_err(|e| bad(None, format!("entry {i} has a bad name: {e}")))?.into_owned();
        let Some(name) = entry_name.strip_suffix(".npy") else {
            return Err(bad(Some(&entry_name), "the entry is not a .npy file (its name does not end in .npy)".into()));
        };
        // The declared size is only a hint for the first allocation (a hostile archive may lie).
        let mut bytes = Vec::with_capacity(entry.size().min(64 << 20) as usize);
        entry.read_to_end(&mut bytes).map_err(|e| bad(Some(name), format!("reading the entry failed: {e}")))?;
        let data = FileData::memory(path, FORMAT, bytes);
        out.push((name.to_owned(), array_from_npy(&data, Some(name))?));
    }
    Ok(out)
}

/// Writes `arrays` as an uncompressed `.npz` file (like `np.savez`), each as the entry `NAME.npy`; `np.load`
/// reads it. Entries over 4 GiB use zip64.
///
/// # Errors
/// [`Error::InvalidOption`] for a duplicate or empty name; [`Error::UnsupportedFileDType`] for a `BF16` array;
/// [`Error::FileIo`] when the file cannot be written.
pub fn write_npz(path: impl AsRef<Path>, arrays: &[(&str, &Array)]) -> Result<()> {
    let path = path.as_ref();
    let mut names = std::collections::HashSet::new();
    for (name, _) in arrays {
        if name.is_empty() || !names.insert(*name) {
            return Err(Error::InvalidOption(format!(
                "write_npz: the name {name:?} is empty or appears twice; names must be unique and non-empty"
            )));
        }
    }
    let io = |source| Error::FileIo { op: "writing", path: path.to_path_buf(), source };
    let zip_err = |e: zip::result::ZipError| io(std::io::Error::other(e));
    let file =
        File::create(path).map_err(|source| Error::FileIo { op: "creating", path: path.to_path_buf(), source })?;
    let mut zip = zip::ZipWriter::new(BufWriter::new(file));
    for (name, array) in arrays {
        let header = npy_header_for(array.dtype(), array.shape(), path, Some(name))?;
        let large = (header.len() + array.size_in_bytes()) as u64 >= u32::MAX as u64;
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored)
            .large_file(large);
        zip.start_file(format!("{name}.npy"), options).map_err(zip_err)?;
        zip.write_all(&header).map_err(io)?;
        zip.write_all(array.as_bytes()).map_err(io)?;
    }
    zip.finish().map_err(zip_err)?.flush().map_err(io)?;
    Ok(())
}
