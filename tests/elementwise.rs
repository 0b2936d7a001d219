//! Elementwise compute on the device against the host reference ([`wgpu_tensor::reference`]), bit for bit (a NaN
//! result matches any NaN); on the default device, the portable path (`native_extensions: false`) and GL.
//! Exhaustive over 8-bit pairs and 16-bit inputs, 10⁶ random and edge pairs for the wider dtypes, broadcasting,
//! views of every kind as operands, a tensor past 128 MiB, error paths. The transcendentals, measured in ULPs, are
//! in `elementwise_accuracy.rs`. `cargo test --release --test elementwise` (GL needs `XDG_RUNTIME_DIR`).

mod elementwise_common;
mod float_common;
mod wgsl_harness;

use elementwise_common::*;
use float_common::Rng;
use half::f16;
use ndarray::s;
use wgpu_tensor::{Array, BinaryOp, DType, Device, Error, UnaryOp, reference};

/// The host reference itself, on hand-written cases of the documented rules (independent of the device).
#[test]
fn reference_follows_the_documented_rules() -> wgpu_tensor::Result<()> {
    use BinaryOp::*;
    let bin = |op, a: Array, b: Array| reference::binary(op, &a, &b);
    let i8s = |v: &[i8]| Array::from(v.to_vec());
    let r = |op| bin(op, i8s(&[i8::MIN, 7, -7, 7, 1, 1, -128, 100]), i8s(&[-1, 0, 2, -2, 9, -1, 9, 100]));
    assert_eq!(r(Div)?.to_vec::<i8>()?, [i8::MIN, 0, -3, -3, 0, -1, -14, 1]);
    assert_eq!(r(Rem)?.to_vec::<i8>()?, [0, 0, -1, 1, 1, 0, -2, 0]);
    assert_eq!(r(Shl)?.to_vec::<i8>()?, [0, 7, -28, -64, 2, -128, 0, 0x40]);
    assert_eq!(r(Shr)?.to_vec::<i8>()?, [-1, 7, -2, 0, 0, 0, -64, 6]);
    assert_eq!(r(Add)?.to_vec::<i8>()?, [127, 7, -5, 5, 10, 0, -119, -56]);
    let u = bin(Shr, Array::from(vec![128u8, 255]), Array::from(vec![9u8, 15]))?;
    assert_eq!(u.to_vec::<u8>()?, [64, 1]);
    let un = |op, a: Array| reference::unary(op, &a);
    assert_eq!(un(UnaryOp::Abs, i8s(&[i8::MIN, -3]))?.to_vec::<i8>()?, [i8::MIN, 3]);
    assert_eq!(un(UnaryOp::Neg, Array::from(vec![1u8, 0]))?.to_vec::<u8>()?, [255, 0]);
    assert_eq!(un(UnaryOp::Sign, Array::from(vec![5u64, 0]))?.to_vec::<u64>()?, [1, 0]);
    assert_eq!(un(UnaryOp::Relu, i8s(&[-5, 5]))?.to_vec::<i8>()?, [0, 5]);
    assert_eq!(un(UnaryOp::IsNan, i8s(&[0]))?.to_vec::<bool>()?, [false]);

    let f = |v: &[f32]| Array::from(v.to_vec());
    let nan = f32::NAN;
    let (a, b) = (f(&[-0.0, 0.0, nan, 1.0, 5.5, -5.5, 1.0]), f(&[0.0, -0.0, 1.0, nan, 2.0, 2.0, 2.0]));
    let min = reference::binary(Minimum, &a, &b)?.to_vec::<f32>()?;
    let max = reference::binary(Maximum, &a, &b)?.to_vec::<f32>()?;
    assert!(min[0].is_sign_negative() && min[1].is_sign_negative() && min[2].is_nan() && min[3].is_nan());
    assert!(max[0].is_sign_positive() && max[1].is_sign_positive() && max[2].is_nan() && max[3].is_nan());
    assert_eq!(reference::binary(Rem, &a, &b)?.to_vec::<f32>()?[4..6], [1.5, -1.5]);
    let p = reference::binary(Pow, &f(&[nan, 1.0, -0.0, -1.0, 2.0]), &f(&[0.0, nan, -1.0, f32::INFINITY, -149.0]))?;
    assert_eq!(p.to_vec::<f32>()?, [1.0, 1.0, f32::NEG_INFINITY, 1.0, f32::from_bits(1)]); // C99 special values
    let cmp = |op| reference::binary(op, &f(&[nan, -0.0, 1.0]), &f(&[nan, 0.0, 2.0])).and_then(|x| x.to_vec::<bool>());
    assert_eq!(cmp(Eq)?, [false, true, false]);
    assert_eq!(cmp(Ne)?, [true, false, true]);
    assert_eq!(cmp(Le)?, [false, true, true]);
    assert_eq!(cmp(Gt)?, [false, false, false]);
    let x = f(&[0.5, 1.5, 2.5, -2.5, -0.0, nan, -3.0, 3.0]);
    assert_eq!(un(UnaryOp::Round, x.clone())?.to_vec::<f32>()?[..4], [0.0, 2.0, 2.0, -2.0]);
    let sign = un(UnaryOp::Sign, x.clone())?.to_vec::<f32>()?;
    assert!(sign[4].is_sign_negative() && sign[4] == 0.0 && sign[5].is_nan() && sign[6] == -1.0 && sign[7] == 1.0);
    let relu = un(UnaryOp::Relu, x)?.to_vec::<f32>()?;
    assert!(relu[4].to_bits() == 0 && relu[5].is_nan() && relu[6].to_bits() == 0 && relu[7] == 3.0);

    // f16: computed in f32, rounded once (1 + 2^-11 is a tie: to even, 1; (1 + 2^-10) + 2^-11 rounds up).
    let h = |v: &[f32]| Array::from(v.iter().map(|&x| f16::from_f32(x)).collect::<Vec<_>>());
    let one_ulp = 1.0 + 2f32.powi(-10);
    let sum = reference::binary(Add, &h(&[1.0, one_ulp]), &h(&[2f32.powi(-11), 2f32.powi(-11)]))?;
    assert_eq!(sum.to_vec::<f16>()?, [f16::ONE, f16::from_f32(1.0 + 2f32.powi(-9))]);
    // Transcendentals of halves round the f64 value once (f16 of the f64 exp, not f16 of an f32).
    let e = reference::unary(UnaryOp::Exp, &h(&[1.0]))?.to_vec::<f16>()?;
    assert_eq!(e, [f16::from_f64(std::f64::consts::E)]);
    let bools = |v: &[bool]| Array::from(v.to_vec());
    let (p, q) = (bools(&[false, false, true, true]), bools(&[false, true, false, true]));
    assert_eq!(reference::binary(BitXor, &p, &q)?.to_vec::<bool>()?, [false, true, true, false]);
    assert_eq!(reference::binary(Lt, &p, &q)?.to_vec::<bool>()?, [false, true, false, false]);
    assert_eq!(reference::unary(UnaryOp::Not, &p)?.to_vec::<bool>()?, [true, true, false, false]);

    // Broadcasting: [4, 1, 3] with [5, 1] gives [4, 5, 3], out[i, j, k] = a[i, 0, k] + b[j, 0].
    let a = Array::from_vec((0..12).map(|v| v * 100).collect::<Vec<i32>>(), [4, 1, 3])?;
    let b = Array::from_vec((0..5).collect::<Vec<i32>>(), [5, 1])?;
    let c = reference::binary(Add, &a, &b)?;
    assert_eq!(c.shape(), [4, 5, 3]);
    let cv = c.to_vec::<i32>()?;
    for (i, j, k) in (0..4).flat_map(|i| (0..5).flat_map(move |j| (0..3).map(move |k| (i, j, k)))) {
        assert_eq!(cv[(i * 5 + j) * 3 + k], (i * 3 + k) as i32 * 100 + j as i32);
    }
    let w = reference::where_cond(&Array::from_vec(vec![true, false], [2, 1])?, &b.reshape([5])?, &Array::scalar(-1))?;
    assert_eq!(w.to_vec::<i32>()?, [0, 1, 2, 3, 4, -1, -1, -1, -1, -1]);
    assert!(matches!(reference::binary(Add, &a, &Array::from(vec![1i64])), Err(Error::OpDTypeMismatch { .. })));
    assert!(matches!(reference::binary(Add, &a, &Array::from(vec![1i32, 2])), Err(Error::Broadcast { .. })));
    assert!(matches!(reference::unary(UnaryOp::Exp, &Array::from(vec![1f64])), Err(Error::UnsupportedDType { .. })));
    Ok(())
}

