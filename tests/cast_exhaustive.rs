//! Every bit pattern of every 8- and 16-bit source dtype (bool, u8, i8, u16, i16, f16, bf16) cast on the device to
//! all 13 targets, under both policies, compared bit for bit with the exact host oracle; and the lossy counts.

mod cast_common;

use cast_common::*;
use wgpu_tensor::{CastPolicy, DType};

const NARROW: [DType; 7] = [DType::Bool, DType::U8, DType::I8, DType::U16, DType::I16, DType::F16, DType::BF16];

fn exhaustive(from: DType) {
    let src = all_patterns(from);
    check_every_target(&src);
}

#[test]
fn exhaustive_bool() {
    exhaustive(DType::Bool);
}
#[test]
fn exhaustive_u8() {
    exhaustive(DType::U8);
}
#[test]
fn exhaustive_i8() {
    exhaustive(DType::I8);
}
#[test]
fn exhaustive_u16() {
    exhaustive(DType::U16);
}
#[test]
fn exhaustive_i16() {
    exhaustive(DType::I16);
}
#[test]
fn exhaustive_f16() {
    exhaustive(DType::F16);
}
#[test]
fn exhaustive_bf16() {
    exhaustive(DType::BF16);
}

#[test]
fn exhaustive_on_gl_when_present() {
    let Some(gl) = gl_device() else { return };
    for from in NARROW {
        let src = all_patterns(from);
        for to in DType::ALL {
            check_cast("GL", gl, &src, to, CastPolicy::Wrap);
        }
    }
}

/// Odd lengths: the last output word is shared by fewer elements than it holds, and must still be right.
#[test]
fn odd_lengths_and_tails() {
    let device = device();
    for from in NARROW {
        let all = all_patterns(from);
        for len in [1usize, 2, 3, 5, 7] {
            let bits: Vec<u64> = (0..len).map(|i| bits_at(&all, (i * 37 + 1) % all.len())).collect();
            let src = from_bits(from, &bits);
            for to in DType::ALL {
                check_cast("tail", device, &src, to, CastPolicy::Wrap);
            }
        }
    }
}
