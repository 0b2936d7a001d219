//! Tests of the matrix-product launcher against host references: f32 within the accumulation bound, f16/bf16
//! rounded once, integers bit-exact with wrapping; strided, transposed, offset, flipped and broadcast operands;
//! shapes that are not multiples of any tile; repeated runs bit-identical; every error path.

use rand::{Rng, SeedableRng, rngs::StdRng};

use super::matmul_kernel::{Dims, KernelChoice, MatmulKernel, Operand, encode_matmul, encode_matmul_with};
use crate::{Array, DType, Device, DeviceTensor, Error};

fn device() -> &'static Device {
    static DEVICE: std::sync::OnceLock<Device> = std::sync::OnceLock::new();
    DEVICE.get_or_init(|| Device::new().expect("an adapter (install mesa-vulkan-drivers for lavapipe)"))
}

/// A view of a host/device operand: (offset, batch, row, col strides) in elements.
#[derive(Clone, Copy, Debug)]
struct View {
    off: usize,
    sb: isize,
    sr: isize,
    sc: isize,
}

impl View {
    fn at(&self, b: usize, r: usize, c: usize) -> usize {
        (self.off as isize + b as isize * self.sb + r as isize * self.sr + c as isize * self.sc) as usize
    }

    /// Row-major `[batch, rows, cols]`, or its transpose stored `[batch, cols, rows]`, with `pad` leading elements;
    /// `broadcast` gives batch stride 0.
    fn new(rows: usize, cols: usize, transposed: bool, pad: usize, broadcast: bool) -> (View, usize) {
        let (sr, sc) = if transposed { (1, rows as isize) } else { (cols as isize, 1) };
        let sb = if broadcast { 0 } else { (rows * cols) as isize };
        (View { off: pad, sb, sr, sc }, rows * cols)
    }

    fn len(&self, batch: usize, rows: usize, cols: usize) -> usize {
        if batch * rows * cols == 0 { self.off + 1 } else { self.at(batch - 1, rows - 1, cols - 1).max(self.off) + 1 }
    }
}

fn operand<'a>(t: &'a DeviceTensor, v: View) -> Operand<'a> {
    Operand { buffer: t.buffer(), offset: v.off, batch_stride: v.sb, row_stride: v.sr, col_stride: v.sc }
}

/// Runs the product on the device with every kernel the layout allows (tiled, direct, and the automatic choice:
/// the subgroup kernel on lavapipe, for transposed operands too) and on contiguous copies of the operands, checks
/// that they agree bit for bit (integers: all; f32: the kernels that add in the same order — the CPU-adapter
/// kernels among themselves, whatever the layouts), and downloads `[batch, m, n]`.
fn run(dtype: DType, dims: Dims, a: &Array, va: View, b: &Array, vb: View) -> crate::Result<Array> {
    let tiled = run_with(dtype, dims, a, va, b, vb, KernelChoice::Tiled)?;
    let direct = run_with(dtype, dims, a, va, b, vb, KernelChoice::Direct)?;
    let auto = run_with(dtype, dims, a, va, b, vb, KernelChoice::Auto)?;
    let (ca, cva) = contiguous(dtype, a, va, dims.batch, dims.m, dims.k);
    let (cb, cvb) = contiguous(dtype, b, vb, dims.batch, dims.k, dims.n);
    let packed = run_with(dtype, dims, &ca, cva, &cb, cvb, KernelChoice::Auto)?;
    let results = [("tiled", &tiled), ("direct", &direct), ("automatic", &auto), ("contiguous automatic", &packed)];
    let cpu = |k: MatmulKernel| matches!(k, MatmulKernel::Direct | MatmulKernel::Subgroup(_));
    for (i, (x, (rx, kx))) in results.iter().enumerate() {
        for (y, (ry, ky)) in &results[i + 1..] {
            if dtype.is_int() || kx == ky || (cpu(*kx) && cpu(*ky)) {
                assert_eq!(rx.as_bytes(), ry.as_bytes(), "{x} ({kx:?}) and {y} ({ky:?}) differ on {dims:?}");
            }
        }
    }
    Ok(auto.0)
}

