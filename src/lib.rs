//! wgpu-tensor (crate docs written below).

mod array;
pub mod cast;
mod dtype;
mod error;
mod ndarray_interop;
mod shape;

pub use array::Array;
pub use cast::{CastPolicy, cast_bits, cast_is_lossy};
pub use dtype::{DType, Element};
pub use error::{Error, Result};
pub use shape::{IntoShape, Shape};
