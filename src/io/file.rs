//! [`FileData`]: the bytes of an opened file — memory-mapped, read with `pread`, or already in memory (an .npz
//! entry) — with bounds-checked reads that never touch a byte past the end and turn a file that shrank into an
//! [`Error::BadFile`] instead of a SIGBUS.

use std::borrow::Cow;
use std::fs::File;
use std::path::{Path, PathBuf};

use wgpu::WriteOnly;

use super::FileAccess;
use crate::{Error, Result};

/// Where the bytes come from.
enum Backing {
    /// A read-only memory map of the whole file (absent for an empty file, which cannot be mapped).
    Mapped(File, Option<memmap2::Mmap>),
    /// Positioned reads (`pread`) from the open file.
    Read(File),
    /// Bytes already in memory.
    Memory(Vec<u8>),
}

/// An opened file of `len` bytes, read at absolute offsets.
pub(crate) struct FileData {
    path: PathBuf,
    format: &'static str,
    len: u64,
    backing: Backing,
}

impl FileData {
    /// Opens `path` for reading, mapping it when `access` is [`FileAccess::Mapped`].
    pub(crate) fn open(path: &Path, format: &'static str, access: FileAccess) -> Result<FileData> {
        let io = |op, source| Error::FileIo { op, path: path.to_path_buf(), source };
        let file = File::open(path).map_err(|e| io("opening", e))?;
        let len = file.metadata().map_err(|e| io("reading the size of", e))?.len();
        let backing = match access {
            FileAccess::Mapped if len > 0 => {
                // SAFETY: the map is read-only and we only read it through bounds-checked slices. The mapping
                // assumes no other process truncates or rewrites the file while it is open (documented in the
                // module docs); `check_not_shrunk` turns a truncation seen before a copy into an error.
                let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| io("memory-mapping", e))?;
                Backing::Mapped(file, Some(map))
            }
            FileAccess::Mapped => Backing::Mapped(file, None),
            FileAccess::Read => Backing::Read(file),
        };
        Ok(FileData { path: path.to_path_buf(), format, len, backing })
    }

    /// Bytes already in memory (an .npz entry), named `path` in errors.
    pub(crate) fn memory(path: &Path, format: &'static str, bytes: Vec<u8>) -> FileData {
        FileData { path: path.to_path_buf(), format, len: bytes.len() as u64, backing: Backing::Memory(bytes) }
    }

    /// The file's path.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// The file's length when it was opened.
    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    /// A [`Error::BadFile`] for this file.
    pub(crate) fn bad(&self, tensor: Option<&str>, reason: impl Into<String>) -> Error {
        Error::BadFile {
            format: self.format,
            path: self.path.clone(),
            tensor: tensor.map(str::to_owned),
            reason: reason.into(),
        }
    }

    /// Fails when bytes `offset..offset + len` are not inside the file as it was opened.
    fn check_range(&self, offset: u64, len: usize, tensor: Option<&str>) -> Result<()> {
        match offset.checked_add(len as u64) {
            Some(end) if end <= self.len => Ok(()),
            _ => Err(self.bad(
                tensor,
                format!(
                    "bytes {offset}..{} lie past the end of the {}-byte file (truncated?)",
                    offset + len as u64,
                    self.len
                ),
            )),
        }
    }

    /// Fails when another process truncated the file since it was opened (a map would raise SIGBUS on the
    /// missing pages). Only the mapped backing needs it: `pread` reports a short read instead.
    fn check_not_shrunk(&self, tensor: Option<&str>) -> Result<()> {
        let Backing::Mapped(file, _) = &self.backing else { return Ok(()) };
        let now = file
            .metadata()
            .map_err(|source| Error::FileIo { op: "reading the size of", path: self.path.clone(), source })?
            .len();
        if now < self.len {
            return Err(self.shrank(tensor));
        }
        Ok(())
    }

    /// The error for a file that is shorter now than when it was opened.
    fn shrank(&self, tensor: Option<&str>) -> Error {
        let now = match &self.backing {
            Backing::Mapped(file, _) | Backing::Read(file) => file.metadata().map(|m| m.len()).unwrap_or(0),
            Backing::Memory(bytes) => bytes.len() as u64,
        };
        self.bad(
            tensor,
            format!(
                "the file shrank from {} to {now} bytes while it was open: another process truncated or rewrote it",
                self.len
            ),
        )
    }

    /// Copies bytes `offset..offset + out.len()` into `out`.
    pub(crate) fn read_at(&self, offset: u64, out: &mut [u8], tensor: Option<&str>) -> Result<()> {
        self.check_range(offset, out.len(), tensor)?;
        match &self.backing {
            Backing::Mapped(_, map) => {
                self.check_not_shrunk(tensor)?;
                if let Some(map) = map {
                    out.copy_from_slice(&map[offset as usize..offset as usize + out.len()]);
                }
                Ok(())
            }
            Backing::Memory(bytes) => {
                out.copy_from_slice(&bytes[offset as usize..offset as usize + out.len()]);
                Ok(())
            }
            Backing::Read(file) => read_exact_at(file, out, offset).map_err(|e| self.read_error(e, tensor)),
        }
    }

    /// Bytes `offset..offset + len`: borrowed from the map or memory, read into a new `Vec` otherwise.
    pub(crate) fn bytes(&self, offset: u64, len: usize, tensor: Option<&str>) -> Result<Cow<'_, [u8]>> {
        self.check_range(offset, len, tensor)?;
        let range = offset as usize..offset as usize + len;
        match &self.backing {
            Backing::Mapped(_, Some(map)) => {
                self.check_not_shrunk(tensor)?;
                Ok(Cow::Borrowed(&map[range]))
            }
            Backing::Mapped(_, None) => Ok(Cow::Borrowed(&[])),
            Backing::Memory(bytes) => Ok(Cow::Borrowed(&bytes[range])),
            Backing::Read(_) => {
                let mut out = vec![0; len];
                self.read_at(offset, &mut out, tensor)?;
                Ok(Cow::Owned(out))
            }
        }
    }

    /// Copies bytes `offset..offset + dst.len()` straight into (write-only, e.g. mapped device) memory: a memcpy
    /// out of the map, or one `pread` into `dst` — one host-side copy either way.
    pub(crate) fn copy_to(&self, offset: u64, mut dst: WriteOnly<'_, [u8]>, tensor: Option<&str>) -> Result<()> {
        self.check_range(offset, dst.len(), tensor)?;
        let range = offset as usize..offset as usize + dst.len();
        match &self.backing {
            Backing::Mapped(_, map) => {
                self.check_not_shrunk(tensor)?;
                if let Some(map) = map {
                    self.populate(map, &range, tensor)?;
                    dst.copy_from_slice(&map[range]);
                }
                Ok(())
            }
            Backing::Memory(bytes) => {
                dst.copy_from_slice(&bytes[range]);
                Ok(())
            }
            Backing::Read(file) => pread_into(file, dst, offset).map_err(|e| self.read_error(e, tensor)),
        }
    }

    /// Maps the pages of `range` in one system call (Linux ≥ 5.14 `MADV_POPULATE_READ`) before they are copied:
    /// a fresh map otherwise takes a page fault per few pages, which made a load ~1.7× slower than a memcpy out
    /// of a warm map. A populate that fails because the pages are gone (the file shrank) is an error instead of
    /// the SIGBUS the copy would raise; other failures (older kernels) are ignored.
    fn populate(&self, map: &memmap2::Mmap, range: &std::ops::Range<usize>, tensor: Option<&str>) -> Result<()> {
        #[cfg(target_os = "linux")]
        if range.len() >= 1 << 16
            && let Err(e) = map.advise_range(memmap2::Advice::PopulateRead, range.start, range.len())
            && e.raw_os_error() == Some(libc::EFAULT)
        {
            return Err(self.shrank(tensor));
        }
        let _ = (map, range, tensor);
        Ok(())
    }

    fn read_error(&self, e: std::io::Error, tensor: Option<&str>) -> Error {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            self.shrank(tensor)
        } else {
            Error::FileIo { op: "reading", path: self.path.clone(), source: e }
        }
    }
}

