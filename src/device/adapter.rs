//! Choosing an adapter: enumerate, filter by the options and wgpu's environment variables, rank.

use crate::{DeviceInfo, Error, Result};

/// The backends to search: `WGPU_BACKEND` when set (wgpu's own convention), else the options'.
pub(crate) fn backends(requested: wgpu::Backends) -> wgpu::Backends {
    wgpu::Backends::from_env().unwrap_or(requested)
}

/// A wgpu instance for `backends` that honours wgpu's other environment variables (flags, GL/DX12 options).
pub(crate) fn instance(backends: wgpu::Backends) -> wgpu::Instance {
    let mut desc = wgpu::InstanceDescriptor::new_without_display_handle_from_env();
    desc.backends = backends;
    wgpu::Instance::new(desc)
}

/// Lower ranks are preferred: discrete > integrated > virtual > other > software, then Vulkan/Metal/DX12 over GL.
fn rank(info: &wgpu::AdapterInfo) -> (u8, u8) {
    let kind = match info.device_type {
        wgpu::DeviceType::DiscreteGpu => 0,
        wgpu::DeviceType::IntegratedGpu => 1,
        wgpu::DeviceType::VirtualGpu => 2,
        wgpu::DeviceType::Other => 3,
        wgpu::DeviceType::Cpu => 4,
    };
    let api = match info.backend {
        wgpu::Backend::Vulkan | wgpu::Backend::Metal | wgpu::Backend::Dx12 => 0,
        _ => 1,
    };
    (kind, api)
}

/// Adapters that can run compute shaders, best first.
async fn compute_adapters(instance: &wgpu::Instance, backends: wgpu::Backends) -> Vec<wgpu::Adapter> {
    let mut adapters: Vec<wgpu::Adapter> = instance
        .enumerate_adapters(backends)
        .await
        .into_iter()
        .filter(|a| a.get_downlevel_capabilities().flags.contains(wgpu::DownlevelFlags::COMPUTE_SHADERS))
        .collect();
    adapters.sort_by_key(|a| rank(&a.get_info()));
    adapters
}

/// Picks the best adapter that matches `name` (a case-insensitive substring; `WGPU_ADAPTER_NAME` when `None`) and,
/// with `force_software`, is a software adapter.
pub(crate) async fn choose(
    instance: &wgpu::Instance,
    backends: wgpu::Backends,
    name: Option<&str>,
    force_software: bool,
) -> Result<wgpu::Adapter> {
    let env_name = std::env::var("WGPU_ADAPTER_NAME").ok().filter(|n| !n.is_empty());
    let wanted = name.map(str::to_owned).or(env_name);
    let adapters = compute_adapters(instance, backends).await;
    let available: Vec<String> = adapters
        .iter()
        .map(|a| a.get_info())
        .map(|i| format!("{} ({:?}, {:?})", i.name, i.backend, i.device_type))
        .collect();
    let chosen = adapters.into_iter().find(|a| {
        let info = a.get_info();
        let name_ok = wanted.as_ref().is_none_or(|w| info.name.to_lowercase().contains(&w.to_lowercase()));
        let kind_ok = !force_software || info.device_type == wgpu::DeviceType::Cpu;
        name_ok && kind_ok
    });
    match (chosen, wanted) {
        (Some(adapter), _) => Ok(adapter),
        (None, Some(wanted)) if !available.is_empty() => Err(Error::AdapterNotFound { wanted, available }),
        (None, _) if force_software && !available.is_empty() => {
            Err(Error::AdapterNotFound { wanted: "a software (CPU) adapter, as force_software asks".into(), available })
        }
        (None, _) => Err(Error::NoAdapter { backends: format!("{backends:?}") }),
    }
}

/// Describes every adapter that can run compute shaders on `backends` (best first), with the native extensions
/// each one offers. Nothing is opened.
///
/// ```
/// for info in wgpu_tensor::list_adapters(wgpu::Backends::all()) {
///     println!("{info}\n");
/// }
/// ```
pub fn list_adapters(backends: wgpu::Backends) -> Vec<DeviceInfo> {
    let backends = self::backends(backends);
    let instance = instance(backends);
    pollster::block_on(compute_adapters(&instance, backends))
        .iter()
        .map(|a| DeviceInfo::new(&a.get_info(), &a.limits(), a.features()))
        .collect()
}
