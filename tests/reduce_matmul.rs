//! The public reduction and matmul API against ndarray on the host: dims and keepdim, views as inputs, numpy's
//! matmul promotions and batch broadcasting, result dtypes, determinism, and the error paths; f64 reductions and
//! matmul bit for bit against the host tree / host loop on the default device, the portable one and GL (GL needs
//! `XDG_RUNTIME_DIR`). (The kernels' bit-exact trees and every dtype are tested inside the crate:
//! `cargo test --release --lib ops::`.)

use ndarray::{ArrayD, Axis, IxDyn};
use wgpu_tensor::{Array, DType, Device, DeviceOptions, DeviceTensor, Error, reference};

fn device() -> &'static Device {
    static D: std::sync::OnceLock<Device> = std::sync::OnceLock::new();
    D.get_or_init(|| Device::new().unwrap_or_else(|e| panic!("no adapter: {e}")))
}

fn nd_i32(dims: &[usize]) -> ArrayD<i32> {
    let n: usize = dims.iter().product();
    ArrayD::from_shape_vec(IxDyn(dims), (0..n as i32).map(|i| (i * 7919) % 201 - 100).collect()).unwrap()
}

fn upload(a: &ArrayD<i32>) -> DeviceTensor {
    device().upload(&Array::try_from(a).unwrap()).unwrap()
}

#[test]
fn integer_sums_match_ndarray_over_any_dims_and_views() {
    let a = nd_i32(&[3, 4, 5]);
    let t = upload(&a);
    let wide = a.mapv(i64::from);
    for dims in [vec![0], vec![1], vec![2], vec![0, 1], vec![1, 2], vec![0, 2], vec![0, 1, 2]] {
        for keepdim in [false, true] {
            let got = t.sum(&dims, keepdim).unwrap();
            let mut want = wide.clone();
            for &d in dims.iter().rev() {
                want = want.sum_axis(Axis(d));
                if keepdim {
                    want = want.insert_axis(Axis(d));
                }
            }
            assert_eq!(got.dtype(), DType::I64);
            assert_eq!(got.shape(), want.shape(), "{dims:?} keepdim {keepdim}");
            assert_eq!(got.download().unwrap().to_vec::<i64>().unwrap(), want.iter().copied().collect::<Vec<_>>());
        }
    }
    // A transposed, stepped view as input.
    let v = t.permute(&[2, 0, 1]).unwrap().slice(ndarray::s![..;2, .., ..;-1]).unwrap();
    let hv = wide.view().permuted_axes(IxDyn(&[2, 0, 1]));
    let hv = hv.slice(ndarray::s![..;2, .., ..;-1]);
    let got = v.sum(&[1], false).unwrap().download().unwrap().to_vec::<i64>().unwrap();
    assert_eq!(got, hv.sum_axis(Axis(1)).iter().copied().collect::<Vec<_>>());
    assert_eq!(t.sum_all().unwrap().download().unwrap().to_vec::<i64>().unwrap(), [wide.sum()]);
}