/// The operand's `[batch, rows, cols]` elements copied into a contiguous array, and its view.
fn contiguous(dtype: DType, x: &Array, v: View, batch: usize, rows: usize, cols: usize) -> (Array, View) {
    let e = dtype.size_in_bytes();
    let mut bytes = Vec::with_capacity(batch * rows * cols * e);
    for bt in 0..batch {
        for r in 0..rows {
            for c in 0..cols {
                let at = v.at(bt, r, c) * e;
                bytes.extend_from_slice(&x.as_bytes()[at..at + e]);
            }
        }
    }
    let n = (batch * rows * cols).max(1);
    bytes.resize(n * e, 0);
    let array = Array::from_bytes(dtype, [n], &bytes).expect("a contiguous copy");
    let view = View { off: 0, sb: (rows * cols) as isize, sr: cols as isize, sc: 1 };
    (array, view)
}

fn run_with(
    dtype: DType,
    dims: Dims,
    a: &Array,
    va: View,
    b: &Array,
    vb: View,
    kernel: KernelChoice,
) -> crate::Result<(Array, MatmulKernel)> {
    let d = device();
    let (ta, tb) = (d.upload(a)?, d.upload(b)?);
    let out = d.zeros(dtype, vec![dims.batch, dims.m, dims.n])?;
    let (oa, ob) = (operand(&ta, va), operand(&tb, vb));
    let used = d.record("test", |rec| encode_matmul_with(rec, dtype, dims, &oa, &ob, out.buffer(), kernel))?;
    Ok((out.download()?, used))
}

/// The shapes of the f32 and integer tests: (batch, m, n, k), A transposed, B transposed, A broadcast.
const CASES: &[(usize, usize, usize, usize, bool, bool, bool)] = &[
    (1, 1, 1, 1, false, false, false),
    (1, 17, 33, 5, false, false, false),
    (1, 64, 64, 64, false, false, false),
    (2, 65, 70, 129, false, false, false),
    (3, 8, 12, 16, true, false, false),
    (2, 12, 8, 20, false, true, false),
    (2, 13, 9, 7, true, true, true),
    (4, 33, 5, 40, false, false, true),
    (1, 100, 3, 1, false, true, false),
    (1, 4, 4, 0, false, false, false),
    (2, 31, 130, 66, true, true, false),
    (2, 36, 20, 12, false, false, false),
    (3, 7, 8, 8, false, false, true),
    (1, 65, 68, 36, false, false, false),
    (2, 130, 136, 44, false, false, false),
    (2, 68, 136, 40, true, true, false),
    (1, 100, 72, 52, true, false, false),
    (3, 36, 40, 24, false, true, true),
];

fn dims_of(c: &(usize, usize, usize, usize, bool, bool, bool)) -> Dims {
    Dims { batch: c.0, m: c.1, n: c.2, k: c.3 }
}

#[test]
fn f32_matches_the_host_within_the_accumulation_bound() {
    let mut rng = StdRng::seed_from_u64(1);
    for (i, c) in CASES.iter().enumerate() {
        let dims = dims_of(c);
        let pad = [0, 4, 5][i % 3];
        let (va, _) = View::new(dims.m, dims.k, c.4, pad, c.6);
        let (vb, _) = View::new(dims.k, dims.n, c.5, 0, false);
        let a: Vec<f32> = (0..va.len(dims.batch, dims.m, dims.k)).map(|_| rng.random_range(-2.0..2.0)).collect();
        let b: Vec<f32> = (0..vb.len(dims.batch, dims.k, dims.n)).map(|_| rng.random_range(-2.0..2.0)).collect();
        let got = run(
            DType::F32,
            dims,
            &Array::from_slice(&a, [a.len()]).unwrap(),
            va,
            &Array::from_slice(&b, [b.len()]).unwrap(),
            vb,
        )
        .unwrap()
        .to_vec::<f32>()
        .unwrap();
        for bt in 0..dims.batch {
            for r in 0..dims.m {
                for col in 0..dims.n {
                    let (mut exact, mut abs) = (0f64, 0f64);
                    for k in 0..dims.k {
                        let p = f64::from(a[va.at(bt, r, k)]) * f64::from(b[vb.at(bt, k, col)]);
                        exact += p;
                        abs += p.abs();
                    }
                    let g = f64::from(got[(bt * dims.m + r) * dims.n + col]);
                    let bound = (dims.k as f64 + 1.0) * 2f64.powi(-24) * abs;
                    assert!(
                        (g - exact).abs() <= bound,
                        "case {c:?} at ({bt},{r},{col}): {g} vs {exact} (bound {bound})"
                    );
                }
            }
        }
    }
}

