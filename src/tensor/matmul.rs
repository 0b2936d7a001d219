//! Matrix products with numpy's `matmul` semantics, run by `crate::ops::matmul_kernel`: operands are read in place
//! through their strides (a transposed view costs nothing), batch dims broadcast.

use std::sync::Arc;

use crate::ops::matmul_kernel::{Dims, Operand, encode_matmul};
use crate::transfer::alloc_storage;
use crate::{DType, DeviceTensor, Error, Layout, Result, broadcast_shapes};

const OP: &str = "matmul";

impl DeviceTensor {
    /// The matrix product with numpy's `matmul` semantics: 1-D operands are promoted (a row on the left, a column
    /// on the right) and the added dim removed; batch dims broadcast; equal dtypes. Transposed and other strided
    /// views are read in place. f32 accumulates in f32 in a fixed order (the same bits on every run); f16/bf16
    /// accumulate in f32 and round once; i32/u32/i64/u64 are exact with wrapping; f64 (emulated on u32 pairs on
    /// every adapter) is exactly the host loop `c = 0.0; for k in 0..K { c += a[k] * b[k] }` over Rust `f64`: each
    /// product and sum correctly rounded, k in order, no fused multiply-add.
    ///
    /// ```
    /// use wgpu_tensor::{Array, Device};
    /// let device = Device::new()?;
    /// let a = device.upload(&Array::from_vec(vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], [2, 3])?)?;
    /// let c = a.matmul(&a.transpose(0, 1)?)?; // [2, 2], the transpose read in place
    /// assert_eq!(c.download()?.to_vec::<f32>()?, [14.0, 32.0, 32.0, 77.0]);
    /// # Ok::<(), wgpu_tensor::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::OpDTypeMismatch`]; [`Error::InvalidArgument`] naming both shapes when the inner dims differ, for
    /// 0-d operands, and for dtypes without a kernel (Bool, 8/16-bit integers: cast first); [`Error::Broadcast`]
    /// for batch dims that do not broadcast; [`Error::DeviceMismatch`]; allocation errors.
    pub fn matmul(&self, other: &DeviceTensor) -> Result<DeviceTensor> {
        self.check_same_device(other, OP)?;
        if self.dtype() != other.dtype() {
            return Err(Error::OpDTypeMismatch { op: OP, lhs: self.dtype(), rhs: other.dtype() });
        }
        if self.ndim() == 0 || other.ndim() == 0 {
            let reason = format!(
                "operands of shapes {:?} and {:?}: matmul needs at least 1-d operands; use mul",
                self.shape(),
                other.shape()
            );
            return Err(Error::InvalidArgument { op: OP, reason });
        }
        let dtype = self.dtype();
        let products_past_one_binding = || {
            let rows: usize = self.shape().iter().rev().skip(1).product();
            let cols = other.shape().last().copied().unwrap_or(1);
            (rows as u64).saturating_mul(cols as u64).saturating_mul(4)
                > self.device().limits().max_storage_buffer_binding_size
        };
        if matches!(dtype, DType::F16 | DType::BF16)
            && (self.device().info().is_software() || products_past_one_binding())
        {
            // On a CPU adapter the f32 kernels are an order of magnitude faster than the half-precision tiles, and
            // a product past one binding is computed in pieces, which the f32 kernels do: widen exactly, multiply
            // in f32, round once — the same contract (f32 accumulation, one rounding).
            let wide = self.cast(DType::F32)?.matmul(&other.cast(DType::F32)?)?;
            return wide.cast(dtype);
        }
        let a = if self.ndim() == 1 { self.unsqueeze(0)? } else { self.clone() };
        let b = if other.ndim() == 1 { other.unsqueeze(1)? } else { other.clone() };
        let (ar, br) = (a.ndim(), b.ndim());
        let (m, k) = (a.shape()[ar - 2], a.shape()[ar - 1]);
        let (k2, n) = (b.shape()[br - 2], b.shape()[br - 1]);
        if k != k2 {
            let reason = format!("shapes {:?} and {:?}: inner dims {k} and {k2} differ", self.shape(), other.shape());
            return Err(Error::InvalidArgument { op: OP, reason });
        }
        let batch = broadcast_shapes(OP, &a.shape()[..ar - 2], &b.shape()[..br - 2])?;
        let nbatch: usize = batch.iter().product();
        let operand = |t: &DeviceTensor, rows: usize, cols: usize| -> Result<DeviceTensor> {
            let full: Vec<usize> = batch.iter().copied().chain([rows, cols]).collect();
            let v = t.broadcast_to(full)?;
            // One batch stride: the batch dims must be evenly spaced, else pack them.
            let nb = batch.len();
            let ok = (0..nb.saturating_sub(1)).all(|i| {
                let (d, s) = (v.shape()[i + 1], v.strides()[i + 1]);
                d == 1 || v.shape()[i] == 1 || v.strides()[i] == s * d as isize
            });
            if ok { Ok(v) } else { v.contiguous() }
        };
        let (av, bv) = (operand(&a, m, k)?, operand(&b, k, n)?);
        let batch_stride = |t: &DeviceTensor| {
            let nb = batch.len();
            (0..nb).rev().find(|&i| t.shape()[i] != 1).map_or(0, |i| t.strides()[i])
        };
        let (ra, rb) = (av.ndim(), bv.ndim());
        let op_a = Operand {
            buffer: av.buffer(),
            offset: av.offset(),
            batch_stride: batch_stride(&av),
            row_stride: av.strides()[ra - 2],
            col_stride: av.strides()[ra - 1],
        };
        let op_b = Operand {
            buffer: bv.buffer(),
            offset: bv.offset(),
            batch_stride: batch_stride(&bv),
            row_stride: bv.strides()[rb - 2],
            col_stride: bv.strides()[rb - 1],
        };
        let mut out_dims: Vec<usize> = batch.clone();
        out_dims.extend([m, n]);
        let layout = Layout::contiguous(out_dims.clone());
        let (_, bytes) = layout.shape().checked_size(dtype)?;
        let device = self.device();
        let out = alloc_storage(device, OP, bytes)?;
        let dims = Dims { batch: nbatch, m, n, k };
        device.record(OP, |rec| encode_matmul(rec, dtype, dims, &op_a, &op_b, out.buffer()))?;
        let c = DeviceTensor::from_storage(Arc::new(out), layout, dtype);
        // Remove the promoted dims.
        let c = if other.ndim() == 1 { c.squeeze(c.ndim() - 1)? } else { c };
        if self.ndim() == 1 { c.squeeze(c.ndim() - if other.ndim() == 1 { 1 } else { 2 }) } else { Ok(c) }
    }
}
