//! .npy and .npz: files written by NumPy (tests/fixtures, made by make_fixtures.py), round trips through our own
//! writers for every dtype and shape, every malformed case, and a fuzz-style run over damaged files.

mod io_common;
mod transfer_common;

use io_common::{CODES, Rng, TempFile, expected, fixture};
use transfer_common::{devices, random_array};
use wgpu_tensor::io::{FileAccess, read_npz, write_npz};
use wgpu_tensor::{Array, DType, Device, Error};

/// Loads `path` every way there is (host read, and onto each device both mapped and with pread) and checks each
/// result equals `want` byte for byte.
fn assert_loads(path: &std::path::Path, want: &Array) {
    let host = Array::read_npy(path).unwrap_or_else(|e| panic!("read_npy {}: {e}", path.display()));
    assert_eq!((host.dtype(), host.shape()), (want.dtype(), want.shape()), "{}", path.display());
    assert!(host.as_bytes() == want.as_bytes(), "read_npy {}: {host} != {want}", path.display());
    for (name, device) in devices() {
        for access in [FileAccess::Mapped, FileAccess::Read] {
            let t = device.load_npy_with(path, access).unwrap_or_else(|e| panic!("[{name}] {access:?}: {e}"));
            assert_eq!((t.dtype(), t.shape()), (want.dtype(), want.shape()));
            let back = t.download().unwrap();
            assert!(back.as_bytes() == want.as_bytes(), "[{name} {access:?}] {}: {back}", path.display());
        }
    }
}

#[test]
fn numpy_fixtures_every_dtype() {
    for (code, dtype) in CODES {
        assert_loads(&fixture(&format!("{code}.npy")), &expected(dtype));
    }
}

#[test]
fn numpy_big_endian_is_swapped() {
    for (code, dtype) in CODES.into_iter().filter(|(_, d)| d.size_in_bytes() > 1) {
        assert_loads(&fixture(&format!("be_{code}.npy")), &expected(dtype));
    }
}

#[test]
fn numpy_fortran_order_is_transposed() {
    let want = Array::from_vec((0..24).map(|x| x as f32).collect::<Vec<_>>(), [2, 3, 4]).unwrap();
    assert_loads(&fixture("fortran_f4.npy"), &want);
    let want = Array::from_vec((-6..6).map(|x| x as i16).collect::<Vec<_>>(), [3, 4]).unwrap();
    assert_loads(&fixture("fortran_be_i2.npy"), &want);
}

#[test]
fn numpy_edges_scalar_and_empty() {
    assert_loads(&fixture("edge_i8.npy"), &Array::from_vec(vec![i64::MIN, -1, 0, i64::MAX], [4]).unwrap());
    assert_loads(&fixture("edge_u8.npy"), &Array::from_vec(vec![0u64, 1, 1 << 63, u64::MAX], [4]).unwrap());
    let specials = vec![f32::NEG_INFINITY, -0.0, f32::from_bits(0x7fc0_0000), f32::INFINITY, f32::from_bits(1)];
    assert_loads(&fixture("edge_f4.npy"), &Array::from_vec(specials, [5]).unwrap());
    assert_loads(&fixture("scalar_f8.npy"), &Array::scalar(3.5f64));
    assert_loads(&fixture("empty_f4.npy"), &Array::zeros(DType::F32, [0, 3]).unwrap());
}

#[test]
fn numpy_unsupported_dtypes_are_named() {
    for (file, dtype) in [("complex.npy", "<c8"), ("structured.npy", "")] {
        let e = Array::read_npy(fixture(file)).unwrap_err();
        assert!(matches!(&e, Error::UnsupportedFileDType { .. }), "{file}: {e}");
        assert!(e.to_string().contains(dtype) && e.to_string().contains(file), "{e}");
    }
    let e = Array::read_npy(fixture("complex.npy")).unwrap_err().to_string();
    assert!(e.contains("complex") && e.contains("imaginary"), "says what to do: {e}");
}