/// Wrapping integer reference through the same views, on u64 values (truncated to the dtype's width).
fn int_reference(dims: Dims, a: &[u64], va: View, b: &[u64], vb: View, mask: u64) -> Vec<u64> {
    let mut out = Vec::new();
    for bt in 0..dims.batch {
        for r in 0..dims.m {
            for col in 0..dims.n {
                let mut s = 0u64;
                for k in 0..dims.k {
                    s = s.wrapping_add(a[va.at(bt, r, k)].wrapping_mul(b[vb.at(bt, k, col)]));
                }
                out.push(s & mask);
            }
        }
    }
    out
}

#[test]
fn integers_are_exact_and_wrap() {
    let mut rng = StdRng::seed_from_u64(2);
    for dtype in [DType::I32, DType::U32, DType::I64, DType::U64] {
        for (i, c) in CASES.iter().enumerate() {
            let dims = dims_of(c);
            let (va, _) = View::new(dims.m, dims.k, c.4, [0, 4, 3][i % 3], c.6);
            let (vb, _) = View::new(dims.k, dims.n, c.5, i % 3, false);
            let la = va.len(dims.batch, dims.m, dims.k);
            let lb = vb.len(dims.batch, dims.k, dims.n);
            // Full-range values (products and sums overflow), sometimes small ones.
            let mut values = |n: usize| -> Vec<u64> {
                (0..n).map(|_| if rng.random::<bool>() { rng.random() } else { rng.random_range(0..5) }).collect()
            };
            let (a, b) = (values(la), values(lb));
            let (arr_a, arr_b, mask) = match dtype {
                DType::I32 => (
                    Array::from_vec(a.iter().map(|&x| x as i32).collect::<Vec<_>>(), [la]).unwrap(),
                    Array::from_vec(b.iter().map(|&x| x as i32).collect::<Vec<_>>(), [lb]).unwrap(),
                    u64::from(u32::MAX),
                ),
                DType::U32 => (
                    Array::from_vec(a.iter().map(|&x| x as u32).collect::<Vec<_>>(), [la]).unwrap(),
                    Array::from_vec(b.iter().map(|&x| x as u32).collect::<Vec<_>>(), [lb]).unwrap(),
                    u64::from(u32::MAX),
                ),
                DType::I64 => (
                    Array::from_vec(a.iter().map(|&x| x as i64).collect::<Vec<_>>(), [la]).unwrap(),
                    Array::from_vec(b.iter().map(|&x| x as i64).collect::<Vec<_>>(), [lb]).unwrap(),
                    u64::MAX,
                ),
                _ => (Array::from_slice(&a, [la]).unwrap(), Array::from_slice(&b, [lb]).unwrap(), u64::MAX),
            };
            let got = run(dtype, dims, &arr_a, va, &arr_b, vb).unwrap();
            let got: Vec<u64> = match dtype {
                DType::I32 => got.to_vec::<i32>().unwrap().iter().map(|&x| u64::from(x as u32)).collect(),
                DType::U32 => got.to_vec::<u32>().unwrap().iter().map(|&x| u64::from(x)).collect(),
                DType::I64 => got.to_vec::<i64>().unwrap().iter().map(|&x| x as u64).collect(),
                _ => got.to_vec::<u64>().unwrap(),
            };
            // Sign extension does not change the low bits, so one u64 reference serves signed and unsigned.
            assert_eq!(got, int_reference(dims, &a, va, &b, vb, mask), "{dtype} case {c:?}");
        }
    }
}

