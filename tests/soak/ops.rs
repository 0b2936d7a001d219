//! The soak's operations: each builds random inputs, runs one public operation (or a short chain) and checks the
//! result bit for bit against a host computation (ndarray, the crate's exact host casts, Rust integer and IEEE
//! arithmetic). Panics with the operation's name and inputs on any mismatch or unexpected error.

use std::future::Future;
use std::pin::pin;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Waker};

use ndarray::{Array1, Array3, ArrayD, Axis, IxDyn, Slice, SliceInfoElem, s};
use wgpu_tensor::{Array, CastPolicy, DType, Device, DeviceTensor, Element, Error};

/// The kinds of operation a worker mixes.
pub const KINDS: usize = 12;
const NAMES: [&str; KINDS] = [
    "upload",
    "upload_async",
    "upload_ndarray",
    "cancelled futures",
    "cast",
    "cast_checked",
    "views+contiguous",
    "cat/stack/index_select",
    "add/mul/div/exp",
    "compare/where_cond",
    "zeros/full",
    "handoff (drop on another thread)",
];

/// Operations done, per kind.
#[derive(Default)]
pub struct Counts([AtomicU64; KINDS]);

impl Counts {
    fn add(&self, kind: usize) {
        self.0[kind].fetch_add(1, Ordering::Relaxed);
    }

    pub fn total(&self) -> u64 {
        self.0.iter().map(|c| c.load(Ordering::Relaxed)).sum()
    }

    pub fn all_ran(&self) -> bool {
        self.0.iter().all(|c| c.load(Ordering::Relaxed) > 0)
    }

    pub fn describe(&self) -> String {
        let parts: Vec<String> =
            NAMES.iter().zip(&self.0).map(|(n, c)| format!("{n} {}", c.load(Ordering::Relaxed))).collect();
        parts.join(", ")
    }
}

/// What the workers share: tensors handed from one thread to another (checked and dropped there), the counters,
/// and the exp reference.
pub struct Shared {
    handoff: Mutex<Vec<(DeviceTensor, Array)>>,
    pub counts: Counts,
    exp_input: Array,
    exp_expected: Array,
}

impl Shared {
    /// Computes the exp reference single-threaded (exp is ≤ 2 ULP, not correctly rounded: concurrent results
    /// must equal this one bit for bit, and it must be within 2 ULP of the host's f64 exp).
    pub fn new(device: &Device) -> Shared {
        let mut rng = Rng(0x5eed);
        let input: Vec<f32> = (0..4096).map(|_| (rng.next() % 17_500) as f32 / 100.0 - 87.0).collect();
        let exp_input = Array::from_vec(input.clone(), [4096]).unwrap();
        let exp_expected = device.upload(&exp_input).unwrap().exp().unwrap().download().unwrap();
        for (x, y) in input.iter().zip(exp_expected.to_vec::<f32>().unwrap()) {
            let host = (f64::from(*x)).exp() as f32;
            assert!(ulps(host, y) <= 2, "exp({x}) = {y}, host {host}");
        }
        Shared { handoff: Mutex::new(Vec::new()), counts: Counts::default(), exp_input, exp_expected }
    }

    fn push(&self, t: DeviceTensor, expected: Array) {
        let mut v = self.handoff.lock().unwrap_or_else(|p| p.into_inner());
        if v.len() < 64 {
            v.push((t, expected));
        }
    }

    fn is_empty(&self) -> bool {
        self.handoff.lock().unwrap_or_else(|p| p.into_inner()).is_empty()
    }

    fn pop(&self) -> Option<(DeviceTensor, Array)> {
        self.handoff.lock().unwrap_or_else(|p| p.into_inner()).pop()
    }

    /// Checks and drops every tensor still handed off.
    pub fn drain_and_check(&self) {
        let all = std::mem::take(&mut *self.handoff.lock().unwrap_or_else(|p| p.into_inner()));
        for (t, e) in all {
            check(&t, &e, "handoff (drained)");
        }
    }
}

