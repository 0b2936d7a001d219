//! Issue 11, host side: no host constructor or conversion panics or aborts on any input; each failure is a typed
//! `Error` with a true message. One test per numbered failure (6, 7, 8, 13, 14), an address-space-limit test in a
//! child process, and bounded proptest fuzzing of every public host constructor and conversion
//! (`tests/reliability_host/fuzz.rs`).

use ndarray::{Array1, ArrayD, IxDyn};
use wgpu_tensor::{Array, DType, Error, Shape};

#[path = "reliability_host/fuzz.rs"]
mod fuzz;

/// Item 6: shapes too large for any allocation are `ShapeOverflow`, not "capacity overflow" panics.
#[test]
fn impossible_shapes_are_shape_overflow() {
    let cases: [(DType, Vec<usize>); 6] = [
        (DType::U8, vec![usize::MAX]),
        (DType::Bool, vec![2; 63]),
        (DType::U64, vec![1 << 61]),
        (DType::I8, vec![1 << 63]),
        (DType::F16, vec![1 << 62]),
        (DType::F64, vec![usize::MAX / 4, 3]),
    ];
    for (dtype, shape) in cases {
        let e = Array::zeros(dtype, shape.clone()).unwrap_err();
        assert!(matches!(e, Error::ShapeOverflow { .. }), "zeros {dtype} {shape:?}: {e}");
        assert!(e.to_string().contains("isize::MAX"), "{e}");
        let e = Array::from_bytes(dtype, shape.clone(), &[]).unwrap_err();
        assert!(matches!(e, Error::ShapeOverflow { .. }), "from_bytes {dtype} {shape:?}: {e}");
    }
    let e = Array::from_slice(&[0u8; 3], [1usize << 63]).unwrap_err();
    assert!(matches!(e, Error::ShapeOverflow { .. }), "{e}");
    // The largest legal size is isize::MAX bytes; one element more is too large.
    let e = Array::zeros(DType::U8, [isize::MAX as usize + 1]).unwrap_err();
    assert!(matches!(e, Error::ShapeOverflow { .. }), "{e}");
    assert!(
        matches!(Shape::from([isize::MAX as usize]).checked_size(DType::U8), Ok((_, b)) if b == isize::MAX as usize)
    );
}

/// Item 7: a legal empty array with a huge dim converts, prints and debugs without a panic.
#[test]
fn empty_array_with_a_huge_dim() {
    for shape in [vec![0, usize::MAX], vec![usize::MAX, 0], vec![0, usize::MAX, usize::MAX], vec![3, 0, 1 << 62]] {
        let a = Array::zeros(DType::F32, shape.clone()).unwrap();
        assert_eq!((a.len(), a.size_in_bytes(), a.shape()), (0, 0, &shape[..]));
        let e = a.to_ndarray::<f32>().unwrap_err();
        assert!(matches!(&e, Error::NdarrayShape { shape: s } if *s == shape), "{shape:?}: {e}");
        assert!(e.to_string().contains("reshape"), "the message says what to do: {e}");
        let text = a.to_string();
        assert_eq!(text, format!("{}{}", "[".repeat(shape.len()), "]".repeat(shape.len())));
        assert!(format!("{a:?}").contains(&format!("shape: {shape:?}")), "{a:?}");
        assert!(a.to_vec::<f32>().unwrap().is_empty());
        assert!(a.clone().reshape([0]).is_ok());
    }
    // ndarray can hold an empty shape whose non-zero dims fit isize.
    let a = Array::zeros(DType::U8, [0, 1 << 40]).unwrap();
    assert_eq!(a.to_ndarray::<u8>().unwrap().shape(), [0, 1 << 40]);
}

