//! [`TransferPath`]: how a device moves bytes between host and device.

use std::fmt;

/// How uploads and downloads move bytes; set with [`DeviceOptions::transfer_path`](crate::DeviceOptions), read the
/// resolved choice with [`Device::transfer_path`](crate::Device::transfer_path).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum TransferPath {
    /// `MappedStorage` on a UMA adapter with MAPPABLE_PRIMARY_BUFFERS, else `Staging`.
    #[default]
    Auto,
    /// Tensor buffers are host-mappable storage buffers (MAP_READ | MAP_WRITE | STORAGE): the host maps the tensor
    /// itself and copies once per direction. Needs MAPPABLE_PRIMARY_BUFFERS; fast only on UMA adapters.
    MappedStorage,
    /// A ring of MAP_WRITE | COPY_SRC staging chunks (the CPU fills one while the GPU copies the other) for uploads;
    /// a pooled MAP_READ readback buffer for downloads. Works on every adapter.
    Staging,
}

impl fmt::Display for TransferPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TransferPath::Auto => "auto",
            TransferPath::MappedStorage => "mapped storage (host maps the tensor's buffer)",
            TransferPath::Staging => "staging (staging ring + GPU copy)",
        })
    }
}
