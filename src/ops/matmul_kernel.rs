//! The matrix-product launcher: `C[b] = A[b] · B[b]` for operands given as strided views of plain buffers, written
//! contiguously as `[batch, M, N]` into an output buffer. Transposed operands are read in place (their strides
//! swap), a batch stride of 0 broadcasts. Validates everything, then records the dispatches on the device's stream.
//!
//! Kernels ([`MatmulKernel`]): on a GPU the tiled kernel (`shaders/matmul.wgsl`: tiles in workgroup memory, 4 × 4
//! register blocks, 16-byte loads where the layout allows). On a CPU adapter (lavapipe, WARP), where a load whose
//! address differs between SIMD lanes costs one scalar load per lane and barriers are coroutine switches, 32-bit
//! dtypes with row-major operands use kernels without workgroup memory that maximise multiply-adds per load: the
//! subgroup kernel (`shaders/matmul_subgroup.wgsl`, a 32 × 8 block per lane, A shared across the subgroup by
//! `subgroupBroadcast`) where the device has subgroups of one fixed size, else the direct kernel
//! (`shaders/matmul_direct.wgsl`, a 16 × 8 block per invocation). On lavapipe the subgroup kernel runs f32 1024³ at
//! 10–13× the tiled kernel's speed (`cargo test --release --lib ops::matmul_speed -- --ignored --nocapture`).
//!
//! Accumulation: f32 in f32 (each product and sum rounded, tile by tile along K in order); f16/bf16 in f32, rounded
//! once to the dtype by a second pass; i32/u32/i64/u64 exact with two's-complement wrapping (like Rust's
//! `wrapping_mul`/`wrapping_add`); f64 in f64 on every adapter, emulated on u32 pairs by the soft-float library:
//! `c = +0.0; for k in 0..K (in order) { c = c + a[k]·b[k] }`, each product and each sum correctly rounded (no fused
//! multiply-add), i.e. exactly a host loop over Rust `f64`. The same inputs give the same bits on every run (a
//! fixed order, no atomics).

use super::matmul_cpu_wgsl::SUBGROUP_SIZES;
pub(crate) use super::matmul_wgsl::MatmulKernel;
use super::matmul_wgsl::{
    LoadMode, MatmulVariant, PACK_WORKGROUP, Tiles, acc_bytes, pack_kernel, supported, word_sized,
};
use super::view::{Window, reach, window};
use crate::device::Recorder;
use crate::kernels::{KernelKey, grid_2d};
use crate::{DType, Error, Result};

const OP: &str = "matmul";

/// One operand: a strided view of `buffer` (all in elements). Element `(b, r, c)` lives at
/// `offset + b·batch_stride + r·row_stride + c·col_stride`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Operand<'a> {
    pub buffer: &'a wgpu::Buffer,
    pub offset: usize,
    pub batch_stride: isize,
    pub row_stride: isize,
    pub col_stride: isize,
}

impl<'a> Operand<'a> {
    #[cfg(test)]
    /// A contiguous `[batch, rows, cols]` operand (batch stride 0 when `batch` is 1, so it broadcasts).
    pub(crate) fn contiguous(buffer: &'a wgpu::Buffer, rows: usize, cols: usize) -> Self {
        Operand { buffer, offset: 0, batch_stride: (rows * cols) as isize, row_stride: cols as isize, col_stride: 1 }
    }
}

/// The sizes of a batched product: `batch` products of `[m, k] · [k, n]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Dims {
    pub batch: usize,
    pub m: usize,
    pub n: usize,
    pub k: usize,
}

/// Records `out = a · b` (see the module docs) on the stream. `out` receives `batch·m·n` elements of `dtype` from
/// byte 0, packed as the tensor storage convention says (16-bit elements two per word). A product whose output or
/// operands pass one storage binding runs in pieces (batch entries, then rows), each written in place or through a
/// pooled buffer copied into place.
///
/// # Errors
/// [`Error::InvalidArgument`] for a dtype without a kernel (bool, 8/16-bit integers), a view that reaches
/// outside its buffer, an output buffer too small, sizes past the adapter's limits (the right operand of one batch
/// entry, one row of the left operand or of the output past `max_storage_buffer_binding_size`;
/// `max_compute_workgroups_per_dimension`² workgroups per piece), or f16/bf16 products past one binding (the
/// tensor method widens those to f32 first); [`Error::Gpu`] when a pipeline fails to build; allocation errors.
pub(crate) fn encode_matmul(
    rec: &mut Recorder<'_>,
    dtype: DType,
    dims: Dims,
    a: &Operand<'_>,
    b: &Operand<'_>,
    out: &wgpu::Buffer,
) -> Result<()> {
    encode_matmul_with(rec, dtype, dims, a, b, out, KernelChoice::Auto).map(|_| ())
}

