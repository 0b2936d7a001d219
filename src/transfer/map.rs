//! A future for `wgpu::Buffer::map_async` that drives the device without blocking a thread.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use crate::{Device, Error, Result};

#[derive(Default)]
struct MapState {
    result: Option<std::result::Result<(), wgpu::BufferAsyncError>>,
    waker: Option<Waker>,
}

/// Resolves when the whole of `buffer` is mapped for `mode`.
///
/// Each poll checks the device once (`PollType::Poll`, which never blocks) and, while the map is pending, asks to
/// be polled again. A blocking caller waits on the device first, so the first poll finds the map done.
pub(crate) struct MapFuture {
    device: Device,
    state: Arc<Mutex<MapState>>,
}

pub(crate) fn map_buffer(device: &Device, buffer: &wgpu::Buffer, mode: wgpu::MapMode) -> MapFuture {
    let state = Arc::new(Mutex::new(MapState::default()));
    let callback_state = state.clone();
    buffer.map_async(mode, .., move |result| {
        let mut s = callback_state.lock().unwrap_or_else(|p| p.into_inner());
        s.result = Some(result);
        if let Some(w) = s.waker.take() {
            w.wake();
        }
    });
    MapFuture { device: device.clone(), state }
}

impl Future for MapFuture {
    type Output = Result<()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        let take = |state: &Mutex<MapState>, cx: &Context<'_>| {
            let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
            match s.result.take() {
                Some(r) => Some(r),
                None => {
                    s.waker = Some(cx.waker().clone());
                    None
                }
            }
        };
        let mut result = take(&self.state, cx);
        if result.is_none() {
            if let Err(e) = self.device.wgpu_device().poll(wgpu::PollType::Poll) {
                return Poll::Ready(Err(Error::DeviceLost(e.to_string())));
            }
            result = take(&self.state, cx);
        }
        match result {
            Some(Ok(())) => Poll::Ready(Ok(())),
            Some(Err(e)) => Poll::Ready(Err(Error::BufferMap(e.to_string()))),
            None => {
                if let Err(e) = self.device.check() {
                    return Poll::Ready(Err(e));
                }
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        }
    }
}
