//! safetensors: files written by the Python `safetensors` package (tests/fixtures), round trips through
//! `save_safetensors` for every dtype and shape, the one-copy trace, every malformed case one by one, a file
//! truncated while open, and a fuzz-style run over damaged headers.

mod io_common;
mod transfer_common;

use io_common::{CODES, Rng, TempFile, expected, fixture};
use transfer_common::{devices, mapped, random_array};
use wgpu_tensor::io::{FileAccess, LoadProgress, Safetensors, save_safetensors, save_safetensors_with_metadata};
use wgpu_tensor::{Array, DType, Error, Location, TransferPath};

#[test]
fn reference_fixture_every_dtype() {
    for access in [FileAccess::Mapped, FileAccess::Read] {
        let file = Safetensors::open_with(fixture("all_dtypes.safetensors"), access).unwrap();
        assert_eq!(file.len(), 14);
        // The reference writer orders the header by alignment, then name; names() keeps the header's order.
        assert_eq!(&file.names()[..3], ["t_u8", "empty", "t_i8"]);
        let meta = file.metadata();
        assert!(meta.contains(&("format".into(), "np".into())) && meta.len() == 2, "{meta:?}");
        for (code, dtype) in CODES {
            let name = format!("t_{code}");
            assert_eq!(file.dtype(&name).unwrap(), dtype);
            assert_eq!(file.shape(&name).unwrap(), [2, 3]);
            assert_eq!(file.array(&name).unwrap(), expected(dtype), "{name}");
            for (device_name, device) in devices() {
                let t = file.upload(device, &name).unwrap();
                assert_eq!(t.download().unwrap(), expected(dtype), "[{device_name} {access:?}] {name}");
            }
        }
        assert_eq!(file.array("scalar").unwrap(), Array::scalar(2.5f32));
        assert_eq!(
            file.upload(mapped(), "empty").unwrap().download().unwrap(),
            Array::zeros(DType::I64, [0, 4]).unwrap()
        );
        let e = file.upload(mapped(), "nope").unwrap_err();
        assert!(matches!(&e, Error::TensorNotFound { count: 14, .. }) && e.to_string().contains("nope"), "{e}");
    }
}

#[test]
fn bf16_upload_as_f32_and_fp8_is_named() {
    let file = Safetensors::open(fixture("bf16_fp8.safetensors")).unwrap();
    assert_eq!(file.names(), ["w", "fp8"]);
    for (name, device) in devices() {
        let w = file.upload_as(device, "w", DType::F32).unwrap();
        assert_eq!((w.dtype(), w.shape()), (DType::F32, &[2, 4][..]));
        let got = w.download().unwrap().to_vec::<f32>().unwrap();
        let want = [-2.0f32, -1.0, 0.0, 1.0, 2.0, 3.0, 1.5, -0.0];
        assert_eq!(got.iter().map(|x| x.to_bits()).collect::<Vec<_>>(), want.map(f32::to_bits), "[{name}]");
        assert_eq!(file.upload_as(device, "w", DType::BF16).unwrap().dtype(), DType::BF16);
    }
    let e = file.upload(mapped(), "fp8").unwrap_err();
    let msg = e.to_string();
    assert!(matches!(&e, Error::UnsupportedFileDType { .. }), "{e}");
    assert!(msg.contains("F8_E4M3") && msg.contains("\"fp8\"") && msg.contains("bf16_fp8.safetensors"), "{msg}");
    assert!(file.dtype("fp8").is_err() && file.array("fp8").is_err() && file.upload_all(mapped()).is_err());
}

