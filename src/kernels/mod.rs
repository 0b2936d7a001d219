//! Compute kernels: the per-device pipeline cache, WGSL composition and dispatch geometry. Each kernel family has
//! its own launcher module (the casts live in [`crate::cast`]).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use crate::{Error, Result};

/// Compiled compute pipelines of one device, keyed by kernel, dtypes and variant (a string such as
/// `"cast/i64/f32/wrap"`). Lookups take a read lock; a miss compiles outside any lock, so one slow compile never
/// blocks other kernels, and a race between two compiles of one key keeps the first.
#[derive(Default)]
pub(crate) struct PipelineCache {
    pipelines: RwLock<HashMap<String, Arc<wgpu::ComputePipeline>>>,
}

impl PipelineCache {
    pub(crate) fn get_or_build(
        &self,
        device: &wgpu::Device,
        key: &str,
        make_wgsl: impl FnOnce() -> String,
    ) -> Result<Arc<wgpu::ComputePipeline>> {
        if let Some(p) = self.pipelines.read().unwrap_or_else(|p| p.into_inner()).get(key) {
            return Ok(p.clone());
        }
        let wgsl = make_wgsl();
        let scope = device.push_error_scope(wgpu::ErrorFilter::Validation);
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some(key),
            source: wgpu::ShaderSource::Wgsl(wgsl.into()),
        });
        let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some(key),
            layout: None,
            module: &module,
            entry_point: Some("main"),
            compilation_options: Default::default(),
            cache: None,
        });
        if let Some(e) = pollster::block_on(scope.pop()) {
            return Err(Error::Gpu(format!("pipeline {key}: {e}")));
        }
        let mut map = self.pipelines.write().unwrap_or_else(|p| p.into_inner());
        Ok(map.entry(key.to_string()).or_insert_with(|| Arc::new(pipeline)).clone())
    }
}

/// Composes a WGSL module: `template` with every `{{name}}` token replaced by its part.
///
/// Only whole `{{name}}` tokens are replaced, never ordinary words.
///
/// # Panics
/// If a `{{` survives (a token without a part): a bug in the crate's shaders, caught by its tests.
pub(crate) fn compose(template: &str, parts: &[(&str, &str)]) -> String {
    let mut out = template.to_string();
    for (name, part) in parts {
        out = out.replace(&format!("{{{{{name}}}}}"), part);
    }
    if let Some(at) = out.find("{{") {
        let token: String = out[at..].chars().take_while(|&c| c != '}').collect();
        panic!("unreplaced WGSL placeholder {token}}}}}");
    }
    out
}

/// A 2-D grid of `workgroups` workgroups with at most `max_per_dim` along x (WebGPU's limit is 65 535): the kernel
/// computes its linear workgroup index as `id.x + id.y * num_workgroups.x` and returns when past the end.
pub(crate) fn grid_2d(workgroups: u32, max_per_dim: u32) -> (u32, u32) {
    if workgroups <= max_per_dim {
        (workgroups.max(1), 1)
    } else {
        let y = workgroups.div_ceil(max_per_dim);
        (workgroups.div_ceil(y), y)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compose_replaces_tokens_only() {
        let s = compose("fn f() { {{body}} } // body", &[("body", "return;")]);
        assert_eq!(s, "fn f() { return; } // body");
    }

    #[test]
    #[should_panic(expected = "unreplaced")]
    fn compose_rejects_leftovers() {
        compose("{{a}} {{b}}", &[("a", "x")]);
    }

    #[test]
    fn grid_covers_every_workgroup() {
        for n in [1u32, 65_535, 65_536, 1 << 20, 4_000_000] {
            let (x, y) = grid_2d(n, 65_535);
            assert!(x <= 65_535 && y <= 65_535 && x as u64 * y as u64 >= n as u64, "{n}: {x}x{y}");
        }
    }
}
