//! The one error-scope helper: every wgpu call the crate makes runs inside it, so a validation error or an
//! out-of-memory is attributed to the operation that caused it (error scopes are thread-local in wgpu 30), never
//! to whichever thread checks a shared log next.

use crate::{Error, Result};

/// Runs `f` inside out-of-memory and validation error scopes. An out-of-memory becomes [`Error::OutOfMemory`]
/// (with `bytes`, the size being allocated, or 0), a validation error [`Error::Gpu`] naming `op`.
///
/// On native backends the scopes are resolved when popped, so this never waits for the GPU.
pub(crate) fn scoped<T>(device: &wgpu::Device, op: &str, bytes: u64, f: impl FnOnce() -> T) -> Result<T> {
    let oom = device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
    let validation = device.push_error_scope(wgpu::ErrorFilter::Validation);
    let value = f();
    let validation = pollster::block_on(validation.pop());
    let oom = pollster::block_on(oom.pop());
    if let Some(e) = oom {
        if std::env::var_os("WGPU_TENSOR_DEBUG").is_some() {
            eprintln!("wgpu-tensor: {op}: {e}");
        }
        return Err(Error::OutOfMemory { bytes });
    }
    if let Some(e) = validation {
        return Err(Error::Gpu(format!("{op}: {e}")));
    }
    Ok(value)
}
