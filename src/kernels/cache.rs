//! The per-device pipeline cache, keyed by a typed [`KernelKey`]: each kernel family names its variants with its
//! own type, so two families can never collide on a string and a key cannot be misspelt.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use crate::{Error, Result};

/// Which kernel, specialised for what: one variant per kernel family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum KernelKey {
    /// An exact dtype cast (see `crate::cast`).
    Cast(crate::cast::CastVariant),
    /// The strided copy family (see `crate::ops::copy`).
    Copy(crate::ops::copy::CopyVariant),
    /// The transposing copy of 4-byte elements (see `crate::ops::copy`).
    Transpose,
    /// An elementwise op (see `crate::ops::elementwise`).
    Elementwise(crate::ops::elementwise::ElementwiseVariant),
    /// A matrix product (see `crate::ops::matmul_kernel`).
    Matmul(crate::ops::matmul_wgsl::MatmulVariant),
    /// The pass that rounds f32 products to f16/bf16 and packs them.
    MatmulPack(crate::DType),
    /// One pass of a reduction tree (see `crate::ops::reduce_kernel`).
    Reduce(crate::ops::reduce_wgsl::PassVariant),
    /// The pass that turns a reduction's accumulators into output elements.
    ReduceFinish(crate::ops::reduce_wgsl::ReduceOp, crate::DType),
    /// A pass or the rounding of the exact sum (see `crate::ops::reduce_exact`).
    ReduceExact(crate::ops::reduce_exact::ExactVariant),
}

/// A compiled compute pipeline with its bind group layout (group 0).
pub(crate) struct Pipeline {
    pub pipeline: wgpu::ComputePipeline,
    pub layout: wgpu::BindGroupLayout,
}

/// Compiled compute pipelines of one device. Lookups take a read lock; a miss compiles outside any lock, so one
/// slow compile never blocks other kernels, and a race between two compiles of one key keeps the first.
#[derive(Default)]
pub(crate) struct PipelineCache {
    pipelines: RwLock<HashMap<KernelKey, Arc<Pipeline>>>,
}

impl PipelineCache {
    /// The pipeline for `key`, compiled from `make_wgsl()` (entry point `main`) on first use.
    ///
    /// # Errors
    /// [`Error::Gpu`] when the shader or pipeline fails validation (a bug in the crate's shaders).
    pub(crate) fn get_or_build(
        &self,
        device: &wgpu::Device,
        key: KernelKey,
        make_wgsl: impl FnOnce() -> String,
    ) -> Result<Arc<Pipeline>> {
        if let Some(p) = self.pipelines.read().unwrap_or_else(|p| p.into_inner()).get(&key) {
            return Ok(p.clone());
        }
        let wgsl = make_wgsl();
        let label = format!("{key:?}");
        let pipeline = crate::device::scoped(device, &label, 0, || {
            let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some(&label),
                source: wgpu::ShaderSource::Wgsl(wgsl.into()),
            });
            let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(&label),
                layout: None,
                module: &module,
                entry_point: Some("main"),
                compilation_options: Default::default(),
                cache: None,
            });
            let layout = pipeline.get_bind_group_layout(0);
            Pipeline { pipeline, layout }
        })
        .map_err(|e| match e {
            Error::Gpu(m) => Error::Gpu(format!("pipeline {m}")),
            e => e,
        })?;
        let mut map = self.pipelines.write().unwrap_or_else(|p| p.into_inner());
        Ok(map.entry(key).or_insert_with(|| Arc::new(pipeline)).clone())
    }
}
