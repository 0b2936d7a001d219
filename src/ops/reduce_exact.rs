//! The exact sum (`sum_exact`): every term of a view arranged as `[outer, R, inner]` is added exactly into a
//! fixed-point superaccumulator (`shaders/lib/superacc.wgsl`: 13 24-bit digits, carry-save in i32 words, from
//! 2⁻¹⁴⁹ up to 2¹⁶²), accumulators are merged by exact integer addition across passes, and the exact sum is
//! rounded once, to nearest even, to the output dtype. Integer addition is associative, so the result is the
//! correctly rounded sum whatever the order, the chunking into dispatches or the adapter.
//!
//! f16 and bf16 terms are exact in the same accumulator and their sum is rounded once to the dtype. Specials: a
//! NaN term or both infinities give the default NaN (the payload of an input NaN is not kept); one infinity sign
//! gives that infinity; a finite exact sum past the largest finite value rounds to infinity (IEEE); an exact zero
//! sum is +0, or −0 when every term is −0 (as IEEE addition gives); an empty sum is +0.
//!
//! Passes: the first turns each output's R terms into ⌈R / 512⌉ accumulators (14 words each; one per invocation,
//! which walks 512 consecutive terms, with 16-byte loads where the layout allows), the next ones add up to 256
//! accumulators each until one is left per output, and a finishing pass rounds them. Outputs are done in groups
//! (outer rows, or pieces of one row) whose accumulators fit one storage binding, and a source larger than one
//! binding is bound in windows per dispatch (split along outer rows, then along blocks of R).

use super::reduce_kernel::ReduceView;
use super::reduce_split::{Dispatch, Geometry, check, split};
use super::view::Window;
use crate::device::Recorder;
use crate::kernels::{KernelKey, compose, grid_2d};
use crate::{DType, Error, Result};

const PASS_TEMPLATE: &str = include_str!("../../shaders/reduce_exact.wgsl");
const FINISH_TEMPLATE: &str = include_str!("../../shaders/reduce_exact_finish.wgsl");
const SUPERACC: &str = include_str!("../../shaders/lib/superacc.wgsl");

/// The op's name in errors.
const NAME: &str = "sum_exact";
/// Words of a stored accumulator (13 digits and the flags), as `SA_WORDS` in the WGSL.
const ACC_WORDS: u64 = 14;
/// Invocations per workgroup.
const WORKGROUP: u64 = 64;
/// Source elements per invocation (normalising every 64).
const PER_ELEMENTS: u64 = 512;
/// Stored accumulators per invocation in the merging passes (normalising every 64).
const PER_MERGE: u64 = 256;

/// What a pass reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum ExactSource {
    /// Elements of this float dtype (f32, f16 or bf16).
    Elements(DType),
    /// Stored accumulators of an earlier pass.
    Accumulators,
}

/// A kernel of the exact sum.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum ExactVariant {
    /// A pass; `vec4`: elements read with 16-byte loads (each invocation's walk starts on 16 bytes).
    Pass { source: ExactSource, vec4: bool },
    /// The rounding of the accumulators to this dtype.
    Finish(DType),
}