fn ulps(a: f32, b: f32) -> u32 {
    let key = |x: f32| {
        let b = x.to_bits() as i32;
        if b < 0 { i32::MIN.wrapping_sub(b) } else { b }
    };
    key(a).abs_diff(key(b))
}

/// xorshift64*.
pub struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }

    fn dtype(&mut self) -> DType {
        DType::ALL[self.below(DType::ALL.len())]
    }

    /// 0 to 3 dims; mostly small, sometimes large enough for several staging chunks, sometimes empty.
    fn shape(&mut self) -> Vec<usize> {
        let ndim = self.below(4);
        let max = match self.below(10) {
            0 => 60_000usize,
            1 => 0,
            _ => 1500,
        };
        let mut dims = Vec::new();
        let mut left = max.max(1);
        for _ in 0..ndim {
            let d = if max == 0 && dims.is_empty() { 0 } else { 1 + self.below(left.min(64)) };
            left = (left / d.max(1)).max(1);
            dims.push(d);
        }
        if max > 1500 && ndim > 0 {
            dims[0] = 1 + self.below(max / dims[1..].iter().product::<usize>().max(1));
        }
        dims
    }

    /// Random bytes of `dtype` (any bit pattern, NaN payloads included; bools 0 or 1).
    fn array(&mut self, dtype: DType, shape: &[usize]) -> Array {
        let n: usize = shape.iter().product();
        let mut bytes = self.bytes(n * dtype.size_in_bytes());
        if dtype == DType::Bool {
            bytes.iter_mut().for_each(|b| *b &= 1);
        }
        Array::from_bytes(dtype, shape, &bytes).unwrap()
    }
}

/// Downloads `t` and compares dtype, shape and bytes with `expected`.
fn check(t: &DeviceTensor, expected: &Array, what: &str) {
    let back = t.download().unwrap_or_else(|e| panic!("{what}: download of {t:?}: {e}"));
    assert_eq!((back.dtype(), back.shape()), (expected.dtype(), expected.shape()), "{what}");
    if back.as_bytes() != expected.as_bytes() {
        let at = back.as_bytes().iter().zip(expected.as_bytes()).position(|(a, b)| a != b).unwrap_or(0);
        panic!("{what}: {} {:?} differs from the host result at byte {at}", expected.dtype(), expected.shape());
    }
}

fn host<T: Element>(nd: &ArrayD<T>) -> Array {
    Array::try_from(nd).unwrap()
}

/// Polls `fut` up to `n` times with a noop waker (stopping once it is ready), then drops it.
fn poll_n<F: Future>(fut: F, n: usize) {
    let mut fut = pin!(fut);
    for _ in 0..n {
        if fut.as_mut().poll(&mut Context::from_waker(Waker::noop())).is_ready() {
            return;
        }
    }
}

/// One worker thread's state.
pub struct Worker<'a> {
    device: &'a Device,
    rng: Rng,
    shared: &'a Shared,
    /// Steps taken, and where this worker starts its first turn through the kinds.
    steps: usize,
    first_kind: usize,
}

