//! Mirage: a timer- and select-centric single-threaded async toolkit.
//!
//! Code that reads like blocking `std::net` code, run by a [`Core`]: one event loop per
//! thread, with tasks that need not be `Send` and bookkeeping that takes no locks.
//!
//! # Examples
//!
//! ```
//! let mut core = mirage::Core::new()?;
//! core.run(async {
//!     let (tx, rx) = mirage::sync::oneshot::channel();
//!     mirage::spawn(async move { tx.send("hello").unwrap() });
//!     assert_eq!(rx.await.unwrap(), "hello");
//! });
//! # std::io::Result::Ok(())
//! ```

#![warn(missing_docs, missing_debug_implementations, rust_2018_idioms)]
#![forbid(unsafe_code)]

pub use mirage_core::{
    AbortHandle, Core, JoinError, JoinHandle, JoinSet, RemoteAbortHandle, RemoteJoinHandle,
    Spawner, YieldNow, coop, fs, io, pin, process, runtime, signal, spawn, spawn_blocking, sync,
    task, task_local, time, yield_now,
};
pub use mirage_select::{main, test};

// `select!`, `join!` and `try_join!` are `macro_rules!` that hand their input, after
// `$crate;`, to the proc macros: the expansion then names mirage by `$crate`, and works in a
// crate that renames the dependency (`rt = { package = "mirage", .. }`) or reaches mirage
// through another crate's re-export, as tokio's do. A proc macro alone can only guess the
// crate's name (`::mirage`).

#[doc = include_str!("../select/docs/select.md")]
#[macro_export]
macro_rules! select {
    ($($input:tt)*) => {
        $crate::__private::select_in!($crate; $($input)*)
    };
}

#[doc = include_str!("../select/docs/join.md")]
#[macro_export]
macro_rules! join {
    ($($input:tt)*) => {
        $crate::__private::join_in!($crate; $($input)*)
    };
}

#[doc = include_str!("../select/docs/try_join.md")]
#[macro_export]
macro_rules! try_join {
    ($($input:tt)*) => {
        $crate::__private::try_join_in!($crate; $($input)*)
    };
}

/// What the expansions of [`select!`], [`main`] and [`test`] call. Not a public API.
#[doc(hidden)]
pub mod __private {
    pub use mirage_core::select_support::{Branch, Select, branch_poller};
    pub use mirage_select::{join_in, select_in, try_join_in};

    /// Gives the body of `#[mirage::main]` or `#[mirage::test]`, an `async` block, the
    /// function's return type up front: `?` in the body then knows the error type to convert
    /// to. The bound does it, so the body stays the block as written, with no `let` around
    /// it that could make the compiler warn about the user's code.
    pub fn entry_body<R>(
        body: impl core::future::Future<Output = R>,
    ) -> impl core::future::Future<Output = R> {
        body
    }
}

// Inlined, so that `mirage::net`'s docs are the crate docs of `mirage-net`, with its guide.
#[doc(inline)]
pub use mirage_net as net;

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
