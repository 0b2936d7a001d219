//! The subgroup-interleaved leaf of a reduction along R (CPU adapters with fixed-size subgroups): the `L` lanes of
//! a subgroup load their `L` consecutive leaves together, lane `k` taking 16-byte word `k`, `k + L`, `k + 2L`, …
//! of the block, and a butterfly of subgroup shuffles hands every lane its own leaf's pairwise sum.
//!
//! Why: a lavapipe load at per-lane addresses is a loop over the lanes; when each lane walks its own leaf (512
//! bytes apart) every iteration of that loop touches another cache line, while with the lanes on consecutive
//! 16-byte words one loop covers 128 contiguous bytes. Measured on lavapipe (16 M f32, read-only kernels of 32
//! vec4 per invocation): 5.9 ms interleaved, 6.8 ms blocked; `sum_all` of 64 M f32 went from 30.3 to 28.1 ms.
//!
//! The tree is unchanged, so are the bits: the block's 16-byte words `w = t·L + k` (register `t` of lane `k`)
//! are first summed within (elements 4w…4w+3, pairwise), then a butterfly step per lane bit `b` (lowest first)
//! combines the nodes of words that differ in bit `b` of `w` — the next level of the pairwise tree — and moves one
//! register bit into that lane bit: lane `lo` (bit `b` clear) keeps the left node of register pair `(r, r')`,
//! lane `hi` the right one, each sending the other the register it gives up. After `log2 L` steps lane `k` holds
//! `V/L` nodes (`V` words per lane) of its own leaf, in order, and finishes its pairwise tree in registers.

use super::reduce_tree::tree;

/// `fn shuffle_xor(a, m) -> Acc`, `subgroupShuffleXor` of an accumulator field by field, and `fn choose(c, a, b)`,
/// a if c else b (`arg`: the (value, index) struct of argmax/argmin, which `select` does not take).
pub(super) fn butterfly_fns(arg: bool) -> String {
    let (shuffle, choose) = if arg {
        (
            "Arg(subgroupShuffleXor(a.v, m), subgroupShuffleXor(a.i, m))",
            "if c {\n        return a;\n    }\n    return b;",
        )
    } else {
        ("subgroupShuffleXor(a, m)", "return select(b, a, c);")
    };
    format!(
        "fn shuffle_xor(a: Acc, m: u32) -> Acc {{\n    return {shuffle};\n}}\n\
         fn choose(c: bool, a: Acc, b: Acc) -> Acc {{\n    {choose}\n}}\n"
    )
}

/// `fn leaf(base, r0) -> Acc` for `lanes` lanes (a power of two) of `words` 16-byte words each (`words ≥ lanes`,
/// a power of two): the leaf of `4·words` elements starting at r0 (a multiple of the leaf; the subgroup's leaves
/// are consecutive and R is a multiple of `lanes` leaves). A subgroup whose block is past R reads the last block
/// inside and is masked whole.
pub(super) fn interleaved_leaf_fn(lanes: u32, words: u32) -> String {
    let leaf_len = 4 * words;
    let block = lanes * leaf_len;
    let mut code = format!(
        "    let lane = (r0 / {leaf_len}u) & {mask}u;\n    \
         let blk = min(r0 - lane * {leaf_len}u, p.r - {block}u);\n    \
         let at4 = (u32(base + i32(blk)) >> 2u) + lane;\n",
        mask = lanes - 1
    );
    for b in 0..lanes.trailing_zeros() {
        code += &format!("    let hi{b} = (lane & {}u) != 0u;\n", 1 << b);
    }
    let m0 = (words / lanes) as usize; // registers left per lane after the butterflies
    let mut step = 0;
    let root = build(0, words as usize, m0, lanes, &mut code, &mut step);
    let (rest, root) = tree(root, "g");
    code += &rest;
    format!("fn leaf(base: i32, r0: u32) -> Acc {{\n{code}    return pick(r0 < p.r, {root});\n}}\n")
}

/// Code for words `lo..lo + n` of each lane: their pairwise sums, with every butterfly step whose register pairs
/// lie in the range applied; returns the names of the `m0` registers left.
fn build(lo: usize, n: usize, m0: usize, lanes: u32, code: &mut String, step: &mut usize) -> Vec<String> {
    if n == m0 {
        return (lo..lo + n)
            .map(|t| {
                let (k, r) = (t, format!("blk + (lane + {t}u * {lanes}u) * 4u"));
                // Register t of lane k: word t·lanes + k of the block, elements 4·(t·lanes + k) + c.
                *code += &format!("    let v{k} = src[at4 + {}u];\n", t as u32 * lanes);
                let x: Vec<String> = (0..4).map(|c| format!("from_word(v{k}[{c}], {r} + {c}u)")).collect();
                *code +=
                    &format!("    let w{k} = combine(combine({}, {}), combine({}, {}));\n", x[0], x[1], x[2], x[3]);
                format!("w{k}")
            })
            .collect();
    }
    let a = build(lo, n / 2, m0, lanes, code, step);
    let b = build(lo + n / 2, n / 2, m0, lanes, code, step);
    // Lane bit `bit` is the next tree level: ranges of 2·m0 words are the first step (bit 0), and so on.
    let bit = (n / (2 * m0)).trailing_zeros();
    a.iter()
        .zip(&b)
        .map(|(l, r)| {
            let s = *step;
            *step += 1;
            *code += &format!(
                "    let x{s} = shuffle_xor(choose(hi{bit}, {l}, {r}), {m}u);\n    \
                 let b{s} = combine(choose(hi{bit}, x{s}, {l}), choose(hi{bit}, {r}, x{s}));\n",
                m = 1 << bit
            );
            format!("b{s}")
        })
        .collect()
}
