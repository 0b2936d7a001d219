//! The buffer pool: idle device, staging and readback buffers kept by size class and usage, so steady-state
//! transfers and kernels reuse warm memory instead of allocating (fresh allocations pay page faults and zero-fill).

use std::collections::HashMap;
use std::sync::Mutex;

use crate::{Device, Result};

/// What a device's buffer pool holds and has done since the device was opened; see [`Device::pool_stats`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PoolStats {
    /// Bytes in idle pooled buffers (their full size classes), never above the cap.
    pub bytes_held: u64,
    /// Idle buffers in the pool.
    pub buffers_held: u64,
    /// Requests served by an idle pooled buffer.
    pub hits: u64,
    /// Requests no idle buffer could serve.
    pub misses: u64,
    /// Buffers allocated (one per miss that succeeded).
    pub allocations: u64,
    /// Idle buffers released to keep the pool under its cap.
    pub trims: u64,
    /// The cap on `bytes_held` ([`DeviceOptions::pool_cap_bytes`](crate::DeviceOptions::pool_cap_bytes)).
    pub cap_bytes: u64,
}

/// The smallest size class.
const MIN_CLASS: u64 = 256;

/// The size class that serves `size` bytes: 256 B at least, then 8 classes per power of two (at most 12.5% waste),
/// but never above `max` (a request near the limit gets its exact, 4-byte-rounded size).
pub(crate) fn size_class(size: u64, max: u64) -> u64 {
    // Near u64::MAX no class exists: return the size itself and let the allocation report TooLarge.
    let Some(size) = size.max(4).checked_next_multiple_of(4) else {
        return size;
    };
    let class = if size <= MIN_CLASS {
        Some(MIN_CLASS)
    } else {
        size.checked_next_power_of_two().and_then(|p| size.checked_next_multiple_of((p / 16).max(MIN_CLASS)))
    };
    match class {
        Some(class) if class <= max => class,
        _ => size,
    }
}

/// Idle buffers by (usage, size class), oldest first, bounded by a byte cap.
pub(crate) struct BufferPool {
    cap: u64,
    state: Mutex<PoolState>,
}

#[derive(Default)]
struct PoolState {
    /// Per (usage, class): idle buffers with the tick they were returned at, oldest first.
    idle: HashMap<(u32, u64), Vec<(u64, wgpu::Buffer)>>,
    tick: u64,
    stats: PoolStats,
}

