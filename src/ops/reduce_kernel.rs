//! The reduction launcher: reduces a strided view arranged as `[outer, R, inner]` over R into a contiguous
//! `[outer, inner]` output, recording its passes into the caller's encoder (the caller submits).
//!
//! Determinism: the result is the pairwise tree over R in natural order, padded with the op's identity to a power
//! of two (see `shaders/reduce.wgsl`), whatever the adapter's speed, the split into dispatches, or the other dims:
//! the same input gives the same bits on every run, and a row reduced alone gives the same bits as inside a batch.
//! f32 sums therefore satisfy |error| ≤ ⌈log₂ R⌉ · 2⁻²⁴ · Σ|xᵢ|. Integer and bool sums/products are exact in 64
//! bits with wrapping; f16/bf16 accumulate in f32 and round once. f64 accumulates in f64 on every adapter, emulated
//! on u32 pairs by the soft-float library (`shaders/lib/f64_arith.wgsl`: each addition and product correctly
//! rounded), along the same tree: |error| ≤ ⌈log₂ R⌉ · 2⁻⁵³ · Σ|xᵢ|, the same bits everywhere.
//!
//! Passes: each pass turns R into ⌈R / (16·L)⌉ partials (L leaves of 16 per workgroup) until one is left, then a
//! finishing pass converts the accumulators into output elements. A source larger than one storage binding is
//! split into dispatches along outer rows and along aligned blocks of R.
//!
//! CPU adapters (lavapipe runs a workgroup as batches of 8 lanes; a barrier switches between the batches, a load
//! at per-lane addresses is a loop over the lanes, integer division too, and both sides of every branch run): the
//! first levels of the workgroup tree run as subgroup shuffles where subgroups are consecutive invocations (one
//! barrier in all), and without such subgroups (GL, the portable path) each leaf is a partial of its own for the
//! next pass (no barrier at all); a pass whose tree needs no workgroup memory has no barrier; where R is a multiple
//! of the leaf the leaves are masked whole, not per element, and their loads are one per-lane start plus uniform
//! steps; where R is a multiple of a subgroup's leaves the subgroup loads them interleaved across its lanes and a
//! butterfly of shuffles hands each lane its own (`reduce_interleave.rs`); the grid is (column group, chunk) and
//! pair indices split without a division wherever they can be. Every variant combines the same pairs: the same
//! bits.

use super::reduce_split::{Geometry, check, split};
use super::reduce_wgsl::{
    Grid, LEAF, LeafMode, Pairs, PassVariant, ReduceOp, WORKGROUP, acc_words, finish_kernel, finish_per_word,
    output_dtype, unit_is_word,
};
use super::view::Window;
use crate::device::Recorder;
use crate::kernels::{KernelKey, grid_2d};
use crate::{DType, Error, Result};

/// The view to reduce: element `(o, r, i)` lives at `offset + o·outer_stride + r·r_stride + i·inner_stride`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ReduceView<'a> {
    pub buffer: &'a wgpu::Buffer,
    pub offset: usize,
    pub outer: usize,
    pub r: usize,
    pub inner: usize,
    pub outer_stride: isize,
    pub r_stride: isize,
    pub inner_stride: isize,
}

