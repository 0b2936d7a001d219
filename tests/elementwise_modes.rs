//! The flat kernel's broadcast access modes (a row repeated over the leading dims, a column or a scalar spread over
//! the trailing ones) and the f32 vec4 fast path, against the host bit for bit, with edge values that take the
//! exact path (subnormals, ±0, exact cancellation, ±inf, NaN). `cargo test --release --test elementwise_modes`

use wgpu_tensor::{Array, BinaryOp, Device, DeviceTensor};

/// Edge values and ordinary ones, repeated to `n`.
fn f32_values(n: usize, seed: u32) -> Vec<f32> {
    let edge = [0.0, -0.0, 1e-40, -1e-40, 1.1754944e-38, f32::INFINITY, f32::NEG_INFINITY, f32::NAN, 1.5, -1.5];
    let mut x = seed.wrapping_mul(2654435761).wrapping_add(1);
    (0..n)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            if i % 7 == 3 { edge[(x as usize) % edge.len()] } else { (x % 2001) as f32 - 1000.0 }
        })
        .collect()
}

fn upload<T: wgpu_tensor::Element>(device: &Device, v: Vec<T>, shape: &[usize]) -> DeviceTensor {
    device.upload(&Array::from_vec(v, shape.to_vec()).expect("array")).expect("upload")
}

/// Element `i` of a row-major tensor of `shape` broadcast from `from` (numpy rules, same rank).
fn source_index(i: usize, shape: &[usize], from: &[usize]) -> usize {
    let (mut rem, mut at, mut stride) = (i, 0, 1);
    for d in (0..shape.len()).rev() {
        let k = rem % shape[d];
        rem /= shape[d];
        if from[d] != 1 {
            at += k * stride;
        }
        stride *= from[d];
    }
    at
}

fn check_f32(device: &Device, op: BinaryOp, sa: &[usize], sb: &[usize], f: fn(f32, f32) -> f32) {
    let shape: Vec<usize> = sa.iter().zip(sb).map(|(a, b)| *a.max(b)).collect();
    let n: usize = shape.iter().product();
    let (a, b) = (f32_values(sa.iter().product(), 1), f32_values(sb.iter().product(), 2));
    let got = upload(device, a.clone(), sa).binary(op, &upload(device, b.clone(), sb)).expect("op");
    let got = got.download().expect("download").to_vec::<f32>().expect("f32");
    for i in 0..n {
        let want = f(a[source_index(i, &shape, sa)], b[source_index(i, &shape, sb)]);
        let ok = got[i].to_bits() == want.to_bits() || (got[i].is_nan() && want.is_nan());
        assert!(ok, "{op:?} {sa:?} {sb:?} at {i}: {} != {want}", got[i]);
    }
}

#[test]
fn f32_row_column_and_scalar_operands() {
    let device = Device::new().expect("an adapter");
    check_f32(&device, BinaryOp::Add, &[64, 256], &[1, 256], |x, y| x + y);
    check_f32(&device, BinaryOp::Add, &[1, 256], &[64, 256], |x, y| x + y);
    check_f32(&device, BinaryOp::Mul, &[256, 64], &[256, 1], |x, y| x * y);
    check_f32(&device, BinaryOp::Sub, &[8, 32, 16], &[1, 1, 1], |x, y| x - y);
    check_f32(&device, BinaryOp::Sub, &[4, 8, 16], &[4, 8, 16], |x, y| x - y);
    check_f32(&device, BinaryOp::Div, &[16, 64], &[1, 64], |x, y| x / y);
    // Rows of 3 (not whole vec4 units) and a middle broadcast dim: the strided mode.
    check_f32(&device, BinaryOp::Add, &[50, 3], &[1, 3], |x, y| x + y);
    check_f32(&device, BinaryOp::Add, &[4, 8, 16], &[4, 1, 16], |x, y| x + y);
}