/// Fills `out` from `offset` with positioned reads (no shared file cursor).
fn read_exact_at(file: &File, out: &mut [u8], offset: u64) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        std::os::unix::fs::FileExt::read_exact_at(file, out, offset)
    }
    #[cfg(windows)]
    {
        let (mut out, mut offset) = (out, offset);
        while !out.is_empty() {
            match std::os::windows::fs::FileExt::seek_read(file, out, offset)? {
                0 => return Err(std::io::ErrorKind::UnexpectedEof.into()),
                n => {
                    out = &mut out[n..];
                    offset += n as u64;
                }
            }
        }
        Ok(())
    }
    #[cfg(not(any(unix, windows)))]
    {
        let _ = (file, out, offset);
        Err(std::io::Error::new(std::io::ErrorKind::Unsupported, "positioned reads; use FileAccess::Mapped"))
    }
}

/// `pread` straight into write-only memory: the kernel copies the page cache into `dst` (one copy).
#[cfg(target_os = "linux")]
fn pread_into(file: &File, mut dst: WriteOnly<'_, [u8]>, offset: u64) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    let (mut done, len) = (0usize, dst.len());
    let base = dst.as_raw_element_ptr().as_ptr();
    while done < len {
        // Linux transfers at most 0x7fff_f000 bytes per call; 8 MiB steps measured faster than one huge read.
        let want = (len - done).min(8 << 20);
        // SAFETY: `base + done .. base + done + want` lies inside `dst`, which we may write (never read); the
        // kernel only writes into it.
        let n = unsafe {
            libc::pread(file.as_raw_fd(), base.add(done).cast(), want, (offset + done as u64) as libc::off_t)
        };
        match n {
            n if n < 0 => {
                let e = std::io::Error::last_os_error();
                if e.kind() != std::io::ErrorKind::Interrupted {
                    return Err(e);
                }
            }
            0 => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            n => done += n as usize,
        }
    }
    Ok(())
}

/// Elsewhere: positioned reads through a small block on the stack.
#[cfg(not(target_os = "linux"))]
fn pread_into(file: &File, mut dst: WriteOnly<'_, [u8]>, offset: u64) -> std::io::Result<()> {
    let mut block = [0u8; 64 * 1024];
    let mut done = 0;
    while done < dst.len() {
        let n = (dst.len() - done).min(block.len());
        read_exact_at(file, &mut block[..n], offset + done as u64)?;
        dst.slice(done..done + n).copy_from_slice(&block[..n]);
        done += n;
    }
    Ok(())
}