/// Records the reduction `op` of `view` (elements of `dtype`) on the stream; `out` receives `outer·inner`
/// elements of [`output_dtype`] from byte 0, packed as the storage convention says.
///
/// # Errors
/// [`Error::InvalidArgument`] naming the op for: an empty reduced dim for max/min/argmax/argmin, a view outside its
/// buffer, an output buffer too small, an output or partials buffer past one storage binding, or one outer row's
/// block of R past one binding; [`Error::Gpu`] when a pipeline fails to build; allocation errors for the partials.
pub(crate) fn encode_reduce(
    rec: &mut Recorder<'_>,
    op: ReduceOp,
    dtype: DType,
    view: &ReduceView<'_>,
    out: &wgpu::Buffer,
) -> Result<()> {
    let device = rec.device().clone();
    let device = &device;
    let name = op.name();
    let invalid = |reason: String| Error::InvalidArgument { op: name, reason };
    let out_dtype = output_dtype(op, dtype);
    if view.r == 0 && !op.has_identity() {
        return Err(invalid("the reduced dim is empty: there is no maximum or minimum of nothing".into()));
    }
    let Some(n_out) = check(name, view, dtype, out, out_dtype, device.limits())? else {
        return Ok(());
    };
    let limits = device.limits();
    let max_binding = limits.max_storage_buffer_binding_size;
    let accw = u64::from(acc_words(op, dtype));
    if n_out * accw * 4 > max_binding {
        return Err(invalid(format!(
            "the accumulators of {n_out} outputs pass one storage binding ({max_binding} bytes); reduce in smaller \
             pieces"
        )));
    }
    let esize = dtype.size_in_bytes() as u64;
    // Subgroups for the first tree levels: on CPU adapters, whose subgroups are consecutive invocations in order.
    let lanes = device.native().subgroup_size.filter(|n| device.info().is_software() && [8, 16, 32].contains(n));
    // Sub-leaves per invocation with 16-byte loads along R: 8 on CPU adapters (with the cheaper tree, `sum_all`
    // measured ~5-10% faster on lavapipe than with 16, and half the code), 16 elsewhere.
    let max_sub = if device.info().is_software() { 8 } else { 16 };
    let mut src = Source { buffer: view.buffer.clone(), view: Geometry::of(view), elem_bytes: esize, first: true };
    loop {
        let mut pass = plan_pass(op, dtype, &src.view, src.first, lanes.unwrap_or(0), max_sub);
        // Leaves as partials of their own on CPU adapters where the tree would need barriers, if they fit a binding.
        let split_bytes = n_out * pass.chunks * u64::from(pass.leaves) * accw * 4;
        pass.split &= device.info().is_software() && !barrier_tree_forced() && split_bytes <= max_binding;
        let bytes = n_out * pass.out_chunks() * accw * 4;
        if bytes > max_binding {
            return Err(invalid(format!("the partials ({bytes} bytes) pass one storage binding; reduce in pieces")));
        }
        let usage = wgpu::BufferUsages::STORAGE;
        let partials = device.pooled_buffer(&format!("{name} partials"), bytes.max(16), usage, false)?.buffer;
        let partials = Partials { buffer: partials, bytes: bytes.max(16) };
        encode_pass(rec, op, dtype, &src, &pass, &partials)?;
        // Later work on a recycled buffer is recorded after the pass that reads it, so it stays ordered after it.
        if !src.first {
            device.recycle(src.buffer.clone());
        }
        if pass.out_chunks() == 1 {
            let finished = encode_finish(rec, op, dtype, &partials, out, n_out);
            device.recycle(partials.buffer);
            return finished;
        }
        let (outer, chunks, inner) = (view.outer, pass.out_chunks() as usize, view.inner);
        let view = Geometry {
            offset: 0,
            outer,
            r: chunks,
            inner,
            outer_stride: (chunks * inner) as isize,
            r_stride: inner as isize,
            inner_stride: 1,
        };
        src = Source { buffer: partials.buffer, view, elem_bytes: accw * 4, first: false };
    }
}

#[cfg(test)]
thread_local! {
    /// Tests: keep the workgroup tree in workgroup memory (what GPUs run) on a CPU adapter too, so that lavapipe
    /// tests it.
    pub(super) static BARRIER_TREE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether a test asked for the workgroup-memory tree ([`BARRIER_TREE`]); never outside tests.
fn barrier_tree_forced() -> bool {
    #[cfg(test)]
    return BARRIER_TREE.with(std::cell::Cell::get);
    #[cfg(not(test))]
    false
}

/// A pooled buffer of accumulators and the bytes of it in use (a pooled buffer may be larger).
struct Partials {
    buffer: wgpu::Buffer,
    bytes: u64,
}

impl Partials {
    fn binding(&self) -> wgpu::BindingResource<'_> {
        wgpu::BindingResource::Buffer(wgpu::BufferBinding {
            buffer: &self.buffer,
            offset: 0,
            size: wgpu::BufferSize::new(self.bytes),
        })
    }
}

/// The source of one pass: the input elements, or the previous pass's accumulators.
struct Source {
    buffer: wgpu::Buffer,
    view: Geometry,
    /// Bytes of one unit (an element, or an accumulator).
    elem_bytes: u64,
    first: bool,
}

/// The shape of one pass.
#[derive(Clone, Copy, Debug)]
pub(super) struct Pass {
    mode: LeafMode,
    /// Leaves per workgroup (a power of two ≤ 256); 256 / leaves slots of outputs.
    leaves: u32,
    /// Sub-leaves of 16 per invocation.
    sub: u32,
    /// Partials per output after this pass.
    chunks: u64,
    /// Subgroup lanes for the first tree levels (0: none).
    lanes: u32,
    /// R is a multiple of the leaf: no per-element masks.
    full: bool,
    /// A subgroup's leaves loaded interleaved across its lanes.
    pub(super) interleave: bool,
    /// Each leaf stored as a partial of its own (leaf l of workgroup chunk c is partial c·leaves + l) instead of a
    /// workgroup tree that needs barriers: for CPU adapters without a subgroup tree, where a barrier switches between
    /// the workgroup's SIMD batches (through GL on llvmpipe: `sum_all` of 64 M f32 113 → 34 ms, 0.21× → 0.83× of
    /// the roof; the last-dim sum of [4096, 4096] 0.25× → 0.68×). The next pass combines the same pairs.
    pub(super) split: bool,
}