impl ExactVariant {
    fn wgsl(self) -> String {
        match self {
            ExactVariant::Pass { source, vec4 } => {
                let add = match source {
                    ExactSource::Elements(DType::F16) => {
                        "fn sa_add_unit(i: i32) {\n    let e = u32(i);\n    \
                         sa_add_f16((src[e >> 1u] >> (16u * (e & 1u))) & 0xffffu);\n}"
                    }
                    ExactSource::Elements(DType::BF16) => {
                        "fn sa_add_unit(i: i32) {\n    let e = u32(i);\n    \
                         sa_add_f32((src[e >> 1u] >> (16u * (e & 1u))) << 16u);\n}"
                    }
                    ExactSource::Elements(_) => "fn sa_add_unit(i: i32) {\n    sa_add_f32(src[u32(i)]);\n}",
                    ExactSource::Accumulators => "fn sa_add_unit(i: i32) {\n    sa_add_stored(u32(i) * SA_WORDS);\n}",
                };
                // One 16-byte load: 4 f32, or 8 halves (low half first).
                let (per_vec4, add_word) = match source {
                    ExactSource::Elements(DType::F16) => ("8u", "sa_add_f16(w & 0xffffu);\n    sa_add_f16(w >> 16u);"),
                    ExactSource::Elements(DType::BF16) => {
                        ("8u", "sa_add_f32(w << 16u);\n    sa_add_f32(w & 0xffff0000u);")
                    }
                    _ => ("4u", "sa_add_f32(w);"),
                };
                let src4 = if vec4 {
                    format!(
                        "@group(0) @binding(3) var<storage, read> src4: array<vec4<u32>>;\n\n\
                         fn sa_add_word(w: u32) {{\n    {add_word}\n}}\n\n\
                         fn sa_add_vec4(k: u32) {{\n    let v = src4[k];\n    \
                         sa_add_word(v.x);\n    sa_add_word(v.y);\n    sa_add_word(v.z);\n    sa_add_word(v.w);\n}}"
                    )
                } else {
                    "fn sa_add_vec4(k: u32) {}".to_string()
                };
                let vec4 = if vec4 { "true" } else { "false" };
                let parts = [
                    ("superacc", SUPERACC),
                    ("add_unit", add),
                    ("vec4", vec4),
                    ("src4", &src4),
                    ("per_vec4", per_vec4),
                ];
                compose(PASS_TEMPLATE, &parts)
            }
            ExactVariant::Finish(dtype) => {
                let (round, per_word) = match dtype {
                    DType::F16 => ("sa_round(11u, 125u, 31u, 0x8000u, 0x7e00u)", "2"),
                    DType::BF16 => ("sa_round(8u, 16u, 255u, 0x8000u, 0x7fc0u)", "2"),
                    _ => ("sa_round(24u, 0u, 255u, 0x80000000u, 0x7fc00000u)", "1"),
                };
                compose(FINISH_TEMPLATE, &[("superacc", SUPERACC), ("round", round), ("per_word", per_word)])
            }
        }
    }
}

fn invalid(reason: String) -> Error {
    Error::InvalidArgument { op: NAME, reason }
}

/// Records the exact sum over R of `view` (elements of `dtype`: f32, f16 or bf16) on the stream; `out` receives
/// `outer·inner` elements of `dtype` from byte 0 (16-bit ones packed two per word).
///
/// # Errors
/// [`Error::UnsupportedDType`] for other dtypes; [`Error::InvalidArgument`] naming the op for a view outside its
/// buffer, an output buffer too small or past one binding, an extent past 2³¹, or accumulators of one output past
/// one binding; [`Error::Gpu`] when a pipeline fails to build; allocation errors for the accumulators.
pub(crate) fn encode_sum_exact(
    rec: &mut Recorder<'_>,
    dtype: DType,
    view: &ReduceView<'_>,
    out: &wgpu::Buffer,
) -> Result<()> {
    let device = rec.device().clone();
    if !matches!(dtype, DType::F32 | DType::F16 | DType::BF16) {
        let reason = format!(
            "the exact sum takes f32, f16 or bf16, not {dtype}; integer sums are already exact (use sum), \
             other floats: cast to f32 first"
        );
        return Err(Error::UnsupportedDType { op: NAME, dtype, reason });
    }
    if check(NAME, view, dtype, out, dtype, device.limits())?.is_none() {
        return Ok(());
    }
    let max_binding = device.limits().max_storage_buffer_binding_size;
    // Groups of outputs whose first-pass accumulators fit one binding: whole outer rows, or pieces of one row.
    let first = plan(&Geometry::of(view), true);
    let acc_bytes = first.chunks * ACC_WORDS * 4;
    let cols = max_binding / acc_bytes;
    if cols == 0 {
        return Err(invalid(format!(
            "the accumulators of one output ({acc_bytes} bytes) pass one storage binding; sum in pieces"
        )));
    }
    let (outer, inner) = (view.outer as u64, view.inner as u64);
    let at =
        |o: u64, i: u64| view.offset as i64 + o as i64 * view.outer_stride as i64 + i as i64 * view.inner_stride as i64;
    if inner <= cols {
        let rows = cols / inner;
        let mut o0 = 0u64;
        while o0 < outer {
            let o1 = (o0 + rows).min(outer);
            let g = Geometry { offset: at(o0, 0) as usize, outer: (o1 - o0) as usize, ..Geometry::of(view) };
            encode_group(rec, dtype, view.buffer, &g, out, o0 * inner)?;
            o0 = o1;
        }
    } else {
        for o in 0..outer {
            let mut i0 = 0u64;
            while i0 < inner {
                let i1 = (i0 + cols).min(inner);
                let g =
                    Geometry { offset: at(o, i0) as usize, outer: 1, inner: (i1 - i0) as usize, ..Geometry::of(view) };
                encode_group(rec, dtype, view.buffer, &g, out, o * inner + i0)?;
                i0 = i1;
            }
        }
    }
    Ok(())
}