/// Every binary op of u8, i8 and Bool on every pair of inputs, and every unary op on every input.
#[test]
fn eight_bit_and_bool_ops_are_exact_on_every_input_pair() {
    for (label, device) in devices() {
        for dtype in [DType::U8, DType::I8, DType::Bool] {
            let (a, b) = if dtype == DType::Bool {
                (from_bits(dtype, &[4], &[0, 0, 1, 1]), from_bits(dtype, &[4], &[0, 1, 0, 1]))
            } else {
                all_8bit_pairs(dtype)
            };
            for op in binary_ops(dtype) {
                let got = device_binary(device, op, &a, &b).unwrap_or_else(|e| panic!("{label} {dtype} {op}: {e}"));
                let want = reference::binary(op, &a, &b).expect("reference");
                assert_same(&format!("{label} {dtype} {op}"), &got, &want, &[&a, &b]);
            }
            let n = if dtype == DType::Bool { 2 } else { 256 };
            let x = from_bits(dtype, &[n], &(0..n as u64).collect::<Vec<_>>());
            for op in exact_unary_ops(dtype) {
                let got = device_unary(device, op, &x).unwrap_or_else(|e| panic!("{label} {dtype} {op}: {e}"));
                assert_same(&format!("{label} {dtype} {op}"), &got, &reference::unary(op, &x).expect("ref"), &[&x]);
            }
        }
    }
}