#[test]
fn half_precision_accumulates_in_f32_and_rounds_once() {
    let mut rng = StdRng::seed_from_u64(3);
    for dtype in [DType::F16, DType::BF16] {
        for c in &CASES[..8] {
            let dims = dims_of(c);
            let (va, _) = View::new(dims.m, dims.k, c.4, 1, c.6);
            let (vb, _) = View::new(dims.k, dims.n, c.5, 0, false);
            let la = va.len(dims.batch, dims.m, dims.k);
            let lb = vb.len(dims.batch, dims.k, dims.n);
            let a: Vec<f32> = (0..la).map(|_| rng.random_range(-3.0f32..3.0)).collect();
            let b: Vec<f32> = (0..lb).map(|_| rng.random_range(-3.0f32..3.0)).collect();
            // Rounded to the dtype (exact RNE), then widened exactly to f64 for the reference.
            let (xa, xb) = (Array::from_vec(a, [la]).unwrap(), Array::from_vec(b, [lb]).unwrap());
            let (xa, xb) = (xa.cast(dtype).unwrap(), xb.cast(dtype).unwrap());
            let got = run(dtype, dims, &xa, va, &xb, vb).unwrap();
            let wide = |x: &Array| x.cast(DType::F64).unwrap().to_vec::<f64>().unwrap();
            let (ha, hb, got) = (wide(&xa), wide(&xb), wide(&got));
            let man_bits = if dtype == DType::F16 { 10 } else { 7 };
            for bt in 0..dims.batch {
                for r in 0..dims.m {
                    for col in 0..dims.n {
                        let (mut exact, mut abs) = (0f64, 0f64);
                        for k in 0..dims.k {
                            let p = ha[va.at(bt, r, k)] * hb[vb.at(bt, k, col)];
                            exact += p;
                            abs += p.abs();
                        }
                        let g = got[(bt * dims.m + r) * dims.n + col];
                        // One rounding to the 16-bit format (half an ulp of the result) plus the f32 accumulation.
                        let ulp = 2f64.powi(exact.abs().max(2f64.powi(-14)).log2().floor() as i32 - man_bits);
                        let bound = 0.5 * ulp.max(2f64.powi(-14 - man_bits)) * 1.000_001
                            + (dims.k as f64 + 1.0) * 2f64.powi(-24) * abs;
                        assert!((g - exact).abs() <= bound, "{dtype} {c:?} ({bt},{r},{col}): {g} vs {exact}");
                    }
                }
            }
        }
    }
}

#[test]
fn flipped_and_offset_views_are_read_in_place() {
    // A's rows reversed (negative row stride), B a column slice of a wider matrix.
    let (m, n, k, wide) = (9usize, 6usize, 11usize, 10usize);
    let a: Vec<i32> = (0..(m * k) as i32).collect();
    let b: Vec<i32> = (0..(k * wide) as i32).map(|x| x * 3 - 7).collect();
    let va = View { off: (m - 1) * k, sb: 0, sr: -(k as isize), sc: 1 };
    let vb = View { off: 2, sb: 0, sr: wide as isize, sc: 1 };
    let dims = Dims { batch: 1, m, n, k };
    let got = run(
        DType::I32,
        dims,
        &Array::from_slice(&a, [a.len()]).unwrap(),
        va,
        &Array::from_slice(&b, [b.len()]).unwrap(),
        vb,
    )
    .unwrap()
    .to_vec::<i32>()
    .unwrap();
    for r in 0..m {
        for c in 0..n {
            let want: i32 = (0..k).map(|j| a[(m - 1 - r) * k + j] * b[j * wide + 2 + c]).sum();
            assert_eq!(got[r * n + c], want, "({r},{c})");
        }
    }
}

#[test]
fn repeated_runs_are_bit_identical() {
    let mut rng = StdRng::seed_from_u64(4);
    let dims = Dims { batch: 2, m: 70, n: 65, k: 300 };
    let (va, la) = View::new(dims.m, dims.k, false, 0, false);
    let (vb, lb) = View::new(dims.k, dims.n, true, 0, false);
    let a: Vec<f32> = (0..la * 2).map(|_| rng.random_range(-1.0..1.0)).collect();
    let b: Vec<f32> = (0..lb * 2).map(|_| rng.random_range(-1.0..1.0)).collect();
    let (a, b) = (Array::from_slice(&a, [la * 2]).unwrap(), Array::from_slice(&b, [lb * 2]).unwrap());
    let first = run(DType::F32, dims, &a, va, &b, vb).unwrap();
    for _ in 0..3 {
        assert_eq!(run(DType::F32, dims, &a, va, &b, vb).unwrap().as_bytes(), first.as_bytes());
    }
}

