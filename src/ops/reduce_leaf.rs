//! The leaves of a reduction pass (`{{fns}}` in `shaders/reduce.wgsl`): how an invocation loads its `16·sub`
//! consecutive r of one output (or of 4 outputs side by side) and reduces them pairwise in registers, for each load
//! mode. (The subgroup-interleaved leaf is in `reduce_interleave.rs`.)

use super::reduce_tree::tree_post_order;
use super::reduce_wgsl::LEAF;

/// How the invocations of a pass read their leaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum LeafMode {
    /// One unit per load; consecutive invocations take consecutive leaves of one output (`along_r`) or the same
    /// leaf of consecutive outputs.
    Scalar { along_r: bool },
    /// 16-byte loads of 4 consecutive r (unit r stride, one-word units, 4-aligned bases).
    VecR,
    /// 16-byte loads of 4 consecutive outputs (unit inner stride, inner a multiple of 4, 4-aligned bases): each
    /// invocation reduces 4 outputs.
    VecInner,
}

impl LeafMode {
    /// Outputs per invocation.
    pub(crate) fn width(self) -> u32 {
        if self == LeafMode::VecInner { 4 } else { 1 }
    }
}

/// `fn leaf(base, r0) -> Acc` (or `leaf4 -> array<Acc, 4>`): the pairwise reduction of r0..r0+16 at `base`, its
/// loads interleaved with the tree (post-order: few values live at once).
pub(super) fn leaf_fn(mode: LeafMode, full: bool) -> String {
    let n = LEAF as usize;
    // `full`: the caller passes leaves wholly inside R (and masks whole leaves past it), so the loads need no
    // clamp and their addresses are one per-lane start plus uniform steps. (On CPU adapters a load is a loop over
    // the lanes, and LLVM sinks the address arithmetic into it: every per-lane vector the address is made of is
    // spilled and reloaded per lane. The start-plus-step form measured ~10% faster on lavapipe.)
    let mask = |j: usize, x: String| if full { x } else { format!("pick(r0 + {j}u < p.r, {x})") };
    let clamp = |j: usize, last: &str| format!("min(r0 + {j}u, {last})");
    let (name, ty, head, width) = match (mode, full) {
        (LeafMode::Scalar { .. }, true) => ("leaf16", "Acc", "    let at = base + i32(r0) * p.sr;\n", 1),
        (LeafMode::Scalar { .. }, false) => ("leaf16", "Acc", "    let last = p.r - 1u;\n", 1),
        (LeafMode::VecR, true) => ("leaf16", "Acc", "    let at4 = u32(base + i32(r0)) >> 2u;\n", 1),
        (LeafMode::VecR, false) => ("leaf16", "Acc", "    let last4 = (p.r - 1u) & ~3u;\n", 1),
        (LeafMode::VecInner, true) => (
            "leaf16x4",
            "array<Acc, 4>",
            "    let at4 = u32(base + i32(r0) * p.sr) >> 2u;\n    let st4 = u32(p.sr >> 2u);\n",
            4,
        ),
        (LeafMode::VecInner, false) => ("leaf16x4", "array<Acc, 4>", "    let last = p.r - 1u;\n", 4),
    };
    let (code, roots) = tree_post_order(n, width, "y", &mut |j| match mode {
        LeafMode::Scalar { .. } => {
            let at = if full { format!("at + {j} * p.sr") } else { format!("base + i32({}) * p.sr", clamp(j, "last")) };
            let x = format!("load_at({at}, r0 + {j}u)");
            (format!("    let x{j} = {};\n", mask(j, x)), vec![format!("x{j}")])
        }
        LeafMode::VecR => {
            let (q, t) = (j / 4, j % 4);
            let mut c = String::new();
            if t == 0 {
                let at =
                    if full { format!("at4 + {q}u") } else { format!("u32(base + i32({})) >> 2u", clamp(j, "last4")) };
                c += &format!("    let v{q} = src[{at}];\n");
            }
            c += &format!("    let x{j} = {};\n", mask(j, format!("from_word(v{q}[{t}], r0 + {j}u)")));
            (c, vec![format!("x{j}")])
        }
        LeafMode::VecInner => {
            let at = if full {
                format!("at4 + {j}u * st4")
            } else {
                format!("u32(base + i32({}) * p.sr) >> 2u", clamp(j, "last"))
            };
            let mut c = format!("    let v{j} = src[{at}];\n");
            let names = (0..4)
                .map(|t| {
                    c += &format!("    let x{t}_{j} = {};\n", mask(j, format!("from_word(v{j}[{t}], r0 + {j}u)")));
                    format!("x{t}_{j}")
                })
                .collect();
            (c, names)
        }
    });
    let root = if width == 1 { roots[0].clone() } else { format!("{ty}({})", roots.join(", ")) };
    format!("fn {name}(base: i32, r0: u32) -> {ty} {{\n{head}{code}    return {root};\n}}\n")
}

/// `fn leaf(base, r0) -> Acc` (or `leaf4`): `sub` consecutive sub-leaves of 16, combined pairwise in post-order.
/// (An unmasked copy for leaves wholly inside R measured no faster on lavapipe and doubled compile times.)
pub(super) fn leaf_group_fn(mode: LeafMode, sub: u32, full: bool) -> String {
    let four = mode == LeafMode::VecInner;
    let (name, ty, call, width) =
        if four { ("leaf4", "array<Acc, 4>", "leaf16x4", 4) } else { ("leaf", "Acc", "leaf16", 1) };
    // `full`: a leaf past R reads the last one inside (R ≥ 16·sub) and is masked as a whole.
    let head = if full { format!("    let r1 = min(r0, p.r - {}u);\n", LEAF * sub) } else { String::new() };
    let start = if full { "r1" } else { "r0" };
    let root = |r: &String| if full { format!("pick(r0 < p.r, {r})") } else { r.clone() };
    let (code, roots) = tree_post_order(sub as usize, width, "g", &mut |j| {
        let c = format!("    let s{j} = {call}(base, {start} + {}u);\n", LEAF * j as u32);
        let names = if four { (0..4).map(|t| format!("s{j}[{t}]")).collect() } else { vec![format!("s{j}")] };
        (c, names)
    });
    let roots: Vec<String> = roots.iter().map(root).collect();
    let ret = if four { format!("{ty}({})", roots.join(", ")) } else { roots[0].clone() };
    format!("fn {name}(base: i32, r0: u32) -> {ty} {{\n{head}{code}    return {ret};\n}}\n")
}
