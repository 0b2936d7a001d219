//! wgpu-tensor (crate docs written below).

mod array;
mod dtype;
mod error;
mod ndarray_interop;
mod shape;

pub use array::Array;
pub use dtype::{DType, Element};
pub use error::{Error, Result};
pub use shape::{IntoShape, Shape};
