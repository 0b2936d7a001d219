//! The workgroup tree of a reduction pass for every number of leaves per workgroup (1 to 256), on the default
//! device (on a CPU adapter with subgroups: its first levels by subgroup shuffles) and on the portable path (all
//! levels in workgroup memory): both must give the host tree's bits, for one-word accumulators, 64-bit ones and the
//! (value, index) pairs of argmax, with vector and scalar leaves.

use rand::{SeedableRng, rngs::StdRng};

use super::reduce_tests::{V, random_bits, reference, run_on, same, to_array};
use super::reduce_wgsl::{ReduceOp, output_dtype};
use crate::{DType, Device, DeviceOptions};

/// Reduces `rows` rows of `r` for each (op, dtype) on `dev` and compares with the host tree.
fn check(dev: &Device, what: &str, cases: &[(ReduceOp, DType)], rows: usize, r: usize, seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    for &(op, d) in cases {
        // Rows of the last dim, and one odd element of offset (scalar loads of the same tree).
        for pad in [0, 1] {
            let v = V::new(rows, r, 1, false, pad);
            let bits = random_bits(&mut rng, d, op, v.len(), true);
            let input = dev.upload(&to_array(d, &bits)).unwrap();
            let got = run_on(dev, op, d, &input, v).unwrap_or_else(|e| panic!("{what} {} {d} {v:?}: {e}", op.name()));
            let want = reference(op, d, &bits, v);
            assert!(same(output_dtype(op, d), &got, &want), "{what} {} {d} {v:?}:\n{got:x?}\n{want:x?}", op.name());
        }
    }
}

fn every_leaf_count(dev: &Device, what: &str) {
    for k in 0..=8 {
        let leaves = 1usize << k;
        // f32 with 16-byte loads: leaves of 16 sub-leaves of 16 (leaves·256 − 5 elements give `leaves` leaves);
        // with an odd offset the same R runs as scalar leaves of 16 (16·leaves of them, capped at 256).
        let rows = (512 / leaves).max(3);
        let word = [(ReduceOp::Sum, DType::F32), (ReduceOp::ArgMax, DType::F32), (ReduceOp::Max, DType::F32)];
        check(dev, what, &word, rows, 256 * leaves - 5, k as u64);
        // Scalar leaves of 16 with 64-bit accumulators and 16-bit elements: 16·leaves − 3 elements.
        let scalar = [(ReduceOp::Sum, DType::I64), (ReduceOp::ArgMin, DType::F16), (ReduceOp::Sum, DType::BF16)];
        check(dev, what, &scalar, rows, 16 * leaves - 3, 100 + k as u64);
    }
}

#[test]
fn every_leaf_count_gives_the_host_tree_on_the_default_device() {
    let dev = Device::new().expect("an adapter");
    let lanes = dev.native().subgroup_size.filter(|_| dev.info().is_software());
    println!("subgroup lanes used by the tree: {lanes:?}");
    every_leaf_count(&dev, "default device");
}

#[test]
fn every_leaf_count_gives_the_host_tree_on_the_portable_path() {
    let dev = Device::with_options(DeviceOptions { native_extensions: false, ..Default::default() }).unwrap();
    assert_eq!(dev.native().subgroup_size, None, "the portable path has no subgroups");
    every_leaf_count(&dev, "portable path");
}