#[test]
fn max_min_argmax_any_all_and_mean() {
    let a = nd_i32(&[4, 6]);
    let t = upload(&a);
    let max = t.max(&[1], false).unwrap().download().unwrap().to_vec::<i32>().unwrap();
    assert_eq!(max, a.map_axis(Axis(1), |r| *r.iter().max().unwrap()).iter().copied().collect::<Vec<_>>());
    let min = t.min_all().unwrap().download().unwrap().to_vec::<i32>().unwrap();
    assert_eq!(min, [*a.iter().min().unwrap()]);
    let argmax = t.argmax(0, true).unwrap();
    assert_eq!((argmax.dtype(), argmax.shape()), (DType::I64, &[1, 6][..]));
    let want: Vec<i64> = (0..6)
        .map(|j| {
            let col: Vec<i32> = (0..4).map(|i| a[[i, j]]).collect();
            let m = *col.iter().max().unwrap();
            col.iter().position(|&x| x == m).unwrap() as i64
        })
        .collect();
    assert_eq!(argmax.download().unwrap().to_vec::<i64>().unwrap(), want);
    let b = device().upload(&Array::from_vec(vec![0u8, 0, 3, 0, 1, 1], [2, 3]).unwrap()).unwrap();
    assert_eq!(b.any(&[1], false).unwrap().download().unwrap().to_vec::<bool>().unwrap(), [true, true]);
    assert_eq!(b.all(&[1], false).unwrap().download().unwrap().to_vec::<bool>().unwrap(), [false, false]);
    let f = device().upload(&Array::from_vec(vec![1.0f32, 2.0, 3.0, 4.0, f32::NAN, 6.0], [2, 3]).unwrap()).unwrap();
    let mean = f.mean(&[1], false).unwrap().download().unwrap().to_vec::<f32>().unwrap();
    assert_eq!(mean[0], 2.0);
    assert!(mean[1].is_nan());
    assert_eq!(f.argmax(1, false).unwrap().download().unwrap().to_vec::<i64>().unwrap(), [2, 1]); // NaN wins
    // Empty reductions: sum 0, prod 1; max of nothing is an error.
    let e = device().zeros(DType::F32, [3, 0]).unwrap();
    assert_eq!(e.sum(&[1], false).unwrap().download().unwrap().to_vec::<f32>().unwrap(), [0.0; 3]);
    assert_eq!(e.prod(&[1], false).unwrap().download().unwrap().to_vec::<f32>().unwrap(), [1.0; 3]);
    assert!(matches!(e.max(&[1], false), Err(Error::InvalidArgument { op: "max", .. })));
    // An empty dims reduces nothing (in the result dtype).
    assert_eq!(t.sum(&[], false).unwrap().dtype(), DType::I64);
}

#[test]
fn f32_sums_are_deterministic_and_within_the_tree_bound() {
    let n = 1 << 20;
    let xs: Vec<f32> = (0..n).map(|i| ((i as f32) * 0.618).sin() * 1000.0).collect();
    let t = device().upload(&Array::from_vec(xs.clone(), [n]).unwrap()).unwrap();
    let first = t.sum_all().unwrap().download().unwrap().to_vec::<f32>().unwrap()[0];
    for _ in 0..3 {
        assert_eq!(t.sum_all().unwrap().download().unwrap().to_vec::<f32>().unwrap()[0].to_bits(), first.to_bits());
    }
    let exact: f64 = xs.iter().map(|&x| f64::from(x)).sum();
    let abs: f64 = xs.iter().map(|&x| f64::from(x).abs()).sum();
    let bound = 20.0 * 2f64.powi(-24) * abs;
    assert!((f64::from(first) - exact).abs() <= bound, "{first} vs {exact} (bound {bound})");
}

#[test]
fn matmul_follows_numpy() {
    let a = nd_i32(&[2, 3, 4]);
    let b = nd_i32(&[4, 5]);
    let (ta, tb) = (upload(&a), upload(&b));
    let c = ta.matmul(&tb).unwrap();
    assert_eq!(c.shape(), [2, 3, 5]);
    let got = c.download().unwrap().to_vec::<i32>().unwrap();
    let b2 = b.clone().into_dimensionality::<ndarray::Ix2>().unwrap();
    let mut want = Vec::new();
    for k in 0..2 {
        let ak = a.index_axis(Axis(0), k).into_dimensionality::<ndarray::Ix2>().unwrap().to_owned();
        want.extend(ak.dot(&b2).iter().copied());
    }
    assert_eq!(got, want);
    // The transpose read in place, and 1-d operands promoted then squeezed.
    let bt = upload(&b.t().to_owned().into_dyn()).transpose(0, 1).unwrap();
    assert_eq!(ta.matmul(&bt).unwrap().download().unwrap().to_vec::<i32>().unwrap(), want);
    let v = upload(&nd_i32(&[4]));
    assert_eq!(ta.matmul(&v).unwrap().shape(), [2, 3]);
    assert_eq!(v.matmul(&tb).unwrap().shape(), [5]);
    assert_eq!(v.matmul(&v).unwrap().shape(), [] as [usize; 0]);
    // Batch broadcasting: [2, 1, 3, 4] @ [5, 4, 2] -> [2, 5, 3, 2].
    let p = upload(&nd_i32(&[2, 1, 3, 4]));
    let q = upload(&nd_i32(&[5, 4, 2]));
    assert_eq!(p.matmul(&q).unwrap().shape(), [2, 5, 3, 2]);
    // f32 against ndarray within the accumulation bound.
    let x: Vec<f32> = (0..64 * 48).map(|i| ((i % 17) as f32 - 8.0) * 0.25).collect();
    let y: Vec<f32> = (0..48 * 40).map(|i| ((i % 13) as f32 - 6.0) * 0.5).collect();
    let tx = device().upload(&Array::from_vec(x.clone(), [64, 48]).unwrap()).unwrap();
    let ty = device().upload(&Array::from_vec(y.clone(), [48, 40]).unwrap()).unwrap();
    let got = tx.matmul(&ty).unwrap().download().unwrap().to_vec::<f32>().unwrap();
    let hx = ndarray::Array2::from_shape_vec((64, 48), x).unwrap();
    let hy = ndarray::Array2::from_shape_vec((48, 40), y).unwrap();
    assert_eq!(got, hx.dot(&hy).iter().copied().collect::<Vec<_>>()); // small exact values: exact
}

