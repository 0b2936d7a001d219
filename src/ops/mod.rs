//! Operations that compute on the device, one file per family. Each validates its inputs, works out the output
//! layout, allocates from the pool and records on the device's stream.

pub(crate) mod copy;
pub(crate) mod join;
