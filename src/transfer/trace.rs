//! [`TransferTrace`]: the path a transfer took and every copy it made, with times — the library's own answer to
//! "why must it copy".

use std::fmt;

use super::TransferPath;

/// Where bytes sit during a transfer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Location {
    /// Host memory (the [`Array`](crate::Array)).
    Host,
    /// A host-visible MAP_WRITE | COPY_SRC staging buffer.
    Staging,
    /// A host-visible MAP_READ | COPY_DST readback buffer.
    Readback,
    /// The tensor's storage buffer (mapped by the host on the [`TransferPath::MappedStorage`] path).
    Device,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Location::Host => "host",
            Location::Staging => "staging",
            Location::Readback => "readback",
            Location::Device => "device",
        })
    }
}

/// One copy of a transfer.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CopyStep {
    /// Where the bytes came from.
    pub from: Location,
    /// Where they went.
    pub to: Location,
    /// How many bytes were copied.
    pub bytes: u64,
    /// Wall-clock seconds the copy took (for a GPU copy: from submission until the host saw it done).
    pub seconds: f64,
}

impl CopyStep {
    /// Bandwidth in GB/s (10⁹ bytes per second); 0 when no time was measured.
    pub fn gb_per_s(&self) -> f64 {
        if self.seconds > 0.0 { self.bytes as f64 / self.seconds / 1e9 } else { 0.0 }
    }
}

/// The path a transfer took and each copy it made, in order; `Display` prints a small table.
#[derive(Clone, Debug, PartialEq)]
pub struct TransferTrace {
    /// The transfer path used.
    pub path: TransferPath,
    /// The copies, in order.
    pub copies: Vec<CopyStep>,
}

impl TransferTrace {
    pub(crate) fn new(path: TransferPath) -> TransferTrace {
        TransferTrace { path, copies: Vec::new() }
    }

    pub(crate) fn push(&mut self, from: Location, to: Location, bytes: u64, seconds: f64) {
        self.copies.push(CopyStep { from, to, bytes, seconds });
    }

    /// Total seconds of all copies.
    pub fn seconds(&self) -> f64 {
        self.copies.iter().map(|c| c.seconds).sum()
    }
}

impl fmt::Display for TransferTrace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "path: {}", self.path)?;
        writeln!(f, "{:<9} {:<9} {:>14} {:>12} {:>9}", "from", "to", "bytes", "time", "GB/s")?;
        for c in &self.copies {
            writeln!(
                f,
                "{:<9} {:<9} {:>14} {:>9.3} ms {:>9.2}",
                c.from.to_string(),
                c.to.to_string(),
                c.bytes,
                c.seconds * 1e3,
                c.gb_per_s()
            )?;
        }
        Ok(())
    }
}