#[test]
fn errors_name_the_op() {
    let t = upload(&nd_i32(&[2, 3]));
    assert!(matches!(t.sum(&[2], false), Err(Error::InvalidArgument { op: "sum", .. })));
    assert!(matches!(t.sum(&[1, 1], false), Err(Error::InvalidArgument { op: "sum", .. })));
    assert!(matches!(t.mean(&[0], false), Err(Error::UnsupportedDType { op: "mean", .. })));
    assert!(matches!(t.matmul(&t), Err(Error::InvalidArgument { op: "matmul", .. })));
    let f = device().zeros(DType::F32, [3, 2]).unwrap();
    assert!(matches!(t.matmul(&f), Err(Error::OpDTypeMismatch { op: "matmul", .. })));
    let d = device().zeros(DType::I16, [2, 2]).unwrap();
    assert!(matches!(d.matmul(&d), Err(Error::InvalidArgument { op: "matmul", .. })));
    let s = device().zeros(DType::I32, []).unwrap();
    assert!(matches!(s.matmul(&t), Err(Error::InvalidArgument { op: "matmul", .. })));
    let p = upload(&nd_i32(&[2, 3, 4]));
    let q = upload(&nd_i32(&[3, 4, 5]));
    assert!(matches!(p.matmul(&q), Err(Error::Broadcast { op: "matmul", .. })));
}

/// The default device, the portable one (`native_extensions: false`) and GL, each opened once. Tests that use
/// them hold [`one_at_a_time`]: wgpu's GL backend panics ("Could not lock adapter context") when a thread waits
/// more than a second for the EGL context, which a long shader compile on another thread can hold that long.
fn devices() -> [(&'static str, &'static Device); 3] {
    static PORTABLE: std::sync::OnceLock<Device> = std::sync::OnceLock::new();
    static GL: std::sync::OnceLock<Device> = std::sync::OnceLock::new();
    let portable = PORTABLE.get_or_init(|| {
        let options = DeviceOptions { native_extensions: false, ..Default::default() };
        Device::with_options(options).unwrap_or_else(|e| panic!("no adapter: {e}"))
    });
    let gl = GL.get_or_init(|| {
        let options = DeviceOptions { backends: wgpu::Backends::GL, ..Default::default() };
        Device::with_options(options).unwrap_or_else(|e| panic!("no GL adapter (XDG_RUNTIME_DIR set?): {e}"))
    });
    [("default", device()), ("portable", portable), ("gl", gl)]
}

/// The guard that serialises the tests that use [`devices`].
fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|p| p.into_inner())
}

/// Random f64 values of any sign and wide exponents, with edge values (NaN, ±inf, ±0, subnormals, ±MAX) mixed in
/// one time in `edge_rate` (never when 0).
fn random_f64(seed: u64, n: usize, edge_rate: u32) -> Vec<f64> {
    const EDGES: [f64; 9] =
        [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -0.0, 0.0, 5e-324, -2e-310, f64::MAX, -f64::MAX];
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    (0..n)
        .map(|_| {
            let r = next();
            if edge_rate > 0 && ((r >> 40) as u32).is_multiple_of(edge_rate) {
                return EDGES[(r % EDGES.len() as u64) as usize];
            }
            let m = (r >> 11) as f64 * 2f64.powi(-53) * 2.0 - 1.0;
            m * 2f64.powi((next() % 41) as i32 - 20)
        })
        .collect()
}