/// The shape of one pass: each invocation walks `per` consecutive units of R for one output (block), so each
/// output gets ⌈R / per⌉ accumulators.
#[derive(Clone, Copy, Debug)]
struct Pass {
    per: u64,
    chunks: u64,
}

fn plan(v: &Geometry, elements: bool) -> Pass {
    let per = if elements { PER_ELEMENTS } else { PER_MERGE };
    Pass { per, chunks: (v.r as u64).div_ceil(per).max(1) }
}

/// Reduces outer rows of `g` (outputs `base..`) into `out`.
fn encode_group(
    rec: &mut Recorder<'_>,
    dtype: DType,
    buffer: &wgpu::Buffer,
    g: &Geometry,
    out: &wgpu::Buffer,
    base: u64,
) -> Result<()> {
    let device = rec.device().clone();
    let n_q = g.outer as u64 * g.inner as u64;
    // The source: the input, then the previous pass's (pooled) accumulators and the bytes of them in use.
    let mut src = buffer.clone();
    let mut src_bytes = buffer.size();
    let mut view = *g;
    let mut source = ExactSource::Elements(dtype);
    loop {
        let elements = source != ExactSource::Accumulators;
        let pass = plan(&view, elements);
        let bytes = n_q * pass.chunks * ACC_WORDS * 4;
        let partials =
            device.pooled_buffer("sum_exact accumulators", bytes, wgpu::BufferUsages::STORAGE, false)?.buffer;
        let mut dispatches = Vec::new();
        let esize = if elements { dtype.size_in_bytes() as u64 } else { ACC_WORDS * 4 };
        let whole = (0, view.outer as u64, 0, pass.chunks);
        if elements {
            split(NAME, &src, esize, &view, pass.per, device.limits(), whole, &mut dispatches)?;
        } else {
            let w = Window { offset: 0, size: src_bytes, first_elem: 0 };
            dispatches.push(Dispatch { o0: 0, o1: view.outer as u64, c0: 0, c1: pass.chunks, window: Some(w) });
        }
        encode_pass(rec, source, (&src, src_bytes), &view, &pass, &dispatches, (&partials, bytes))?;
        // Later work on a recycled buffer is recorded after the pass that reads it, so it stays ordered after it.
        if !elements {
            device.recycle(src.clone());
        }
        if pass.chunks == 1 {
            let finished = encode_finish(rec, dtype, (&partials, bytes), out, n_q, base);
            device.recycle(partials);
            return finished;
        }
        let chunks = pass.chunks as usize;
        view = Geometry {
            offset: 0,
            outer: n_q as usize,
            r: chunks,
            inner: 1,
            outer_stride: chunks as isize,
            r_stride: 1,
            inner_stride: 0,
        };
        src = partials;
        src_bytes = bytes;
        source = ExactSource::Accumulators;
    }
}