#[test]
fn errors_name_the_op() {
    let d = device();
    let small = d.upload(&Array::from_vec(vec![1f32; 16], [16]).unwrap()).unwrap();
    let out = d.zeros(DType::F32, vec![4, 4]).unwrap();
    let dims = Dims { batch: 1, m: 4, n: 4, k: 4 };
    let ok = Operand::contiguous(small.buffer(), 4, 4);
    let record = |dtype, dims, a: &Operand<'_>, b: &Operand<'_>, out: &wgpu::Buffer| {
        d.record("test", |rec| encode_matmul(rec, dtype, dims, a, b, out))
    };
    let check = |r: crate::Result<()>, what: &str| match r {
        Err(Error::InvalidArgument { op: "matmul", reason }) => assert!(reason.contains(what), "{reason}"),
        other => panic!("expected an InvalidArgument naming {what:?}, got {other:?}"),
    };
    check(record(DType::I16, dims, &ok, &ok, out.buffer()), "i16");
    let far = Operand { offset: 1 << 20, ..ok };
    check(record(DType::F32, dims, &far, &ok, out.buffer()), "does not fit");
    let neg = Operand { row_stride: -4, ..ok };
    check(record(DType::F32, dims, &ok, &neg, out.buffer()), "reaches element -12");
    let big = Dims { batch: 1, m: 8, n: 8, k: 2 };
    let flat = Operand { row_stride: 2, ..ok };
    let exact = d.create_buffer("exact", 64, wgpu::BufferUsages::STORAGE, false).unwrap();
    check(record(DType::F32, big, &flat, &ok, &exact), "output buffer");
}

/// The documented f64 order: `c = +0.0; for k in 0..K { c += a·b }` over Rust `f64`, through the same views.
fn f64_reference(dims: Dims, a: &[f64], va: View, b: &[f64], vb: View) -> Vec<f64> {
    let mut out = Vec::new();
    for bt in 0..dims.batch {
        for r in 0..dims.m {
            for col in 0..dims.n {
                let mut c = 0.0f64;
                for k in 0..dims.k {
                    c += a[va.at(bt, r, k)] * b[vb.at(bt, k, col)];
                }
                out.push(c);
            }
        }
    }
    out
}

#[test]
fn f64_is_the_host_loop_bit_for_bit() {
    let mut rng = StdRng::seed_from_u64(5);
    let edges = [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -0.0, 0.0, f64::MAX, 5e-324, f64::MIN_POSITIVE, -1e-300];
    for (i, c) in CASES.iter().enumerate() {
        let dims = dims_of(c);
        let (va, _) = View::new(dims.m, dims.k, c.4, [0, 4, 3][i % 3], c.6);
        let (vb, _) = View::new(dims.k, dims.n, c.5, i % 2, false);
        // Edge values in some cases only (a NaN or inf spreads over a whole row and column), wide exponents.
        let edge_rate = if i % 2 == 0 { 0 } else { 64 };
        let mut values = |n: usize| -> Vec<f64> {
            (0..n)
                .map(|_| {
                    if edge_rate > 0 && rng.random_range(0..edge_rate) == 0 {
                        edges[rng.random_range(0..edges.len())]
                    } else {
                        rng.random_range(-1.0..1.0) * 2f64.powi(rng.random_range(-30..30))
                    }
                })
                .collect()
        };
        let (a, b) = (values(va.len(dims.batch, dims.m, dims.k)), values(vb.len(dims.batch, dims.k, dims.n)));
        let (xa, xb) = (Array::from_slice(&a, [a.len()]).unwrap(), Array::from_slice(&b, [b.len()]).unwrap());
        let first = run(DType::F64, dims, &xa, va, &xb, vb).unwrap();
        let got = first.to_vec::<f64>().unwrap();
        let want = f64_reference(dims, &a, va, &b, vb);
        assert_eq!(got.len(), want.len());
        for (j, (g, w)) in got.iter().zip(&want).enumerate() {
            assert!(g.to_bits() == w.to_bits() || (g.is_nan() && w.is_nan()), "case {c:?} [{j}]: {g:e} vs {w:e}");
        }
        // Repeated: the same bits (NaN payloads included).
        assert_eq!(run(DType::F64, dims, &xa, va, &xb, vb).unwrap().as_bytes(), first.as_bytes(), "case {c:?}");
    }
}