/// Item 8: converting a broadcast view larger than memory is an error, not a panic.
#[test]
fn broadcast_view_larger_than_memory() {
    let one = Array1::<u64>::from_elem(1, 7);
    for n in [1usize << 62, (1 << 61) - 1, 1 << 61] {
        let view = one.broadcast(n).unwrap();
        let e = Array::try_from(&view).unwrap_err();
        assert!(matches!(e, Error::ShapeOverflow { .. }), "{n}: {e}");
        let e = Array::try_from(view).unwrap_err();
        assert!(matches!(e, Error::ShapeOverflow { .. }), "{n}: {e}");
    }
    // A 2-d broadcast whose element count fits but whose bytes do not.
    let row = Array1::<f32>::from_elem(1 << 20, 1.0);
    let view = row.broadcast((1 << 42, 1 << 20)).unwrap();
    assert!(matches!(Array::try_from(view), Err(Error::ShapeOverflow { .. })));
    // A small broadcast view is packed densely.
    let row = Array1::from(vec![1i16, 2, 3]);
    let a = Array::try_from(row.broadcast((2, 3)).unwrap()).unwrap();
    assert_eq!(a.to_vec::<i16>().unwrap(), [1, 2, 3, 1, 2, 3]);
}

/// Item 13: messages say what is true.
#[test]
fn messages_are_true() {
    let a = Array::from_vec(vec![0u8; 6], [2, 3]).unwrap();
    let e = a.clone().reshape([usize::MAX, 3]).unwrap_err();
    assert!(matches!(e, Error::ShapeOverflow { dtype: DType::U8, .. }), "{e}");
    assert!(!e.to_string().contains("holds 18446744073709551615"), "{e}");
    let e = a.clone().reshape([4]).unwrap_err();
    assert!(matches!(e, Error::ShapeMismatch { expected: 4, actual: 6, .. }), "{e}");
    assert_eq!(e.to_string(), "shape [4] holds 4 elements but the data has 6; give a shape whose dims multiply to 6");
    let e = Array::from_slice(&[1u8; 3], [usize::MAX, 2]).unwrap_err();
    assert!(!e.to_string().contains("holds 18446744073709551615"), "{e}");
    let e = Array::zeros(DType::U8, [usize::MAX]).unwrap_err();
    assert!(!e.to_string().contains("overflows usize"), "usize::MAX bytes does not overflow usize: {e}");
    let e = Array::from_bytes(DType::Bool, [3], &[0, 1, 7]).unwrap_err();
    assert!(e.to_string().contains("element 2 is the byte 7"), "{e}");
    let e = Error::OutputMismatch {
        op: "download_into",
        expected_dtype: DType::F32,
        expected_shape: vec![3, 2],
        actual_dtype: DType::F32,
        actual_shape: vec![2, 3],
    };
    assert!(e.to_string().contains("[3, 2]") && e.to_string().contains("[2, 3]"), "{e}");
}

/// Item 14: `Display` and `Debug` stay small whatever the shape (ndarray's formatter wrote gigabytes).
#[test]
fn display_is_bounded() {
    let deep = Array::zeros(DType::U8, vec![1; 100_000]).unwrap();
    assert!(deep.to_string().len() < 200, "{}", deep.to_string().len());
    assert!(format!("{deep:?}").len() < 400);
    let mut shape = vec![1; 99_998];
    shape.extend([0, 2]);
    let empty_deep = Array::zeros(DType::F64, shape).unwrap();
    assert!(empty_deep.to_string().len() < 200 && format!("{empty_deep:?}").len() < 400);
    // 2^24 elements along 24 dims of 2: nothing elided per dim, so the total must be bounded.
    let wide = Array::zeros(DType::I32, vec![2; 24]).unwrap();
    let text = wide.to_string();
    assert!(text.len() < 100_000, "{} bytes", text.len());
    let alt = format!("{wide:#}");
    assert!(alt.len() < 100_000, "{} bytes", alt.len());
    // Small arrays print as ndarray prints them.
    let a = Array::from_vec((0..24).collect::<Vec<i64>>(), [2, 3, 4]).unwrap();
    assert_eq!(a.to_string(), a.to_ndarray::<i64>().unwrap().to_string());
    let big = Array::from_vec((0..10_000).collect::<Vec<u32>>(), [100, 100]).unwrap();
    assert_eq!(big.to_string(), big.to_ndarray::<u32>().unwrap().to_string());
}

