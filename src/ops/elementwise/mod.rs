//! The elementwise kernel family: unary, binary and `where` ops on every dtype, any layouts, numpy broadcasting.
//!
//! Modes (after ONNX Runtime WebGPU's): *flat* when every operand is contiguous with the output's shape — whole
//! vec4 loads and stores, 16 bytes of the narrowest dtype per invocation, chunked past one storage binding; and
//! *strided* otherwise — merged dims and per-operand strides (0 for broadcast dims) in a parameter block, one output
//! word per invocation. A strided call whose operands span more than one binding first packs them (strided copy)
//! and runs flat.

mod op;
mod wgsl;

use crate::device::Recorder;
use crate::kernels::{KernelKey, grid_2d};
use crate::memory::Storage;
use crate::transfer::alloc_storage;
use crate::{DType, Device, Layout, Result};

pub(crate) use op::Op;
pub use op::{BinaryOp, UnaryOp};
use wgsl::WORKGROUP_SIZE;
pub(crate) use wgsl::{ElementwiseVariant, Mode};

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
    let (n, _) = shape.shape().checked_size(out_dtype)?;
    let mut dtypes = [DType::Bool; 3];
    for (k, (_, _, d)) in inputs.iter().enumerate() {
        dtypes[k] = *d;
    }
    let variant = |mode| ElementwiseVariant { op, inputs: dtypes, n_in: inputs.len() as u8, out: out_dtype, mode };
    // Flat invocations read and write whole vec4s: every operand and the output hold `padded` elements' room.
    let e = variant(Mode::Flat).per_invocation() as usize;
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
        return record_flat(device, variant(Mode::Flat), inputs, &out, n, align, max_bind).map(|()| out);
    }
    let fits = |(_, l, d): &Operand<'_>| {
        let (lo, hi) = l.span().unwrap_or((0, 0));
        ((hi - lo + 1) as u64) * (*d).size_in_bytes() as u64 + 2 * align <= max_bind
    };
    if ((n * out_dtype.size_in_bytes()) as u64) + 16 <= max_bind && inputs.iter().all(fits) {
        return record_strided(device, variant(Mode::Strided), inputs, &out, shape, align).map(|()| out);
    }
    // Past one binding: pack the operands (broadcasts materialised, room for whole vec4s) and run flat in chunks.
    let packed: Vec<(Storage, Layout, DType)> = inputs
        .iter()
        .map(|(s, l, d)| crate::ops::copy::contiguous_with_room(s, l, *d, padded).map(|(st, lay)| (st, lay, *d)))
        .collect::<Result<_>>()?;
    let operands: Vec<Operand<'_>> = packed.iter().map(|(s, l, d)| (s, l, *d)).collect();
    record_flat(device, variant(Mode::Flat), &operands, &out, n, align, max_bind)?;
    Ok(out)
}

fn op_name(op: Op) -> &'static str {
    match op {
        Op::Unary(u) => u.name(),
        Op::Binary(b) => b.name(),
        Op::Where => "where_cond",
    }
}

/// Flat mode: chunks of whole invocations whose bindings start aligned and fit the binding limit.
fn record_flat(
    device: &Device,
    variant: ElementwiseVariant,
    inputs: &[Operand<'_>],
    out: &Storage,
    n: usize,
    align: u64,
    max_bind: u64,
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
            let invocations = count.div_ceil(e);
            let groups = grid_2d(invocations.div_ceil(u64::from(WORKGROUP_SIZE)) as u32, max_dim);
            let params = rec.params(&[count as u32, groups.0 * WORKGROUP_SIZE, 0, 0])?;
            let span = invocations * e; // elements each binding covers (whole vec4s)
            let mut bindings = vec![params.binding(), binding(out.buffer(), first * out_size, span * out_size)];
            for ((s, l, _), size) in inputs.iter().zip(&sizes) {
                bindings.push(binding(s.buffer(), (l.offset() as u64 + first) * size, span * size));
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
