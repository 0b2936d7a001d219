//! [`Device`]: an opened wgpu adapter with its queue, limits, native extensions, pipeline cache, buffer pool,
//! stream (batched command recording) and poller (completes buffer maps without spinning).

pub(crate) mod adapter;
mod info;
mod poller;
pub(crate) mod scope;
mod stream;
mod sync;

use std::sync::{Arc, Mutex};

use crate::kernels::{KernelKey, Pipeline, PipelineCache};
use crate::memory::BufferPool;
use crate::transfer::TransferPath;
use crate::{Error, Result};
use info::NATIVE_FEATURES;

pub use info::DeviceInfo;
pub(crate) use poller::{MapFuture, Poller};
pub(crate) use scope::scoped;
#[cfg(test)]
pub(crate) use stream::DISPATCHES_PER_BATCH;
pub(crate) use stream::{Recorder, Stream};
pub(crate) use sync::{AsyncMutex, MapGate};

/// How long [`Device::explain`] waits for wgpu's device-lost callback after a failed buffer access or submission.
const LOST_GRACE: std::time::Duration = std::time::Duration::from_millis(500);

/// How [`Device::with_options`] chooses and opens an adapter.
///
/// Every field is public; start from `Default` and change what you need:
///
/// ```
/// use wgpu_tensor::{Device, DeviceOptions};
/// // The portable path that any WebGPU adapter runs: no SHADER_INT64/F16/F64, no mappable storage buffers.
/// let portable = Device::with_options(DeviceOptions { native_extensions: false, ..Default::default() })?;
/// // The GL backend only (llvmpipe through EGL on headless Linux).
/// let gl = Device::with_options(DeviceOptions { backends: wgpu::Backends::GL, ..Default::default() })?;
/// # Ok::<(), wgpu_tensor::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceOptions {
    /// The graphics APIs to search. `WGPU_BACKEND` (e.g. `vulkan`, `gl`), when set, takes precedence.
    pub backends: wgpu::Backends,
    /// Use the best adapter whose name contains this (case-insensitive). `None` falls back to `WGPU_ADAPTER_NAME`,
    /// then to the best adapter.
    pub adapter_name: Option<String>,
    /// Only accept a software adapter (Mesa lavapipe/llvmpipe, WARP): reproducible results on any machine.
    pub force_software: bool,
    /// Enable the native extensions the adapter offers (MAPPABLE_PRIMARY_BUFFERS, SHADER_INT64, SHADER_F16,
    /// SHADER_F64, SUBGROUP) for faster paths that tests prove bit-identical. `false` forces the portable path that
    /// any WebGPU adapter runs.
    pub native_extensions: bool,
    /// How uploads and downloads move bytes (see [`TransferPath`]); `Auto` picks the fastest the adapter offers.
    pub transfer_path: TransferPath,
    /// The most bytes of idle buffers the device keeps pooled for reuse (default 1 GiB); over it, the pool releases
    /// its least recently returned idle buffers, and a buffer larger than the cap is released at once. `0`
    /// disables pooling. Buffers of live tensors and of transfers in flight are not counted (see
    /// [`Device`]'s resource bounds).
    pub pool_cap_bytes: u64,
    /// The size of one staging chunk on the [`TransferPath::Staging`] path (default 8 MiB, rounded up to 4 bytes;
    /// at least 1 and at most the device's `max_buffer_size`, else [`Error::InvalidOption`]): the CPU fills chunk
    /// k+1 while the GPU copies chunk k. A transfer in flight holds two chunks of `min(chunk, its size)`.
    pub staging_chunk_bytes: u64,
}

impl Default for DeviceOptions {
    /// All backends, no adapter name, hardware preferred, native extensions on, automatic transfer path, 1 GiB
    /// pool cap, 8 MiB staging chunks.
    fn default() -> Self {
        DeviceOptions {
            backends: wgpu::Backends::all(),
            adapter_name: None,
            force_software: false,
            native_extensions: true,
            transfer_path: TransferPath::Auto,
            pool_cap_bytes: 1 << 30,
            staging_chunk_bytes: 8 << 20,
        }
    }
}

/// The native shader and memory extensions enabled on a device (all `false` on the portable path).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct NativeExtensions {
    pub mappable_primary_buffers: bool,
    pub int64: bool,
    pub f16: bool,
    pub f64: bool,
    /// The subgroup size, where subgroups are enabled and the adapter runs them at one fixed size.
    pub subgroup_size: Option<u32>,
}

/// Errors that wgpu reported outside any error scope: the crate runs all its own calls inside scopes, so these
/// come from the user's raw wgpu calls on [`Device::wgpu_device`]; they never fail the crate's operations.
#[derive(Default)]
struct UncapturedLog(Mutex<Vec<String>>);

