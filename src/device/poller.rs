//! The poller: one thread per device that drives wgpu while buffer maps are pending, so map callbacks run and the
//! futures waiting for them are woken. While nothing is pending it sleeps on a condition variable; while maps are
//! pending it blocks inside `device.poll(wait_indefinitely)` (a fence wait, not a spin). No future re-wakes
//! itself in a loop, so a task awaiting a download costs no CPU.
//!
//! Lifecycle of a map ([`map_buffer`]):
//! 1. The slot is registered (pending += 1) and `map_async` is called; the poller is notified.
//! 2. The poller polls the device until the GPU work before the map finished; wgpu runs the callback.
//! 3. The callback stores the result in the slot, wakes the waiting task, and pending -= 1.
//! 4. If the device is lost, the poller completes every registered slot with the loss instead.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use crate::{Error, Result};

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    wake: Condvar,
}

#[derive(Default)]
struct State {
    pending: usize,
    shutdown: bool,
    lost: Option<String>,
    slots: Vec<Weak<Slot>>,
    /// The buffers whose map is not resolved yet (the callback removes its entry), for [`Poller::unmap_settled`].
    unresolved: Vec<(wgpu::Buffer, Weak<Slot>)>,
}

/// The handle a device keeps; dropping it stops the thread and joins it (so no thread is inside the driver when
/// the device, or the process, goes away).
pub(crate) struct Poller {
    shared: Arc<Shared>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Poller {
    /// Starts the thread for `device`.
    pub(crate) fn start(device: wgpu::Device) -> Poller {
        let shared = Arc::new(Shared::default());
        let thread_shared = shared.clone();
        let spawned =
            std::thread::Builder::new().name("wgpu-tensor poller".into()).spawn(move || run(&device, &thread_shared));
        let thread = match spawned {
            Ok(handle) => Some(handle),
            Err(e) => {
                // Without a thread, maps would never complete: report it as a lost device rather than hang.
                lock(&shared.state).lost = Some(format!("cannot start the poller thread: {e}"));
                None
            }
        };
        Poller { shared, thread }
    }

    /// Why the device was lost, if the poller saw it.
    pub(crate) fn lost(&self) -> Option<String> {
        lock(&self.shared.state).lost.clone()
    }

    /// Why the device was lost, waiting at most `timeout` for wgpu's device-lost callback (an error path helper:
    /// the thread whose poll took the callback from wgpu may not have run it yet).
    pub(crate) fn wait_lost(&self, timeout: Duration) -> Option<String> {
        let deadline = std::time::Instant::now() + timeout;
        let mut s = lock(&self.shared.state);
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if s.lost.is_some() || left.is_zero() || s.shutdown {
                return s.lost.clone();
            }
            s = self.shared.wake.wait_timeout(s, left).unwrap_or_else(|p| p.into_inner()).0;
        }
    }

    /// Unmaps `buffer` with `unmap` so that it is really unmapped afterwards, also when a map of it is being
    /// completed on another thread right now.
    ///
    /// wgpu-core completes a map in steps (`Buffer::map`: the state goes Waiting → Idle, the memory is mapped, then
    /// Active, then the callback runs). An `unmap` in between finds the buffer idle ("not mapped") and does nothing;
    /// the map then completes and the buffer stays mapped — a cancelled transfer would put a mapped buffer back in
    /// the pool or leave a tensor's storage mapped, and the next submission that uses it fails with "still mapped".
    /// So when a map of `buffer` was unresolved before `unmap`, wait for its callback (an unmap of a waiting map
    /// resolves it at once, with an abort; otherwise the map is being completed: a short wait) and unmap again.
    pub(crate) fn unmap_settled(&self, buffer: &wgpu::Buffer, unmap: impl Fn()) {
        let slot = lock(&self.shared.state).unresolved.iter().find(|(b, _)| b == buffer).and_then(|(_, w)| w.upgrade());
        unmap();
        if let Some(slot) = slot {
            // Resolved during our unmap or still being completed: either way it may be mapped now.
            slot.wait_resolved(Duration::from_secs(10));
            unmap();
        }
    }

    /// A function for wgpu's device-lost callback: records the loss and fails every pending map.
    pub(crate) fn lost_notifier(&self) -> impl Fn(String) + Send + Sync + 'static {
        let shared = self.shared.clone();
        move |reason| {
            fail_all(&shared, reason);
            shared.wake.notify_all();
        }
    }
}

impl Drop for Poller {
    fn drop(&mut self) {
        lock(&self.shared.state).shutdown = true;
        self.shared.wake.notify_all();
        if let Some(thread) = self.thread.take()
            && thread.thread().id() != std::thread::current().id()
        {
            let _ = thread.join();
        }
    }
}

fn fail_all(shared: &Shared, reason: String) {
    let slots = {
        let mut s = lock(&shared.state);
        s.lost.get_or_insert(reason);
        s.pending = 0;
        s.unresolved.clear();
        std::mem::take(&mut s.slots)
    };
    for slot in slots.iter().filter_map(Weak::upgrade) {
        slot.complete(Err(MapError::Lost));
    }
}