/// Every exact unary op on every f16, bf16, u16 and i16 input.
#[test]
fn exact_unary_ops_are_exact_on_every_16bit_input() {
    for (label, device) in devices() {
        for dtype in [DType::F16, DType::BF16, DType::U16, DType::I16] {
            let x = all_16bit(dtype);
            for op in exact_unary_ops(dtype) {
                let got = device_unary(device, op, &x).unwrap_or_else(|e| panic!("{label} {dtype} {op}: {e}"));
                assert_same(&format!("{label} {dtype} {op}"), &got, &reference::unary(op, &x).expect("ref"), &[&x]);
            }
        }
    }
}

/// Every binary op and every exact unary op of the wider dtypes on 10⁶ random pairs plus all pairs of edge values.
#[test]
fn wide_dtype_ops_are_exact_on_a_million_random_and_edge_pairs() {
    // Every dtype wider than one byte.
    let dtypes: Vec<DType> = DType::ALL.into_iter().filter(|d| d.size_in_bytes() > 1).collect();
    for (label, device) in devices() {
        for (k, dtype) in dtypes.iter().copied().enumerate() {
            let (a, b) = pairs(dtype, sizes(label, 1_000_003), 100 + k as u64);
            for op in binary_ops(dtype) {
                let got = device_binary(device, op, &a, &b).unwrap_or_else(|e| panic!("{label} {dtype} {op}: {e}"));
                let want = reference::binary(op, &a, &b).expect("reference");
                assert_same(&format!("{label} {dtype} {op}"), &got, &want, &[&a, &b]);
            }
            for op in exact_unary_ops(dtype) {
                let got = device_unary(device, op, &a).unwrap_or_else(|e| panic!("{label} {dtype} {op}: {e}"));
                assert_same(&format!("{label} {dtype} {op}"), &got, &reference::unary(op, &a).expect("ref"), &[&a]);
            }
        }
    }
}

/// Random elements of `dtype` in an array of `shape`.
fn random(dtype: DType, shape: &[usize], rng: &mut Rng) -> Array {
    let n: usize = shape.iter().product();
    let v: Vec<u64> = (0..n).map(|i| random_bits(dtype, rng, i)).collect();
    from_bits(dtype, shape, &v)
}

/// An op that `dtype` supports, to run on it (arithmetic where there is any, else a logical op).
fn op_for(dtype: DType) -> BinaryOp {
    if dtype == DType::Bool { BinaryOp::BitXor } else { BinaryOp::Add }
}

