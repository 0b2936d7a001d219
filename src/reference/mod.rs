//! Exact host references ("oracles") for the device ops: what each op must return, written in plain Rust over
//! [`Array`](crate::Array)s, so that you (and the crate's tests) can check a device result bit for bit.
//!
//! - Casts: [`Array::cast`](crate::Array::cast) / [`cast_with`](crate::Array::cast_with) and
//!   [`cast_bits`](crate::cast_bits) (see the [`cast`](crate::cast) module).
//! - Elementwise ops: [`binary`], [`unary`] and [`where_cond`], with numpy broadcasting and exactly the semantics
//!   documented in the [`ops`](crate::ops) module; [`unary_f64`] is one op on one value in f64, the reference the
//!   measured accuracy of the transcendentals is stated against.
//! - Reductions: [`pairwise`], the fixed tree every device reduction follows; with a dtype's accumulation rule it
//!   gives the device result bit for bit.
//!
//! The references favour obviousness over speed (one element at a time, every rule written out), and they share
//! no code with the WGSL kernels: only the op tables ([`BinaryOp::result_dtype`](crate::BinaryOp::result_dtype),
//! [`UnaryOp::result_dtype`](crate::UnaryOp::result_dtype)), so a host call fails exactly where the device call does.
//!
//! ```
//! use wgpu_tensor::{reference, Array, BinaryOp, Device};
//!
//! let device = Device::new()?;
//! let a = Array::from(vec![i8::MIN, 7, -7, 100]);
//! let b = Array::from(vec![-1i8, 0, 2, 100]);
//! let on_device = device.upload(&a)?.div(&device.upload(&b)?)?.download()?;
//! let on_host = reference::binary(BinaryOp::Div, &a, &b)?;
//! assert_eq!(on_device, on_host); // MIN / -1 wraps, x / 0 = 0, truncation toward zero
//! assert_eq!(on_host.to_vec::<i8>()?, [i8::MIN, 0, -3, 1]);
//! # Ok::<(), wgpu_tensor::Error>(())
//! ```

mod elementwise;
mod reduce;

pub use elementwise::{binary, unary, unary_f64, where_cond};
pub use reduce::pairwise;