impl BufferPool {
    pub(crate) fn new(cap: u64) -> BufferPool {
        BufferPool { cap, state: Mutex::new(PoolState::default()) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, PoolState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// An idle buffer of `size`'s class and `usage`, if the pool holds one (counted as a hit, or else a miss).
    pub(crate) fn take(&self, usage: wgpu::BufferUsages, class: u64) -> Option<wgpu::Buffer> {
        let mut s = self.lock();
        let found = s.idle.get_mut(&(usage.bits(), class)).and_then(Vec::pop).map(|(_, b)| b);
        match found {
            Some(buffer) => {
                s.stats.hits += 1;
                s.stats.buffers_held -= 1;
                s.stats.bytes_held -= buffer.size();
                Some(buffer)
            }
            None => {
                s.stats.misses += 1;
                None
            }
        }
    }

    pub(crate) fn note_allocation(&self) {
        self.lock().stats.allocations += 1;
    }

    /// Returns an unmapped buffer to the pool; releases the least recently returned idle buffers while over the cap.
    pub(crate) fn give(&self, buffer: wgpu::Buffer) {
        let size = buffer.size();
        let mut s = self.lock();
        if size > self.cap {
            s.stats.trims += 1;
            return;
        }
        s.tick += 1;
        let tick = s.tick;
        s.idle.entry((buffer.usage().bits(), size)).or_default().push((tick, buffer));
        s.stats.buffers_held += 1;
        s.stats.bytes_held += size;
        while s.stats.bytes_held > self.cap {
            let oldest = s.idle.iter().filter_map(|(k, v)| v.first().map(|(t, _)| (*t, *k))).min();
            let Some((_, key)) = oldest else {
                break;
            };
            if let Some(list) = s.idle.get_mut(&key)
                && !list.is_empty()
            {
                let (_, old) = list.remove(0);
                s.stats.buffers_held -= 1;
                s.stats.bytes_held -= old.size();
                s.stats.trims += 1;
            }
        }
        s.idle.retain(|_, v| !v.is_empty());
    }

    /// Releases every idle buffer.
    pub(crate) fn clear(&self) {
        let mut s = self.lock();
        let n = s.stats.buffers_held;
        s.idle.clear();
        s.stats.trims += n;
        s.stats.buffers_held = 0;
        s.stats.bytes_held = 0;
    }

    pub(crate) fn stats(&self) -> PoolStats {
        PoolStats { cap_bytes: self.cap, ..self.lock().stats }
    }
}

/// A buffer from the pool: `fresh` when newly allocated (and then mapped when `mapped_at_creation` was asked).
pub(crate) struct Pooled {
    pub buffer: wgpu::Buffer,
    pub fresh: bool,
}

impl Device {
    /// A buffer of at least `size` bytes with exactly `usage`, from the pool when an idle one fits, else freshly
    /// allocated (mapped when `map_fresh`). Give it back with [`Device::recycle`].
    pub(crate) fn pooled_buffer(
        &self,
        label: &str,
        size: u64,
        usage: wgpu::BufferUsages,
        map_fresh: bool,
    ) -> Result<Pooled> {
        let class = size_class(size, self.limits().max_buffer_size);
        if let Some(buffer) = self.pool().take(usage, class) {
            return Ok(Pooled { buffer, fresh: false });
        }
        let buffer = match self.create_buffer(label, class, usage, map_fresh) {
            Ok(b) => b,
            Err(crate::Error::OutOfMemory { .. }) => {
                // Idle pooled memory may be what is missing: release it and try once more.
                self.pool().clear();
                self.create_buffer(label, class, usage, map_fresh)?
            }
            Err(e) => return Err(e),
        };
        self.pool().note_allocation();
        Ok(Pooled { buffer, fresh: true })
    }

    /// Returns a buffer to the pool. Work recorded or submitted on it stays ordered before any later use, which is
    /// recorded after it on the same stream. A buffer still mapped (or with a map pending) is unmapped first, so
    /// the pool never hands out a mapped buffer.
    pub(crate) fn recycle(&self, buffer: wgpu::Buffer) {
        self.unmap_quietly(&buffer);
        self.pool().give(buffer);
    }

    /// Unmaps a host-mappable buffer if it is mapped or has a map pending (which cancels it); a no-op otherwise.
    /// Also when the poller is completing a map of it right now (see `Poller::unmap_settled`).
    /// wgpu 30 exposes no map state, so the "not mapped" error of an idle buffer is caught in a scope and dropped.
    pub(crate) fn unmap_quietly(&self, buffer: &wgpu::Buffer) {
        let mappable = wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::MAP_WRITE;
        if buffer.usage().intersects(mappable) {
            self.poller().unmap_settled(buffer, || {
                let _not_mapped = crate::device::scoped(self.wgpu_device(), "unmap", 0, || buffer.unmap());
            });
        }
    }

    /// What the buffer pool holds and how often it served requests (see [`PoolStats`]).
    pub fn pool_stats(&self) -> PoolStats {
        self.pool().stats()
    }

    /// Releases every idle pooled buffer (tensors alive keep theirs).
    pub fn trim_pool(&self) {
        self.pool().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::size_class;

    #[test]
    fn classes_cover_and_waste_little() {
        for size in [0u64, 1, 4, 255, 256, 257, 1000, 4096, 4097, 1 << 20, (1 << 20) + 1, 300 << 20] {
            let c = size_class(size, u64::MAX);
            assert!(c >= size && c.is_multiple_of(4) && c >= 256);
            assert!(size < 256 || c <= size + size / 8 + 256, "{size} -> {c}");
        }
        assert_eq!(size_class(1000, 512), 1000);
    }
}