/// numpy broadcasting: size-1 dims, missing dims, 0-d scalars on either side, empty dims; where_cond and clamp.
#[test]
fn broadcasting_follows_numpy() {
    let shapes: &[(&[usize], &[usize])] = &[
        (&[4, 1, 3], &[5, 1]),
        (&[5, 1], &[4, 1, 3]),
        (&[3, 1, 17], &[1, 5, 1]),
        (&[], &[7]),
        (&[7], &[]),
        (&[], &[]),
        (&[0, 3], &[3]),
        (&[2, 0], &[2, 1]),
        (&[0], &[]),
        (&[1, 1, 1], &[33]),
    ];
    let mut rng = Rng::new(5);
    for (label, device) in devices() {
        for dtype in [DType::U8, DType::I16, DType::F16, DType::F32, DType::I64, DType::F64, DType::Bool] {
            for &(sa, sb) in shapes {
                let (a, b) = (random(dtype, sa, &mut rng), random(dtype, sb, &mut rng));
                let op = op_for(dtype);
                let what = format!("{label} {dtype} {op} {sa:?} with {sb:?}");
                let got = device_binary(device, op, &a, &b).unwrap_or_else(|e| panic!("{what}: {e}"));
                assert_same(&what, &got, &reference::binary(op, &a, &b).expect("ref"), &[]);
                let lt = device_binary(device, BinaryOp::Lt, &a, &b).unwrap_or_else(|e| panic!("{what}: {e}"));
                assert_same(&what, &lt, &reference::binary(BinaryOp::Lt, &a, &b).expect("ref"), &[]);
            }
            // Unary ops on 0-d and empty tensors.
            for shape in [&[][..], &[0, 3]] {
                let x = random(dtype, shape, &mut rng);
                let op = if dtype == DType::Bool { UnaryOp::Not } else { UnaryOp::Abs };
                let got =
                    device_unary(device, op, &x).unwrap_or_else(|e| panic!("{label} {dtype} {op} {shape:?}: {e}"));
                assert_same(
                    &format!("{label} {dtype} {op} {shape:?}"),
                    &got,
                    &reference::unary(op, &x).expect("ref"),
                    &[],
                );
            }
            // where_cond and clamp broadcast all three operands.
            let cond = random(DType::Bool, &[4, 1, 1], &mut rng);
            let (t, f) = (random(dtype, &[5, 1], &mut rng), random(dtype, &[3], &mut rng));
            let got = up(device, &cond).where_cond(&up(device, &t), &up(device, &f)).and_then(|r| r.download());
            let want = reference::where_cond(&cond, &t, &f).expect("ref");
            assert_same(&format!("{label} {dtype} where_cond"), &got.expect("where_cond"), &want, &[]);
            if dtype != DType::Bool {
                let x = random(dtype, &[2, 1, 3], &mut rng);
                let got = up(device, &x).clamp(&up(device, &t), &up(device, &f)).and_then(|r| r.download());
                let want = reference::binary(BinaryOp::Maximum, &x, &t)
                    .and_then(|m| reference::binary(BinaryOp::Minimum, &m, &f))
                    .expect("ref");
                assert_same(&format!("{label} {dtype} clamp"), &got.expect("clamp"), &want, &[]);
            }
        }
    }
}

