//! Compute kernels: the per-device pipeline cache ([`cache`]), WGSL composition and dispatch geometry. Each kernel
//! family has its own launcher module (`crate::ops::copy`, `crate::cast`); all of them record through the device's
//! stream ([`Device::record`](crate::Device)), the one place bind groups are made.

mod cache;

pub(crate) use cache::{KernelKey, Pipeline, PipelineCache};

/// Composes a WGSL module: `template` with every `{{name}}` token replaced by its part.
///
/// Only whole `{{name}}` tokens are replaced, never ordinary words.
///
/// # Panics
/// If a `{{` survives (a token without a part): a bug in the crate's shaders, caught by its tests.
pub(crate) fn compose(template: &str, parts: &[(&str, &str)]) -> String {
    let mut out = template.to_string();
    for (name, part) in parts {
        out = out.replace(&format!("{{{{{name}}}}}"), part);
    }
    if let Some(at) = out.find("{{") {
        let token: String = out[at..].chars().take_while(|&c| c != '}').collect();
        panic!("unreplaced WGSL placeholder {token}}}}}");
    }
    out
}

/// A 2-D grid of `workgroups` workgroups with at most `max_per_dim` along x (WebGPU's limit is 65 535): the kernel
/// computes its linear workgroup index as `id.x + id.y * num_workgroups.x` and returns when past the end.
pub(crate) fn grid_2d(workgroups: u32, max_per_dim: u32) -> (u32, u32) {
    if workgroups <= max_per_dim {
        (workgroups.max(1), 1)
    } else {
        let y = workgroups.div_ceil(max_per_dim);
        (workgroups.div_ceil(y), y)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compose_replaces_tokens_only() {
        let s = compose("fn f() { {{body}} } // body", &[("body", "return;")]);
        assert_eq!(s, "fn f() { return; } // body");
    }

    #[test]
    #[should_panic(expected = "unreplaced")]
    fn compose_rejects_leftovers() {
        compose("{{a}} {{b}}", &[("a", "x")]);
    }

    #[test]
    fn grid_covers_every_workgroup() {
        for n in [1u32, 65_535, 65_536, 1 << 20, 4_000_000] {
            let (x, y) = grid_2d(n, 65_535);
            assert!(x <= 65_535 && y <= 65_535 && x as u64 * y as u64 >= n as u64, "{n}: {x}x{y}");
        }
    }
}