#[test]
fn npz_from_numpy_stored_and_compressed() {
    for file in ["arrays.npz", "compressed.npz"] {
        let arrays = read_npz(fixture(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        let names: Vec<&str> = arrays.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["ints", "floats", "flags", "scalar"], "{file}");
        assert_eq!(arrays[0].1, expected(DType::I32));
        assert_eq!(arrays[1].1, expected(DType::F64));
        assert_eq!(arrays[2].1, expected(DType::Bool));
        assert_eq!(arrays[3].1, Array::scalar(7u16));
    }
}

/// Every dtype but BF16 × shapes 0-d, empty, 1-d, 3-d, through write_npy / read_npy / load_npy and write_npz.
#[test]
fn round_trip_every_dtype_and_shape() {
    let shapes: [&[usize]; 5] = [&[], &[0], &[3, 0, 2], &[7], &[2, 3, 5]];
    let mut all = Vec::new();
    for (i, dtype) in DType::ALL.into_iter().filter(|&d| d != DType::BF16).enumerate() {
        for (j, shape) in shapes.iter().enumerate() {
            let n = shape.iter().product();
            let array = random_array(dtype, n, (i * 10 + j) as u64 + 1).reshape(*shape).unwrap();
            let file = TempFile::new("round.npy");
            array.write_npy(file.path()).unwrap();
            assert_loads(file.path(), &array);
            all.push((format!("{dtype}_{j}"), array));
        }
    }
    let file = TempFile::new("round.npz");
    let named: Vec<(&str, &Array)> = all.iter().map(|(n, a)| (n.as_str(), a)).collect();
    write_npz(file.path(), &named).unwrap();
    let back = read_npz(file.path()).unwrap();
    assert_eq!(back.len(), all.len());
    for ((name, want), (got_name, got)) in all.iter().zip(&back) {
        assert_eq!(name, got_name);
        assert!(want == got, "{name}");
    }
}

#[test]
fn bf16_is_rejected_both_ways_with_a_hint() {
    let a = Array::from_vec(vec![half::bf16::ONE], [1]).unwrap();
    let file = TempFile::new("bf16.npy");
    let e = a.write_npy(file.path()).unwrap_err();
    assert!(matches!(&e, Error::UnsupportedFileDType { .. }) && e.to_string().contains("safetensors"), "{e}");
    let e = write_npz(file.path(), &[("w", &a)]).unwrap_err();
    assert!(e.to_string().contains("\"w\""), "names the array: {e}");
    // ml_dtypes' bfloat16 as np.save writes it: '<V2'.
    let void = npy("{'descr': '<V2', 'fortran_order': False, 'shape': (1,), }", &[0x80, 0x3f]);
    let e = Array::read_npy(void.path()).unwrap_err();
    assert!(matches!(&e, Error::UnsupportedFileDType { .. }) && e.to_string().contains("bfloat16"), "{e}");
}

#[test]
fn npz_rejects_duplicates_and_non_npy_entries() {
    let a = Array::scalar(1u8);
    let file = TempFile::new("dup.npz");
    assert!(matches!(write_npz(file.path(), &[("x", &a), ("x", &a)]), Err(Error::InvalidOption(_))));
    let e = read_npz(fixture("u1.npy")).unwrap_err();
    assert!(matches!(&e, Error::BadFile { format: ".npz", .. }), "{e}");
}

/// A .npy file with this header dict (version 1.0, padded like NumPy) and data.
fn npy(dict: &str, data: &[u8]) -> TempFile {
    TempFile::with("case.npy", &npy_bytes(dict, data))
}

fn npy_bytes(dict: &str, data: &[u8]) -> Vec<u8> {
    let mut header = dict.to_owned();
    while !(10 + header.len() + 1).is_multiple_of(64) {
        header.push(' ');
    }
    header.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(data);
    out
}

/// Checks that reading `bytes` fails with a BadFile whose message contains `needle`, from the host and the device.
fn assert_bad(case: &str, bytes: &[u8], needle: &str) {
    let file = TempFile::with("bad.npy", bytes);
    let e = Array::read_npy(file.path()).expect_err(case);
    assert!(matches!(&e, Error::BadFile { format: ".npy", .. }), "{case}: {e}");
    let msg = e.to_string();
    assert!(msg.contains(needle) && msg.contains("bad.npy"), "{case}: {msg:?} lacks {needle:?}");
    let device: &Device = devices()[0].1;
    for access in [FileAccess::Mapped, FileAccess::Read] {
        let e = device.load_npy_with(file.path(), access).expect_err(case);
        assert!(matches!(&e, Error::BadFile { .. }), "{case} {access:?}: {e}");
    }
}

#[test]
fn malformed_files_one_by_one() {
    let ok = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
    let good = npy_bytes(ok, &[0; 8]);
    assert_eq!(Array::read_npy(TempFile::with("ok.npy", &good).path()).unwrap().shape(), [2]);
    assert_bad("empty file", &[], "too short");
    assert_bad("cut in the header", &good[..40], "past the end");
    assert_bad("bad magic", &[b"\x93NUMPX".as_slice(), &good[6..]].concat(), "magic");
    let mut v9 = good.clone();
    v9[6] = 9;
    assert_bad("unknown version", &v9, "version 9.0");
    let mut long = good.clone();
    long[8..10].copy_from_slice(&60000u16.to_le_bytes());
    assert_bad("header length past the end", &long, "past the end");
    let mut absurd = b"\x93NUMPY\x02\x00".to_vec();
    absurd.extend_from_slice(&u32::MAX.to_le_bytes());
    absurd.extend_from_slice(&[b' '; 64]);
    assert_bad("absurd header length", &absurd, "absurd");
    assert_bad("not a dict", &npy_bytes("[1, 2]", &[]), "not a dict");
    assert_bad("broken dict", &npy_bytes("{'descr': '<f4', 'shape': (2,)", &[0; 8]), "not a valid .npy header");
    assert_bad("missing key", &npy_bytes("{'descr': '<f4', 'shape': (2,), }", &[0; 8]), "fortran_order");
    let extra = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}";
    assert_bad("extra key", &npy_bytes(extra, &[0; 8]), "unexpected header key");
    let twice = "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}";
    assert_bad("duplicate key", &npy_bytes(twice, &[0; 8]), "twice");
    let negative = "{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }";
    assert_bad("negative dim", &npy_bytes(negative, &[0; 8]), "not a valid .npy header");
    let not_tuple = "{'descr': '<f4', 'fortran_order': False, 'shape': 2, }";
    assert_bad("shape not a tuple", &npy_bytes(not_tuple, &[0; 8]), "not a tuple");
    let fortran = "{'descr': '<f4', 'fortran_order': 1, 'shape': (2,), }";
    assert_bad("fortran_order not a bool", &npy_bytes(fortran, &[0; 8]), "fortran_order");
    let overflow = "{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296), }";
    assert_bad("shape product overflows", &npy_bytes(overflow, &[]), "overflows");
    assert_bad("data shorter than the shape", &npy_bytes(ok, &[0; 7]), "needs 8");
    let b1 = "{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }";
    assert_bad("bool byte 2", &npy_bytes(b1, &[0, 2, 1]), "bool");
    let b1f = "{'descr': '|b1', 'fortran_order': True, 'shape': (2, 2), }";
    assert_bad("bool byte 2, Fortran order", &npy_bytes(b1f, &[0, 1, 1, 7]), "bool");
    let e = Array::read_npy("/nonexistent/x.npy").unwrap_err();
    assert!(matches!(&e, Error::FileIo { .. }) && e.to_string().contains("/nonexistent/x.npy"), "{e}");
}