/// The host result of an f64 reduction of `xs` (in the device's order): the pairwise tree with the documented
/// rules (sums and products rounded per step; a NaN wins max/min; first occurrence for argmax/argmin).
fn f64_reduce(op: &str, xs: &[f64]) -> f64 {
    let pick = |better: fn(f64, f64) -> bool| {
        move |a: (f64, usize), b: (f64, usize)| {
            if !a.0.is_nan() && (b.0.is_nan() || better(b.0, a.0)) { b } else { a }
        }
    };
    let indexed: Vec<(f64, usize)> = xs.iter().copied().zip(0..).collect();
    match op {
        "sum" => reference::pairwise(xs, -0.0, |a, b| a + b),
        "prod" => reference::pairwise(xs, 1.0, |a, b| a * b),
        "mean" => reference::pairwise(xs, -0.0, |a, b| a + b) / xs.len() as f64,
        "max" => reference::pairwise(&indexed, (f64::NEG_INFINITY, 0), pick(|b, a| b > a)).0,
        "min" => reference::pairwise(&indexed, (f64::INFINITY, 0), pick(|b, a| b < a)).0,
        "argmax" => reference::pairwise(&indexed, (f64::NEG_INFINITY, usize::MAX), pick(|b, a| b > a)).1 as f64,
        _ => reference::pairwise(&indexed, (f64::INFINITY, usize::MAX), pick(|b, a| b < a)).1 as f64,
    }
}

fn f64_op(t: &DeviceTensor, op: &str, dims: &[usize], keepdim: bool) -> Result<Vec<f64>, Error> {
    let r = match op {
        "sum" => t.sum(dims, keepdim)?,
        "prod" => t.prod(dims, keepdim)?,
        "mean" => t.mean(dims, keepdim)?,
        "max" => t.max(dims, keepdim)?,
        "min" => t.min(dims, keepdim)?,
        "argmax" => {
            return Ok(t.argmax(dims[0], keepdim)?.download()?.to_vec::<i64>()?.iter().map(|&i| i as f64).collect());
        }
        _ => return Ok(t.argmin(dims[0], keepdim)?.download()?.to_vec::<i64>()?.iter().map(|&i| i as f64).collect()),
    };
    assert_eq!(r.dtype(), DType::F64);
    r.download()?.to_vec::<f64>()
}

fn same_f64(what: &str, got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{what}");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(g.to_bits() == w.to_bits() || (g.is_nan() && w.is_nan()), "{what} [{i}]: {g:e} vs {w:e}");
    }
}

