//! The elementwise kernel family: unary, binary and `where` ops on every dtype, any layouts, numpy broadcasting.
//!
//! Modes (after ONNX Runtime WebGPU's): *flat* when every operand is contiguous with the output's shape — whole
//! vec4 loads and stores, units of 16 bytes of the narrowest dtype, `UNITS_PER_INVOCATION` (4) units per invocation,
//! chunked past one storage binding — or, within one binding, when the others are a row repeated over the leading
//! dims (`[1, k]` against `[m, k]`) or one element per run of whole units (a column `[m, 1]` against `[m, k]`, a
//! scalar): one `%` or `/` per invocation, then stepped per unit (a vector integer division is a loop over the lanes
//! on lavapipe); and *strided* otherwise — merged dims and per-operand strides (0 for broadcast dims) in a parameter
//! block, one output word per invocation. A strided call whose operands span more than one binding first packs them
//! (strided copy) and runs flat.

mod op;
mod wgsl;

use crate::device::Recorder;
use crate::kernels::{KernelKey, grid_2d};
use crate::memory::Storage;
use crate::transfer::alloc_storage;
use crate::{DType, Device, Layout, Result};

pub(crate) use op::Op;
pub use op::{BinaryOp, UnaryOp};
use wgsl::{Access, UNITS_PER_INVOCATION, WORKGROUP_SIZE};
pub(crate) use wgsl::{ElementwiseVariant, Mode};

const FULL: [Access; 3] = [Access::Full; 3];

/// One operand: its storage, its layout (already broadcast to the output's shape) and dtype.
pub(crate) type Operand<'a> = (&'a Storage, &'a Layout, DType);

fn binding(buffer: &wgpu::Buffer, offset: u64, size: u64) -> wgpu::BindingResource<'_> {
    wgpu::BindingResource::Buffer(wgpu::BufferBinding { buffer, offset, size: wgpu::BufferSize::new(size) })
}