/// Which kernel [`encode_matmul_with`] uses where the operands allow a CPU-adapter kernel (tests and speed
/// measurements run every kernel on one adapter).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(not(test), allow(dead_code))] // Tiled and Direct are forced by the tests only
pub(crate) enum KernelChoice {
    /// On a CPU adapter the subgroup kernel where the device has fixed-size subgroups, else the direct one; the
    /// tiled kernel on a GPU.
    Auto,
    /// Always the tiled kernel.
    Tiled,
    /// The direct kernel (no subgroups) where the operands allow it.
    Direct,
}

/// [`encode_matmul`] with the kernel chosen by `choice`; returns the kernel used (the tiled one for an empty
/// product).
#[allow(clippy::too_many_arguments)]
pub(crate) fn encode_matmul_with(
    rec: &mut Recorder<'_>,
    dtype: DType,
    dims: Dims,
    a: &Operand<'_>,
    b: &Operand<'_>,
    out: &wgpu::Buffer,
    choice: KernelChoice,
) -> Result<MatmulKernel> {
    let device = rec.device().clone();
    let device = &device;
    if !supported(dtype) {
        return Err(Error::InvalidArgument {
            op: OP,
            reason: format!(
                "no {dtype} kernel (f64, f32, f16, bf16, i32, u32, i64, u64 are supported); cast the operands"
            ),
        });
    }
    let limits = device.limits();
    let esize = dtype.size_in_bytes() as u64;
    let out_elems = (dims.batch as u64).checked_mul(dims.m as u64).and_then(|x| x.checked_mul(dims.n as u64));
    let out_elems = out_elems.ok_or_else(|| invalid(format!("{dims:?} overflows")))?;
    if out_elems == 0 {
        return Ok(MatmulKernel::Tiled);
    }
    let out_bytes = (out_elems * esize).next_multiple_of(4);
    if out.size() < out_bytes {
        return Err(invalid(format!(
            "the output buffer holds {} bytes; {dims:?} of {dtype} needs {out_bytes}",
            out.size()
        )));
    }
    for (name, x) in [("m", dims.m), ("n", dims.n), ("k", dims.k), ("batch", dims.batch)] {
        if x > i32::MAX as usize {
            return Err(invalid(format!("{name} = {x} is past 2^31")));
        }
    }
    // Both views must lie in their buffers (checked whole, before any split).
    for (o, what, rows, cols) in [(a, "the left operand", dims.m, dims.k), (b, "the right operand", dims.k, dims.n)] {
        let extents = [(dims.batch, o.batch_stride), (rows, o.row_stride), (cols, o.col_stride)];
        if let Some((_, hi)) = reach(OP, what, o.offset, &extents)? {
            let end = ((hi + 1) * esize).next_multiple_of(4);
            if end > o.buffer.size() {
                return Err(invalid(format!(
                    "{what} reaches byte {end} of a {}-byte buffer; the view does not fit its buffer",
                    o.buffer.size()
                )));
            }
        }
    }
    let whole = Piece { b0: 0, b1: dims.batch, m0: 0, m1: dims.m };
    let mut pieces = Vec::new();
    split(whole, dims, a, b, esize, limits, &mut pieces)?;
    if let [piece] = pieces[..] {
        return encode_piece(rec, dtype, piece.dims(dims), &piece.a(a), &piece.b(b), out, 0, choice);
    }
    if esize < 4 {
        return Err(invalid(format!(
            "{dtype} products past one storage binding ({dims:?}); cast the operands to f32 (DeviceTensor::matmul \
             does)"
        )));
    }
    // Pieces: each written straight into its place in `out` where that offset can be bound, else into a pooled
    // buffer copied there (both recorded in order on the stream).
    let align = u64::from(limits.min_storage_buffer_offset_alignment).max(4);
    let mut used = MatmulKernel::Tiled;
    for piece in pieces {
        let (pd, pa, pb) = (piece.dims(dims), piece.a(a), piece.b(b));
        let at = piece.first(dims) * esize;
        let bytes = (pd.batch * pd.m * pd.n) as u64 * esize;
        if at.is_multiple_of(align) {
            used = encode_piece(rec, dtype, pd, &pa, &pb, out, at, choice)?;
        } else {
            let temp = device.pooled_buffer("matmul piece", bytes, PIECE_USAGE, false)?.buffer;
            used = encode_piece(rec, dtype, pd, &pa, &pb, &temp, 0, choice)?;
            rec.encoder().copy_buffer_to_buffer(&temp, 0, out, at, bytes);
            device.recycle(temp);
        }
    }
    Ok(used)
}

