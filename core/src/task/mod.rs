//! Tasks: spawned futures, their wakers, and the handles that join them.

mod abort;
mod blocking;
mod error;
pub(crate) mod header;
mod join;
mod join_set;
pub(crate) mod raw;
pub(crate) mod waker;

pub use abort::AbortHandle;
pub use blocking::{spawn_blocking, BlockingJoinHandle};
pub use error::JoinError;
pub use join::JoinHandle;
pub use join_set::JoinSet;
