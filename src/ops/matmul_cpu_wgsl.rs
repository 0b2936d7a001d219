//! Composition of the matrix-product kernels for CPU adapters (`shaders/matmul_direct.wgsl`,
//! `shaders/matmul_subgroup.wgsl`): their register blocks written out as straight-line code (arrays indexed in a loop
//! would live in memory on a CPU), for f32 (`elem` = "f32") or wrapping u32/i32 products ("u32").

use super::matmul_wgsl::{LoadMode, PARAMS};
use crate::kernels::compose;

const DIRECT_TEMPLATE: &str = include_str!("../../shaders/matmul_direct.wgsl");
const SUBGROUP_TEMPLATE: &str = include_str!("../../shaders/matmul_subgroup.wgsl");

/// Rows of C per invocation of the direct kernel.
const DIRECT_R: u32 = 16;
/// Columns of C per invocation of the direct kernel (a multiple of 4).
const DIRECT_C: u32 = 8;
/// Invocations per workgroup of the direct kernel along N and along M.
const DIRECT_WX: u32 = 8;
const DIRECT_WY: u32 = 4;
/// Rows of C per workgroup of the subgroup kernel (a multiple of every subgroup size it is used with: 4, 8, 16).
const SUBGROUP_R: u32 = 32;
/// Groups of 4 columns of C per lane of the subgroup kernel.
const SUBGROUP_C4: u32 = 2;
/// The subgroup sizes the subgroup kernel is composed for.
pub(crate) const SUBGROUP_SIZES: [u32; 3] = [4, 8, 16];

/// Rows × columns of C per workgroup of the direct kernel.
pub(crate) const DIRECT_TILE: (u32, u32) = (DIRECT_R * DIRECT_WY, DIRECT_C * DIRECT_WX);

/// Rows × columns of C per workgroup (one subgroup of `lanes`) of the subgroup kernel.
pub(crate) fn subgroup_tile(lanes: u32) -> (u32, u32) {
    (SUBGROUP_R, 4 * SUBGROUP_C4 * lanes)
}

/// The CPU-adapter kernel (`shaders/matmul_direct.wgsl`) with its block written out: `DIRECT_R` rows and
/// `DIRECT_C` columns per invocation.
pub(crate) fn direct_wgsl(elem: &str) -> String {
    let (rows, c4) = (DIRECT_R, DIRECT_C / 4);
    let (mut setup, mut body, mut store) = (String::new(), String::new(), String::new());
    for i in 0..rows {
        setup += &format!("    let a{i} = a_base + min(row + {i}u, last) * sm;\n");
    }
    for j in 0..c4 {
        setup += &format!("    let c{j} = b_base + min(t4 + {j}u, n4 - 1u);\n");
    }
    for i in 0..rows {
        for j in 0..c4 {
            setup += &format!("    var acc{i}_{j} = vec4<{elem}>();\n");
        }
    }
    for i in 0..rows {
        body += &format!("        let x{i} = bitcast<vec4<{elem}>>(a[a{i} + k]);\n");
    }
    for j in 0..c4 {
        for (q, s) in ["bk", "s1", "s2", "s3"].iter().enumerate() {
            body += &format!("        let y{q}_{j} = bitcast<vec4<{elem}>>(b[c{j} + {s}]);\n");
        }
    }
    for i in 0..rows {
        for j in 0..c4 {
            body += &format!(
                "        acc{i}_{j} += x{i}.x * y0_{j} + x{i}.y * y1_{j} + x{i}.z * y2_{j} + x{i}.w * y3_{j};\n"
            );
        }
    }
    for i in 0..rows {
        for j in 0..c4 {
            store += &format!(
                "    if row + {i}u < p.m && t4 + {j}u < n4 {{\n        c[out + {i}u * n4 + {j}u] = bitcast<vec4<u32>>(acc{i}_{j});\n    }}\n"
            );
        }
    }
    let geometry = [
        ("r", rows),
        ("c", DIRECT_C),
        ("wx", DIRECT_WX),
        ("wy", DIRECT_WY),
        ("bm", rows * DIRECT_WY),
        ("bn", DIRECT_C * DIRECT_WX),
    ]
    .map(|(k, v)| (k, v.to_string()));
    let mut parts: Vec<(&str, &str)> = geometry.iter().map(|(k, v)| (*k, v.as_str())).collect();
    parts.extend([("elem", elem), ("params", PARAMS), ("setup", &setup), ("body", &body), ("store", &store)]);
    compose(DIRECT_TEMPLATE, &parts)
}