/// The usage of the pooled buffers that hold a piece of a product before it is copied into place.
const PIECE_USAGE: wgpu::BufferUsages = wgpu::BufferUsages::STORAGE.union(wgpu::BufferUsages::COPY_SRC);

/// A piece of a product: batch entries `b0..b1` and rows `m0..m1` (a piece of several entries has all the rows, so
/// its output is one contiguous range).
#[derive(Clone, Copy, Debug)]
struct Piece {
    b0: usize,
    b1: usize,
    m0: usize,
    m1: usize,
}

impl Piece {
    fn dims(&self, d: Dims) -> Dims {
        Dims { batch: self.b1 - self.b0, m: self.m1 - self.m0, ..d }
    }

    /// The left operand's rows of this piece.
    fn a<'a>(&self, a: &Operand<'a>) -> Operand<'a> {
        let at = a.offset as isize + self.b0 as isize * a.batch_stride + self.m0 as isize * a.row_stride;
        Operand { offset: at.max(0) as usize, ..*a }
    }

    /// The right operand's batch entries of this piece.
    fn b<'a>(&self, b: &Operand<'a>) -> Operand<'a> {
        Operand { offset: (b.offset as isize + self.b0 as isize * b.batch_stride).max(0) as usize, ..*b }
    }

    /// The index of the piece's first output element.
    fn first(&self, d: Dims) -> u64 {
        ((self.b0 * d.m + self.m0) * d.n) as u64
    }
}

/// Splits `p` into pieces whose output and operand views each fit one storage binding: halves the batch entries,
/// then the rows.
///
/// # Errors
/// When one row of one batch entry does not fit: the right operand alone, a row of the left operand, or a row of the
/// output past one binding.
fn split(
    p: Piece,
    dims: Dims,
    a: &Operand<'_>,
    b: &Operand<'_>,
    esize: u64,
    limits: &wgpu::Limits,
    out: &mut Vec<Piece>,
) -> Result<()> {
    let d = p.dims(dims);
    let max_binding = limits.max_storage_buffer_binding_size;
    // f16/bf16 products go through f32.
    let c_bytes = (d.batch * d.m * d.n) as u64 * esize.max(4);
    let fit_a = operand_window(&p.a(a), "the left operand", d.batch, d.m, d.k, esize, limits);
    let fit_b = operand_window(&p.b(b), "the right operand", d.batch, d.k, d.n, esize, limits);
    if c_bytes <= max_binding && fit_a.is_ok() && fit_b.is_ok() {
        out.push(p);
        return Ok(());
    }
    if p.b1 - p.b0 > 1 {
        let mid = p.b0 + (p.b1 - p.b0) / 2;
        split(Piece { b1: mid, ..p }, dims, a, b, esize, limits, out)?;
        return split(Piece { b0: mid, ..p }, dims, a, b, esize, limits, out);
    }
    if p.m1 - p.m0 > 1 {
        let mid = p.m0 + (p.m1 - p.m0) / 2;
        split(Piece { m1: mid, ..p }, dims, a, b, esize, limits, out)?;
        return split(Piece { m0: mid, ..p }, dims, a, b, esize, limits, out);
    }
    fit_b?;
    fit_a?;
    Err(invalid(format!("one output row ({} elements) passes one storage binding ({max_binding} bytes)", dims.n)))
}