impl Pass {
    /// Partials per output after this pass.
    fn out_chunks(&self) -> u64 {
        if self.split { self.chunks * u64::from(self.leaves) } else { self.chunks }
    }
}

/// The load mode and workgroup shape of a pass over `v`; `lanes`: the subgroup size usable for the tree (or 0);
/// `max_sub`: the most sub-leaves per invocation with 16-byte loads along R.
pub(super) fn plan_pass(op: ReduceOp, dtype: DType, v: &Geometry, first: bool, lanes: u32, max_sub: u64) -> Pass {
    let word = unit_is_word(op, dtype, first);
    let m4 = |s: isize, extent: usize| extent <= 1 || s % 4 == 0;
    let aligned = v.offset.is_multiple_of(4) && m4(v.outer_stride, v.outer);
    let mode = if word && aligned && v.r_stride == 1 && m4(v.inner_stride, v.inner) {
        LeafMode::VecR
    } else if word && aligned && v.inner_stride == 1 && v.inner.is_multiple_of(4) && m4(v.r_stride, v.r) {
        LeafMode::VecInner
    } else {
        LeafMode::Scalar { along_r: v.inner == 1 || v.r_stride.unsigned_abs() <= v.inner_stride.unsigned_abs() }
    };
    let along_r = matches!(mode, LeafMode::VecR | LeafMode::Scalar { along_r: true });
    // Shuffles need consecutive invocations on consecutive leaves of one slot: the along-R mapping.
    let lanes = if along_r { lanes } else { 0 };
    // (Along R, capping the leaves at the subgroup size where there are enough outputs to fill the slots, so that
    // the tree needs no barrier, measured slower on lavapipe for the last dim of [4096, 4096]: the second pass it
    // adds costs more than the one barrier saves.)
    let max_leaves = if along_r {
        u64::from(WORKGROUP)
    } else {
        // As many slots of consecutive outputs as there are (coalesced loads, fewer tree levels), the rest of the
        // workgroup along R.
        let cols = ((v.outer * v.inner) as u64).div_ceil(u64::from(mode.width())).next_power_of_two().min(256);
        u64::from(WORKGROUP) / cols
    };
    // Leaves of 16 needed. With 16-byte loads along R each invocation takes up to `max_sub` of them (fewer tree
    // levels per element: measured 2-3x faster on lavapipe); otherwise one (strided walks of longer leaves measured
    // slower, and unrolled scalar leaves of 256 compile slowly).
    let needed = (v.r as u64).div_ceil(u64::from(LEAF)).max(1).next_power_of_two();
    let sub = if mode == LeafMode::VecR { needed.min(max_sub) } else { 1 };
    let leaves = (needed / sub).min(max_leaves) as u32;
    let chunks = (v.r as u64).div_ceil(u64::from(LEAF * sub as u32 * leaves)).max(1);
    let full = v.r > 0 && (v.r as u64).is_multiple_of(u64::from(LEAF) * sub);
    // Interleaved leaves: a subgroup's leaves in one slot and R a multiple of them (so a subgroup's block lies wholly
    // inside R or wholly past it), at least as many 16-byte words per lane as lanes.
    let interleave = mode == LeafMode::VecR
        && lanes > 0
        && leaves >= lanes
        && 4 * sub >= u64::from(lanes)
        && (v.r as u64).is_multiple_of(u64::from(LEAF) * sub * u64::from(lanes));
    // Without a subgroup tree, more than one leaf per slot would need workgroup memory and barriers (the caller
    // keeps this only on CPU adapters, and where the partials fit a binding).
    let split = lanes == 0 && leaves > 1;
    Pass { mode, leaves, sub: sub as u32, chunks, lanes, full, interleave, split }
}