/// Runs `op` over `inputs` into new contiguous storage of `out_dtype` with `shape`'s layout.
pub(crate) fn run(
    device: &Device,
    op: Op,
    inputs: &[Operand<'_>],
    shape: &Layout,
    out_dtype: DType,
) -> Result<Storage> {
    let native_f32 = out_dtype == DType::F32 && native_f32_is_exact(device)?;
    run_with(device, op, inputs, shape, out_dtype, native_f32)
}

/// Whether this device's native f32 `+ − ×` give exactly the library's results (subnormals kept, no flush), so the
/// flat kernels may skip the exact fallback: probed once per device on every pair of edge values (subnormal inputs
/// and results, the smallest normal, overflow, infinities, NaNs), through the very kernels it would enable. Always
/// `false` with `native_extensions: false`, which keeps the portable exact path (and so tests both).
fn native_f32_is_exact(device: &Device) -> Result<bool> {
    if !device.native_extensions_enabled() {
        return Ok(false);
    }
    if let Some(known) = device.native_f32_exact().get() {
        return Ok(*known);
    }
    let exact = probe_native_f32(device)?;
    Ok(*device.native_f32_exact().get_or_init(|| exact))
}

fn probe_native_f32(device: &Device) -> Result<bool> {
    const EDGES: [u32; 24] = [
        0x0000_0000,
        0x8000_0000,
        0x0000_0001,
        0x8000_0001,
        0x0000_0003,
        0x007f_ffff,
        0x807f_fffe,
        0x0040_0000,
        0x0080_0000,
        0x8080_0000,
        0x0080_0001,
        0x0100_0000,
        0x3f80_0000,
        0xbf80_0000,
        0x3fc0_0000,
        0x1f80_0000,
        0x2000_0001,
        0x7f7f_ffff,
        0xff7f_fffe,
        0x7f80_0000,
        0xff80_0000,
        0x7fc0_0001,
        0xffc1_2345,
        0x7f80_0001,
    ];
    let a: Vec<f32> = EDGES.iter().flat_map(|&x| EDGES.iter().map(move |_| f32::from_bits(x))).collect();
    let b: Vec<f32> = EDGES.iter().flat_map(|_| EDGES.iter().map(|&y| f32::from_bits(y))).collect();
    let n = a.len();
    let ta = device.upload(&crate::Array::from_vec(a.clone(), [n])?)?;
    let tb = device.upload(&crate::Array::from_vec(b.clone(), [n])?)?;
    let layout = Layout::contiguous([n]);
    let operands = [(&**ta.storage(), ta.layout(), DType::F32), (&**tb.storage(), tb.layout(), DType::F32)];
    for (op, host) in [
        (BinaryOp::Add, (|x, y| x + y) as fn(f32, f32) -> f32),
        (BinaryOp::Sub, |x, y| x - y),
        (BinaryOp::Mul, |x, y| x * y),
    ] {
        let out = run_with(device, Op::Binary(op), &operands, &layout, DType::F32, true)?;
        let t = crate::DeviceTensor::from_storage(std::sync::Arc::new(out), layout.clone(), DType::F32);
        let got = t.download()?.to_vec::<f32>()?;
        let same = a.iter().zip(&b).zip(&got).all(|((&x, &y), &r)| {
            let want = host(x, y);
            if want.is_nan() { r.is_nan() } else { r.to_bits() == want.to_bits() }
        });
        if !same {
            return Ok(false);
        }
    }
    Ok(true)
}

/// [`run`] with the native f32 fast path allowed or not.
fn run_with(
    device: &Device,
    op: Op,
    inputs: &[Operand<'_>],
    shape: &Layout,
    out_dtype: DType,
    native_f32: bool,
) -> Result<Storage> {
    let (n, _) = shape.shape().checked_size(out_dtype)?;
    let mut dtypes = [DType::Bool; 3];
    for (k, (_, _, d)) in inputs.iter().enumerate() {
        dtypes[k] = *d;
    }
    let variant = |mode, access| ElementwiseVariant {
        op,
        inputs: dtypes,
        n_in: inputs.len() as u8,
        out: out_dtype,
        mode,
        access,
        native_f32,
    };
    // Flat units read and write whole vec4s: every operand and the output hold `padded` elements' room.
    let e = variant(Mode::Flat, FULL).per_invocation() as usize;
    let padded = n.div_ceil(e) * e;
    let out = alloc_storage(device, op_name(op), padded * out_dtype.size_in_bytes())?;
    if n == 0 {
        return Ok(out);
    }
    let limits = device.limits();
    let align = u64::from(limits.min_storage_buffer_offset_alignment).max(16);
    let max_bind = limits.max_storage_buffer_binding_size.min(limits.max_buffer_size).min(1 << 31);
    let flat_ok = |(s, l, d): &Operand<'_>| {
        let start = (l.offset() * d.size_in_bytes()) as u64;
        l.is_contiguous()
            && start.is_multiple_of(align)
            && start + (padded * d.size_in_bytes()) as u64 <= s.buffer().size()
    };
    if inputs.iter().all(flat_ok) {
        return record_flat(device, variant(Mode::Flat, FULL), inputs, &out, n, align, max_bind, [0; 3]).map(|()| out);
    }
    let widest = inputs.iter().map(|(_, _, d)| d.size_in_bytes()).chain([out_dtype.size_in_bytes()]).max();
    if (padded * widest.unwrap_or(8)) as u64 + 64 <= max_bind {
        let mut access = FULL;
        let mut periods = [0u32; 3];
        let planned = inputs.iter().enumerate().all(|(k, operand)| {
            let found = if flat_ok(operand) { Some((Access::Full, 0)) } else { broadcast_access(operand, n, e, align) };
            found.map(|(a, p)| (access[k], periods[k]) = (a, p)).is_some()
        });
        if planned {
            let v = variant(Mode::Flat, access);
            return record_flat(device, v, inputs, &out, n, align, max_bind, periods).map(|()| out);
        }
    }
    let fits = |(_, l, d): &Operand<'_>| {
        let (lo, hi) = l.span().unwrap_or((0, 0));
        ((hi - lo + 1) as u64) * (*d).size_in_bytes() as u64 + 2 * align <= max_bind
    };
    if ((n * out_dtype.size_in_bytes()) as u64) + 16 <= max_bind && inputs.iter().all(fits) {
        return record_strided(device, variant(Mode::Strided, FULL), inputs, &out, shape, align).map(|()| out);
    }
    // Past one binding: pack the operands (broadcasts materialised, room for whole vec4s) and run flat in chunks.
    let packed: Vec<(Storage, Layout, DType)> = inputs
        .iter()
        .map(|(s, l, d)| crate::ops::copy::contiguous_with_room(s, l, *d, padded).map(|(st, lay)| (st, lay, *d)))
        .collect::<Result<_>>()?;
    let operands: Vec<Operand<'_>> = packed.iter().map(|(s, l, d)| (s, l, *d)).collect();
    record_flat(device, variant(Mode::Flat, FULL), &operands, &out, n, align, max_bind, [0; 3])?;
    Ok(out)
}