/// Records one piece that fits the bindings: `out` receives it from byte `out_at` (a multiple of the binding
/// offset alignment).
#[allow(clippy::too_many_arguments)]
fn encode_piece(
    rec: &mut Recorder<'_>,
    dtype: DType,
    dims: Dims,
    a: &Operand<'_>,
    b: &Operand<'_>,
    out: &wgpu::Buffer,
    out_at: u64,
    choice: KernelChoice,
) -> Result<MatmulKernel> {
    let device = rec.device().clone();
    let device = &device;
    let limits = device.limits();
    let esize = dtype.size_in_bytes() as u64;
    let out_elems = (dims.batch * dims.m * dims.n) as u64;
    let out_bytes = (out_elems * esize).next_multiple_of(4);
    let tiles = Tiles::for_limits(limits, acc_bytes(dtype));
    let wa = operand_window(a, "the left operand", dims.batch, dims.m, dims.k, esize, limits)?;
    let wb = operand_window(b, "the right operand", dims.batch, dims.k, dims.n, esize, limits)?;
    let vec_ok = word_sized(dtype);
    let (mode_a, mode_b) =
        (load_mode(a, &wa, dims.m, dims.k, dims.batch, vec_ok), load_mode(b, &wb, dims.k, dims.n, dims.batch, vec_ok));
    let forward = |o: &Operand<'_>| o.batch_stride >= 0 && o.row_stride >= 0 && o.col_stride >= 0;
    // The CPU-adapter kernels: the direct one reads row-major operands; the subgroup one also transposed ones
    // (16-byte loads along A's m or B's k) where N is a multiple of 4 (its 16-byte stores).
    let direct_ok = mode_a == LoadMode::VecCol && mode_b == LoadMode::VecCol && forward(a) && forward(b);
    let vec = |m: LoadMode| !matches!(m, LoadMode::Scalar { .. });
    let subgroup_ok = vec(mode_a) && vec(mode_b) && dims.n.is_multiple_of(4) && forward(a) && forward(b);
    let kernel = match (choice, device.native().subgroup_size) {
        (KernelChoice::Tiled, _) => MatmulKernel::Tiled,
        (KernelChoice::Direct, _) if direct_ok => MatmulKernel::Direct,
        (KernelChoice::Direct, _) => MatmulKernel::Tiled,
        _ if !device.info().is_software() => MatmulKernel::Tiled,
        (KernelChoice::Auto, Some(lanes)) if subgroup_ok && SUBGROUP_SIZES.contains(&lanes) => {
            MatmulKernel::Subgroup(lanes)
        }
        (KernelChoice::Auto, _) if direct_ok => MatmulKernel::Direct,
        (KernelChoice::Auto, _) => MatmulKernel::Tiled,
    };
    let (tile_m, tile_n) = kernel.tile(tiles);
    let tiles_m = dims.m.div_ceil(tile_m as usize) as u64;
    let tiles_n = dims.n.div_ceil(tile_n as usize) as u64;
    let total = tiles_m * tiles_n * dims.batch as u64;
    let max_dim = u64::from(limits.max_compute_workgroups_per_dimension.max(1));
    if total > max_dim * max_dim || total > u64::from(u32::MAX) {
        return Err(invalid(format!("{total} workgroups of {}x{} tiles pass the adapter's grid", tile_m, tile_n)));
    }
    let groups = grid_2d(total as u32, max_dim as u32);
    let variant =
        MatmulVariant { dtype, tiles, a: mode_a, b: mode_b, vec_store: vec_ok && dims.n.is_multiple_of(4), kernel };
    let rel = |o: &Operand<'_>, w: &Option<Window>| o.offset as i64 - w.map_or(0, |w| w.first_elem as i64);
    let params: [u32; 16] = [
        dims.m as u32,
        dims.n as u32,
        dims.k as u32,
        dims.batch as u32,
        tiles_n as u32,
        tiles_m as u32,
        groups.0,
        total as u32,
        rel(a, &wa) as i32 as u32,
        a.batch_stride as i32 as u32,
        a.row_stride as i32 as u32,
        a.col_stride as i32 as u32,
        rel(b, &wb) as i32 as u32,
        b.batch_stride as i32 as u32,
        b.row_stride as i32 as u32,
        b.col_stride as i32 as u32,
    ];
    let pipeline = device.pipeline(KernelKey::Matmul(variant), || variant.wgsl())?;
    let params = rec.params(&params)?;
    // f16/bf16: f32 products into a pooled intermediate, then one rounding pass.
    let narrow = matches!(dtype, DType::F16 | DType::BF16);
    let products = if narrow {
        Some(device.pooled_buffer("matmul f32 products", out_elems * 4, wgpu::BufferUsages::STORAGE, false)?.buffer)
    } else {
        None
    };
    let c_size = if narrow { out_elems * 4 } else { out_bytes };
    let c_buffer = products.as_ref().unwrap_or(out);
    let c_binding = wgpu::BindingResource::Buffer(wgpu::BufferBinding {
        buffer: c_buffer,
        offset: if narrow { 0 } else { out_at },
        size: wgpu::BufferSize::new(c_size),
    });
    rec.dispatch(&pipeline, &[bind(a, wa), bind(b, wb), c_binding, params.binding()], groups);
    if let Some(products) = products {
        encode_pack(rec, dtype, &products, out, out_elems)?;
        // Later work on the recycled buffer is recorded after the pack pass, so it stays ordered after it.
        device.recycle(products);
    }
    Ok(kernel)
}