pub(crate) struct DeviceInner {
    device: wgpu::Device,
    queue: wgpu::Queue,
    info: DeviceInfo,
    limits: wgpu::Limits,
    native: NativeExtensions,
    /// `DeviceOptions::native_extensions` as given.
    native_enabled: bool,
    /// Whether native f32 `+ − ×` are bit-identical to the exact library here (probed on first use).
    native_f32_exact: std::sync::OnceLock<bool>,
    pipelines: PipelineCache,
    uncaptured: Arc<UncapturedLog>,
    pool: BufferPool,
    stream: Stream,
    map_gate: MapGate,
    path: TransferPath,
    staging_chunk: u64,
    // Last: its drop stops the poller thread.
    poller: Poller,
}

/// A GPU (or software adapter) opened for tensors: the place [`DeviceTensor`](crate::DeviceTensor)s live.
///
/// Cheap to clone (an `Arc` inside), `Send + Sync`: share one `Device` between threads. Pipelines are compiled once
/// per device and cached.
///
/// # Resource bounds
///
/// Device buffers come from the device's pool, rounded up to a size class (≥ 256 B, at most 12.5 % + 256 B over).
/// - **Pool**: idle buffers by (usage, size class), at most [`DeviceOptions::pool_cap_bytes`]; [`trim_pool`]
///   releases them; an out-of-memory allocation clears the pool and retries once. [`pool_stats`] shows it.
/// - **Tensor**: one storage buffer shared by all its clones and views, back to the pool when the last drops.
/// - **Pending upload**: the tensor's buffer, plus two staging chunks of `min(staging_chunk_bytes, size)` on the
///   staging path (nothing more on the mapped-storage path or for uploads ≤ 4 KiB, which go through the batch
///   arena). **Pending download**: the result `Array`, plus two readback chunks on the staging path. A dropped
///   future unmaps and returns what it held.
/// - **Mapped tensor** (mapped-storage path): mapped for one memcpy; no extra memory, but the stream submits
///   nothing meanwhile and downloads of one tensor take turns.
/// - **Batch**: the recorded commands (keeping the buffers they use alive until the GPU is done) and an arena of
///   at most 1 MiB for parameters and small uploads; submitted every 128 dispatches, when the arena is full, and
///   when the host needs results.
/// - **Per device**: one compiled pipeline per kernel variant used (never evicted), one poller thread, at most 64
///   uncaptured error messages.
///
/// [`trim_pool`]: Device::trim_pool
/// [`pool_stats`]: Device::pool_stats
///
/// ```
/// use wgpu_tensor::{Array, Device};
/// let device = Device::new()?;
/// let tensor = device.upload(&Array::from_vec(vec![1.0f32, 2.0, 3.0], [3])?)?; // a copy, host -> device
/// let back = tensor.download()?; // a copy, device -> host
/// assert_eq!(back.to_vec::<f32>()?, [1.0, 2.0, 3.0]);
/// # Ok::<(), wgpu_tensor::Error>(())
/// ```
#[derive(Clone)]
pub struct Device {
    inner: Arc<DeviceInner>,
}

impl std::fmt::Debug for Device {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Device")
            .field("adapter", &self.inner.info.name)
            .field("backend", &self.inner.info.backend)
            .finish()
    }
}

impl Device {
    /// Opens the best adapter: discrete > integrated > software, Vulkan/Metal/DX12 over GL, honouring
    /// `WGPU_BACKEND` and `WGPU_ADAPTER_NAME`.
    ///
    /// # Errors
    /// [`Error::NoAdapter`] (with how to install a software driver) when no adapter can run compute shaders;
    /// [`Error::RequestDevice`] when the adapter refuses to open.
    pub fn new() -> Result<Device> {
        Self::with_options(DeviceOptions::default())
    }

    /// Opens an adapter chosen by `options`.
    ///
    /// # Errors
    /// [`Error::NoAdapter`], [`Error::AdapterNotFound`] (with the names present) when `adapter_name` or
    /// `force_software` matches nothing, [`Error::RequestDevice`]; [`Error::InvalidOption`] when
    /// [`TransferPath::MappedStorage`] is forced on a device without MAPPABLE_PRIMARY_BUFFERS (or with
    /// `native_extensions: false`).
    pub fn with_options(options: DeviceOptions) -> Result<Device> {
        pollster::block_on(Self::with_options_async(options))
    }