/// The subgroup kernel (`shaders/matmul_subgroup.wgsl`) for subgroups of `lanes`, its block written out for the
/// operands' layouts: A [`LoadMode::VecCol`] (row-major) or [`LoadMode::VecRow`] (transposed), likewise B.
pub(crate) fn subgroup_wgsl(elem: &str, lanes: u32, a_mode: LoadMode, b_mode: LoadMode) -> String {
    let (rows, c4) = (SUBGROUP_R, SUBGROUP_C4);
    let aq = rows / lanes;
    let (mut setup, mut body, mut store) = (String::new(), String::new(), String::new());
    let vec = |src: &str| format!("bitcast<vec4<{elem}>>({src})");
    // A: each lane loads aq of the `rows` 16-byte pieces of this k step, the subgroup broadcasts them, and x{i}
    // holds row i's 4 values (k, k+1, k+2, k+3).
    if a_mode == LoadMode::VecRow {
        // Piece u = 4·(row group) + (k offset): rows 4g..4g+3 of A at one k.
        setup += "    let ask = u32(p.a_sk);\n    let ask4 = ask / 4u;\n    let groups_m = p.m / 4u - 1u;\n    var ka = 0u;\n";
        for q in 0..aq {
            let u = format!("(lane + {}u)", q * lanes);
            setup += &format!("    let a{q} = a_base + min(row / 4u + {u} / 4u, groups_m) + ({u} % 4u) * ask4;\n");
            body += &format!("        let l{q} = {};\n", vec(&format!("a[a{q} + ka]")));
        }
        for u in 0..rows {
            body += &format!("        let w{u} = subgroupBroadcast(l{}, {}u);\n", u / lanes, u % lanes);
        }
        for i in 0..rows {
            let g = 4 * (i / 4);
            let t = ["x", "y", "z", "w"][(i % 4) as usize];
            body += &format!(
                "        let x{i} = vec4<{elem}>(w{g}.{t}, w{}.{t}, w{}.{t}, w{}.{t});\n",
                g + 1,
                g + 2,
                g + 3
            );
        }
    } else {
        setup += "    let sm = u32(p.a_sm) / 4u;\n";
        for q in 0..aq {
            setup += &format!("    let a{q} = a_base + min(row + lane + {}u, last) * sm;\n", q * lanes);
            body += &format!("        let l{q} = {};\n", vec(&format!("a[a{q} + k]")));
        }
        for i in 0..rows {
            body += &format!("        let x{i} = subgroupBroadcast(l{}, {}u);\n", i / lanes, i % lanes);
        }
    }
    // B: y{q}_{j} holds row k+q of this lane's j-th group of 4 columns.
    if b_mode == LoadMode::VecRow {
        setup += "    let bsn = u32(p.b_sn) / 4u;\n";
        for j in 0..c4 {
            for t in 0..4 {
                setup +=
                    &format!("    let d{j}_{t} = b_base + min(4u * (t4 + {}u) + {t}u, p.n - 1u) * bsn;\n", j * lanes);
                body += &format!("        let z{j}_{t} = {};\n", vec(&format!("b[d{j}_{t} + k]")));
            }
            for (q, t) in ["x", "y", "z", "w"].iter().enumerate() {
                body +=
                    &format!("        let y{q}_{j} = vec4<{elem}>(z{j}_0.{t}, z{j}_1.{t}, z{j}_2.{t}, z{j}_3.{t});\n");
            }
        }
    } else {
        setup += "    let sk = u32(p.b_sk) / 4u;\n    var bk = 0u;\n";
        for j in 0..c4 {
            setup += &format!("    let c{j} = b_base + min(t4 + {}u, n4 - 1u);\n", j * lanes);
        }
        body += "        let s1 = bk + sk;\n        let s2 = s1 + sk;\n        let s3 = s2 + sk;\n";
        for j in 0..c4 {
            for (q, s) in ["bk", "s1", "s2", "s3"].iter().enumerate() {
                body += &format!("        let y{q}_{j} = {};\n", vec(&format!("b[c{j} + {s}]")));
            }
        }
    }
    for i in 0..rows {
        for j in 0..c4 {
            setup += &format!("    var acc{i}_{j} = vec4<{elem}>();\n");
            body += &format!(
                "        acc{i}_{j} += x{i}.x * y0_{j} + x{i}.y * y1_{j} + x{i}.z * y2_{j} + x{i}.w * y3_{j};\n"
            );
        }
    }
    if a_mode == LoadMode::VecRow {
        body += "        ka += ask;\n";
    }
    if b_mode != LoadMode::VecRow {
        body += "        bk = s3 + sk;\n";
    }
    for i in 0..rows {
        for j in 0..c4 {
            let col = j * lanes;
            store += &format!(
                "    if row + {i}u < p.m && t4 + {col}u < n4 {{\n        \
                 c[out + {i}u * n4 + {col}u] = bitcast<vec4<u32>>(acc{i}_{j});\n    }}\n"
            );
        }
    }
    let layout =
        |m: LoadMode, what: &str| format!("{what} {}", if m == LoadMode::VecRow { "transposed" } else { "row-major" });
    let layouts = format!("{}, {}", layout(a_mode, "A"), layout(b_mode, "B"));
    let numbers = [
        ("s", lanes),
        ("r", rows),
        ("bn", 4 * c4 * lanes),
        ("bn4", c4 * lanes),
        ("c4", c4),
        ("aq", aq),
        ("loads", 4 * c4 + aq),
        ("fmas", rows * c4 * 16),
    ]
    .map(|(k, v)| (k, v.to_string()));
    let mut parts: Vec<(&str, &str)> = numbers.iter().map(|(k, v)| (*k, v.as_str())).collect();
    parts.extend([("elem", elem), ("params", PARAMS), ("setup", &setup), ("body", &body), ("store", &store)]);
    parts.push(("layouts", &layouts));
    compose(SUBGROUP_TEMPLATE, &parts)
}