#[test]
fn f64_reductions_are_the_host_tree_bit_for_bit_on_every_device() {
    let _serial = one_at_a_time();
    let shape = [5usize, 6, 7];
    let xs = random_f64(1, 5 * 6 * 7, 24);
    let host = ArrayD::from_shape_vec(IxDyn(&shape), xs.clone()).unwrap();
    for (label, dev) in devices() {
        let t = dev.upload(&Array::from_vec(xs.clone(), shape).unwrap()).unwrap();
        // The tensor itself, and a transposed, stepped view of it (read through its strides).
        let view = t.permute(&[2, 0, 1]).unwrap().slice(ndarray::s![..;2, .., ..;-1]).unwrap();
        let hview = host.view().permuted_axes(IxDyn(&[2, 0, 1]));
        let hview = hview.slice(ndarray::s![..;2, .., ..;-1]).to_owned().into_dyn();
        for (name, t, h) in [("tensor", &t, host.clone()), ("view", &view, hview)] {
            for op in ["sum", "prod", "mean", "max", "min", "argmax", "argmin"] {
                let arg = op.starts_with("arg");
                let dim_sets: Vec<Vec<usize>> = if arg {
                    vec![vec![0], vec![1], vec![2]]
                } else {
                    vec![vec![0], vec![2], vec![0, 1], vec![0, 2], vec![0, 1, 2]]
                };
                for dims in dim_sets {
                    for keepdim in [false, true] {
                        let got = f64_op(t, op, &dims, keepdim).unwrap();
                        // The reduced elements of each output in row-major order of the reduced dims.
                        let keep: Vec<usize> = (0..3).filter(|d| !dims.contains(d)).collect();
                        let order: Vec<usize> = keep.iter().chain(&dims).copied().collect();
                        let p = h.view().permuted_axes(IxDyn(&order)).as_standard_layout().to_owned();
                        let r: usize = dims.iter().map(|&d| h.shape()[d]).product();
                        let flat: Vec<f64> = p.iter().copied().collect();
                        let want: Vec<f64> = flat.chunks(r).map(|c| f64_reduce(op, c)).collect();
                        same_f64(&format!("{label} {name} {op} {dims:?} keepdim {keepdim}"), &got, &want);
                    }
                }
            }
        }
        let all = t.sum_all().unwrap();
        assert_eq!(all.shape(), [] as [usize; 0]);
        same_f64(label, &all.download().unwrap().to_vec::<f64>().unwrap(), &[f64_reduce("sum", &xs)]);
        let (mx, mn) = (t.max_all().unwrap().download().unwrap(), t.min_all().unwrap().download().unwrap());
        same_f64(label, &mx.to_vec::<f64>().unwrap(), &[f64_reduce("max", &xs)]);
        same_f64(label, &mn.to_vec::<f64>().unwrap(), &[f64_reduce("min", &xs)]);
        // Repeated runs: the same bits.
        let first = t.sum(&[1], false).unwrap().download().unwrap();
        assert_eq!(t.sum(&[1], false).unwrap().download().unwrap().as_bytes(), first.as_bytes(), "{label}");
    }
}

#[test]
fn f64_reductions_of_random_shapes_and_dims() {
    let dev = device();
    let mut seed = 100u64;
    let mut next = |n: u64| {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (seed >> 33) % n
    };
    for case in 0..12 {
        let ndim = 1 + next(4) as usize;
        let shape: Vec<usize> = (0..ndim).map(|_| 1 + next(9) as usize).collect();
        let dims: Vec<usize> = (0..ndim).filter(|_| next(2) == 0).collect();
        let keepdim = next(2) == 0;
        let n: usize = shape.iter().product();
        let xs = random_f64(200 + case, n, if case % 3 == 0 { 16 } else { 0 });
        let t = dev.upload(&Array::from_vec(xs.clone(), shape.clone()).unwrap()).unwrap();
        let h = ArrayD::from_shape_vec(IxDyn(&shape), xs).unwrap();
        let keep: Vec<usize> = (0..ndim).filter(|d| !dims.contains(d)).collect();
        let order: Vec<usize> = keep.iter().chain(&dims).copied().collect();
        let flat: Vec<f64> = h.view().permuted_axes(IxDyn(&order)).iter().copied().collect();
        let r: usize = dims.iter().map(|&d| shape[d]).product();
        for op in ["sum", "prod", "max", "min", "mean"] {
            let got = f64_op(&t, op, &dims, keepdim).unwrap();
            // An empty `dims` reduces nothing: each element alone (the mean of one element is itself).
            let want: Vec<f64> =
                if dims.is_empty() { flat.clone() } else { flat.chunks(r).map(|c| f64_reduce(op, c)).collect() };
            same_f64(&format!("{op} of {shape:?} over {dims:?}"), &got, &want);
        }
    }
}

#[test]
fn f64_mean_divides_the_tree_sum_correctly_rounded() {
    let xs = vec![0.1f64, 0.2, 0.3, 1e-300, f64::MAX, f64::MAX, -f64::MAX, 7.0, 5e-324, 5e-324, 5e-324, 0.0];
    let t = device().upload(&Array::from_vec(xs, [3, 4]).unwrap()).unwrap();
    let got = t.mean(&[1], false).unwrap().download().unwrap().to_vec::<f64>().unwrap();
    assert_eq!(got[0], (((0.1 + 0.2) + (0.3 + 1e-300)) / 4.0));
    assert_eq!(got[1], f64::INFINITY); // MAX + MAX overflows before the division
    assert_eq!(got[2], 5e-324); // 3 · 2^-1074 / 4 rounds to 2^-1074
    assert!(matches!(
        device().zeros(DType::F64, [2, 0]).unwrap().mean(&[1], false),
        Err(Error::InvalidArgument { .. })
    ));
}