/// Views as operands (the strided kernel: transposed, narrowed at odd offsets, stepped, reversed, broadcast,
/// permuted) and contiguous operands of lengths that are not multiples of 16, with and without an offset (the flat
/// vec4 kernel); the reference sees the downloaded views.
#[test]
fn views_and_odd_lengths_as_operands() {
    let mut rng = Rng::new(9);
    for (label, device) in devices() {
        for dtype in [DType::U8, DType::I16, DType::F16, DType::F32, DType::U64, DType::F64, DType::Bool] {
            let op = op_for(dtype);
            let base = up(device, &random(dtype, &[7, 8], &mut rng));
            let other = up(device, &random(dtype, &[8, 7], &mut rng));
            let cube = up(device, &random(dtype, &[3, 4, 5], &mut rng));
            let fresh = |shape: &[usize], rng: &mut Rng| device.upload(&random(dtype, shape, rng));
            let views = [
                ("transpose", base.transpose(0, 1), Ok(other.clone())),
                ("both transposed", base.transpose(0, 1).and_then(|t| t.transpose(0, 1)), other.transpose(0, 1)),
                ("narrow at odd offsets", base.narrow(1, 1, 5), other.narrow(0, 3, 5).and_then(|t| t.transpose(0, 1))),
                ("rows from offset 8", base.narrow(0, 1, 3), fresh(&[3, 8], &mut rng)),
                ("rows from offset 24", base.narrow(0, 3, 4), base.narrow(0, 0, 4)),
                ("stepped", base.slice(s![..;2, 1..;3]), other.slice(s![1..;2, ..;3])),
                ("reversed", base.slice(s![..;-1, ..]), base.slice(s![.., ..;-1])),
                ("broadcast row", base.narrow(0, 2, 1).and_then(|t| t.broadcast_to([7, 8])), Ok(base.clone())),
                (
                    "broadcast column",
                    base.narrow(1, 5, 1).and_then(|t| t.broadcast_to([7, 8])),
                    fresh(&[7, 8], &mut rng),
                ),
                ("permuted 3-d", cube.permute(&[2, 0, 1]), cube.permute(&[2, 0, 1]).and_then(|t| t.contiguous())),
                ("unsqueezed", cube.narrow(2, 1, 3).and_then(|t| t.unsqueeze(0)), cube.narrow(2, 2, 3)),
            ];
            for (name, a, b) in views {
                let (a, b) = (a.expect(name), b.expect(name));
                let (ha, hb) = (a.download().expect("download"), b.download().expect("download"));
                let what = format!("{label} {dtype} {op} of {name} {:?}/{:?}", a.layout(), b.layout());
                let got = a.binary(op, &b).and_then(|r| r.download()).unwrap_or_else(|e| panic!("{what}: {e}"));
                assert_same(&what, &got, &reference::binary(op, &ha, &hb).expect("ref"), &[]);
                if dtype.is_float() || dtype.is_int() {
                    let got = a.unary(UnaryOp::Neg).and_then(|r| r.download()).expect("neg");
                    assert_same(&format!("{what} neg"), &got, &reference::unary(UnaryOp::Neg, &ha).expect("ref"), &[]);
                }
                if matches!(dtype, DType::F16 | DType::F32) {
                    // A transcendental through the strided kernel gives the flat kernel's bits.
                    let strided = a.unary(UnaryOp::Gelu).and_then(|r| r.download()).expect("gelu");
                    let flat = device_unary(device, UnaryOp::Gelu, &ha).expect("gelu");
                    assert_same(&format!("{what} gelu strided vs flat"), &strided, &flat, &[]);
                }
                // where_cond with the view as a branch and a strided (transposed) condition.
                let out = wgpu_tensor::broadcast_shapes("test", a.shape(), b.shape()).expect("shapes");
                let reversed: Vec<usize> = out.iter().rev().copied().collect();
                let axes: Vec<usize> = (0..out.len()).rev().collect();
                let cond = up(device, &random(DType::Bool, &reversed, &mut rng)).permute(&axes).expect("permute");
                let got = cond.where_cond(&a, &b).and_then(|r| r.download()).expect("where_cond");
                let hc = cond.download().expect("download");
                assert_same(
                    &format!("{what} where_cond"),
                    &got,
                    &reference::where_cond(&hc, &ha, &hb).expect("ref"),
                    &[],
                );
            }
            // Contiguous operands of every length 1..=40 and a few odd large ones (the flat kernel's tail).
            for n in (1..=40).chain([1023, 4097, 65_537]) {
                let (a, b) = (random(dtype, &[n], &mut rng), random(dtype, &[n], &mut rng));
                let got = device_binary(device, op, &a, &b).expect("flat");
                assert_same(
                    &format!("{label} {dtype} {op} flat n = {n}"),
                    &got,
                    &reference::binary(op, &a, &b).expect("ref"),
                    &[&a, &b],
                );
            }
        }
    }
}

/// A view of `shape` over fresh random data, made one of several ways (contiguous, permuted, stepped, reversed,
/// narrowed at an offset, broadcast from a smaller tensor), chosen by `rng`.
fn random_view(device: &Device, dtype: DType, shape: &[usize], rng: &mut Rng) -> wgpu_tensor::DeviceTensor {
    use ndarray::SliceInfoElem;
    let nd = shape.len();
    let kind = if nd == 0 { 0 } else { rng.next_u32() % 6 };
    let full = |step: isize, start: isize| SliceInfoElem::Slice { start, end: None, step };
    let view = match kind {
        1 => {
            // Upload the shape permuted by a rotation, permute back.
            let r = 1 + rng.next_u32() as usize % nd;
            let base: Vec<usize> = (0..nd).map(|k| shape[(k + r) % nd]).collect();
            let axes: Vec<usize> = (0..nd).map(|k| (k + nd - r % nd) % nd).collect();
            up(device, &random(dtype, &base, rng)).permute(&axes)
        }
        2 | 3 => {
            // Every other element (or every element, reversed) of one dim.
            let d = rng.next_u32() as usize % nd;
            let mut base = shape.to_vec();
            let step = if kind == 2 { 2 } else { -1 };
            if kind == 2 {
                base[d] = 2 * shape[d] + (rng.next_u32() % 2) as usize;
            }
            let start = if kind == 2 { (base[d] - 2 * shape[d]) as isize } else { 0 };
            let info: Vec<SliceInfoElem> =
                (0..nd).map(|k| if k == d { full(step, start) } else { full(1, 0) }).collect();
            up(device, &random(dtype, &base, rng)).slice(info)
        }
        4 => {
            // Narrowed at a random (often unaligned) offset.
            let d = rng.next_u32() as usize % nd;
            let k = (rng.next_u32() % 5) as usize;
            let mut base = shape.to_vec();
            base[d] += k + 1;
            up(device, &random(dtype, &base, rng)).narrow(d, k, shape[d])
        }
        5 => {
            // Broadcast along one dim from a tensor of length 1 there.
            let d = rng.next_u32() as usize % nd;
            let mut base = shape.to_vec();
            base[d] = 1;
            up(device, &random(dtype, &base, rng)).broadcast_to(shape)
        }
        _ => Ok(up(device, &random(dtype, shape, rng))),
    };
    view.unwrap_or_else(|e| panic!("view {kind} of {shape:?}: {e}"))
}

