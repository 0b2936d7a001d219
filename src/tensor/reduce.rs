//! Reductions: deterministic trees (the same input gives the same bits on every run), integer sums exact in 64
//! bits, f16/bf16 accumulated in f32, f64 in f64 on every adapter (emulated on u32 pairs) — run by
//! `crate::ops::reduce_kernel`.

use std::sync::Arc;

use crate::device::Recorder;
use crate::ops::reduce_exact::encode_sum_exact;
use crate::ops::reduce_kernel::{ReduceView, encode_reduce};
use crate::ops::reduce_wgsl::{ReduceOp, output_dtype};
use crate::transfer::alloc_storage;
use crate::{DType, DeviceTensor, Error, Layout, Result};

/// A group of dims as one (length, stride), when their elements are evenly spaced in row-major order.
fn merge_group(dims: &[usize], strides: &[isize]) -> Option<(usize, isize)> {
    let len: usize = dims.iter().product();
    let live: Vec<(usize, isize)> = dims.iter().zip(strides).filter(|(d, _)| **d != 1).map(|(d, s)| (*d, *s)).collect();
    for w in live.windows(2) {
        if w[0].1 != w[1].1 * w[1].0 as isize {
            return None;
        }
    }
    Some((len, live.last().map_or(0, |&(_, s)| s)))
}

impl DeviceTensor {
    /// The sum over `dims` (an empty `dims` reduces nothing). Integer and Bool sums accumulate and return 64 bits
    /// (signed → I64, unsigned and Bool → U64), wrapping; f16/bf16 accumulate in f32 and round once; f32 is a
    /// pairwise tree sum, |error| ≤ ⌈log₂ n⌉ · 2⁻²⁴ · Σ|xᵢ|; f64 is the same tree in f64 (each addition correctly
    /// rounded, emulated on u32 pairs on every adapter), |error| ≤ ⌈log₂ n⌉ · 2⁻⁵³ · Σ|xᵢ|. The tree is fixed (see
    /// [`reference::pairwise`](crate::reference::pairwise)): the same bits on every run and every adapter. An empty
    /// reduction gives 0.
    ///
    /// ```
    /// use wgpu_tensor::{Array, Device};
    /// let device = Device::new()?;
    /// let t = device.upload(&Array::from_vec(vec![1i8, 2, 3, 100, 100, 100], [2, 3])?)?;
    /// assert_eq!(t.sum(&[1], false)?.download()?.to_vec::<i64>()?, [6, 300]);
    /// assert_eq!(t.sum(&[0], true)?.shape(), [1, 3]);
    /// # Ok::<(), wgpu_tensor::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] naming the op for a dim out of range or repeated; allocation errors.
    pub fn sum(&self, dims: &[usize], keepdim: bool) -> Result<DeviceTensor> {
        self.reduce(ReduceOp::Sum, dims, keepdim)
    }

    /// The product over `dims`, accumulated like [`sum`](Self::sum); an empty reduction gives 1.
    ///
    /// # Errors
    /// As [`DeviceTensor::sum`].
    pub fn prod(&self, dims: &[usize], keepdim: bool) -> Result<DeviceTensor> {
        self.reduce(ReduceOp::Prod, dims, keepdim)
    }

    /// The maximum over `dims` (a NaN wins).
    ///
    /// # Errors
    /// As [`DeviceTensor::sum`]; [`Error::InvalidArgument`] when a reduced dim is empty (numpy raises).
    pub fn max(&self, dims: &[usize], keepdim: bool) -> Result<DeviceTensor> {
        self.reduce(ReduceOp::Max, dims, keepdim)
    }

    /// The minimum over `dims` (a NaN wins).
    ///
    /// # Errors
    /// As [`DeviceTensor::max`].
    pub fn min(&self, dims: &[usize], keepdim: bool) -> Result<DeviceTensor> {
        self.reduce(ReduceOp::Min, dims, keepdim)
    }