impl<'a> Worker<'a> {
    pub fn new(device: &'a Device, seed: u64, shared: &'a Shared) -> Worker<'a> {
        Worker { device, rng: Rng(seed | 1), shared, steps: 0, first_kind: (seed >> 32) as usize }
    }

    /// One operation, checked: every kind once in turn first, each worker starting at its own kind (so a short or
    /// slowed soak, where each thread only gets through its first few steps, still meets every kind), then random
    /// ones.
    pub fn step(&mut self) {
        let random = self.rng.below(KINDS);
        let kind = if self.steps < KINDS { (self.first_kind + self.steps) % KINDS } else { random };
        self.steps += 1;
        match kind {
            0 => self.upload(),
            1 => self.upload_async(),
            2 => self.upload_ndarray(),
            3 => self.cancelled(),
            4 => self.cast(),
            5 => self.cast_checked(),
            6 => self.views(),
            7 => self.join(),
            8 => self.arith(),
            9 => self.compare_where(),
            10 => self.zeros_full(),
            _ => {
                // Usually another thread's tensor; when none is waiting, hand one off first (it may come back).
                if self.shared.is_empty() {
                    // No random draw here: the replay must make the same draws as the timed phase.
                    let a = Array::from_vec(vec![1.5f32; 33], [33]).unwrap();
                    self.shared.push(self.device.upload(&a).unwrap(), a);
                }
                if let Some((t, e)) = self.shared.pop() {
                    check(&t, &e, "handoff");
                    drop(t);
                }
            }
        }
        self.shared.counts.add(kind);
    }

    fn upload(&mut self) {
        let (dtype, shape) = (self.rng.dtype(), self.rng.shape());
        let a = self.rng.array(dtype, &shape);
        let t = self.device.upload(&a).unwrap();
        if self.rng.below(2) == 0 {
            check(&t, &a, "upload");
        } else {
            let mut out = Array::zeros(dtype, &shape[..]).unwrap();
            t.download_into(&mut out).unwrap();
            assert!(out.as_bytes() == a.as_bytes(), "download_into {dtype} {shape:?}");
        }
        if self.rng.below(2) == 0 {
            self.shared.push(t.clone(), a);
        }
    }

    fn upload_async(&mut self) {
        let (dtype, shape) = (self.rng.dtype(), self.rng.shape());
        let a = self.rng.array(dtype, &shape);
        let t = pollster::block_on(self.device.upload_async(&a)).unwrap();
        let back = pollster::block_on(t.download_async()).unwrap();
        assert!(back.as_bytes() == a.as_bytes(), "upload_async/download_async {dtype} {shape:?}");
    }

    fn upload_ndarray(&mut self) {
        let (a, b, c) = (1 + self.rng.below(40), 1 + self.rng.below(40), 1 + self.rng.below(40));
        let mut seed = self.rng.next();
        let base = Array3::<u16>::from_shape_fn((a, b, c), |_| {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
            (seed >> 48) as u16
        });
        let view = base.slice(s![..;2, ..;-1, 1..]).permuted_axes([2, 0, 1]);
        let t = self.device.upload_ndarray(&view).unwrap();
        check(&t, &Array::try_from(&view).unwrap(), "upload_ndarray (strided)");
        let row = Array1::from_shape_fn(b, |i| f64::from_bits(seed ^ (i as u64).wrapping_mul(0x9e37_79b9)));
        let wide = row.broadcast((a, b)).unwrap();
        let t = self.device.upload_ndarray(&wide).unwrap();
        check(&t, &Array::try_from(&wide).unwrap(), "upload_ndarray (broadcast)");
    }

    /// Upload and download futures polled 0 to 3 times (with a noop waker) and dropped; then the tensor and the
    /// pool must be intact.
    fn cancelled(&mut self) {
        let n = 1 + self.rng.below(40_000);
        let a = self.rng.array(DType::U32, &[n]);
        let t = self.device.upload(&a).unwrap();
        poll_n(t.download_async(), self.rng.below(4));
        poll_n(self.device.upload_async(&a), self.rng.below(4));
        poll_n(t.narrow(0, 0, n / 2).unwrap().download_async(), self.rng.below(4));
        check(&t, &a, "download after cancelled futures");
        let u = self.device.upload(&a).unwrap();
        check(&u, &a, "upload after cancelled futures");
    }

    fn cast(&mut self) {
        let (from, to, shape) = (self.rng.dtype(), self.rng.dtype(), self.rng.shape());
        let a = self.rng.array(from, &shape);
        let policy = if self.rng.below(2) == 0 { CastPolicy::Wrap } else { CastPolicy::Saturate };
        let t = self.device.upload(&a).unwrap();
        let c = t.cast_with(to, policy).unwrap();
        check(&c, &a.cast_with(to, policy).unwrap(), &format!("cast {from} -> {to} ({policy:?})"));
        // Through a view: a reversed, stepped slice of a 1-d reshape.
        if !a.is_empty() {
            let flat = t.reshape([a.len()]).unwrap().slice(s![..;-2]).unwrap();
            let host_flat = Array::from_bytes(from, [a.len()], a.as_bytes()).unwrap();
            let expected = host_view_bytes(&host_flat, from, |i| a.len() - 1 - 2 * i, a.len().div_ceil(2));
            check(&flat.cast(to).unwrap(), &expected.cast(to).unwrap(), &format!("cast of a view {from} -> {to}"));
        }
    }

    fn cast_checked(&mut self) {
        let (from, to) = (self.rng.dtype(), self.rng.dtype());
        let n = self.rng.below(3000);
        let a = if self.rng.below(2) == 0 {
            self.rng.array(from, &[n])
        } else {
            // Small non-negative integers: often exact in every dtype.
            let small: Vec<u8> = (0..n).map(|_| (self.rng.next() % 100) as u8).collect();
            Array::from_vec(small, [n]).unwrap().cast(from).unwrap()
        };
        let lossy = a.count_lossy(to);
        let t = self.device.upload(&a).unwrap();
        match t.cast_checked(to) {
            Ok(c) => {
                assert_eq!(lossy, 0, "cast_checked {from} -> {to} succeeded, the host counts {lossy} lossy");
                check(&c, &a.cast(to).unwrap(), &format!("cast_checked {from} -> {to}"));
            }
            Err(Error::LossyCast { changed, total, .. }) => {
                assert_eq!((changed, total), (lossy, n as u64), "cast_checked {from} -> {to}");
            }
            Err(e) => panic!("cast_checked {from} -> {to}: {e}"),
        }
    }

    fn views(&mut self) {
        let dims: Vec<usize> = (0..3).map(|_| 1 + self.rng.below(6)).collect();
        let n: usize = dims.iter().product();
        let values: Vec<i32> = (0..n).map(|_| self.rng.next() as i32).collect();
        let mut nd = ArrayD::from_shape_vec(IxDyn(&dims), values).unwrap();
        let mut t = self.device.upload(&host(&nd)).unwrap();
        let mut chain = Vec::new();
        for _ in 0..1 + self.rng.below(4) {
            let ndim = nd.ndim();
            let d = self.rng.below(ndim);
            let len = nd.shape()[d];
            match self.rng.below(5) {
                0 => {
                    let mut axes: Vec<usize> = (0..ndim).collect();
                    for i in (1..ndim).rev() {
                        axes.swap(i, self.rng.below(i + 1));
                    }
                    t = t.permute(&axes).unwrap();
                    nd = nd.permuted_axes(IxDyn(&axes));
                    chain.push(format!("permute {axes:?}"));
                }
                1 => {
                    let start = self.rng.below(len + 1);
                    let l = self.rng.below(len - start + 1);
                    t = t.narrow(d, start, l).unwrap();
                    nd = nd.slice_axis(Axis(d), Slice::from(start..start + l)).to_owned();
                    chain.push(format!("narrow({d}, {start}, {l})"));
                }
                2 => {
                    let step = [-3isize, -2, -1, 2, 3][self.rng.below(5)];
                    let mut info = vec![SliceInfoElem::Slice { start: 0, end: None, step: 1 }; ndim];
                    info[d] = SliceInfoElem::Slice { start: 0, end: None, step };
                    t = t.slice(&info).unwrap();
                    nd = nd.slice_axis(Axis(d), Slice::new(0, None, step)).to_owned();
                    chain.push(format!("slice dim {d} step {step}"));
                }
                3 if ndim < 5 => {
                    let mut to = vec![2];
                    to.extend_from_slice(nd.shape());
                    t = t.unsqueeze(0).unwrap().broadcast_to(to.clone()).unwrap();
                    nd = nd.insert_axis(Axis(0)).broadcast(IxDyn(&to)).unwrap().to_owned();
                    chain.push(format!("broadcast_to {to:?}"));
                }
                _ => {
                    let e = self.rng.below(ndim);
                    t = t.transpose(d, e).unwrap();
                    nd.swap_axes(d, e);
                    chain.push(format!("transpose({d}, {e})"));
                }
            }
        }
        let expected = host(&nd);
        check(&t, &expected, &format!("strided download of {chain:?}"));
        let c = t.contiguous().unwrap();
        assert!(c.is_contiguous());
        check(&c, &expected, &format!("contiguous of {chain:?}"));
    }

    fn join(&mut self) {
        let (a, b, c) = (self.rng.below(5), 1 + self.rng.below(5), self.rng.below(5));
        let x: ArrayD<i64> = ArrayD::from_shape_fn(IxDyn(&[a, b]), |_| self.rng.next() as i64);
        let y: ArrayD<i64> = ArrayD::from_shape_fn(IxDyn(&[c, b]), |_| self.rng.next() as i64);
        let (tx, ty) = (self.device.upload(&host(&x)).unwrap(), self.device.upload(&host(&y)).unwrap());
        let cat = DeviceTensor::cat(&[&tx, &ty, &tx], 0).unwrap();
        let expected = ndarray::concatenate(Axis(0), &[x.view(), y.view(), x.view()]).unwrap();
        check(&cat, &host(&expected), "cat");
        let d = self.rng.below(3);
        let st = DeviceTensor::stack(&[&tx, &tx.neg().unwrap()], d).unwrap();
        let neg = x.mapv(i64::wrapping_neg);
        check(&st, &host(&ndarray::stack(Axis(d), &[x.view(), neg.view()]).unwrap()), "stack");
        let dim = self.rng.below(2);
        let len = x.shape()[dim];
        let mut ids: Vec<usize> = (0..self.rng.below(8)).map(|_| self.rng.below(len)).collect();
        if len == 0 {
            ids.clear();
        }
        let bad = if self.rng.below(4) == 0 { 1 + self.rng.below(3) } else { 0 };
        let mut all = ids.clone();
        all.extend((0..bad).map(|k| len + k));
        let id_dtype = [DType::U8, DType::I16, DType::U32, DType::I64][self.rng.below(4)];
        let id_host = Array::from_vec(all.iter().map(|&i| i as u8).collect::<Vec<u8>>(), [all.len()]).unwrap();
        let id_t = self.device.upload(&id_host.cast(id_dtype).unwrap()).unwrap();
        match tx.index_select(dim, &id_t) {
            Ok(r) => {
                assert_eq!(
                    bad,
                    0,
                    "index_select accepted {bad} bad indices: {all:?} ({id_dtype}) along dim {dim} of {:?}",
                    x.shape()
                );
                check(&r, &host(&x.select(Axis(dim), &ids)), &format!("index_select dim {dim} {ids:?}"));
            }
            Err(Error::IndexOutOfRange { count, .. }) => assert_eq!(count, bad as u64, "{all:?} of len {len}"),
            Err(e) => panic!("index_select {all:?} along a dim of {len}: {e}"),
        }
    }

    fn arith(&mut self) {
        let (m, n) = (1 + self.rng.below(50), 1 + self.rng.below(50));
        let a: Vec<i32> = (0..m * n).map(|_| self.rng.next() as i32).collect();
        let b: Vec<i32> = (0..n).map(|_| self.rng.next() as i32).collect();
        let ta = self.device.upload(&Array::from_vec(a.clone(), [m, n]).unwrap()).unwrap();
        let tb = self.device.upload(&Array::from_vec(b.clone(), [n]).unwrap()).unwrap();
        let sum: Vec<i32> = a.iter().enumerate().map(|(i, x)| x.wrapping_add(b[i % n])).collect();
        check(&ta.add(&tb).unwrap(), &Array::from_vec(sum, [m, n]).unwrap(), "add i32 (broadcast row)");
        let prod: Vec<i32> = a.iter().enumerate().map(|(i, x)| x.wrapping_mul(b[i % n])).collect();
        check(&ta.mul(&tb).unwrap(), &Array::from_vec(prod, [m, n]).unwrap(), "mul i32 (broadcast row)");
        // f32 division is correctly rounded: finite operands, non-zero divisors, bit-exact with the host.
        let fa: Vec<f32> = a.iter().map(|&x| (x >> 8) as f32 / 16.0).collect();
        let fb: Vec<f32> = a.iter().rev().map(|&x| ((x >> 8) | 1) as f32 / 4096.0).collect();
        let q: Vec<f32> = fa.iter().zip(&fb).map(|(x, y)| x / y).collect();
        let tq = self.device.upload(&Array::from_vec(fa, [m, n]).unwrap()).unwrap();
        let td = self.device.upload(&Array::from_vec(fb, [m, n]).unwrap()).unwrap();
        check(&tq.div(&td).unwrap(), &Array::from_vec(q, [m, n]).unwrap(), "div f32");
        let x = self.device.upload(&self.shared.exp_input).unwrap();
        check(&x.exp().unwrap(), &self.shared.exp_expected, "exp f32 (the single-threaded result)");
    }

    fn compare_where(&mut self) {
        let n = 1 + self.rng.below(3000);
        let a: Vec<i64> = (0..n).map(|_| (self.rng.next() % 4) as i64 - 2).collect();
        let b: Vec<i64> = (0..n).map(|_| (self.rng.next() % 4) as i64 - 2).collect();
        let (ta, tb) = (
            self.device.upload(&Array::from_vec(a.clone(), [n]).unwrap()).unwrap(),
            self.device.upload(&Array::from_vec(b.clone(), [n]).unwrap()).unwrap(),
        );
        let cmp = |f: fn(&i64, &i64) -> bool| Array::from_vec(a.iter().zip(&b).map(|(x, y)| f(x, y)).collect(), [n]);
        let lt = ta.lt(&tb).unwrap();
        check(&lt, &cmp(i64::lt).unwrap(), "lt i64");
        check(&ta.eq(&tb).unwrap(), &cmp(i64::eq).unwrap(), "eq i64");
        check(&ta.ge(&tb).unwrap(), &cmp(i64::ge).unwrap(), "ge i64");
        let yes = self.rng.array(DType::F16, &[n]);
        let no = self.rng.array(DType::F16, &[]);
        let (ty, tn) = (self.device.upload(&yes).unwrap(), self.device.upload(&no).unwrap());
        let picked: Vec<u8> = a
            .iter()
            .zip(&b)
            .enumerate()
            .flat_map(|(i, (x, y))| {
                if x < y {
                    [yes.as_bytes()[2 * i], yes.as_bytes()[2 * i + 1]]
                } else {
                    [no.as_bytes()[0], no.as_bytes()[1]]
                }
            })
            .collect();
        let expected = Array::from_bytes(DType::F16, [n], &picked).unwrap();
        check(&lt.where_cond(&ty, &tn).unwrap(), &expected, "where_cond f16 (broadcast scalar)");
    }

    fn zeros_full(&mut self) {
        let (dtype, shape) = (self.rng.dtype(), self.rng.shape());
        let z = self.device.zeros(dtype, &shape[..]).unwrap();
        check(&z, &Array::zeros(dtype, &shape[..]).unwrap(), "zeros");
        let v = self.rng.next() as i16;
        let n: usize = shape.iter().product();
        check(&self.device.full(&shape[..], v).unwrap(), &Array::from_vec(vec![v; n], &shape[..]).unwrap(), "full i16");
        let f = f64::from_bits(self.rng.next());
        let full = self.device.full(&shape[..], f).unwrap();
        let bits: Vec<u64> = vec![f.to_bits(); n];
        let expected = Array::from_bytes(DType::F64, &shape[..], bytemuck::cast_slice(&bits)).unwrap();
        check(&full, &expected, "full f64 (any bits, NaN payloads too)");
    }
}

/// The elements `index(0..len)` of a 1-d host array, as a new array.
fn host_view_bytes(a: &Array, dtype: DType, index: impl Fn(usize) -> usize, len: usize) -> Array {
    let size = dtype.size_in_bytes();
    let bytes: Vec<u8> = (0..len).flat_map(|i| a.as_bytes()[index(i) * size..(index(i) + 1) * size].to_vec()).collect();
    Array::from_bytes(dtype, [len], &bytes).unwrap()
}
