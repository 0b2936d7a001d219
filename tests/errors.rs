//! Every error path reachable from the public API returns a typed `Error` whose message says what to do.

use wgpu_tensor::{Array, DType, Device, DeviceOptions, Error};

#[test]
fn shape_mismatch() {
    let e = Array::from_vec(vec![1i64, 2, 3], [2, 2]).unwrap_err();
    assert!(matches!(e, Error::ShapeMismatch { expected: 4, actual: 3, .. }), "{e}");
    assert!(e.to_string().contains("[2, 2]"), "{e}");
    let e = Array::from_slice(&[1u8; 6], vec![4]).unwrap_err();
    assert!(matches!(e, Error::ShapeMismatch { expected: 4, actual: 6, .. }));
    let e = Array::zeros(DType::F64, [usize::MAX / 4, 3]).unwrap_err();
    assert!(matches!(e, Error::ShapeOverflow { .. }), "{e}");
    let e = Array::from_vec(vec![0u8; 6], [2, 3]).unwrap().reshape([5]).unwrap_err();
    assert!(matches!(e, Error::ShapeMismatch { expected: 5, actual: 6, .. }), "{e}");
}

#[test]
fn wrong_element_type() {
    let a = Array::from_vec(vec![1i64, 2], [2]).unwrap();
    let e = a.to_vec::<f32>().unwrap_err();
    assert!(matches!(e, Error::DTypeMismatch { expected: DType::F32, actual: DType::I64 }), "{e}");
    assert!(e.to_string().contains("cast"), "the message points at the fix: {e}");
    assert!(a.to_ndarray::<u64>().is_err());
    assert!(a.as_slice::<i32>().is_err());
}

#[test]
fn raw_bytes_are_checked() {
    assert!(matches!(Array::from_bytes(DType::F32, [2], &[0; 7]), Err(Error::ByteLength { expected: 8, .. })));
    assert!(Array::from_bytes(DType::Bool, [3], &[0, 1, 7]).is_err());
}

#[test]
fn adapter_not_found_lists_what_is_there() {
    let options = DeviceOptions { adapter_name: Some("no-such-gpu-xyz".into()), ..Default::default() };
    let e = Device::with_options(options).unwrap_err();
    match &e {
        Error::AdapterNotFound { wanted, available } => {
            assert_eq!(wanted, "no-such-gpu-xyz");
            assert!(!available.is_empty(), "at least the test adapter is present");
        }
        other => panic!("expected AdapterNotFound, got {other}"),
    }
    assert!(e.to_string().contains("no-such-gpu-xyz"));
}

#[test]
fn no_adapter_message_says_how_to_get_one() {
    let e = Error::NoAdapter { backends: "VULKAN".into() };
    assert!(e.to_string().contains("apt-get install -y mesa-vulkan-drivers"), "{e}");
}

#[test]
fn over_limit_size_names_both_sizes() {
    let device = Device::new().unwrap_or_else(|e| panic!("no adapter for the tests: {e}"));
    let max = device.info().max_buffer_size;
    // One element past max_buffer_size. The host array is zero-filled by the allocator lazily, so it costs no
    // memory traffic; the upload must refuse it before allocating anything on the device.
    let elements = (max / 8 + 1) as usize;
    if elements.checked_mul(8).is_some_and(|b| b <= 4 << 30) {
        let big = Array::zeros(DType::U64, [elements]).unwrap();
        let e = device.upload(&big).unwrap_err();
        match &e {
            Error::TooLarge { bytes, max_buffer_size, .. } => {
                assert!(*bytes > max && *max_buffer_size == max, "{e}");
                let msg = e.to_string();
                assert!(msg.contains(&max.to_string()) && msg.contains(&bytes.to_string()), "{msg}");
            }
            other => panic!("expected TooLarge, got {other}"),
        }
    } else {
        panic!("this adapter's max_buffer_size ({max} B) is too large to test the over-limit error cheaply");
    }
}

#[test]
fn handles_are_shareable_between_threads() {
    fn assert_send_sync_clone<T: Send + Sync + Clone>() {}
    assert_send_sync_clone::<Device>();
    assert_send_sync_clone::<Array>();
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<wgpu_tensor::DeviceTensor>();
    assert_send_sync::<Error>();
}