/// Every dtype × shapes 0-d, empty, 1-d, 3-d, saved from the device with metadata and loaded back every way.
#[test]
fn round_trip_every_dtype_and_shape() {
    let shapes: [&[usize]; 5] = [&[], &[0], &[3, 0, 2], &[7], &[2, 3, 5]];
    for (device_name, device) in devices() {
        let mut arrays = Vec::new();
        for (i, dtype) in DType::ALL.into_iter().enumerate() {
            for (j, shape) in shapes.iter().enumerate() {
                let n = shape.iter().product();
                arrays.push((
                    format!("{dtype}/{j}"),
                    random_array(dtype, n, (i * 10 + j) as u64).reshape(*shape).unwrap(),
                ));
            }
        }
        let tensors: Vec<_> = arrays.iter().map(|(n, a)| (n.clone(), device.upload(a).unwrap())).collect();
        let named: Vec<_> = tensors.iter().map(|(n, t)| (n.as_str(), t)).collect();
        let out = TempFile::new("round.safetensors");
        save_safetensors_with_metadata(out.path(), &named, &[("who", "wgpu-tensor"), ("q", "\"quoted\"\n")]).unwrap();
        for access in [FileAccess::Mapped, FileAccess::Read] {
            let file = Safetensors::open_with(out.path(), access).unwrap();
            assert_eq!(file.names(), arrays.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>());
            assert_eq!(file.metadata()[1], ("q".to_owned(), "\"quoted\"\n".to_owned()));
            let mut calls = 0;
            let loaded = file
                .upload_all_with_progress(device, |p: &LoadProgress<'_>| {
                    calls += 1;
                    assert_eq!((p.index + 1, p.count), (calls, arrays.len()));
                    assert!(p.bytes_done <= p.bytes_total);
                })
                .unwrap();
            assert_eq!(calls, arrays.len());
            for ((name, want), (got_name, t)) in arrays.iter().zip(&loaded) {
                assert_eq!(name, got_name);
                assert!(t.download().unwrap() == *want, "[{device_name} {access:?}] {name}");
                assert!(file.array(name).unwrap() == *want, "[{access:?}] array {name}");
            }
        }
    }
}

#[test]
fn mapped_load_makes_exactly_one_host_copy() {
    let a = random_array(DType::F32, 1 << 16, 7);
    let t = mapped().upload(&a).unwrap();
    let out = TempFile::new("trace.safetensors");
    save_safetensors(out.path(), &[("a", &t)]).unwrap();
    assert_eq!(mapped().transfer_path(), TransferPath::MappedStorage);
    for access in [FileAccess::Mapped, FileAccess::Read] {
        let file = Safetensors::open_with(out.path(), access).unwrap();
        let (t, trace) = file.upload_traced(mapped(), "a").unwrap();
        assert_eq!(trace.path, TransferPath::MappedStorage, "{trace}");
        assert_eq!(trace.copies.len(), 1, "{access:?}: one host-side copy, file -> device memory:\n{trace}");
        let copy = trace.copies[0];
        assert_eq!((copy.from, copy.to, copy.bytes), (Location::Host, Location::Device, a.size_in_bytes() as u64));
        assert_eq!(t.download().unwrap(), a);
    }
}

#[test]
fn writer_rejects_bad_names() {
    let t = mapped().upload(&Array::scalar(1u8)).unwrap();
    let out = TempFile::new("names.safetensors");
    for tensors in [vec![("x", &t), ("x", &t)], vec![("__metadata__", &t)]] {
        let e = save_safetensors(out.path(), &tensors).unwrap_err();
        assert!(matches!(&e, Error::InvalidOption(m) if m.contains("save_safetensors")), "{e}");
    }
    let e = save_safetensors_with_metadata(out.path(), &[("x", &t)], &[("k", "1"), ("k", "2")]).unwrap_err();
    assert!(matches!(e, Error::InvalidOption(_)));
    let e = save_safetensors("/nonexistent/dir/x.safetensors", &[("x", &t)]).unwrap_err();
    assert!(matches!(e, Error::FileIo { .. }));
}