/// Thousands of damaged copies of valid files (header bytes, lengths, truncations): every read returns, with an
/// array or a typed error; none panics or hangs, and a result that loads has the size its header says.
#[test]
fn fuzz_damaged_npy_and_npz() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let seeds: Vec<Vec<u8>> = ["f4.npy", "be_i8.npy", "fortran_be_i2.npy", "scalar_f8.npy", "empty_f4.npy", "b1.npy"]
        .iter()
        .map(|f| std::fs::read(fixture(f)).unwrap())
        .collect();
    let file = TempFile::new("fuzz.npy");
    let (mut ok, mut failed) = (0, 0);
    for case in 0..4000 {
        let mut bytes = seeds[case % seeds.len()].clone();
        for _ in 0..1 + rng.below(3) {
            rng.mutate(&mut bytes, 128);
        }
        std::fs::write(file.path(), &bytes).unwrap();
        match Array::read_npy(file.path()) {
            Ok(a) => {
                ok += 1;
                assert!(a.size_in_bytes() <= bytes.len(), "case {case}: more data than the file holds");
            }
            Err(Error::BadFile { .. } | Error::UnsupportedFileDType { .. }) => failed += 1,
            Err(e) => panic!("case {case}: unexpected error kind {e}"),
        }
        if case % 20 == 0 {
            let _ = devices()[case / 20 % 2].1.load_npy(file.path());
        }
    }
    assert!(ok > 10 && failed > 1000, "the mutations exercise both outcomes: {ok} loaded, {failed} rejected");
    let npz = std::fs::read(fixture("compressed.npz")).unwrap();
    let file = TempFile::new("fuzz.npz");
    for _ in 0..1000 {
        let mut bytes = npz.clone();
        rng.mutate(&mut bytes, 0);
        std::fs::write(file.path(), &bytes).unwrap();
        let _ = read_npz(file.path());
    }
}

/// One array over 128 MiB (the binding size limit of many adapters) through write_npy and a mapped load_npy.
#[test]
fn large_file_over_128_mib() {
    let n = (129 << 20) / 4 + 3;
    let array = random_array(DType::F32, n, 42);
    let file = TempFile::new("large.npy");
    array.write_npy(file.path()).unwrap();
    for (name, device) in devices() {
        let t = device.load_npy(file.path()).unwrap_or_else(|e| panic!("[{name}] {e}"));
        assert!(t.download().unwrap() == array, "[{name}] large load differs");
    }
}

#[test]
fn mapped_load_npy_makes_exactly_one_host_copy() {
    // Past the 4 KiB below which uploads go through the stream's arena (host -> arena -> device, no map wait).
    let device = transfer_common::mapped();
    let array = random_array(DType::F32, 10_000, 7);
    let file = TempFile::new("one_copy.npy");
    array.write_npy(file.path()).unwrap();
    for access in [FileAccess::Mapped, FileAccess::Read] {
        let (t, trace) = device.load_npy_traced(file.path(), access).unwrap();
        assert_eq!(trace.path, wgpu_tensor::TransferPath::MappedStorage);
        assert_eq!(trace.copies.len(), 1, "{access:?}: one host-side copy, file -> device memory:\n{trace}");
        assert_eq!(trace.copies[0].bytes, 40_000);
        assert!(t.download().unwrap() == array);
    }
}