/// Other host panics found while fuzzing: the host cast and `to_ndarray` of the wrong dtype are errors.
#[test]
fn casts_and_conversions_are_fallible() {
    let a = Array::from_vec(vec![-1i32, 300], [2]).unwrap();
    assert_eq!(a.cast(DType::U8).unwrap().to_vec::<u8>().unwrap(), [255, 44]);
    assert!(matches!(a.to_ndarray::<u8>(), Err(Error::DTypeMismatch { .. })));
    assert!(matches!(a.to_vec::<f32>(), Err(Error::DTypeMismatch { .. })));
    let empty = Array::zeros(DType::U8, [0, usize::MAX]).unwrap();
    for to in DType::ALL {
        let c = empty.cast(to).unwrap();
        assert_eq!((c.dtype(), c.shape(), c.len()), (to, &[0, usize::MAX][..], 0));
    }
    assert_eq!(Shape::from([2, usize::MAX, 2]).checked_strides(), None);
    assert_eq!(Shape::from([2, usize::MAX, 2]).strides(), [usize::MAX, 2, 1]);
    let nd: ArrayD<u8> = ArrayD::zeros(IxDyn(&[0, 3]));
    assert_eq!(Array::try_from(&nd).unwrap().shape(), [0, 3]);
}

/// Item 6 under an address-space limit: a child process (this test binary again, with `RLIMIT_AS` at 3 GiB) asks
/// for a 1 TiB array and for copies that exceed the limit; each must be `HostOutOfMemory`, not an abort.
#[cfg(target_os = "linux")]
#[test]
fn address_space_limit_gives_host_out_of_memory() {
    const CHILD: &str = "WGPU_TENSOR_RLIMIT_CHILD";
    if std::env::var_os(CHILD).is_some() {
        under_address_space_limit();
        return;
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["address_space_limit_gives_host_out_of_memory", "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the child failed ({}):\n{stdout}\n{stderr}", out.status);
    assert!(stdout.contains("child: all allocations failed cleanly"), "the child did not run:\n{stdout}\n{stderr}");
}

#[cfg(target_os = "linux")]
fn under_address_space_limit() {
    const GIB: usize = 1 << 30;
    let limit = libc::rlimit { rlim_cur: 3 << 30, rlim_max: 3 << 30 };
    // SAFETY: setrlimit reads the struct; lowering a limit of this (child) process is always allowed.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_AS, &limit) }, 0, "setrlimit failed");
    let oom = |what: &str, r: Result<Array, Error>| match r {
        Err(Error::HostOutOfMemory { bytes, .. }) => println!("child: {what}: HostOutOfMemory of {bytes} bytes"),
        Err(e) => panic!("{what}: expected HostOutOfMemory, got {e}"),
        Ok(a) => panic!("{what}: a {} byte array was allocated under a 3 GiB limit", a.size_in_bytes()),
    };
    oom("zeros 1 TiB", Array::zeros(DType::U8, [1 << 40]));
    let one = Array1::<u8>::from_elem(1, 1);
    oom("try_from a 1 TiB broadcast view", Array::try_from(one.broadcast(1 << 40).unwrap()));
    // 2 GiB fits (the pages stay untouched); a second copy of it does not.
    let big = Array::zeros(DType::U8, [2 * GIB]).unwrap();
    match big.to_vec::<u8>() {
        Err(Error::HostOutOfMemory { bytes, .. }) => assert_eq!(bytes, 2 * GIB),
        other => panic!("to_vec: expected HostOutOfMemory, got {:?}", other.map(|v| v.len())),
    }
    match big.to_ndarray::<u8>() {
        Err(Error::HostOutOfMemory { .. }) => {}
        other => panic!("to_ndarray: expected HostOutOfMemory, got {:?}", other.map(|v| v.len())),
    }
    oom("cast 2 GiB u8 -> f32", big.cast(DType::F32));
    oom("a second 2 GiB array", Array::zeros(DType::U16, [GIB]));
    assert!(big.to_string().len() < 1000);
    drop(big);
    assert_eq!(Array::zeros(DType::U8, [GIB]).unwrap().len(), GIB, "memory is usable again after the failures");
    println!("child: all allocations failed cleanly");
}
