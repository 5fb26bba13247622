//! Tasks: spawned futures, their wakers, and the handles that join them.

mod abort;
mod blocking;
mod error;
pub(crate) mod header;
mod join;
mod join_set;
pub(crate) mod raw;
mod remote_abort;
mod remote_join;
mod spawner;
pub(crate) mod waker;

pub use abort::AbortHandle;
pub use blocking::spawn_blocking;
pub use error::JoinError;
pub use join::JoinHandle;
pub use join_set::JoinSet;
pub use remote_join::RemoteJoinHandle;
pub use spawner::Spawner;