/// Random shapes that broadcast (dims of 0 to 5, ones and missing dims on either side) and random views as
/// operands, for several ops and dtypes: device against the reference on the downloaded views.
#[test]
fn random_layouts_and_broadcasts_match_the_reference() {
    for (label, device) in devices() {
        let cases = if label == "default" { 600 } else { 150 };
        for seed in 0..cases {
            let mut rng = Rng::new(1000 + seed);
            let dtype = [DType::U8, DType::I16, DType::F16, DType::F32, DType::U64, DType::F64][seed as usize % 6];
            let nd = (rng.next_u32() % 5) as usize;
            let out: Vec<usize> = (0..nd).map(|_| [0, 1, 2, 3, 5, 7][(rng.next_u32() % 6) as usize]).collect();
            let operand = |rng: &mut Rng| -> Vec<usize> {
                let skip = (rng.next_u32() as usize % (nd + 1)).min(rng.next_u32() as usize % 3);
                out[skip..].iter().map(|&d| if rng.next_u32().is_multiple_of(3) { 1 } else { d }).collect()
            };
            let (sa, sb) = (operand(&mut rng), operand(&mut rng));
            let (a, b) = (random_view(device, dtype, &sa, &mut rng), random_view(device, dtype, &sb, &mut rng));
            let (ha, hb) = (a.download().expect("download"), b.download().expect("download"));
            let op = [BinaryOp::Add, BinaryOp::Mul, BinaryOp::Lt, BinaryOp::Maximum][(seed / 6) as usize % 4];
            let what = format!("{label} seed {seed}: {dtype} {op} of {:?} and {:?}", a.layout(), b.layout());
            let got = a.binary(op, &b).and_then(|r| r.download()).unwrap_or_else(|e| panic!("{what}: {e}"));
            assert_same(&what, &got, &reference::binary(op, &ha, &hb).expect("ref"), &[]);
        }
    }
}

/// where_cond on every dtype with contiguous operands (the flat kernel) of odd lengths, empty and 0-d operands.
#[test]
fn where_cond_on_every_dtype() {
    let mut rng = Rng::new(13);
    for (label, device) in devices() {
        for dtype in DType::ALL {
            for shape in [&[100_003][..], &[3, 5], &[0], &[]] {
                let cond = random(DType::Bool, shape, &mut rng);
                let (t, f) = (random(dtype, shape, &mut rng), random(dtype, shape, &mut rng));
                let what = format!("{label} {dtype} where_cond {shape:?}");
                let got = up(device, &cond).where_cond(&up(device, &t), &up(device, &f)).and_then(|r| r.download());
                let want = reference::where_cond(&cond, &t, &f).expect("ref");
                assert_same(&what, &got.unwrap_or_else(|e| panic!("{what}: {e}")), &want, &[&cond, &t, &f]);
            }
        }
    }
}

/// A chain of ops recorded without a download in between (one stream, batched submits) equals the reference chain.
#[test]
fn chained_ops_equal_the_reference_chain() -> wgpu_tensor::Result<()> {
    let mut rng = Rng::new(17);
    for (label, device) in devices() {
        for dtype in [DType::I32, DType::F32, DType::BF16] {
            let (a, b) = (random(dtype, &[257, 3], &mut rng), random(dtype, &[3], &mut rng));
            let ops = [BinaryOp::Add, BinaryOp::Mul, BinaryOp::Sub, BinaryOp::Maximum, BinaryOp::Div];
            let (mut on_device, mut on_host) = (device.upload(&a)?, a.clone());
            let tb = device.upload(&b)?;
            for k in 0..100 {
                let op = ops[k % ops.len()];
                on_device = on_device.binary(op, &tb)?;
                on_host = reference::binary(op, &on_host, &b)?;
            }
            assert_same(&format!("{label} {dtype} 100 chained ops"), &on_device.download()?, &on_host, &[]);
        }
    }
    Ok(())
}