#[test]
fn empty_float_sums_are_positive_zero() {
    // Empty sums are +0.0 (numpy; the tree's padding is -0.0), empty products 1, in f64 and f32.
    let bits = |t: DeviceTensor| t.cast(DType::F64).unwrap().download().unwrap().to_vec::<f64>().unwrap();
    for d in [DType::F64, DType::F32] {
        let e = device().zeros(d, [2, 0]).unwrap();
        assert_eq!(bits(e.sum(&[1], false).unwrap()).iter().map(|x| x.to_bits()).collect::<Vec<_>>(), [0, 0]);
        assert_eq!(bits(e.prod(&[1], true).unwrap()), [1.0, 1.0]);
        assert_eq!(bits(e.sum_all().unwrap()).iter().map(|x| x.to_bits()).collect::<Vec<_>>(), [0]);
    }
}

/// `c = +0.0; for k { c += a·b }` over Rust f64, for row-major [batch, m, k] and [batch, k, n] (batch 1 broadcasts).
fn f64_matmul_host(a: &[f64], b: &[f64], (ba, bb, m, k, n): (usize, usize, usize, usize, usize)) -> Vec<f64> {
    let batch = ba.max(bb);
    let mut out = Vec::new();
    for bt in 0..batch {
        let (oa, ob) = (if ba == 1 { 0 } else { bt * m * k }, if bb == 1 { 0 } else { bt * k * n });
        for i in 0..m {
            for j in 0..n {
                let mut c = 0.0f64;
                for kk in 0..k {
                    c += a[oa + i * k + kk] * b[ob + kk * n + j];
                }
                out.push(c);
            }
        }
    }
    out
}

#[test]
fn f64_matmul_is_the_host_loop_bit_for_bit_on_every_device() {
    let _serial = one_at_a_time();
    for (label, dev) in devices() {
        for (s, &(ba, bb, m, k, n, edges)) in
            [(1, 1, 1, 1, 1, 0), (2, 1, 17, 33, 9, 0), (1, 3, 66, 20, 70, 0), (2, 2, 5, 9, 4, 8)].iter().enumerate()
        {
            let a = random_f64(10 + s as u64, ba * m * k, edges);
            let b = random_f64(20 + s as u64, bb * k * n, edges);
            let want = f64_matmul_host(&a, &b, (ba, bb, m, k, n));
            let ta = dev.upload(&Array::from_vec(a.clone(), [ba, m, k]).unwrap()).unwrap();
            // B uploaded transposed ([bb, n, k]) and read through the transposed view.
            let mut bt = vec![0f64; b.len()];
            for x in 0..bb {
                for i in 0..k {
                    for j in 0..n {
                        bt[x * k * n + j * k + i] = b[x * k * n + i * n + j];
                    }
                }
            }
            let tb = dev.upload(&Array::from_vec(bt, [bb, n, k]).unwrap()).unwrap().transpose(1, 2).unwrap();
            let c = ta.matmul(&tb).unwrap();
            assert_eq!(c.shape(), [ba.max(bb), m, n]);
            let what = format!("{label} case {s}");
            let got = c.download().unwrap();
            same_f64(&what, &got.to_vec::<f64>().unwrap(), &want);
            assert_eq!(ta.matmul(&tb).unwrap().download().unwrap().as_bytes(), got.as_bytes(), "{what}: repeated");
        }
        // 1-D operands promoted and squeezed: a dot product.
        let v = dev.upload(&Array::from(vec![0.1f64, 0.2, 0.3])).unwrap();
        assert_eq!(
            v.matmul(&v).unwrap().download().unwrap().to_vec::<f64>().unwrap(),
            [0.1 * 0.1 + 0.2 * 0.2 + 0.3 * 0.3]
        );
    }
}

