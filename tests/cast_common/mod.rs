//! Shared helpers of the cast test binaries: one device per binary and per configuration (a missing adapter is a
//! failure with the error's message), and comparison of device casts against the exact host oracle.
#![allow(dead_code)]

use std::sync::OnceLock;

use wgpu_tensor::{Array, CastPolicy, DType, Device, DeviceOptions, Error};

/// The software/default adapter with native extensions allowed, and the same with them forced off.
/// (The cast kernels only use the portable path, so both must give identical bits.)
pub fn devices() -> &'static [(&'static str, Device)] {
    static DEVICES: OnceLock<Vec<(&'static str, Device)>> = OnceLock::new();
    DEVICES.get_or_init(|| {
        let native = Device::new().unwrap_or_else(|e| panic!("no adapter for the cast tests: {e}"));
        let portable = Device::with_options(DeviceOptions { native_extensions: false, ..DeviceOptions::default() })
            .unwrap_or_else(|e| panic!("no adapter for the cast tests (native_extensions: false): {e}"));
        eprintln!("cast tests on: {} | {}", native.info(), portable.info());
        vec![("native_extensions: true", native), ("native_extensions: false", portable)]
    })
}

/// The first device only (for the large, slower tests).
pub fn device() -> &'static Device {
    &devices()[0].1
}

/// A GL adapter when one is present (llvmpipe through EGL), else `None` with a note.
pub fn gl_device() -> Option<&'static Device> {
    static GL: OnceLock<Option<Device>> = OnceLock::new();
    GL.get_or_init(|| {
        match Device::with_options(DeviceOptions { backends: wgpu::Backends::GL, ..DeviceOptions::default() }) {
            Ok(d) => {
                eprintln!("GL adapter: {}", d.info());
                Some(d)
            }
            Err(e) => {
                eprintln!("no GL adapter, GL casts not run: {e}");
                None
            }
        }
    })
    .as_ref()
}

/// The element `i` of an array as zero-extended bits.
pub fn bits_at(a: &Array, i: usize) -> u64 {
    let s = a.dtype().size_in_bytes();
    let mut b = [0u8; 8];
    b[..s].copy_from_slice(&a.as_bytes()[i * s..(i + 1) * s]);
    u64::from_le_bytes(b)
}

/// Casts `src` on `device` and compares every element, bit for bit, with the host oracle; panics with the first
/// mismatches. Returns the number of elements compared.
pub fn check_cast(name: &str, device: &Device, src: &Array, to: DType, policy: CastPolicy) -> usize {
    let got = device.upload(src).and_then(|t| t.cast_with(to, policy)).and_then(|t| t.download());
    let got = got.unwrap_or_else(|e| panic!("[{name}] {} -> {to} {policy:?} failed: {e}", src.dtype()));
    let want = src.cast_with(to, policy).unwrap_or_else(|e| panic!("[{name}] host cast failed: {e}"));
    assert_eq!(got.dtype(), to);
    assert_eq!(got.shape(), src.shape());
    if got.as_bytes() != want.as_bytes() {
        let bad: Vec<String> = (0..src.len())
            .filter(|&i| bits_at(&got, i) != bits_at(&want, i))
            .take(5)
            .map(|i| {
                format!("{:#x} -> device {:#x}, oracle {:#x}", bits_at(src, i), bits_at(&got, i), bits_at(&want, i))
            })
            .collect();
        let n_bad = (0..src.len()).filter(|&i| bits_at(&got, i) != bits_at(&want, i)).count();
        panic!("[{name}] {} -> {to} {policy:?}: {n_bad} of {} elements differ, e.g. {bad:?}", src.dtype(), src.len());
    }
    src.len()
}

/// Casts `src` to every target on every device of [`devices`]: wrap (and saturate for int → int) bit for bit
/// against the oracle, and the lossy count of `cast_checked`.
pub fn check_every_target(src: &Array) {
    for (name, device) in devices() {
        for to in DType::ALL {
            check_cast(name, device, src, to, CastPolicy::Wrap);
            if src.dtype().is_int() && to.is_int() {
                check_cast(name, device, src, to, CastPolicy::Saturate);
            }
            check_lossy_count(name, device, src, to);
        }
    }
}

/// `cast_checked` on `device` reports exactly the oracle's number of lossy elements (or succeeds with the oracle's
/// bits when there are none).
pub fn check_lossy_count(name: &str, device: &Device, src: &Array, to: DType) {
    let want = src.count_lossy(to);
    let t = device.upload(src).unwrap_or_else(|e| panic!("[{name}] upload: {e}"));
    match t.cast_checked(to) {
        Ok(out) => {
            assert_eq!(want, 0, "[{name}] {} -> {to}: cast_checked passed but {want} elements are lossy", src.dtype());
            assert_eq!(out.download().unwrap().as_bytes(), src.cast(to).unwrap().as_bytes());
        }
        Err(Error::LossyCast { from, to: t2, changed, total }) => {
            assert_eq!((from, t2, total), (src.dtype(), to, src.len() as u64));
            assert_eq!(
                changed,
                want,
                "[{name}] {} -> {to}: device counted {changed} lossy, oracle {want}",
                src.dtype()
            );
        }
        Err(e) => panic!("[{name}] {} -> {to}: cast_checked failed: {e}", src.dtype()),
    }
}

/// Every bit pattern of an 8- or 16-bit dtype (bool: 0 and 1).
pub fn all_patterns(dtype: DType) -> Array {
    let n: u64 = if dtype == DType::Bool { 2 } else { 1 << dtype.size_in_bits() };
    let bytes: Vec<u8> = (0..n).flat_map(|b| b.to_le_bytes()[..dtype.size_in_bytes()].to_vec()).collect();
    Array::from_bytes(dtype, [n as usize], &bytes).expect("patterns")
}

/// An array of `dtype` from zero-extended bit patterns.
pub fn from_bits(dtype: DType, bits: &[u64]) -> Array {
    let s = dtype.size_in_bytes();
    let bytes: Vec<u8> = bits.iter().flat_map(|b| b.to_le_bytes()[..s].to_vec()).collect();
    Array::from_bytes(dtype, [bits.len()], &bytes).expect("bits")
}
