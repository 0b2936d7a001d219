//! Upload/download round trips: every dtype, awkward lengths and shapes, strided ndarray views, the copy contract,
//! on the default adapter, with `native_extensions: false`, and on the GL backend when one is present.

use std::sync::OnceLock;

use ndarray::{Array2, Array3, s};
use proptest::prelude::*;
use rand::{Rng, SeedableRng, rngs::StdRng};
use wgpu_tensor::{Array, DType, Device, DeviceOptions};

/// The devices under test: default, portable (no native extensions), and GL when present (said on stderr).
fn devices() -> &'static [Device] {
    static DEVICES: OnceLock<Vec<Device>> = OnceLock::new();
    DEVICES.get_or_init(|| {
        let default = Device::new().unwrap_or_else(|e| panic!("no adapter for the tests: {e}"));
        let portable = Device::with_options(DeviceOptions { native_extensions: false, ..Default::default() })
            .unwrap_or_else(|e| panic!("no adapter for the tests (native_extensions: false): {e}"));
        let mut devices = vec![default, portable];
        match Device::with_options(DeviceOptions { backends: wgpu::Backends::GL, ..Default::default() }) {
            Ok(gl) => devices.push(gl),
            Err(e) => eprintln!("NOTE: no GL adapter, the GL round trips did not run: {e}"),
        }
        devices
    })
}

/// An array of `dtype` whose bytes are random bit patterns (bool: random 0/1), so NaN payloads, subnormals and
/// signalling NaNs all appear in the float dtypes.
fn random_array(rng: &mut StdRng, dtype: DType, shape: &[usize]) -> Array {
    let len: usize = shape.iter().product();
    let bytes: Vec<u8> = (0..len * dtype.size_in_bytes())
        .map(|_| if dtype == DType::Bool { rng.random_range(0..2) } else { rng.random() })
        .collect();
    Array::from_bytes(dtype, shape, &bytes).unwrap()
}

#[test]
fn every_dtype_round_trips_byte_identically() {
    let mut rng = StdRng::seed_from_u64(1);
    for device in devices() {
        for dtype in DType::ALL {
            for len in [0usize, 1, 2, 3, 5, 1023, 4097] {
                let a = random_array(&mut rng, dtype, &[len]);
                let t = device.upload(&a).unwrap();
                assert_eq!((t.dtype(), t.shape(), t.len()), (dtype, &[len][..], len));
                let back = t.download().unwrap();
                assert_eq!(back, a, "{dtype} len {len} on {:?}", device.info().backend);
                let back = pollster::block_on(t.download_async()).unwrap();
                assert_eq!(back, a, "async {dtype} len {len}");
            }
        }
    }
}

#[test]
fn float_nan_patterns_survive_bit_for_bit() {
    let patterns = [0x7fc0_0001u32, 0x7f80_0001, 0xffc1_2345, 0xff80_0001, 0x0000_0001, 0x8000_0000];
    let a = Array::from_vec(patterns.map(f32::from_bits).to_vec(), [6]).unwrap();
    for device in devices() {
        let back = device.upload(&a).unwrap().download().unwrap();
        let bits: Vec<u32> = back.to_vec::<f32>().unwrap().iter().map(|x| x.to_bits()).collect();
        assert_eq!(bits, patterns);
    }
}

#[test]
fn shapes_scalar_empty_and_nd() {
    let mut rng = StdRng::seed_from_u64(2);
    for device in devices() {
        for shape in [vec![], vec![0], vec![2, 3], vec![1, 0, 5], vec![3, 1, 4, 2]] {
            for dtype in [DType::Bool, DType::I8, DType::BF16, DType::F64] {
                let a = random_array(&mut rng, dtype, &shape);
                let t = device.upload(&a).unwrap();
                assert_eq!(t.shape(), &shape[..]);
                assert_eq!(t.download().unwrap(), a, "{dtype} {shape:?}");
            }
        }
    }
    let s = devices()[0].upload(&Array::scalar(-7i64)).unwrap().download().unwrap();
    assert_eq!((s.shape(), s.to_vec::<i64>().unwrap()), (&[][..], vec![-7]));
}

#[test]
fn strided_ndarray_views_upload_in_logical_order() {
    let m = Array2::from_shape_fn((5, 7), |(i, j)| (i * 7 + j) as i32);
    let device = &devices()[0];
    let transposed = Array::try_from(m.t()).unwrap();
    let back = device.upload(&transposed).unwrap().download().unwrap().to_ndarray::<i32>().unwrap();
    assert_eq!(back, m.t().into_dyn());
    let stepped = m.slice(s![1..;2, ..;-3]);
    let back =
        device.upload(&Array::try_from(&stepped).unwrap()).unwrap().download().unwrap().to_ndarray::<i32>().unwrap();
    assert_eq!(back, stepped.into_dyn());
    let cube = Array3::from_shape_fn((2, 3, 4), |(a, b, c)| half::f16::from_f32((a * 100 + b * 10 + c) as f32));
    let permuted = cube.view().permuted_axes([2, 0, 1]);
    let back = device.upload(&Array::try_from(permuted).unwrap()).unwrap().download().unwrap();
    assert_eq!(back.to_ndarray::<half::f16>().unwrap(), permuted.into_dyn());
}

#[test]
fn upload_copies_and_never_aliases() {
    let device = &devices()[0];
    let mut host = Array::from_vec(vec![1.0f32, 2.0, 3.0], [3]).unwrap();
    let tensor = device.upload(&host).unwrap();
    host.as_slice_mut::<f32>().unwrap()[0] = 100.0; // allowed: the tensor borrows nothing from `host`
    assert_eq!(tensor.download().unwrap().to_vec::<f32>().unwrap(), [1.0, 2.0, 3.0]);
    let mut first = tensor.download().unwrap();
    first.as_slice_mut::<f32>().unwrap()[1] = -5.0;
    assert_eq!(tensor.download().unwrap().to_vec::<f32>().unwrap(), [1.0, 2.0, 3.0]);
    let other = device.upload(&host).unwrap();
    assert!(other.buffer() != tensor.buffer(), "each upload owns a new buffer");
}

#[test]
fn larger_than_one_storage_binding() {
    let device = &devices()[0];
    let binding = device.info().max_storage_buffer_binding_size;
    let len = (binding as usize / 8) + 12_345; // > 128 MiB of u64 on lavapipe
    let data: Vec<u64> = (0..len as u64).map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15)).collect();
    let a = Array::from_vec(data, [len]).unwrap();
    let back = device.upload(&a).unwrap().download().unwrap();
    assert!(back.as_bytes() == a.as_bytes(), "large round trip differs");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn any_shape_and_dtype_round_trips(dims in proptest::collection::vec(0usize..6, 0..4), d in 0usize..13, seed: u64) {
        let mut rng = StdRng::seed_from_u64(seed);
        let a = random_array(&mut rng, DType::ALL[d], &dims);
        let back = devices()[0].upload(&a).unwrap().download().unwrap();
        prop_assert_eq!(back, a);
    }
}