#[test]
fn half_precision_matmul_rounds_the_f32_product_once_on_every_device() {
    let _serial = one_at_a_time();
    // Quarters times halves over k = 48: every f32 partial sum is exact, so the one rounding to the 16-bit dtype
    // is the only one and the result is the same bits whatever the kernel's order (the CPU adapters widen to f32
    // and use the f32 kernel; GPUs accumulate half-precision tiles in f32).
    let x: Vec<f32> = (0..2 * 36 * 48).map(|i| ((i * 7 % 23) as f32 - 11.0) * 0.25).collect();
    let y: Vec<f32> = (0..48 * 40).map(|i| ((i * 5 % 19) as f32 - 9.0) * 0.5 + 0.03125).collect();
    let hx = ndarray::Array3::from_shape_vec((2, 36, 48), x.clone()).unwrap();
    let hy = ndarray::Array2::from_shape_vec((48, 40), y.clone()).unwrap();
    let mut exact = Vec::new();
    for b in 0..2 {
        exact.extend(hx.index_axis(Axis(0), b).dot(&hy).iter().copied());
    }
    let exact = Array::from_vec(exact, [2, 36, 40]).unwrap();
    let yt: Vec<f32> = hy.t().iter().copied().collect(); // stored [40, 48]: read through a transpose
    for (name, d) in devices() {
        for dtype in [DType::F16, DType::BF16] {
            let up = |v: &[f32], shape: &[usize]| {
                let a = Array::from_vec(v.to_vec(), shape.to_vec()).unwrap().cast(dtype).unwrap();
                d.upload(&a).unwrap()
            };
            // The inputs are exact in both dtypes except bf16's 8-bit significand: compare with the rounded inputs.
            let (tx, ty) = (up(&x, &[2, 36, 48]), up(&y, &[48, 40]));
            let wide = |t: &DeviceTensor| t.download().unwrap().cast(DType::F32).unwrap().to_vec::<f32>().unwrap();
            let (rx, ry) = (wide(&tx), wide(&ty));
            let hx = ndarray::Array3::from_shape_vec((2, 36, 48), rx).unwrap();
            let hy = ndarray::Array2::from_shape_vec((48, 40), ry).unwrap();
            let mut want = Vec::new();
            for b in 0..2 {
                want.extend(hx.index_axis(Axis(0), b).dot(&hy).iter().copied());
            }
            let want = Array::from_vec(want, [2, 36, 40]).unwrap().cast(dtype).unwrap();
            let got = tx.matmul(&ty).unwrap().download().unwrap();
            assert_eq!(got.as_bytes(), want.as_bytes(), "{name} {dtype}");
            let tyt = up(&yt, &[40, 48]).transpose(0, 1).unwrap();
            let got_t = tx.matmul(&tyt).unwrap().download().unwrap();
            assert_eq!(got_t.as_bytes(), want.as_bytes(), "{name} {dtype}, transposed right operand");
            if dtype == DType::F16 {
                assert_eq!(got.as_bytes(), exact.cast(DType::F16).unwrap().as_bytes(), "{name}: inputs exact in f16");
            }
        }
    }
}