/// One pass over `src` (a buffer and the bytes of it in use) into `partials` (likewise).
fn encode_pass(
    rec: &mut Recorder<'_>,
    source: ExactSource,
    (src, src_bytes): (&wgpu::Buffer, u64),
    v: &Geometry,
    pass: &Pass,
    dispatches: &[Dispatch],
    partials: (&wgpu::Buffer, u64),
) -> Result<()> {
    let device = rec.device().clone();
    // 16-byte loads when every walk starts on 16 bytes (block starts are multiples of 512 elements, windows start
    // on multiples of 4 elements, 8 for 2-byte ones).
    let lanes = match source {
        ExactSource::Elements(dtype) => 16 / dtype.size_in_bytes() as isize,
        ExactSource::Accumulators => 0,
    };
    let aligned = |stride: isize, extent: usize| extent <= 1 || stride % lanes == 0;
    let vec4 = lanes > 0
        && v.r_stride == 1
        && v.r as u64 >= pass.per
        && v.offset.is_multiple_of(lanes as usize)
        && aligned(v.outer_stride, v.outer)
        && aligned(v.inner_stride, v.inner);
    let variant = ExactVariant::Pass { source, vec4 };
    let pipeline = device.pipeline(KernelKey::ReduceExact(variant), || variant.wgsl())?;
    let max_dim = device.limits().max_compute_workgroups_per_dimension.max(1);
    for x in dispatches {
        let inner = v.inner as u64;
        let n_q = (x.o1 - x.o0) * inner;
        let units = n_q * (x.c1 - x.c0);
        let total = units.div_ceil(WORKGROUP);
        if total > u64::from(max_dim) * u64::from(max_dim) || units > u64::from(u32::MAX) {
            return Err(invalid(format!("{total} workgroups pass the adapter's grid; sum in pieces")));
        }
        let groups = grid_2d(total as u32, max_dim);
        let first_elem = x.window.map_or(0, |w| w.first_elem) as i64;
        let params: [u32; 16] = [
            v.r as u32,
            v.inner as u32,
            pass.chunks as u32,
            pass.per as u32,
            (v.offset as i64 - first_elem) as i32 as u32,
            v.outer_stride as i32 as u32,
            v.r_stride as i32 as u32,
            v.inner_stride as i32 as u32,
            (x.o0 * inner) as u32,
            x.c0 as u32,
            n_q as u32,
            units as u32,
            groups.0,
            total as u32,
            0,
            0,
        ];
        let params = rec.params(&params)?;
        let w = x.window.unwrap_or(Window { offset: 0, size: src_bytes.min(16), first_elem: 0 });
        let size = w.size.next_multiple_of(16).min(src_bytes.next_multiple_of(4) - w.offset);
        let range = |buffer, offset, size| {
            wgpu::BindingResource::Buffer(wgpu::BufferBinding { buffer, offset, size: wgpu::BufferSize::new(size) })
        };
        let mut bindings = vec![range(src, w.offset, size), range(partials.0, 0, partials.1), params.binding()];
        if vec4 {
            // The whole vec4s of the window (every 16-byte load lies inside the view).
            bindings.push(range(src, w.offset, size / 16 * 16));
        }
        rec.dispatch(&pipeline, &bindings, groups);
    }
    Ok(())
}

/// The finishing pass: `n` accumulators → outputs `base..base + n` of `out`.
fn encode_finish(
    rec: &mut Recorder<'_>,
    dtype: DType,
    (accs, accs_bytes): (&wgpu::Buffer, u64),
    out: &wgpu::Buffer,
    n: u64,
    base: u64,
) -> Result<()> {
    let device = rec.device().clone();
    let variant = ExactVariant::Finish(dtype);
    let pipeline = device.pipeline(KernelKey::ReduceExact(variant), || variant.wgsl())?;
    let per = 4 / dtype.size_in_bytes() as u64;
    let max_dim = device.limits().max_compute_workgroups_per_dimension.max(1);
    let words = (base + n).div_ceil(per) - base / per;
    let groups = grid_2d(words.div_ceil(WORKGROUP) as u32, max_dim);
    let params = rec.params(&[n as u32, groups.0 * WORKGROUP as u32, base as u32, words as u32])?;
    let out_bytes = ((base + n) * dtype.size_in_bytes() as u64).next_multiple_of(4);
    let range = |buffer, size| {
        wgpu::BindingResource::Buffer(wgpu::BufferBinding { buffer, offset: 0, size: wgpu::BufferSize::new(size) })
    };
    rec.dispatch(&pipeline, &[range(accs, accs_bytes), range(out, out_bytes), params.binding()], groups);
    Ok(())
}
