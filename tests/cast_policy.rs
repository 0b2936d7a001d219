//! `cast_checked` counts, `CastPolicy::Saturate`, same-dtype copies, `upload_as`, empty and scalar tensors, and
//! casts of sources larger than `max_storage_buffer_binding_size` (128 MiB on lavapipe).

mod cast_common;

use cast_common::*;
use rand::{Rng, SeedableRng, rngs::StdRng};
use wgpu_tensor::{Array, CastPolicy, DType, Error};

#[test]
fn cast_checked_reports_exactly_k_lossy_elements() {
    let mut rng = StdRng::seed_from_u64(21);
    for (name, device) in devices() {
        for k in [0usize, 1, 2, 7, 1000] {
            // 10 000 f64 values that are exact in f32, then k of them made lossy at random distinct places.
            let mut v: Vec<f64> = (0..10_000).map(|i| (i as f64) * 0.25 - 100.0).collect();
            let mut places: Vec<usize> = (0..v.len()).collect();
            for i in 0..k {
                let j = rng.random_range(i..places.len());
                places.swap(i, j);
                v[places[i]] += 1e-9;
            }
            let src = Array::from(v);
            let t = device.upload(&src).unwrap();
            match t.cast_checked(DType::F32) {
                Ok(out) => {
                    assert_eq!(k, 0, "[{name}] no error with {k} lossy elements");
                    assert_eq!(out.download().unwrap().as_bytes(), src.cast(DType::F32).unwrap().as_bytes());
                }
                Err(Error::LossyCast { from, to, changed, total }) => {
                    assert_eq!((from, to, changed, total), (DType::F64, DType::F32, k as u64, 10_000), "[{name}]");
                }
                Err(e) => panic!("[{name}] {e}"),
            }
        }
        // The definition's corner cases: NaN -> float is not lossy, -0.0 -> int is not, NaN -> int is, -1 -> bool is.
        let src = Array::from(vec![f32::NAN, -0.0, f32::INFINITY, 1.0]);
        assert!(device.upload(&src).unwrap().cast_checked(DType::F16).is_ok());
        let err = device.upload(&src).unwrap().cast_checked(DType::I32).unwrap_err();
        assert!(matches!(err, Error::LossyCast { changed: 2, total: 4, .. }), "[{name}] {err}");
        let err = device.upload(&Array::from(vec![-1i8, 0, 1, 2])).unwrap().cast_checked(DType::Bool).unwrap_err();
        assert!(matches!(err, Error::LossyCast { changed: 2, .. }), "[{name}] {err}");
    }
}

#[test]
fn saturate_clamps_and_wrap_wraps() {
    let device = device();
    let src = Array::from(vec![-1i32, 300, -300, 127, i32::MIN, i32::MAX]);
    let t = device.upload(&src).unwrap();
    let sat = t.cast_with(DType::U8, CastPolicy::Saturate).unwrap().download().unwrap();
    assert_eq!(sat.to_vec::<u8>().unwrap(), [0, 255, 0, 127, 0, 255]);
    let sat = t.cast_with(DType::I8, CastPolicy::Saturate).unwrap().download().unwrap();
    assert_eq!(sat.to_vec::<i8>().unwrap(), [-1, 127, -128, 127, -128, 127]);
    let wrap = t.cast(DType::U8).unwrap().download().unwrap();
    assert_eq!(wrap.to_vec::<u8>().unwrap(), [255, 44, 212, 127, 0, 255]);
    let big = device.upload(&Array::from(vec![u64::MAX, 1 << 63, 5])).unwrap();
    let sat = big.cast_with(DType::I64, CastPolicy::Saturate).unwrap().download().unwrap();
    assert_eq!(sat.to_vec::<i64>().unwrap(), [i64::MAX, i64::MAX, 5]);
    // The policy does not change float casts.
    let f = device.upload(&Array::from(vec![1e10f64, -1e10, f64::NAN])).unwrap();
    for policy in [CastPolicy::Wrap, CastPolicy::Saturate] {
        let out = f.cast_with(DType::I32, policy).unwrap().download().unwrap();
        assert_eq!(out.to_vec::<i32>().unwrap(), [i32::MAX, i32::MIN, 0]);
    }
}

#[test]
fn same_dtype_is_a_copy_in_a_new_buffer() {
    let device = device();
    let src = Array::from(vec![f32::from_bits(0x7f80_0001), 1.5, -0.0]); // a signalling NaN stays as it is
    let t = device.upload(&src).unwrap();
    let c = t.cast(DType::F32).unwrap();
    assert!(c.buffer() != t.buffer(), "a same-dtype cast must not alias its source");
    assert_eq!(c.download().unwrap().as_bytes(), src.as_bytes());
    assert!(t.cast_checked(DType::F32).is_ok());
}

#[test]
fn empty_scalar_and_shapes() {
    let device = device();
    let e = device.upload(&Array::zeros(DType::I64, [3, 0]).unwrap()).unwrap();
    for to in DType::ALL {
        let c = e.cast(to).unwrap();
        assert_eq!((c.dtype(), c.len()), (to, 0));
        assert!(e.cast_checked(to).is_ok());
    }
    let s = device.upload(&Array::scalar(-2.5f64)).unwrap();
    let c = s.cast(DType::I8).unwrap().download().unwrap();
    assert_eq!((c.shape(), c.to_vec::<i8>().unwrap()), (&[][..], vec![-2]));
    let m = device.upload(&Array::from_vec((0..24u16).collect(), [2, 3, 4]).unwrap()).unwrap();
    assert_eq!(m.cast(DType::BF16).unwrap().shape(), m.shape());
}

#[test]
fn upload_as_casts_on_the_device() {
    let device = device();
    let a = Array::from(vec![i64::MAX, (1 << 24) + 1, -1, (1 << 53) + 1]);
    for to in DType::ALL {
        let t = device.upload_as(&a, to).unwrap();
        assert_eq!(t.dtype(), to);
        assert_eq!(t.download().unwrap().as_bytes(), a.cast(to).unwrap().as_bytes(), "upload_as {to}");
    }
}

/// Sources larger than 128 MiB: the kernel binds sub-ranges and dispatches per chunk.
#[test]
fn larger_than_a_storage_binding() {
    let device = device();
    let mut rng = StdRng::seed_from_u64(22);
    let n = 40_000_000usize; // 160 MB of u32
    let v: Vec<u32> = (0..n).map(|_| rng.random::<u32>() >> rng.random_range(0..32)).collect();
    let src = Array::from(v);
    check_cast("40M u32", device, &src, DType::F32, CastPolicy::Wrap);
    drop(src);
    let n = 17_000_001usize; // 136 MB of i64
    let v: Vec<i64> = (0..n).map(|_| (rng.random::<u64>() >> rng.random_range(0..64)) as i64).collect();
    let src = Array::from(v);
    check_cast("17M i64", device, &src, DType::F32, CastPolicy::Wrap);
    check_cast("17M i64", device, &src, DType::U8, CastPolicy::Saturate);
    check_lossy_count("17M i64", device, &src, DType::F32);
}
