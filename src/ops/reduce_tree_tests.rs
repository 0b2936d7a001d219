//! The workgroup tree of a reduction pass for every number of leaves per workgroup (1 to 256), on the default
//! device (on a CPU adapter with subgroups: its first levels by subgroup shuffles), on the portable path (on a CPU
//! adapter: each leaf a partial of its own) and with every level in workgroup memory (the GPU path, forced): all
//! must give the host tree's bits, for one-word accumulators, 64-bit ones and the (value, index) pairs of argmax,
//! with vector and scalar leaves, masked per element (R not a multiple of the leaf) or per leaf (R a multiple of it).

use rand::{SeedableRng, rngs::StdRng};

use super::reduce_tests::{V, random_bits, reference, run_on, same, to_array};
use super::reduce_wgsl::{ReduceOp, output_dtype};
use crate::{DType, Device, DeviceOptions};

/// Reduces `rows` rows of `r` (times `inner`: reducing a leading dim) for each (op, dtype) on `dev` and compares
/// with the host tree.
fn check(dev: &Device, what: &str, cases: &[(ReduceOp, DType)], (rows, r, inner): (usize, usize, usize), seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    for &(op, d) in cases {
        // Aligned (16-byte loads for 4-byte elements), and one odd element of offset (scalar loads, the same tree).
        for pad in [0, 1] {
            let v = V::new(rows, r, inner, false, pad);
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
        // f32 with 16-byte loads: leaves of 16 sub-leaves of 16 (leaves·256 − 5 elements give `leaves` leaves; 8
        // sub-leaves on CPU adapters: leaves·128 − 5); with an odd offset the same R runs as scalar leaves of 16
        // (16·leaves of them, capped at 256).
        let rows = (512 / leaves).max(3);
        // R a multiple of the leaf (unmasked leaves), also with leaves wholly past R (¾ of the block).
        let word = [(ReduceOp::Sum, DType::F32), (ReduceOp::ArgMax, DType::F32), (ReduceOp::Max, DType::F32)];
        for r in [256 * leaves - 5, 128 * leaves - 5, 256 * leaves, 192 * leaves] {
            check(dev, what, &word, (rows, r, 1), k as u64);
        }
        // Scalar leaves of 16 with 64-bit accumulators and 16-bit elements: 16·leaves − 3 elements, and multiples.
        let scalar = [(ReduceOp::Sum, DType::I64), (ReduceOp::ArgMin, DType::F16), (ReduceOp::Sum, DType::BF16)];
        for r in [16 * leaves - 3, 16 * leaves, 12 * leaves] {
            check(dev, what, &scalar, (rows, r, 1), 100 + k as u64);
        }
    }
    // Leading dims with 16-byte loads across outputs: leaves in workgroup memory (8 outputs) or none (1024), R a
    // multiple of 16 or not.
    let word = [(ReduceOp::Sum, DType::F32), (ReduceOp::ArgMin, DType::F32)];
    for (r, inner) in [(64, 8), (57, 8), (256, 1024), (250, 1024)] {
        check(dev, what, &word, (1, r, inner), 200 + r as u64);
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
    // On a CPU adapter: each leaf a partial of its own (no barrier).
    every_leaf_count(&dev, "portable path");
}

#[test]
fn every_leaf_count_gives_the_host_tree_in_workgroup_memory() {
    // The tree GPUs run without subgroups: every level in workgroup memory, a barrier per level.
    let dev = Device::with_options(DeviceOptions { native_extensions: false, ..Default::default() }).unwrap();
    super::reduce_kernel::BARRIER_TREE.with(|c| c.set(true));
    every_leaf_count(&dev, "workgroup-memory tree");
    super::reduce_kernel::BARRIER_TREE.with(|c| c.set(false));
}
