//! The timing harness the benches share: contenders timed in interleaved rounds (the machine is shared and noisy),
//! each keeping its best wall-clock time and its best CPU time of the process's threads.

use std::time::Instant;

use wgpu_tensor::{Device, DeviceTensor};

/// One timed contender.
pub struct Entry {
    pub name: String,
    /// Best wall-clock seconds of a kept round.
    pub best: f64,
    /// Best CPU seconds of the process's threads over a kept round (see [`cpu_seconds`]).
    pub cpu: f64,
    pub run: Box<dyn FnMut()>,
}

impl Entry {
    /// A contender that has not run yet.
    pub fn new(name: impl Into<String>, run: Box<dyn FnMut()>) -> Entry {
        Entry { name: name.into(), best: f64::MAX, cpu: f64::MAX, run }
    }

    /// Runs once; `keep` records the times (false for a warm-up round).
    pub fn time(&mut self, keep: bool) {
        let (t, c) = (Instant::now(), cpu_seconds());
        (self.run)();
        if keep {
            self.best = self.best.min(t.elapsed().as_secs_f64());
            self.cpu = self.cpu.min(cpu_seconds() - c);
        }
    }
}

/// Times each of `entries` once (round 0 is a warm-up, not kept), starting at entry `round % len`: the order
/// rotates from round to round, so no contender always runs first after another case's (measured on lavapipe:
/// the first entry of a case ran up to ~7% slower than the same op run second).
pub fn time_round(entries: &mut [Entry], round: usize) {
    let n = entries.len();
    for k in 0..n {
        entries[(round + k) % n].time(round > 0);
    }
}

/// CPU time of this process's threads so far (lavapipe runs the kernels on its own threads here), from
/// `/proc/self/task/*/schedstat`: on a shared machine it measures the work a kernel costs, less disturbed than the
/// wall clock by other processes (0 where it cannot be read).
pub fn cpu_seconds() -> f64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else { return 0.0 };
    let ns: u64 = tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next().and_then(|v| v.parse::<u64>().ok()))
        .sum();
    ns as f64 * 1e-9
}

/// A contender that times `f` once: the op, then `synchronize` (the previous round's synchronize came before).
pub fn device_op(device: &Device, mut f: impl FnMut() -> DeviceTensor + 'static) -> Box<dyn FnMut()> {
    let device = device.clone();
    Box::new(move || {
        let out = f();
        device.synchronize().expect("synchronize");
        drop(out);
    })
}
