//! Both transfer paths, forced, round-trip every dtype bit-exactly: empty, chunk-boundary and > 128 MiB sizes;
//! traces name the copies each path makes; forcing an unsupported path is an error.

mod transfer_common;

use transfer_common::*;
use wgpu_tensor::{Array, DType, Device, DeviceOptions, Error, Location, TransferPath};

#[test]
fn devices_use_the_forced_paths() {
    assert_eq!(mapped().transfer_path(), TransferPath::MappedStorage);
    assert_eq!(staging().transfer_path(), TransferPath::Staging);
}

#[test]
fn every_dtype_round_trips_at_awkward_sizes() {
    let chunk = CHUNK as usize;
    for (name, device) in devices() {
        for (i, dtype) in DType::ALL.into_iter().enumerate() {
            let s = dtype.size_in_bytes();
            // Empty, one element, odd counts, around the chunk size and several chunks plus a bit.
            for n in [0, 1, 3, 255, 257, chunk / s - 1, chunk / s + 1, (3 * chunk + 12) / s + 1] {
                assert_round_trip(name, device, &random_array(dtype, n, (i * 1000 + n) as u64));
            }
            assert_round_trip(name, device, &random_array(dtype, 1, 7).reshape([]).unwrap());
        }
    }
}

#[test]
fn more_than_128_mib_round_trips() {
    let bytes = random_bytes((129 << 20) + 3, 42);
    let array = Array::from_bytes(DType::U8, [bytes.len()], &bytes).unwrap();
    drop(bytes);
    for (name, device) in devices() {
        assert_round_trip(name, device, &array);
        device.trim_pool();
    }
}

#[test]
fn reused_buffers_keep_the_tail_padding_zero_and_data_exact() {
    for (name, device) in devices() {
        for round in 0..20u64 {
            let a = random_array(DType::U8, 1000 + (round as usize % 4), round);
            assert_round_trip(name, device, &a);
        }
    }
}

#[test]
fn async_forms_round_trip() {
    for (name, device) in devices() {
        let a = random_array(DType::F64, 10_001, 9);
        let t = pollster::block_on(device.upload_async(&a)).unwrap();
        let back = pollster::block_on(t.download_async()).unwrap();
        assert!(back.as_bytes() == a.as_bytes(), "[{name}]");
    }
}

#[test]
fn mapped_trace_has_one_host_copy_per_direction() {
    let a = random_array(DType::F32, 1 << 16, 3);
    let (t, up) = mapped().upload_traced(&a).unwrap();
    assert_eq!(up.path, TransferPath::MappedStorage);
    assert_eq!(up.copies.len(), 1);
    assert_eq!((up.copies[0].from, up.copies[0].to, up.copies[0].bytes), (Location::Host, Location::Device, 1 << 18));
    let (back, down) = t.download_traced().unwrap();
    assert!(back.as_bytes() == a.as_bytes());
    assert_eq!(down.copies.len(), 1);
    assert_eq!((down.copies[0].from, down.copies[0].to), (Location::Device, Location::Host));
    assert!(up.to_string().contains("host") && up.to_string().contains("GB/s"));
}

#[test]
fn staging_trace_goes_through_staging_and_readback() {
    let a = random_array(DType::U16, 3 << 19, 4);
    let (t, up) = staging().upload_traced(&a).unwrap();
    assert_eq!(up.path, TransferPath::Staging);
    let hops: Vec<_> = up.copies.iter().map(|c| (c.from, c.to)).collect();
    assert_eq!(hops, [(Location::Host, Location::Staging), (Location::Staging, Location::Device)]);
    assert_eq!(up.copies[0].bytes, 3 << 20);
    let (back, down) = t.download_traced().unwrap();
    assert!(back.as_bytes() == a.as_bytes());
    let hops: Vec<_> = down.copies.iter().map(|c| (c.from, c.to)).collect();
    assert_eq!(hops, [(Location::Device, Location::Readback), (Location::Readback, Location::Host)]);
}

#[test]
fn forcing_mapped_storage_without_native_extensions_is_an_invalid_option() {
    let options =
        DeviceOptions { transfer_path: TransferPath::MappedStorage, native_extensions: false, ..Default::default() };
    match Device::with_options(options) {
        Err(Error::InvalidOption(msg)) => assert!(msg.contains("MAPPABLE_PRIMARY_BUFFERS"), "{msg}"),
        other => panic!("expected InvalidOption, got {other:?}"),
    }
}

#[test]
fn download_into_reuses_the_host_array_and_checks_its_shape() {
    for (name, device) in devices() {
        let a = random_array(DType::I32, 4097, 11);
        let t = device.upload(&a).unwrap();
        let mut out = Array::zeros(DType::I32, [4097]).unwrap();
        t.download_into(&mut out).unwrap();
        assert!(out.as_bytes() == a.as_bytes(), "[{name}]");
        let mut wrong = Array::zeros(DType::I32, [4096]).unwrap();
        assert!(
            matches!(t.download_into(&mut wrong), Err(Error::OutputMismatch { op: "download_into", .. })),
            "[{name}]"
        );
        let mut wrong = Array::zeros(DType::U32, [4097]).unwrap();
        assert!(matches!(t.download_into(&mut wrong), Err(Error::OutputMismatch { .. })), "[{name}]");
    }
}

#[test]
fn strided_ndarray_views_upload_straight_from_the_view() {
    use ndarray::{Array2, Array3, s};
    // A chunk size that is not a multiple of 8, so 8-byte elements straddle staging chunks.
    let odd = Device::with_options(DeviceOptions {
        transfer_path: TransferPath::Staging,
        staging_chunk_bytes: CHUNK + 4,
        ..Default::default()
    })
    .unwrap_or_else(|e| panic!("cannot open the odd-chunk staging device: {e}"));
    let m = Array2::from_shape_fn((600, 700), |(i, j)| (i * 700 + j) as f64 * 0.5 - 1e5);
    let cube = Array3::from_shape_fn((5, 6, 7), |(a, b, c)| (a * 42 + b * 7 + c) as u8);
    for (name, device) in [("mapped", mapped()), ("staging", staging()), ("staging, odd chunks", &odd)] {
        let views = [m.t(), m.slice(s![..;3, 1..;2]), m.slice(s![..;-1, ..]).reversed_axes()];
        for view in views {
            let t = device.upload_ndarray(&view).unwrap_or_else(|e| panic!("[{name}] {e}"));
            assert_eq!(t.shape(), view.shape());
            assert_eq!(t.download().unwrap(), Array::try_from(&view).unwrap(), "[{name}] {:?}", view.shape());
        }
        let permuted = cube.view().permuted_axes([2, 0, 1]);
        let t = device.upload_ndarray(&permuted).unwrap();
        assert_eq!(t.download().unwrap(), Array::try_from(permuted).unwrap(), "[{name}] permuted u8");
        let empty = m.slice(s![0..0, ..]);
        assert_eq!(device.upload_ndarray(&empty).unwrap().download().unwrap().shape(), [0, 700]);
    }
}