/// std::ops on `&DeviceTensor`, the scalar form and where_cond on a comparison's result.
#[test]
fn std_ops_and_scalar_forms() -> wgpu_tensor::Result<()> {
    let device = wgsl_harness::device();
    let (a, b) = (Array::from(vec![7i32, -7, i32::MIN, 5]), Array::from(vec![2i32, 2, -1, 0]));
    let (ta, tb) = (device.upload(&a)?, device.upload(&b)?);
    for (got, op) in [
        ((&ta + &tb)?, BinaryOp::Add),
        ((&ta - &tb)?, BinaryOp::Sub),
        ((&ta * &tb)?, BinaryOp::Mul),
        ((&ta / &tb)?, BinaryOp::Div),
        ((&ta % &tb)?, BinaryOp::Rem),
        ((&ta & &tb)?, BinaryOp::BitAnd),
        ((&ta | &tb)?, BinaryOp::BitOr),
        ((&ta ^ &tb)?, BinaryOp::BitXor),
        ((&ta << &tb)?, BinaryOp::Shl),
        ((&ta >> &tb)?, BinaryOp::Shr),
    ] {
        assert_same(&format!("std::ops {op}"), &got.download()?, &reference::binary(op, &a, &b)?, &[&a, &b]);
    }
    assert_same("neg", &(-&ta)?.download()?, &reference::unary(UnaryOp::Neg, &a)?, &[&a]);
    assert_same("not", &(!&ta)?.download()?, &reference::unary(UnaryOp::Not, &a)?, &[&a]);
    let scaled = ta.binary_scalar(BinaryOp::Mul, 3i32)?.download()?;
    assert_same("mul scalar", &scaled, &reference::binary(BinaryOp::Mul, &a, &Array::scalar(3i32))?, &[&a]);
    let picked = ta.gt(&tb)?.where_cond(&ta, &tb)?.download()?;
    assert_eq!(picked.to_vec::<i32>()?, [7, 2, -1, 5]);
    assert!(matches!(ta.binary_scalar(BinaryOp::Add, 1u8), Err(Error::OpDTypeMismatch { op: "add", .. })));
    Ok(())
}

/// One tensor past 128 MiB (40 M f32 = 160 MB per operand): the flat kernel binds it in chunks.
#[test]
fn add_past_one_storage_binding() -> wgpu_tensor::Result<()> {
    const N: usize = 40_000_000;
    let device = wgsl_harness::device();
    let a: Vec<f32> = (0..N).map(|i| i as f32 * 0.75).collect();
    let b: Vec<f32> = (0..N).map(|i| ((i % 1001) as f32 - 500.0) * 1.5e-3).collect();
    let (ta, tb) =
        (device.upload(&Array::from_vec(a.clone(), [N])?)?, device.upload(&Array::from_vec(b.clone(), [N])?)?);
    let sum = ta.add(&tb)?.download()?;
    let sum = sum.as_slice::<f32>()?;
    let chunk = (128 << 20) / 4; // elements per 128 MiB
    let mut idx: Vec<usize> = (0..10_000).map(|k| k * (N / 10_000) + k % 13).collect();
    idx.extend([0, 1, N - 1, N - 2, chunk - 1, chunk, chunk + 1, chunk + 7, N - 17]);
    for &i in &idx {
        assert_eq!(sum[i].to_bits(), (a[i] + b[i]).to_bits(), "element {i}");
    }
    // Small views near the end of the 160 MB buffer: bindings that start past 128 MiB, at an aligned offset (flat
    // kernel) and an odd one (strided kernel).
    let small = device.upload(&Array::from_vec((0..999).map(|i| i as f32).collect::<Vec<f32>>(), [999])?)?;
    for start in [N - 1024, N - 1001] {
        let got = ta.narrow(0, start, 999)?.add(&small)?.download()?.to_vec::<f32>()?;
        for (k, g) in got.iter().enumerate() {
            assert_eq!(g.to_bits(), (a[start + k] + k as f32).to_bits(), "view from {start}: element {k}");
        }
    }
    // A transposed view of it plus a 0-d scalar: operands spanning more than one binding are packed, then run flat.
    let (rows, cols) = (5_000, N / 5_000);
    let t = ta.reshape([rows, cols])?.transpose(0, 1)?.add(&device.full([], 2.0f32)?)?.download()?;
    assert_eq!(t.shape(), [cols, rows]);
    let t = t.as_slice::<f32>()?;
    for &k in &idx {
        let (i, j) = (k / rows, k % rows); // t[i, j] = a[j, i] + 2
        assert_eq!(t[k].to_bits(), (a[j * cols + i] + 2.0).to_bits(), "transposed element [{i}, {j}]");
    }
    Ok(())
}