#[test]
fn integer_and_comparison_operands() {
    let device = Device::new().expect("an adapter");
    // u8 (16 elements a unit, looped) row; i16 column; i64 column and row.
    let a: Vec<u8> = (0..32 * 64).map(|i| (i * 37 % 256) as u8).collect();
    let b: Vec<u8> = (0..64).map(|i| (i * 91 % 256) as u8).collect();
    let got = upload(&device, a.clone(), &[32, 64]).add(&upload(&device, b.clone(), &[1, 64])).expect("add");
    let want: Vec<u8> = (0..a.len()).map(|i| a[i].wrapping_add(b[i % 64])).collect();
    assert_eq!(got.download().expect("download").to_vec::<u8>().expect("u8"), want);

    let a: Vec<i16> = (0..16 * 64).map(|i| (i * 977 % 65536) as u16 as i16).collect();
    let b: Vec<i16> = (0..16).map(|i| (i * 4099 % 65536) as u16 as i16).collect();
    let got = upload(&device, a.clone(), &[16, 64]).mul(&upload(&device, b.clone(), &[16, 1])).expect("mul");
    let want: Vec<i16> = (0..a.len()).map(|i| a[i].wrapping_mul(b[i / 64])).collect();
    assert_eq!(got.download().expect("download").to_vec::<i16>().expect("i16"), want);

    let a: Vec<i64> = (0..64 * 32).map(|i| (i as i64).wrapping_mul(0x1e37_79b9_7f4a_7c15) ^ (i as i64) << 62).collect();
    let b: Vec<i64> = (0..64).map(|i| (i as i64).wrapping_mul(-0x61c8_8646_80b5_83eb)).collect();
    let got = upload(&device, a.clone(), &[64, 32]).add(&upload(&device, b.clone(), &[64, 1])).expect("add");
    let want: Vec<i64> = (0..a.len()).map(|i| a[i].wrapping_add(b[i / 32])).collect();
    assert_eq!(got.download().expect("download").to_vec::<i64>().expect("i64"), want);
    let b: Vec<i64> = b[..32].to_vec();
    let got = upload(&device, a.clone(), &[64, 32]).sub(&upload(&device, b.clone(), &[1, 32])).expect("sub");
    let want: Vec<i64> = (0..a.len()).map(|i| a[i].wrapping_sub(b[i % 32])).collect();
    assert_eq!(got.download().expect("download").to_vec::<i64>().expect("i64"), want);

    // f32 < (Bool output, 16 elements a unit) against a row.
    let (a, b) = (f32_values(32 * 256, 3), f32_values(256, 4));
    let got = upload(&device, a.clone(), &[32, 256]).lt(&upload(&device, b.clone(), &[1, 256])).expect("lt");
    let want: Vec<bool> = (0..a.len()).map(|i| a[i] < b[i % 256]).collect();
    assert_eq!(got.download().expect("download").to_vec::<bool>().expect("bool"), want);
}

/// Rows and columns of 1, 2, 3 and 5 units (a unit is 4 f32): the period and the run wrap inside an invocation's
/// units at every phase, and the last invocation is partial — the kernel divides once per invocation and steps the
/// row position (column element) per unit.
#[test]
fn short_periods_and_runs_step_within_an_invocation() {
    let device = Device::new().expect("an adapter");
    for k in [4, 8, 12, 20] {
        for m in [3, 7, 33] {
            check_f32(&device, BinaryOp::Add, &[m, k], &[1, k], |x, y| x + y);
            check_f32(&device, BinaryOp::Sub, &[1, k], &[m, k], |x, y| x - y);
            check_f32(&device, BinaryOp::Mul, &[m, 1], &[m, k], |x, y| x * y);
            check_f32(&device, BinaryOp::Div, &[m, k], &[m, 1], |x, y| x / y);
        }
    }
    // Both operands broadcast: a row against a column.
    check_f32(&device, BinaryOp::Add, &[1, 12], &[9, 1], |x, y| x + y);
}