fn op_name(op: Op) -> &'static str {
    match op {
        Op::Unary(u) => u.name(),
        Op::Binary(b) => b.name(),
        Op::Where => "where_cond",
    }
}

/// How a flat kernel can read an operand that is not contiguous with the output: `Row` (the operand's trailing dims
/// contiguous, a whole number of units long, broadcast over the leading ones) or `Col` (its leading dims contiguous,
/// broadcast over trailing dims spanning a whole number of units; or a scalar), with the period or run in units
/// (`u32::MAX` for a scalar). `None` when neither fits, the binding would start unaligned or the buffer lacks the
/// whole vec4 words read.
fn broadcast_access((s, l, d): &Operand<'_>, n: usize, e: usize, align: u64) -> Option<(Access, u32)> {
    let (dims, strides) = (l.dims(), l.strides());
    let size = d.size_in_bytes();
    let start = (l.offset() * size) as u64;
    if !start.is_multiple_of(align) {
        return None;
    }
    let room = |elements: usize| start + ((elements * size) as u64).next_multiple_of(16) <= s.buffer().size();
    // The number of trailing dims of `dims[..end]` that are contiguous (stride = product of the later ones), and
    // that product.
    let contiguous_tail = |end: usize| {
        let (mut expect, mut at) = (1usize, end);
        while at > 0 && (dims[at - 1] == 1 || strides[at - 1] == expect as isize) {
            expect *= dims[at - 1];
            at -= 1;
        }
        (at, expect)
    };
    let (at, inner) = contiguous_tail(dims.len());
    let broadcast_lead = dims[..at].iter().zip(&strides[..at]).all(|(&len, &st)| len == 1 || st == 0);
    if broadcast_lead && inner < n && inner.is_multiple_of(e) && room(inner) {
        return Some((Access::Row, u32::try_from(inner / e).ok()?));
    }
    // Col: broadcast trailing dims (run `q` elements), contiguous leading ones.
    let (mut lead, mut q) = (dims.len(), 1usize);
    while lead > 0 && (dims[lead - 1] == 1 || strides[lead - 1] == 0) {
        q *= dims[lead - 1];
        lead -= 1;
    }
    if lead == 0 {
        return room(1).then_some((Access::Col, u32::MAX));
    }
    if contiguous_tail(lead).0 == 0 && q > 1 && q.is_multiple_of(e) && room(n / q) {
        return Some((Access::Col, u32::try_from(q / e).ok()?));
    }
    None
}

/// Flat mode: chunks of whole invocations whose bindings start aligned and fit the binding limit (one chunk when an
/// operand is read `Row` or `Col`, with `periods` its period or run in units).
#[allow(clippy::too_many_arguments)]
fn record_flat(
    device: &Device,
    variant: ElementwiseVariant,
    inputs: &[Operand<'_>],
    out: &Storage,
    n: usize,
    align: u64,
    max_bind: u64,
    periods: [u32; 3],
) -> Result<()> {
    let pipeline = device.pipeline(KernelKey::Elementwise(variant), || variant.wgsl())?;
    let e = u64::from(variant.per_invocation());
    let sizes: Vec<u64> = inputs.iter().map(|(_, _, d)| d.size_in_bytes() as u64).collect();
    let out_size = variant.out.size_in_bytes() as u64;
    let widest = sizes.iter().copied().chain([out_size]).max().unwrap_or(8);
    // Elements per chunk: a multiple of `e` (whole invocations) and of `align` (aligned byte offsets for any dtype).
    let quantum = e.max(align);
    let per_chunk = ((max_bind - 64) / widest / quantum).max(1) * quantum;
    let max_dim = device.limits().max_compute_workgroups_per_dimension;
    device.record(op_name(variant.op), |rec: &mut Recorder<'_>| {
        let mut first = 0u64;
        while first < n as u64 {
            let count = per_chunk.min(n as u64 - first);
            let units = count.div_ceil(e);
            let invocations = units.div_ceil(u64::from(UNITS_PER_INVOCATION));
            let groups = grid_2d(invocations.div_ceil(u64::from(WORKGROUP_SIZE)) as u32, max_dim);
            let [p0, p1, p2] = periods;
            let params = rec.params(&[count as u32, groups.0 * WORKGROUP_SIZE, 0, 0, p0, p1, p2])?;
            let span = units * e; // elements each binding covers (whole vec4s)
            let mut bindings = vec![params.binding(), binding(out.buffer(), first * out_size, span * out_size)];
            for (k, ((s, l, _), size)) in inputs.iter().zip(&sizes).enumerate() {
                let start = l.offset() as u64 * size;
                let elements = match variant.access[k] {
                    Access::Full => span,
                    Access::Row => u64::from(periods[k]) * e,
                    Access::Col => units.div_ceil(u64::from(periods[k])),
                };
                let first = if variant.access[k] == Access::Full { first * size } else { 0 };
                bindings.push(binding(s.buffer(), start + first, (elements * size).next_multiple_of(16)));
            }
            rec.dispatch(&pipeline, &bindings, groups);
            first += count;
        }
        Ok(())
    })
}