fn encode_pass(
    rec: &mut Recorder<'_>,
    op: ReduceOp,
    dtype: DType,
    src: &Source,
    pass: &Pass,
    partials: &Partials,
) -> Result<()> {
    let device = rec.device().clone();
    let name = op.name();
    let limits = device.limits().clone();
    let v = &src.view;
    let mut dispatches = Vec::new();
    let block = u64::from(LEAF * pass.sub * pass.leaves);
    let whole = (0, v.outer as u64, 0, pass.chunks);
    split(name, &src.buffer, src.elem_bytes, v, block, &limits, whole, &mut dispatches)?;
    let slots = u64::from(WORKGROUP / pass.leaves);
    let per_group = slots * u64::from(pass.mode.width());
    let max_dim = limits.max_compute_workgroups_per_dimension.max(1);
    for x in dispatches {
        let n_p = (x.o1 - x.o0) * v.inner as u64;
        let col_groups = n_p.div_ceil(per_group);
        let total = col_groups * (x.c1 - x.c0);
        if total > u64::from(max_dim) * u64::from(max_dim) || n_p > u64::from(u32::MAX) {
            return Err(Error::InvalidArgument {
                op: name,
                reason: format!("{total} workgroups pass the adapter's grid"),
            });
        }
        let n_chunks = x.c1 - x.c0;
        // The direct grid where it fits and pair indices split by their form, so that no invocation divides; only
        // for one-word accumulators (the memory-bound kernels): 64-bit and f64 ones do far more work per invocation
        // than a division, and each form is another pipeline to compile (seconds for the soft-float kernels).
        let light = acc_words(op, dtype) == 1;
        let (grid, groups) = if light && col_groups <= u64::from(max_dim) && n_chunks <= u64::from(max_dim) {
            (Grid::Direct, (col_groups as u32, n_chunks as u32))
        } else {
            (Grid::Folded, grid_2d(total as u32, max_dim))
        };
        let pairs = if !light {
            Pairs::General
        } else if v.inner == 1 {
            Pairs::Rows
        } else if x.o1 - x.o0 == 1 {
            Pairs::OneRow
        } else {
            Pairs::General
        };
        let variant = PassVariant {
            op,
            dtype,
            first: src.first,
            mode: pass.mode,
            sub: pass.sub,
            lanes: pass.lanes,
            full: pass.full,
            shared: pass.leaves > pass.lanes.max(1) && !pass.split,
            interleave: pass.interleave,
            pairs,
            grid,
        };
        let pipeline = device.pipeline(KernelKey::Reduce(variant), || variant.wgsl())?;
        let first_elem = x.window.map_or(0, |w| w.first_elem) as i64;
        let params: [u32; 16] = [
            v.r as u32,
            v.inner as u32,
            pass.out_chunks() as u32,
            pass.leaves,
            (v.offset as i64 - first_elem) as i32 as u32,
            v.outer_stride as i32 as u32,
            v.r_stride as i32 as u32,
            v.inner_stride as i32 as u32,
            x.o0 as u32,
            x.c0 as u32,
            n_p as u32,
            col_groups as u32,
            groups.0,
            total as u32,
            0,
            0,
        ];
        let params = rec.params(&params)?;
        let w = x.window.unwrap_or(Window { offset: 0, size: src.buffer.size().min(16), first_elem: 0 });
        let source = wgpu::BindingResource::Buffer(wgpu::BufferBinding {
            buffer: &src.buffer,
            offset: w.offset,
            size: wgpu::BufferSize::new(w.size.next_multiple_of(16).min(src.buffer.size() - w.offset)),
        });
        rec.dispatch(&pipeline, &[source, partials.binding(), params.binding()], groups);
    }
    Ok(())
}

/// The finishing pass: accumulators → `n` output elements in `out`.
fn encode_finish(
    rec: &mut Recorder<'_>,
    op: ReduceOp,
    dtype: DType,
    accs: &Partials,
    out: &wgpu::Buffer,
    n: u64,
) -> Result<()> {
    let device = rec.device().clone();
    let pipeline = device.pipeline(KernelKey::ReduceFinish(op, dtype), || finish_kernel(op, dtype))?;
    let per = u64::from(finish_per_word(op, dtype));
    let units = n.div_ceil(per);
    let max_dim = device.limits().max_compute_workgroups_per_dimension.max(1);
    let groups = grid_2d(units.div_ceil(u64::from(WORKGROUP)) as u32, max_dim);
    let params = rec.params(&[n as u32, groups.0 * WORKGROUP, 0, 0])?;
    let out_dtype = output_dtype(op, dtype);
    let out_bytes = (n * out_dtype.size_in_bytes() as u64).next_multiple_of(4);
    let out_binding = wgpu::BindingResource::Buffer(wgpu::BufferBinding {
        buffer: out,
        offset: 0,
        size: wgpu::BufferSize::new(out_bytes),
    });
    rec.dispatch(&pipeline, &[accs.binding(), out_binding, params.binding()], groups);
    Ok(())
}
