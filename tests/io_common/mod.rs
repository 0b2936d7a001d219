//! Shared by the io tests: fixture paths, the values the fixtures hold, temp files that delete themselves, and a
//! small deterministic mutator for the fuzz-style tests.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use half::f16;
use wgpu_tensor::{Array, DType};

/// The NumPy codes of the fixtures, with their dtypes.
pub const CODES: [(&str, DType); 12] = [
    ("b1", DType::Bool),
    ("u1", DType::U8),
    ("i1", DType::I8),
    ("u2", DType::U16),
    ("i2", DType::I16),
    ("u4", DType::U32),
    ("i4", DType::I32),
    ("u8", DType::U64),
    ("i8", DType::I64),
    ("f2", DType::F16),
    ("f4", DType::F32),
    ("f8", DType::F64),
];

/// A fixture written by tests/fixtures/make_fixtures.py.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

/// What make_fixtures.py's `values(code)` holds: unsigned 0..5, signed and float -2..3, bool F,T,F,T,F,T; (2, 3).
pub fn expected(dtype: DType) -> Array {
    let v: Vec<i64> = if dtype.is_signed() { (-2..4).collect() } else { (0..6).collect() };
    let a = match dtype {
        DType::Bool => Array::from_vec(v.iter().map(|&x| x % 2 == 1).collect::<Vec<_>>(), [2, 3]),
        DType::U8 => Array::from_vec(v.iter().map(|&x| x as u8).collect::<Vec<_>>(), [2, 3]),
        DType::I8 => Array::from_vec(v.iter().map(|&x| x as i8).collect::<Vec<_>>(), [2, 3]),
        DType::U16 => Array::from_vec(v.iter().map(|&x| x as u16).collect::<Vec<_>>(), [2, 3]),
        DType::I16 => Array::from_vec(v.iter().map(|&x| x as i16).collect::<Vec<_>>(), [2, 3]),
        DType::U32 => Array::from_vec(v.iter().map(|&x| x as u32).collect::<Vec<_>>(), [2, 3]),
        DType::I32 => Array::from_vec(v.iter().map(|&x| x as i32).collect::<Vec<_>>(), [2, 3]),
        DType::U64 => Array::from_vec(v.iter().map(|&x| x as u64).collect::<Vec<_>>(), [2, 3]),
        DType::I64 => Array::from_vec(v.clone(), [2, 3]),
        DType::F16 => Array::from_vec(v.iter().map(|&x| f16::from_f64(x as f64)).collect::<Vec<_>>(), [2, 3]),
        DType::BF16 => Array::from_vec(v.iter().map(|&x| half::bf16::from_f64(x as f64)).collect::<Vec<_>>(), [2, 3]),
        DType::F32 => Array::from_vec(v.iter().map(|&x| x as f32).collect::<Vec<_>>(), [2, 3]),
        DType::F64 => Array::from_vec(v.iter().map(|&x| x as f64).collect::<Vec<_>>(), [2, 3]),
    };
    a.unwrap()
}

/// A file in the temp dir, unique to this process and call, deleted on drop.
pub struct TempFile(pub PathBuf);

impl TempFile {
    pub fn new(name: &str) -> TempFile {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        TempFile(std::env::temp_dir().join(format!("wgpu-tensor-io-{}-{n}-{name}", std::process::id())))
    }

    /// A temp file holding `bytes`.
    pub fn with(name: &str, bytes: &[u8]) -> TempFile {
        let t = TempFile::new(name);
        std::fs::write(&t.0, bytes).unwrap();
        t
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Deterministic pseudo-random numbers (xorshift64*).
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    /// One random damage to `bytes`, mostly inside the first `hot` bytes (the header): flip, set, insert,
    /// delete, truncate, or overwrite with a digit or a structural character (so JSON / dict parsers get far).
    pub fn mutate(&mut self, bytes: &mut Vec<u8>, hot: usize) {
        let len = bytes.len();
        let at = if self.below(4) == 0 || hot == 0 { self.below(len) } else { self.below(hot.min(len)) };
        const STRUCT: &[u8] = b"{}[]():,'\" 0123456789-eE.\\TrueFalsN";
        match self.below(7) {
            0 if len > 0 => bytes[at] ^= 1 << self.below(8),
            1 if len > 0 => bytes[at] = self.next() as u8,
            2 => bytes.insert(at.min(len), STRUCT[self.below(STRUCT.len())]),
            3 if len > 0 => {
                bytes.remove(at);
            }
            4 => bytes.truncate(at),
            5 if len > 0 => bytes[at] = STRUCT[self.below(STRUCT.len())],
            _ if len >= 8 => {
                // A length-like field: the first 8 bytes (safetensors) or bytes 8..12 (npy), set to an edge value.
                let edges = [0u64, 1, 7, 8, 63, 64, 65535, u32::MAX as u64, 100_000_001, u64::MAX, len as u64];
                let v = edges[self.below(edges.len())];
                if self.below(2) == 0 {
                    bytes[..8].copy_from_slice(&v.to_le_bytes());
                } else if len >= 12 {
                    bytes[8..12].copy_from_slice(&(v as u32).to_le_bytes());
                }
            }
            _ => {}
        }
    }
}