#[test]
fn f64_edges_overflow_cancel_and_keep_subnormals() {
    // Rows of A against a column of ones / of B, each row one edge case of the accumulation.
    let tiny = 5e-324;
    let rows: [[f64; 3]; 6] = [
        [f64::MAX, f64::MAX, -f64::MAX],         // overflow to inf first: inf - MAX = inf
        [f64::INFINITY, f64::NEG_INFINITY, 1.0], // inf - inf = NaN
        [tiny, tiny, tiny],                      // subnormal sums stay exact
        [-0.0, -0.0, -0.0],                      // +0 start: +0 + -0 = +0
        [1.0, 1e-16, 1e-16],                     // each sum rounded: 1 + 1e-16 = 1, twice
        [0.1, 0.2, 0.3],                         // 0.1 + 0.2 rounds, then + 0.3
    ];
    let a: Vec<f64> = rows.iter().flatten().copied().collect();
    let b = vec![1.0f64; 3];
    let dims = Dims { batch: 1, m: rows.len(), n: 1, k: 3 };
    let (va, _) = View::new(dims.m, 3, false, 0, false);
    let (vb, _) = View::new(3, 1, false, 0, false);
    let got =
        run(DType::F64, dims, &Array::from_slice(&a, [a.len()]).unwrap(), va, &Array::from_slice(&b, [3]).unwrap(), vb)
            .unwrap()
            .to_vec::<f64>()
            .unwrap();
    assert_eq!(got[0], f64::INFINITY);
    assert!(got[1].is_nan());
    assert_eq!(got[2].to_bits(), 3);
    assert_eq!(got[3].to_bits(), 0);
    assert_eq!(got[4], 1.0);
    assert_eq!(got[5].to_bits(), ((0.1 + 0.2) + 0.3f64).to_bits());
    assert_ne!(got[5], 0.6);
    // Products are rounded before the sum (no fused multiply-add): (1 + 2^-30)^2 - 1 loses its 2^-60 term.
    let x = 1.0 + 2f64.powi(-30);
    let (a, b) = (vec![x, -1.0], vec![x, 1.0]);
    let dims = Dims { batch: 1, m: 1, n: 1, k: 2 };
    let (va, _) = View::new(1, 2, false, 0, false);
    let (vb, _) = View::new(2, 1, false, 0, false);
    let got = run(DType::F64, dims, &Array::from_slice(&a, [2]).unwrap(), va, &Array::from_slice(&b, [2]).unwrap(), vb)
        .unwrap()
        .to_vec::<f64>()
        .unwrap();
    assert_eq!(got, [2f64.powi(-29)]);
}

#[test]
fn transposed_operands_run_on_the_subgroup_kernel_where_there_is_one() {
    let d = device();
    let Some(lanes) = d.native().subgroup_size.filter(|_| d.info().is_software()) else {
        println!("not a CPU adapter with fixed-size subgroups: nothing to check");
        return;
    };
    let dims = Dims { batch: 1, m: 64, n: 64, k: 64 };
    let x = Array::from_vec(vec![1f32; 64 * 64], [64 * 64]).unwrap();
    for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
        let (va, _) = View::new(64, 64, ta, 0, false);
        let (vb, _) = View::new(64, 64, tb, 0, false);
        let (c, used) = run_with(DType::F32, dims, &x, va, &x, vb, KernelChoice::Auto).unwrap();
        assert_eq!(used, MatmulKernel::Subgroup(lanes), "A transposed {ta}, B transposed {tb}");
        assert!(c.to_vec::<f32>().unwrap().iter().all(|&v| v == 64.0));
    }
}