    /// Whether any element over `dims` is nonzero (NaN is nonzero, −0.0 is zero) → Bool.
    ///
    /// # Errors
    /// As [`DeviceTensor::sum`].
    pub fn any(&self, dims: &[usize], keepdim: bool) -> Result<DeviceTensor> {
        self.reduce(ReduceOp::Any, dims, keepdim)
    }

    /// Whether every element over `dims` is nonzero → Bool.
    ///
    /// # Errors
    /// As [`DeviceTensor::sum`].
    pub fn all(&self, dims: &[usize], keepdim: bool) -> Result<DeviceTensor> {
        self.reduce(ReduceOp::All, dims, keepdim)
    }

    /// The mean over `dims` of a float tensor: the sum (f32/f16/bf16 accumulated in f32, f64 in f64) divided by the
    /// count (a correctly rounded division), rounded to the dtype.
    ///
    /// # Errors
    /// [`Error::UnsupportedDType`] for non-float tensors (cast first); otherwise as [`DeviceTensor::sum`];
    /// [`Error::InvalidArgument`] for an empty reduction (the mean of nothing).
    pub fn mean(&self, dims: &[usize], keepdim: bool) -> Result<DeviceTensor> {
        if !self.dtype().is_float() {
            let reason = format!("mean takes f64, f32, f16 or bf16 tensors, not {}; cast first", self.dtype());
            return Err(Error::UnsupportedDType { op: "mean", dtype: self.dtype(), reason });
        }
        self.check_dims("mean", dims)?;
        let count: usize = dims.iter().map(|&d| self.shape()[d]).product();
        if count == 0 {
            return Err(Error::InvalidArgument { op: "mean", reason: "the reduced dims are empty".into() });
        }
        if self.dtype() == DType::F64 {
            return self.sum(dims, keepdim)?.binary_scalar(crate::BinaryOp::Div, count as f64);
        }
        let wide = if self.dtype() == DType::F32 { self.clone() } else { self.cast(DType::F32)? };
        let mean = wide.sum(dims, keepdim)?.binary_scalar(crate::BinaryOp::Div, count as f32)?;
        if self.dtype() == DType::F32 { Ok(mean) } else { mean.cast(self.dtype()) }
    }

    /// The sum of every element, as a 0-d tensor.
    ///
    /// # Errors
    /// As [`DeviceTensor::sum`].
    pub fn sum_all(&self) -> Result<DeviceTensor> {
        self.sum(&(0..self.ndim()).collect::<Vec<_>>(), false)
    }

    /// The correctly rounded sum over `dims` of an f32, f16 or bf16 tensor: every term is added exactly (in a
    /// fixed-point superaccumulator of wide integers on the device) and the exact sum is rounded once, to nearest
    /// even, to the dtype — so the result does not depend on the order of the terms, the layout or the adapter, and
    /// it is what an infinitely precise sum would round to. An empty `dims` reduces nothing (the elements as they
    /// are).
    ///
    /// Specials: a NaN term, or both +inf and −inf, give NaN (the default quiet NaN; input payloads are not kept);
    /// otherwise an infinity gives that infinity; a finite exact sum past the largest finite value rounds to
    /// infinity as IEEE says; an exact zero sum is +0, or −0 when every term is −0 (as IEEE addition gives); an
    /// empty reduction is +0. Cost: about twice the time of [`sum`](Self::sum) on lavapipe (see `benches/reduce.rs`).
    ///
    /// ```
    /// use wgpu_tensor::{Array, Device};
    /// let device = Device::new()?;
    /// let t = device.upload(&Array::from_vec(vec![1e30f32, 1.0, -1e30, 3.0, 0.5, 0.25], [2, 3])?)?;
    /// assert_eq!(t.sum_exact(&[1], false)?.download()?.to_vec::<f32>()?, [1.0, 3.75]);
    /// assert_eq!(t.sum_all_exact()?.download()?.to_vec::<f32>()?, [4.75]);
    /// # Ok::<(), wgpu_tensor::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::UnsupportedDType`] for dtypes other than f32, f16 and bf16 (integer sums are already exact: use
    /// [`sum`](Self::sum); f64: cast to f32); [`Error::InvalidArgument`] naming the op for a dim out of range or
    /// repeated, or outputs past one storage binding; allocation errors.
    pub fn sum_exact(&self, dims: &[usize], keepdim: bool) -> Result<DeviceTensor> {
        const NAME: &str = "sum_exact";
        self.check_dims(NAME, dims)?;
        let dtype = self.dtype();
        if !matches!(dtype, DType::F32 | DType::F16 | DType::BF16) {
            let reason = format!(
                "sum_exact takes f32, f16 or bf16, not {dtype}; integer sums are already exact (use sum), \
                 f64: cast to f32 first"
            );
            return Err(Error::UnsupportedDType { op: NAME, dtype, reason });
        }
        let out_dims: Vec<usize> = (0..self.ndim())
            .filter_map(|d| if dims.contains(&d) { keepdim.then_some(1) } else { Some(self.shape()[d]) })
            .collect();
        if dims.is_empty() {
            return self.cast(dtype);
        }
        self.reduce_into(NAME, dims, out_dims, dtype, |rec, view, out| encode_sum_exact(rec, dtype, view, out))
    }

