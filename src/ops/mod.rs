//! Operations on device buffers: one module per family. Each launcher validates its arguments, builds its
//! pipelines through the device's cache and records its dispatches into a command encoder that the caller submits.

// The launchers are wired into `DeviceTensor` by the tensor layer; until then only the tests call them.
#![cfg_attr(not(test), allow(dead_code))]

pub(crate) mod matmul_kernel;
mod matmul_wgsl;
pub(crate) mod reduce_kernel;
pub(crate) mod reduce_wgsl;
pub(crate) mod view;

#[cfg(test)]
mod matmul_speed;
#[cfg(test)]
mod matmul_tests;
#[cfg(test)]
mod reduce_speed;
#[cfg(test)]
mod reduce_tests;
