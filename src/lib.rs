//! wgpu-tensor (crate docs below are filled in by the README work).

mod adapter;
mod array;
pub mod cast;
mod device;
mod device_info;
mod dtype;
mod error;
mod kernels;
mod memory;
mod ndarray_interop;
mod shape;
mod tensor;
mod transfer;

pub use adapter::list_adapters;
pub use array::Array;
pub use cast::{CastPolicy, cast_bits, cast_is_lossy};
pub use device::{Device, DeviceOptions};
pub use device_info::DeviceInfo;
pub use dtype::{DType, Element};
pub use error::{Error, Result};
pub use memory::PoolStats;
pub use shape::{IntoShape, Shape};
pub use tensor::DeviceTensor;
pub use transfer::{CopyStep, Location, TransferPath, TransferTrace};
pub use wgpu;