/// The strided kernel on a grid past 65 535 workgroups in one dimension (transposed operands of 4.4 M f32 and
/// 16.8 M u8 elements: more output words than 65 535 × 64 invocations).
#[test]
fn strided_kernel_on_a_two_dimensional_grid() {
    let device = wgsl_harness::device();
    let mut rng = Rng::new(11);
    for (dtype, n) in [(DType::F32, 2_100), (DType::U8, 4_100)] {
        let a = up(device, &random(dtype, &[n, n], &mut rng));
        let b = up(device, &random(dtype, &[n, n], &mut rng));
        let at = a.transpose(0, 1).expect("transpose");
        let got = at.sub(&b).and_then(|r| r.download()).expect("sub");
        let want =
            reference::binary(BinaryOp::Sub, &at.download().expect("download"), &b.download().expect("download"));
        assert_same(&format!("{dtype} sub of a transposed [{n}, {n}]"), &got, &want.expect("ref"), &[]);
    }
}

/// Every error path names what is wrong, and the device stays usable after each.
#[test]
fn errors_name_the_op_and_the_device_stays_usable() -> wgpu_tensor::Result<()> {
    let device = wgsl_harness::device();
    let still_usable = || -> wgpu_tensor::Result<()> {
        let t = device.upload(&Array::from(vec![1.5f32, 2.0]))?;
        assert_eq!(t.add(&t)?.download()?.to_vec::<f32>()?, [3.0, 4.0]);
        Ok(())
    };
    let f = device.upload(&Array::from(vec![1.0f32, 2.0]))?;
    let i = device.upload(&Array::from(vec![1i32, 2]))?;
    let bools = device.upload(&Array::from(vec![true, false]))?;
    let f64s = device.upload(&Array::from(vec![1.0f64]))?;

    let e = f.add(&i).expect_err("mixed dtypes");
    assert!(matches!(e, Error::OpDTypeMismatch { op: "add", lhs: DType::F32, rhs: DType::I32 }), "{e:?}");
    let msg = e.to_string();
    assert!(msg.contains("add") && msg.contains("f32") && msg.contains("i32") && msg.contains("cast"), "{msg}");
    still_usable()?;

    let wide = device.upload(&Array::from(vec![1.0f32, 2.0, 3.0]))?;
    let e = f.mul(&wide).expect_err("shapes");
    assert!(matches!(&e, Error::Broadcast { op: "mul", lhs, rhs } if lhs == &[2] && rhs == &[3]), "{e:?}");
    assert!(e.to_string().contains("[2]") && e.to_string().contains("[3]"), "{e}");
    still_usable()?;

    for (e, op, dtype) in [
        (i.sqrt().expect_err("sqrt of int"), "sqrt", DType::I32),
        (f.shl(&f).expect_err("shl of float"), "shl", DType::F32),
        (bools.add(&bools).expect_err("add of bool"), "add", DType::Bool),
        (f64s.exp().expect_err("f64 exp"), "exp", DType::F64),
        (f.not().expect_err("not of float"), "not", DType::F32),
        (bools.neg().expect_err("neg of bool"), "neg", DType::Bool),
    ] {
        assert!(matches!(&e, Error::UnsupportedDType { op: o, dtype: d, .. } if *o == op && *d == dtype), "{e:?}");
        assert!(e.to_string().contains(op), "{e}");
        still_usable()?;
    }
    let e = i.where_cond(&f, &f).expect_err("non-bool condition");
    assert!(matches!(e, Error::UnsupportedDType { op: "where_cond", dtype: DType::I32, .. }), "{e:?}");
    let e = bools.where_cond(&f, &i).expect_err("branches differ");
    assert!(matches!(e, Error::OpDTypeMismatch { op: "where_cond", .. }), "{e:?}");
    let e = bools.where_cond(&f, &wide).expect_err("where shapes");
    assert!(matches!(e, Error::Broadcast { op: "where_cond", .. }), "{e:?}");
    still_usable()?;

    let other = wgsl_harness::portable().upload(&Array::from(vec![1.0f32, 2.0]))?;
    let e = f.add(&other).expect_err("two devices");
    assert!(matches!(e, Error::DeviceMismatch { op: "add" }), "{e:?}");
    let e = bools.where_cond(&f, &other).expect_err("two devices");
    assert!(matches!(e, Error::DeviceMismatch { op: "where_cond" }), "{e:?}");
    still_usable()?;
    assert!(device.take_uncaptured_errors().is_empty());
    Ok(())
}
