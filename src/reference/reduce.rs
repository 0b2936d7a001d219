//! The reduction tree of the device reductions, on the host.

/// Reduces `xs` along the fixed pairwise tree that every device reduction uses
/// ([`DeviceTensor::sum`](crate::DeviceTensor::sum), `prod`, `max`, `min`, `argmax`, …): `xs` padded with
/// `identity` to a power-of-two length, then halves combined recursively, `combine(lower half, upper half)`.
/// `pairwise(&[a, b, c], id, f)` is `f(f(a, b), f(c, id))`. An empty `xs` gives `identity`.
///
/// With `combine` the accumulation rule of a dtype (f32 `+` for an f32 sum, f64 `+` for an f64 sum, a NaN-aware
/// maximum, …) this is the device result bit for bit, so a float sum of `n` values errs by at most
/// ⌈log₂ n⌉ · ε · Σ|xᵢ| (ε = 2⁻²⁴ for f32, 2⁻⁵³ for f64).
///
/// ```
/// use wgpu_tensor::{reference, Array, Device};
/// let xs = [1.0, 1e100, 1.0, -1e100, 3.0];
/// let host = reference::pairwise(&xs, -0.0, |a: f64, b| a + b); // ((1 + 1e100) + (1 - 1e100)) + ((3 - 0) + (-0 - 0))
/// let device = Device::new()?;
/// let t = device.upload(&Array::from(xs.to_vec()))?;
/// assert_eq!(t.sum_all()?.download()?.to_vec::<f64>()?, [host]);
/// assert_eq!(host, 3.0);
/// # Ok::<(), wgpu_tensor::Error>(())
/// ```
pub fn pairwise<T: Copy>(xs: &[T], identity: T, combine: impl Fn(T, T) -> T) -> T {
    fn rec<T: Copy>(xs: &[T], identity: T, combine: &impl Fn(T, T) -> T, lo: usize, size: usize) -> T {
        if lo >= xs.len() {
            return identity;
        }
        if size == 1 {
            return xs[lo];
        }
        let h = size / 2;
        combine(rec(xs, identity, combine, lo, h), rec(xs, identity, combine, lo + h, h))
    }
    rec(xs, identity, &combine, 0, xs.len().max(1).next_power_of_two())
}
