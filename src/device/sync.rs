//! Waiting without spinning: an async mutex (tasks waiting for it are woken, never re-polled in a loop) and the map
//! gate (the stream submits nothing while the host maps a tensor's own buffer).

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A fair async mutex without data: `lock().await` resolves to a guard once no other guard is alive. A waiting task
/// is woken by the guard's drop, so waiting costs no CPU.
#[derive(Default)]
pub(crate) struct AsyncMutex {
    state: Mutex<AsyncMutexState>,
}

#[derive(Default)]
struct AsyncMutexState {
    locked: bool,
    /// Waiting tasks, first come first served; each entry is (ticket, waker).
    waiters: VecDeque<(u64, Waker)>,
    next_ticket: u64,
}

impl AsyncMutex {
    /// A future that resolves to the guard. Dropping the future before it resolves gives up its place.
    pub(crate) fn lock(&self) -> AsyncMutexLock<'_> {
        AsyncMutexLock { mutex: self, ticket: None }
    }

    fn unlock(&self) {
        let mut s = lock(&self.state);
        s.locked = false;
        if let Some((_, w)) = s.waiters.front() {
            w.wake_by_ref();
        }
    }
}

/// The future of [`AsyncMutex::lock`].
pub(crate) struct AsyncMutexLock<'a> {
    mutex: &'a AsyncMutex,
    ticket: Option<u64>,
}

/// Held while the mutex is locked; unlocks on drop.
pub(crate) struct AsyncMutexGuard<'a>(&'a AsyncMutex);

impl Drop for AsyncMutexGuard<'_> {
    fn drop(&mut self) {
        self.0.unlock();
    }
}

impl<'a> Future for AsyncMutexLock<'a> {
    type Output = AsyncMutexGuard<'a>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<AsyncMutexGuard<'a>> {
        let mutex = self.mutex;
        let mut s = lock(&mutex.state);
        let first_in_line = match self.ticket {
            None => s.waiters.is_empty(),
            Some(t) => s.waiters.front().is_some_and(|(f, _)| *f == t),
        };
        if !s.locked && first_in_line {
            s.locked = true;
            if self.ticket.take().is_some() {
                s.waiters.pop_front();
            }
            return Poll::Ready(AsyncMutexGuard(mutex));
        }
        match self.ticket {
            Some(t) => {
                if let Some(entry) = s.waiters.iter_mut().find(|(f, _)| *f == t) {
                    entry.1 = cx.waker().clone();
                }
            }
            None => {
                let t = s.next_ticket;
                s.next_ticket += 1;
                s.waiters.push_back((t, cx.waker().clone()));
                drop(s);
                self.ticket = Some(t);
            }
        }
        Poll::Pending
    }
}

impl Drop for AsyncMutexLock<'_> {
    fn drop(&mut self) {
        if let Some(t) = self.ticket {
            let mut s = lock(&self.mutex.state);
            s.waiters.retain(|(f, _)| *f != t);
            if !s.locked
                && let Some((_, w)) = s.waiters.front()
            {
                w.wake_by_ref();
            }
        }
    }
}

/// Counts host mappings of tensor storage buffers in progress; the stream waits for zero before it submits, since
/// a submission that uses a mapped buffer is a validation error. A submission in progress also holds the gate shut,
/// so no mapping can start between the stream's check and its `queue.submit` (that window let a download map a
/// buffer that the batch being submitted reads: "still mapped").
#[derive(Default)]
pub(crate) struct MapGate {
    /// (mappings in progress, a submission in progress)
    state: Mutex<(usize, bool)>,
    changed: Condvar,
}

impl MapGate {
    /// Marks a mapping in progress until the returned guard drops; waits while a submission is in progress.
    pub(crate) fn enter(&self) -> MapGateGuard<'_> {
        let mut s = lock(&self.state);
        while s.1 {
            s = self.changed.wait(s).unwrap_or_else(|p| p.into_inner());
        }
        s.0 += 1;
        MapGateGuard(self)
    }

    /// Waits until no mapping is in progress (a mapping lasts one memcpy once its map completed), then keeps new
    /// ones from starting until the returned guard drops: hold it across the submission.
    pub(crate) fn submitting(&self) -> SubmitGuard<'_> {
        let mut s = lock(&self.state);
        while s.0 > 0 || s.1 {
            s = self.changed.wait(s).unwrap_or_else(|p| p.into_inner());
        }
        s.1 = true;
        SubmitGuard(self)
    }
}

/// A mapping in progress; see [`MapGate::enter`].
pub(crate) struct MapGateGuard<'a>(&'a MapGate);

impl Drop for MapGateGuard<'_> {
    fn drop(&mut self) {
        let mut s = lock(&self.0.state);
        s.0 -= 1;
        if s.0 == 0 {
            self.0.changed.notify_all();
        }
    }
}

/// A submission in progress; see [`MapGate::submitting`].
pub(crate) struct SubmitGuard<'a>(&'a MapGate);

impl Drop for SubmitGuard<'_> {
    fn drop(&mut self) {
        lock(&self.0.state).1 = false;
        self.0.changed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn async_mutex_excludes_and_hands_over() {
        let m = Arc::new(AsyncMutex::default());
        let counter = Arc::new(Mutex::new((0usize, 0usize)));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (m, counter) = (m.clone(), counter.clone());
                std::thread::spawn(move || {
                    for _ in 0..200 {
                        let _g = pollster::block_on(m.lock());
                        let mut c = counter.lock().unwrap();
                        c.0 += 1;
                        c.1 = c.1.max(c.0);
                        drop(c);
                        std::thread::yield_now();
                        counter.lock().unwrap().0 -= 1;
                    }
                })
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
        assert_eq!(counter.lock().unwrap().1, 1, "two guards were alive at once");
    }

    #[test]
    fn a_dropped_lock_future_gives_up_its_place() {
        let m = AsyncMutex::default();
        let g = pollster::block_on(m.lock());
        {
            let mut f = std::pin::pin!(m.lock());
            let waker = Waker::noop();
            assert!(f.as_mut().poll(&mut Context::from_waker(waker)).is_pending());
        }
        drop(g);
        drop(pollster::block_on(m.lock()));
    }
}
