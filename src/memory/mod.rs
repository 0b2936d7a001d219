//! Device memory: the buffer pool (size classes, cap, statistics) and [`Storage`], a pooled buffer shared by every
//! view of a tensor and returned to the pool when the last one drops. Layered like CubeCL's memory management:
//! buffer → pool → storage handle.

mod pool;
mod storage;

pub(crate) use pool::BufferPool;
pub use pool::PoolStats;
pub(crate) use storage::{Storage, TENSOR_USAGE};
