//! Prints telling casts, each computed on the device and checked against the exact host oracle.
//!
//! ```text
//! cargo run --release --example casts
//! ```
//! Exits with status 1 if any device result differs from the oracle.

use half::{bf16, f16};
use wgpu_tensor::{Array, CastPolicy, DType, Device};

/// The value of a one-element array, printed with its bits for floats.
fn show(a: &Array) -> String {
    match a.dtype() {
        DType::Bool => format!("{}", a.to_vec::<bool>().unwrap()[0]),
        DType::U8 => format!("{}", a.to_vec::<u8>().unwrap()[0]),
        DType::I8 => format!("{}", a.to_vec::<i8>().unwrap()[0]),
        DType::U16 => format!("{}", a.to_vec::<u16>().unwrap()[0]),
        DType::I16 => format!("{}", a.to_vec::<i16>().unwrap()[0]),
        DType::U32 => format!("{}", a.to_vec::<u32>().unwrap()[0]),
        DType::I32 => format!("{}", a.to_vec::<i32>().unwrap()[0]),
        DType::U64 => format!("{}", a.to_vec::<u64>().unwrap()[0]),
        DType::I64 => format!("{}", a.to_vec::<i64>().unwrap()[0]),
        DType::F16 => {
            let x = a.to_vec::<f16>().unwrap()[0];
            format!("{:e} ({:#06x})", x.to_f64(), x.to_bits())
        }
        DType::BF16 => {
            let x = a.to_vec::<bf16>().unwrap()[0];
            format!("{:e} ({:#06x})", x.to_f64(), x.to_bits())
        }
        DType::F32 => {
            let x = a.to_vec::<f32>().unwrap()[0];
            format!("{x:e} ({:#010x})", x.to_bits())
        }
        DType::F64 => {
            let x = a.to_vec::<f64>().unwrap()[0];
            format!("{x:e} ({:#018x})", x.to_bits())
        }
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let device = Device::new()?;
    println!("{}\n", device.info());
    let one_tie_up = 1.0 + 2f64.powi(-11) + 2f64.powi(-40);
    let cases: Vec<(&str, Array, DType, CastPolicy)> = vec![
        ("i64::MAX", Array::from(vec![i64::MAX]), DType::F32, CastPolicy::Wrap),
        ("2^24 + 1", Array::from(vec![(1i32 << 24) + 1]), DType::F32, CastPolicy::Wrap),
        ("2^53 + 1", Array::from(vec![(1i64 << 53) + 1]), DType::F64, CastPolicy::Wrap),
        (
            "2^62 + 2^38 + 1 (via f64: rounds twice)",
            Array::from(vec![(1i64 << 62) + (1 << 38) + 1]),
            DType::F32,
            CastPolicy::Wrap,
        ),
        ("u64::MAX", Array::from(vec![u64::MAX]), DType::F16, CastPolicy::Wrap),
        ("65519.0", Array::from(vec![65519.0f32]), DType::F16, CastPolicy::Wrap),
        ("65520.0", Array::from(vec![65520.0f32]), DType::F16, CastPolicy::Wrap),
        ("1 + 2^-11 + 2^-40 (via f32: rounds twice)", Array::from(vec![one_tie_up]), DType::F16, CastPolicy::Wrap),
        ("0.1", Array::from(vec![0.1f64]), DType::BF16, CastPolicy::Wrap),
        ("1e-6 (an f16 subnormal)", Array::from(vec![1e-6f32]), DType::F16, CastPolicy::Wrap),
        ("2^-149 (f32's smallest subnormal)", Array::from(vec![2f64.powi(-149)]), DType::F32, CastPolicy::Wrap),
        ("5e-324", Array::from(vec![5e-324f64]), DType::F32, CastPolicy::Wrap),
        ("signalling NaN 0x7f800001", Array::from(vec![f32::from_bits(0x7f80_0001)]), DType::F64, CastPolicy::Wrap),
        ("NaN", Array::from(vec![f32::NAN]), DType::I32, CastPolicy::Wrap),
        ("NaN", Array::from(vec![f32::NAN]), DType::Bool, CastPolicy::Wrap),
        ("-0.0", Array::from(vec![-0.0f32]), DType::Bool, CastPolicy::Wrap),
        ("1e10", Array::from(vec![1e10f64]), DType::I32, CastPolicy::Wrap),
        ("-2.9", Array::from(vec![-2.9f64]), DType::U8, CastPolicy::Wrap),
        ("-1", Array::from(vec![-1i32]), DType::U8, CastPolicy::Wrap),
        ("-1 (Saturate)", Array::from(vec![-1i32]), DType::U8, CastPolicy::Saturate),
        ("300", Array::from(vec![300i32]), DType::I8, CastPolicy::Wrap),
        ("300 (Saturate)", Array::from(vec![300i32]), DType::I8, CastPolicy::Saturate),
        ("u64::MAX (Saturate)", Array::from(vec![u64::MAX]), DType::I64, CastPolicy::Saturate),
        ("true", Array::from(vec![true]), DType::BF16, CastPolicy::Wrap),
    ];
    let mut failures = 0;
    println!("{:<44} {:>5} -> {:<5} {:<44} {:<6} cast_checked", "value", "from", "to", "device result", "oracle");
    for (label, src, to, policy) in cases {
        let got = device.upload(&src)?.cast_with(to, policy)?.download()?;
        let want = src.cast_with(to, policy)?;
        let ok = got.as_bytes() == want.as_bytes();
        failures += usize::from(!ok);
        let lossy = device.upload(&src)?.cast_checked(to).is_err();
        let verdict = if ok { "ok" } else { "DIFFERS" };
        println!(
            "{label:<44} {:>5} -> {:<5} {:<44} {verdict:<6} {}",
            src.dtype().name(),
            to.name(),
            show(&got),
            if lossy { "lossy" } else { "exact" }
        );
        if !ok {
            println!("    oracle: {}", show(&want));
        }
    }
    if failures > 0 {
        eprintln!("{failures} device casts differ from the oracle");
        std::process::exit(1);
    }
    println!("\nall device casts equal the exact host oracle");
    Ok(())
}
