//! Shared devices (one per transfer path, opened once per test binary) and random data for the transfer tests.

#![allow(dead_code)]

use std::sync::OnceLock;

use wgpu_tensor::{Array, DType, Device, DeviceOptions, TransferPath};

/// The staging chunk size of the staging test device: small, so that tests cross many chunk boundaries.
pub const CHUNK: u64 = 1 << 20;

fn open(path: TransferPath) -> Device {
    let options = DeviceOptions { transfer_path: path, staging_chunk_bytes: CHUNK, ..Default::default() };
    Device::with_options(options).unwrap_or_else(|e| panic!("cannot open a device for {path:?}: {e}"))
}

/// The device forced onto the mapped-storage path.
pub fn mapped() -> &'static Device {
    static D: OnceLock<Device> = OnceLock::new();
    D.get_or_init(|| open(TransferPath::MappedStorage))
}

/// The device forced onto the staging path.
pub fn staging() -> &'static Device {
    static D: OnceLock<Device> = OnceLock::new();
    D.get_or_init(|| open(TransferPath::Staging))
}

/// Both devices, named.
pub fn devices() -> [(&'static str, &'static Device); 2] {
    [("mapped", mapped()), ("staging", staging())]
}

/// `n` pseudo-random bytes (xorshift64*, fast enough for hundreds of MiB).
pub fn random_bytes(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    let mut out = Vec::with_capacity(n + 8);
    while out.len() < n {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        out.extend_from_slice(&x.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
    }
    out.truncate(n);
    out
}

/// A 1-D array of `n` random elements of `dtype` (any bit pattern, NaN payloads included; bools 0 or 1).
pub fn random_array(dtype: DType, n: usize, seed: u64) -> Array {
    let mut bytes = random_bytes(n * dtype.size_in_bytes(), seed);
    if dtype == DType::Bool {
        bytes.iter_mut().for_each(|b| *b &= 1);
    }
    Array::from_bytes(dtype, [n], &bytes).unwrap()
}

/// Uploads and downloads `array` on `device` and checks the bytes, dtype and shape are unchanged.
pub fn assert_round_trip(name: &str, device: &Device, array: &Array) {
    let tensor = device.upload(array).unwrap_or_else(|e| panic!("[{name}] upload of {:?}: {e}", array.shape()));
    assert_eq!(tensor.size_in_bytes(), array.size_in_bytes());
    let back = tensor.download().unwrap_or_else(|e| panic!("[{name}] download: {e}"));
    assert_eq!(back.dtype(), array.dtype());
    assert_eq!(back.shape(), array.shape());
    assert!(back.as_bytes() == array.as_bytes(), "[{name}] {} x{} differs", array.dtype(), array.len());
}
