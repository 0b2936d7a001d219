//! Exact dtype casts of a tensor on its device (the rules: [`crate::cast`]).

use std::sync::Arc;

use crate::{Array, CastPolicy, DType, Device, DeviceTensor, Error, Layout, Result};

impl DeviceTensor {
    /// Casts to `to` on the device into a new tensor, exactly (see the [rules](crate::cast)); integer → integer
    /// wraps like Rust `as`. The kernel is queued; the result is ready for any later use on this device.
    ///
    /// A same-dtype cast is a bit copy into a new buffer, never an alias.
    ///
    /// ```
    /// use wgpu_tensor::{Array, DType, Device};
    /// let device = Device::new()?;
    /// let t = device.upload(&Array::from(vec![i64::MAX, (1 << 24) + 1, -1]))?;
    /// let f = t.cast(DType::F32)?.download()?;
    /// assert_eq!(f.to_vec::<f32>()?, [i64::MAX as f32, 16_777_216.0, -1.0]);
    /// # Ok::<(), wgpu_tensor::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::TooLarge`] or [`Error::OutOfMemory`] when the output cannot be allocated; [`Error::Gpu`] for a wgpu
    /// validation error (a bug: please report it); [`Error::DeviceLost`] when the device is gone.
    pub fn cast(&self, to: DType) -> Result<DeviceTensor> {
        self.cast_with(to, CastPolicy::Wrap)
    }

    /// Casts to `to` on the device, with `policy` for out-of-range integer → integer values (the policy changes
    /// nothing else; see [`CastPolicy`]).
    ///
    /// ```
    /// use wgpu_tensor::{Array, CastPolicy, DType, Device};
    /// let device = Device::new()?;
    /// let t = device.upload(&Array::from(vec![-1i32, 300]))?;
    /// assert_eq!(t.cast_with(DType::U8, CastPolicy::Saturate)?.download()?.to_vec::<u8>()?, [0, 255]);
    /// # Ok::<(), wgpu_tensor::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`DeviceTensor::cast`].
    pub fn cast_with(&self, to: DType, policy: CastPolicy) -> Result<DeviceTensor> {
        self.cast_impl(to, policy, false).map(|(t, _)| t)
    }

    /// Casts to `to` on the device, or fails when any element's value would change (out of range, rounded,
    /// NaN into an integer, …; see [lossy elements](crate::cast#lossy-elements)). The lossy elements are counted on
    /// the device with atomics; this call waits for the count.
    ///
    /// ```
    /// use wgpu_tensor::{Array, DType, Device, Error};
    /// let device = Device::new()?;
    /// let t = device.upload(&Array::from(vec![0.5f64, 0.1, 3.0]))?;
    /// assert!(matches!(t.cast_checked(DType::F32), Err(Error::LossyCast { changed: 1, total: 3, .. })));
    /// # Ok::<(), wgpu_tensor::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::LossyCast`] with the number of changed elements; otherwise as [`DeviceTensor::cast`].
    pub fn cast_checked(&self, to: DType) -> Result<DeviceTensor> {
        let (out, changed) = self.cast_impl(to, CastPolicy::Wrap, true)?;
        if changed > 0 {
            return Err(Error::LossyCast { from: self.dtype(), to, changed, total: self.len() as u64 });
        }
        Ok(out)
    }

    /// The cast kernel on a copy of `self` that is contiguous from element 0 (the kernel binds aligned chunks).
    fn cast_impl(&self, to: DType, policy: CastPolicy, checked: bool) -> Result<(DeviceTensor, u64)> {
        if self.dtype() == to {
            // A bit-exact copy into a new buffer (a same-dtype cast never aliases its source).
            return Ok((self.copy()?, 0));
        }
        let src = if self.is_contiguous() && self.offset() == 0 { self.clone() } else { self.copy()? };
        let (storage, changed) =
            crate::cast::kernel::cast(src.storage(), self.len(), self.dtype(), to, policy, checked)?;
        let layout = Layout::contiguous(self.layout().shape().clone());
        Ok((DeviceTensor::from_storage(Arc::new(storage), layout, to), changed))
    }
}

impl Device {
    /// Uploads `array`'s bytes unchanged and casts them to `to` on the device (one copy of the source's bytes
    /// crosses to the device; the conversion runs there, exactly as [`DeviceTensor::cast`]).
    ///
    /// ```
    /// use wgpu_tensor::{Array, DType, Device};
    /// let device = Device::new()?;
    /// let t = device.upload_as(&Array::from(vec![1u8, 2, 255]), DType::F32)?;
    /// assert_eq!(t.download()?.to_vec::<f32>()?, [1.0, 2.0, 255.0]);
    /// # Ok::<(), wgpu_tensor::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`Device::upload`] and [`DeviceTensor::cast`].
    pub fn upload_as(&self, array: &Array, to: DType) -> Result<DeviceTensor> {
        self.upload(array)?.cast(to)
    }
}
