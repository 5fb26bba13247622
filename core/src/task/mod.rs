//! Tasks: spawned futures, the handles that join or abort them, and which task is running.
//!
//! The types are also at the crate root ([`crate::spawn`], [`crate::JoinHandle`], ...);
//! this module gathers them where a tokio user looks (`task::spawn`, `task::id`).
//!
//! # Examples
//!
//! ```
//! use mirage::task;
//!
//! let mut core = mirage::Core::new().unwrap();
//! core.run(async {
//!     let handle = task::spawn(async { task::id() });
//!     let id: task::Id = handle.id();
//!     assert_eq!(handle.await.unwrap(), id);
//! });
//! ```

mod abort;
mod blocking;
mod error;
pub(crate) mod header;
mod id;
mod join;
mod join_set;
pub(crate) mod raw;
mod remote_abort;
mod remote_join;
mod spawner;
pub(crate) mod waker;

pub use abort::AbortHandle;
pub(crate) use blocking::run_detached;
pub use blocking::spawn_blocking;
pub use error::JoinError;
pub use id::{id, try_id, Id};
pub use join::JoinHandle;
pub use join_set::JoinSet;
pub use remote_join::RemoteJoinHandle;
pub use spawner::Spawner;

pub use crate::coop::{consume_budget, unconstrained};
pub use crate::event_loop::spawn;

/// [`spawn`] under the name tokio gives its spawn of a `!Send` future, so that code written
/// for tokio's `LocalSet` ports by changing the crate name: every Mirage task is local.
///
/// # Examples
///
/// ```
/// use std::rc::Rc;
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     let shared = Rc::new(5); // not Send
///     let task = mirage::task::spawn_local(async move { *shared + 1 });
///     assert_eq!(task.await.unwrap(), 6);
/// });
/// ```
pub use crate::event_loop::spawn as spawn_local;
pub use crate::yield_now::{yield_now, YieldNow};
