//! [`DeviceInfo`]: what a [`Device`](crate::Device) (or an adapter not yet opened) is, printable.

use std::fmt;

/// The native wgpu features this crate can use, in the order they are reported.
pub(crate) const NATIVE_FEATURES: [(wgpu::Features, &str); 5] = [
    (wgpu::Features::MAPPABLE_PRIMARY_BUFFERS, "MAPPABLE_PRIMARY_BUFFERS"),
    (wgpu::Features::SHADER_INT64, "SHADER_INT64"),
    (wgpu::Features::SHADER_F16, "SHADER_F16"),
    (wgpu::Features::SHADER_F64, "SHADER_F64"),
    (wgpu::Features::SUBGROUP, "SUBGROUP"),
];

/// A description of an adapter and the device opened on it: identity, memory architecture, the limits that matter
/// for tensors, and the native extensions in use. `Display` prints it as a short block of `key: value` lines.
///
/// ```
/// let device = wgpu_tensor::Device::new()?;
/// println!("{}", device.info());
/// # Ok::<(), wgpu_tensor::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceInfo {
    /// The adapter's name, e.g. `"llvmpipe (LLVM 15.0.6, 256 bits)"`.
    pub name: String,
    /// The graphics API in use.
    pub backend: wgpu::Backend,
    /// Discrete, integrated, virtual, CPU (software) or other.
    pub device_type: wgpu::DeviceType,
    /// The driver's name and version, as the adapter reports them.
    pub driver: String,
    /// `true` when host and device share memory (integrated GPUs and software adapters), so that mapping a device
    /// buffer is a plain memory access rather than a transfer over a bus.
    pub uma: bool,
    /// Largest buffer that can be created, in bytes.
    pub max_buffer_size: u64,
    /// Largest range of a buffer one shader binding can see, in bytes.
    pub max_storage_buffer_binding_size: u64,
    /// Largest dispatch along one dimension, in workgroups.
    pub max_compute_workgroups_per_dimension: u32,
    /// Alignment of a storage binding's offset, in bytes.
    pub min_storage_buffer_offset_alignment: u32,
    /// The native extensions (wgpu features) enabled on the device, or offered by the adapter when the info
    /// describes an adapter from [`crate::list_adapters`].
    pub extensions: Vec<&'static str>,
}

impl DeviceInfo {
    pub(crate) fn new(info: &wgpu::AdapterInfo, limits: &wgpu::Limits, features: wgpu::Features) -> DeviceInfo {
        let driver = match (info.driver.is_empty(), info.driver_info.is_empty()) {
            (false, false) => format!("{} ({})", info.driver, info.driver_info),
            (false, true) => info.driver.clone(),
            (true, _) => info.driver_info.clone(),
        };
        DeviceInfo {
            name: info.name.clone(),
            backend: info.backend,
            device_type: info.device_type,
            driver,
            uma: matches!(info.device_type, wgpu::DeviceType::Cpu | wgpu::DeviceType::IntegratedGpu),
            max_buffer_size: limits.max_buffer_size,
            max_storage_buffer_binding_size: limits.max_storage_buffer_binding_size,
            max_compute_workgroups_per_dimension: limits.max_compute_workgroups_per_dimension,
            min_storage_buffer_offset_alignment: limits.min_storage_buffer_offset_alignment,
            extensions: NATIVE_FEATURES.iter().filter(|(f, _)| features.contains(*f)).map(|&(_, n)| n).collect(),
        }
    }

    /// `true` for a software adapter (lavapipe, llvmpipe, WARP, SwiftShader).
    pub fn is_software(&self) -> bool {
        self.device_type == wgpu::DeviceType::Cpu
    }
}

fn mib(bytes: u64) -> String {
    if bytes >= 1 << 20 { format!("{} MiB", bytes >> 20) } else { format!("{bytes} B") }
}

impl fmt::Display for DeviceInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let extensions = if self.extensions.is_empty() { "none".to_string() } else { self.extensions.join(", ") };
        writeln!(f, "adapter:     {}", self.name)?;
        writeln!(f, "backend:     {:?}", self.backend)?;
        writeln!(f, "type:        {:?}", self.device_type)?;
        writeln!(f, "driver:      {}", if self.driver.is_empty() { "(not reported)" } else { &self.driver })?;
        writeln!(f, "memory:      {}", if self.uma { "unified (UMA)" } else { "discrete (over a bus)" })?;
        writeln!(
            f,
            "limits:      max buffer {}, max storage binding {}, {} workgroups/dim, binding offset alignment {} B",
            mib(self.max_buffer_size),
            mib(self.max_storage_buffer_binding_size),
            self.max_compute_workgroups_per_dimension,
            self.min_storage_buffer_offset_alignment
        )?;
        write!(f, "extensions:  {extensions}")
    }
}