    /// The correctly rounded sum of every element, as a 0-d tensor (see [`sum_exact`](Self::sum_exact)).
    ///
    /// # Errors
    /// As [`DeviceTensor::sum_exact`].
    pub fn sum_all_exact(&self) -> Result<DeviceTensor> {
        self.sum_exact(&(0..self.ndim()).collect::<Vec<_>>(), false)
    }

    /// The maximum of every element, as a 0-d tensor.
    ///
    /// # Errors
    /// As [`DeviceTensor::max`].
    pub fn max_all(&self) -> Result<DeviceTensor> {
        self.max(&(0..self.ndim()).collect::<Vec<_>>(), false)
    }

    /// The minimum of every element, as a 0-d tensor.
    ///
    /// # Errors
    /// As [`DeviceTensor::max`].
    pub fn min_all(&self) -> Result<DeviceTensor> {
        self.min(&(0..self.ndim()).collect::<Vec<_>>(), false)
    }

    /// The index of the first maximum along `dim` (a NaN counts as the maximum, as in PyTorch) → I64.
    ///
    /// # Errors
    /// As [`DeviceTensor::max`].
    pub fn argmax(&self, dim: usize, keepdim: bool) -> Result<DeviceTensor> {
        self.reduce(ReduceOp::ArgMax, &[dim], keepdim)
    }

    /// The index of the first minimum along `dim` (a NaN wins) → I64.
    ///
    /// # Errors
    /// As [`DeviceTensor::max`].
    pub fn argmin(&self, dim: usize, keepdim: bool) -> Result<DeviceTensor> {
        self.reduce(ReduceOp::ArgMin, &[dim], keepdim)
    }

    fn check_dims(&self, op: &'static str, dims: &[usize]) -> Result<()> {
        let mut seen = vec![false; self.ndim()];
        for &d in dims {
            if d >= self.ndim() {
                let reason = format!("dim {d} is out of range for shape {:?}", self.shape());
                return Err(Error::InvalidArgument { op, reason });
            }
            if std::mem::replace(&mut seen[d], true) {
                return Err(Error::InvalidArgument { op, reason: format!("dim {d} is given twice") });
            }
        }
        Ok(())
    }