/// A safetensors file with this header and data.
fn file_bytes(header: &str, data: &[u8]) -> Vec<u8> {
    let mut out = (header.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(data);
    out
}

/// Opening (mapped and with pread) fails with a BadFile whose message names the file and contains `needle`.
fn assert_bad(case: &str, bytes: &[u8], needle: &str, tensor: Option<&str>) {
    let file = TempFile::with("bad.safetensors", bytes);
    for access in [FileAccess::Mapped, FileAccess::Read] {
        let e = Safetensors::open_with(file.path(), access).expect_err(case);
        let msg = e.to_string();
        let Error::BadFile { format, tensor: t, .. } = &e else { panic!("{case}: {e}") };
        assert_eq!((*format, t.as_deref()), ("safetensors", tensor), "{case}: {msg}");
        assert!(msg.contains(needle) && msg.contains("bad.safetensors"), "{case}: {msg:?} lacks {needle:?}");
    }
}

#[test]
fn malformed_files_one_by_one() {
    let one = r#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#;
    assert_eq!(Safetensors::open(TempFile::with("ok.safetensors", &file_bytes(one, &[0; 8])).path()).unwrap().len(), 1);
    assert_bad("shorter than 8 bytes", &[1, 0, 0], "8-byte header length", None);
    assert_bad("truncated data", &file_bytes(one, &[0; 5]), "outside the 5-byte data section", Some("a"));
    assert_bad("truncated header", &file_bytes(one, &[0; 8])[..30], "runs past the end", None);
    let mut absurd = file_bytes(one, &[0; 8]);
    absurd[..8].copy_from_slice(&200_000_000u64.to_le_bytes());
    assert_bad("absurd header length", &absurd, "absurd", None);
    assert_bad("invalid JSON", &file_bytes(r#"{"a":{"dtype":"F32",}"#, &[]), "not valid JSON", None);
    assert_bad("not an object", &file_bytes("[1,2]", &[]), "JSON object", None);
    let dup =
        r#"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}"#;
    assert_bad("duplicate names", &file_bytes(dup, &[0; 2]), "appears twice", Some("a"));
    let unknown = r#"{"a":{"dtype":"F12","shape":[1],"data_offsets":[0,1]}}"#;
    assert_bad("unknown dtype", &file_bytes(unknown, &[0]), "unknown dtype \"F12\"", Some("a"));
    let backwards = r#"{"a":{"dtype":"U8","shape":[0],"data_offsets":[4,0]}}"#;
    assert_bad("offsets out of order", &file_bytes(backwards, &[0; 4]), "out of order", Some("a"));
    let overlap =
        r#"{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},"b":{"dtype":"U8","shape":[4],"data_offsets":[2,6]}}"#;
    assert_bad("overlapping", &file_bytes(overlap, &[0; 6]), "overlap those of \"a\"", Some("b"));
    let outside = r#"{"a":{"dtype":"U8","shape":[4],"data_offsets":[4,8]}}"#;
    assert_bad("outside the data section", &file_bytes(outside, &[0; 6]), "outside", Some("a"));
    let gap = r#"{"a":{"dtype":"U8","shape":[2],"data_offsets":[2,4]}}"#;
    assert_bad("a hole before a tensor", &file_bytes(gap, &[0; 4]), "belong to no tensor", Some("a"));
    assert_bad("trailing bytes", &file_bytes(one, &[0; 12]), "belong to no tensor", None);
    let size = r#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#;
    assert_bad("size does not match the shape", &file_bytes(size, &[0; 8]), "needs 12", Some("a"));
    let overflow = r#"{"a":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,8]}}"#;
    assert_bad("shape product overflows", &file_bytes(overflow, &[0; 8]), "overflows", Some("a"));
    let negative = r#"{"a":{"dtype":"U8","shape":[-1],"data_offsets":[0,1]}}"#;
    assert_bad("negative dim", &file_bytes(negative, &[0]), "non-negative", Some("a"));
    let no_offsets = r#"{"a":{"dtype":"U8","shape":[1]}}"#;
    assert_bad("missing data_offsets", &file_bytes(no_offsets, &[0]), "data_offsets", Some("a"));
    let meta = r#"{"__metadata__":{"k":1}}"#;
    assert_bad("metadata not strings", &file_bytes(meta, &[]), "not a string", None);
    // A bool byte other than 0/1 opens (the header is fine) but does not load.
    let b = r#"{"b":{"dtype":"BOOL","shape":[3],"data_offsets":[0,3]}}"#;
    let file = TempFile::with("bool.safetensors", &file_bytes(b, &[0, 1, 2]));
    let st = Safetensors::open(file.path()).unwrap();
    assert!(matches!(st.array("b"), Err(Error::BadFile { .. })));
    for (name, device) in devices() {
        let e = st.upload(device, "b").unwrap_err();
        assert!(e.to_string().contains("bool") && e.to_string().contains("\"b\""), "[{name}] {e}");
    }
    let e = Safetensors::open("/nonexistent/m.safetensors").unwrap_err();
    assert!(matches!(e, Error::FileIo { .. }));
}

/// Another process truncates the file after it was opened: a typed error on every path, never SIGBUS (mapped:
/// the size check before each copy; pread: the short read).
#[test]
fn file_truncated_while_open() {
    let a = random_array(DType::U8, 1 << 20, 3);
    let t = mapped().upload(&a).unwrap();
    let out = TempFile::new("shrinks.safetensors");
    save_safetensors(out.path(), &[("a", &t)]).unwrap();
    for access in [FileAccess::Mapped, FileAccess::Read] {
        let file = Safetensors::open_with(out.path(), access).unwrap();
        let len = std::fs::metadata(out.path()).unwrap().len();
        std::fs::OpenOptions::new().write(true).open(out.path()).unwrap().set_len(len - 1000).unwrap();
        for (name, device) in devices() {
            let e = file.upload(device, "a").unwrap_err();
            assert!(matches!(&e, Error::BadFile { .. }) && e.to_string().contains("shrank"), "[{name} {access:?}] {e}");
        }
        assert!(matches!(file.array("a"), Err(Error::BadFile { .. })));
        drop(file);
        save_safetensors(out.path(), &[("a", &t)]).unwrap();
    }
}

/// Thousands of damaged copies of valid files: open returns a file or a typed error; a file that opens reads
/// every tensor (or fails typed). Nothing panics, hangs or reads past the end.
#[test]
fn fuzz_damaged_headers_and_lengths() {
    let mut rng = Rng(0xdead_beef_1234_5678);
    let seeds: Vec<Vec<u8>> =
        ["all_dtypes.safetensors", "bf16_fp8.safetensors"].iter().map(|f| std::fs::read(fixture(f)).unwrap()).collect();
    let file = TempFile::new("fuzz.safetensors");
    let (mut opened, mut rejected) = (0, 0);
    for case in 0..4000 {
        let mut bytes = seeds[case % seeds.len()].clone();
        let hot = 8 + u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
        for _ in 0..1 + rng.below(3) {
            rng.mutate(&mut bytes, hot);
        }
        std::fs::write(file.path(), &bytes).unwrap();
        let access = if case % 2 == 0 { FileAccess::Mapped } else { FileAccess::Read };
        match Safetensors::open_with(file.path(), access) {
            Ok(st) => {
                opened += 1;
                for name in st.names() {
                    match st.array(name) {
                        Ok(a) => assert!(a.size_in_bytes() <= bytes.len(), "case {case}"),
                        Err(Error::UnsupportedFileDType { .. } | Error::BadFile { .. }) => {}
                        Err(e) => panic!("case {case}: {e}"),
                    }
                }
                if case % 25 == 1 {
                    let _ = st.upload_all(devices()[case % 2].1);
                }
            }
            Err(Error::BadFile { .. }) => rejected += 1,
            Err(e) => panic!("case {case}: unexpected error kind {e}"),
        }
    }
    assert!(opened > 10 && rejected > 1000, "both outcomes exercised: {opened} opened, {rejected} rejected");
}

/// One tensor over 128 MiB through save_safetensors and a mapped upload.
#[test]
fn large_file_over_128_mib() {
    let a = random_array(DType::U16, (129 << 20) / 2 + 1, 9);
    for (name, device) in devices() {
        let t = device.upload(&a).unwrap();
        let out = TempFile::new("large.safetensors");
        save_safetensors(out.path(), &[("big", &t)]).unwrap();
        drop(t);
        let file = Safetensors::open(out.path()).unwrap();
        assert!(file.upload(device, "big").unwrap().download().unwrap() == a, "[{name}]");
    }
}
