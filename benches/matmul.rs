//! Matrix-product speed: `DeviceTensor::matmul` of square f32 matrices (256 … 2048) beside ndarray's host `dot`
//! (matrixmultiply) on the same machine in the same run, and the exact i32 product at 1024 in G ops/s.
//!
//! ```text
//! cargo bench --bench matmul            # 5 rounds
//! cargo bench --bench matmul -- 9       # rounds
//! ```
//! Each round runs every contender once, interleaved (the machine is shared and noisy); a contender's time is its
//! best round. Device times are `synchronize()` → matmul → `synchronize()` with the operands on the device and a
//! warm pooled output, so they are kernel time plus one submit and wait. The goal (issue 10) is ≥ 0.25× ndarray's
//! f32 GFLOPS at 1024.

use std::time::Instant;

use rand::{Rng, SeedableRng, rngs::StdRng};
use wgpu_tensor::{Array, Device};

/// One timed contender: its name, the work it does (flops or ops), its best time, and the run.
struct Entry {
    name: String,
    work: f64,
    best: f64,
    run: Box<dyn FnMut()>,
}

fn main() {
    let rounds: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(5);
    let device = Device::new().expect("an adapter");
    println!("adapter: {}", device.info());
    let mut rng = StdRng::seed_from_u64(10);
    let mut entries: Vec<Entry> = Vec::new();
    for n in [256usize, 512, 1024, 2048] {
        let a: Vec<f32> = (0..n * n).map(|_| rng.random_range(-1.0..1.0)).collect();
        let b: Vec<f32> = (0..n * n).map(|_| rng.random_range(-1.0..1.0)).collect();
        let ha = ndarray::Array2::from_shape_vec((n, n), a).unwrap();
        let hb = ndarray::Array2::from_shape_vec((n, n), b).unwrap();
        let ta = device.upload(&Array::try_from(&ha).unwrap()).unwrap();
        let tb = device.upload(&Array::try_from(&hb).unwrap()).unwrap();
        // A sanity check before timing: every element within the f32 accumulation bound of the host's.
        let got = ta.matmul(&tb).unwrap().download().unwrap().to_ndarray::<f32>().unwrap();
        let want = ha.dot(&hb);
        let bound = n as f32 * f32::EPSILON * 2.0 * n as f32;
        let worst = got.iter().zip(want.iter()).map(|(g, w)| (g - w).abs()).fold(0.0, f32::max);
        assert!(worst <= bound, "f32 matmul {n}: off by {worst} from ndarray (bound {bound})");
        let work = 2.0 * (n as f64).powi(3);
        let (ta2, tb2, ha2, hb2) = (ta.clone(), tb.clone(), ha.clone(), hb.clone());
        let d = device.clone();
        let run = Box::new(move || {
            let c = ta.matmul(&tb).unwrap();
            d.synchronize().unwrap();
            drop(c);
        });
        entries.push(Entry { name: format!("f32 {n} device"), work, best: f64::MAX, run });
        let run = Box::new(move || drop(std::hint::black_box(ha.dot(&hb))));
        entries.push(Entry { name: format!("f32 {n} ndarray"), work, best: f64::MAX, run });
        if n == 1024 {
            // x · Wᵀ, the layout of a linear layer: the transposed view read in place.
            let (ta, tb) = (ta2.clone(), tb2.clone().transpose(0, 1).unwrap());
            let d = device.clone();
            let run = Box::new(move || {
                let c = ta.matmul(&tb).unwrap();
                d.synchronize().unwrap();
                drop(c);
            });
            entries.push(Entry { name: format!("f32 {n} a·bᵀ device"), work, best: f64::MAX, run });
            let (ha, hbt) = (ha2.clone(), hb2.clone().reversed_axes());
            let run = Box::new(move || drop(std::hint::black_box(ha.dot(&hbt))));
            entries.push(Entry { name: format!("f32 {n} a·bᵀ ndarray"), work, best: f64::MAX, run });
        }
    }
    {
        let n = 1024;
        let a: Vec<i32> = (0..n * n).map(|_| rng.random()).collect();
        let b: Vec<i32> = (0..n * n).map(|_| rng.random()).collect();
        let ta = device.upload(&Array::from_vec(a, [n, n]).unwrap()).unwrap();
        let tb = device.upload(&Array::from_vec(b, [n, n]).unwrap()).unwrap();
        let d = device.clone();
        let run = Box::new(move || {
            let c = ta.matmul(&tb).unwrap();
            d.synchronize().unwrap();
            drop(c);
        });
        entries.push(Entry {
            name: format!("i32 {n} device (exact)"),
            work: 2.0 * (n as f64).powi(3),
            best: f64::MAX,
            run,
        });
    }

    for round in 0..=rounds {
        for e in &mut entries {
            let t = Instant::now();
            (e.run)();
            if round > 0 {
                e.best = e.best.min(t.elapsed().as_secs_f64());
            }
        }
    }

    println!("best of {rounds} interleaved rounds; G = 10^9 flops (f32) or ops (i32) per second");
    println!("{:<24} {:>10} {:>9} {:>9}", "contender", "ms", "G/s", "×ndarray");
    for pair in entries.chunks(2) {
        let host = pair.get(1).filter(|e| e.name.ends_with("ndarray"));
        for e in pair {
            let ratio = host.map_or(String::new(), |h| format!("{:.3}", h.best / e.best));
            println!("{:<24} {:>10.2} {:>9.2} {:>9}", e.name, e.best * 1e3, e.work / e.best / 1e9, ratio);
        }
    }
}