fn run(device: &wgpu::Device, shared: &Shared) {
    loop {
        {
            let mut s = lock(&shared.state);
            while (s.pending == 0 || s.lost.is_some()) && !s.shutdown {
                s = shared.wake.wait(s).unwrap_or_else(|p| p.into_inner());
            }
            if s.shutdown {
                return;
            }
        }
        let before = lock(&shared.state).pending;
        match device.poll(wgpu::PollType::wait_indefinitely()) {
            Err(_) => std::thread::sleep(Duration::from_millis(1)),
            Ok(_) => {
                let mut s = lock(&shared.state);
                s.slots.retain(|w| w.strong_count() > 0);
                s.unresolved.retain(|(_, w)| w.strong_count() > 0);
                if s.pending > 0 && s.pending == before && !s.shutdown {
                    // Nothing completed although the queue is idle: a map requested during the poll. Look again
                    // shortly instead of spinning.
                    let _ = shared.wake.wait_timeout(s, Duration::from_millis(1));
                }
            }
        }
    }
}

#[derive(Debug)]
enum MapError {
    Lost,
    Map(wgpu::BufferAsyncError),
}

/// A map's result once known, and the task to wake.
type SlotState = (Option<std::result::Result<(), MapError>>, Option<Waker>);

#[derive(Default)]
struct Slot {
    state: Mutex<SlotState>,
    resolved: Condvar,
    /// Set once the map's result is known (also after the future took it).
    done: std::sync::atomic::AtomicBool,
}

impl Slot {
    fn complete(&self, r: std::result::Result<(), MapError>) {
        let mut s = lock(&self.state);
        if s.0.is_none() && !self.done.load(std::sync::atomic::Ordering::Acquire) {
            s.0 = Some(r);
        }
        self.done.store(true, std::sync::atomic::Ordering::Release);
        self.resolved.notify_all();
        if let Some(w) = s.1.take() {
            w.wake();
        }
    }

    /// Waits (at most `timeout`, a guard against a hang) until the map's result is known.
    fn wait_resolved(&self, timeout: Duration) {
        let mut s = lock(&self.state);
        let deadline = std::time::Instant::now() + timeout;
        while !self.done.load(std::sync::atomic::Ordering::Acquire) {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                break;
            }
            s = self.resolved.wait_timeout(s, left).unwrap_or_else(|p| p.into_inner()).0;
        }
    }
}

/// Resolves when the whole of `buffer` is mapped for `mode`; the device's poller completes it.
///
/// Dropping the future before it resolves leaves the map pending; the caller that owns the buffer unmaps it
/// (which cancels a pending map) through [`Poller::unmap_settled`], as the transfer guards do.
pub(crate) struct MapFuture {
    slot: Arc<Slot>,
    poller: Arc<Shared>,
}

/// Requests a map of the whole buffer. One non-blocking poll on the caller's thread completes it at once when the
/// GPU no longer uses the buffer (no thread hand-off for an idle buffer); otherwise `poller`'s thread completes it.
pub(crate) fn map_buffer(
    poller: &Poller,
    device: &wgpu::Device,
    buffer: &wgpu::Buffer,
    mode: wgpu::MapMode,
) -> MapFuture {
    let slot = Arc::new(Slot::default());
    let shared = poller.shared.clone();
    {
        let mut s = lock(&shared.state);
        if let Some(_lost) = &s.lost {
            drop(s);
            slot.complete(Err(MapError::Lost));
            return MapFuture { slot, poller: shared };
        }
        s.pending += 1;
        s.slots.push(Arc::downgrade(&slot));
        s.unresolved.push((buffer.clone(), Arc::downgrade(&slot)));
    }
    let (callback_slot, callback_shared) = (slot.clone(), shared.clone());
    buffer.map_async(mode, .., move |result| {
        {
            let mut s = lock(&callback_shared.state);
            s.pending = s.pending.saturating_sub(1);
            let me = Arc::downgrade(&callback_slot);
            s.unresolved.retain(|(_, w)| !w.ptr_eq(&me));
        }
        callback_slot.complete(result.map_err(MapError::Map));
    });
    let _ = device.poll(wgpu::PollType::Poll);
    if lock(&slot.state).0.is_none() {
        shared.wake.notify_all();
    }
    MapFuture { slot, poller: shared }
}

impl Future for MapFuture {
    type Output = Result<()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        let mut s = lock(&self.slot.state);
        match s.0.take() {
            Some(Ok(())) => Poll::Ready(Ok(())),
            Some(Err(MapError::Lost)) => {
                let reason = lock(&self.poller.state).lost.clone().unwrap_or_default();
                Poll::Ready(Err(Error::DeviceLost(reason)))
            }
            Some(Err(MapError::Map(e))) => match lock(&self.poller.state).lost.clone() {
                Some(reason) => Poll::Ready(Err(Error::DeviceLost(reason))),
                None => Poll::Ready(Err(Error::BufferMap(e.to_string()))),
            },
            None => {
                s.1 = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}
