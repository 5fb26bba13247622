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
mod local_set;
pub(crate) mod raw;
mod remote_abort;
mod remote_abort_handle;
mod remote_join;
mod spawner;
mod unbound;
pub(crate) mod waker;

pub use abort::AbortHandle;
pub use blocking::spawn_blocking;
#[doc(hidden)]
pub use blocking::try_spawn_blocking;
pub(crate) use blocking::{
    Config as BlockingConfig, Hook as BuilderHook, OwnedPool as OwnedBlockingPool,
    Pool as BlockingPool, job_core, run_detached, spawn_on_pool,
};
pub use error::JoinError;
pub use id::{Id, id, try_id};
pub use join::JoinHandle;
pub use join_set::JoinSet;
pub use local_set::{LocalEnterGuard, LocalSet, spawn_local};
pub use remote_abort_handle::RemoteAbortHandle;
pub use remote_join::RemoteJoinHandle;
pub use spawner::Spawner;

pub use crate::coop::{Unconstrained, consume_budget, unconstrained};
pub use crate::event_loop::spawn;

/// [`crate::coop`] under tokio's path, `tokio::task::coop`: the same module, so that code
/// written for tokio ports by changing the crate name. Where tokio differs:
/// [`poll_proceed`](crate::coop::poll_proceed) returns `Poll<()>`, not a guard that gives
/// the unit back if the operation then stays pending; [`cooperative`](crate::coop::cooperative)
/// is the wrapper that gives it back.
///
/// # Examples
///
/// ```
/// use mirage::task::coop;
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     assert!(coop::has_budget_remaining());
///     coop::consume_budget().await;
///     assert_eq!(coop::unconstrained(async { 3 }).await, 3);
/// });
/// ```
pub use crate::coop;

/// [`task_local::LocalKey`](crate::task_local::LocalKey) under tokio's path,
/// `tokio::task::LocalKey`: the key that [`task_local!`](crate::task_local!) declares.
///
/// # Examples
///
/// ```
/// mirage::task_local! {
///     static DEPTH: u32;
/// }
///
/// let key: &'static mirage::task::LocalKey<u32> = &DEPTH;
/// assert_eq!(key.sync_scope(2, || DEPTH.get()), 2);
/// ```
#[doc(no_inline)]
pub use crate::task_local::LocalKey;

/// The futures of this module's functions under tokio's path, `tokio::task::futures`.
///
/// # Examples
///
/// ```
/// use mirage::task::futures::TaskLocalFuture;
///
/// mirage::task_local! {
///     static ID: u32;
/// }
///
/// let scoped: TaskLocalFuture<u32, _> = ID.scope(5, async { ID.get() });
/// assert_eq!(mirage::Core::new().unwrap().run(scoped), 5);
/// ```
pub mod futures {
    #[doc(no_inline)]
    pub use crate::task_local::TaskLocalFuture;
}

pub use crate::yield_now::{YieldNow, yield_now};
