//! The heart of [Mirage](https://docs.rs/mirage): a single-threaded event loop ([`Core`]),
//! its tasks ([`spawn`], [`JoinHandle`]), the I/O reactor that sockets build on
//! ([`io::Registration`]), timers ([`time`]), and channels between tasks of one Core
//! ([`sync`]).
//!
//! Most users depend on the `mirage` facade crate, which re-exports all of this.

#![warn(missing_docs, missing_debug_implementations, rust_2018_idioms)]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]

mod context;
pub mod coop;
mod event_loop;
pub mod fs;
pub mod io;
mod pin;
pub mod process;
mod reactor;
pub mod runtime;
mod scheduler;
#[doc(hidden)]
pub mod select_support;
mod shared;
pub mod signal;
pub mod sync;
mod sys;
pub mod task;
pub mod task_local;
mod thread_id;
pub mod time;
mod yield_now;

pub use event_loop::{Core, spawn};
pub use task::{
    AbortHandle, JoinError, JoinHandle, JoinSet, RemoteAbortHandle, RemoteJoinHandle, Spawner,
    spawn_blocking,
};
pub use yield_now::{YieldNow, yield_now};