    /// The async form of [`Device::with_options`].
    ///
    /// # Errors
    /// As [`Device::with_options`].
    pub async fn with_options_async(options: DeviceOptions) -> Result<Device> {
        let backends = adapter::backends(options.backends);
        let instance = adapter::instance(backends);
        let adapter =
            adapter::choose(&instance, backends, options.adapter_name.as_deref(), options.force_software).await?;
        let wanted = if options.native_extensions {
            NATIVE_FEATURES.iter().fold(wgpu::Features::empty(), |acc, (f, _)| acc | *f)
        } else {
            wgpu::Features::empty()
        };
        let features = adapter.features() & wanted;
        let limits = adapter.limits();
        let adapter_info = adapter.get_info();
        let (device, queue) = adapter
            .request_device(&wgpu::DeviceDescriptor {
                label: Some("wgpu-tensor"),
                required_features: features,
                required_limits: limits.clone(),
                experimental_features: wgpu::ExperimentalFeatures::disabled(),
                memory_hints: wgpu::MemoryHints::Performance,
                trace: wgpu::Trace::Off,
            })
            .await
            .map_err(|e| Error::RequestDevice { adapter: adapter_info.name.clone(), reason: e.to_string() })?;

        let uncaptured = Arc::new(UncapturedLog::default());
        let log = uncaptured.clone();
        device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
            const KEPT: usize = 64;
            let mut log = log.0.lock().unwrap_or_else(|p| p.into_inner());
            if log.len() < KEPT {
                log.push(e.to_string());
            }
        }));
        let poller = Poller::start(device.clone());
        let notify_lost = poller.lost_notifier();
        device.set_device_lost_callback(move |reason, message| notify_lost(format!("{reason:?}: {message}")));

        let native = NativeExtensions {
            mappable_primary_buffers: features.contains(wgpu::Features::MAPPABLE_PRIMARY_BUFFERS),
            int64: features.contains(wgpu::Features::SHADER_INT64),
            f16: features.contains(wgpu::Features::SHADER_F16),
            f64: features.contains(wgpu::Features::SHADER_F64),
            subgroup_size: (features.contains(wgpu::Features::SUBGROUP)
                && adapter_info.subgroup_min_size == adapter_info.subgroup_max_size)
                .then_some(adapter_info.subgroup_min_size),
        };
        let info = DeviceInfo::new(&adapter_info, &limits, features);
        let staging_chunk = match options.staging_chunk_bytes {
            0 => return Err(Error::InvalidOption("staging_chunk_bytes must be at least 4".into())),
            n if n > limits.max_buffer_size => {
                return Err(Error::InvalidOption(format!(
                    "staging_chunk_bytes {n} exceeds the device's max_buffer_size {}",
                    limits.max_buffer_size
                )));
            }
            n => n.next_multiple_of(4),
        };
        let path = match options.transfer_path {
            TransferPath::Auto if native.mappable_primary_buffers && info.uma => TransferPath::MappedStorage,
            TransferPath::Auto => TransferPath::Staging,
            TransferPath::MappedStorage if !native.mappable_primary_buffers => {
                return Err(Error::InvalidOption(format!(
                    "transfer_path MappedStorage needs MAPPABLE_PRIMARY_BUFFERS, which {} does not offer here \
                     (or native_extensions is false)",
                    adapter_info.name
                )));
            }
            p => p,
        };
        Ok(Device {
            inner: Arc::new(DeviceInner {
                device,
                queue,
                info,
                limits,
                native,
                native_enabled: options.native_extensions,
                native_f32_exact: std::sync::OnceLock::new(),
                pipelines: PipelineCache::default(),
                uncaptured,
                pool: BufferPool::new(options.pool_cap_bytes),
                stream: Stream::default(),
                map_gate: MapGate::default(),
                path,
                staging_chunk,
                poller,
            }),
        })
    }

    /// What this device is: adapter, backend, type, driver, UMA, limits, extensions in use.
    pub fn info(&self) -> &DeviceInfo {
        &self.inner.info
    }

    /// The underlying `wgpu::Device`, for interop with your own wgpu code (bind a tensor's
    /// [`buffer`](crate::DeviceTensor::buffer) in your pipelines).
    pub fn wgpu_device(&self) -> &wgpu::Device {
        &self.inner.device
    }

    /// The underlying `wgpu::Queue`.
    pub fn wgpu_queue(&self) -> &wgpu::Queue {
        &self.inner.queue
    }

    /// The limits the device was opened with (the adapter's own limits, not WebGPU's defaults).
    pub fn limits(&self) -> &wgpu::Limits {
        &self.inner.limits
    }

    /// The transfer path this device uses (never `Auto`: the one `Auto` resolved to).
    pub fn transfer_path(&self) -> TransferPath {
        self.inner.path
    }

    pub(crate) fn staging_chunk(&self) -> u64 {
        self.inner.staging_chunk
    }

    pub(crate) fn pool(&self) -> &BufferPool {
        &self.inner.pool
    }

    /// Whether the device was opened with `native_extensions: true` (fast paths proven bit-identical allowed).
    pub(crate) fn native_extensions_enabled(&self) -> bool {
        self.inner.native_enabled
    }

    pub(crate) fn native_f32_exact(&self) -> &std::sync::OnceLock<bool> {
        &self.inner.native_f32_exact
    }

    pub(crate) fn native(&self) -> NativeExtensions {
        self.inner.native
    }

    /// `true` when both handles open the same device.
    pub fn same_device(&self, other: &Device) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    pub(crate) fn stream(&self) -> &Stream {
        &self.inner.stream
    }

    pub(crate) fn poller(&self) -> &Poller {
        &self.inner.poller
    }

    pub(crate) fn map_gate(&self) -> &MapGate {
        &self.inner.map_gate
    }

    /// [`Error::DeviceLost`] once wgpu reported the device lost.
    pub(crate) fn check_lost(&self) -> Result<()> {
        match self.inner.poller.lost() {
            Some(reason) => Err(Error::DeviceLost(reason)),
            None => Ok(()),
        }
    }

    /// The errors wgpu reported outside any error scope since the last call (at most 64 are kept): these come from
    /// your own raw wgpu calls on [`wgpu_device`](Self::wgpu_device), since every call this crate makes runs
    /// inside an error scope and reports its errors to the operation that caused them.
    pub fn take_uncaptured_errors(&self) -> Vec<String> {
        std::mem::take(&mut *self.inner.uncaptured.0.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Creates a buffer, turning over-limit sizes, out-of-memory and validation failures into errors.
    ///
    /// `size` is used as given; callers round it to the copy alignment (4 bytes).
    pub(crate) fn create_buffer(
        &self,
        label: &str,
        size: u64,
        usage: wgpu::BufferUsages,
        mapped_at_creation: bool,
    ) -> Result<wgpu::Buffer> {
        let max = self.inner.limits.max_buffer_size;
        if size > max {
            return Err(Error::TooLarge { what: label.to_string(), bytes: size, max_buffer_size: max });
        }
        self.check_lost()?;
        let device = &self.inner.device;
        scoped(device, label, size, || {
            device.create_buffer(&wgpu::BufferDescriptor { label: Some(label), size, usage, mapped_at_creation })
        })
        .map_err(|e| self.explain(e))
    }

    /// Submits `encoder` now, outside the stream (after [`Device::flush`], so it is ordered after recorded work).
    pub(crate) fn submit_now(&self, op: &str, encoder: wgpu::CommandEncoder) -> Result<wgpu::SubmissionIndex> {
        scoped(&self.inner.device, op, 0, || self.inner.queue.submit(Some(encoder.finish())))
            .map_err(|e| self.explain(e))
    }

    /// Blocks until `submission` (or, with `None`, everything submitted so far) has finished and its callbacks ran.
    pub(crate) fn wait(&self, submission: Option<wgpu::SubmissionIndex>) -> Result<()> {
        self.inner
            .device
            .poll(wgpu::PollType::Wait { submission_index: submission, timeout: None })
            .map_err(|e| Error::DeviceLost(e.to_string()))?;
        self.check_lost()
    }

    /// Maps the whole of `buffer`; the device's poller thread completes the map, so awaiting costs no CPU.
    pub(crate) async fn map_buffer(&self, buffer: &wgpu::Buffer, mode: wgpu::MapMode) -> Result<()> {
        let map: MapFuture = poller::map_buffer(&self.inner.poller, &self.inner.device, buffer, mode);
        map.await.map_err(|e| self.explain(e))
    }

    /// A failure of a wgpu call, or [`Error::DeviceLost`] when the device turns out to be lost: wgpu reports a
    /// destroyed device once its queue drains, so wait for that once before blaming the call (error path only).
    /// The poll that drains the queue may be another thread's, which takes wgpu's device-lost callback and runs
    /// it a moment later: so wait up to [`LOST_GRACE`] for the callback too (only a failure that is not a loss —
    /// a bug — pays that wait).
    pub(crate) fn explain(&self, e: Error) -> Error {
        match e {
            Error::Gpu(_) | Error::BufferMap(_) => {
                let _ = self.inner.device.poll(wgpu::PollType::wait_indefinitely());
                match self.inner.poller.wait_lost(LOST_GRACE) {
                    Some(reason) => Error::DeviceLost(reason),
                    None => e,
                }
            }
            e => e,
        }
    }

    /// The cached compute pipeline for `key`, compiled from `make_wgsl()` (entry point `main`) on first use.
    ///
    /// # Errors
    /// [`Error::Gpu`] when the shader or pipeline fails validation.
    pub(crate) fn pipeline(&self, key: KernelKey, make_wgsl: impl FnOnce() -> String) -> Result<Arc<Pipeline>> {
        self.inner.pipelines.get_or_build(&self.inner.device, key, make_wgsl)
    }
}
