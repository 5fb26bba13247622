//! Tasks: spawned futures, their wakers, and the handles that join them.

mod error;
pub(crate) mod header;
mod join;
pub(crate) mod raw;
pub(crate) mod waker;

pub use error::JoinError;
pub use join::JoinHandle;
