//! The subgroup-interleaved leaves (`reduce_interleave.rs`): every op on every one-word dtype gives the host tree's
//! bits where a pass takes them (R a multiple of a subgroup's leaves, also with blocks wholly past R and with a
//! second interleaved pass), and the plan takes them exactly where it may.

use rand::{SeedableRng, rngs::StdRng};

use super::reduce_kernel::plan_pass;
use super::reduce_split::Geometry;
use super::reduce_tests::{OPS, V, random_bits, reference, run_on, same, to_array};
use super::reduce_wgsl::{ReduceOp, output_dtype};
use crate::{DType, Device};

fn contiguous(outer: usize, r: usize) -> Geometry {
    Geometry { offset: 0, outer, r, inner: 1, outer_stride: r as isize, r_stride: 1, inner_stride: 1 }
}

#[test]
fn the_plan_interleaves_only_whole_subgroup_blocks_along_r() {
    let plan = |g: &Geometry, lanes| plan_pass(ReduceOp::Sum, DType::F32, g, true, lanes, 8).interleave;
    // 8 lanes of 128-element leaves: R a multiple of 1024.
    assert!(plan(&contiguous(1, 1024), 8));
    assert!(plan(&contiguous(3, 3072), 8));
    assert!(plan(&contiguous(1, 64 << 20), 8));
    assert!(!plan(&contiguous(1, 1024 + 128), 8), "R not a multiple of a subgroup's leaves");
    assert!(!plan(&contiguous(1, 512), 8), "fewer leaves than lanes");
    assert!(!plan(&contiguous(1, 4096), 0), "no subgroups");
    // Not along R with 16-byte loads: an odd offset, or reducing a leading dim.
    assert!(!plan(&Geometry { offset: 1, ..contiguous(1, 4096) }, 8));
    let leading = Geometry { offset: 0, outer: 1, r: 4096, inner: 64, outer_stride: 0, r_stride: 64, inner_stride: 1 };
    assert!(!plan(&leading, 8));
    // 8-byte accumulators along R (i64 sums of i32) interleave too; 8-byte elements have no 16-byte word loads.
    assert!(plan_pass(ReduceOp::Sum, DType::I32, &contiguous(1, 4096), true, 8, 8).interleave);
    assert!(!plan_pass(ReduceOp::Sum, DType::I64, &contiguous(1, 4096), true, 8, 8).interleave);
}

#[test]
fn interleaved_leaves_give_the_host_tree_bits_for_every_op() {
    let dev = Device::new().expect("an adapter (install mesa-vulkan-drivers for lavapipe)");
    let mut rng = StdRng::seed_from_u64(31);
    // (rows, R) on lavapipe (8 lanes, 32 leaves of 128 per workgroup): one subgroup's block; three rows of three
    // blocks (a workgroup's last 5 blocks past R, masked whole); 5·2^20, whose second pass (160 partials) is not
    // interleaved; 2^25, whose second pass (1024 partials) is.
    let shapes: &[(usize, usize)] = &[(1, 1024), (3, 3072), (1, 5 << 20), (1, 1 << 25)];
    for d in [DType::F32, DType::I32, DType::U32] {
        for op in OPS {
            for &(rows, r) in shapes {
                // The two big shapes for one op each: they take the time.
                if r > 1 << 20 && !(op == ReduceOp::Sum || (op == ReduceOp::ArgMax && d == DType::F32)) {
                    continue;
                }
                let v = V::new(rows, r, 1, false, 0);
                let bits = random_bits(&mut rng, d, op, v.len(), true);
                let input = dev.upload(&to_array(d, &bits)).unwrap();
                let got = run_on(&dev, op, d, &input, v).unwrap_or_else(|e| panic!("{} {d} {v:?}: {e}", op.name()));
                let want = reference(op, d, &bits, v);
                assert!(same(output_dtype(op, d), &got, &want), "{} {d} {v:?}:\n{got:x?}\n{want:x?}", op.name());
            }
        }
    }
}
