//! Composition of the workgroup tree of a reduction pass (`{{tree}}` in `shaders/reduce.wgsl`): the pairwise tree
//! over each slot's leaves, in workgroup memory with a barrier per level, or its first levels by subgroup shuffles
//! on CPU adapters, or nothing where a slot has one leaf. Every form combines the same pairs: the same bits.

use super::reduce_wgsl::WORKGROUP;

/// `fn shuffle_down(a, d) -> Acc`: `subgroupShuffleDown` of an accumulator, field by field (`arg`: the (value,
/// index) struct of argmax/argmin).
pub(super) fn shuffle_down_fn(arg: bool) -> String {
    let body =
        if arg { "Arg(subgroupShuffleDown(a.v, d), subgroupShuffleDown(a.i, d))" } else { "subgroupShuffleDown(a, d)" };
    format!("fn shuffle_down(a: Acc, d: u32) -> Acc {{\n    return {body};\n}}\n")
}

/// One leaf per slot, or each leaf a partial of its own (`split`, partial c·leaves + l): no tree in the workgroup.
const NO_TREE: &str = "finish_all(c * leaves + l, q, o, i, acc);";

/// The workgroup tree over the leaves of each slot (in `acc`, of width W), ending in `finish` (or `finish_all`) of
/// each slot's root.
///
/// Without `shared` (at most `lanes` leaves per slot, or one without subgroups) no workgroup memory and no barrier.
/// `lanes == 0`: every level in workgroup memory, a barrier per level. Otherwise (W = 1, invocation `li` holding
/// leaf `li % leaves` of slot `li / leaves`, and lane `li % lanes` of a subgroup of `lanes` consecutive
/// invocations): the first log2(lanes) levels by shuffles (after the level of distance d, lane k, a multiple of 2d,
/// holds the node over leaves k..k+2d); the lane-0 nodes (256/lanes of them) go to workgroup memory, and after one
/// barrier each invocation of the first subgroups combines up to 4 consecutive nodes of one slot pairwise and the
/// rest by shuffles. The same pairs are combined as in workgroup memory, so the bits are the same.
pub(super) fn tree_code(lanes: u32, shared: bool) -> String {
    if lanes == 0 && !shared {
        return NO_TREE.to_string();
    }
    if lanes == 0 {
        return "let at = (l * slots + s) * W;
    for (var t = 0u; t < W; t++) {
        sh[at + t] = acc[t];
    }
    for (var h = 1u; h < leaves; h *= 2u) {
        workgroupBarrier();
        if l % (2u * h) == 0u {
            let other = ((l + h) * slots + s) * W;
            for (var t = 0u; t < W; t++) {
                sh[at + t] = combine(sh[at + t], sh[other + t]);
            }
        }
    }
    if l == 0u {
        var root: array<Acc, W>;
        for (var t = 0u; t < W; t++) {
            root[t] = sh[at + t];
        }
        finish_all(c, q, o, i, root);
    }"
        .to_string();
    }
    let nodes = WORKGROUP / lanes;
    // Nodes per lane in the second stage: up to nodes / lanes (4 for lanes of 8).
    let per = (nodes / lanes).max(1);
    let levels = |v: &str, n: &str| {
        let mut code = String::new();
        let mut d = 1;
        while d < lanes {
            code += &format!(
                "        if {d}u < {n} {{\n            {v} = combine({v}, shuffle_down({v}, {d}u));\n        }}\n"
            );
            d *= 2;
        }
        code
    };
    let mut code = format!("var a = acc[0];\n    {{\n{}    }}\n", levels("a", "leaves"));
    if !shared {
        return code + "    if l == 0u {\n        finish(c, q, o, i, 0u, a);\n    }";
    }
    code += &format!(
        "    if leaves <= {lanes}u {{
        if l == 0u {{
            finish(c, q, o, i, 0u, a);
        }}
    }} else {{
        if li % {lanes}u == 0u {{
            sh[li / {lanes}u] = a;
        }}
        workgroupBarrier();
        // Nodes per slot, per lane (m), lanes per slot (n).
        let k = leaves / {lanes}u;
        let m = max(k / {lanes}u, 1u);
        let n = k / m;
        let j = min(li * m, {nodes}u - m);
        var b = sh[j];
"
    );
    let mut width = 1;
    while width < per {
        // b holds the node over `width` nodes from j; combine it with the next one of the same width.
        let mut other = String::new();
        let mut names = Vec::new();
        for t in width..2 * width {
            names.push(format!("sh[j + {t}u]"));
        }
        let (tree, root) = tree(names, &format!("z{width}_"));
        other += &tree.replace("    let", "            let");
        code += &format!("        if m > {width}u {{\n{other}            b = combine(b, {root});\n        }}\n");
        width *= 2;
    }
    code += &format!("        {{\n{}        }}\n", levels("b", "n").replace("        ", "            "));
    code += "        let sf = li >> countTrailingZeros(n);
        if (li & (n - 1u)) == 0u && sf < slots {
            let qf = col * slots + sf;
            let oif = split_q(qf);
            finish(c, qf, oif.x, oif.y, 0u, b);
        }
    }";
    code
}

/// The pairwise tree over `n` values (a power of two) of `width` components each, as code in post-order: value
/// `j`'s code (`load(j)`: its statements and the names of its components) comes just before the first combine
/// that needs it, so at most log2(n) + 1 values per component are live at once (measured on lavapipe against all
/// loads first, then the tree: the first-dim sum of [4096, 4096] f32 ~4% faster). Returns (code, the root's names).
pub(super) fn tree_post_order(
    n: usize,
    width: usize,
    prefix: &str,
    load: &mut dyn FnMut(usize) -> (String, Vec<String>),
) -> (String, Vec<String>) {
    fn walk(
        lo: usize,
        hi: usize,
        width: usize,
        prefix: &str,
        code: &mut String,
        load: &mut dyn FnMut(usize) -> (String, Vec<String>),
    ) -> Vec<String> {
        if hi - lo == 1 {
            let (c, names) = load(lo);
            *code += &c;
            return names;
        }
        let mid = (lo + hi) / 2;
        let a = walk(lo, mid, width, prefix, code, load);
        let b = walk(mid, hi, width, prefix, code, load);
        (0..width)
            .map(|t| {
                let name = format!("{prefix}{lo}_{hi}_{t}");
                *code += &format!("    let {name} = combine({}, {});\n", a[t], b[t]);
                name
            })
            .collect()
    }
    let mut code = String::new();
    let root = walk(0, n, width, prefix, &mut code, load);
    (code, root)
}

/// The pairwise tree over named values (a power-of-two count), as code; returns (code, name of the root).
pub(super) fn tree(names: Vec<String>, prefix: &str) -> (String, String) {
    let (code, mut root) = tree_post_order(names.len(), 1, prefix, &mut |j| (String::new(), vec![names[j].clone()]));
    (code, root.remove(0))
}
