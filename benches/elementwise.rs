//! Elementwise (and cast) kernel time against the vectorised roof (`shaders/bench_roof.wgsl`): the best plain WGSL
//! kernel on the same adapter moving the same bytes per element — vec4 loads and stores, 1, 2 or 4 vec4 words per
//! invocation blocked or 4 interleaved across groups of 8 invocations, the fastest kept — with ndarray on the host
//! for the same work as context.
//!
//! ```text
//! cargo bench --bench elementwise            # 9 rounds
//! cargo bench --bench elementwise -- 15      # rounds
//! cargo bench --bench elementwise -- exp row  # only the cases whose name contains a filter word
//! ```
//! Filter words: `add` (every add case), `16M`, `row` (`[4096,4096]+[1,4096]`), `i64`, `exp`, `cast`.
//! Each round runs every contender once, interleaved (the machine is shared and noisy); a contender's time is its
//! best round. Device times are `synchronize()` → op → `synchronize()` with warm pooled outputs (the previous
//! round's output returned to the pool), so they are kernel time plus one submit and wait; the roof is one
//! dispatch submitted and waited for.

#[path = "common/contest.rs"]
mod contest;
#[path = "common/roof.rs"]
mod roof;

use contest::{Entry, device_op, time_round};
use rand::{Rng, SeedableRng, rngs::StdRng};
use roof::{Roof, RoofShape};
use wgpu_tensor::{Array, DType, Device, DeviceOptions};

const N: usize = 16 << 20;
const SIDE: usize = 4096;

/// (vec4 words per invocation, interleave) of the roof candidates: 1, 2 and 4 words blocked, 4 interleaved across
/// groups of 8 invocations (see [`RoofShape::interleave`]).
const ROOF_SHAPES: [(u32, u32); 4] = [(1, 1), (2, 1), (4, 1), (4, 8)];

/// The roofs of `inputs` → `out` bytes per element (and optional work), one per [`ROOF_SHAPES`] entry.
fn roofs(device: &Device, inputs: &[u32], out: u32, work: &'static str, n: usize) -> Vec<(String, Box<dyn FnMut()>)> {
    ROOF_SHAPES
        .into_iter()
        .map(|(vec4s, interleave)| {
            let shape = RoofShape { inputs: inputs.to_vec(), out, vec4s, work, interleave };
            let r = Roof::new(device.wgpu_device(), device.wgpu_queue(), shape, n as u64);
            let d = device.clone();
            let run: Box<dyn FnMut()> = Box::new(move || r.run(d.wgpu_device(), d.wgpu_queue()));
            let name = if interleave == 1 { format!("x{vec4s}") } else { format!("x{vec4s}/{interleave}") };
            (name, run)
        })
        .collect()
}

struct Case {
    name: &'static str,
    goal: f64,
    entries: Vec<Entry>,
    /// Index of the op, and the range of roof entries (the best of them is the roof).
    op: usize,
    roof: std::ops::Range<usize>,
}