#[test]
fn matmul_past_one_storage_binding_runs_in_pieces() {
    let d = device();
    let max = d.limits().max_storage_buffer_binding_size;
    // An output past one binding, split into row pieces written in place (f32, N = 4096) or through a pooled
    // buffer copied into place (i32, N = 4097: the piece offsets are not binding-aligned).
    let m = (max / (4 * 4096)) as usize + 808;
    let a: Vec<i32> = (0..m * 8).map(|i| (i as i32 * 31) % 97 - 48).collect();
    let ha = ndarray::Array2::from_shape_vec((m, 8), a.clone()).unwrap();
    for n in [4096usize, 4097] {
        let b: Vec<i32> = (0..8 * n).map(|i| (i as i32 * 17) % 89 - 44).collect();
        let hb = ndarray::Array2::from_shape_vec((8, n), b.clone()).unwrap();
        let want: Vec<i32> = ha.dot(&hb).iter().copied().collect();
        let ta = d.upload(&Array::from_vec(a.clone(), [m, 8]).unwrap()).unwrap();
        let tb = d.upload(&Array::from_vec(b, [8, n]).unwrap()).unwrap();
        let got = ta.matmul(&tb).unwrap().download().unwrap().to_vec::<i32>().unwrap();
        assert!(got == want, "i32 [{m}, 8] x [8, {n}]");
        if n == 4096 {
            let (fa, fb) = (ta.cast(DType::F32).unwrap(), tb.cast(DType::F32).unwrap());
            let got = fa.matmul(&fb).unwrap().download().unwrap().to_vec::<f32>().unwrap();
            assert!(
                got.iter().zip(&want).all(|(&g, &w)| g == w as f32),
                "f32 [{m}, 8] x [8, {n}] (small exact values)"
            );
        }
    }
    // A left operand past one binding (rows split), a batch split, and a transposed right operand.
    let rows = (max / (4 * 256)) as usize + 40;
    let x: Vec<f32> = (0..rows * 256).map(|i| ((i * 7) % 13) as f32 - 6.0).collect();
    let y: Vec<f32> = (0..4 * 256).map(|i| ((i * 5) % 11) as f32 - 5.0).collect();
    let hx = ndarray::Array2::from_shape_vec((rows, 256), x.clone()).unwrap();
    let hy = ndarray::Array2::from_shape_vec((4, 256), y.clone()).unwrap();
    let want: Vec<f32> = hx.dot(&hy.t()).iter().copied().collect();
    let tx = d.upload(&Array::from_vec(x, [rows, 256]).unwrap()).unwrap();
    let ty = d.upload(&Array::from_vec(y, [4, 256]).unwrap()).unwrap().transpose(0, 1).unwrap();
    assert_eq!(tx.matmul(&ty).unwrap().download().unwrap().to_vec::<f32>().unwrap(), want, "[{rows}, 256] x [256, 4]");
    let batched = tx.reshape(vec![2, rows / 2, 256]).unwrap();
    let got = batched.matmul(&ty).unwrap().download().unwrap().to_vec::<f32>().unwrap();
    assert_eq!(got, want[..2 * (rows / 2) * 4], "batched [2, {}, 256] x [256, 4]", rows / 2);
}

#[test]
fn f32_and_integer_matmul_match_ndarray_on_every_device() {
    let _serial = one_at_a_time();
    // Small integers: every sum is exact in f32, so any kernel's order gives ndarray's bits.
    let (m, k, n) = (70, 36, 68);
    let a: Vec<i32> = (0..m * k).map(|i| (i as i32 * 37) % 23 - 11).collect();
    let b: Vec<i32> = (0..k * n).map(|i| (i as i32 * 29) % 19 - 9).collect();
    let ha = ndarray::Array2::from_shape_vec((m, k), a.clone()).unwrap();
    let hb = ndarray::Array2::from_shape_vec((k, n), b.clone()).unwrap();
    let want: Vec<i32> = ha.dot(&hb).iter().copied().collect();
    let bt: Vec<i32> = hb.t().iter().copied().collect(); // stored [n, k]
    for (name, d) in devices() {
        let ta = d.upload(&Array::from_vec(a.clone(), [m, k]).unwrap()).unwrap();
        let tb = d.upload(&Array::from_vec(b.clone(), [k, n]).unwrap()).unwrap();
        let tbt = d.upload(&Array::from_vec(bt.clone(), [n, k]).unwrap()).unwrap().transpose(0, 1).unwrap();
        // The f32 operands cast before the transpose, so the kernel reads the transposed f32 view in place.
        let fa = ta.cast(DType::F32).unwrap();
        let fb = tb.cast(DType::F32).unwrap();
        let fbt = tbt.transpose(0, 1).unwrap().cast(DType::F32).unwrap().transpose(0, 1).unwrap();
        for (what, rhs, frhs) in [("contiguous", &tb, &fb), ("transposed", &tbt, &fbt)] {
            let got = ta.matmul(rhs).unwrap().download().unwrap().to_vec::<i32>().unwrap();
            assert_eq!(got, want, "{name} i32, {what} right operand");
            let got = fa.matmul(frhs).unwrap().download().unwrap().to_vec::<f32>().unwrap();
            let exact: Vec<f32> = want.iter().map(|&w| w as f32).collect();
            assert_eq!(got, exact, "{name} f32, {what} right operand");
        }
    }
}