/// The pass that rounds `n` f32 products to `dtype` and packs them two per word into `out`.
fn encode_pack(
    rec: &mut Recorder<'_>,
    dtype: DType,
    products: &wgpu::Buffer,
    out: &wgpu::Buffer,
    n: u64,
) -> Result<()> {
    let device = rec.device().clone();
    let pipeline = device.pipeline(KernelKey::MatmulPack(dtype), || pack_kernel(dtype))?;
    let words = n.div_ceil(2);
    let max_dim = device.limits().max_compute_workgroups_per_dimension.max(1);
    let groups = grid_2d(words.div_ceil(u64::from(PACK_WORKGROUP)) as u32, max_dim);
    let params = rec.params(&[n as u32, groups.0 * PACK_WORKGROUP, 0, 0])?;
    let range = |buffer, size| {
        wgpu::BindingResource::Buffer(wgpu::BufferBinding { buffer, offset: 0, size: wgpu::BufferSize::new(size) })
    };
    rec.dispatch(&pipeline, &[range(products, n * 4), range(out, words * 4), params.binding()], groups);
    Ok(())
}

fn invalid(reason: String) -> Error {
    Error::InvalidArgument { op: OP, reason }
}

/// The binding window of an operand viewed as `[batch, rows, cols]`; `None` when it reads nothing.
fn operand_window(
    o: &Operand<'_>,
    what: &str,
    batch: usize,
    rows: usize,
    cols: usize,
    esize: u64,
    limits: &wgpu::Limits,
) -> Result<Option<Window>> {
    let dims = [(batch, o.batch_stride), (rows, o.row_stride), (cols, o.col_stride)];
    match reach(OP, what, o.offset, &dims)? {
        None => Ok(None),
        Some(range) => Ok(Some(window(OP, what, range, esize, o.buffer.size(), limits)?)),
    }
}

/// The fastest load the operand's layout allows (see [`LoadMode`]).
fn load_mode(o: &Operand<'_>, w: &Option<Window>, rows: usize, cols: usize, batch: usize, vec_ok: bool) -> LoadMode {
    let m4 = |s: isize, extent: usize| extent <= 1 || s % 4 == 0;
    let rel = o.offset as u64 - w.map_or(0, |w| w.first_elem);
    if vec_ok && rel.is_multiple_of(4) && m4(o.batch_stride, batch) {
        if o.col_stride == 1 && cols.is_multiple_of(4) && m4(o.row_stride, rows) {
            return LoadMode::VecCol;
        }
        if o.row_stride == 1 && rows.is_multiple_of(4) && m4(o.col_stride, cols) {
            return LoadMode::VecRow;
        }
    }
    LoadMode::Scalar { outer_fast: o.row_stride.unsigned_abs() < o.col_stride.unsigned_abs() }
}

/// The binding of an operand: its window, or (a view that reads nothing, k = 0) the buffer's first word.
fn bind<'a>(o: &Operand<'a>, w: Option<Window>) -> wgpu::BindingResource<'a> {
    let w = w.unwrap_or(Window { offset: 0, size: o.buffer.size().min(16), first_elem: 0 });
    wgpu::BindingResource::Buffer(wgpu::BufferBinding {
        buffer: o.buffer,
        offset: w.offset,
        size: wgpu::BufferSize::new(w.size.next_multiple_of(4)),
    })
}