fn random_f32(rng: &mut StdRng, n: usize, lo: f32, hi: f32) -> Vec<f32> {
    (0..n).map(|_| rng.random_range(lo..hi)).collect()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let rounds: usize = args.iter().find_map(|a| a.parse().ok()).unwrap_or(9);
    let filters: Vec<&String> = args.iter().filter(|a| a.parse::<usize>().is_err()).collect();
    let want = |name: &str| filters.is_empty() || filters.iter().any(|f| name.contains(f.as_str()));
    let device = Device::new().expect("an adapter");
    let portable =
        Device::with_options(DeviceOptions { native_extensions: false, ..Default::default() }).expect("an adapter");
    println!("adapter: {}", device.info());
    let mut rng = StdRng::seed_from_u64(8);
    let mut cases = Vec::new();

    // f32 add of two contiguous 16M tensors: 8 B in, 4 B out.
    if want("f32 add 16M") {
        let a = random_f32(&mut rng, N, -1e3, 1e3);
        let b = random_f32(&mut rng, N, -1e3, 1e3);
        let (ta, tb) =
            (device.upload(&Array::from(a.clone())).unwrap(), device.upload(&Array::from(b.clone())).unwrap());
        let got = ta.add(&tb).unwrap().download().unwrap();
        let want: Vec<f32> = a.iter().zip(&b).map(|(x, y)| x + y).collect();
        assert_eq!(got.as_bytes(), Array::from(want).as_bytes(), "f32 add differs from the host");
        let (pa, pb) =
            (portable.upload(&Array::from(a.clone())).unwrap(), portable.upload(&Array::from(b.clone())).unwrap());
        let mut entries = vec![Entry::new("device add", device_op(&device, move || ta.add(&tb).unwrap()))];
        let roof = entries.len()..entries.len() + ROOF_SHAPES.len();
        entries.extend(roofs(&device, &[4, 4], 4, "", N).into_iter().map(|(n, r)| Entry::new(format!("roof {n}"), r)));
        entries.push(Entry::new("portable add", device_op(&portable, move || pa.add(&pb).unwrap())));
        let (ha, hb) = (ndarray::Array1::from(a), ndarray::Array1::from(b));
        entries.push(Entry::new("host ndarray", Box::new(move || drop(std::hint::black_box(&ha + &hb)))));
        cases.push(Case { name: "f32 add 16M", goal: 0.8, entries, op: 0, roof });
    }
    // [4096, 4096] f32 + [1, 4096] row: the same roof.
    if want("f32 add [4096,4096]+[1,4096] row") {
        let a = random_f32(&mut rng, SIDE * SIDE, -1e3, 1e3);
        let row = random_f32(&mut rng, SIDE, -1e3, 1e3);
        let ta = device.upload(&Array::from_vec(a.clone(), [SIDE, SIDE]).unwrap()).unwrap();
        let tr = device.upload(&Array::from_vec(row.clone(), [1, SIDE]).unwrap()).unwrap();
        let got = ta.add(&tr).unwrap().download().unwrap();
        let want: Vec<f32> = a.iter().enumerate().map(|(i, x)| x + row[i % SIDE]).collect();
        assert_eq!(got.as_bytes(), Array::from(want).as_bytes(), "row-broadcast add differs from the host");
        let mut entries = vec![Entry::new("device add row", device_op(&device, move || ta.add(&tr).unwrap()))];
        let roof = entries.len()..entries.len() + ROOF_SHAPES.len();
        entries.extend(roofs(&device, &[4, 4], 4, "", N).into_iter().map(|(n, r)| Entry::new(format!("roof {n}"), r)));
        let ha = ndarray::Array2::from_shape_vec((SIDE, SIDE), a).unwrap();
        let hr = ndarray::Array2::from_shape_vec((1, SIDE), row).unwrap();
        entries.push(Entry::new("host ndarray", Box::new(move || drop(std::hint::black_box(&ha + &hr)))));
        cases.push(Case { name: "f32 add [4096,4096]+[1,4096]", goal: 0.7, entries, op: 0, roof });
    }
    // i64 add on the portable device: 16 B in, 8 B out.
    if want("i64 add 16M (portable)") {
        let a: Vec<i64> = (0..N).map(|_| rng.random()).collect();
        let b: Vec<i64> = (0..N).map(|_| rng.random()).collect();
        let ta = portable.upload(&Array::from(a.clone())).unwrap();
        let tb = portable.upload(&Array::from(b.clone())).unwrap();
        let got = ta.add(&tb).unwrap().download().unwrap();
        let want: Vec<i64> = a.iter().zip(&b).map(|(x, y)| x.wrapping_add(*y)).collect();
        assert_eq!(got.as_bytes(), Array::from(want).as_bytes(), "i64 add differs from the host");
        let mut entries = vec![Entry::new("portable add", device_op(&portable, move || ta.add(&tb).unwrap()))];
        let roof = entries.len()..entries.len() + ROOF_SHAPES.len();
        entries
            .extend(roofs(&portable, &[8, 8], 8, "", N).into_iter().map(|(n, r)| Entry::new(format!("roof {n}"), r)));
        let (ha, hb) = (ndarray::Array1::from(a), ndarray::Array1::from(b));
        entries.push(Entry::new("host ndarray", Box::new(move || drop(std::hint::black_box(&ha + &hb)))));
        cases.push(Case { name: "i64 add 16M (portable)", goal: 0.8, entries, op: 0, roof });
    }
    // f32 exp: 4 B in, 4 B out; WGSL's built-in exp in the best roof shape beside it.
    if want("f32 exp 16M") {
        let a = random_f32(&mut rng, N, -80.0, 80.0);
        let ta = device.upload(&Array::from(a.clone())).unwrap();
        let mut entries = vec![Entry::new("device exp", device_op(&device, move || ta.exp().unwrap()))];
        let roof = entries.len()..entries.len() + ROOF_SHAPES.len();
        entries.extend(roofs(&device, &[4], 4, "", N).into_iter().map(|(n, r)| Entry::new(format!("roof {n}"), r)));
        let builtin = "acc = bitcast<vec4<u32>>(exp(bitcast<vec4<f32>>(acc)));";
        entries.extend(
            roofs(&device, &[4], 4, builtin, N).into_iter().map(|(n, r)| Entry::new(format!("WGSL exp {n}"), r)),
        );
        let ha = ndarray::Array1::from(a);
        entries.push(Entry::new("host ndarray", Box::new(move || drop(std::hint::black_box(ha.mapv(f32::exp))))));
        cases.push(Case { name: "f32 exp 16M", goal: 0.5, entries, op: 0, roof });
    }
    // i64 -> f32 cast on the portable device: 8 B in, 4 B out.
    if want("cast i64->f32 16M (portable)") {
        let a: Vec<i64> = (0..N).map(|_| (rng.random::<u64>() >> rng.random_range(0..64)) as i64).collect();
        let ta = portable.upload(&Array::from(a.clone())).unwrap();
        let got = ta.cast(DType::F32).unwrap().download().unwrap();
        let want: Vec<f32> = a.iter().map(|&x| x as f32).collect();
        assert_eq!(got.as_bytes(), Array::from(want).as_bytes(), "i64 -> f32 differs from the host");
        let mut entries = vec![Entry::new("portable cast", device_op(&portable, move || ta.cast(DType::F32).unwrap()))];
        let roof = entries.len()..entries.len() + ROOF_SHAPES.len();
        entries.extend(roofs(&portable, &[8], 4, "", N).into_iter().map(|(n, r)| Entry::new(format!("roof {n}"), r)));
        let ha = ndarray::Array1::from(a);
        entries.push(Entry::new("host ndarray", Box::new(move || drop(std::hint::black_box(ha.mapv(|x| x as f32))))));
        cases.push(Case { name: "cast i64->f32 16M (portable)", goal: 0.8, entries, op: 0, roof });
    }

    // A warm-up round (pipelines compiled, pooled outputs allocated), then the timed rounds, interleaved.
    for round in 0..=rounds {
        for case in &mut cases {
            time_round(&mut case.entries, round);
        }
    }

    println!("best of {rounds} interleaved rounds; ratio = roof time / op time (higher is better, 1 = the roof)");
    println!("{:<30} {:<16} {:>9} {:>7} {:>9} {:>7}", "case", "contender", "ms", "ratio", "cpu ms", "ratio");
    let mut summary = Vec::new();
    for case in &cases {
        let roof = case.roof.clone().map(|k| case.entries[k].best).fold(f64::MAX, f64::min);
        let roof_cpu = case.roof.clone().map(|k| case.entries[k].cpu).fold(f64::MAX, f64::min);
        for e in &case.entries {
            println!(
                "{:<30} {:<16} {:>9.2} {:>7.2} {:>9.2} {:>7.2}",
                case.name,
                e.name,
                e.best * 1e3,
                roof / e.best,
                e.cpu * 1e3,
                roof_cpu / e.cpu
            );
        }
        let ratio = roof / case.entries[case.op].best;
        let met = if ratio >= case.goal { "met" } else { "NOT met" };
        summary.push(format!("{:<30} {ratio:>5.2}x of the roof (goal >= {}x): {met}", case.name, case.goal));
    }
    println!();
    for s in summary {
        println!("{s}");
    }
}