    fn reduce(&self, op: ReduceOp, dims: &[usize], keepdim: bool) -> Result<DeviceTensor> {
        let name = op.name();
        self.check_dims(name, dims)?;
        let out_dtype = output_dtype(op, self.dtype());
        let reduced = |d: usize| dims.contains(&d);
        let out_dims: Vec<usize> = (0..self.ndim())
            .filter_map(|d| if reduced(d) { keepdim.then_some(1) } else { Some(self.shape()[d]) })
            .collect();
        if dims.is_empty() && op != ReduceOp::ArgMax && op != ReduceOp::ArgMin {
            // Reduces nothing: each element alone, in the result dtype.
            return self.cast(out_dtype);
        }
        if op == ReduceOp::Sum && out_dtype.is_float() && dims.iter().any(|&d| self.shape()[d] == 0) {
            // A float sum of nothing is +0.0 (numpy); the tree's padding identity is -0.0 (x + -0.0 == x for
            // every x, -0.0 included), which is right for every non-empty sum only.
            return self.device().zeros(out_dtype, out_dims);
        }
        let dtype = self.dtype();
        self.reduce_into(name, dims, out_dims, out_dtype, |rec, view, out| encode_reduce(rec, op, dtype, view, out))
    }

    /// Reduces over `dims` (checked, not empty) into a new contiguous tensor of `out_dims` and `out_dtype`:
    /// `encode` records the kernels for the `[outer, R, inner]` view of the source into the output buffer.
    fn reduce_into(
        &self,
        name: &'static str,
        dims: &[usize],
        out_dims: Vec<usize>,
        out_dtype: DType,
        encode: impl FnOnce(&mut Recorder<'_>, &ReduceView<'_>, &wgpu::Buffer) -> Result<()>,
    ) -> Result<DeviceTensor> {
        let (src, [(outer, os), (r, rs), (inner, is)]) = self.reduce_source(dims)?;
        let view = ReduceView {
            buffer: src.buffer(),
            offset: src.offset(),
            outer,
            r,
            inner,
            outer_stride: os,
            r_stride: rs,
            inner_stride: is,
        };
        let out_layout = Layout::contiguous(out_dims);
        let (_, bytes) = out_layout.shape().checked_size(out_dtype)?;
        let device = self.device();
        let out = alloc_storage(device, name, bytes)?;
        device.record(name, |rec| encode(rec, &view, out.buffer()))?;
        Ok(DeviceTensor::from_storage(Arc::new(out), out_layout, out_dtype))
    }

    /// The tensor to read and its `[outer, R, inner]` (extent, stride) for a reduction over `dims` (checked, not
    /// empty): straight from the layout when the dims allow, else a packed `[keep, reduced]` copy.
    fn reduce_source(&self, dims: &[usize]) -> Result<(DeviceTensor, [(usize, isize); 3])> {
        let reduced = |d: usize| dims.contains(&d);
        let keep: Vec<usize> = (0..self.ndim()).filter(|&d| !reduced(d)).collect();
        let mut sorted = dims.to_vec();
        sorted.sort_unstable();
        let run = sorted.windows(2).all(|w| w[1] == w[0] + 1);
        let group = |ds: &[usize]| {
            let dd: Vec<usize> = ds.iter().map(|&d| self.shape()[d]).collect();
            let ss: Vec<isize> = ds.iter().map(|&d| self.strides()[d]).collect();
            merge_group(&dd, &ss)
        };
        let direct = if run {
            let (first, last) = (sorted[0], sorted[sorted.len() - 1]);
            let before: Vec<usize> = (0..first).collect();
            let after: Vec<usize> = (last + 1..self.ndim()).collect();
            match (group(&before), group(&sorted), group(&after)) {
                (Some(o), Some(r), Some(i)) => Some((self.clone(), o, r, i)),
                _ => None,
            }
        } else {
            None
        };
        let (src, (outer, os), (r, rs), (inner, is)) = match direct {
            Some(x) => x,
            None => {
                let order: Vec<usize> = keep.iter().chain(&sorted).copied().collect();
                let packed = self.permute(&order)?.contiguous()?;
                let outer: usize = keep.iter().map(|&d| self.shape()[d]).product();
                let r: usize = sorted.iter().map(|&d| self.shape()[d]).product();
                (packed, (outer, r as isize), (r, 1), (1, 0))
            }
        };
        Ok((src, [(outer, os), (r, rs), (inner, is)]))
    }
}