/// Strided mode: merged dims and strides in the parameter block, one output unit per invocation.
fn record_strided(
    device: &Device,
    variant: ElementwiseVariant,
    inputs: &[Operand<'_>],
    out: &Storage,
    shape: &Layout,
    align: u64,
) -> Result<()> {
    let pipeline = device.pipeline(KernelKey::Elementwise(variant), || variant.wgsl())?;
    let (dims, strides) = merge(shape.dims(), inputs);
    let nd = dims.len();
    let n = shape.len();
    let mut words: Vec<u32> = vec![0; 4];
    words.extend(dims.iter().map(|&d| d as u32));
    let mut bindings_at = Vec::new();
    for (k, (s, l, d)) in inputs.iter().enumerate() {
        let size = d.size_in_bytes() as u64;
        let (lo, hi) = l.span().unwrap_or((0, 0));
        let start = (lo as u64 * size) / align * align;
        let end = (((hi + 1) as u64) * size).next_multiple_of(4).min(s.buffer().size());
        words.push((l.offset() as u64 - start / size) as u32);
        words.extend(strides[k].iter().map(|&st| st as i32 as u32));
        bindings_at.push((start, end - start));
    }
    words.push(n as u32);
    let units = (n as u32).div_ceil(variant.per_unit());
    let groups = grid_2d(units.div_ceil(WORKGROUP_SIZE), device.limits().max_compute_workgroups_per_dimension);
    words[..4].copy_from_slice(&[units, groups.0 * WORKGROUP_SIZE, nd as u32, 0]);
    device.record(op_name(variant.op), |rec| {
        let params = rec.params(&words)?;
        let out_len =
            (u64::from(units) * variant.per_unit() as u64 * variant.out.size_in_bytes() as u64).next_multiple_of(4);
        let mut bindings = vec![params.binding(), binding(out.buffer(), 0, out_len)];
        for ((s, _, _), (start, len)) in inputs.iter().zip(&bindings_at) {
            bindings.push(binding(s.buffer(), *start, *len));
        }
        rec.dispatch(&pipeline, &bindings, groups);
        Ok(())
    })
}

/// The output's dims merged where every operand is contiguous across them (length-1 dims dropped), with each
/// operand's strides for the merged dims.
fn merge(dims: &[usize], inputs: &[Operand<'_>]) -> (Vec<usize>, Vec<Vec<isize>>) {
    let mut out_dims: Vec<usize> = Vec::new();
    let mut out_strides: Vec<Vec<isize>> = vec![Vec::new(); inputs.len()];
    for (d, &len) in dims.iter().enumerate() {
        if len == 1 {
            continue;
        }
        let can_merge = !out_dims.is_empty()
            && inputs.iter().enumerate().all(|(k, (_, l, _))| {
                let last = *out_strides[k].last().unwrap_or(&0);
                last == l.strides()[d] * len as isize
            });
        if can_merge {
            *out_dims.last_mut().unwrap_or(&mut 0) *= len;
            for (k, (_, l, _)) in inputs.iter().enumerate() {
                if let Some(s) = out_strides[k].last_mut() {
                    *s = l.strides()[d];
                }
            }
        } else {
            out_dims.push(len);
            for (k, (_, l, _)) in inputs.iter().enumerate() {
                out_strides[k].push(l.strides()[d]);
            }
        }
    }
    if out_dims.is_empty() {
        out_dims.push(1);
        for s in &mut out_strides {
            s.push(0);
        }
    }
    (out_dims, out_strides)
}
